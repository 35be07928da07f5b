import type { CommandFamily } from './table.js';

export const introspectionCommands: CommandFamily = {};
