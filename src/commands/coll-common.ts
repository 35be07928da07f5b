/**
 * Pieces shared by the hash, set and sorted set commands: typed key lookups, the encoding
 * thresholds from the configuration, Redis's long-argument checks, the random-count argument of
 * HRANDFIELD/ZRANDMEMBER and the HSCAN/SSCAN/ZSCAN machinery.
 */

import type { CommandContext } from '../core/context.js';
import { globMatch } from '../lib/glob.js';
import { parseInt64 } from '../lib/numbers.js';
import type { HashLimits } from '../store/types/hash.js';
import type { ZSetLimits } from '../store/types/zset.js';
import type { CollectionValue, TypeName } from '../store/values.js';
import { isString } from '../store/values.js';
import { is, keyMiss, WRONGTYPE } from './args.js';
import { ERR } from './replies.js';

export { WRONGTYPE };

const LONG_MAX = 9223372036854775807n;

/**
 * Looks a key up expecting a collection of one type. `read` lookups count keyspace hits and
 * misses (Redis's lookupKeyRead); write lookups do not. WRONGTYPE is replied before returning it.
 */
export function lookupTyped<T extends CollectionValue>(
  ctx: CommandContext,
  key: string,
  type: TypeName,
  read: boolean,
): T | undefined | typeof WRONGTYPE {
  const v = ctx.db.get(key);
  if (read) {
    if (v === undefined) keyMiss(ctx, key);
    else ctx.keyspace.hits++;
  }
  if (v === undefined) return undefined;
  if (isString(v) || v.type !== type) {
    ctx.reply.error(ERR.wrongType);
    return WRONGTYPE;
  }
  return v as T;
}

/** A numeric directive, with Redis's compiled-in default while the directive is not registered. */
function configNum(ctx: CommandContext, name: string, fallback: number): number {
  const v = ctx.server.config.get(name);
  return typeof v === 'number' ? v : fallback;
}

export function hashLimits(ctx: CommandContext): HashLimits {
  return {
    entries: configNum(ctx, 'hash-max-listpack-entries', 512),
    value: configNum(ctx, 'hash-max-listpack-value', 64),
  };
}

export function zsetLimits(ctx: CommandContext): ZSetLimits {
  return {
    entries: configNum(ctx, 'zset-max-listpack-entries', 128),
    value: configNum(ctx, 'zset-max-listpack-value', 64),
  };
}

export function maxIntsetEntries(ctx: CommandContext): number {
  return configNum(ctx, 'set-max-intset-entries', 512);
}

/**
 * Redis's getRangeLongFromObjectOrReply: an integer within [min, max], else an error reply (msg
 * for both failures when given) and null.
 */
export function rangeLongArg(
  ctx: CommandContext,
  s: string,
  min: bigint,
  max: bigint,
  msg?: string,
): number | null {
  const v = parseInt64(s);
  if (v === null) {
    ctx.reply.error(msg ?? ERR.notInteger);
    return null;
  }
  const big = BigInt(v);
  if (big < min || big > max) {
    ctx.reply.error(msg ?? `ERR value is out of range, value must between ${min} and ${max}`);
    return null;
  }
  return Number(v);
}

/** getPositiveLongFromObjectOrReply: 0..LONG_MAX. */
export function positiveLongArg(ctx: CommandContext, s: string, msg?: string): number | null {
  return rangeLongArg(ctx, s, 0n, LONG_MAX, msg ?? ERR.outOfRangePositive);
}

/** getLongFromObjectOrReply. */
export function longArg(ctx: CommandContext, s: string): number | null {
  const v = parseInt64(s);
  if (v === null) {
    ctx.reply.error(ERR.notInteger);
    return null;
  }
  return Number(v);
}

/**
 * The count of HRANDFIELD/ZRANDMEMBER/SRANDMEMBER: -LONG_MAX..LONG_MAX (the option check comes
 * between this and withValuesCountOk).
 */
export function randomCountArg(ctx: CommandContext, s: string): number | null {
  return rangeLongArg(ctx, s, -LONG_MAX, LONG_MAX);
}

/** With values the reply doubles, so the count must stay within LONG_MAX/2 either way. */
export function withValuesCountOk(ctx: CommandContext, s: string): boolean {
  const big = BigInt(s);
  if (big < -LONG_MAX / 2n || big > LONG_MAX / 2n) {
    ctx.reply.error('ERR value is out of range');
    return false;
  }
  return true;
}

const ULONG_RANGE = 1n << 64n;

/**
 * Redis's parseScanCursorOrReply (strtoul base 10: optional sign, digits, nothing after; the empty
 * string is cursor 0). Returns the low 32 bits, all a Dict cursor uses, or null after replying.
 */
export function scanCursorArg(ctx: CommandContext, s: string): number | null {
  const nul = s.indexOf('\0');
  const text = nul >= 0 ? s.slice(0, nul) : s;
  if (text === '') return 0;
  if (!/^[+-]?\d+$/.test(text)) {
    ctx.reply.error(ERR.invalidCursor);
    return null;
  }
  let v = BigInt(text);
  if (v >= ULONG_RANGE || v <= -ULONG_RANGE) {
    ctx.reply.error(ERR.invalidCursor);
    return null;
  }
  if (v < 0n) v += ULONG_RANGE;
  return Number(v & 0xffffffffn);
}

export interface ScanOptions {
  count: number;
  /** null when absent or exactly "*". */
  pattern: string | null;
}

/** HSCAN/SSCAN/ZSCAN options from argv[3] on: COUNT n (>= 1) and MATCH pattern. */
export function scanOptions(ctx: CommandContext, argv: string[]): ScanOptions | null {
  const opts: ScanOptions = { count: 10, pattern: null };
  for (let i = 3; i < argv.length; i += 2) {
    const hasValue = i + 1 < argv.length;
    if (hasValue && is(argv[i], 'COUNT')) {
      const n = longArg(ctx, argv[i + 1]);
      if (n === null) return null;
      if (n < 1) {
        ctx.reply.error(ERR.syntax);
        return null;
      }
      opts.count = n;
    } else if (hasValue && is(argv[i], 'MATCH')) {
      opts.pattern = argv[i + 1] === '*' ? null : argv[i + 1];
    } else {
      ctx.reply.error(ERR.syntax);
      return null;
    }
  }
  return opts;
}

/** The reply for a missing key: cursor 0, no elements. */
export function replyEmptyScan(ctx: CommandContext): void {
  ctx.reply.array(2);
  ctx.reply.bulk('0');
  ctx.reply.array(0);
}

/**
 * Runs a scan like Redis's scanGenericCommand. `step` does one dict scan step pushing items
 * (single members, or key/value pairs when `pairs`) and returns the next cursor; it is null for
 * the compact encodings, whose items `all` returns at once with cursor 0.
 */
export function runScan(
  ctx: CommandContext,
  cursor: number,
  opts: ScanOptions,
  pairs: boolean,
  step: ((cursor: number, out: string[]) => number) | null,
  all: () => string[],
): void {
  let items: string[];
  if (step === null) {
    items = all();
    cursor = 0;
  } else {
    items = [];
    const wanted = pairs ? opts.count * 2 : opts.count;
    let maxIterations = wanted * 10;
    do {
      cursor = step(cursor, items);
    } while (cursor !== 0 && maxIterations-- > 0 && items.length < wanted);
  }
  if (opts.pattern !== null) items = filterItems(items, opts.pattern, pairs);
  ctx.reply.array(2);
  ctx.reply.bulk(String(cursor));
  ctx.reply.bulks(items);
}

function filterItems(items: string[], pattern: string, pairs: boolean): string[] {
  const out: string[] = [];
  const stride = pairs ? 2 : 1;
  for (let i = 0; i < items.length; i += stride) {
    if (!globMatch(pattern, items[i])) continue;
    out.push(items[i]);
    if (pairs) out.push(items[i + 1]);
  }
  return out;
}

/** Keyspace bookkeeping after removing elements: deletes the key once the collection is empty. */
export function deleteIfEmpty(ctx: CommandContext, key: string, value: { size: number }): boolean {
  if (value.size !== 0) return false;
  ctx.db.delete(key);
  ctx.notify('g', 'del', key);
  return true;
}

/**
 * `count` distinct indexes out of [0, size) (count < size), chosen uniformly. Ascending, since
 * Redis returns a compact encoding's sample in its stored order (lpRandomPairsUnique).
 */
export function randomIndexes(size: number, count: number): number[] {
  // Floyd's algorithm: count steps whatever the ratio.
  const chosen = new Set<number>();
  for (let j = size - count; j < size; j++) {
    const t = Math.floor(Math.random() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

/**
 * `count` distinct members of a large hashtable-encoded collection (count*3 <= size, Redis's
 * CASE 4): repeated random picks, cheap because few collide.
 */
export function randomDistinct(count: number, pick: () => string): string[] {
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(pick());
  return [...chosen];
}

/**
 * Redis's dbAdd for a new collection (the store emits the 'new' event); clients blocked on the
 * key (BZPOPMIN & co) get to try it after this command.
 */
export function addKey(ctx: CommandContext, key: string, value: CollectionValue): void {
  ctx.db.set(key, value);
  if (value.type === 'zset') ctx.signalKeyReady(key);
}

/** Redis's setKey for STORE results: dbAdd when absent, else overwrite; any TTL goes. */
export function storeKey(ctx: CommandContext, key: string, value: CollectionValue): void {
  if (ctx.db.get(key) === undefined) addKey(ctx, key, value);
  else ctx.db.set(key, value);
}
