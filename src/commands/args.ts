import type { CommandContext } from '../core/context.js';
import { type Int64, parseDouble, parseInt64 } from '../lib/numbers.js';
import { isString, type StringValue, type Value } from '../store/values.js';
import { ERR } from './replies.js';

/** Parses an int64 argument; on failure replies Redis's error and returns null. */
export function intArg(ctx: CommandContext, s: string, error: string = ERR.notInteger): Int64 | null {
  const v = parseInt64(s);
  if (v === null) ctx.reply.error(error);
  return v;
}

/** Parses an integer argument that must fit a JS number (indexes, counts, offsets). */
export function numArg(ctx: CommandContext, s: string, error: string = ERR.notInteger): number | null {
  const v = parseInt64(s);
  if (v === null) {
    ctx.reply.error(error);
    return null;
  }
  return typeof v === 'number' ? v : Number(v);
}

export function doubleArg(ctx: CommandContext, s: string, error: string = ERR.notFloat): number | null {
  const v = parseDouble(s);
  if (v === null) ctx.reply.error(error);
  return v;
}

/** The sentinel a typed lookup returns after it already replied WRONGTYPE. */
export const WRONGTYPE = Symbol('wrongtype');

/** Redis's lookupKeyRead on a miss: counted in keyspace_misses and notified as `keymiss`. */
export function keyMiss(ctx: CommandContext, key: string): void {
  ctx.keyspace.misses++;
  ctx.notify('m', 'keymiss', key);
}

/** Looks a key up for reading a string: undefined if absent, WRONGTYPE (already replied) if not a string. */
export function readString(ctx: CommandContext, key: string): StringValue | undefined | typeof WRONGTYPE {
  const v = ctx.db.get(key);
  if (v === undefined) {
    keyMiss(ctx, key);
    return undefined;
  }
  ctx.keyspace.hits++;
  if (!isString(v)) {
    ctx.reply.error(ERR.wrongType);
    return WRONGTYPE;
  }
  return v;
}

/** Looks a key up for reading any type, counting keyspace hits and misses. */
export function readKey(ctx: CommandContext, key: string): Value | undefined {
  const v = ctx.db.get(key);
  if (v === undefined) keyMiss(ctx, key);
  else ctx.keyspace.hits++;
  return v;
}

/** Case-insensitive option match without allocating for the common short options. */
export function is(arg: string, option: string): boolean {
  return arg.length === option.length && (arg === option || arg.toLowerCase() === option.toLowerCase());
}
