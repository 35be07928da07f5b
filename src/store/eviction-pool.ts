/**
 * The choice of keys to evict (Redis 7.0's evict.c): sampling into a pool of the 16 best
 * candidates, by idle time, LFU counter or TTL, or a random key for the random policies.
 */
import type { Database } from './database.js';

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
  /** Where the candidate was sampled, -1 for an empty place. */
  slot: number;
  /** Higher is a better candidate: idle ms, 255 - LFU counter, or the negated expire time. */
  idle: number;
  db: number;
  /**
   * allkeys policies: the slot's access stamp when sampled. The same stamp at pick time means the
   * key there is as good a candidate as the one sampled (the same key, or one that took its slot
   * and was touched at the same moment), so the key is read only for the one evicted.
   */
  stamp: number;
  /** volatile policies (sampled from the expires dict): the key itself; null for allkeys ones. */
  key: string | null;
}

/**
 * Redis's EvictionPoolLRU and the key selection of performEvictions: LRU/LFU/TTL policies sample
 * `samples` keys per db into a pool kept sorted by idleness and take the best one still present;
 * random policies take a random key from the next db in turn. The pool persists across calls.
 */
export class EvictionPool {
  private readonly pool: PoolEntry[] = Array.from({ length: EVICTION_POOL_SIZE }, () => ({
    slot: -1,
    idle: 0,
    db: 0,
    stamp: 0,
    key: null,
  }));
  private nextDb = 0;
  /** Slots drawn by the current populate call (sized for maxmemory-samples). */
  private drawn = new Int32Array(5);

  /** The key the last pick chose, and its slot in the db's main dict (-1: not known). */
  pickedKey = '';
  pickedSlot = -1;

  /** The db of the next key to evict (pickedKey, pickedSlot), or null when no key qualifies. */
  pick(source: EvictionSource, policy: EvictionPolicy, samples: number): Database | null {
    if (policy === 'noeviction') return null;
    const allkeys = policy.startsWith('allkeys-');
    if (policy === 'allkeys-random' || policy === 'volatile-random') {
      const dbs = source.dbs;
      for (let i = 0; i < dbs.length; i++) {
        const db = dbs[++this.nextDb % dbs.length];
        const dict = allkeys ? db.data : db.expires;
        const slot = dict.randomSlot();
        if (slot >= 0) return this.picked(db, dict.keyAt(slot), allkeys ? slot : -1);
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
      // From the best candidate down; keys gone since they were sampled are ghosts.
      for (let k = EVICTION_POOL_SIZE - 1; k >= 0; k--) {
        const e = pool[k];
        if (e.slot < 0) continue;
        const slot = e.slot;
        e.slot = -1;
        const db = source.dbs[e.db];
        if (db === undefined) continue;
        // An entry sampled under the other kind of policy (the policy changed) is a ghost too.
        const sampledKey = e.key;
        e.key = null;
        if (allkeys) {
          const key = db.data.entryAt(slot);
          if (sampledKey === null && key !== undefined && db.data.stampAt(slot) === e.stamp)
            return this.picked(db, key, slot);
        } else if (sampledKey !== null) {
          if (db.expires.entryAt(slot) === sampledKey || db.expires.has(sampledKey))
            return this.picked(db, sampledKey, -1);
        }
      }
    }
  }

  private picked(db: Database, key: string, slot: number): Database {
    this.pickedKey = key;
    this.pickedSlot = slot;
    return db;
  }

  /** evictionPoolPopulate: `samples` keys of one db (dictGetSomeKeys) into the pool. */
  private populate(
    source: EvictionSource,
    db: Database,
    policy: EvictionPolicy,
    allkeys: boolean,
    samples: number,
  ): void {
    const dict = allkeys ? db.data : db.expires;
    let drawn = this.drawn;
    let n: number;
    if (samples >= dict.size) {
      // Asked for at least every key: every key.
      if (drawn.length < dict.size) drawn = new Int32Array(dict.size);
      n = 0;
      for (let slot = 0; slot < dict.slotCount; slot++)
        if (dict.entryAt(slot) !== undefined) drawn[n++] = slot;
    } else {
      if (drawn.length !== samples) this.drawn = drawn = new Int32Array(samples);
      n = dict.sampleSlots(drawn);
    }
    const lru = policy.endsWith('-lru');
    for (let d = 0; d < n; d++) {
      const slot = drawn[d];
      let idle: number;
      let stamp = 0;
      let key: string | null = null;
      if (allkeys) {
        stamp = db.data.stampAt(slot);
      } else {
        key = dict.keyAt(slot);
        if (policy !== 'volatile-ttl') stamp = db.accessStamp(key);
      }
      if (policy === 'volatile-ttl') {
        // Redis: ULLONG_MAX - expire time; the sooner it expires, the better a candidate.
        idle = -db.expires.valueAt(slot);
      } else {
        idle = lru ? source.idleMs(stamp) : 255 - source.lfuCounter(stamp);
      }
      const e = this.place(idle);
      if (e === null) continue;
      e.slot = slot;
      e.idle = idle;
      e.db = db.id;
      e.stamp = stamp;
      e.key = key;
    }
  }

  /**
   * The place for a candidate in the pool kept sorted by ascending idle (the worst dropped when
   * full), or null when it is worse than every candidate of a full pool.
   */
  private place(idle: number): PoolEntry | null {
    const pool = this.pool;
    const last = EVICTION_POOL_SIZE - 1;
    let k = 0;
    while (k < EVICTION_POOL_SIZE && pool[k].slot >= 0 && pool[k].idle < idle) k++;
    if (k === 0 && pool[last].slot >= 0) return null;
    if (k < EVICTION_POOL_SIZE && pool[k].slot < 0) {
      // An empty place: nothing to move.
    } else if (pool[last].slot < 0) {
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
    return pool[k];
  }

  /** Empties the pool (FLUSHALL makes every entry a ghost anyway; tests start clean). */
  clear(): void {
    for (const e of this.pool) {
      e.slot = -1;
      e.key = null;
    }
  }
}
