/**
 * Store values <-> RDB objects. Writing follows what Redis 7.0 writes for each encoding (so files
 * and DUMP payloads look like Redis's): strings with int/LZF encodings, lists as quicklist 2 with
 * listpack nodes, intsets, listpack hashes and sorted sets, hashtables and skiplists as plain
 * element sequences. Reading turns the neutral RdbValue into store values with the encodings Redis
 * would pick under the current limits, and rejects what Redis rejects (duplicates, NaN scores).
 */
import { formatDouble } from '../lib/numbers.js';
import { HashValue } from '../store/types/hash.js';
import { ListValue } from '../store/types/list.js';
import { SetValue } from '../store/types/set.js';
import { StreamValue } from '../store/types/stream.js';
import { ZSetValue } from '../store/types/zset.js';
import { MutableString, type Value } from '../store/values.js';
import { QUICKLIST_NODE_PACKED, RdbOpcode, RdbType } from './constants.js';
import { encodeListpack, ListpackBuilder } from './listpack.js';
import type { RdbValue } from './reader.js';
import { writeStreamValue } from './stream-codec.js';
import type { RdbWriter } from './writer.js';
import { encodeIntset } from './ziplist.js';

/** Configuration that shapes how values are written and rebuilt. */
export interface CodecLimits {
  /** list-max-listpack-size: > 0 entries per quicklist node, < 0 a byte size class (-2: 8 KiB). */
  listFill: number;
  hashEntries: number;
  hashValue: number;
  zsetEntries: number;
  zsetValue: number;
  setIntsetEntries: number;
}

export const DEFAULT_LIMITS: CodecLimits = {
  listFill: -2,
  hashEntries: 512,
  hashValue: 64,
  zsetEntries: 128,
  zsetValue: 64,
  setIntsetEntries: 512,
};

/** Reads the limits from a configuration (anything with num()). */
export function limitsFrom(config: { num(name: string): number }): CodecLimits {
  const n = (name: string, def: number) => {
    const v = config.num(name);
    return typeof v === 'number' && Number.isFinite(v) ? v : def;
  };
  return {
    listFill: n('list-max-listpack-size', -2),
    hashEntries: n('hash-max-listpack-entries', 512),
    hashValue: n('hash-max-listpack-value', 64),
    zsetEntries: n('zset-max-listpack-entries', 128),
    zsetValue: n('zset-max-listpack-value', 64),
    setIntsetEntries: n('set-max-intset-entries', 512),
  };
}

/** The RDB object type Redis 7.0 writes for a value's current encoding. */
export function rdbTypeOf(v: Value): number {
  if (typeof v === 'string' || v instanceof MutableString) return RdbType.STRING;
  if (v instanceof ListValue) return RdbType.LIST_QUICKLIST_2;
  if (v instanceof SetValue) return v.isIntset ? RdbType.SET_INTSET : RdbType.SET;
  if (v instanceof HashValue) return v.isListpack ? RdbType.HASH_LISTPACK : RdbType.HASH;
  if (v instanceof ZSetValue) return v.isListpack ? RdbType.ZSET_LISTPACK : RdbType.ZSET_2;
  if (v instanceof StreamValue) return RdbType.STREAM_LISTPACKS_2;
  throw new Error(`cannot serialize a value of type ${(v as { type?: string }).type ?? typeof v}`);
}

/** Writes the type byte then the object body (rdbSaveObjectType + rdbSaveObject). */
export function writeObject(w: RdbWriter, v: Value, limits: CodecLimits): void {
  const type = rdbTypeOf(v);
  w.byte(type);
  writeBody(w, v, type, limits);
}

function writeBody(w: RdbWriter, v: Value, type: number, limits: CodecLimits): void {
  switch (type) {
    case RdbType.STRING:
      // Short raw strings may still be integer-encoded, as rdbSaveRawString does.
      if (typeof v === 'string') w.string(v);
      else {
        const m = v as MutableString;
        w.string(m.length <= 11 ? m.toString() : m.view());
      }
      return;
    case RdbType.LIST_QUICKLIST_2:
      writeQuicklist(w, v as ListValue, limits.listFill);
      return;
    case RdbType.SET_INTSET: {
      const members = (v as SetValue).members().map((m) => BigInt(m));
      w.string(encodeIntset(members));
      return;
    }
    case RdbType.SET: {
      const s = v as SetValue;
      w.length(s.size);
      s.forEach((m) => {
        w.string(m);
      });
      return;
    }
    case RdbType.HASH_LISTPACK:
      w.string(encodeListpack((v as HashValue).toFlat()));
      return;
    case RdbType.HASH: {
      const h = v as HashValue;
      w.length(h.size);
      h.forEach((f, x) => {
        w.string(f);
        w.string(x);
      });
      return;
    }
    case RdbType.ZSET_LISTPACK: {
      const flat: string[] = [];
      (v as ZSetValue).forEach((m, s) => {
        flat.push(m, listpackScore(s));
      });
      w.string(encodeListpack(flat));
      return;
    }
    case RdbType.STREAM_LISTPACKS_2:
      writeStreamValue(w, v as StreamValue);
      return;
    case RdbType.ZSET_2: {
      const z = v as ZSetValue;
      w.length(z.size);
      // From the highest to the lowest, as Redis walks its skiplist from the tail: loading then
      // inserts at the head, the cheap case.
      z.rangeByRank(0, z.size - 1, true, (m, s) => {
        w.string(m);
        w.binaryDouble(s);
      });
      return;
    }
  }
}

/** How Redis 7.0 stores a score in a listpack (d2string): integral values as integers, else %.17g. */
export function listpackScore(d: number): string {
  if (Number.isInteger(d) && d > -4503599627370495 && d < 4503599627370496 && !Object.is(d, -0))
    return String(d);
  return formatDouble(d);
}

const SIZE_CLASSES = [4096, 8192, 16384, 32768, 65536];
/** quicklist's SIZE_SAFETY_LIMIT (count-limited nodes still stop here) and per-entry estimate. */
const SIZE_SAFETY_LIMIT = 8192;
const SIZE_ESTIMATE_OVERHEAD = 8;

/** A list as quicklist 2: listpack nodes filled as quicklist would (list-max-listpack-size). */
function writeQuicklist(w: RdbWriter, list: ListValue, fill: number): void {
  const nodes: Buffer[] = [];
  const sizeLimit = fill < 0 ? SIZE_CLASSES[Math.min(-fill, SIZE_CLASSES.length) - 1] : SIZE_SAFETY_LIMIT;
  const countLimit = fill > 0 ? Math.min(fill, 65535) : 65535;
  let node = new ListpackBuilder();
  for (let i = 0; i < list.length; i++) {
    const item = list.at(i);
    const estimate = node.size + item.length + SIZE_ESTIMATE_OVERHEAD;
    if (node.count > 0 && (node.count + 1 > countLimit || estimate > sizeLimit)) {
      nodes.push(node.finish());
      node = new ListpackBuilder();
    }
    node.add(item);
  }
  if (node.count > 0) nodes.push(node.finish());
  w.length(nodes.length);
  for (const lp of nodes) {
    w.length(QUICKLIST_NODE_PACKED);
    w.string(lp);
  }
}

/** One key with its expiry and LRU/LFU data, as rdbSaveKeyValuePair writes it. */
export function writeEntry(
  w: RdbWriter,
  key: string,
  value: Value,
  expireMs: number | undefined,
  access: AccessInfo | null,
  limits: CodecLimits,
): void {
  if (expireMs !== undefined) w.expireMs(expireMs);
  if (access !== null) {
    if (access.kind === 'idle') {
      w.byte(RdbOpcode.IDLE);
      w.length(access.value);
    } else {
      w.byte(RdbOpcode.FREQ);
      w.byte(access.value);
    }
  }
  const type = rdbTypeOf(value);
  w.byte(type);
  w.string(key);
  writeBody(w, value, type, limits);
}

/** LRU idle seconds (maxmemory-policy *-lru) or the LFU counter (*-lfu) saved with a key. */
export interface AccessInfo {
  kind: 'idle' | 'freq';
  value: number;
}

/** A value that cannot be rebuilt (Redis: "Bad data format" for RESTORE, a corrupt file on load). */
export class BadValueError extends Error {}

/**
 * Builds the store value for an RdbValue. Returns null for an empty collection (Redis skips such
 * keys on load and refuses them in RESTORE).
 */
export function toStoreValue(v: RdbValue, limits: CodecLimits): Value | null {
  switch (v.type) {
    case 'string':
      return v.value;
    case 'list':
      return v.items.length === 0 ? null : ListValue.from(v.items);
    case 'set': {
      if (v.members.length === 0) return null;
      const s = SetValue.of(v.members, limits.setIntsetEntries);
      if (s.size !== v.members.length) throw new BadValueError('Duplicate set members detected');
      return s;
    }
    case 'hash': {
      if (v.pairs.length === 0) return null;
      if (v.pairs.length % 2 !== 0) throw new BadValueError('Hash with an odd number of elements');
      const h = HashValue.fromPairs(v.pairs, { entries: limits.hashEntries, value: limits.hashValue });
      if (h.size !== v.pairs.length / 2) throw new BadValueError('Duplicate hash fields detected');
      return h;
    }
    case 'zset': {
      if (v.entries.length === 0) return null;
      const seen = new Set<string>();
      for (const [member, score] of v.entries) {
        if (Number.isNaN(score)) throw new BadValueError('Zset with NAN score detected');
        seen.add(member);
      }
      if (seen.size !== v.entries.length) throw new BadValueError('Duplicate zset fields detected');
      return ZSetValue.fromEntries(v.entries, { entries: limits.zsetEntries, value: limits.zsetValue });
    }
    case 'stream':
      return v.value;
  }
}
