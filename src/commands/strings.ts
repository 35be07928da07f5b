/**
 * Strings (Redis's t_string.c): SET and its options, GET, GETSET, GETDEL, GETEX, SETNX, SETEX,
 * PSETEX, MGET, MSET, MSETNX. Counters are in string-counters.ts, edits and LCS in string-ranges.ts.
 */
import type { CommandContext, CommandFamily } from '../core/context.js';
import { INT64_MAX, type Int64, normalizeInt64, parseInt64 } from '../lib/numbers.js';
import { isString, type StringValue } from '../store/values.js';
import { keyMiss, readString, WRONGTYPE } from './args.js';
import { ERR } from './replies.js';

/** Replies with a stored string in whichever representation it has. */
export function replyString(ctx: CommandContext, v: StringValue): void {
  if (typeof v === 'string') ctx.reply.bulk(v);
  else ctx.reply.bulkBytes(v.view());
}

/**
 * Case-insensitive match of an option made of letters. Redis compares options as C strings
 * (strcasecmp, or byte checks ending at '\0'), so an argument with an embedded NUL matches the
 * option before it: "NX\0junk" is NX.
 */
export function optionIs(arg: string, option: string): boolean {
  const n = option.length;
  if (arg.length < n) return false;
  if (arg.length > n && arg.charCodeAt(n) !== 0) return false;
  for (let i = 0; i < n; i++) {
    if ((arg.charCodeAt(i) | 0x20) !== (option.charCodeAt(i) | 0x20)) return false;
  }
  return true;
}

/** Redis's checkStringLength: a string may not grow beyond proto-max-bulk-len. */
export function checkStringLength(ctx: CommandContext, size: Int64, append: number): boolean {
  if (Number(size) + append > ctx.server.config.num('proto-max-bulk-len')) {
    ctx.reply.error('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
    return false;
  }
  return true;
}

// Option flags of SET and GETEX (Redis's OBJ_SET_* / OBJ_* flags).
const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const EX = 16;
const PX = 32;
const EXAT = 64;
const PXAT = 128;
const PERSIST = 256;
const EXPIRE_FLAGS = EX | PX | EXAT | PXAT;

/** The expire argument found by the last parseStringOptions (kept here to avoid an allocation). */
let parsedExpireArg = '';

function expireUnit(a: string): number {
  if (a.length < 2) return 0;
  if (optionIs(a, 'EX')) return EX;
  if (optionIs(a, 'PX')) return PX;
  if (optionIs(a, 'EXAT')) return EXAT;
  if (optionIs(a, 'PXAT')) return PXAT;
  return 0;
}

/**
 * Redis's parseExtendedStringArgumentsOrReply for SET (options from argv[3]) or GETEX (from
 * argv[2]), with its exact exclusions: e.g. EX twice is accepted (the last wins) but EX with PX is
 * not. Returns the flags, or -1 after replying a syntax error.
 */
function parseStringOptions(ctx: CommandContext, argv: string[], forSet: boolean): number {
  let flags = 0;
  for (let j = forSet ? 3 : 2; j < argv.length; j++) {
    const a = argv[j];
    if (forSet && optionIs(a, 'NX') && !(flags & XX)) flags |= NX;
    else if (forSet && optionIs(a, 'XX') && !(flags & NX)) flags |= XX;
    else if (forSet && optionIs(a, 'GET')) flags |= GET;
    else if (forSet && optionIs(a, 'KEEPTTL') && !(flags & (PERSIST | EXPIRE_FLAGS))) flags |= KEEPTTL;
    else if (!forSet && optionIs(a, 'PERSIST') && !(flags & (KEEPTTL | EXPIRE_FLAGS))) flags |= PERSIST;
    else {
      const unit = expireUnit(a);
      const conflicts = KEEPTTL | PERSIST | (EXPIRE_FLAGS & ~unit);
      if (unit === 0 || j + 1 >= argv.length || flags & conflicts) {
        ctx.reply.error(ERR.syntax);
        return -1;
      }
      flags |= unit;
      parsedExpireArg = argv[++j];
    }
  }
  return flags;
}

function invalidExpireTime(ctx: CommandContext): null {
  ctx.reply.error(`ERR invalid expire time in '${ctx.command.name}' command`);
  return null;
}

/**
 * Redis's getExpireMillisecondsOrReply: the absolute unix time in ms (exact, a bigint beyond 2^53)
 * for an EX/PX/EXAT/PXAT argument, or null after replying. Non-positive values and results past
 * int64 are "invalid expire time".
 */
function expireTime(ctx: CommandContext, arg: string, unit: number): Int64 | null {
  const v = parseInt64(arg);
  if (v === null) {
    ctx.reply.error(ERR.notInteger);
    return null;
  }
  const seconds = unit === EX || unit === EXAT;
  const relative = unit === EX || unit === PX;
  if (typeof v === 'number') {
    if (v <= 0) return invalidExpireTime(ctx);
    const ms = (seconds ? v * 1000 : v) + (relative ? ctx.now : 0);
    if (ms <= Number.MAX_SAFE_INTEGER) return ms;
  }
  let ms = BigInt(v);
  if (ms <= 0n || (seconds && ms > INT64_MAX / 1000n)) return invalidExpireTime(ctx);
  if (seconds) ms *= 1000n;
  if (relative) ms += BigInt(ctx.now);
  if (ms > INT64_MAX) return invalidExpireTime(ctx);
  return normalizeInt64(ms);
}

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL] */
function set(ctx: CommandContext, argv: string[]): void {
  if (argv.length === 3) {
    // The benchmark hot path: no options.
    ctx.db.set(argv[1], argv[2]);
    ctx.changed(argv[1], '$', 'set');
    ctx.reply.ok();
    return;
  }
  const flags = parseStringOptions(ctx, argv, true);
  if (flags >= 0) setGeneric(ctx, flags, argv[1], argv[2], argv);
}

/** Redis's setGenericCommand (with the OK reply); the expire argument comes from parsedExpireArg. */
function setGeneric(ctx: CommandContext, flags: number, key: string, value: string, argv: string[]): void {
  let when: Int64 = 0;
  const unit = flags & EXPIRE_FLAGS;
  if (unit !== 0) {
    const at = expireTime(ctx, parsedExpireArg, unit);
    if (at === null) return;
    when = at;
  }
  if (flags & GET) {
    const old = readString(ctx, key);
    if (old === WRONGTYPE) return;
    if (old === undefined) ctx.reply.nil();
    else replyString(ctx, old);
  }
  const db = ctx.db;
  if (flags & (NX | XX)) {
    const found = db.get(key) !== undefined;
    if ((flags & NX && found) || (flags & XX && !found)) {
      if (!(flags & GET)) ctx.reply.nil();
      return;
    }
  }
  db.set(key, value, (flags & KEEPTTL) !== 0);
  ctx.changed(key, '$', 'set');
  if (unit !== 0) {
    db.setExpire(key, when);
    // Replicas and the AOF get an absolute time: SET key value PXAT ms.
    ctx.rewriteArgv(['SET', key, value, 'PXAT', String(when)]);
    ctx.notify('g', 'expire', key);
  } else if (flags & GET) {
    // Propagated without its GET option(s).
    ctx.rewriteArgv(argv.filter((a, j) => j < 3 || !optionIs(a, 'GET')));
  }
  if (!(flags & GET)) ctx.reply.ok();
}

function get(ctx: CommandContext, argv: string[]): void {
  const v = readString(ctx, argv[1]);
  if (v === WRONGTYPE) return;
  if (v === undefined) ctx.reply.nil();
  else replyString(ctx, v);
}

/** Redis's getGenericCommand: replies the value (or nil) and returns it; WRONGTYPE after that error. */
function replyGet(ctx: CommandContext, key: string): StringValue | undefined | typeof WRONGTYPE {
  const v = readString(ctx, key);
  if (v === WRONGTYPE) return v;
  if (v === undefined) ctx.reply.nil();
  else replyString(ctx, v);
  return v;
}

function getset(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  if (replyGet(ctx, key) === WRONGTYPE) return;
  ctx.db.set(key, argv[2]);
  ctx.changed(key, '$', 'set');
  ctx.rewriteArgv(['SET', key, argv[2]]);
}

function getdel(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const v = replyGet(ctx, key);
  if (v === WRONGTYPE || v === undefined) return;
  ctx.db.delete(key);
  ctx.rewriteArgv([ctx.server.config.bool('lazyfree-lazy-user-del') === true ? 'UNLINK' : 'DEL', key]);
  ctx.changed(key, 'g', 'del');
}

/** GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST], propagated as PEXPIREAT, PERSIST or DEL. */
function getex(ctx: CommandContext, argv: string[]): void {
  const flags = parseStringOptions(ctx, argv, false);
  if (flags < 0) return;
  const key = argv[1];
  const v = readString(ctx, key);
  if (v === WRONGTYPE) return;
  if (v === undefined) {
    ctx.reply.nil();
    return;
  }
  const unit = flags & EXPIRE_FLAGS;
  let when: Int64 = 0;
  if (unit !== 0) {
    const at = expireTime(ctx, parsedExpireArg, unit);
    if (at === null) return;
    when = at;
  }
  replyString(ctx, v);
  const db = ctx.db;
  if (unit & (EXAT | PXAT) && when <= ctx.now && ctx.server.roleName === 'master') {
    // An absolute time already in the past deletes the key (Redis's checkAlreadyExpired).
    db.delete(key);
    ctx.rewriteArgv([ctx.server.config.bool('lazyfree-lazy-expire') === true ? 'UNLINK' : 'DEL', key]);
    ctx.changed(key, 'g', 'del');
  } else if (unit !== 0) {
    db.setExpire(key, when);
    ctx.rewriteArgv(['PEXPIREAT', key, String(when)]);
    ctx.changed(key, 'g', 'expire');
  } else if (flags & PERSIST && db.removeExpire(key)) {
    ctx.rewriteArgv(['PERSIST', key]);
    ctx.changed(key, 'g', 'persist');
  }
}

function setnx(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  if (ctx.db.get(key) !== undefined) {
    ctx.reply.integer(0);
    return;
  }
  ctx.db.set(key, argv[2]);
  ctx.changed(key, '$', 'set');
  ctx.reply.integer(1);
}

function setex(ctx: CommandContext, argv: string[]): void {
  parsedExpireArg = argv[2];
  setGeneric(ctx, EX, argv[1], argv[3], argv);
}

function psetex(ctx: CommandContext, argv: string[]): void {
  parsedExpireArg = argv[2];
  setGeneric(ctx, PX, argv[1], argv[3], argv);
}

function mget(ctx: CommandContext, argv: string[]): void {
  ctx.reply.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = ctx.db.get(argv[i]);
    if (v === undefined) {
      keyMiss(ctx, argv[i]);
      ctx.reply.nil();
    } else {
      ctx.keyspace.hits++;
      if (isString(v)) replyString(ctx, v);
      else ctx.reply.nil();
    }
  }
}

function wrongArgCount(ctx: CommandContext): void {
  ctx.reply.error(`ERR wrong number of arguments for '${ctx.command.name}' command`);
}

function mset(ctx: CommandContext, argv: string[]): void {
  if (argv.length % 2 === 0) {
    wrongArgCount(ctx);
    return;
  }
  for (let i = 1; i < argv.length; i += 2) {
    ctx.db.set(argv[i], argv[i + 1]);
    ctx.changed(argv[i], '$', 'set');
  }
  ctx.reply.ok();
}

function msetnx(ctx: CommandContext, argv: string[]): void {
  if (argv.length % 2 === 0) {
    wrongArgCount(ctx);
    return;
  }
  for (let i = 1; i < argv.length; i += 2) {
    if (ctx.db.get(argv[i]) !== undefined) {
      ctx.reply.integer(0);
      return;
    }
  }
  for (let i = 1; i < argv.length; i += 2) {
    ctx.db.set(argv[i], argv[i + 1]);
    ctx.changed(argv[i], '$', 'set');
  }
  ctx.reply.integer(1);
}

export const stringCommands: CommandFamily = {
  get,
  set,
  setnx,
  setex,
  psetex,
  getset,
  getdel,
  getex,
  mget,
  mset,
  msetnx,
};
