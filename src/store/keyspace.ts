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

/** All databases of a server, the command-time snapshot and the expiry policy they share. */
export class Keyspace implements DatabaseHost {
  readonly dbs: Database[];
  time: number;
  expireMode: ExpireMode = 'delete';
  /** Called for each key deleted because it expired (wired by the server to notify and propagate). */
  expiredListener: (db: Database, key: string) => void = () => {};
  /** Keys deleted by expiry so far (INFO expired_keys). */
  expiredKeys = 0;
  /** Successful and failed key lookups by read commands (INFO keyspace_hits / keyspace_misses). */
  hits = 0;
  misses = 0;

  constructor(
    count: number,
    public clock: Clock = systemClock,
  ) {
    this.dbs = Array.from({ length: count }, (_, i) => new Database(i, this));
    this.time = clock.now();
  }

  /** Takes the time snapshot commands are evaluated against. */
  tick(): number {
    this.time = this.clock.now();
    return this.time;
  }

  onExpired(db: Database, key: string): void {
    this.expiredKeys++;
    this.expiredListener(db, key);
  }

  get keyCount(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }

  flushAll(): number {
    let removed = 0;
    for (const db of this.dbs) {
      removed += db.size;
      db.touchAll();
      db.clear();
    }
    return removed;
  }

  /**
   * Redis's slow active expire cycle: walks each db's expires table with a cursor, deleting expired
   * keys, and keeps going on a db while more than 10% of the sampled keys were expired, within a
   * time budget. Returns the number of keys deleted.
   */
  activeExpireCycle(budgetMs: number): number {
    if (this.expireMode !== 'delete') return 0;
    const start = this.clock.now();
    this.time = start;
    let deleted = 0;
    for (const db of this.dbs) {
      let iterations = 0;
      for (;;) {
        if (db.expires.size === 0) {
          db.avgTtl = 0;
          break;
        }
        let sampled = 0;
        let expired = 0;
        let ttlSum = 0;
        let ttlSamples = 0;
        const toDelete: string[] = [];
        // Visit up to 20 keys (possibly a few more: whole buckets), as ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP.
        let buckets = 0;
        do {
          db.expireCursor = db.expires.scan(db.expireCursor, (key, when) => {
            sampled++;
            if (this.time > when) toDelete.push(key);
            else {
              ttlSum += when - this.time;
              ttlSamples++;
            }
          });
          buckets++;
        } while (sampled < 20 && db.expireCursor !== 0 && buckets < 400);
        for (const key of toDelete) {
          if (db.isExpired(key)) {
            db.delete(key);
            this.onExpired(db, key);
            expired++;
          }
        }
        deleted += expired;
        if (ttlSamples > 0) {
          const avg = ttlSum / ttlSamples;
          db.avgTtl = db.avgTtl === 0 ? avg : (db.avgTtl / 50) * 49 + avg / 50;
        }
        iterations++;
        if ((iterations & 15) === 0 && this.clock.now() - start > budgetMs) return deleted;
        if (sampled === 0 || expired * 10 <= sampled || db.expireCursor === 0) break;
      }
    }
    return deleted;
  }
}
