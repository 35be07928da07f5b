/**
 * A chained hash table keyed by latin1 strings, laid out as parallel arrays (one slot per entry) so a
 * key costs a few machine words beyond its own string. It exists instead of a JS Map because Redis
 * semantics need what a Map cannot give: SCAN's reverse-binary cursor (every key present during the
 * whole iteration is returned even while the table grows or shrinks), and O(1) random sampling
 * (RANDOMKEY, SPOP, expiry and eviction sampling).
 */
export class Dict<V> {
  private keys: (string | undefined)[] = [];
  private vals: (V | undefined)[] = [];
  private hashes: Int32Array;
  private nexts: Int32Array;
  private buckets: Int32Array;
  private mask: number;
  private used = 0;
  /** Slots handed out so far (live or on the free list). */
  private top = 0;
  private freeHead = -1;
  /** While > 0, entries must not move (no compaction): an iteration is in progress. */
  private iterating = 0;
  private readonly seed: number;

  constructor(initialBuckets = 4) {
    this.buckets = new Int32Array(initialBuckets).fill(-1);
    this.mask = initialBuckets - 1;
    this.hashes = new Int32Array(initialBuckets);
    this.nexts = new Int32Array(initialBuckets);
    this.seed = (Math.random() * 0x100000000) | 0;
  }

  get size(): number {
    return this.used;
  }

  /** Number of buckets (for INFO/DEBUG and tests of the cursor guarantees). */
  get bucketCount(): number {
    return this.buckets.length;
  }

  private hash(key: string): number {
    let h = this.seed ^ key.length;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }

  private find(key: string, h: number): number {
    let i = this.buckets[h & this.mask];
    while (i >= 0) {
      if (this.hashes[i] === h && this.keys[i] === key) return i;
      i = this.nexts[i];
    }
    return -1;
  }

  get(key: string): V | undefined {
    const i = this.find(key, this.hash(key));
    return i >= 0 ? this.vals[i] : undefined;
  }

  has(key: string): boolean {
    return this.find(key, this.hash(key)) >= 0;
  }

  /** Inserts or replaces. Returns true if the key was new. */
  set(key: string, value: V): boolean {
    const h = this.hash(key);
    const found = this.find(key, h);
    if (found >= 0) {
      this.vals[found] = value;
      return false;
    }
    let slot: number;
    if (this.freeHead >= 0) {
      slot = this.freeHead;
      this.freeHead = this.nexts[slot];
    } else {
      slot = this.top++;
      if (slot >= this.hashes.length) this.growSlots();
    }
    this.keys[slot] = key;
    this.vals[slot] = value;
    this.hashes[slot] = h;
    const b = h & this.mask;
    this.nexts[slot] = this.buckets[b];
    this.buckets[b] = slot;
    this.used++;
    if (this.used > this.buckets.length) this.rehash(this.buckets.length * 2);
    return true;
  }

  /** Removes the key; returns its value, or undefined if it was absent. */
  delete(key: string): V | undefined {
    const h = this.hash(key);
    const b = h & this.mask;
    let prev = -1;
    let i = this.buckets[b];
    while (i >= 0) {
      if (this.hashes[i] === h && this.keys[i] === key) {
        if (prev < 0) this.buckets[b] = this.nexts[i];
        else this.nexts[prev] = this.nexts[i];
        const value = this.vals[i];
        this.keys[i] = undefined;
        this.vals[i] = undefined;
        this.nexts[i] = this.freeHead;
        this.freeHead = i;
        this.used--;
        this.maybeShrink();
        return value;
      }
      prev = i;
      i = this.nexts[i];
    }
    return undefined;
  }

  clear(): void {
    this.keys = [];
    this.vals = [];
    this.buckets = new Int32Array(4).fill(-1);
    this.mask = 3;
    this.hashes = new Int32Array(4);
    this.nexts = new Int32Array(4);
    this.used = 0;
    this.top = 0;
    this.freeHead = -1;
  }

  private growSlots(): void {
    const capacity = this.hashes.length * 2;
    const hashes = new Int32Array(capacity);
    hashes.set(this.hashes);
    const nexts = new Int32Array(capacity);
    nexts.set(this.nexts);
    this.hashes = hashes;
    this.nexts = nexts;
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
    const n = this.used;
    const keys: (string | undefined)[] = new Array(n);
    const vals: (V | undefined)[] = new Array(n);
    const capacity = Math.max(4, n);
    const hashes = new Int32Array(capacity);
    let j = 0;
    for (let i = 0; i < this.top; i++) {
      if (this.keys[i] === undefined) continue;
      keys[j] = this.keys[i];
      vals[j] = this.vals[i];
      hashes[j] = this.hashes[i];
      j++;
    }
    this.keys = keys;
    this.vals = vals;
    this.hashes = hashes;
    this.nexts = new Int32Array(capacity);
    this.top = n;
    this.freeHead = -1;
  }

  private rehash(size: number): void {
    const buckets = new Int32Array(size).fill(-1);
    const mask = size - 1;
    const nexts = this.nexts;
    for (let i = 0; i < this.top; i++) {
      if (this.keys[i] === undefined) continue;
      const b = this.hashes[i] & mask;
      nexts[i] = buckets[b];
      buckets[b] = i;
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  /**
   * One SCAN step: calls fn for every entry of the bucket at cursor, returns the next cursor (0 when
   * done). Reverse-binary cursor increment, as Redis's dictScan, so resizes between calls never
   * skip an entry that stays in the table.
   */
  scan(cursor: number, fn: (key: string, value: V) => void): number {
    if (this.used === 0) return 0;
    const mask = this.mask;
    this.iterating++;
    try {
      let i = this.buckets[cursor & mask];
      while (i >= 0) {
        const next = this.nexts[i];
        fn(this.keys[i]!, this.vals[i]!);
        i = next;
      }
    } finally {
      this.iterating--;
    }
    let v = (cursor | ~mask) >>> 0;
    v = reverseBits(v);
    v = (v + 1) >>> 0;
    return reverseBits(v);
  }

  /** Visits every entry. fn may delete entries (including the current one) but should not insert. */
  forEach(fn: (key: string, value: V) => void): void {
    this.iterating++;
    try {
      const top = this.top;
      for (let i = 0; i < top; i++) {
        const key = this.keys[i];
        if (key !== undefined) fn(key, this.vals[i]!);
      }
    } finally {
      this.iterating--;
      this.maybeShrink();
    }
  }

  keyList(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.top; i++) {
      const key = this.keys[i];
      if (key !== undefined) out.push(key);
    }
    return out;
  }

  /** A random key, each bucket equally likely then each entry of the chain (Redis's approach). */
  randomKey(): string | undefined {
    if (this.used === 0) return undefined;
    let i = -1;
    while (i < 0) i = this.buckets[(Math.random() * this.buckets.length) | 0];
    let len = 0;
    for (let j = i; j >= 0; j = this.nexts[j]) len++;
    for (let skip = (Math.random() * len) | 0; skip > 0; skip--) i = this.nexts[i];
    return this.keys[i];
  }

  /** A random live slot's key and value, or undefined when empty. */
  randomEntry(): [string, V] | undefined {
    const key = this.randomKey();
    return key === undefined ? undefined : [key, this.get(key)!];
  }
}

function reverseBits(v: number): number {
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) >>> 0;
}
