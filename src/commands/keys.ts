import { typeOf } from '../store/values.js';
import { is } from './args.js';
import type { CommandContext } from './context.js';
import { ERR } from './replies.js';
import type { CommandFamily } from './table.js';

function del(ctx: CommandContext, argv: string[]): void {
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i];
    if (ctx.db.isExpired(key)) ctx.db.get(key); // lazy expiry first, so the DEL counts like Redis
    if (ctx.db.delete(key)) {
      ctx.changed(key, 'g', 'del');
      deleted++;
    }
  }
  ctx.reply.integer(deleted);
}

function exists(ctx: CommandContext, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.get(argv[i]) !== undefined) count++;
  ctx.reply.integer(count);
}

function type(ctx: CommandContext, argv: string[]): void {
  const v = ctx.db.get(argv[1]);
  ctx.reply.simple(v === undefined ? 'none' : typeOf(v));
}

function dbsize(ctx: CommandContext): void {
  ctx.reply.integer(ctx.db.size);
}

/** FLUSHDB/FLUSHALL [ASYNC|SYNC]: both run synchronously here; the option is validated like Redis. */
function flushOption(ctx: CommandContext, argv: string[]): boolean {
  if (argv.length > 2 || (argv.length === 2 && !is(argv[1], 'SYNC') && !is(argv[1], 'ASYNC'))) {
    ctx.reply.error(ERR.syntax);
    return false;
  }
  return true;
}

function flushdb(ctx: CommandContext, argv: string[]): void {
  if (!flushOption(ctx, argv)) return;
  const removed = ctx.db.size;
  ctx.db.touchAll();
  ctx.db.clear();
  ctx.addDirty(removed + 1);
  ctx.reply.ok();
}

function flushall(ctx: CommandContext, argv: string[]): void {
  if (!flushOption(ctx, argv)) return;
  const removed = ctx.keyspace.flushAll();
  ctx.addDirty(removed + 1);
  ctx.server.afterFlushAll();
  ctx.reply.ok();
}

export const keyCommands: CommandFamily = { del, unlink: del, exists, type, dbsize, flushdb, flushall };
