/** SAVE, BGSAVE [SCHEDULE], BGREWRITEAOF, and DEBUG RELOAD's implementation (registered by DEBUG). */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { is } from './args.js';
import { ERR } from './replies.js';

function save(ctx: CommandContext): void {
  const err = ctx.server.persistence.saveCommand();
  if (err === null) ctx.reply.ok();
  else ctx.reply.error(err);
}

function bgsave(ctx: CommandContext, argv: string[]): void {
  let schedule = false;
  if (argv.length > 1) {
    if (argv.length === 2 && is(argv[1], 'SCHEDULE')) schedule = true;
    else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const r = ctx.server.persistence.bgsaveCommand(schedule, ctx.inExec);
  if ('ok' in r) ctx.reply.simple(r.ok);
  else ctx.reply.error(r.err);
}

function bgrewriteaof(ctx: CommandContext): void {
  const r = ctx.server.persistence.rewriteAofCommand(ctx.inExec);
  if ('ok' in r) ctx.reply.simple(r.ok);
  else ctx.reply.error(r.err);
}

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save the RDB, empty the dataset, load the file back.
 * The DEBUG command dispatches here (argv is the whole DEBUG command line).
 */
export function debugReload(ctx: CommandContext, argv: string[]): void {
  const err = ctx.server.persistence.debugReload(argv.slice(2));
  if (err === null) ctx.reply.ok();
  else ctx.reply.error(err);
}

export const persistenceCommands: CommandFamily = { save, bgsave, bgrewriteaof };
