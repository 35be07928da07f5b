/**
 * Sorted set range commands: ZRANGE (BYSCORE/BYLEX/REV/LIMIT/WITHSCORES), ZRANGESTORE and the
 * legacy ZRANGEBYSCORE/ZREVRANGEBYSCORE/ZRANGEBYLEX/ZREVRANGEBYLEX/ZREVRANGE, ZCOUNT, ZLEXCOUNT
 * and ZREMRANGEBYRANK/SCORE/LEX, following zrangeGenericCommand's parsing order.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { LEX_MAX, LEX_MIN, type LexRange, type ScoreRange } from '../store/types/skiplist.js';
import { ZSetValue } from '../store/types/zset.js';
import { is } from './args.js';
import { deleteIfEmpty, longArg, lookupTyped, storeKey, WRONGTYPE, zsetLimits } from './coll-common.js';
import { ERR } from './replies.js';

const ERR_NOT_FLOAT_RANGE = 'ERR min or max is not a float';
const ERR_NOT_LEX_RANGE = 'ERR min or max not valid string range item';

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * C's strtod as zslParseRange uses it: leading spaces allowed, the parse must end at the end of
 * the string (or at a NUL byte), and the empty string is 0. NaN and junk give null; overflow gives
 * an infinity, which is accepted.
 */
export function strtodWhole(s: string): number | null {
  const nul = s.indexOf('\0');
  const t = nul >= 0 ? s.slice(0, nul) : s;
  let i = 0;
  while (i < t.length && isSpace(t.charCodeAt(i))) i++;
  const start = i;
  if (t[i] === '+' || t[i] === '-') i++;
  const rest = t.slice(i).toLowerCase();
  if (rest === 'inf' || rest === 'infinity') return t[start] === '-' ? -Infinity : Infinity;
  if (rest.startsWith('nan')) return null;
  if (
    rest.startsWith('0x') &&
    (isHexDigit(t.charCodeAt(i + 2)) || (t[i + 2] === '.' && isHexDigit(t.charCodeAt(i + 3))))
  ) {
    const v = parseHex(t.slice(i + 2));
    if (v === null) return null;
    return t[start] === '-' ? -v : v;
  }
  const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.exec(t.slice(i));
  if (m === null) return t.length === 0 ? 0 : null;
  return Number(t.slice(start));
}

/** The hex digits (after "0x") with an optional fraction and binary exponent, all consumed. */
function parseHex(s: string): number | null {
  const m = /^([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(s);
  if (m === null) return null;
  const frac = m[2] ?? '';
  const mant = BigInt(`0x0${m[1]}${frac}`);
  const exp = Number.parseInt(m[3] ?? '0', 10) - 4 * frac.length;
  return Number(mant) * 2 ** exp;
}

/** zslParseRange: "(" makes a bound exclusive. */
export function parseScoreRange(min: string, max: string): ScoreRange | null {
  const minex = min.charCodeAt(0) === 0x28;
  const maxex = max.charCodeAt(0) === 0x28;
  const lo = strtodWhole(minex ? min.slice(1) : min);
  const hi = strtodWhole(maxex ? max.slice(1) : max);
  if (lo === null || hi === null) return null;
  return { min: lo, max: hi, minex, maxex };
}

function parseLexItem(s: string): { bound: LexRange['min']; ex: boolean } | null {
  const c = s.charCodeAt(0);
  const alone = s.length === 1 || s.charCodeAt(1) === 0;
  if (c === 0x2b && alone) return { bound: LEX_MAX, ex: true };
  if (c === 0x2d && alone) return { bound: LEX_MIN, ex: true };
  if (c === 0x28) return { bound: s.slice(1), ex: true };
  if (c === 0x5b) return { bound: s.slice(1), ex: false };
  return null;
}

/** zslParseLexRange: '[' inclusive, '(' exclusive, '-' and '+' the infinities. */
export function parseLexRange(min: string, max: string): LexRange | null {
  const lo = parseLexItem(min);
  const hi = parseLexItem(max);
  if (lo === null || hi === null) return null;
  return { min: lo.bound, max: hi.bound, minex: lo.ex, maxex: hi.ex };
}

export function readZSet(ctx: CommandContext, key: string): ZSetValue | undefined | typeof WRONGTYPE {
  return lookupTyped<ZSetValue>(ctx, key, 'zset', true);
}

/** Clamps a rank range like Redis; null when empty. */
export function clampRanks(start: number, end: number, length: number): [number, number] | null {
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) return null;
  if (end >= length) end = length - 1;
  return [start, end];
}

/** Writes members, with scores when asked: flat in RESP2, [member, score] pairs in RESP3. */
export function replyEntries(
  ctx: CommandContext,
  members: string[],
  scores: number[],
  withScores: boolean,
): void {
  const pairs = withScores && ctx.resp === 3;
  ctx.reply.array(withScores && !pairs ? members.length * 2 : members.length);
  for (let i = 0; i < members.length; i++) {
    if (pairs) ctx.reply.array(2);
    ctx.reply.bulk(members[i]);
    if (withScores) ctx.reply.double(scores[i]);
  }
}

type RangeType = 'auto' | 'rank' | 'score' | 'lex';
type Direction = 'auto' | 'forward' | 'reverse';

/**
 * zrangeGenericCommand. `at` is the index of the source key; `dst` is the destination for
 * ZRANGESTORE. Options are parsed before the range, the range before the key is looked up.
 */
function zrangeGeneric(
  ctx: CommandContext,
  argv: string[],
  at: number,
  dst: string | null,
  type: RangeType,
  direction: Direction,
): void {
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = at + 3; j < argv.length; j++) {
    const a = argv[j];
    if (dst === null && is(a, 'WITHSCORES')) {
      withScores = true;
    } else if (is(a, 'LIMIT') && argv.length - j - 1 >= 2) {
      const o = longArg(ctx, argv[j + 1]);
      if (o === null) return;
      const l = longArg(ctx, argv[j + 2]);
      if (l === null) return;
      offset = o;
      limit = l;
      j += 2;
    } else if (direction === 'auto' && is(a, 'REV')) {
      direction = 'reverse';
    } else if (type === 'auto' && is(a, 'BYLEX')) {
      type = 'lex';
    } else if (type === 'auto' && is(a, 'BYSCORE')) {
      type = 'score';
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const reverse = direction === 'reverse';
  if (type === 'auto') type = 'rank';
  if (limit !== -1 && type === 'rank') {
    ctx.reply.error('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    return;
  }
  if (withScores && type === 'lex') {
    ctx.reply.error('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
    return;
  }
  // Reverse score and lex ranges are given as max, min.
  let [minArg, maxArg] = [argv[at + 1], argv[at + 2]];
  if (reverse && type !== 'rank') [minArg, maxArg] = [maxArg, minArg];

  let collect: (z: ZSetValue, fn: (m: string, s: number) => void) => void;
  if (type === 'rank') {
    const start = longArg(ctx, minArg);
    if (start === null) return;
    const end = longArg(ctx, maxArg);
    if (end === null) return;
    collect = (z, fn) => {
      const r = clampRanks(start, end, z.size);
      if (r !== null) z.rangeByRank(r[0], r[1], reverse, fn);
    };
  } else if (type === 'score') {
    const range = parseScoreRange(minArg, maxArg);
    if (range === null) {
      ctx.reply.error(ERR_NOT_FLOAT_RANGE);
      return;
    }
    collect = (z, fn) => {
      if (offset > 0 && offset >= z.size) return;
      z.rangeByScore(range, reverse, offset, limit, fn);
    };
  } else {
    const range = parseLexRange(minArg, maxArg);
    if (range === null) {
      ctx.reply.error(ERR_NOT_LEX_RANGE);
      return;
    }
    collect = (z, fn) => {
      if (offset > 0 && offset >= z.size) return;
      z.rangeByLex(range, reverse, offset, limit, fn);
    };
  }

  const z = readZSet(ctx, argv[at]);
  if (z === WRONGTYPE) return;
  const members: string[] = [];
  const scores: number[] = [];
  if (z !== undefined) {
    collect(z, (m, s) => {
      members.push(m);
      scores.push(s);
    });
  }
  if (dst !== null) storeRange(ctx, dst, members, scores);
  else replyEntries(ctx, members, scores, withScores);
}

function storeRange(ctx: CommandContext, dst: string, members: string[], scores: number[]): void {
  if (members.length === 0) {
    if (ctx.db.delete(dst)) ctx.changed(dst, 'g', 'del');
    ctx.reply.integer(0);
    return;
  }
  const result = ZSetValue.fromEntries(
    members.map((m, i): [string, number] => [m, scores[i]]),
    zsetLimits(ctx),
  );
  storeKey(ctx, dst, result);
  ctx.changed(dst, 'z', 'zrangestore');
  ctx.reply.integer(members.length);
}

function zrange(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, null, 'auto', 'auto');
}

function zrangestore(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 2, argv[1], 'auto', 'auto');
}

function zrevrange(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, null, 'rank', 'reverse');
}

function zrangebyscore(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, null, 'score', 'forward');
}

function zrevrangebyscore(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, null, 'score', 'reverse');
}

function zrangebylex(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, null, 'lex', 'forward');
}

function zrevrangebylex(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, null, 'lex', 'reverse');
}

function zcount(ctx: CommandContext, argv: string[]): void {
  const range = parseScoreRange(argv[2], argv[3]);
  if (range === null) {
    ctx.reply.error(ERR_NOT_FLOAT_RANGE);
    return;
  }
  const z = readZSet(ctx, argv[1]);
  if (z === WRONGTYPE) return;
  ctx.reply.integer(z === undefined ? 0 : z.countInScoreRange(range));
}

function zlexcount(ctx: CommandContext, argv: string[]): void {
  const range = parseLexRange(argv[2], argv[3]);
  if (range === null) {
    ctx.reply.error(ERR_NOT_LEX_RANGE);
    return;
  }
  const z = readZSet(ctx, argv[1]);
  if (z === WRONGTYPE) return;
  ctx.reply.integer(z === undefined ? 0 : z.countInLexRange(range));
}

/** zremrangeGenericCommand: parse the range, then look the key up for writing. */
function zremrangeGeneric(ctx: CommandContext, argv: string[], type: 'rank' | 'score' | 'lex'): void {
  const key = argv[1];
  let remove: (z: ZSetValue) => number;
  if (type === 'rank') {
    const start = longArg(ctx, argv[2]);
    if (start === null) return;
    const end = longArg(ctx, argv[3]);
    if (end === null) return;
    remove = (z) => {
      const r = clampRanks(start, end, z.size);
      return r === null ? 0 : z.deleteRangeByRank(r[0], r[1]);
    };
  } else if (type === 'score') {
    const range = parseScoreRange(argv[2], argv[3]);
    if (range === null) {
      ctx.reply.error(ERR_NOT_FLOAT_RANGE);
      return;
    }
    remove = (z) => z.deleteRangeByScore(range);
  } else {
    const range = parseLexRange(argv[2], argv[3]);
    if (range === null) {
      ctx.reply.error(ERR_NOT_LEX_RANGE);
      return;
    }
    remove = (z) => z.deleteRangeByLex(range);
  }
  const z = lookupTyped<ZSetValue>(ctx, key, 'zset', false);
  if (z === WRONGTYPE) return;
  const deleted = z === undefined ? 0 : remove(z);
  if (deleted > 0) {
    ctx.changed(key, 'z', `zremrangeby${type}`);
    ctx.addDirty(deleted - 1);
    deleteIfEmpty(ctx, key, z!);
  }
  ctx.reply.integer(deleted);
}

export const zsetRangeCommands: CommandFamily = {
  zrange,
  zrangestore,
  zrevrange,
  zrangebyscore,
  zrevrangebyscore,
  zrangebylex,
  zrevrangebylex,
  zcount,
  zlexcount,
  zremrangebyrank: (ctx, argv) => zremrangeGeneric(ctx, argv, 'rank'),
  zremrangebyscore: (ctx, argv) => zremrangeGeneric(ctx, argv, 'score'),
  zremrangebylex: (ctx, argv) => zremrangeGeneric(ctx, argv, 'lex'),
};
