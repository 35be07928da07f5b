import type { CommandContext, CommandFamily } from '../core/context.js';
import { addLongDouble, formatLongDoubleHuman, LD_ZERO, parseLongDouble } from '../lib/long-double.js';
import { addInt64, INT64_MAX, type Int64, normalizeInt64, parseInt64 } from '../lib/numbers.js';
import { isString, MutableString, type StringValue, stringBytes, stringToLatin1 } from '../store/values.js';
import { intArg, keyMiss, readKey, readString, WRONGTYPE } from './args.js';
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

function append(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const suffix = argv[2];
  const current = ctx.db.get(key);
  let length: number;
  if (current === undefined) {
    ctx.db.set(key, suffix);
    length = suffix.length;
  } else {
    if (!isString(current)) {
      ctx.reply.error(ERR.wrongType);
      return;
    }
    if (!checkStringLength(ctx, current.length, suffix.length)) return;
    const m = MutableString.from(current, suffix.length);
    const at = m.length;
    m.ensure(at + suffix.length);
    m.bytes.latin1Write(suffix, at);
    if (m !== current) ctx.db.replace(key, m);
    length = m.length;
  }
  ctx.changed(key, '$', 'append');
  ctx.reply.integer(length);
}

function strlen(ctx: CommandContext, argv: string[]): void {
  const v = readString(ctx, argv[1]);
  if (v === WRONGTYPE) return;
  ctx.reply.integer(v === undefined ? 0 : v.length);
}

/** GETRANGE / SUBSTR key start end: inclusive, negative from the end, clamped. */
function getrange(ctx: CommandContext, argv: string[]): void {
  const start = intArg(ctx, argv[2]);
  if (start === null) return;
  const end = intArg(ctx, argv[3]);
  if (end === null) return;
  const v = readString(ctx, argv[1]);
  if (v === WRONGTYPE) return;
  if (v === undefined || (start < 0 && end < 0 && start > end)) {
    ctx.reply.bulk('');
    return;
  }
  const len = v.length;
  // Past the check above, int64 values beyond 2^53 only ever clamp, so doubles are exact enough.
  let from = Number(start);
  let to = Number(end);
  if (from < 0) from = Math.max(0, len + from);
  if (to < 0) to = Math.max(0, len + to);
  if (to >= len) to = len - 1;
  if (from > to || len === 0) ctx.reply.bulk('');
  else if (typeof v === 'string') ctx.reply.bulk(v.slice(from, to + 1));
  else ctx.reply.bulkBytes(v.bytes.subarray(from, to + 1));
}

/** SETRANGE key offset value: overwrites in place, zero-padding as needed. */
function setrange(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const value = argv[3];
  const offset = intArg(ctx, argv[2]);
  if (offset === null) return;
  if (offset < 0) {
    ctx.reply.error('ERR offset is out of range');
    return;
  }
  const db = ctx.db;
  const current = db.get(key);
  let m: MutableString;
  if (current === undefined) {
    if (value.length === 0) {
      ctx.reply.integer(0);
      return;
    }
    if (!checkStringLength(ctx, offset, value.length)) return;
    m = MutableString.zeros(Number(offset) + value.length);
    db.set(key, m);
  } else {
    if (!isString(current)) {
      ctx.reply.error(ERR.wrongType);
      return;
    }
    if (value.length === 0) {
      ctx.reply.integer(current.length);
      return;
    }
    if (!checkStringLength(ctx, offset, value.length)) return;
    m = MutableString.from(current);
    if (m !== current) db.replace(key, m);
    m.ensure(Number(offset) + value.length);
  }
  m.bytes.latin1Write(value, Number(offset));
  ctx.changed(key, '$', 'setrange');
  ctx.reply.integer(m.length);
}

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN], Redis's dynamic programming. */
function lcs(ctx: CommandContext, argv: string[]): void {
  const va = readKey(ctx, argv[1]);
  const vb = readKey(ctx, argv[2]);
  if ((va !== undefined && !isString(va)) || (vb !== undefined && !isString(vb))) {
    ctx.reply.error('ERR The specified keys must contain string values');
    return;
  }
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (optionIs(opt, 'IDX')) getIdx = true;
    else if (optionIs(opt, 'LEN')) getLen = true;
    else if (optionIs(opt, 'WITHMATCHLEN')) withMatchLen = true;
    else if (optionIs(opt, 'MINMATCHLEN') && j + 1 < argv.length) {
      const n = intArg(ctx, argv[++j]);
      if (n === null) return;
      minMatchLen = Math.max(Number(n), 0);
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  if (getIdx && getLen) {
    ctx.reply.error('ERR If you want both the length and indexes, please just use IDX.');
    return;
  }
  const a = va === undefined ? Buffer.alloc(0) : stringBytes(va);
  const b = vb === undefined ? Buffer.alloc(0) : stringBytes(vb);
  if (a.length >= 0xfffffffe || b.length >= 0xfffffffe) {
    ctx.reply.error('ERR String too long for LCS');
    return;
  }
  const table = lcsTable(ctx, a, b);
  if (table === null) return;
  replyLcs(ctx, a, b, table, { getIdx, getLen, withMatchLen, minMatchLen });
}

/** The (|a|+1) x (|b|+1) table of LCS lengths of prefixes, or null after replying an error. */
function lcsTable(ctx: CommandContext, a: Buffer, b: Buffer): Uint32Array | null {
  const width = b.length + 1;
  const cells = (a.length + 1) * width;
  if (cells * 4 > ctx.server.config.num('proto-max-bulk-len')) {
    ctx.reply.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
    return null;
  }
  let t: Uint32Array;
  try {
    t = new Uint32Array(cells);
  } catch {
    ctx.reply.error('ERR Insufficient memory, failed allocating transient memory for LCS');
    return null;
  }
  for (let i = 1; i <= a.length; i++) {
    const row = i * width;
    const prev = row - width;
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      if (ai === b[j - 1]) t[row + j] = t[prev + j - 1] + 1;
      else {
        const up = t[prev + j];
        const left = t[row + j - 1];
        t[row + j] = Math.max(up, left);
      }
    }
  }
  return t;
}

interface LcsOptions {
  getIdx: boolean;
  getLen: boolean;
  withMatchLen: boolean;
  minMatchLen: number;
}

/**
 * Walks the table back from the end as Redis does, collecting the LCS string and the matching
 * ranges (latest first), then replies in the requested shape.
 */
function replyLcs(ctx: CommandContext, a: Buffer, b: Buffer, t: Uint32Array, o: LcsOptions): void {
  const width = b.length + 1;
  const total = t[a.length * width + b.length];
  if (o.getLen && !o.getIdx) {
    ctx.reply.integer(total);
    return;
  }
  const result = Buffer.allocUnsafe(total);
  const ranges: number[] = []; // aStart, aEnd, bStart, bEnd, per emitted range
  let idx = total;
  let i = a.length;
  let j = b.length;
  const unset = a.length;
  let aStart = unset;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (aStart === unset) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (t[(i - 1) * width + j] > t[i * width + j - 1]) i--;
      else j--;
      if (aStart !== unset) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (o.minMatchLen === 0 || matchLen >= o.minMatchLen) ranges.push(aStart, aEnd, bStart, bEnd);
      aStart = unset;
    }
  }
  if (!o.getIdx) {
    ctx.reply.bulkBytes(result);
    return;
  }
  const r = ctx.reply;
  r.map(2);
  r.bulk('matches');
  r.array(ranges.length / 4);
  for (let k = 0; k < ranges.length; k += 4) {
    r.array(o.withMatchLen ? 3 : 2);
    r.array(2);
    r.integer(ranges[k]);
    r.integer(ranges[k + 1]);
    r.array(2);
    r.integer(ranges[k + 2]);
    r.integer(ranges[k + 3]);
    if (o.withMatchLen) r.integer(ranges[k + 1] - ranges[k] + 1);
  }
  r.bulk('len');
  r.integer(total);
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
  getrange,
  substr: getrange,
  setrange,
  mget,
  mset,
  msetnx,
  incr,
  decr,
  incrby,
  decrby,
  incrbyfloat,
  append,
  strlen,
  lcs,
};
