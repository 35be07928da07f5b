import { addInt64, type Int64, parseInt64 } from '../lib/numbers.js';
import { isString, MutableString, type StringValue } from '../store/values.js';
import { intArg, is, readString, WRONGTYPE } from './args.js';
import type { CommandContext } from './context.js';
import { ERR } from './replies.js';
import type { CommandFamily } from './table.js';

/** Replies with a stored string in whichever representation it has. */
export function replyString(ctx: CommandContext, v: StringValue): void {
  if (typeof v === 'string') ctx.reply.bulk(v);
  else ctx.reply.bulkBytes(v.view());
}

enum SetFlag {
  NX = 1,
  XX = 2,
  GET = 4,
  KEEPTTL = 8,
  EX = 16,
  PX = 32,
  EXAT = 64,
  PXAT = 128,
}
const EXPIRE_FLAGS = SetFlag.EX | SetFlag.PX | SetFlag.EXAT | SetFlag.PXAT;
const LLONG_MAX_DIV_1000 = 9223372036854775n;

/**
 * Redis's getExpireMillisecondsOrReply: an absolute unix time in ms, or null after replying
 * "invalid expire time" (or the integer error).
 */
export function expireArgToAbsolute(ctx: CommandContext, arg: string, flag: number): number | null {
  const v = intArg(ctx, arg);
  if (v === null) return null;
  let ms = Number(v);
  const seconds = flag === SetFlag.EX || flag === SetFlag.EXAT;
  if (ms <= 0 || (seconds && BigInt(v) > LLONG_MAX_DIV_1000)) {
    ctx.reply.error(`ERR invalid expire time in '${ctx.command.name}' command`);
    return null;
  }
  if (seconds) ms *= 1000;
  if (flag === SetFlag.EX || flag === SetFlag.PX) ms += ctx.now;
  return ms;
}

/** SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL] */
function set(ctx: CommandContext, argv: string[]): void {
  let flags = 0;
  let expireArg = '';
  for (let j = 3; j < argv.length; j++) {
    const a = argv[j];
    const hasNext = j + 1 < argv.length;
    if (is(a, 'NX') && !(flags & SetFlag.XX)) flags |= SetFlag.NX;
    else if (is(a, 'XX') && !(flags & SetFlag.NX)) flags |= SetFlag.XX;
    else if (is(a, 'GET')) flags |= SetFlag.GET;
    else if (is(a, 'KEEPTTL') && !(flags & EXPIRE_FLAGS)) flags |= SetFlag.KEEPTTL;
    else if (hasNext && !(flags & (EXPIRE_FLAGS | SetFlag.KEEPTTL)) && expireOption(a) !== 0) {
      flags |= expireOption(a);
      expireArg = argv[++j];
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  setGeneric(ctx, flags, argv[1], argv[2], expireArg, argv);
}

function expireOption(a: string): number {
  if (is(a, 'EX')) return SetFlag.EX;
  if (is(a, 'PX')) return SetFlag.PX;
  if (is(a, 'EXAT')) return SetFlag.EXAT;
  if (is(a, 'PXAT')) return SetFlag.PXAT;
  return 0;
}

function setGeneric(
  ctx: CommandContext,
  flags: number,
  key: string,
  value: string,
  expireArg: string,
  argv?: string[],
): void {
  let when = 0;
  const expireFlag = flags & EXPIRE_FLAGS;
  if (expireFlag !== 0) {
    const abs = expireArgToAbsolute(ctx, expireArg, expireFlag);
    if (abs === null) return;
    when = abs;
  }
  if (flags & SetFlag.GET) {
    const old = readString(ctx, key);
    if (old === WRONGTYPE) return;
    if (old === undefined) ctx.reply.nil();
    else replyString(ctx, old);
  }
  const db = ctx.db;
  if (flags & (SetFlag.NX | SetFlag.XX)) {
    const found = db.get(key) !== undefined;
    if ((flags & SetFlag.NX && found) || (flags & SetFlag.XX && !found)) {
      if (!(flags & SetFlag.GET)) ctx.reply.nil();
      return;
    }
  }
  db.set(key, value, (flags & SetFlag.KEEPTTL) !== 0);
  ctx.changed(key, '$', 'set');
  if (expireFlag !== 0) {
    db.setExpire(key, when);
    ctx.rewriteArgv(['SET', key, value, 'PXAT', String(when)]);
    ctx.notify('g', 'expire', key);
  } else if (flags & SetFlag.GET && argv !== undefined) {
    // Replicas and the AOF get the command without its GET option(s).
    ctx.rewriteArgv(argv.filter((a, j) => j < 3 || !is(a, 'GET')));
  }
  if (!(flags & SetFlag.GET)) ctx.reply.ok();
}

function get(ctx: CommandContext, argv: string[]): void {
  const v = readString(ctx, argv[1]);
  if (v === WRONGTYPE) return;
  if (v === undefined) ctx.reply.nil();
  else replyString(ctx, v);
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
  setGeneric(ctx, SetFlag.EX, argv[1], argv[3], argv[2]);
}

function psetex(ctx: CommandContext, argv: string[]): void {
  setGeneric(ctx, SetFlag.PX, argv[1], argv[3], argv[2]);
}

function mget(ctx: CommandContext, argv: string[]): void {
  ctx.reply.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = ctx.db.get(argv[i]);
    if (v === undefined) {
      ctx.keyspace.misses++;
      ctx.reply.nil();
    } else {
      ctx.keyspace.hits++;
      if (isString(v)) replyString(ctx, v);
      else ctx.reply.nil();
    }
  }
}

function mset(ctx: CommandContext, argv: string[]): void {
  if (argv.length % 2 === 0) {
    ctx.reply.error(`ERR wrong number of arguments for '${ctx.command.name}' command`);
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
    ctx.reply.error(`ERR wrong number of arguments for '${ctx.command.name}' command`);
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
    const parsed = parseInt64(typeof current === 'string' ? current : current.toString());
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

function append(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const current = ctx.db.get(key);
  let length: number;
  if (current === undefined) {
    ctx.db.set(key, argv[2]);
    length = argv[2].length;
  } else {
    if (!isString(current)) {
      ctx.reply.error(ERR.wrongType);
      return;
    }
    const total = current.length + argv[2].length;
    if (total > ctx.server.config.num('proto-max-bulk-len')) {
      ctx.reply.error('ERR string exceeds maximum allowed size (proto_max_bulk_len)');
      return;
    }
    const m = MutableString.from(current, argv[2].length);
    const at = m.length;
    m.ensure(total);
    m.bytes.latin1Write(argv[2], at);
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

export const stringCommands: CommandFamily = {
  get,
  set,
  setnx,
  setex,
  psetex,
  mget,
  mset,
  msetnx,
  incr,
  decr,
  incrby,
  decrby,
  append,
  strlen,
};
