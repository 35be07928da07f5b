import { parseInt64 } from '../../lib/numbers.js';
import { Dict } from '../dict.js';
import type { CollectionValue } from '../values.js';

/**
 * A Redis set. While every member is a canonical int64 and there are at most set-max-intset-entries
 * of them, the members live sorted in a BigInt64Array (Redis's intset: SMEMBERS then returns them
 * in ascending order); otherwise in a Dict ('hashtable'), never converted back.
 */
export class SetValue implements CollectionValue {
  accountedBytes = 0;
  readonly type = 'set';
  private ints: BigInt64Array | null = new BigInt64Array(4);
  private count = 0;
  private dict: Dict<true> | null = null;

  encoding(): string {
    return this.ints !== null ? 'intset' : 'hashtable';
  }

  get size(): number {
    return this.ints !== null ? this.count : this.dict!.size;
  }

  get isIntset(): boolean {
    return this.ints !== null;
  }

  /** Position of v in the intset, or -(insertion point) - 1. */
  private search(v: bigint): number {
    const ints = this.ints!;
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = ints[mid];
      if (m < v) lo = mid + 1;
      else if (m > v) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  has(member: string): boolean {
    if (this.ints === null) return this.dict!.get(member) !== undefined;
    const v = parseInt64(member);
    return v !== null && this.search(BigInt(v)) >= 0;
  }

  /** Adds a member; returns true if it was new (setTypeAdd). */
  add(member: string, maxIntsetEntries: number): boolean {
    if (this.ints !== null) {
      const v = parseInt64(member);
      if (v !== null) {
        const big = BigInt(v);
        const at = this.search(big);
        if (at >= 0) return false;
        this.insertAt(-at - 1, big);
        if (this.count > maxIntsetEntries) this.convert();
        return true;
      }
      this.convert();
    }
    return this.dict!.set(member, true);
  }

  private insertAt(i: number, v: bigint): void {
    let ints = this.ints!;
    if (this.count === ints.length) {
      const grown = new BigInt64Array(ints.length * 2);
      grown.set(ints);
      this.ints = ints = grown;
    }
    ints.copyWithin(i + 1, i, this.count);
    ints[i] = v;
    this.count++;
  }

  delete(member: string): boolean {
    if (this.ints === null) return this.dict!.delete(member) !== undefined;
    const v = parseInt64(member);
    if (v === null) return false;
    const at = this.search(BigInt(v));
    if (at < 0) return false;
    this.ints.copyWithin(at, at + 1, this.count);
    this.count--;
    return true;
  }

  private convert(): void {
    const dict = new Dict<true>();
    for (let i = 0; i < this.count; i++) dict.set(String(this.ints![i]), true);
    this.dict = dict;
    this.ints = null;
    this.count = 0;
  }

  /** Every member: ascending for an intset, iteration order for a hashtable. */
  forEach(fn: (member: string) => void): void {
    if (this.ints === null) {
      this.dict!.forEach((m) => {
        fn(m);
      });
      return;
    }
    const ints = this.ints;
    const n = this.count;
    for (let i = 0; i < n; i++) fn(String(ints[i]));
  }

  members(): string[] {
    const out: string[] = new Array(this.size);
    let i = 0;
    this.forEach((m) => {
      out[i++] = m;
    });
    return out;
  }

  /** One SSCAN step over the hashtable form (an intset is returned whole by the caller). */
  scan(cursor: number, fn: (member: string) => void): number {
    return this.dict!.scan(cursor, (m) => fn(m));
  }

  /** A uniformly chosen member; the set must not be empty. */
  randomMember(): string {
    if (this.ints === null) return this.dict!.randomKey()!;
    return String(this.ints[(Math.random() * this.count) | 0]);
  }

  copy(): SetValue {
    const s = new SetValue();
    if (this.ints !== null) {
      s.ints = this.ints.slice(0, Math.max(4, this.count));
      s.count = this.count;
    } else {
      s.ints = null;
      const dict = new Dict<true>();
      this.dict!.forEach((m) => {
        dict.set(m, true);
      });
      s.dict = dict;
    }
    return s;
  }

  /** A set with these members, encoded as Redis would after adding them one by one. */
  static of(members: Iterable<string>, maxIntsetEntries: number): SetValue {
    const s = new SetValue();
    for (const m of members) s.add(m, maxIntsetEntries);
    return s;
  }
}
