/** DUMP and RESTORE: a value as an RDB object plus the RDB version and a CRC-64, as Redis 7.0. */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { Crc64 } from '../lib/crc64.js';
import { parseInt64 } from '../lib/numbers.js';
import { RDB_VERSION } from '../rdb/constants.js';
import { Cursor } from '../rdb/cursor.js';
import { readValue } from '../rdb/reader.js';
import { BadValueError, limitsFrom, toStoreValue, writeObject } from '../rdb/value-codec.js';
import { RdbWriter } from '../rdb/writer.js';
import { LRU_CLOCK_MAX } from '../store/keyspace.js';
import { typeOf, type Value } from '../store/values.js';
import { is } from './args.js';
import { lookupRead } from './keys.js';
import { ERR } from './replies.js';

/** createDumpPayload: object type and body, RDB version (2 bytes LE), CRC-64 of all that (8 bytes LE). */
export function dumpPayload(value: Value, compress: boolean, config: { num(name: string): number }): Buffer {
  const w = new RdbWriter(compress, true);
  writeObject(w, value, limitsFrom(config));
  w.dumpFooter();
  return Buffer.concat(w.take());
}

/** verifyDumpPayload: long enough, a version we read, and a matching checksum. */
export function verifyDumpPayload(p: Buffer): boolean {
  if (p.length < 10) return false;
  const footer = p.length - 10;
  const version = p[footer] | (p[footer + 1] << 8);
  if (version > RDB_VERSION) return false;
  const stored = p.readBigUInt64LE(footer + 2);
  return new Crc64().update(p, 0, p.length - 8).value() === stored;
}

/** The value in a payload (already verified), or null when Redis would answer "Bad data format". */
export function parsePayload(p: Buffer, key: string, config: { num(name: string): number }): Value | null {
  const r = new Cursor(p.subarray(0, p.length - 10));
  try {
    const type = r.u8();
    const value = toStoreValue(readValue(r, type, key), limitsFrom(config));
    return value;
  } catch (e) {
    if (e instanceof BadValueError || e instanceof Error) return null;
    throw e;
  }
}

function dump(ctx: CommandContext, argv: string[]): void {
  const value = lookupRead(ctx, argv[1]);
  if (value === undefined) {
    ctx.reply.nil();
    return;
  }
  const config = ctx.server.config;
  ctx.reply.bulk(dumpPayload(value, config.bool('rdbcompression'), config).latin1Slice());
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] */
function restore(ctx: CommandContext, argv: string[]): void {
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < argv.length; j++) {
    const more = argv.length - j - 1;
    if (is(argv[j], 'REPLACE')) {
      replace = true;
    } else if (is(argv[j], 'ABSTTL')) {
      absttl = true;
    } else if (is(argv[j], 'IDLETIME') && more >= 1 && freq === -1) {
      const v = parseInt64(argv[j + 1]);
      if (v === null) {
        ctx.reply.error(ERR.notInteger);
        return;
      }
      if (v < 0) {
        ctx.reply.error('ERR Invalid IDLETIME value, must be >= 0');
        return;
      }
      idle = Number(v);
      j++;
    } else if (is(argv[j], 'FREQ') && more >= 1 && idle === -1) {
      const v = parseInt64(argv[j + 1]);
      if (v === null) {
        ctx.reply.error(ERR.notInteger);
        return;
      }
      if (v < 0 || v > 255) {
        ctx.reply.error('ERR Invalid FREQ value, must be >= 0 and <= 255');
        return;
      }
      freq = Number(v);
      j++;
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const key = argv[1];
  const db = ctx.db;
  if (!replace && db.exists(key)) {
    ctx.reply.error('BUSYKEY Target key name already exists.');
    return;
  }
  const ttlArg = parseInt64(argv[2]);
  if (ttlArg === null) {
    ctx.reply.error(ERR.notInteger);
    return;
  }
  if (ttlArg < 0) {
    ctx.reply.error('ERR Invalid TTL value, must be >= 0');
    return;
  }
  const payload = Buffer.from(argv[3], 'latin1');
  if (!verifyDumpPayload(payload)) {
    ctx.reply.error('ERR DUMP payload version or checksum are wrong');
    return;
  }
  const value = parsePayload(payload, key, ctx.server.config);
  if (value === null) {
    ctx.reply.error('ERR Bad data format');
    return;
  }
  const deleted = replace && db.delete(key);
  let ttl = Number(ttlArg);
  if (ttl !== 0 && !absttl) ttl += ctx.now;
  if (ttl !== 0 && ttl <= ctx.now && ctx.server.roleName === 'master') {
    // Already expired: nothing is created; a replaced key was deleted.
    if (deleted) {
      const lazy = ctx.server.config.bool('lazyfree-lazy-server-del');
      ctx.rewriteArgv([lazy ? 'UNLINK' : 'DEL', key]);
      ctx.changed(key, 'g', 'del');
    }
    ctx.reply.ok();
    return;
  }
  db.set(key, value);
  const type = typeOf(value);
  if (type === 'list' || type === 'zset') ctx.signalKeyReady(key);
  if (ttl !== 0) {
    db.setExpire(key, ttl);
    if (!absttl) {
      const rewritten = argv.slice();
      rewritten[2] = String(ttl);
      rewritten.push('ABSTTL');
      ctx.rewriteArgv(rewritten);
    }
  }
  setAccessStamp(ctx, key, idle, freq);
  ctx.changed(key, 'g', 'restore');
  ctx.reply.ok();
}

/** objectSetLRUOrLFU: IDLETIME under an LRU (or no) policy, FREQ under an LFU one. */
function setAccessStamp(ctx: CommandContext, key: string, idle: number, freq: number): void {
  const ks = ctx.keyspace;
  if (ks.lfu) {
    if (freq >= 0) ctx.db.setAccessStamp(key, (((Math.floor(ctx.now / 60000) & 0xffff) << 8) | freq) >>> 0);
  } else if (idle >= 0) {
    let abs = ks.lruClock - idle;
    if (abs < 0) abs = (ks.lruClock + Math.floor(LRU_CLOCK_MAX / 2)) % LRU_CLOCK_MAX;
    ctx.db.setAccessStamp(key, abs);
  }
}

export const dumpCommands: CommandFamily = { dump, restore };
