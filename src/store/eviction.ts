/**
 * The store's half of maxmemory: what each key costs (an estimate every Database keeps up to date,
 * the `used_memory` figure eviction decides on) and the choice of keys to evict (Redis 7.0's
 * evict.c: sampling into a pool of the 16 best candidates, by idle time, LFU counter or TTL).
 *
 * Why an estimate rather than V8's heap figures: heapUsed counts garbage until the next major GC
 * and the young generation swings by megabytes between scavenges, so it can neither say whether a
 * deletion freed enough nor stay still under a limit a few MB wide. The estimate models the JS
 * representation (a latin1 string is a 16-byte header plus its characters rounded to 8, a dict slot
 * about 48 bytes, …; checked against heap deltas after a full GC) and changes exactly when keys do.
 */
import type { Database } from './database.js';
import type { HashValue } from './types/hash.js';
import type { ListValue } from './types/list.js';
import type { SetValue } from './types/set.js';
import type { ZSetValue } from './types/zset.js';
import { MutableString, type Value } from './values.js';

/** A main-dict slot (key and value pointers, hash, chain link, access stamp, bucket), with growth slack. */
const KEY_ENTRY = 48;
/** An expires-dict slot (key pointer, hash, link, unboxed double, bucket). */
export const EXPIRE_ENTRY = 40;
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

/** A key's own cost: its string and its slot in the main dict. */
export function keyBytes(key: string): number {
  return KEY_ENTRY + stringBytes(key.length);
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
  return typeof v === 'string' ? stringBytes(v.length) : v.accountedBytes;
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
  if (typeof v === 'string') return stringBytes(v.length);
  v.accountedBytes = valueBytes(v);
  return v.accountedBytes;
}

// --- Choosing keys to evict (evict.c) ---

export type EvictionPolicy =
  | 'noeviction'
  | 'allkeys-lru'
  | 'allkeys-lfu'
  | 'allkeys-random'
  | 'volatile-lru'
  | 'volatile-lfu'
  | 'volatile-random'
  | 'volatile-ttl';

/** What the pool needs from the keyspace: its dbs and how to read the access stamps. */
export interface EvictionSource {
  readonly dbs: readonly Database[];
  idleMs(stamp: number): number;
  lfuCounter(stamp: number): number;
}

/** EVPOOL_SIZE. */
export const EVICTION_POOL_SIZE = 16;

interface PoolEntry {
  key: string | null;
  /** Higher is a better candidate: idle ms, 255 - LFU counter, or the negated expire time. */
  idle: number;
  db: number;
}

/**
 * Redis's EvictionPoolLRU and the key selection of performEvictions: LRU/LFU/TTL policies sample
 * `samples` keys per db into a pool kept sorted by idleness and take the best one still present;
 * random policies take a random key from the next db in turn. The pool persists across calls.
 */
export class EvictionPool {
  private readonly pool: PoolEntry[] = Array.from({ length: EVICTION_POOL_SIZE }, () => ({
    key: null,
    idle: 0,
    db: 0,
  }));
  private nextDb = 0;
  /** Slots drawn by the current populate call (no key twice from one sample). */
  private readonly drawn: number[] = [];

  /** The next key to evict: [db, key], or null when no key qualifies (nothing can be freed). */
  pick(source: EvictionSource, policy: EvictionPolicy, samples: number): [Database, string] | null {
    if (policy === 'noeviction') return null;
    const allkeys = policy.startsWith('allkeys-');
    if (policy === 'allkeys-random' || policy === 'volatile-random') {
      const dbs = source.dbs;
      for (let i = 0; i < dbs.length; i++) {
        const db = dbs[++this.nextDb % dbs.length];
        const dict = allkeys ? db.data : db.expires;
        const slot = dict.randomSlot();
        if (slot >= 0) return [db, dict.keyAt(slot)];
      }
      return null;
    }
    const pool = this.pool;
    for (;;) {
      let total = 0;
      for (const db of source.dbs) {
        const n = allkeys ? db.size : db.expiresCount;
        if (n === 0) continue;
        total += n;
        this.populate(source, db, policy, allkeys, samples);
      }
      if (total === 0) return null;
      // From the best candidate down; keys deleted since they were sampled are ghosts.
      for (let k = EVICTION_POOL_SIZE - 1; k >= 0; k--) {
        const e = pool[k];
        if (e.key === null) continue;
        const key = e.key;
        const db = source.dbs[e.db];
        e.key = null;
        e.idle = 0;
        if (db !== undefined && (allkeys ? db.data.has(key) : db.expires.has(key))) return [db, key];
      }
    }
  }

  /** evictionPoolPopulate: up to `samples` distinct random keys of one db. */
  private populate(
    source: EvictionSource,
    db: Database,
    policy: EvictionPolicy,
    allkeys: boolean,
    samples: number,
  ): void {
    const dict = allkeys ? db.data : db.expires;
    const sample = (slot: number) => {
      const key = dict.keyAt(slot);
      let idle: number;
      if (policy === 'volatile-ttl') {
        // Redis: ULLONG_MAX - expire time; the sooner it expires, the better a candidate.
        idle = -db.expires.valueAt(slot);
      } else {
        const stamp = allkeys ? db.data.stampAt(slot) : db.accessStamp(key);
        idle = policy.endsWith('-lru') ? source.idleMs(stamp) : 255 - source.lfuCounter(stamp);
      }
      this.insert(key, idle, db.id);
    };
    if (samples >= dict.size) {
      // dictGetSomeKeys asked for at least every key returns them all.
      for (let slot = 0; slot < dict.slotCount; slot++) if (dict.entryAt(slot) !== undefined) sample(slot);
      return;
    }
    const drawn = this.drawn;
    drawn.length = 0;
    for (let tries = 0; drawn.length < samples && tries < samples * 3; tries++) {
      const slot = dict.randomSlot();
      if (slot < 0) break;
      if (drawn.includes(slot)) continue;
      drawn.push(slot);
      sample(slot);
    }
  }

  /** Inserts into the pool kept sorted by ascending idle, dropping the worst when full. */
  private insert(key: string, idle: number, dbId: number): void {
    const pool = this.pool;
    const last = EVICTION_POOL_SIZE - 1;
    let k = 0;
    while (k < EVICTION_POOL_SIZE && pool[k].key !== null && pool[k].idle < idle) k++;
    if (k === 0 && pool[last].key !== null) return; // Worse than every candidate of a full pool.
    if (k < EVICTION_POOL_SIZE && pool[k].key === null) {
      // An empty place: nothing to move.
    } else if (pool[last].key === null) {
      // Room on the right: shift k.. one place right.
      const spare = pool[last];
      for (let i = last; i > k; i--) pool[i] = pool[i - 1];
      pool[k] = spare;
    } else {
      // Full: drop the least idle entry on the left and insert just before k.
      k--;
      const spare = pool[0];
      for (let i = 0; i < k; i++) pool[i] = pool[i + 1];
      pool[k] = spare;
    }
    const e = pool[k];
    e.key = key;
    e.idle = idle;
    e.db = dbId;
  }

  /** Empties the pool (FLUSHALL makes every entry a ghost anyway; tests start clean). */
  clear(): void {
    for (const e of this.pool) {
      e.key = null;
      e.idle = 0;
    }
  }
}
