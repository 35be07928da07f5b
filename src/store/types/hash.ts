import { Dict } from '../dict.js';
import type { CollectionValue } from '../values.js';

/** The two thresholds that keep a hash in its compact form (hash-max-listpack-*). */
export interface HashLimits {
  entries: number;
  value: number;
}

/**
 * A Redis hash. Small hashes are one flat array [field, value, field, value, …] in insertion order,
 * like Redis's listpack (and reported as such); past the thresholds it becomes a Dict once and for
 * all, exactly when Redis converts its listpack to a hashtable.
 */
export class HashValue implements CollectionValue {
  accountedBytes = 0;
  readonly type = 'hash';
  /** The listpack form, or null once converted. */
  private flat: string[] | null = [];
  private dict: Dict<string> | null = null;

  encoding(): string {
    return this.flat !== null ? 'listpack' : 'hashtable';
  }

  get size(): number {
    return this.flat !== null ? this.flat.length >> 1 : this.dict!.size;
  }

  get isListpack(): boolean {
    return this.flat !== null;
  }

  private indexOf(field: string): number {
    const flat = this.flat!;
    for (let i = 0; i < flat.length; i += 2) if (flat[i] === field) return i;
    return -1;
  }

  get(field: string): string | undefined {
    if (this.flat === null) return this.dict!.get(field);
    const i = this.indexOf(field);
    return i < 0 ? undefined : this.flat[i + 1];
  }

  has(field: string): boolean {
    return this.get(field) !== undefined;
  }

  /**
   * Sets a field; returns true if it was new. Converts first when the field or value is too long
   * for the listpack, and after the insert when there are too many entries (Redis's hashTypeSet).
   */
  set(field: string, value: string, limits: HashLimits): boolean {
    if (this.flat !== null && (field.length > limits.value || value.length > limits.value)) {
      this.convert();
    }
    const flat = this.flat;
    if (flat === null) return this.dict!.set(field, value);
    const i = this.indexOf(field);
    if (i >= 0) {
      flat[i + 1] = value;
      return false;
    }
    flat.push(field, value);
    if (flat.length >> 1 > limits.entries) this.convert();
    return true;
  }

  /** Converts to the hashtable form when any of these strings is too long (hashTypeTryConversion). */
  convertIfTooLong(args: readonly string[], from: number, limits: HashLimits): void {
    if (this.flat === null) return;
    for (let i = from; i < args.length; i++) {
      if (args[i].length > limits.value) {
        this.convert();
        return;
      }
    }
  }

  delete(field: string): boolean {
    if (this.flat === null) return this.dict!.delete(field) !== undefined;
    const i = this.indexOf(field);
    if (i < 0) return false;
    this.flat.splice(i, 2);
    return true;
  }

  private convert(): void {
    const flat = this.flat!;
    const dict = new Dict<string>();
    for (let i = 0; i < flat.length; i += 2) dict.set(flat[i], flat[i + 1]);
    this.dict = dict;
    this.flat = null;
  }

  /** Every field and value, in listpack order or the hashtable's iteration order. */
  forEach(fn: (field: string, value: string) => void): void {
    const flat = this.flat;
    if (flat === null) {
      this.dict!.forEach(fn);
      return;
    }
    for (let i = 0; i < flat.length; i += 2) fn(flat[i], flat[i + 1]);
  }

  /** One HSCAN step over the hashtable form (callers handle the listpack form in one go). */
  scan(cursor: number, fn: (field: string, value: string) => void): number {
    return this.dict!.scan(cursor, fn);
  }

  /** A uniformly chosen field; the hash must not be empty. */
  randomField(): string {
    const flat = this.flat;
    if (flat === null) return this.dict!.randomKey()!;
    return flat[((Math.random() * flat.length) >> 1) << 1];
  }

  /** The pairs as [field, value, …] (a copy). */
  toFlat(): string[] {
    if (this.flat !== null) return this.flat.slice();
    const out: string[] = [];
    this.dict!.forEach((f, v) => {
      out.push(f, v);
    });
    return out;
  }

  copy(): HashValue {
    const h = new HashValue();
    if (this.flat !== null) {
      h.flat = this.flat.slice();
    } else {
      h.flat = null;
      const dict = new Dict<string>();
      this.dict!.forEach((f, v) => {
        dict.set(f, v);
      });
      h.dict = dict;
    }
    return h;
  }

  /** Builds a hash from pairs, e.g. when loading; the encoding follows the limits. */
  static fromPairs(pairs: readonly string[], limits: HashLimits): HashValue {
    const h = new HashValue();
    for (let i = 0; i + 1 < pairs.length; i += 2) h.set(pairs[i], pairs[i + 1], limits);
    return h;
  }
}
