import type { CommandFamily } from '../../core/context.js';
import { streamEntryCommands } from './entries.js';
import { streamGroupCommands } from './groups.js';
import { streamInfoCommands } from './info.js';
import { streamReadCommands } from './reads.js';

/** The stream commands (Redis's t_stream.c). */
export const streamCommands: CommandFamily = {
  ...streamEntryCommands,
  ...streamReadCommands,
  ...streamGroupCommands,
  ...streamInfoCommands,
};
