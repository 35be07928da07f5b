/**
 * String counters (Redis's t_string.c): INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT, with Redis's
 * integer and long-double formatting.
 */
import type { CommandContext, CommandFamily } from '../core/context.js';
import { addLongDouble, formatLongDoubleHuman, LD_ZERO, parseLongDouble } from '../lib/long-double.js';
import { addInt64, type Int64, parseInt64 } from '../lib/numbers.js';
import { isString, MutableString, type StringValue, stringToLatin1 } from '../store/values.js';
import { intArg } from './args.js';
import { ERR } from './replies.js';

function incrDecr(ctx: CommandContext, key: string, by: Int64): void {
  const db = ctx.db;
  const current = db.get(key);
  let base: Int64 = 0;
  if (current !== undefined) {
    if (!isString(current)) {
      ctx.reply.error(ERR.wrongType);
      return;
    }
    // Longer than any int64 (20 chars): not worth materializing a big MutableString to find out.
    const parsed = current.length > 20 ? null : parseInt64(stringToLatin1(current));
    if (parsed === null) {
      ctx.reply.error(ERR.notInteger);
      return;
    }
    base = parsed;
  }
  const result = addInt64(base, by);
  if (result === null) {
    ctx.reply.error(ERR.overflow);
    return;
  }
  if (current === undefined) db.set(key, String(result));
  else db.replace(key, String(result));
  ctx.changed(key, '$', 'incrby');
  ctx.reply.integer(result);
}

function incr(ctx: CommandContext, argv: string[]): void {
  incrDecr(ctx, argv[1], 1);
}

function decr(ctx: CommandContext, argv: string[]): void {
  incrDecr(ctx, argv[1], -1);
}

function incrby(ctx: CommandContext, argv: string[]): void {
  const by = intArg(ctx, argv[2]);
  if (by !== null) incrDecr(ctx, argv[1], by);
}

function decrby(ctx: CommandContext, argv: string[]): void {
  const by = intArg(ctx, argv[2]);
  if (by === null) return;
  // Negating INT64_MIN overflows in Redis too.
  if (typeof by === 'bigint' && by === -9223372036854775808n) {
    ctx.reply.error('ERR decrement would overflow');
    return;
  }
  incrDecr(ctx, argv[1], typeof by === 'bigint' ? -by : -by);
}

/** Redis's MAX_LONG_DOUBLE_CHARS: longer strings are never valid floats. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

/**
 * INCRBYFLOAT with Redis's long double arithmetic (see lib/long-double.ts); propagated as
 * SET key result KEEPTTL so replicas do not redo the float math.
 */
function incrbyfloat(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const db = ctx.db;
  const current = db.get(key);
  if (current !== undefined && !isString(current)) {
    ctx.reply.error(ERR.wrongType);
    return;
  }
  const base =
    current === undefined
      ? LD_ZERO
      : current.length >= MAX_LONG_DOUBLE_CHARS
        ? null
        : parseLongDouble(stringToLatin1(current));
  const by = base === null ? null : parseLongDouble(argv[2]);
  if (base === null || by === null) {
    ctx.reply.error(ERR.notFloat);
    return;
  }
  const sum = addLongDouble(base, by);
  if (sum === null || sum.inf) {
    ctx.reply.error('ERR increment would produce NaN or Infinity');
    return;
  }
  const text = formatLongDoubleHuman(sum);
  const stored = floatResultValue(text);
  if (current === undefined) db.set(key, stored);
  else db.replace(key, stored);
  ctx.changed(key, '$', 'incrbyfloat');
  ctx.reply.bulk(text);
  ctx.rewriteArgv(['SET', key, text, 'KEEPTTL']);
}

/**
 * Redis stores INCRBYFLOAT's result as a plain (embstr/raw) string even when it looks like an
 * integer; a plain latin1 string would report "int", so integral results get the embstr marker.
 */
function floatResultValue(text: string): StringValue {
  if (parseInt64(text) === null) return text;
  const m = MutableString.from(text);
  m.embstr = true;
  return m;
}

export const stringCounterCommands: CommandFamily = {
  incr,
  decr,
  incrby,
  decrby,
  incrbyfloat,
};
