import { bitmapCommands } from './bitmaps.js';
import { clientCommands } from './client.js';
import { configCommands } from './config.js';
import { connectionCommands } from './connection.js';
import { expireCommands } from './expire.js';
import { introspectionCommands } from './introspection.js';
import { keyCommands } from './keys.js';
import { serverAdminCommands } from './server-admin.js';
import { stringCommands } from './strings.js';
import type { CommandFamily } from './table.js';

/** Every command family; the command table is built from these and Redis's specs. */
export const allFamilies: CommandFamily[] = [
  connectionCommands,
  keyCommands,
  expireCommands,
  stringCommands,
  bitmapCommands,
  configCommands,
  clientCommands,
  serverAdminCommands,
  introspectionCommands,
];
