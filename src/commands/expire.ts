/**
 * Key expiry commands (Redis's expire.c): EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX/XX/GT/LT,
 * TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST. Every decision uses the command's time snapshot.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { INT64_MAX, INT64_MIN, type Int64 } from '../lib/numbers.js';
import { intArg, is } from './args.js';
import { lookupRead } from './keys.js';

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;

/** parseExtendedExpireArgumentsOrReply: the NX/XX/GT/LT flags, or null after an error reply. */
function parseFlags(ctx: CommandContext, argv: string[]): number | null {
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const option = argv[j];
    if (is(option, 'NX')) flags |= NX;
    else if (is(option, 'XX')) flags |= XX;
    else if (is(option, 'GT')) flags |= GT;
    else if (is(option, 'LT')) flags |= LT;
    else {
      ctx.reply.error(`ERR Unsupported option ${errorText(option)}`);
      return null;
    }
  }
  if (flags & NX && flags & (XX | GT | LT)) {
    ctx.reply.error('ERR NX and XX, GT or LT options at the same time are not compatible');
    return null;
  }
  if (flags & GT && flags & LT) {
    ctx.reply.error('ERR GT and LT options at the same time are not compatible');
    return null;
  }
  return flags;
}

/** An argument as Redis's "%s" prints it in an error: up to a NUL byte, newlines made spaces. */
function errorText(s: string): string {
  const nul = s.indexOf('\0');
  return (nul < 0 ? s : s.slice(0, nul)).replace(/[\r\n]/g, ' ');
}

/** Safe-integer bound for the fast path: |v| * 1000 + a current unix time in ms stays below 2^53. */
const FAST_LIMIT = 9_000_000_000_000;

/**
 * The absolute expire time (ms) for an argument, with Redis's overflow checks; null when it
 * overflows int64 (the caller replies "invalid expire time").
 */
function absoluteTime(v: Int64, basetime: number, seconds: boolean): Int64 | null {
  if (typeof v === 'number' && Math.abs(v) <= FAST_LIMIT) return (seconds ? v * 1000 : v) + basetime;
  let when = BigInt(v);
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) return null;
    when *= 1000n;
  }
  if (when > INT64_MAX - BigInt(basetime)) return null;
  when += BigInt(basetime);
  const n = Number(when);
  return Number.isSafeInteger(n) ? n : when;
}

/** Compares two int64 values exactly (numbers when both are safe, else as bigints). */
function compare(a: Int64, b: Int64): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const d = BigInt(a) - BigInt(b);
  return d > 0n ? 1 : d < 0n ? -1 : 0;
}

/** The generic EXPIRE: relative (basetime = now) or absolute (0), in seconds or milliseconds. */
function expireGeneric(ctx: CommandContext, argv: string[], relative: boolean, seconds: boolean): void {
  const key = argv[1];
  const flags = parseFlags(ctx, argv);
  if (flags === null) return;
  const v = intArg(ctx, argv[2]);
  if (v === null) return;
  const when = absoluteTime(v, relative ? ctx.now : 0, seconds);
  if (when === null) {
    ctx.reply.error(`ERR invalid expire time in '${ctx.command.name}' command`);
    return;
  }
  const db = ctx.db;
  if (db.get(key) === undefined) {
    ctx.reply.integer(0);
    return;
  }
  if (flags !== 0 && !flagsAllow(flags, when, db.getExpireExact(key))) {
    ctx.reply.integer(0);
    return;
  }
  // A time already past deletes the key, unless this is a replica or a load (they wait for a DEL).
  if (compare(when, ctx.now) <= 0 && ctx.keyspace.expireMode === 'delete') {
    db.delete(key);
    ctx.rewriteArgv([ctx.server.config.bool('lazyfree-lazy-expire') === true ? 'UNLINK' : 'DEL', key]);
    ctx.changed(key, 'g', 'del');
    ctx.reply.integer(1);
    return;
  }
  db.setExpire(key, when);
  ctx.reply.integer(1);
  // Replicas and the AOF get an absolute time in ms whatever the form received.
  if (relative || seconds) {
    const rewritten = argv.slice();
    rewritten[0] = 'PEXPIREAT';
    rewritten[2] = String(when);
    ctx.rewriteArgv(rewritten);
  }
  ctx.changed(key, 'g', 'expire');
}

/** NX: no TTL yet. XX: has one. GT: later than the current one (none counts as infinite). LT: earlier. */
function flagsAllow(flags: number, when: Int64, current: Int64 | undefined): boolean {
  if (flags & NX && current !== undefined) return false;
  if (flags & XX && current === undefined) return false;
  if (flags & GT && (current === undefined || compare(when, current) <= 0)) return false;
  if (flags & LT && current !== undefined && compare(when, current) >= 0) return false;
  return true;
}

function expire(ctx: CommandContext, argv: string[]): void {
  expireGeneric(ctx, argv, true, true);
}

function pexpire(ctx: CommandContext, argv: string[]): void {
  expireGeneric(ctx, argv, true, false);
}

function expireat(ctx: CommandContext, argv: string[]): void {
  expireGeneric(ctx, argv, false, true);
}

function pexpireat(ctx: CommandContext, argv: string[]): void {
  expireGeneric(ctx, argv, false, false);
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 without the key, -1 without a TTL. */
function ttlGeneric(ctx: CommandContext, key: string, ms: boolean, absolute: boolean): void {
  if (lookupRead(ctx, key, false) === undefined) {
    ctx.reply.integer(-2);
    return;
  }
  const when = ctx.db.getExpireExact(key);
  if (when === undefined) {
    ctx.reply.integer(-1);
    return;
  }
  if (typeof when === 'number') {
    const ttl = Math.max(0, absolute ? when : when - ctx.now);
    ctx.reply.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
    return;
  }
  let ttl = absolute ? when : when - BigInt(ctx.now);
  if (ttl < 0n) ttl = 0n;
  ctx.reply.integer(ms ? ttl : (ttl + 500n) / 1000n);
}

function ttl(ctx: CommandContext, argv: string[]): void {
  ttlGeneric(ctx, argv[1], false, false);
}

function pttl(ctx: CommandContext, argv: string[]): void {
  ttlGeneric(ctx, argv[1], true, false);
}

function expiretime(ctx: CommandContext, argv: string[]): void {
  ttlGeneric(ctx, argv[1], false, true);
}

function pexpiretime(ctx: CommandContext, argv: string[]): void {
  ttlGeneric(ctx, argv[1], true, true);
}

function persist(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  if (ctx.db.get(key) !== undefined && ctx.db.removeExpire(key)) {
    ctx.changed(key, 'g', 'persist');
    ctx.reply.integer(1);
  } else {
    ctx.reply.integer(0);
  }
}

export const expireCommands: CommandFamily = {
  expire,
  pexpire,
  expireat,
  pexpireat,
  ttl,
  pttl,
  expiretime,
  pexpiretime,
  persist,
};
