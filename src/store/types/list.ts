import type { CollectionValue } from '../values.js';

const MIN_CAPACITY = 4;

/**
 * A Redis list: a growable ring buffer of latin1 strings. Push and pop at both ends and access by
 * index are O(1); inserting or removing inside moves the shorter side. No per-element objects
 * besides the strings themselves. Redis 7.0 always reports lists as "quicklist".
 */
export class ListValue implements CollectionValue {
  accountedBytes = 0;
  readonly type = 'list';
  /** Ring storage; its length is a power of two so positions wrap with a mask. */
  private ring: Array<string | undefined>;
  private head = 0;
  private count = 0;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.ring = new Array(cap);
  }

  static from(items: readonly string[]): ListValue {
    const list = new ListValue(items.length);
    for (let i = 0; i < items.length; i++) list.ring[i] = items[i];
    list.count = items.length;
    return list;
  }

  encoding(): string {
    return 'quicklist';
  }

  copy(): ListValue {
    return ListValue.from(this.toArray());
  }

  get length(): number {
    return this.count;
  }

  /** Element at index 0..length-1 (callers check the range). */
  at(index: number): string {
    return this.ring[(this.head + index) & (this.ring.length - 1)]!;
  }

  set(index: number, value: string): void {
    this.ring[(this.head + index) & (this.ring.length - 1)] = value;
  }

  pushHead(value: string): void {
    if (this.count === this.ring.length) this.resize(this.ring.length * 2);
    this.head = (this.head - 1) & (this.ring.length - 1);
    this.ring[this.head] = value;
    this.count++;
  }

  pushTail(value: string): void {
    if (this.count === this.ring.length) this.resize(this.ring.length * 2);
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = value;
    this.count++;
  }

  popHead(): string | undefined {
    if (this.count === 0) return undefined;
    const value = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
    this.maybeShrink();
    return value;
  }

  popTail(): string | undefined {
    if (this.count === 0) return undefined;
    const pos = (this.head + this.count - 1) & (this.ring.length - 1);
    const value = this.ring[pos];
    this.ring[pos] = undefined;
    this.count--;
    this.maybeShrink();
    return value;
  }

  /** Inserts so that the value ends up at `index` (0..length). */
  insertAt(index: number, value: string): void {
    if (this.count === this.ring.length) this.resize(this.ring.length * 2);
    const mask = this.ring.length - 1;
    if (index < this.count - index) {
      // Shift the front part one slot to the left.
      this.head = (this.head - 1) & mask;
      for (let i = 0; i < index; i++) {
        this.ring[(this.head + i) & mask] = this.ring[(this.head + i + 1) & mask];
      }
    } else {
      for (let i = this.count; i > index; i--) {
        this.ring[(this.head + i) & mask] = this.ring[(this.head + i - 1) & mask];
      }
    }
    this.ring[(this.head + index) & mask] = value;
    this.count++;
  }

  /** Removes the element at `index`. */
  removeAt(index: number): void {
    const mask = this.ring.length - 1;
    if (index < this.count - 1 - index) {
      for (let i = index; i > 0; i--) {
        this.ring[(this.head + i) & mask] = this.ring[(this.head + i - 1) & mask];
      }
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) & mask;
    } else {
      for (let i = index; i < this.count - 1; i++) {
        this.ring[(this.head + i) & mask] = this.ring[(this.head + i + 1) & mask];
      }
      this.ring[(this.head + this.count - 1) & mask] = undefined;
    }
    this.count--;
    this.maybeShrink();
  }

  /** Drops `n` elements from the head. */
  dropHead(n: number): void {
    const mask = this.ring.length - 1;
    n = Math.min(n, this.count);
    for (let i = 0; i < n; i++) this.ring[(this.head + i) & mask] = undefined;
    this.head = (this.head + n) & mask;
    this.count -= n;
    this.maybeShrink();
  }

  /** Drops `n` elements from the tail. */
  dropTail(n: number): void {
    const mask = this.ring.length - 1;
    n = Math.min(n, this.count);
    for (let i = this.count - n; i < this.count; i++) this.ring[(this.head + i) & mask] = undefined;
    this.count -= n;
    this.maybeShrink();
  }

  /** Index of the first element equal to value, scanning from the head; -1 if absent. */
  indexOf(value: string): number {
    const mask = this.ring.length - 1;
    for (let i = 0; i < this.count; i++) if (this.ring[(this.head + i) & mask] === value) return i;
    return -1;
  }

  /**
   * LREM: removes up to `limit` elements equal to value (0: all), scanning from the head or the
   * tail, compacting in one pass. Returns how many were removed.
   */
  removeMatching(value: string, limit: number, fromTail: boolean): number {
    const mask = this.ring.length - 1;
    const ring = this.ring;
    let removed = 0;
    if (!fromTail) {
      let write = 0;
      for (let read = 0; read < this.count; read++) {
        const v = ring[(this.head + read) & mask];
        if (v === value && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (write !== read) ring[(this.head + write) & mask] = v;
        write++;
      }
      for (let i = write; i < this.count; i++) ring[(this.head + i) & mask] = undefined;
    } else {
      let write = this.count - 1;
      for (let read = this.count - 1; read >= 0; read--) {
        const v = ring[(this.head + read) & mask];
        if (v === value && (limit === 0 || removed < limit)) {
          removed++;
          continue;
        }
        if (write !== read) ring[(this.head + write) & mask] = v;
        write--;
      }
      for (let i = 0; i <= write; i++) ring[(this.head + i) & mask] = undefined;
      this.head = (this.head + removed) & mask;
    }
    this.count -= removed;
    this.maybeShrink();
    return removed;
  }

  toArray(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.at(i);
    return out;
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.count; i++) yield this.at(i);
  }

  /** Gives memory back after many pops: a quarter-full ring halves. */
  private maybeShrink(): void {
    const cap = this.ring.length;
    if (cap > MIN_CAPACITY && this.count < cap >> 2) this.resize(cap >> 1);
  }

  private resize(capacity: number): void {
    const next = new Array<string | undefined>(capacity);
    const mask = this.ring.length - 1;
    for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) & mask];
    this.ring = next;
    this.head = 0;
  }
}
