/**
 * Lists (Redis's t_list.c): pushes, LINSERT, LLEN, LINDEX, LRANGE, LPOS, LSET, LREM, LTRIM. Pops,
 * moves and their blocking forms are in list-pops.ts.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { parseInt64 } from '../lib/numbers.js';
import { is } from './args.js';
import {
  createList,
  deleteIfEmpty,
  HEAD,
  INDEX_OUT_OF_RANGE,
  LONG_MIN,
  longArg,
  positiveLongArg,
  RANK_ZERO,
  readList,
  replyRange,
  TAIL,
  type Where,
  writeList,
} from './list-common.js';
import { ERR } from './replies.js';

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
};
