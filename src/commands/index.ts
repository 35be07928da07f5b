import { connectionCommands } from './connection.js';
import { keyCommands } from './keys.js';
import { stringCommands } from './strings.js';
import type { CommandFamily } from './table.js';

/** Every command family; the command table is built from these and Redis's specs. */
export const allFamilies: CommandFamily[] = [connectionCommands, keyCommands, stringCommands];
