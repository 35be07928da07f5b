import { performance } from 'node:perf_hooks';
import { Database, type DatabaseHost, type ExpireMode } from './database.js';

/** Where time comes from; tests inject a manual clock so expiry tests never sleep. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(public time = Date.now()) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Redis's LRU clock: seconds, 24 bits, wrapping. */
export const LRU_CLOCK_MAX = (1 << 24) - 1;
/** LFU counter of a new value, so new keys are not evicted before they had a chance to be used. */
const LFU_INIT_VAL = 5;

/** Active expiry knobs (Redis's ACTIVE_EXPIRE_CYCLE_*), before scaling by active-expire-effort. */
const KEYS_PER_LOOP = 20;
const FAST_DURATION_US = 1000;
const SLOW_TIME_PERC = 25;
const ACCEPTABLE_STALE = 10;
/** Databases visited per cycle (CRON_DBS_PER_CALL). */
const DBS_PER_CALL = 16;

export type ExpireCycleType = 'slow' | 'fast';

/** All databases of a server, the command-time snapshot and the expiry and access policies they share. */
export class Keyspace implements DatabaseHost {
  readonly dbs: Database[];
  /** The command-time snapshot (ms): every expiry decision of a command uses it (Redis 7.0). */
  time = 0;
  lruClock = 0;
  newStamp = 0;
  expireMode: ExpireMode = 'delete';
  /** maxmemory-policy is an LFU one: access stamps hold LFU data instead of the LRU clock. */
  lfu = false;
  lfuLogFactor = 10;
  lfuDecayTime = 1;
  /** DEBUG SET-ACTIVE-EXPIRE: when false, only lazy expiry (on access) removes expired keys. */
  activeExpireEnabled = true;
  /** active-expire-effort, 1..10. */
  activeExpireEffort = 1;
  /** Server cron frequency: the slow cycle's time budget is a share of its period. */
  hz = 10;
  /** Called for each key created, while the 'new' keyspace event is enabled (null otherwise: free). */
  onNewKey: ((db: Database, key: string) => void) | null = null;
  /** Called for each key deleted because it expired (wired by the server to notify and propagate). */
  expiredListener: (db: Database, key: string) => void = () => {};
  /** Keys deleted by expiry so far (INFO expired_keys). */
  expiredKeys = 0;
  /** Keys deleted by maxmemory eviction so far (INFO evicted_keys). */
  evictedKeys = 0;
  /** Date.now() - performance.now(), refreshed by syncWallClock. */
  private wallOffset = 0;
  /** Successful and failed key lookups by read commands (INFO keyspace_hits / keyspace_misses). */
  hits = 0;
  misses = 0;
  /** Estimated fraction of volatile keys that are expired but not yet reclaimed (INFO expired_stale_perc). */
  expiredStalePerc = 0;
  /** Slow cycles that stopped on their time limit (INFO expired_time_cap_reached_count). */
  expiredTimeCapReachedCount = 0;
  /** Time spent in active expiry, microseconds (INFO expire_cycle_cpu_milliseconds / 1000). */
  expireCycleTimeUsedUs = 0;
  private nextExpireDb = 0;
  private timelimitExit = false;
  private lastFastCycleUs = 0;

  constructor(
    count: number,
    public clock: Clock = systemClock,
  ) {
    this.dbs = Array.from({ length: count }, (_, i) => new Database(i, this));
    this.setTime(clock.now());
    this.syncWallClock();
  }

  /** Takes the time snapshot commands are evaluated against. */
  tick(): number {
    this.setTime(this.clock.now());
    return this.time;
  }

  /**
   * tick() from a performance.now() reading the caller already holds: the per-command hot path
   * then costs one clock read instead of two. Wall time = monotonic time + an offset that the
   * server cron re-syncs (syncWallClock), so clock steps are picked up within a cron period.
   */
  tickAt(perfNow: number): number {
    const ms = this.clock === systemClock ? Math.floor(this.wallOffset + perfNow) : this.clock.now();
    if (ms !== this.time) this.setTime(ms);
    return this.time;
  }

  /** Wall-clock ms for a performance.now() reading. */
  wallTime(perfNow: number): number {
    return Math.floor(this.wallOffset + perfNow);
  }

  syncWallClock(): void {
    this.wallOffset = Date.now() - performance.now();
  }

  private setTime(ms: number): void {
    this.time = ms;
    this.lruClock = Math.floor(ms / 1000) & LRU_CLOCK_MAX;
    this.newStamp = this.lfu ? ((this.lfuMinutes() << 8) | LFU_INIT_VAL) >>> 0 : this.lruClock;
  }

  /** Follows maxmemory-policy: LFU policies switch the meaning of the access stamps. */
  setEvictionPolicy(policy: string): void {
    this.lfu = policy.endsWith('-lfu');
    this.setTime(this.time);
  }

  /**
   * Keys a writable replica's own clients gave a TTL (Redis's slaveKeysWithExpire): the master
   * never sends their DEL, so the replica expires them itself (expireReplicaKeys).
   */
  private replicaExpires = new Map<Database, Set<string>>();

  replicaSetExpire(db: Database, key: string): void {
    let keys = this.replicaExpires.get(db);
    if (keys === undefined) this.replicaExpires.set(db, (keys = new Set()));
    keys.add(key);
  }

  /** Redis's expireSlaveKeys (in place of active expiry on a replica), within about 1 ms. */
  expireReplicaKeys(): number {
    if (this.replicaExpires.size === 0 || this.expireMode !== 'hide') return 0;
    this.setTime(this.clock.now());
    const deadline = performance.now() + 1;
    let expired = 0;
    let checked = 0;
    for (const [db, keys] of this.replicaExpires) {
      for (const key of keys) {
        const when = db.expires.get(key);
        if (when === undefined) keys.delete(key);
        else if (this.time > when) {
          keys.delete(key);
          db.deleteExpired(key);
          expired++;
        }
        if ((++checked & 0xff) === 0 && performance.now() > deadline) return expired;
      }
      if (keys.size === 0) this.replicaExpires.delete(db);
    }
    return expired;
  }

  /** Forgets the keys above (FLUSHALL, a full sync, becoming a master). */
  forgetReplicaExpires(): void {
    this.replicaExpires = new Map();
  }

  onExpired(db: Database, key: string): void {
    this.expiredKeys++;
    db.touch(key);
    this.expiredListener(db, key);
  }

  /** Estimated bytes of every db's keys, values and TTLs (the dataset part of used_memory). */
  get datasetBytes(): number {
    let n = 0;
    for (const db of this.dbs) n += db.usedBytes;
    return n;
  }

  /** Bytes of every db's string arenas (outside the V8 heap). */
  get arenaBytes(): number {
    let n = 0;
    for (const db of this.dbs) n += db.data.arenaBytes;
    return n;
  }

  get keyCount(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }

  flushAll(): number {
    this.forgetReplicaExpires();
    let removed = 0;
    for (const db of this.dbs) {
      removed += db.size;
      db.touchAll();
      db.clear();
    }
    return removed;
  }

  /** SWAPDB: watchers of a key that exists on either side are touched; blocked clients stay put. */
  swap(a: number, b: number): void {
    if (a === b) return;
    const db1 = this.dbs[a];
    const db2 = this.dbs[b];
    db1.touchAll(db2, true);
    db2.touchAll(db1, true);
    db1.swapWith(db2);
  }

  // --- LRU / LFU (Redis's evict.c), on the 24-bit stamps the main dicts keep per key ---

  /** Milliseconds since the access recorded in an LRU stamp (estimateObjectIdleTime). */
  idleMs(stamp: number): number {
    const clock = this.lruClock;
    const idle = clock >= stamp ? clock - stamp : clock + (LRU_CLOCK_MAX - stamp);
    return idle * 1000;
  }

  private lfuMinutes(): number {
    return Math.floor(this.time / 60000) & 0xffff;
  }

  /** The LFU counter of a stamp after decay: one step down per lfu-decay-time minutes idle. */
  lfuCounter(stamp: number): number {
    const last = stamp >>> 8;
    let counter = stamp & 255;
    const now = this.lfuMinutes();
    const elapsed = now >= last ? now - last : 65535 - last + now;
    const periods = this.lfuDecayTime > 0 ? Math.floor(elapsed / this.lfuDecayTime) : 0;
    if (periods > 0) counter = periods > counter ? 0 : counter - periods;
    return counter;
  }

  lfuTouch(stamp: number): number {
    let counter = this.lfuCounter(stamp);
    if (counter < 255) {
      // Logarithmic increment: the higher the counter, the less likely another step.
      const base = Math.max(0, counter - LFU_INIT_VAL);
      if (Math.random() < 1 / (base * this.lfuLogFactor + 1)) counter++;
    }
    return ((this.lfuMinutes() << 8) | counter) >>> 0;
  }

  // --- Active expiry ---

  /**
   * Redis's activeExpireCycle. Walks each db's expires table with a cursor, sampling about 20 keys
   * per loop and deleting the expired ones, repeating on a db while more than 10% of a sample was
   * expired, within a time budget (slow: 25% of the cron period; fast: 1ms, and only when the last
   * slow cycle ran out of time). Also maintains avg_ttl and the stale-keys estimate. Returns the
   * number of keys deleted.
   */
  activeExpireCycle(type: ExpireCycleType = 'slow'): number {
    if (!this.activeExpireEnabled || this.expireMode !== 'delete') return 0;
    // Redis compares the stale fraction (0..1) with a percentage here, so in practice only a
    // time-capped slow cycle triggers fast cycles; kept as is. Checked first: this runs per input batch.
    const acceptableStale = ACCEPTABLE_STALE - (this.activeExpireEffort - 1);
    if (type === 'fast' && !this.timelimitExit && this.expiredStalePerc < acceptableStale) return 0;
    const effort = this.activeExpireEffort - 1;
    const keysPerLoop = KEYS_PER_LOOP + (KEYS_PER_LOOP / 4) * effort;
    const fastDurationUs = FAST_DURATION_US + (FAST_DURATION_US / 4) * effort;
    const slowTimePerc = SLOW_TIME_PERC + 2 * effort;
    const startUs = performance.now() * 1000;

    if (type === 'fast') {
      if (startUs < this.lastFastCycleUs + fastDurationUs * 2) return 0;
      this.lastFastCycleUs = startUs;
    }
    const dbsPerCall = this.timelimitExit ? this.dbs.length : Math.min(DBS_PER_CALL, this.dbs.length);
    let timelimitUs =
      type === 'fast' ? fastDurationUs : Math.floor((slowTimePerc * 1_000_000) / Math.max(1, this.hz) / 100);
    if (timelimitUs <= 0) timelimitUs = 1;
    this.timelimitExit = false;

    let totalSampled = 0;
    let totalExpired = 0;
    let iteration = 0;
    for (let j = 0; j < dbsPerCall && !this.timelimitExit; j++) {
      const db = this.dbs[this.nextExpireDb % this.dbs.length];
      this.nextExpireDb = (this.nextExpireDb + 1) % this.dbs.length;
      let sample: ExpireSample;
      do {
        iteration++;
        const num = db.expires.size;
        if (num === 0) {
          db.avgTtl = 0;
          break;
        }
        // A table under 1% full is costly to sample; it will shrink soon.
        const slots = db.expires.bucketCount;
        if (slots > 4 && Math.floor((num * 100) / slots) < 1) break;
        this.setTime(this.clock.now());
        sample = this.sampleExpires(db, Math.min(num, keysPerLoop));
        totalSampled += sample.sampled;
        totalExpired += sample.expired;
        if (sample.ttlSamples > 0) {
          const avg = Math.trunc(sample.ttlSum / sample.ttlSamples);
          if (db.avgTtl === 0) db.avgTtl = avg;
          db.avgTtl = Math.trunc(db.avgTtl / 50) * 49 + Math.trunc(avg / 50);
        }
        if ((iteration & 0xf) === 0 && performance.now() * 1000 - startUs > timelimitUs) {
          this.timelimitExit = true;
          this.expiredTimeCapReachedCount++;
          break;
        }
      } while (sample.sampled === 0 || Math.floor((sample.expired * 100) / sample.sampled) > acceptableStale);
    }
    this.expireCycleTimeUsedUs += Math.round(performance.now() * 1000 - startUs);
    const current = totalSampled > 0 ? totalExpired / totalSampled : 0;
    this.expiredStalePerc = current * 0.05 + this.expiredStalePerc * 0.95;
    return totalExpired;
  }

  /** One loop of the cycle on a db: scans buckets until `target` keys were seen, deleting expired ones. */
  private sampleExpires(db: Database, target: number): ExpireSample {
    const sample: ExpireSample = { sampled: 0, expired: 0, ttlSum: 0, ttlSamples: 0 };
    const now = this.time;
    const expiredKeys: string[] = [];
    const visit = (key: string, when: number) => {
      sample.sampled++;
      const ttl = when - now;
      if (ttl < 0) expiredKeys.push(key);
      else if (ttl > 0) {
        sample.ttlSum += ttl;
        sample.ttlSamples++;
      }
    };
    const maxBuckets = target * 20;
    for (let buckets = 0; sample.sampled < target && buckets < maxBuckets && db.expires.size > 0; buckets++) {
      db.expireCursor = db.expires.scan(db.expireCursor, visit);
      // The scan callback must not modify the table: delete after each bucket.
      for (const key of expiredKeys) db.deleteExpired(key);
      sample.expired += expiredKeys.length;
      expiredKeys.length = 0;
    }
    return sample;
  }
}

interface ExpireSample {
  sampled: number;
  expired: number;
  ttlSum: number;
  ttlSamples: number;
}
