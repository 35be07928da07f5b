/** What the list commands share: lookups with type checks, argument parsers, pops and range replies. */

import type { CommandContext } from '../core/context.js';
import { parseInt64 } from '../lib/numbers.js';
import { ListValue } from '../store/types/list.js';
import { is } from './args.js';
import { lookupRead } from './keys.js';
import { ERR } from './replies.js';

export const HEAD = 0;
export const TAIL = 1;
export type Where = typeof HEAD | typeof TAIL;

export const INDEX_OUT_OF_RANGE = 'ERR index out of range';
export const RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
export const LONG_MIN = -9223372036854775808n;

/** lookupKeyWrite + checkType: the list, undefined if absent, null after replying WRONGTYPE. */
export function writeList(ctx: CommandContext, key: string): ListValue | undefined | null {
  const v = ctx.db.get(key);
  if (v === undefined || v instanceof ListValue) return v;
  ctx.reply.error(ERR.wrongType);
  return null;
}

/** lookupKeyRead (hit/miss stats, keymiss event) + checkType. */
export function readList(ctx: CommandContext, key: string): ListValue | undefined | null {
  const v = lookupRead(ctx, key);
  if (v === undefined || v instanceof ListValue) return v;
  ctx.reply.error(ERR.wrongType);
  return null;
}

/** getLongFromObjectOrReply: an int64 as a number (ranges only compare it with lengths). */
export function longArg(ctx: CommandContext, s: string, msg: string = ERR.notInteger): number | null {
  const v = parseInt64(s);
  if (v === null) {
    ctx.reply.error(msg);
    return null;
  }
  return Number(v);
}

/** getPositiveLongFromObjectOrReply: msg replaces both the syntax and the range error. */
export function positiveLongArg(
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
export function whereArg(ctx: CommandContext, s: string): Where | null {
  if (is(s, 'LEFT')) return HEAD;
  if (is(s, 'RIGHT')) return TAIL;
  ctx.reply.error(ERR.syntax);
  return null;
}

export function popEvent(where: Where): string {
  return where === HEAD ? 'lpop' : 'rpop';
}

export function popName(where: Where): string {
  return where === HEAD ? 'LPOP' : 'RPOP';
}

export function pop(list: ListValue, where: Where): string {
  return (where === HEAD ? list.popHead() : list.popTail())!;
}

/** dbAdd of a new, empty list: 'new' event, and clients blocked on the key get a chance. */
export function createList(ctx: CommandContext, key: string): ListValue {
  const list = new ListValue();
  ctx.db.set(key, list);
  ctx.signalKeyReady(key);
  return list;
}

/** Deletes a list left empty, as every popping command does. */
export function deleteIfEmpty(ctx: CommandContext, key: string, list: ListValue): void {
  if (list.length !== 0) return;
  ctx.db.delete(key);
  ctx.notify('g', 'del', key);
}

/** listElementsRemoved: pop event, delete if empty, WATCH touch, dirty += n. */
export function elementsRemoved(
  ctx: CommandContext,
  key: string,
  where: Where,
  list: ListValue,
  n: number,
): void {
  ctx.changed(key, 'l', popEvent(where));
  deleteIfEmpty(ctx, key, list);
  ctx.addDirty(n - 1);
}

/** addListRangeReply over normalized bounds; reverse walks from end to start. */
export function replyRange(
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
export function popRange(ctx: CommandContext, list: ListValue, where: Where, count: number): number {
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
export function popRangeWithKey(
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
