import type { CommandContext, CommandFamily } from '../core/context.js';

function multi(ctx: CommandContext): void {
  if (ctx.multi !== null) {
    ctx.reply.error('ERR MULTI calls can not be nested');
    return;
  }
  ctx.multi = [];
  ctx.multiError = false;
  ctx.reply.ok();
}

function discardTransaction(ctx: CommandContext): void {
  ctx.multi = null;
  ctx.multiError = false;
  ctx.server.unwatchAll(ctx);
}

function discard(ctx: CommandContext): void {
  if (ctx.multi === null) {
    ctx.reply.error('ERR DISCARD without MULTI');
    return;
  }
  discardTransaction(ctx);
  ctx.reply.ok();
}

/** EXEC: runs the queued commands atomically; their writes propagate wrapped in MULTI/EXEC. */
function exec(ctx: CommandContext): void {
  const queued = ctx.multi;
  if (queued === null) {
    ctx.reply.error('ERR EXEC without MULTI');
    return;
  }
  if (ctx.multiError) {
    ctx.reply.error('EXECABORT Transaction discarded because of previous errors.');
    discardTransaction(ctx);
    return;
  }
  if (ctx.watchTouched || ctx.server.watchedKeyExpired(ctx)) {
    ctx.reply.nilArray();
    discardTransaction(ctx);
    return;
  }
  ctx.server.unwatchAll(ctx);
  ctx.multi = null;
  ctx.inExec = true;
  ctx.execQueued = queued.length;
  ctx.reply.array(queued.length);
  try {
    for (const argv of queued) ctx.server.invoke(ctx, argv);
  } finally {
    ctx.inExec = false;
    ctx.execQueued = -1;
  }
  // EXEC itself is never propagated: its commands were, wrapped by the propagation flush.
  ctx.preventPropagation();
}

function watch(ctx: CommandContext, argv: string[]): void {
  if (ctx.multi !== null) {
    ctx.reply.error('ERR WATCH inside MULTI is not allowed');
    return;
  }
  for (let i = 1; i < argv.length; i++) ctx.server.watch(ctx, argv[i]);
  ctx.reply.ok();
}

function unwatch(ctx: CommandContext): void {
  ctx.server.unwatchAll(ctx);
  ctx.reply.ok();
}

export const transactionCommands: CommandFamily = { multi, exec, discard, watch, unwatch };
