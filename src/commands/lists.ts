/**
 * Lists (Redis's t_list.c): pushes, pops, ranges, LPOS, LMOVE, LMPOP and the blocking forms
 * BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, plus CLIENT UNBLOCK. Blocking goes through
 * ctx.block (server/blocking.ts); a served blocking pop propagates as its non-blocking form.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { parseInt64 } from '../lib/numbers.js';
import { ListValue } from '../store/types/list.js';
import { is } from './args.js';
import { subcommandSyntaxError } from './help-replies.js';
import { lookupRead } from './keys.js';
import { ERR } from './replies.js';
import { timeoutArg } from './timeout-arg.js';

const HEAD = 0;
const TAIL = 1;
type Where = typeof HEAD | typeof TAIL;

const INDEX_OUT_OF_RANGE = 'ERR index out of range';
const RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const LONG_MIN = -9223372036854775808n;

/** lookupKeyWrite + checkType: the list, undefined if absent, null after replying WRONGTYPE. */
function writeList(ctx: CommandContext, key: string): ListValue | undefined | null {
  const v = ctx.db.get(key);
  if (v === undefined || v instanceof ListValue) return v;
  ctx.reply.error(ERR.wrongType);
  return null;
}

/** lookupKeyRead (hit/miss stats, keymiss event) + checkType. */
function readList(ctx: CommandContext, key: string): ListValue | undefined | null {
  const v = lookupRead(ctx, key);
  if (v === undefined || v instanceof ListValue) return v;
  ctx.reply.error(ERR.wrongType);
  return null;
}

/** getLongFromObjectOrReply: an int64 as a number (ranges only compare it with lengths). */
function longArg(ctx: CommandContext, s: string, msg: string = ERR.notInteger): number | null {
  const v = parseInt64(s);
  if (v === null) {
    ctx.reply.error(msg);
    return null;
  }
  return Number(v);
}

/** getPositiveLongFromObjectOrReply: msg replaces both the syntax and the range error. */
function positiveLongArg(
  ctx: CommandContext,
  s: string,
  msg: string = ERR.outOfRangePositive,
): number | null {
  const v = parseInt64(s);
  if (v === null || v < 0) {
    ctx.reply.error(msg);
    return null;
  }
  return Number(v);
}

/** getListPositionFromObjectOrReply: LEFT or RIGHT. */
function whereArg(ctx: CommandContext, s: string): Where | null {
  if (is(s, 'LEFT')) return HEAD;
  if (is(s, 'RIGHT')) return TAIL;
  ctx.reply.error(ERR.syntax);
  return null;
}

function popEvent(where: Where): string {
  return where === HEAD ? 'lpop' : 'rpop';
}

function popName(where: Where): string {
  return where === HEAD ? 'LPOP' : 'RPOP';
}

function pop(list: ListValue, where: Where): string {
  return (where === HEAD ? list.popHead() : list.popTail())!;
}

/** dbAdd of a new, empty list: 'new' event, and clients blocked on the key get a chance. */
function createList(ctx: CommandContext, key: string): ListValue {
  const list = new ListValue();
  ctx.db.set(key, list);
  ctx.signalKeyReady(key);
  return list;
}

/** Deletes a list left empty, as every popping command does. */
function deleteIfEmpty(ctx: CommandContext, key: string, list: ListValue): void {
  if (list.length !== 0) return;
  ctx.db.delete(key);
  ctx.notify('g', 'del', key);
}

/** listElementsRemoved: pop event, delete if empty, WATCH touch, dirty += n. */
function elementsRemoved(ctx: CommandContext, key: string, where: Where, list: ListValue, n: number): void {
  ctx.changed(key, 'l', popEvent(where));
  deleteIfEmpty(ctx, key, list);
  ctx.addDirty(n - 1);
}

/** addListRangeReply over normalized bounds; reverse walks from end to start. */
function replyRange(
  ctx: CommandContext,
  list: ListValue,
  start: number,
  end: number,
  reverse: boolean,
): void {
  const len = list.length;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) {
    ctx.reply.array(0);
    return;
  }
  if (end >= len) end = len - 1;
  ctx.reply.array(end - start + 1);
  if (reverse) for (let i = end; i >= start; i--) ctx.reply.bulk(list.at(i));
  else for (let i = start; i <= end; i++) ctx.reply.bulk(list.at(i));
}

/** Replies and removes up to count elements from one end (LPOP/RPOP with a count). */
function popRange(ctx: CommandContext, list: ListValue, where: Where, count: number): number {
  const n = Math.min(count, list.length);
  if (where === HEAD) {
    replyRange(ctx, list, 0, n - 1, false);
    list.dropHead(n);
  } else {
    replyRange(ctx, list, -n, -1, true);
    list.dropTail(n);
  }
  return n;
}

/** listPopRangeAndReplyWithKey: [key, [elements]] for LMPOP/BLMPOP. */
function popRangeWithKey(
  ctx: CommandContext,
  list: ListValue,
  key: string,
  where: Where,
  count: number,
): void {
  ctx.reply.array(2);
  ctx.reply.bulk(key);
  const n = popRange(ctx, list, where, count);
  elementsRemoved(ctx, key, where, list, n);
}

// ---- pushes ----

function pushGeneric(ctx: CommandContext, argv: string[], where: Where, onlyIfExists: boolean): void {
  const key = argv[1];
  let list = writeList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    if (onlyIfExists) {
      ctx.reply.integer(0);
      return;
    }
    list = createList(ctx, key);
  }
  for (let j = 2; j < argv.length; j++) {
    if (where === HEAD) list.pushHead(argv[j]);
    else list.pushTail(argv[j]);
  }
  ctx.reply.integer(list.length);
  ctx.changed(key, 'l', where === HEAD ? 'lpush' : 'rpush');
  ctx.addDirty(argv.length - 3);
}

function lpush(ctx: CommandContext, argv: string[]): void {
  pushGeneric(ctx, argv, HEAD, false);
}

function rpush(ctx: CommandContext, argv: string[]): void {
  pushGeneric(ctx, argv, TAIL, false);
}

function lpushx(ctx: CommandContext, argv: string[]): void {
  pushGeneric(ctx, argv, HEAD, true);
}

function rpushx(ctx: CommandContext, argv: string[]): void {
  pushGeneric(ctx, argv, TAIL, true);
}

/** LINSERT key BEFORE|AFTER pivot element */
function linsert(ctx: CommandContext, argv: string[]): void {
  let after: boolean;
  if (is(argv[2], 'AFTER')) after = true;
  else if (is(argv[2], 'BEFORE')) after = false;
  else {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const key = argv[1];
  const list = writeList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.integer(0);
    return;
  }
  const pivot = list.indexOf(argv[3]);
  if (pivot < 0) {
    ctx.reply.integer(-1);
    return;
  }
  list.insertAt(after ? pivot + 1 : pivot, argv[4]);
  ctx.changed(key, 'l', 'linsert');
  ctx.reply.integer(list.length);
}

// ---- reads ----

function llen(ctx: CommandContext, argv: string[]): void {
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  ctx.reply.integer(list === undefined ? 0 : list.length);
}

function lindex(ctx: CommandContext, argv: string[]): void {
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.nil();
    return;
  }
  let index = longArg(ctx, argv[2]);
  if (index === null) return;
  if (index < 0) index += list.length;
  if (index < 0 || index >= list.length) ctx.reply.nil();
  else ctx.reply.bulk(list.at(index));
}

function lrange(ctx: CommandContext, argv: string[]): void {
  const start = longArg(ctx, argv[2]);
  if (start === null) return;
  const end = longArg(ctx, argv[3]);
  if (end === null) return;
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  if (list === undefined) ctx.reply.array(0);
  else replyRange(ctx, list, start, end, false);
}

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
function lpos(ctx: CommandContext, argv: string[]): void {
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    const more = j + 1 < argv.length;
    if (is(opt, 'RANK') && more) {
      const v = parseInt64(argv[++j]);
      if (v === null) {
        ctx.reply.error(ERR.notInteger);
        return;
      }
      if (v === 0) {
        ctx.reply.error(RANK_ZERO);
        return;
      }
      // Negating LONG_MIN overflows in Redis and leaves it negative: every match then qualifies.
      rank = v === LONG_MIN ? -1 : Number(v);
    } else if (is(opt, 'COUNT') && more) {
      const v = positiveLongArg(ctx, argv[++j], "ERR COUNT can't be negative");
      if (v === null) return;
      count = v;
    } else if (is(opt, 'MAXLEN') && more) {
      const v = positiveLongArg(ctx, argv[++j], "ERR MAXLEN can't be negative");
      if (v === null) return;
      maxlen = v;
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const list = readList(ctx, argv[1]);
  if (list === null) return;
  if (list === undefined) {
    if (count !== -1) ctx.reply.array(0);
    else ctx.reply.nil();
    return;
  }
  const element = argv[2];
  const len = list.length;
  const limit = maxlen === 0 ? len : Math.min(maxlen, len);
  const found: number[] = [];
  let matches = 0;
  for (let scanned = 0; scanned < limit; scanned++) {
    const index = fromTail ? len - 1 - scanned : scanned;
    if (list.at(index) !== element) continue;
    matches++;
    if (matches < rank) continue;
    found.push(index);
    if (count === -1 || (count !== 0 && found.length >= count)) break;
  }
  if (count === -1) {
    if (found.length === 0) ctx.reply.nil();
    else ctx.reply.integer(found[0]);
    return;
  }
  ctx.reply.array(found.length);
  for (const i of found) ctx.reply.integer(i);
}

// ---- in-place writes ----

function lset(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const list = writeList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.error(ERR.noSuchKey);
    return;
  }
  let index = longArg(ctx, argv[2]);
  if (index === null) return;
  if (index < 0) index += list.length;
  if (index < 0 || index >= list.length) {
    ctx.reply.error(INDEX_OUT_OF_RANGE);
    return;
  }
  list.set(index, argv[3]);
  ctx.reply.ok();
  ctx.changed(key, 'l', 'lset');
}

function lrem(ctx: CommandContext, argv: string[]): void {
  const toRemove = longArg(ctx, argv[2]);
  if (toRemove === null) return;
  const key = argv[1];
  const list = writeList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.integer(0);
    return;
  }
  const removed = list.removeMatching(argv[3], Math.abs(toRemove), toRemove < 0);
  if (removed > 0) {
    ctx.changed(key, 'l', 'lrem');
    ctx.addDirty(removed - 1);
  }
  deleteIfEmpty(ctx, key, list);
  ctx.reply.integer(removed);
}

function ltrim(ctx: CommandContext, argv: string[]): void {
  let start = longArg(ctx, argv[2]);
  if (start === null) return;
  let end = longArg(ctx, argv[3]);
  if (end === null) return;
  const key = argv[1];
  const list = writeList(ctx, key);
  if (list === null) return;
  if (list === undefined) {
    ctx.reply.ok();
    return;
  }
  const len = list.length;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  let left: number;
  let right: number;
  if (start > end || start >= len) {
    left = len;
    right = 0;
  } else {
    if (end >= len) end = len - 1;
    left = start;
    right = len - end - 1;
  }
  list.dropHead(left);
  list.dropTail(right);
  ctx.notify('l', 'ltrim', key);
  deleteIfEmpty(ctx, key, list);
  // Trimming nothing still invalidates WATCH, but is not a change (nor propagated).
  ctx.db.touch(key);
  ctx.addDirty(left + right);
  ctx.reply.ok();
}

// ---- pops ----

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

export const listCommands: CommandFamily = {
  lpush,
  rpush,
  lpushx,
  rpushx,
  linsert,
  llen,
  lindex,
  lrange,
  lpos,
  lset,
  lrem,
  ltrim,
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
