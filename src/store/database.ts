import { Dict } from './dict.js';
import type { Value } from './values.js';

/** Something that WATCHes keys: flagged when one of them is modified (Redis's CLIENT_DIRTY_CAS). */
export interface Watcher {
  watchTouched: boolean;
}

/** How expired keys behave when accessed; the server sets it per command (see Keyspace). */
export type ExpireMode = 'delete' | 'hide' | 'ignore';

/** Services a Database needs from its owner, injected so the store never imports the server. */
export interface DatabaseHost {
  /** Time (ms) the current command runs at: one snapshot per command, like Redis. */
  readonly time: number;
  readonly expireMode: ExpireMode;
  /** An expired key was deleted: the owner notifies and propagates a DEL. */
  onExpired(db: Database, key: string): void;
}

/** One numbered database: the main dictionary plus the expires dictionary, as in Redis. */
export class Database {
  data = new Dict<Value>();
  expires = new Dict<number>();
  /** Keys some client WATCHes, with the watchers; null until first used. */
  watched: Map<string, Set<Watcher>> | null = null;
  /** Cursor of the active expiry cycle through the expires table. */
  expireCursor = 0;
  /** Running average TTL of sampled keys (INFO keyspace avg_ttl). */
  avgTtl = 0;

  constructor(
    readonly id: number,
    private readonly host: DatabaseHost,
  ) {}

  get size(): number {
    return this.data.size;
  }

  /** The live value of a key, applying expiry first (lookupKey). */
  get(key: string): Value | undefined {
    const value = this.data.get(key);
    if (value === undefined || this.expires.size === 0) return value;
    const when = this.expires.get(key);
    if (when === undefined || this.host.time <= when) return value;
    return this.expire(key) ? undefined : value;
  }

  /** Like get() but never deletes nor counts: for TYPE-like peeks that must not change anything. */
  exists(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Applies the expire mode to an expired key. Returns true if the key is to be treated as gone. */
  private expire(key: string): boolean {
    const mode = this.host.expireMode;
    if (mode === 'ignore') return false;
    if (mode === 'delete') {
      this.data.delete(key);
      this.expires.delete(key);
      this.host.onExpired(this, key);
    }
    return true;
  }

  isExpired(key: string): boolean {
    if (this.expires.size === 0) return false;
    const when = this.expires.get(key);
    return when !== undefined && this.host.time > when;
  }

  /** Stores a value. Like Redis's setKey, any TTL is removed unless keepTtl. */
  set(key: string, value: Value, keepTtl = false): void {
    this.data.set(key, value);
    if (!keepTtl && this.expires.size > 0) this.expires.delete(key);
  }

  /** Replaces the value of an existing key, keeping its TTL (in-place updates). */
  replace(key: string, value: Value): void {
    this.data.set(key, value);
  }

  delete(key: string): boolean {
    if (this.data.delete(key) === undefined) return false;
    if (this.expires.size > 0) this.expires.delete(key);
    return true;
  }

  getExpire(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  setExpire(key: string, when: number): void {
    this.expires.set(key, when);
  }

  removeExpire(key: string): boolean {
    return this.expires.delete(key) !== undefined;
  }

  /** A random live key (RANDOMKEY), deleting expired ones met on the way as Redis does. */
  randomKey(): string | undefined {
    let tries = 0;
    for (;;) {
      const key = this.data.randomKey();
      if (key === undefined) return undefined;
      if (!this.isExpired(key)) return key;
      // On a replica whose keys are all volatile, every pick may be logically expired: give up.
      if (this.host.expireMode !== 'delete' && ++tries >= 100 && this.expires.size === this.data.size) {
        return key;
      }
      if (this.host.expireMode === 'delete') this.expire(key);
      else if (tries >= 100) return key;
    }
  }

  clear(): void {
    this.data = new Dict<Value>();
    this.expires = new Dict<number>();
    this.expireCursor = 0;
    this.avgTtl = 0;
  }

  /** Exchanges contents with another db (SWAPDB); watchers stay with their db number. */
  swapWith(other: Database): void {
    [this.data, other.data] = [other.data, this.data];
    [this.expires, other.expires] = [other.expires, this.expires];
    [this.avgTtl, other.avgTtl] = [other.avgTtl, this.avgTtl];
    this.expireCursor = 0;
    other.expireCursor = 0;
  }

  /** Marks clients watching this key (signalModifiedKey). */
  touch(key: string): void {
    const watchers = this.watched?.get(key);
    if (watchers !== undefined) for (const w of watchers) w.watchTouched = true;
  }

  /** Marks every watcher of this db whose key exists in this db or in `also` (FLUSHDB, SWAPDB). */
  touchAll(also?: Database): void {
    if (this.watched === null) return;
    for (const [key, watchers] of this.watched) {
      if (!this.data.has(key) && !(also?.data.has(key) ?? false)) continue;
      for (const w of watchers) w.watchTouched = true;
    }
  }
}
