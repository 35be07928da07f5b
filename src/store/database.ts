import type { Int64 } from '../lib/numbers.js';
import { Dict, hashKey } from './dict.js';
import {
  accountedBytes,
  expireBytes,
  keyBytes,
  measure,
  remeasure,
  storedStringBytes,
} from './memory-estimate.js';
import type { Value } from './values.js';

/** Something that WATCHes keys: flagged when one of them is modified (Redis's CLIENT_DIRTY_CAS). */
export interface Watcher {
  watchTouched: boolean;
  /** Whether the key was already logically expired when WATCHed (Redis's watchedKey.expired). */
  watchedExpired(db: Database, key: string): boolean;
  setWatchedExpired(db: Database, key: string, expired: boolean): void;
}

/**
 * How expired keys behave when accessed; the server sets it: 'delete' on a master, 'hide' on a
 * replica (reads see the key as gone, the master's DEL removes it), 'ignore' while applying the
 * master's stream or loading.
 */
export type ExpireMode = 'delete' | 'hide' | 'ignore';

/** Services a Database needs from its owner, injected so the store never imports the server. */
export interface DatabaseHost {
  /** Time (ms) the current command runs at: one snapshot per command, like Redis. */
  readonly time: number;
  readonly expireMode: ExpireMode;
  /** Access stamp of a key read now in LRU mode: Redis's 24-bit LRU clock (seconds). */
  readonly lruClock: number;
  /** An LFU maxmemory policy is selected: stamps hold LFU data (minutes << 8 | counter). */
  readonly lfu: boolean;
  /** Stamp of a value created now: the LRU clock, or LFU's initial counter at the current minute. */
  readonly newStamp: number;
  /** The LFU stamp after one more access (decay, then logarithmic increment). */
  lfuTouch(stamp: number): number;
  /** An expired key was deleted: the owner counts, touches WATCHes, notifies and propagates a DEL. */
  onExpired(db: Database, key: string): void;
  /** A TTL set on a replica by one of its own clients (replica-read-only no), not by the master. */
  replicaSetExpire(db: Database, key: string): void;
  /** Set while someone listens for created keys (the 'new' keyspace event of Redis's dbAdd). */
  readonly onNewKey: ((db: Database, key: string) => void) | null;
}

/** A size announced by a file is trusted up to this many keys (past it the dicts grow as they fill). */
const PRESIZE_MAX = 1 << 24;

/** The main dict: access stamps for LRU/LFU, keys and string values packed outside the heap. */
function newKeyDict(): Dict<Value> {
  return new Dict<Value>({ trackAccess: true, packStrings: true });
}

/** The expires dict: unboxed times, keys packed like the main dict's (no object per volatile key). */
function newExpiresDict(): Dict<number> {
  return new Dict<number>({ numeric: true, packStrings: true });
}

/**
 * One numbered database: the main dictionary (with a per-key access stamp for OBJECT IDLETIME/FREQ
 * and eviction) plus the expires dictionary of absolute unix times in ms, as in Redis.
 */
export class Database {
  data = newKeyDict();
  expires = newExpiresDict();
  /**
   * Expire times beyond ±2^53 ms (only reachable with huge EXPIREAT/PEXPIREAT arguments): the
   * expires dict holds the nearest double for comparisons, this the exact int64 for replies.
   */
  private exactExpires: Map<string, bigint> | null = null;
  /** Keys some client WATCHes, with the watchers; null until first used. */
  watched: Map<string, Set<Watcher>> | null = null;
  /**
   * Told about every modified or deleted key (null: the whole db was flushed or replaced), for
   * clients blocked on a key that must hear of its deletion (XREADGROUP).
   */
  keyObserver: ((db: Database, key: string | null, swapped: boolean) => void) | null = null;
  /** Told about every modified key after the change (a running snapshot's safety net); usually null. */
  writeObserver: ((db: Database, key: string) => void) | null = null;
  /** Cursor of the active expiry cycle through the expires table. */
  expireCursor = 0;
  /** Running average TTL (ms) of keys sampled by the active expiry cycle (INFO keyspace avg_ttl). */
  avgTtl = 0;
  /**
   * Estimated bytes of this db's keys, values and TTLs (store/eviction.ts): maintained by every
   * method that adds, replaces or removes a value, and by touch() for values changed in place.
   */
  usedBytes = 0;
  /** The key last stored with a latin1 string value: its touch() has nothing to re-measure. */
  private lastStringKey: string | null = null;

  constructor(
    readonly id: number,
    private readonly host: DatabaseHost,
  ) {}

  get size(): number {
    return this.data.size;
  }

  /** Keys with a TTL (INFO keyspace expires=). */
  get expiresCount(): number {
    return this.expires.size;
  }

  /**
   * The live value of a key (Redis's lookupKey): applies lazy expiry first, then records the
   * access for LRU/LFU. The GET/SET hot path: one hash, no allocation.
   */
  get(key: string): Value | undefined {
    const data = this.data;
    const h = hashKey(key);
    const i = data.slotOf(key, h);
    if (i < 0) return undefined;
    const host = this.host;
    if (this.expires.size !== 0) {
      const e = this.expires.slotOf(key, h);
      if (e >= 0 && host.time > this.expires.valueAt(e) && this.expireFound(key)) return undefined;
    }
    data.setStampAt(i, host.lfu ? host.lfuTouch(data.stampAt(i)) : host.lruClock);
    return data.valueAt(i);
  }

  /** Like get() but leaves the access stamp alone (LOOKUP_NOTOUCH: EXISTS, TYPE, TTL, OBJECT). */
  peek(key: string): Value | undefined {
    const h = hashKey(key);
    const i = this.data.slotOf(key, h);
    if (i < 0) return undefined;
    if (this.expires.size !== 0) {
      const e = this.expires.slotOf(key, h);
      if (e >= 0 && this.host.time > this.expires.valueAt(e) && this.expireFound(key)) return undefined;
    }
    return this.data.valueAt(i);
  }

  /** The key exists and is not expired (applies lazy expiry, does not touch). */
  exists(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** Logically expired at the command's time, whatever the expire mode (Redis's keyIsExpired). */
  isExpired(key: string): boolean {
    if (this.expires.size === 0) return false;
    const when = this.expires.get(key);
    return when !== undefined && this.host.time > when;
  }

  /**
   * Redis's expireIfNeeded: if the key is logically expired, deletes it (master) and returns true;
   * a replica only reports it as gone; while applying the master's stream nothing expires.
   */
  expireIfNeeded(key: string): boolean {
    return this.isExpired(key) && this.expireFound(key);
  }

  /** Applies the expire mode to a key found expired. Returns true if it is to be treated as gone. */
  private expireFound(key: string): boolean {
    const mode = this.host.expireMode;
    if (mode === 'ignore') return false;
    if (mode === 'delete') this.deleteExpired(key);
    return true;
  }

  /** Deletes an expired key and has the host count, notify and propagate it. */
  deleteExpired(key: string): void {
    this.delete(key);
    this.host.onExpired(this, key);
  }

  /**
   * Stores a value (Redis's setKey). An expired previous value is expired first (notification and
   * propagated DEL, as lookupKeyWrite does); any TTL is removed unless keepTtl.
   */
  set(key: string, value: Value, keepTtl = false): void {
    const host = this.host;
    const h = hashKey(key);
    if (this.expires.size !== 0) {
      const e = this.expires.slotOf(key, h);
      if (e >= 0) {
        if (host.time > this.expires.valueAt(e) && host.expireMode === 'delete') this.deleteExpired(key);
        else if (!keepTtl) this.removeExpire(key);
      }
    }
    const data = this.data;
    const i = data.slotOf(key, h);
    if (i >= 0) {
      // An overwrite: LFU keeps the key's counter after counting this access (lookupKeyWrite).
      // The old figure first: the new value may be the same object, changed in place.
      const old = this.accountedAt(i);
      this.usedBytes += measure(value) - old;
      data.setValueAt(i, value);
      data.setStampAt(i, host.lfu ? host.lfuTouch(data.stampAt(i)) : host.lruClock);
    } else {
      data.set(key, value, host.lfu ? host.newStamp : host.lruClock, false, h);
      this.usedBytes += keyBytes(key) + measure(value);
    }
    this.lastStringKey = typeof value === 'string' ? key : null;
    if (i < 0 && host.onNewKey !== null) host.onNewKey(this, key);
  }

  /** Replaces the value of an existing key, keeping its TTL (in-place updates). */
  replace(key: string, value: Value): void {
    const data = this.data;
    const i = data.slotOfKey(key);
    if (i < 0) {
      data.set(key, value, this.host.lruClock);
      this.usedBytes += keyBytes(key) + measure(value);
    } else {
      // The old figure first: the new value may be the same object, changed in place.
      const old = this.accountedAt(i);
      this.usedBytes += measure(value) - old;
      data.setValueAt(i, value);
      if (!this.host.lfu) data.setStampAt(i, this.host.lruClock);
    }
    this.lastStringKey = typeof value === 'string' ? key : null;
  }

  /** The accounted bytes of the value in a main-dict slot (a packed string is not read for it). */
  private accountedAt(slot: number): number {
    const len = this.data.packedLengthAt(slot);
    return len >= 0 ? storedStringBytes(len) : accountedBytes(this.data.valueAt(slot));
  }

  delete(key: string): boolean {
    const value = this.data.delete(key);
    if (value === undefined) return false;
    this.forget(key, value);
    return true;
  }

  /** Deletes the key in a slot of the main dict (eviction found it there by sampling). */
  deleteSlot(slot: number, key: string): void {
    const value = this.data.deleteSlot(slot);
    if (value !== undefined) this.forget(key, value);
  }

  /** The accounting and TTL of a key just removed from the main dict. */
  private forget(key: string, value: Value): void {
    this.usedBytes -= keyBytes(key) + accountedBytes(value);
    if (key === this.lastStringKey) this.lastStringKey = null;
    if (this.expires.size !== 0 && this.expires.delete(key) !== undefined) {
      this.exactExpires?.delete(key);
      this.usedBytes -= expireBytes(key);
    }
  }

  /** Absolute expire time in ms (nearest double for huge values), or undefined without a TTL. */
  getExpire(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  /** The exact absolute expire time (TTL/PEXPIRETIME replies, persistence), or undefined. */
  getExpireExact(key: string): Int64 | undefined {
    const when = this.getExpire(key);
    if (when === undefined || this.exactExpires === null) return when;
    return this.exactExpires.get(key) ?? when;
  }

  /** Sets the absolute expire time (ms) of an existing key. */
  setExpire(key: string, when: Int64): void {
    // On a replica the master's stream applies with 'ignore'; 'hide' means one of its own clients.
    if (this.host.expireMode === 'hide') this.host.replicaSetExpire(this, key);
    const approx = Number(when);
    if (this.expires.set(key, approx)) this.usedBytes += expireBytes(key);
    if (typeof when === 'bigint' && !Number.isSafeInteger(approx)) {
      (this.exactExpires ??= new Map()).set(key, when);
    } else {
      this.exactExpires?.delete(key);
    }
  }

  removeExpire(key: string): boolean {
    if (this.expires.delete(key) === undefined) return false;
    this.exactExpires?.delete(key);
    this.usedBytes -= expireBytes(key);
    return true;
  }

  /** The key's raw access stamp (LRU clock or LFU data), or -1 if absent. No expiry applied. */
  accessStamp(key: string): number {
    const i = this.data.slotOf(key, hashKey(key));
    return i < 0 ? -1 : this.data.stampAt(i);
  }

  /**
   * RENAME: moves src's value, TTL and access stamp to dst, replacing dst. Both keys must have been
   * looked up already (expired ones deleted).
   */
  rename(src: string, dst: string): void {
    const data = this.data;
    const i = data.slotOf(src, hashKey(src));
    const value = data.valueAt(i);
    const stamp = data.stampAt(i);
    const when = this.getExpireExact(src);
    this.delete(dst);
    this.delete(src);
    data.set(dst, value, stamp);
    this.usedBytes += keyBytes(dst) + accountedBytes(value);
    if (when !== undefined) this.setExpire(dst, when);
    this.host.onNewKey?.(this, dst);
  }

  /** MOVE: transfers a live key with its TTL and access stamp to another db (where it is absent). */
  moveTo(target: Database, key: string): void {
    const data = this.data;
    const i = data.slotOf(key, hashKey(key));
    const value = data.valueAt(i);
    const stamp = data.stampAt(i);
    const when = this.getExpireExact(key);
    this.delete(key);
    target.data.set(key, value, stamp);
    target.usedBytes += keyBytes(key) + accountedBytes(value);
    if (when !== undefined) target.setExpire(key, when);
    this.host.onNewKey?.(target, key);
  }

  /**
   * A random live key (RANDOMKEY, dbRandomKey), expiring the expired ones met on the way. On a
   * replica whose keys all have a TTL, every pick may be logically expired: give up after 100
   * tries and return one anyway, as Redis does.
   */
  randomKey(): string | undefined {
    const allVolatile = this.data.size === this.expires.size;
    let tries = 100;
    for (;;) {
      const key = this.data.randomKey();
      if (key === undefined) return undefined;
      if (this.expires.size === 0 || !this.expires.has(key)) return key;
      if (allVolatile && this.host.expireMode === 'hide' && --tries === 0) return key;
      if (!this.expireIfNeeded(key)) return key;
    }
  }

  clear(): void {
    this.data = newKeyDict();
    this.expires = newExpiresDict();
    this.exactExpires = null;
    this.expireCursor = 0;
    this.avgTtl = 0;
    this.usedBytes = 0;
    this.lastStringKey = null;
  }

  /** Exchanges contents with another db (SWAPDB); watchers stay with their db number. */
  swapWith(other: Database): void {
    [this.data, other.data] = [other.data, this.data];
    [this.expires, other.expires] = [other.expires, this.expires];
    [this.exactExpires, other.exactExpires] = [other.exactExpires, this.exactExpires];
    [this.avgTtl, other.avgTtl] = [other.avgTtl, this.avgTtl];
    [this.expireCursor, other.expireCursor] = [other.expireCursor, this.expireCursor];
    [this.usedBytes, other.usedBytes] = [other.usedBytes, this.usedBytes];
    this.lastStringKey = null;
    other.lastStringKey = null;
  }

  /**
   * Marks clients watching this key (signalModifiedKey). Every write reports its keys here (through
   * ctx.changed), after the change: a value changed in place is re-measured.
   */
  touch(key: string): void {
    if (key !== this.lastStringKey) {
      const i = this.data.slotOfKey(key);
      if (i >= 0) this.usedBytes += remeasure(this.data.valueAt(i));
    }
    this.signalModified(key);
  }

  /** A key that was deleted (evicted, expired): its watchers and the write observer hear of it. */
  signalModified(key: string): void {
    if (this.watched !== null && this.watched.size > 0) {
      const watchers = this.watched.get(key);
      if (watchers !== undefined) {
        for (const w of watchers) {
          // A key already expired at WATCH time and now deleted: logically nothing changed.
          if (w.watchedExpired(this, key) && !this.data.has(key)) w.setWatchedExpired(this, key, false);
          else w.watchTouched = true;
        }
      }
    }
    if (this.writeObserver !== null) this.writeObserver(this, key);
    if (this.keyObserver !== null) this.keyObserver(this, key, false);
  }

  /**
   * FLUSHDB/FLUSHALL (replacedWith absent) and SWAPDB: marks watchers of keys present here or in
   * replacedWith, except where the key was and stays logically expired (touchAllWatchedKeysInDb).
   */
  touchAll(replacedWith?: Database, swapped = false): void {
    if (this.keyObserver !== null) this.keyObserver(this, null, swapped);
    if (this.watched === null) return;
    for (const [key, watchers] of this.watched) {
      const here = this.data.has(key);
      const there = replacedWith?.data.has(key) ?? false;
      if (!here && !there) continue;
      for (const w of watchers) {
        if (w.watchedExpired(this, key)) {
          if (!there) {
            w.setWatchedExpired(this, key, false);
            continue;
          }
          if (replacedWith!.isExpired(key)) continue;
        } else if (!here && replacedWith!.isExpired(key)) {
          w.setWatchedExpired(this, key, true);
          continue;
        }
        w.watchTouched = true;
      }
    }
  }

  /**
   * Adds a key read from an RDB file or payload: value, absolute expire time (ms, or -1) and access
   * stamp. Returns false, leaving the db unchanged, if the key already exists (a corrupt file).
   */
  /** A load announces its size (RESIZEDB): both dicts sized for it at once, up to a sane bound. */
  expandFor(keys: number, expires: number): void {
    this.data.expand(Math.min(keys, PRESIZE_MAX));
    this.expires.expand(Math.min(expires, PRESIZE_MAX));
  }

  loadEntry(key: string, value: Value, expireMs: number, stamp: number): boolean {
    // A duplicate overwrites, but the caller aborts the load then anyway.
    if (!this.data.set(key, value, stamp)) return false;
    this.usedBytes += keyBytes(key) + measure(value);
    if (expireMs !== -1) this.setExpire(key, expireMs);
    return true;
  }

  /** Sets the access stamp of an existing key (RESTORE IDLETIME/FREQ, loading LRU/LFU data). */
  setAccessStamp(key: string, stamp: number): void {
    const i = this.data.slotOfKey(key);
    if (i >= 0) this.data.setStampAt(i, stamp);
  }
}
