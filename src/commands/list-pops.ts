/**
 * List pops and moves (Redis's t_list.c): LPOP, RPOP, LMPOP, LMOVE, RPOPLPUSH and the blocking
 * BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH, plus CLIENT UNBLOCK. Blocking goes through ctx.block
 * (server/blocking.ts); a served blocking pop propagates as its non-blocking form.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { parseInt64 } from '../lib/numbers.js';
import { ListValue } from '../store/types/list.js';
import { is } from './args.js';
import { subcommandSyntaxError } from './help-replies.js';
import {
  createList,
  deleteIfEmpty,
  elementsRemoved,
  HEAD,
  pop,
  popEvent,
  popName,
  popRange,
  popRangeWithKey,
  positiveLongArg,
  TAIL,
  type Where,
  whereArg,
  writeList,
} from './list-common.js';
import { ERR } from './replies.js';
import { timeoutArg } from './timeout-arg.js';

function popGeneric(ctx: CommandContext, argv: string[], where: Where): void {
  if (argv.length > 3) {
    ctx.reply.error(`ERR wrong number of arguments for '${ctx.command.name}' command`);
    return;
  }
  const hasCount = argv.length === 3;
  let count = 0;
  if (hasCount) {
    const v = positiveLongArg(ctx, argv[2]);
    if (v === null) return;
    count = v;
  }
  const key = argv[1];
  const list = writeList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    if (hasCount) ctx.reply.nilArray();
    else ctx.reply.nil();
    return;
  }
  if (hasCount && count === 0) {
    ctx.reply.array(0);
    return;
  }
  if (!hasCount) {
    ctx.reply.bulk(pop(list, where));
    elementsRemoved(ctx, key, where, list, 1);
    return;
  }
  const n = popRange(ctx, list, where, count);
  elementsRemoved(ctx, key, where, list, n);
}

function lpop(ctx: CommandContext, argv: string[]): void {
  popGeneric(ctx, argv, HEAD);
}

function rpop(ctx: CommandContext, argv: string[]): void {
  popGeneric(ctx, argv, TAIL);
}

/** Pops count elements from the first non-empty list; the replica gets LPOP/RPOP key n. */
function mpopGeneric(ctx: CommandContext, keys: string[], where: Where, count: number): void {
  for (const key of keys) {
    const list = writeList(ctx, key);
    if (list === null) return;
    if (list === undefined || list.length === 0) continue;
    const n = Math.min(count, list.length);
    popRangeWithKey(ctx, list, key, where, count);
    ctx.rewriteArgv([popName(where), key, String(n)]);
    return;
  }
  ctx.reply.nilArray();
}

/** LMPOP numkeys key... LEFT|RIGHT [COUNT n] and BLMPOP timeout numkeys …: the shared parsing. */
function lmpopGeneric(ctx: CommandContext, argv: string[], numkeysIndex: number, blocking: boolean): void {
  const numkeys = parseInt64(argv[numkeysIndex]);
  if (numkeys === null || numkeys < 1) {
    ctx.reply.error('ERR numkeys should be greater than 0');
    return;
  }
  const whereIndex = numkeysIndex + Number(numkeys) + 1;
  if (whereIndex >= argv.length) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const where = whereArg(ctx, argv[whereIndex]);
  if (where === null) return;
  let count = -1;
  for (let j = whereIndex + 1; j < argv.length; j++) {
    if (count === -1 && is(argv[j], 'COUNT') && j + 1 < argv.length) {
      const v = parseInt64(argv[++j]);
      if (v === null || v < 1) {
        ctx.reply.error('ERR count should be greater than 0');
        return;
      }
      count = Number(v);
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  if (count === -1) count = 1;
  const keys = argv.slice(numkeysIndex + 1, whereIndex);
  if (blocking) blockingPopGeneric(ctx, keys, where, argv[1], count);
  else mpopGeneric(ctx, keys, where, count);
}

function lmpop(ctx: CommandContext, argv: string[]): void {
  lmpopGeneric(ctx, argv, 1, false);
}

// ---- LMOVE ----

/** lmoveHandlePush: creates the destination if needed, pushes, replies the element. */
function handlePush(
  ctx: CommandContext,
  dstKey: string,
  dst: ListValue | undefined,
  value: string,
  where: Where,
): void {
  if (dst === undefined) dst = createList(ctx, dstKey);
  ctx.db.touch(dstKey);
  if (where === HEAD) dst.pushHead(value);
  else dst.pushTail(value);
  ctx.notify('l', where === HEAD ? 'lpush' : 'rpush', dstKey);
  ctx.reply.bulk(value);
}

/** LMOVE/RPOPLPUSH, and BLMOVE/BRPOPLPUSH when the source has elements. */
function lmoveGeneric(ctx: CommandContext, argv: string[], from: Where, to: Where): void {
  const srcKey = argv[1];
  const dstKey = argv[2];
  const src = writeList(ctx, srcKey);
  if (src === null) return;
  if (src === undefined) {
    ctx.reply.nil();
    return;
  }
  const dst = ctx.db.get(dstKey);
  if (dst !== undefined && !(dst instanceof ListValue)) {
    ctx.reply.error(ERR.wrongType);
    return;
  }
  handlePush(ctx, dstKey, dst, pop(src, from), to);
  ctx.changed(srcKey, 'l', popEvent(from));
  deleteIfEmpty(ctx, srcKey, src);
  const name = ctx.command.name;
  if (name === 'blmove') ctx.rewriteArgv(['LMOVE', srcKey, dstKey, argv[3], argv[4]]);
  else if (name === 'brpoplpush') ctx.rewriteArgv(['RPOPLPUSH', srcKey, dstKey]);
}

function lmove(ctx: CommandContext, argv: string[]): void {
  const from = whereArg(ctx, argv[3]);
  if (from === null) return;
  const to = whereArg(ctx, argv[4]);
  if (to === null) return;
  lmoveGeneric(ctx, argv, from, to);
}

function rpoplpush(ctx: CommandContext, argv: string[]): void {
  lmoveGeneric(ctx, argv, TAIL, HEAD);
}

// ---- blocking forms ----

/**
 * BLPOP/BRPOP (count -1) and BLMPOP (count >= 1): pops from the first non-empty list, else
 * blocks on all the keys. Inside EXEC or a script it answers as on timeout.
 */
function blockingPopGeneric(
  ctx: CommandContext,
  keys: string[],
  where: Where,
  timeoutText: string,
  count: number,
): void {
  const timeoutMs = timeoutArg(ctx, timeoutText);
  if (timeoutMs === null) return;
  for (const key of keys) {
    const list = writeList(ctx, key);
    if (list === null) return;
    if (list === undefined || list.length === 0) continue;
    if (count !== -1) {
      const n = Math.min(count, list.length);
      popRangeWithKey(ctx, list, key, where, count);
      ctx.rewriteArgv([popName(where), key, String(n)]);
      return;
    }
    ctx.reply.array(2);
    ctx.reply.bulk(key);
    ctx.reply.bulk(pop(list, where));
    elementsRemoved(ctx, key, where, list, 1);
    ctx.rewriteArgv([popName(where), key]);
    return;
  }
  if (!ctx.canBlock) {
    ctx.reply.nilArray();
    return;
  }
  ctx.block({
    keys,
    timeoutMs,
    valueType: 'list',
    serve: (receiver, key) => serveBlockedPop(receiver, key, where, count),
  });
}

/** Serves a client blocked in BLPOP/BRPOP/BLMPOP from a list that got elements. */
function serveBlockedPop(ctx: CommandContext, key: string, where: Where, count: number): boolean {
  const list = ctx.db.get(key);
  if (!(list instanceof ListValue) || list.length === 0) return false;
  if (count !== -1) {
    ctx.alsoPropagate([popName(where), key, String(Math.min(count, list.length))]);
    popRangeWithKey(ctx, list, key, where, count);
    return true;
  }
  ctx.alsoPropagate([popName(where), key]);
  const value = pop(list, where);
  ctx.reply.array(2);
  ctx.reply.bulk(key);
  ctx.reply.bulk(value);
  // Like Redis: no WATCH touch nor dirty here, the push that made the key ready did both.
  ctx.notify('l', popEvent(where), key);
  deleteIfEmpty(ctx, key, list);
  return true;
}

function blpop(ctx: CommandContext, argv: string[]): void {
  blockingPopGeneric(ctx, argv.slice(1, -1), HEAD, argv[argv.length - 1], -1);
}

function brpop(ctx: CommandContext, argv: string[]): void {
  blockingPopGeneric(ctx, argv.slice(1, -1), TAIL, argv[argv.length - 1], -1);
}

function blmpop(ctx: CommandContext, argv: string[]): void {
  lmpopGeneric(ctx, argv, 2, true);
}

function blmoveGeneric(ctx: CommandContext, argv: string[], from: Where, to: Where, timeoutMs: number): void {
  const src = writeList(ctx, argv[1]);
  if (src === null) return;
  if (src !== undefined) {
    lmoveGeneric(ctx, argv, from, to);
    return;
  }
  if (!ctx.canBlock) {
    ctx.reply.nil();
    return;
  }
  const dstKey = argv[2];
  const isRpoplpush = ctx.command.name === 'brpoplpush';
  ctx.block({
    keys: [argv[1]],
    timeoutMs,
    valueType: 'list',
    serve: (receiver, key) => serveBlockedMove(receiver, key, dstKey, from, to, isRpoplpush),
  });
}

/** Serves a client blocked in BLMOVE/BRPOPLPUSH; a destination of another type answers WRONGTYPE. */
function serveBlockedMove(
  ctx: CommandContext,
  key: string,
  dstKey: string,
  from: Where,
  to: Where,
  isRpoplpush: boolean,
): boolean {
  const src = ctx.db.get(key);
  if (!(src instanceof ListValue) || src.length === 0) return false;
  const dst = ctx.db.get(dstKey);
  if (dst !== undefined && !(dst instanceof ListValue)) {
    ctx.reply.error(ERR.wrongType);
    return true;
  }
  handlePush(ctx, dstKey, dst, pop(src, from), to);
  ctx.alsoPropagate(
    isRpoplpush ? ['RPOPLPUSH', key, dstKey] : ['LMOVE', key, dstKey, sideName(from), sideName(to)],
  );
  ctx.notify('l', popEvent(from), key);
  deleteIfEmpty(ctx, key, src);
  return true;
}

function sideName(where: Where): string {
  return where === HEAD ? 'left' : 'right';
}

function blmove(ctx: CommandContext, argv: string[]): void {
  const from = whereArg(ctx, argv[3]);
  if (from === null) return;
  const to = whereArg(ctx, argv[4]);
  if (to === null) return;
  const timeoutMs = timeoutArg(ctx, argv[5]);
  if (timeoutMs === null) return;
  blmoveGeneric(ctx, argv, from, to, timeoutMs);
}

function brpoplpush(ctx: CommandContext, argv: string[]): void {
  const timeoutMs = timeoutArg(ctx, argv[3]);
  if (timeoutMs === null) return;
  blmoveGeneric(ctx, argv, TAIL, HEAD, timeoutMs);
}

/** CLIENT UNBLOCK client-id [TIMEOUT|ERROR] */
function clientUnblock(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 4) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  let asError = false;
  if (argv.length === 4) {
    if (is(argv[3], 'ERROR')) asError = true;
    else if (!is(argv[3], 'TIMEOUT')) {
      ctx.reply.error('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
      return;
    }
  }
  const id = parseInt64(argv[2]);
  if (id === null) {
    ctx.reply.error(ERR.notInteger);
    return;
  }
  ctx.reply.integer(ctx.server.unblockClient(Number(id), asError) ? 1 : 0);
}

export const listPopCommands: CommandFamily = {
  lpop,
  rpop,
  lmpop,
  lmove,
  rpoplpush,
  blpop,
  brpop,
  blmpop,
  blmove,
  brpoplpush,
  'client|unblock': clientUnblock,
};
