/**
 * What each key costs in memory: the estimate every Database keeps up to date as keys change, the
 * dataset part of `used_memory`, which maxmemory and eviction decide on.
 *
 * Why an estimate rather than V8's heap figures: heapUsed counts garbage until the next major GC
 * and the young generation swings by megabytes between scavenges, so it can neither say whether a
 * deletion freed enough nor stay still under a limit a few MB wide. The estimate models the JS
 * representation (a latin1 string is a 16-byte header plus its characters rounded to 8, a dict slot
 * about 48 bytes, …; checked against heap deltas after a full GC) and changes exactly when keys do.
 */

import { cellBytes, PACK_MAX } from './string-arena.js';
import type { HashValue } from './types/hash.js';
import type { ListValue } from './types/list.js';
import type { SetValue } from './types/set.js';
import type { StreamValue } from './types/stream.js';
import type { ZSetValue } from './types/zset.js';
import { MutableString, type Value } from './values.js';

/** A main-dict slot (key and value pointers, hash, chain link, access stamp, bucket), with growth slack. */
const KEY_ENTRY = 48;
/** An expires-dict slot (key handle, hash, link, unboxed double, bucket). */
const EXPIRE_ENTRY = 40;
/** A MutableString: the object, its Buffer and the Buffer's backing store header. */
const MUTABLE_STRING = 96;
/** Object headers and inner arrays of an empty collection, by representation. */
const COLLECTION_BASE = 80;
const FLAT_BASE = 200;
const DICT_BASE = 96;
const INTSET_BASE = 200;
/** Per element on top of the strings themselves. */
const LIST_SLOT = 12;
const FLAT_PAIR = 20;
const DICT_ENTRY = 48;
const INTSET_ENTRY = 10;
const ZSET_FLAT_ENTRY = 40;
const SKIPLIST_NODE = 180;
/** Collections up to this size are measured element by element; larger ones from samples. */
const EXACT_UP_TO = 8;
const SAMPLES = 4;

/** A flat latin1 JS string of len chars. */
export function stringBytes(len: number): number {
  return 16 + ((len + 7) & ~7);
}

/** A key or a string value as the keyspace stores it: its arena cell when packed (store/string-arena.ts), else a JS string. */
export function storedStringBytes(len: number): number {
  return len <= PACK_MAX ? cellBytes(len) : stringBytes(len);
}

/** A TTL's cost: its expires-dict slot and its own copy of the key (packed like the main dict's). */
export function expireBytes(key: string): number {
  return EXPIRE_ENTRY + storedStringBytes(key.length);
}

/** A key's own cost: its cell (or string, when too long to pack) and its slot in the main dict. */
export function keyBytes(key: string): number {
  return KEY_ENTRY + storedStringBytes(key.length);
}

/** Estimated bytes of a value (collections: exact when small, else from a few random elements). */
export function valueBytes(v: Value): number {
  if (typeof v === 'string') return stringBytes(v.length);
  if (v instanceof MutableString) return MUTABLE_STRING + v.bytes.length;
  switch (v.type) {
    case 'list':
      return listBytes(v as ListValue);
    case 'hash':
      return hashBytes(v as HashValue);
    case 'set':
      return setBytes(v as SetValue);
    case 'zset':
      return zsetBytes(v as ZSetValue);
    case 'stream':
      return (v as StreamValue).estimatedBytes();
    default:
      return COLLECTION_BASE * 2;
  }
}

/** n elements whose strings average `avg` bytes: exact for small counts, sampled otherwise. */
function elements(n: number, sample: (exactIndex: number) => number): number {
  if (n === 0) return 0;
  if (n <= EXACT_UP_TO) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sample(i);
    return sum;
  }
  let sum = 0;
  for (let i = 0; i < SAMPLES; i++) sum += sample(-1);
  return Math.round((sum / SAMPLES) * n);
}

function listBytes(l: ListValue): number {
  const n = l.length;
  return (
    COLLECTION_BASE +
    n * LIST_SLOT +
    elements(n, (i) => stringBytes(l.at(i >= 0 ? i : (Math.random() * n) | 0).length))
  );
}

function hashBytes(h: HashValue): number {
  const n = h.size;
  const listpack = h.isListpack;
  let exact: string[] | null = null;
  const strings = elements(n, (i) => {
    let field: string;
    let value: string;
    if (i >= 0) {
      exact ??= h.toFlat();
      field = exact[2 * i];
      value = exact[2 * i + 1];
    } else {
      field = h.randomField();
      value = h.get(field) ?? '';
    }
    return stringBytes(field.length) + stringBytes(value.length);
  });
  return listpack
    ? FLAT_BASE + n * FLAT_PAIR + strings
    : COLLECTION_BASE + DICT_BASE + n * DICT_ENTRY + strings;
}

function setBytes(s: SetValue): number {
  const n = s.size;
  if (s.isIntset) return INTSET_BASE + Math.max(4, n) * INTSET_ENTRY;
  let exact: string[] | null = null;
  const strings = elements(n, (i) => {
    if (i < 0) return stringBytes(s.randomMember().length);
    exact ??= s.members();
    return stringBytes(exact[i].length);
  });
  return COLLECTION_BASE + DICT_BASE + n * DICT_ENTRY + strings;
}

function zsetBytes(z: ZSetValue): number {
  const n = z.size;
  const strings = elements(n, (i) => stringBytes((i >= 0 ? z.at(i) : z.randomEntry())[0].length));
  return z.isListpack
    ? FLAT_BASE + n * ZSET_FLAT_ENTRY + strings
    : COLLECTION_BASE + 2 * DICT_BASE + n * (SKIPLIST_NODE + DICT_ENTRY) + strings;
}

/**
 * Collections and MutableStrings change in place, so each remembers what was added for it
 * (accountedBytes) to be taken back. Latin1 string values are immutable: their cost is recomputed
 * from the string itself.
 */
export function accountedBytes(v: Value): number {
  return typeof v === 'string' ? storedStringBytes(v.length) : v.accountedBytes;
}

/** Measures a value and remembers the figure (for objects); returns the change since last time. */
export function remeasure(v: Value): number {
  if (typeof v === 'string') return 0;
  const before = v.accountedBytes;
  v.accountedBytes = valueBytes(v);
  return v.accountedBytes - before;
}

/** Measures a value that is entering a db; returns its cost. */
export function measure(v: Value): number {
  if (typeof v === 'string') return storedStringBytes(v.length);
  v.accountedBytes = valueBytes(v);
  return v.accountedBytes;
}
