import type { CommandFamily } from './table.js';

export const configCommands: CommandFamily = {};
