import type { CommandFamily } from './table.js';

export const expireCommands: CommandFamily = {};
