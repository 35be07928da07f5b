import type { CommandFamily } from './table.js';

export const serverAdminCommands: CommandFamily = {};
