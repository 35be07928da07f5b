/**
 * Sorted set commands (Redis's t_zset.c): ZADD/ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK,
 * ZREVRANK, ZRANDMEMBER, ZSCAN. Ranges, pops and set operations live in zset-ranges.ts,
 * zset-pops.ts and zset-setops.ts; zsetCommands gathers them all.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { formatDouble, parseDouble } from '../lib/numbers.js';
import {
  ZADD_GT,
  ZADD_INCR,
  ZADD_LT,
  ZADD_NX,
  ZADD_XX,
  ZAddOutcome,
  ZSetValue,
} from '../store/types/zset.js';
import { is } from './args.js';
import {
  addKey,
  deleteIfEmpty,
  lookupTyped,
  randomCountArg,
  randomDistinct,
  randomIndexes,
  replyEmptyScan,
  runScan,
  scanCursorArg,
  scanOptions,
  WRONGTYPE,
  withValuesCountOk,
  zsetLimits,
} from './coll-common.js';
import { ERR } from './replies.js';
import { zsetPopCommands } from './zset-pops.js';
import { readZSet, zsetRangeCommands } from './zset-ranges.js';
import { zsetSetOpCommands } from './zset-setops.js';

const ERR_NAN_SCORE = 'ERR resulting score is not a number (NaN)';

function writeZSet(ctx: CommandContext, key: string): ZSetValue | undefined | typeof WRONGTYPE {
  return lookupTyped<ZSetValue>(ctx, key, 'zset', false);
}

/** zaddGenericCommand: ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member …, and ZINCRBY. */
function zaddGeneric(ctx: CommandContext, argv: string[], flags: number): void {
  const key = argv[1];
  let ch = false;
  let at = 2;
  for (; at < argv.length; at++) {
    const opt = argv[at];
    if (is(opt, 'NX')) flags |= ZADD_NX;
    else if (is(opt, 'XX')) flags |= ZADD_XX;
    else if (is(opt, 'CH')) ch = true;
    else if (is(opt, 'INCR')) flags |= ZADD_INCR;
    else if (is(opt, 'GT')) flags |= ZADD_GT;
    else if (is(opt, 'LT')) flags |= ZADD_LT;
    else break;
  }
  const pairs = argv.length - at;
  if (pairs % 2 !== 0 || pairs === 0) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const elements = pairs / 2;
  const incr = (flags & ZADD_INCR) !== 0;
  if (flags & ZADD_NX && flags & ZADD_XX) {
    ctx.reply.error('ERR XX and NX options at the same time are not compatible');
    return;
  }
  if ((flags & ZADD_NX && flags & (ZADD_GT | ZADD_LT)) || (flags & ZADD_GT && flags & ZADD_LT)) {
    ctx.reply.error('ERR GT, LT, and/or NX options at the same time are not compatible');
    return;
  }
  if (incr && elements > 1) {
    ctx.reply.error('ERR INCR option supports a single increment-element pair');
    return;
  }
  // All scores are checked before anything changes: the command applies fully or not at all.
  const scores: number[] = new Array(elements);
  for (let j = 0; j < elements; j++) {
    const s = parseDouble(argv[at + j * 2]);
    if (s === null) {
      ctx.reply.error(ERR.notFloat);
      return;
    }
    scores[j] = s;
  }
  let z = writeZSet(ctx, key);
  if (z === WRONGTYPE) return;
  const limits = zsetLimits(ctx);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (z === undefined && flags & ZADD_XX) {
    replyZadd(ctx, incr, ch, 0, 0, 0, 0);
    return;
  }
  if (z === undefined) {
    z = new ZSetValue(limits.entries === 0 || limits.value < argv[at + 1].length);
    addKey(ctx, key, z);
  }
  let nan = false;
  for (let j = 0; j < elements && !nan; j++) {
    const outcome = z.add(scores[j], argv[at + 1 + j * 2], flags, limits);
    if (outcome === ZAddOutcome.Nan) nan = true;
    else if (outcome === ZAddOutcome.Added) added++;
    else if (outcome === ZAddOutcome.Updated) updated++;
    if (outcome !== ZAddOutcome.Nop && outcome !== ZAddOutcome.Nan) {
      processed++;
      score = z.lastScore;
    }
  }
  // Only INCR can hit NaN (inf + -inf), and then on a single, existing element.
  if (nan) ctx.reply.error(ERR_NAN_SCORE);
  else replyZadd(ctx, incr, ch, added, updated, processed, score);
  if (added + updated > 0) {
    ctx.changed(key, 'z', incr ? 'zincr' : 'zadd');
    ctx.addDirty(added + updated - 1);
  }
}

function replyZadd(
  ctx: CommandContext,
  incr: boolean,
  ch: boolean,
  added: number,
  updated: number,
  processed: number,
  score: number,
): void {
  if (!incr) ctx.reply.integer(ch ? added + updated : added);
  else if (processed > 0) ctx.reply.double(score);
  else ctx.reply.nil();
}

function zadd(ctx: CommandContext, argv: string[]): void {
  zaddGeneric(ctx, argv, 0);
}

function zincrby(ctx: CommandContext, argv: string[]): void {
  zaddGeneric(ctx, argv, ZADD_INCR);
}

function zrem(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const z = writeZSet(ctx, key);
  if (z === WRONGTYPE) return;
  if (z === undefined) {
    ctx.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (z.delete(argv[i])) deleted++;
    if (z.size === 0) break;
  }
  if (deleted > 0) {
    ctx.changed(key, 'z', 'zrem');
    ctx.addDirty(deleted - 1);
    deleteIfEmpty(ctx, key, z);
  }
  ctx.reply.integer(deleted);
}

function zcard(ctx: CommandContext, argv: string[]): void {
  const z = readZSet(ctx, argv[1]);
  if (z === WRONGTYPE) return;
  ctx.reply.integer(z?.size ?? 0);
}

function zscore(ctx: CommandContext, argv: string[]): void {
  const z = readZSet(ctx, argv[1]);
  if (z === WRONGTYPE) return;
  const s = z?.score(argv[2]);
  if (s === undefined) ctx.reply.nil();
  else ctx.reply.double(s);
}

function zmscore(ctx: CommandContext, argv: string[]): void {
  const z = readZSet(ctx, argv[1]);
  if (z === WRONGTYPE) return;
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]);
    if (s === undefined) ctx.reply.nil();
    else ctx.reply.double(s);
  }
}

function zrankGeneric(ctx: CommandContext, argv: string[], reverse: boolean): void {
  const z = readZSet(ctx, argv[1]);
  if (z === WRONGTYPE) return;
  const r = z?.rank(argv[2], reverse);
  if (r === undefined) ctx.reply.nil();
  else ctx.reply.integer(r);
}

/** ZRANDMEMBER key [count [WITHSCORES]] */
function zrandmember(ctx: CommandContext, argv: string[]): void {
  if (argv.length >= 3) {
    const count = randomCountArg(ctx, argv[2]);
    if (count === null) return;
    if (argv.length > 4 || (argv.length === 4 && !is(argv[3], 'WITHSCORES'))) {
      ctx.reply.error(ERR.syntax);
      return;
    }
    const withScores = argv.length === 4;
    if (withScores && !withValuesCountOk(ctx, argv[2])) return;
    zrandmemberWithCount(ctx, argv[1], count, withScores);
    return;
  }
  const z = readZSet(ctx, argv[1]);
  if (z === WRONGTYPE) return;
  if (z === undefined) ctx.reply.nil();
  else ctx.reply.bulk(z.randomEntry()[0]);
}

function zrandmemberWithCount(ctx: CommandContext, key: string, count: number, withScores: boolean): void {
  const z = readZSet(ctx, key);
  if (z === WRONGTYPE) return;
  if (z === undefined || count === 0) {
    ctx.reply.array(0);
    return;
  }
  const pairs = withScores && ctx.resp === 3;
  const emit = (member: string, score: number) => {
    if (pairs) ctx.reply.array(2);
    ctx.reply.bulk(member);
    if (withScores) ctx.reply.double(score);
  };
  const header = (n: number) => ctx.reply.array(withScores && ctx.resp === 2 ? n * 2 : n);
  if (count < 0 || count === 1) {
    const n = Math.abs(count);
    header(n);
    for (let i = 0; i < n; i++) {
      const [m, s] = z.randomEntry();
      emit(m, s);
    }
    return;
  }
  if (count >= z.size) {
    // The whole set, from the highest score down, as Redis walks it.
    header(z.size);
    z.rangeByRank(0, z.size - 1, true, emit);
    return;
  }
  header(count);
  if (z.isListpack || count * 3 > z.size) {
    for (const i of randomIndexes(z.size, count)) {
      const [m, s] = z.at(i);
      emit(m, s);
    }
  } else {
    for (const m of randomDistinct(count, () => z.randomEntry()[0])) emit(m, z.score(m)!);
  }
}

function zscan(ctx: CommandContext, argv: string[]): void {
  const cursor = scanCursorArg(ctx, argv[2]);
  if (cursor === null) return;
  const z = readZSet(ctx, argv[1]);
  if (z === WRONGTYPE) return;
  if (z === undefined) {
    replyEmptyScan(ctx);
    return;
  }
  const opts = scanOptions(ctx, argv);
  if (opts === null) return;
  const step = z.isListpack
    ? null
    : (c: number, out: string[]) => z.scan(c, (m, s) => out.push(m, formatDouble(s)));
  runScan(ctx, cursor, opts, true, step, () => {
    const out: string[] = [];
    z.forEach((m, s) => {
      out.push(m, formatDouble(s));
    });
    return out;
  });
}

export const zsetCommands: CommandFamily = {
  zadd,
  zincrby,
  zrem,
  zcard,
  zscore,
  zmscore,
  zrank: (ctx, argv) => zrankGeneric(ctx, argv, false),
  zrevrank: (ctx, argv) => zrankGeneric(ctx, argv, true),
  zrandmember,
  zscan,
  ...zsetPopCommands,
  ...zsetRangeCommands,
  ...zsetSetOpCommands,
};
