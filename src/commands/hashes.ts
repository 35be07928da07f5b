/**
 * Hash commands (Redis's t_hash.c). Every write goes through HashValue, which converts its
 * listpack form to a hashtable exactly where Redis does; HINCRBYFLOAT uses 80-bit long doubles.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { addLongDouble, formatLongDoubleHuman, isInfinite, parseLongDouble } from '../lib/long-double.js';
import { addInt64, parseInt64 } from '../lib/numbers.js';
import { HashValue } from '../store/types/hash.js';
import { is } from './args.js';
import {
  addKey,
  deleteIfEmpty,
  hashLimits,
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
} from './coll-common.js';
import { ERR } from './replies.js';

function readHash(ctx: CommandContext, key: string): HashValue | undefined | typeof WRONGTYPE {
  return lookupTyped<HashValue>(ctx, key, 'hash', true);
}

/** hashTypeLookupWriteOrCreate: the hash at key, created (and stored) when missing. */
function writeHash(ctx: CommandContext, key: string): HashValue | typeof WRONGTYPE {
  const h = lookupTyped<HashValue>(ctx, key, 'hash', false);
  if (h !== undefined) return h;
  const created = new HashValue();
  addKey(ctx, key, created);
  return created;
}

/** HSET key field value [field value …] and HMSET (which replies OK). */
function hsetGeneric(ctx: CommandContext, argv: string[], replyOk: boolean): void {
  if (argv.length % 2 === 1) {
    ctx.reply.error(`ERR wrong number of arguments for '${ctx.command.name}' command`);
    return;
  }
  const h = writeHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  const limits = hashLimits(ctx);
  h.convertIfTooLong(argv, 2, limits);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) if (h.set(argv[i], argv[i + 1], limits)) created++;
  ctx.changed(argv[1], 'h', 'hset');
  ctx.addDirty((argv.length - 2) / 2 - 1);
  if (replyOk) ctx.reply.ok();
  else ctx.reply.integer(created);
}

function hset(ctx: CommandContext, argv: string[]): void {
  hsetGeneric(ctx, argv, false);
}

function hmset(ctx: CommandContext, argv: string[]): void {
  hsetGeneric(ctx, argv, true);
}

function hsetnx(ctx: CommandContext, argv: string[]): void {
  const h = writeHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  if (h.has(argv[2])) {
    ctx.reply.integer(0);
    return;
  }
  h.set(argv[2], argv[3], hashLimits(ctx));
  ctx.changed(argv[1], 'h', 'hset');
  ctx.reply.integer(1);
}

function hget(ctx: CommandContext, argv: string[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  ctx.reply.bulkOrNil(h?.get(argv[2]));
}

function hmget(ctx: CommandContext, argv: string[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) ctx.reply.bulkOrNil(h?.get(argv[i]));
}

function hdel(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const h = lookupTyped<HashValue>(ctx, key, 'hash', false);
  if (h === WRONGTYPE) return;
  if (h === undefined) {
    ctx.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (h.delete(argv[i])) deleted++;
    if (h.size === 0) break;
  }
  if (deleted > 0) {
    ctx.changed(key, 'h', 'hdel');
    ctx.addDirty(deleted - 1);
    deleteIfEmpty(ctx, key, h);
  }
  ctx.reply.integer(deleted);
}

function hlen(ctx: CommandContext, argv: string[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  ctx.reply.integer(h?.size ?? 0);
}

function hstrlen(ctx: CommandContext, argv: string[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  ctx.reply.integer(h?.get(argv[2])?.length ?? 0);
}

function hexists(ctx: CommandContext, argv: string[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  ctx.reply.integer(h?.has(argv[2]) ? 1 : 0);
}

function hkeys(ctx: CommandContext, argv: string[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  ctx.reply.array(h?.size ?? 0);
  h?.forEach((f) => {
    ctx.reply.bulk(f);
  });
}

function hvals(ctx: CommandContext, argv: string[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  ctx.reply.array(h?.size ?? 0);
  h?.forEach((_f, v) => {
    ctx.reply.bulk(v);
  });
}

function hgetall(ctx: CommandContext, argv: string[]): void {
  const h = readHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  ctx.reply.map(h?.size ?? 0);
  h?.forEach((f, v) => {
    ctx.reply.bulk(f);
    ctx.reply.bulk(v);
  });
}

function hincrby(ctx: CommandContext, argv: string[]): void {
  const by = parseInt64(argv[3]);
  if (by === null) {
    ctx.reply.error(ERR.notInteger);
    return;
  }
  const h = writeHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  const current = h.get(argv[2]);
  let base: ReturnType<typeof parseInt64> = 0;
  if (current !== undefined) {
    base = parseInt64(current);
    if (base === null) {
      ctx.reply.error('ERR hash value is not an integer');
      return;
    }
  }
  const result = addInt64(base, by);
  if (result === null) {
    ctx.reply.error(ERR.overflow);
    return;
  }
  h.set(argv[2], String(result), hashLimits(ctx));
  ctx.changed(argv[1], 'h', 'hincrby');
  ctx.reply.integer(result);
}

function hincrbyfloat(ctx: CommandContext, argv: string[]): void {
  const by = parseLongDouble(argv[3]);
  if (by === null) {
    ctx.reply.error(ERR.notFloat);
    return;
  }
  if (isInfinite(by)) {
    ctx.reply.error('ERR value is NaN or Infinity');
    return;
  }
  const h = writeHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  const current = h.get(argv[2]);
  let sum = by;
  if (current !== undefined) {
    const base = parseLongDouble(current);
    if (base === null) {
      ctx.reply.error('ERR hash value is not a float');
      return;
    }
    const added = addLongDouble(base, by);
    if (added === null || isInfinite(added)) {
      ctx.reply.error('ERR increment would produce NaN or Infinity');
      return;
    }
    sum = added;
  }
  const text = formatLongDoubleHuman(sum);
  h.set(argv[2], text, hashLimits(ctx));
  ctx.changed(argv[1], 'h', 'hincrbyfloat');
  // The result depends on float arithmetic: replicas get the value itself.
  ctx.rewriteArgv(['HSET', argv[1], argv[2], text]);
  ctx.reply.bulk(text);
}

/** HRANDFIELD key [count [WITHVALUES]] */
function hrandfield(ctx: CommandContext, argv: string[]): void {
  if (argv.length >= 3) {
    const count = randomCountArg(ctx, argv[2]);
    if (count === null) return;
    if (argv.length > 4 || (argv.length === 4 && !is(argv[3], 'WITHVALUES'))) {
      ctx.reply.error(ERR.syntax);
      return;
    }
    const withValues = argv.length === 4;
    if (withValues && !withValuesCountOk(ctx, argv[2])) return;
    hrandfieldWithCount(ctx, argv[1], count, withValues);
    return;
  }
  const h = readHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  if (h === undefined) ctx.reply.nil();
  else ctx.reply.bulk(h.randomField());
}

function hrandfieldWithCount(ctx: CommandContext, key: string, count: number, withValues: boolean): void {
  const h = readHash(ctx, key);
  if (h === WRONGTYPE) return;
  if (h === undefined || count === 0) {
    ctx.reply.array(0);
    return;
  }
  const pairs = withValues && ctx.resp === 3;
  const emit = (field: string, value: string) => {
    if (pairs) ctx.reply.array(2);
    ctx.reply.bulk(field);
    if (withValues) ctx.reply.bulk(value);
  };
  const header = (n: number) => ctx.reply.array(withValues && ctx.resp === 2 ? n * 2 : n);
  // Negative count (or 1): independent picks, repetitions allowed.
  if (count < 0 || count === 1) {
    const n = Math.abs(count);
    header(n);
    for (let i = 0; i < n; i++) {
      const f = h.randomField();
      emit(f, h.get(f)!);
    }
    return;
  }
  if (count >= h.size) {
    header(h.size);
    h.forEach(emit);
    return;
  }
  header(count);
  if (h.isListpack || count * 3 > h.size) {
    const flat = h.toFlat();
    for (const i of randomIndexes(h.size, count)) emit(flat[i * 2], flat[i * 2 + 1]);
  } else {
    for (const f of randomDistinct(count, () => h.randomField())) emit(f, h.get(f)!);
  }
}

function hscan(ctx: CommandContext, argv: string[]): void {
  const cursor = scanCursorArg(ctx, argv[2]);
  if (cursor === null) return;
  const h = readHash(ctx, argv[1]);
  if (h === WRONGTYPE) return;
  if (h === undefined) {
    replyEmptyScan(ctx);
    return;
  }
  const opts = scanOptions(ctx, argv);
  if (opts === null) return;
  const step = h.isListpack ? null : (c: number, out: string[]) => h.scan(c, (f, v) => out.push(f, v));
  runScan(ctx, cursor, opts, true, step, () => h.toFlat());
}

export const hashCommands: CommandFamily = {
  hset,
  hmset,
  hsetnx,
  hget,
  hmget,
  hdel,
  hlen,
  hstrlen,
  hexists,
  hkeys,
  hvals,
  hgetall,
  hincrby,
  hincrbyfloat,
  hrandfield,
  hscan,
};
