/** Server administration: SHUTDOWN and DEBUG (the subcommands tsredis supports). */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { parseInt64 } from '../lib/numbers.js';
import { isString, type StringValue, stringEncoding, stringToLatin1, type Value } from '../store/values.js';
import { is } from './args.js';
import { datasetDigest, valueDigest } from './debug-digest.js';
import { DEBUG_HELP, replyHelp, subcommandSyntaxError } from './help-replies.js';
import { debugReload } from './persistence.js';
import { ERR } from './replies.js';

function shutdown(ctx: CommandContext, argv: string[]): void {
  let nosave = false;
  let save = false;
  let now = false;
  let force = false;
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    if (is(argv[i], 'NOSAVE')) nosave = true;
    else if (is(argv[i], 'SAVE')) save = true;
    else if (is(argv[i], 'NOW')) now = true;
    else if (is(argv[i], 'FORCE')) force = true;
    else if (is(argv[i], 'ABORT')) abort = true;
    else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  if ((abort && (nosave || save || now || force)) || (nosave && save)) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  if (abort) {
    if (ctx.server.admin.abortShutdown()) ctx.reply.ok();
    else ctx.reply.error('ERR No shutdown in progress.');
    return;
  }
  const busy = ctx.server.scripting.busyError;
  if (!nosave && busy !== null) {
    // Only SHUTDOWN NOSAVE stops a server whose script runs past busy-reply-threshold.
    ctx.reply.error(busy);
    return;
  }
  ctx.server.admin.shutdown(ctx, { save: nosave ? false : save ? true : null, now, force });
}

// --- DEBUG ---

/** Blocks the whole process, as DEBUG SLEEP blocks Redis's event loop. */
function sleepSync(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function debugSleep(ctx: CommandContext, argv: string[]): void {
  // strtod: a leading number, 0 when there is none.
  const seconds = Number.parseFloat(argv[2]);
  sleepSync(Number.isFinite(seconds) ? Math.floor(seconds * 1e6) / 1000 : 0);
  ctx.reply.ok();
}

/** Length of an rdb length prefix. */
function rdbLenSize(len: number): number {
  return len < 64 ? 1 : len < 16384 ? 2 : len <= 0xffffffff ? 5 : 9;
}

/** rdbEncodeInteger: the 8, 16 or 32 bit integer encodings, or 0 when the value needs more. */
function rdbIntSize(v: bigint): number {
  if (v >= -128n && v <= 127n) return 2;
  if (v >= -32768n && v <= 32767n) return 3;
  if (v >= -2147483648n && v <= 2147483647n) return 5;
  return 0;
}

/** rdbSavedObjectLen for a string, without LZF (compression needs the persistence code's encoder). */
function rdbStringSize(v: StringValue): number {
  const s = stringToLatin1(v);
  if (stringEncoding(v) === 'int') {
    const intSize = rdbIntSize(BigInt(s));
    return intSize !== 0 ? intSize : rdbLenSize(s.length) + s.length;
  }
  if (s.length <= 11) {
    const n = parseInt64(s);
    if (n !== null && String(n) === s) {
      const intSize = rdbIntSize(BigInt(n));
      if (intSize !== 0) return intSize;
    }
  }
  return rdbLenSize(s.length) + s.length;
}

/** A stable, pointer-looking address for a value (Redis prints the robj's address). */
function fakeAddress(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return `0x7f${(h >>> 0).toString(16).padStart(8, '0')}${((h >>> 20) & 0xff).toString(16).padStart(2, '0')}`;
}

/** Shared integers: values 0..9999 stored as int have a refcount of INT_MAX in Redis. */
function refcount(ctx: CommandContext, v: Value): number {
  if (!isString(v) || stringEncoding(v) !== 'int') return 1;
  const n = Number(stringToLatin1(v));
  const policy = String(ctx.server.config.get('maxmemory-policy') ?? 'noeviction');
  const noShared = Number(ctx.server.config.get('maxmemory') ?? 0) !== 0 && /lru|lfu/.test(policy);
  return n >= 0 && n < 10000 && !noShared ? 2147483647 : 1;
}

function debugObject(ctx: CommandContext, argv: string[]): void {
  const key = argv[2];
  // Like Redis, looks in the dictionary directly (no expiry check, no access stamp update).
  const v = ctx.db.data.get(key) as Value | undefined;
  if (v === undefined) {
    ctx.reply.error(ERR.noSuchKey);
    return;
  }
  const encoding = isString(v) ? stringEncoding(v) : v.encoding();
  let serialized = ctx.server.admin.serializedLength(v);
  if (serialized === null) serialized = isString(v) ? rdbStringSize(v) : 0;
  const stamp = ctx.db.accessStamp(key);
  const idle = Math.floor(ctx.keyspace.idleMs(stamp) / 1000);
  ctx.reply.simple(
    `Value at:${fakeAddress(key)} refcount:${refcount(ctx, v)} encoding:${encoding} serializedlength:${serialized} lru:${stamp} lru_seconds_idle:${idle}`,
  );
}

function debugSetActiveExpire(ctx: CommandContext, argv: string[]): void {
  // atoi: anything that does not start with a non-zero number turns active expiry off.
  ctx.keyspace.activeExpireEnabled = Number.parseInt(argv[2], 10) > 0 || Number.parseInt(argv[2], 10) < 0;
  ctx.reply.ok();
}

/** getPositiveLongFromObjectOrReply. */
function positiveArg(ctx: CommandContext, s: string): number | null {
  const n = parseInt64(s);
  if (n === null || n < 0) {
    ctx.reply.error(ERR.outOfRangePositive);
    return null;
  }
  return Number(n);
}

function debugPopulate(ctx: CommandContext, argv: string[]): void {
  const count = positiveArg(ctx, argv[2]);
  if (count === null) return;
  let size = 0;
  if (argv.length === 5) {
    const s = positiveArg(ctx, argv[4]);
    if (s === null) return;
    size = s;
  }
  const prefix = argv.length >= 4 ? argv[3] : 'key';
  for (let j = 0; j < count; j++) {
    // One command can create more keys than the heap holds: it stops at the ceiling.
    if ((j & 0xffff) === 0xffff && ctx.server.admin.heapFull()) {
      ctx.reply.error(ERR.oom);
      return;
    }
    // Redis formats the key into a 128-byte buffer.
    const key = `${prefix}:${j}`.slice(0, 127);
    if (ctx.db.get(key) !== undefined) continue;
    const text = `value:${j}`;
    let value: StringValue = text;
    if (size > 0) {
      const bytes = Buffer.alloc(size);
      bytes.latin1Write(text.slice(0, size), 0);
      // A plain string, packed like any SET's value (OBJECT ENCODING says raw past 44 bytes anyway).
      value = bytes.latin1Slice(0, size);
    }
    ctx.db.set(key, value);
    ctx.db.touch(key);
  }
  ctx.reply.ok();
}

const PROTOCOL_TYPES = 'string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false';

function debugProtocol(ctx: CommandContext, argv: string[]): void {
  const r = ctx.reply;
  switch (argv[2].toLowerCase()) {
    case 'string':
      r.bulk('Hello World');
      return;
    case 'integer':
      r.integer(12345);
      return;
    case 'double':
      // biome-ignore lint/suspicious/noApproximativeNumericConstant: the value DEBUG PROTOCOL replies, not pi.
      r.double(3.141);
      return;
    case 'bignum':
      r.bigNumber('1234567999999999999999999999999999999');
      return;
    case 'null':
      r.nil();
      return;
    case 'array':
    case 'set':
      if (argv[2].toLowerCase() === 'set') r.set(3);
      else r.array(3);
      for (let j = 0; j < 3; j++) r.integer(j);
      return;
    case 'map':
      r.map(3);
      for (let j = 0; j < 3; j++) {
        r.integer(j);
        r.bool(j === 1);
      }
      return;
    case 'attrib': {
      const raw = (r as { raw?: (b: Buffer) => void }).raw;
      if (r.resp === 3 && raw !== undefined) {
        raw.call(r, Buffer.from('|1\r\n'));
        r.bulk('key-popularity');
        r.array(2);
        r.bulk('key:123');
        r.integer(90);
      }
      r.bulk('Some real reply following the attribute');
      return;
    }
    case 'push':
      if (r.resp < 3) {
        r.error('ERR RESP2 is not supported by this command');
        return;
      }
      r.push(2);
      r.bulk('server-cpu-usage');
      r.integer(42);
      r.bulk('Some real reply following the push reply');
      return;
    case 'true':
      r.bool(true);
      return;
    case 'false':
      r.bool(false);
      return;
    case 'verbatim':
      r.verbatim('This is a verbatim\nstring');
      return;
    default:
      r.error(`ERR Wrong protocol type name. Please use one of the following: ${PROTOCOL_TYPES}`);
  }
}

function debug(ctx: CommandContext, argv: string[]): void {
  const sub = argv[1].toLowerCase();
  const argc = argv.length;
  if (sub === 'help' && argc === 2) replyHelp(ctx, argv, DEBUG_HELP);
  else if (sub === 'sleep' && argc === 3) debugSleep(ctx, argv);
  else if (sub === 'object' && argc === 3) debugObject(ctx, argv);
  else if (sub === 'set-active-expire' && argc === 3) debugSetActiveExpire(ctx, argv);
  else if (sub === 'reload') debugReload(ctx, argv);
  else if (sub === 'populate' && argc >= 3 && argc <= 5) debugPopulate(ctx, argv);
  else if (sub === 'protocol' && argc === 3) debugProtocol(ctx, argv);
  else if (sub === 'digest' && argc === 2) ctx.reply.simple(datasetDigest(ctx.keyspace.dbs));
  else if (sub === 'digest-value') {
    ctx.reply.array(argc - 2);
    for (let j = 2; j < argc; j++) ctx.reply.simple(valueDigest(ctx.db, argv[j]));
  } else if (sub === 'log' && argc === 3) {
    ctx.server.log('warning', `DEBUG LOG: ${argv[2]}`);
    ctx.reply.ok();
  } else if (sub === 'error' && argc === 3) {
    ctx.reply.error(argv[2]);
  } else if (sub === 'change-repl-id' && argc === 2) {
    ctx.server.log('warning', 'Changing replication IDs after receiving DEBUG change-repl-id');
    ctx.server.replication.changeReplicationId();
    ctx.reply.ok();
  } else {
    subcommandSyntaxError(ctx, argv);
  }
}

export const shutdownDebugCommands: CommandFamily = { shutdown, debug };
