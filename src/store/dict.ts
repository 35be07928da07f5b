/**
 * A chained hash table keyed by latin1 strings. It exists instead of a JS Map because Redis
 * semantics need what a Map cannot give: SCAN's reverse-binary cursor (every key present during the
 * whole iteration is returned even while the table grows or shrinks), O(1) random sampling
 * (RANDOMKEY, SPOP, expiry and eviction sampling) and a compact per-key access stamp (LRU/LFU).
 *
 * Layout, chosen for memory and cache misses on the GET/SET path: entries live in slots; a slot's
 * key and value sit side by side in one JS array, and its hash, chain link and access stamp side by
 * side in one Int32Array, so a lookup touches about one cache line in each. A numeric dict (the
 * expires table) keeps its values as unboxed doubles in that Int32Array's buffer instead. With
 * packStrings (the keyspace), the key and a string value are held as cells in a StringArena:
 * small integers, so the dict holds no object per key for the collector to trace.
 *
 * Resizing is immediate (no incremental rehash as in Redis), which keeps the single-table form of
 * the cursor argument: growing splits bucket b into b and b+size, which the reverse-binary order
 * visits together; shrinking merges buckets, which can repeat keys but never skips one.
 */

import { PACK_MAX, StringArena } from './string-arena.js';

/** One hash seed per process (Redis keeps one siphash key): a db hashes a key once for both its dicts. */
const SEED = (Math.random() * 0x100000000) | 0;

/** The hash of a key (FNV-1a over the bytes, then a murmur3 finalizer to spread the low bits). */
export function hashKey(key: string): number {
  let h = SEED ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export interface DictOptions {
  initialBuckets?: number;
  /** Keep an access stamp per entry (Redis's 24-bit robj->lru: LRU clock or LFU data). */
  trackAccess?: boolean;
  /** Values are numbers, stored unboxed (the expires table). Excludes trackAccess. */
  numeric?: boolean;
  /**
   * Keys and string values are copied into a StringArena, outside the heap's object graph (the
   * keyspace: store/string-arena.ts). keyAt() and valueAt() then make a new string for each read.
   * Such a dict must not hold number values unless numeric (then only its keys are packed): in
   * its slots a number is a cell.
   */
  packStrings?: boolean;
}

/** Offsets in a slot's meta record: [hash, next slot of the bucket's chain (-1 ends), stamp]. */
const HASH = 0;
const NEXT = 1;
const STAMP = 2;

export class Dict<V> {
  /** Object values: [key0, value0, key1, value1, …]; numeric dicts: [key0, key1, …]. */
  private ents: unknown[] = [];
  /** Entries per slot in ents: 2 with object values, 1 for numeric dicts. */
  private readonly kstride: number;
  /** Int32 per slot in meta: 2 (hash, next), 3 (+ access stamp), 4 (+ a double value). */
  private readonly stride: number;
  private meta: Int32Array;
  /** Numeric dicts: a Float64 view of meta, slot i's value at index 2i+1. */
  private nums: Float64Array | null;
  private buckets: Int32Array;
  private mask: number;
  private used = 0;
  /** Slots handed out so far (live or on the free list). */
  private top = 0;
  private freeHead = -1;
  /** While > 0, entries must not move (no compaction): an iteration is in progress. */
  private iterating = 0;
  /** Where packed keys and string values live (packStrings), else null. */
  private arena: StringArena | null;

  /** options may be just the initial bucket count (a power of two). */
  constructor(options: DictOptions | number = {}) {
    if (typeof options === 'number') options = { initialBuckets: options };
    const size = options.initialBuckets ?? 4;
    this.buckets = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.kstride = options.numeric ? 1 : 2;
    this.stride = options.numeric ? 4 : options.trackAccess ? 3 : 2;
    this.meta = new Int32Array(size * this.stride);
    this.nums = options.numeric ? new Float64Array(this.meta.buffer) : null;
    this.arena = options.packStrings ? new StringArena() : null;
  }

  /** Bytes of the arena of packed keys and values (outside the V8 heap; 0 without packStrings). */
  get arenaBytes(): number {
    return this.arena?.allocatedBytes ?? 0;
  }

  /** Bytes of the arena's cells in use (freed cells wait on free lists for values of their size). */
  get packedBytes(): number {
    return this.arena?.liveBytes ?? 0;
  }

  get size(): number {
    return this.used;
  }

  /** Number of buckets (for INFO/DEBUG and tests of the cursor guarantees). */
  get bucketCount(): number {
    return this.buckets.length;
  }

  /** The slot holding key (h = hashKey(key)), or -1. Slots stay valid until the next write. */
  slotOf(key: string, h: number): number {
    const meta = this.meta;
    const stride = this.stride;
    let i = this.buckets[h & this.mask];
    while (i >= 0) {
      const m = i * stride;
      if (meta[m + HASH] === h && this.keyIs(i, key)) return i;
      i = meta[m + NEXT];
    }
    return -1;
  }

  valueAt(slot: number): V {
    if (this.nums !== null) return this.nums[slot * 2 + 1] as V;
    const v = this.ents[slot * 2 + 1];
    return (typeof v === 'number' && this.arena !== null ? this.arena.read(v) : v) as V;
  }

  /** The length of a live slot's value if it is a packed string (read without making it), else -1. */
  packedLengthAt(slot: number): number {
    if (this.nums !== null) return -1;
    const v = this.ents[slot * 2 + 1];
    return typeof v === 'number' && this.arena !== null ? this.arena.lengthOf(v) : -1;
  }

  keyAt(slot: number): string {
    const k = this.ents[slot * this.kstride];
    return (typeof k === 'number' ? this.arena!.read(k) : k) as string;
  }

  /** Whether a live slot's key is key (a packed key is compared in place). */
  private keyIs(slot: number, key: string): boolean {
    const k = this.ents[slot * this.kstride];
    return typeof k === 'number' ? this.arena!.equals(k, key) : k === key;
  }

  /** What a slot holds for a string: its cell when packed, else the string itself. */
  private stored(s: string): unknown {
    if (s.length > PACK_MAX) return s;
    const h = this.arena!.pack(s);
    return h >= 0 ? h : s;
  }

  /** Replaces the value in a live slot (in-place updates that found the slot already). */
  setValueAt(slot: number, value: V): void {
    if (this.nums !== null) {
      this.nums[slot * 2 + 1] = value as number;
      return;
    }
    const arena = this.arena;
    if (arena === null) {
      this.ents[slot * 2 + 1] = value;
      return;
    }
    const old = this.ents[slot * 2 + 1];
    if (typeof old === 'number') arena.free(old);
    this.ents[slot * 2 + 1] = typeof value === 'string' ? this.stored(value) : value;
  }

  /** The access stamp of a live slot (0 when the dict does not track access). */
  stampAt(slot: number): number {
    return this.stride === 3 ? this.meta[slot * 3 + STAMP] : 0;
  }

  /** Records an access stamp (a 24-bit value: Redis's LRU clock or LFU data). */
  setStampAt(slot: number, stamp: number): void {
    if (this.stride === 3) this.meta[slot * 3 + STAMP] = stamp;
  }

  get(key: string): V | undefined {
    const i = this.slotOf(key, hashKey(key));
    return i >= 0 ? this.valueAt(i) : undefined;
  }

  has(key: string): boolean {
    return this.slotOf(key, hashKey(key)) >= 0;
  }

  /**
   * Inserts or replaces. A new entry gets the access stamp; a replaced one gets it too unless
   * keepStamp (LFU keeps the counter across overwrites, as Redis's dbSetValue). h: the key's
   * hash when the caller has it already. Returns true if the key was new.
   */
  set(key: string, value: V, stamp = 0, keepStamp = false, h = hashKey(key)): boolean {
    const found = this.slotOf(key, h);
    if (found >= 0) {
      this.setValueAt(found, value);
      if (!keepStamp) this.setStampAt(found, stamp);
      return false;
    }
    const stride = this.stride;
    let slot: number;
    if (this.freeHead >= 0) {
      slot = this.freeHead;
      this.freeHead = this.meta[slot * stride + NEXT];
    } else {
      slot = this.top++;
      if (slot * stride >= this.meta.length) this.growSlots();
    }
    this.ents[slot * this.kstride] = this.arena !== null ? this.stored(key) : key;
    this.setValueAt(slot, value);
    const meta = this.meta;
    const m = slot * stride;
    meta[m + HASH] = h;
    if (stride === 3) meta[m + STAMP] = stamp;
    const b = h & this.mask;
    meta[m + NEXT] = this.buckets[b];
    this.buckets[b] = slot;
    this.used++;
    if (this.used > this.buckets.length) this.rehash(this.buckets.length * 2);
    return true;
  }

  /** Removes the key; returns its value, or undefined if it was absent. */
  delete(key: string): V | undefined {
    const h = hashKey(key);
    const b = h & this.mask;
    const meta = this.meta;
    const stride = this.stride;
    let prev = -1;
    let i = this.buckets[b];
    while (i >= 0) {
      const m = i * stride;
      if (meta[m + HASH] === h && this.keyIs(i, key)) return this.unlink(b, prev, i);
      prev = i;
      i = meta[m + NEXT];
    }
    return undefined;
  }

  /** Removes the entry in a live slot (found by sampling: its hash is stored, the key is not hashed again). */
  deleteSlot(slot: number): V | undefined {
    const meta = this.meta;
    const stride = this.stride;
    const b = meta[slot * stride + HASH] & this.mask;
    let prev = -1;
    for (let i = this.buckets[b]; i >= 0; i = meta[i * stride + NEXT]) {
      if (i === slot) return this.unlink(b, prev, i);
      prev = i;
    }
    return undefined;
  }

  private unlink(b: number, prev: number, i: number): V {
    const meta = this.meta;
    const stride = this.stride;
    const m = i * stride;
    if (prev < 0) this.buckets[b] = meta[m + NEXT];
    else meta[prev * stride + NEXT] = meta[m + NEXT];
    const value = this.valueAt(i);
    const arena = this.arena;
    if (arena !== null) {
      const k = this.ents[i * this.kstride];
      if (typeof k === 'number') arena.free(k);
      const v = this.nums === null ? this.ents[i * 2 + 1] : undefined;
      if (typeof v === 'number') arena.free(v);
    }
    // Free slots hold no references, so deleted keys and values can be collected.
    this.ents[i * this.kstride] = undefined;
    if (this.nums === null) this.ents[i * 2 + 1] = undefined;
    meta[m + NEXT] = this.freeHead;
    // Stamps are 24-bit: a negative one marks a free slot (sampling reads only meta).
    if (stride === 3) meta[m + STAMP] = -1;
    this.freeHead = i;
    this.used--;
    this.maybeShrink();
    return value;
  }

  clear(): void {
    this.ents = [];
    if (this.arena !== null) this.arena = new StringArena();
    this.buckets = new Int32Array(4).fill(-1);
    this.mask = 3;
    this.setMeta(new Int32Array(4 * this.stride));
    this.used = 0;
    this.top = 0;
    this.freeHead = -1;
  }

  private setMeta(meta: Int32Array): void {
    this.meta = meta;
    if (this.nums !== null) this.nums = new Float64Array(meta.buffer);
  }

  /**
   * Makes room for n entries at once (a load that knows its size: RDB's RESIZEDB), so filling the
   * dict does not rehash it again and again. Never shrinks.
   */
  expand(n: number): void {
    let size = this.buckets.length;
    while (size < n) size *= 2;
    if (size > this.buckets.length) this.rehash(size);
    if (n * this.stride > this.meta.length) {
      const meta = new Int32Array(n * this.stride);
      meta.set(this.meta);
      this.setMeta(meta);
    }
  }

  private growSlots(): void {
    const meta = new Int32Array(this.meta.length * 2);
    meta.set(this.meta);
    this.setMeta(meta);
  }

  private maybeShrink(): void {
    // Like Redis: shrink when under 10% full, but never while an iteration relies on slot order.
    if (this.iterating > 0 || this.buckets.length <= 4 || this.used * 10 >= this.buckets.length) return;
    let size = 4;
    while (size < this.used) size *= 2;
    this.compact();
    this.rehash(size);
  }

  /** Moves live entries to the front so the slot arrays can be released. */
  private compact(): void {
    const stride = this.stride;
    const kstride = this.kstride;
    const ents: unknown[] = [];
    const old = this.meta;
    const oldNums = this.nums;
    // Most of the keys went: their values' cells as well, so the survivors move to a new arena.
    const oldArena = this.arena;
    const repack = oldArena !== null && oldArena.liveBytes < oldArena.allocatedBytes / 2;
    if (repack) this.arena = new StringArena();
    this.setMeta(new Int32Array(Math.max(4, this.used) * stride));
    let j = 0;
    for (let i = 0; i < this.top; i++) {
      const key = this.ents[i * kstride];
      if (key === undefined) continue;
      ents.push(repack && typeof key === 'number' ? this.repacked(oldArena, key) : key);
      if (kstride === 2) {
        const v = this.ents[i * 2 + 1];
        ents.push(repack && typeof v === 'number' ? this.repacked(oldArena, v) : v);
      }
      this.meta[j * stride + HASH] = old[i * stride + HASH];
      if (stride === 3) this.meta[j * 3 + STAMP] = old[i * 3 + STAMP];
      if (oldNums !== null) this.nums![j * 2 + 1] = oldNums[i * 2 + 1];
      j++;
    }
    this.ents = ents;
    this.top = j;
    this.freeHead = -1;
  }

  /** A value's cell copied from the old arena to the new, or its string when the new one is full. */
  private repacked(from: StringArena, h: number): unknown {
    const moved = this.arena!.copyFrom(from, h);
    return moved >= 0 ? moved : from.read(h);
  }

  private rehash(size: number): void {
    const buckets = new Int32Array(size).fill(-1);
    const mask = size - 1;
    const meta = this.meta;
    const stride = this.stride;
    for (let i = 0; i < this.top; i++) {
      if (this.ents[i * this.kstride] === undefined) continue;
      const m = i * stride;
      const b = meta[m + HASH] & mask;
      meta[m + NEXT] = buckets[b];
      buckets[b] = i;
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  /**
   * One SCAN step: calls fn for every entry of the bucket at cursor, returns the next cursor (0 when
   * done). Reverse-binary cursor increment, as Redis's dictScan, so resizes between calls never
   * skip an entry that stays in the table. fn must not modify the dict.
   */
  scan(cursor: number, fn: (key: string, value: V) => void): number {
    if (this.used === 0) return 0;
    const mask = this.mask;
    this.iterating++;
    try {
      let i = this.buckets[cursor & mask];
      while (i >= 0) {
        fn(this.keyAt(i), this.valueAt(i));
        i = this.meta[i * this.stride + NEXT];
      }
    } finally {
      this.iterating--;
    }
    return nextCursor(cursor, mask);
  }

  /** Visits every entry. fn may delete entries (including the current one) but should not insert. */
  forEach(fn: (key: string, value: V) => void): void {
    this.iterating++;
    try {
      const top = this.top;
      for (let i = 0; i < top; i++) {
        if (this.ents[i * this.kstride] !== undefined) fn(this.keyAt(i), this.valueAt(i));
      }
    } finally {
      this.iterating--;
      this.maybeShrink();
    }
  }

  keyList(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.top; i++) {
      if (this.ents[i * this.kstride] !== undefined) out.push(this.keyAt(i));
    }
    return out;
  }

  /** A random live slot, each bucket equally likely then each entry of its chain; -1 when empty. */
  randomSlot(): number {
    if (this.used === 0) return -1;
    let i = -1;
    while (i < 0) i = this.buckets[(Math.random() * this.buckets.length) | 0];
    const meta = this.meta;
    const stride = this.stride;
    let len = 0;
    for (let j = i; j >= 0; j = meta[j * stride + NEXT]) len++;
    for (let skip = (Math.random() * len) | 0; skip > 0; skip--) i = meta[i * stride + NEXT];
    return i;
  }

  /**
   * Eviction sampling (Redis's dictGetSomeKeys): up to out.length live slots (how many it found is
   * returned) in a run of consecutive
   * slots from a random one. Slots are reused as keys come and go, so a run mixes keys of every
   * age, and reading it touches a few cache lines instead of `count` random places (a chained
   * bucket walk costs a cache miss per entry, which dominated eviction). Rougher than independent
   * draws, as Redis's own sampling is.
   */
  sampleSlots(out: Int32Array): number {
    if (this.used === 0) return 0;
    const count = out.length;
    const top = this.top;
    let slot = (Math.random() * top) | 0;
    const steps = Math.min(top, Math.max(count * 10, Math.ceil((count * top) / this.used) * 2));
    let found = 0;
    if (this.stride === 3) {
      // Liveness from the stamps, in meta, which eviction reads next anyway.
      const meta = this.meta;
      for (let n = 0; n < steps && found < count; n++) {
        if (meta[slot * 3 + STAMP] >= 0) out[found++] = slot;
        if (++slot === top) slot = 0;
      }
      return found;
    }
    const ents = this.ents;
    const kstride = this.kstride;
    for (let n = 0; n < steps && found < count; n++) {
      if (ents[slot * kstride] !== undefined) out[found++] = slot;
      if (++slot === top) slot = 0;
    }
    return found;
  }

  /** A random key (RANDOMKEY, SRANDMEMBER-like sampling), or undefined when empty. */
  randomKey(): string | undefined {
    const i = this.randomSlot();
    return i < 0 ? undefined : this.keyAt(i);
  }

  /** A random entry's key and value, or undefined when empty. */
  randomEntry(): [string, V] | undefined {
    const i = this.randomSlot();
    return i < 0 ? undefined : [this.keyAt(i), this.valueAt(i)];
  }

  // --- Snapshots (persistence): a background save walks the slots in order while writes go on ---

  /** Slots handed out so far: every live entry is in 0..slotCount-1; new ones may go beyond. */
  get slotCount(): number {
    return this.top;
  }

  /** The key in a slot, undefined for a free slot. */
  entryAt(slot: number): string | undefined {
    return this.ents[slot * this.kstride] === undefined ? undefined : this.keyAt(slot);
  }

  /** The slot of a key, or -1 (slotOf without a precomputed hash). */
  slotOfKey(key: string): number {
    return this.slotOf(key, hashKey(key));
  }

  /** Keeps every entry in its slot (no compaction) until the matching unpin(); calls nest. */
  pin(): void {
    this.iterating++;
  }

  unpin(): void {
    if (this.iterating > 0) this.iterating--;
    this.maybeShrink();
  }
}

/** Redis's dictScan cursor step for a table of mask+1 buckets: increment the reversed cursor. */
export function nextCursor(cursor: number, mask: number): number {
  let v = (cursor | ~mask) >>> 0;
  v = reverseBits(v);
  v = (v + 1) >>> 0;
  return reverseBits(v);
}

function reverseBits(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}
