/**
 * Generic key commands and databases (Redis's db.c and object.c): DEL, UNLINK, EXISTS, TOUCH, TYPE,
 * RENAME, RENAMENX, KEYS, SCAN, RANDOMKEY, OBJECT, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, MOVE, COPY.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { globMatch } from '../lib/glob.js';
import { parseInt64 } from '../lib/numbers.js';
import type { Database } from '../store/database.js';
import { copyValue, isString, stringEncoding, typeOf, type Value } from '../store/values.js';
import { is, keyMiss } from './args.js';
import { ERR } from './replies.js';

const SAME_OBJECT = 'ERR source and destination objects are the same';
const INT_RANGE = 'ERR value is out of range, value must between -2147483648 and 2147483647';

/**
 * Redis's lookupKeyRead: applies lazy expiry, counts a keyspace hit or miss and emits 'keymiss'.
 * touch=false is LOOKUP_NOTOUCH (the access stamp for OBJECT IDLETIME/FREQ is left alone).
 */
export function lookupRead(ctx: CommandContext, key: string, touch = true): Value | undefined {
  const v = touch ? ctx.db.get(key) : ctx.db.peek(key);
  if (v === undefined) {
    keyMiss(ctx, key);
  } else {
    ctx.keyspace.hits++;
  }
  return v;
}

/** getIntFromObjectOrReply: an int32 argument; msg, when given, replaces both error texts. */
function int32Arg(ctx: CommandContext, s: string, msg?: string): number | null {
  const v = parseInt64(s);
  if (v === null) {
    ctx.reply.error(msg ?? ERR.notInteger);
    return null;
  }
  if (typeof v !== 'number' || v < -2147483648 || v > 2147483647) {
    ctx.reply.error(msg ?? INT_RANGE);
    return null;
  }
  return v;
}

/** A database index argument (MOVE, COPY … DB): the db, or null after replying an error. */
function dbArg(ctx: CommandContext, s: string): Database | null {
  const id = int32Arg(ctx, s);
  if (id === null) return null;
  const db = id >= 0 ? ctx.keyspace.dbs[id] : undefined;
  if (db === undefined) {
    ctx.reply.error(ERR.dbIndexOutOfRange);
    return null;
  }
  return db;
}

/** DEL and UNLINK (freeing is the garbage collector's job either way). */
function del(ctx: CommandContext, argv: string[]): void {
  const db = ctx.db;
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i];
    db.expireIfNeeded(key); // an expired key is expired (and propagated) first, so DEL counts it as absent
    if (db.delete(key)) {
      ctx.changed(key, 'g', 'del');
      deleted++;
    }
  }
  ctx.reply.integer(deleted);
}

/** EXISTS counts every argument, duplicates included. */
function exists(ctx: CommandContext, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) if (lookupRead(ctx, argv[i], false) !== undefined) count++;
  ctx.reply.integer(count);
}

/** TOUCH: a read that only updates the access time. */
function touch(ctx: CommandContext, argv: string[]): void {
  let count = 0;
  for (let i = 1; i < argv.length; i++) if (lookupRead(ctx, argv[i]) !== undefined) count++;
  ctx.reply.integer(count);
}

function type(ctx: CommandContext, argv: string[]): void {
  const v = lookupRead(ctx, argv[1], false);
  ctx.reply.simple(v === undefined ? 'none' : typeOf(v));
}

/** RENAME/RENAMENX: the value moves with its TTL; renaming a key to itself only checks it exists. */
function renameGeneric(ctx: CommandContext, argv: string[], nx: boolean): void {
  const src = argv[1];
  const dst = argv[2];
  const db = ctx.db;
  if (db.get(src) === undefined) {
    ctx.reply.error(ERR.noSuchKey);
    return;
  }
  if (src === dst) {
    if (nx) ctx.reply.integer(0);
    else ctx.reply.ok();
    return;
  }
  if (db.get(dst) !== undefined && nx) {
    ctx.reply.integer(0);
    return;
  }
  db.rename(src, dst);
  db.touch(src);
  ctx.notify('g', 'rename_from', src);
  ctx.changed(dst, 'g', 'rename_to');
  // Like Redis's dbAdd: clients blocked on the new key name get a chance.
  ctx.signalKeyReady(dst);
  if (nx) ctx.reply.integer(1);
  else ctx.reply.ok();
}

function rename(ctx: CommandContext, argv: string[]): void {
  renameGeneric(ctx, argv, false);
}

function renamenx(ctx: CommandContext, argv: string[]): void {
  renameGeneric(ctx, argv, true);
}

/** KEYS: every live key matching; expired keys are skipped, not deleted (keyIsExpired). */
function keys(ctx: CommandContext, argv: string[]): void {
  const pattern = argv[1];
  const all = pattern === '*';
  const db = ctx.db;
  const out: string[] = [];
  db.data.forEach((key) => {
    if ((all || globMatch(pattern, key)) && !db.isExpired(key)) out.push(key);
  });
  ctx.reply.bulks(out);
}

const CURSOR = /^[+-]?[0-9]+$/;
const ULONG_MAX = (1n << 64n) - 1n;

/**
 * A SCAN cursor as strtoul reads it: optional sign (negative wraps modulo 2^64), decimal digits, no
 * leading space, the empty string is 0. Only the low 32 bits can address our tables; the rest is
 * folded away by the cursor arithmetic exactly as Redis's 64-bit one does. Null when invalid.
 */
export function parseScanCursor(s: string): number | null {
  if (s === '') return 0;
  if (!CURSOR.test(s)) return null;
  const negative = s.charCodeAt(0) === 0x2d;
  const magnitude = BigInt(negative || s.charCodeAt(0) === 0x2b ? s.slice(1) : s);
  if (magnitude > ULONG_MAX) return null;
  const value = negative ? (1n << 64n) - magnitude : magnitude;
  return Number(BigInt.asUintN(32, value));
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] */
function scan(ctx: CommandContext, argv: string[]): void {
  const start = parseScanCursor(argv[1]);
  if (start === null) {
    ctx.reply.error(ERR.invalidCursor);
    return;
  }
  let count = 10;
  let pattern: string | null = null;
  let typeName: string | null = null;
  for (let i = 2; i < argv.length; i += 2) {
    const option = argv[i];
    const hasValue = i + 1 < argv.length;
    if (is(option, 'COUNT') && hasValue) {
      const n = parseInt64(argv[i + 1]);
      if (n === null) {
        ctx.reply.error(ERR.notInteger);
        return;
      }
      if (n < 1) {
        ctx.reply.error(ERR.syntax);
        return;
      }
      count = Number(n);
    } else if (is(option, 'MATCH') && hasValue) {
      pattern = argv[i + 1] === '*' ? null : argv[i + 1];
    } else if (is(option, 'TYPE') && hasValue) {
      typeName = argv[i + 1].toLowerCase();
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const db = ctx.db;
  const found: string[] = [];
  const collect = (key: string) => {
    found.push(key);
  };
  // At most ten buckets per wanted key, so a sparse table cannot block the server.
  let budget = count * 10;
  let cursor = start;
  do {
    cursor = db.data.scan(cursor, collect);
  } while (cursor !== 0 && budget-- !== 0 && found.length < count);

  const out: string[] = [];
  for (const key of found) {
    if (pattern !== null && !globMatch(pattern, key)) continue;
    if (typeName !== null) {
      const v = lookupRead(ctx, key, false);
      if ((v === undefined ? 'none' : typeOf(v)) !== typeName) continue;
    }
    if (db.expireIfNeeded(key)) continue;
    out.push(key);
  }
  ctx.reply.array(2);
  ctx.reply.bulk(String(cursor));
  ctx.reply.bulks(out);
}

function randomkey(ctx: CommandContext): void {
  ctx.reply.bulkOrNil(ctx.db.randomKey());
}

function dbsize(ctx: CommandContext): void {
  ctx.reply.integer(ctx.db.size);
}

/**
 * FLUSHDB/FLUSHALL [ASYNC|SYNC]: both free synchronously here (the GC reclaims either way); the
 * option is validated like Redis. Propagated even when nothing was deleted.
 */
function flushOption(ctx: CommandContext, argv: string[]): boolean {
  if (argv.length > 2 || (argv.length === 2 && !is(argv[1], 'SYNC') && !is(argv[1], 'ASYNC'))) {
    ctx.reply.error(ERR.syntax);
    return false;
  }
  return true;
}

function forcePropagation(ctx: CommandContext, argv: string[]): void {
  ctx.alsoPropagate(argv);
  ctx.preventPropagation();
}

function flushdb(ctx: CommandContext, argv: string[]): void {
  if (!flushOption(ctx, argv)) return;
  const db = ctx.db;
  const removed = db.size;
  db.touchAll();
  db.clear();
  ctx.addDirty(removed);
  forcePropagation(ctx, argv);
  ctx.reply.ok();
}

function flushall(ctx: CommandContext, argv: string[]): void {
  if (!flushOption(ctx, argv)) return;
  ctx.addDirty(ctx.keyspace.flushAll());
  ctx.server.afterFlushAll();
  forcePropagation(ctx, argv);
  ctx.reply.ok();
}

/** SWAPDB index1 index2: clients stay on their db number and see the other's data. */
function swapdb(ctx: CommandContext, argv: string[]): void {
  const a = int32Arg(ctx, argv[1], 'ERR invalid first DB index');
  if (a === null) return;
  const b = int32Arg(ctx, argv[2], 'ERR invalid second DB index');
  if (b === null) return;
  const count = ctx.keyspace.dbs.length;
  if (a < 0 || a >= count || b < 0 || b >= count) {
    ctx.reply.error(ERR.dbIndexOutOfRange);
    return;
  }
  ctx.keyspace.swap(a, b);
  // Clients blocked on a key that now exists in their db get served.
  ctx.server.scanDatabaseForReadyKeys(ctx.keyspace.dbs[a]);
  ctx.server.scanDatabaseForReadyKeys(ctx.keyspace.dbs[b]);
  ctx.addDirty(1);
  ctx.reply.ok();
}

/** MOVE key db: only when the key is absent from the target; the TTL goes along. */
function move(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const target = dbArg(ctx, argv[2]);
  if (target === null) return;
  const src = ctx.db;
  if (target === src) {
    ctx.reply.error(SAME_OBJECT);
    return;
  }
  if (src.get(key) === undefined || target.get(key) !== undefined) {
    ctx.reply.integer(0);
    return;
  }
  src.moveTo(target, key);
  src.touch(key);
  ctx.notify('g', 'move_from', key);
  ctx.changed(key, 'g', 'move_to', target);
  ctx.signalKeyReady(key, target);
  ctx.reply.integer(1);
}

/** COPY source destination [DB index] [REPLACE]: a deep copy of any type, with the TTL. */
function copy(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const newkey = argv[2];
  let target = ctx.db;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    if (is(argv[j], 'REPLACE')) {
      replace = true;
    } else if (is(argv[j], 'DB') && j + 1 < argv.length) {
      const db = dbArg(ctx, argv[++j]);
      if (db === null) return;
      target = db;
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  if (target === ctx.db && key === newkey) {
    ctx.reply.error(SAME_OBJECT);
    return;
  }
  const value = lookupRead(ctx, key);
  if (value === undefined) {
    ctx.reply.integer(0);
    return;
  }
  const when = ctx.db.getExpireExact(key);
  if (target.get(newkey) !== undefined) {
    if (!replace) {
      ctx.reply.integer(0);
      return;
    }
    target.delete(newkey);
  }
  target.set(newkey, copyValue(value));
  if (when !== undefined) target.setExpire(newkey, when);
  ctx.changed(newkey, 'g', 'copy_to', target);
  ctx.signalKeyReady(newkey, target);
  ctx.reply.integer(1);
}

// --- OBJECT ---

const LFU_NOT_SELECTED =
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
const LFU_SELECTED =
  'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
/** Redis's refcount of its shared objects (OBJ_SHARED_REFCOUNT). */
const SHARED_REFCOUNT = 2147483647;
/** Integers below this are shared objects in Redis (OBJ_SHARED_INTEGERS). */
const SHARED_INTEGERS = 10000;

/** objectCommandLookup (the key is argv[2]): no touch, no keymiss event, but counted as a hit or miss; nil when absent. */
function objectLookup(ctx: CommandContext, key: string): Value | undefined {
  const v = ctx.db.peek(key);
  if (v === undefined) {
    ctx.keyspace.misses++;
    ctx.reply.nil();
  } else {
    ctx.keyspace.hits++;
  }
  return v;
}

function objectEncoding(ctx: CommandContext, argv: string[]): void {
  const v = objectLookup(ctx, argv[2]);
  if (v !== undefined) ctx.reply.bulk(isString(v) ? stringEncoding(v) : v.encoding());
}

/**
 * Redis shares one object for each small integer value unless maxmemory is set with an LRU/LFU
 * policy (which needs a clock per key); everything else has a single reference.
 */
function objectRefcount(ctx: CommandContext, argv: string[]): void {
  const v = objectLookup(ctx, argv[2]);
  if (v === undefined) return;
  let shared = false;
  if (typeof v === 'string' && stringEncoding(v) === 'int') {
    const n = Number(v);
    const policy = ctx.server.config.str('maxmemory-policy');
    const perKeyClock = policy.endsWith('-lru') || policy.endsWith('-lfu');
    shared = n >= 0 && n < SHARED_INTEGERS && (ctx.server.config.num('maxmemory') === 0 || !perKeyClock);
  }
  ctx.reply.integer(shared ? SHARED_REFCOUNT : 1);
}

function objectIdletime(ctx: CommandContext, argv: string[]): void {
  if (objectLookup(ctx, argv[2]) === undefined) return;
  if (ctx.keyspace.lfu) {
    ctx.reply.error(LFU_SELECTED);
    return;
  }
  const stamp = ctx.db.accessStamp(argv[2]);
  ctx.reply.integer(Math.floor(ctx.keyspace.idleMs(stamp) / 1000));
}

function objectFreq(ctx: CommandContext, argv: string[]): void {
  if (objectLookup(ctx, argv[2]) === undefined) return;
  if (!ctx.keyspace.lfu) {
    ctx.reply.error(LFU_NOT_SELECTED);
    return;
  }
  ctx.reply.integer(ctx.keyspace.lfuCounter(ctx.db.accessStamp(argv[2])));
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

function objectHelp(ctx: CommandContext): void {
  ctx.reply.array(OBJECT_HELP.length);
  for (const line of OBJECT_HELP) ctx.reply.simple(line);
}

export const keyCommands: CommandFamily = {
  del,
  unlink: del,
  exists,
  touch,
  type,
  rename,
  renamenx,
  keys,
  scan,
  randomkey,
  dbsize,
  flushdb,
  flushall,
  swapdb,
  move,
  copy,
  'object|encoding': objectEncoding,
  'object|refcount': objectRefcount,
  'object|idletime': objectIdletime,
  'object|freq': objectFreq,
  'object|help': objectHelp,
};
