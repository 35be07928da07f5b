import type { CommandFamily } from './table.js';

export const clientCommands: CommandFamily = {};
