/**
 * Sorted set pops: ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN, BZPOPMAX, BZMPOP
 * (genericZpopCommand and blockingGenericZpopCommand). Replicas get ZPOPMIN/ZPOPMAX.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { ZSetValue } from '../store/types/zset.js';
import { is } from './args.js';
import { deleteIfEmpty, lookupTyped, positiveLongArg, rangeLongArg, WRONGTYPE } from './coll-common.js';
import { ERR } from './replies.js';
import { timeoutArg } from './timeout-arg.js';

const LONG_MAX = 9223372036854775807n;

/**
 * Reply shapes of genericZpopCommand: flat [m, s, …] (ZPOPMIN/ZPOPMAX, and RESP3 without count),
 * pairs [[m, s], …] (RESP3 with count), keyFlat [key, m, s] (BZPOPMIN/BZPOPMAX) and keyPairs
 * [key, [[m, s], …]] (ZMPOP/BZMPOP).
 */
type PopReply = 'flat' | 'pairs' | 'keyFlat' | 'keyPairs';

/**
 * Pops up to count (-1: the plain single pop) entries of z, replies, notifies, deletes the key if
 * emptied. Returns how many were popped.
 */
function popEntries(
  ctx: CommandContext,
  key: string,
  z: ZSetValue,
  max: boolean,
  count: number,
  shape: PopReply,
): number {
  const n = Math.min(count === -1 ? 1 : count, z.size);
  const nested = shape === 'pairs' || shape === 'keyPairs';
  if (shape === 'keyPairs') {
    ctx.reply.array(2);
    ctx.reply.bulk(key);
    ctx.reply.array(n);
  } else if (shape === 'keyFlat') {
    ctx.reply.array(n * 2 + 1);
    ctx.reply.bulk(key);
  } else {
    ctx.reply.array(nested ? n : n * 2);
  }
  for (let i = 0; i < n; i++) {
    const [member, score] = z.at(max ? z.size - 1 : 0);
    z.delete(member);
    if (nested) ctx.reply.array(2);
    ctx.reply.bulk(member);
    ctx.reply.double(score);
  }
  ctx.changed(key, 'z', max ? 'zpopmax' : 'zpopmin');
  ctx.addDirty(n - 1);
  deleteIfEmpty(ctx, key, z);
  return n;
}

/** The first existing key's zset; WRONGTYPE (replied) stops the search, as in Redis. */
function firstZSet(ctx: CommandContext, keys: string[]): [string, ZSetValue] | undefined | typeof WRONGTYPE {
  for (const k of keys) {
    const z = lookupTyped<ZSetValue>(ctx, k, 'zset', false);
    if (z === WRONGTYPE) return WRONGTYPE;
    if (z !== undefined) return [k, z];
  }
  return undefined;
}

/** What replicas get for a pop: ZPOPMIN/ZPOPMAX key, or with the number popped for a count form. */
function popCommand(max: boolean, key: string, count: number, popped: number): string[] {
  const argv = [max ? 'ZPOPMAX' : 'ZPOPMIN', key];
  if (count !== -1) argv.push(String(popped));
  return argv;
}

function zpopMinMax(ctx: CommandContext, argv: string[], max: boolean): void {
  if (argv.length > 3) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  let count = -1;
  if (argv.length === 3) {
    const c = positiveLongArg(ctx, argv[2]);
    if (c === null) return;
    count = c;
  }
  const found = firstZSet(ctx, [argv[1]]);
  if (found === WRONGTYPE) return;
  if (found === undefined || count === 0) {
    ctx.reply.array(0);
    return;
  }
  popEntries(ctx, found[0], found[1], max, count, ctx.resp === 3 && count !== -1 ? 'pairs' : 'flat');
}

/** ZMPOP/BZMPOP arguments from numkeysAt: the keys, MIN|MAX and COUNT (null after an error). */
function parseZmpop(
  ctx: CommandContext,
  argv: string[],
  numkeysAt: number,
): { keys: string[]; max: boolean; count: number } | null {
  const numkeys = rangeLongArg(ctx, argv[numkeysAt], 1n, LONG_MAX, 'ERR numkeys should be greater than 0');
  if (numkeys === null) return null;
  const whereAt = numkeysAt + numkeys + 1;
  if (whereAt >= argv.length || !(is(argv[whereAt], 'MIN') || is(argv[whereAt], 'MAX'))) {
    ctx.reply.error(ERR.syntax);
    return null;
  }
  let count = -1;
  for (let j = whereAt + 1; j < argv.length; j++) {
    if (count === -1 && is(argv[j], 'COUNT') && j + 1 < argv.length) {
      const c = rangeLongArg(ctx, argv[++j], 1n, LONG_MAX, 'ERR count should be greater than 0');
      if (c === null) return null;
      count = c;
    } else {
      ctx.reply.error(ERR.syntax);
      return null;
    }
  }
  return {
    keys: argv.slice(numkeysAt + 1, whereAt),
    max: is(argv[whereAt], 'MAX'),
    count: count === -1 ? 1 : count,
  };
}

function zmpop(ctx: CommandContext, argv: string[]): void {
  const args = parseZmpop(ctx, argv, 1);
  if (args === null) return;
  const found = firstZSet(ctx, args.keys);
  if (found === WRONGTYPE) return;
  if (found === undefined) {
    ctx.reply.nilArray();
    return;
  }
  const popped = popEntries(ctx, found[0], found[1], args.max, args.count, 'keyPairs');
  ctx.rewriteArgv(popCommand(args.max, found[0], args.count, popped));
}

/**
 * blockingGenericZpopCommand: pops at once from the first existing key, otherwise blocks on all
 * of them (or answers a null array where blocking is not allowed: EXEC, scripts).
 */
function blockingPop(
  ctx: CommandContext,
  keys: string[],
  max: boolean,
  timeoutText: string,
  count: number,
  shape: PopReply,
): void {
  const timeoutMs = timeoutArg(ctx, timeoutText);
  if (timeoutMs === null) return;
  const found = firstZSet(ctx, keys);
  if (found === WRONGTYPE) return;
  if (found !== undefined) {
    const popped = popEntries(ctx, found[0], found[1], max, count, shape);
    ctx.rewriteArgv(popCommand(max, found[0], count, popped));
    return;
  }
  if (!ctx.canBlock) {
    ctx.reply.nilArray();
    return;
  }
  ctx.block({
    keys,
    timeoutMs,
    valueType: 'zset',
    serve: (receiver, key) => {
      const z = receiver.db.get(key);
      if (!(z instanceof ZSetValue) || z.size === 0) return false;
      const popped = popEntries(receiver, key, z, max, count, shape);
      receiver.alsoPropagate(popCommand(max, key, count, popped));
      return true;
    },
  });
}

function bzpopMinMax(ctx: CommandContext, argv: string[], max: boolean): void {
  blockingPop(ctx, argv.slice(1, -1), max, argv[argv.length - 1], -1, 'keyFlat');
}

function bzmpop(ctx: CommandContext, argv: string[]): void {
  const args = parseZmpop(ctx, argv, 2);
  if (args === null) return;
  blockingPop(ctx, args.keys, args.max, argv[1], args.count, 'keyPairs');
}

export const zsetPopCommands: CommandFamily = {
  zpopmin: (ctx, argv) => zpopMinMax(ctx, argv, false),
  zpopmax: (ctx, argv) => zpopMinMax(ctx, argv, true),
  zmpop,
  bzpopmin: (ctx, argv) => bzpopMinMax(ctx, argv, false),
  bzpopmax: (ctx, argv) => bzpopMinMax(ctx, argv, true),
  bzmpop,
};
