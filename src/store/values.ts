/**
 * Stored values. Strings are kept as latin1 JS strings (one char per byte): V8 stores those in one
 * byte per char, the most compact form for the common case. Strings that are mutated in place
 * (APPEND, SETRANGE, SETBIT, BITFIELD) become a MutableString backed by a Buffer with spare room,
 * which also mirrors Redis's "raw" encoding after such commands. A MutableString belongs to exactly
 * one key: anything that duplicates a value (COPY, RESTORE of a copy) must use copy().
 */
export class MutableString {
  /**
   * OBJECT ENCODING says "embstr" instead of "raw": INCRBYFLOAT stores integral results this way,
   * since Redis keeps them as short strings that are not int-encoded. Cleared by in-place writes.
   */
  embstr = false;
  /** The bytes its db last counted for it (store/eviction.ts). */
  accountedBytes = 0;

  constructor(
    public bytes: Buffer,
    public length: number,
  ) {}

  /** The value prepared for an in-place write: the same MutableString, or a copy of a latin1 string. */
  static from(value: StringValue, extraRoom = 0): MutableString {
    if (value instanceof MutableString) {
      value.embstr = false;
      return value;
    }
    const bytes = Buffer.allocUnsafe(value.length + extraRoom);
    bytes.latin1Write(value, 0);
    return new MutableString(bytes, value.length);
  }

  /** A MutableString of n zero bytes. */
  static zeros(n: number): MutableString {
    return new MutableString(Buffer.alloc(n), n);
  }

  /** Makes room for at least n bytes, zero-filling any newly exposed bytes up to n. */
  ensure(n: number): void {
    if (n > this.bytes.length) {
      // Amortized growth like Redis's sdsMakeRoomFor: double below 1 MiB, then +1 MiB steps.
      const grown = Buffer.alloc(Math.max(n, Math.min(this.bytes.length * 2, n + 1024 * 1024)));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    } else if (n > this.length) {
      this.bytes.fill(0, this.length, n);
    }
    if (n > this.length) this.length = n;
  }

  view(): Buffer {
    return this.bytes.subarray(0, this.length);
  }

  /** An independent copy with the same content and encoding. */
  copy(): MutableString {
    const c = new MutableString(Buffer.from(this.view()), this.length);
    c.embstr = this.embstr;
    return c;
  }

  toString(): string {
    return this.bytes.latin1Slice(0, this.length);
  }
}

export type StringValue = string | MutableString;

export type TypeName = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream';

/** Every non-string value type (lists, hashes, …) implements this. */
export interface CollectionValue {
  readonly type: Exclude<TypeName, 'string'>;
  /** OBJECT ENCODING's answer, following Redis's size thresholds. */
  encoding(): string;
  /** A deep copy (COPY, and snapshotting before an in-place change). */
  copy(): CollectionValue;
  /** The bytes its db last counted for it (store/eviction.ts): values change in place. */
  accountedBytes: number;
}

export type Value = StringValue | CollectionValue;

/** A deep copy of any value (COPY): latin1 strings are immutable and shared, the rest copy themselves. */
export function copyValue(v: Value): Value {
  return typeof v === 'string' ? v : v.copy();
}

export function isString(v: Value): v is StringValue {
  return typeof v === 'string' || v instanceof MutableString;
}

export function typeOf(v: Value): TypeName {
  return typeof v === 'string' || v instanceof MutableString ? 'string' : v.type;
}

export function stringLength(v: StringValue): number {
  return v.length;
}

export function stringToLatin1(v: StringValue): string {
  return typeof v === 'string' ? v : v.toString();
}

/** The bytes of a string value: a view of a MutableString, a fresh copy of a latin1 string. */
export function stringBytes(v: StringValue): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v.view();
}

const INT_LIKE = /^(?:0|-?[1-9][0-9]{0,18})$/;

/** What OBJECT ENCODING says for a string value (int, embstr or raw, by Redis's rules). */
export function stringEncoding(v: StringValue): string {
  if (typeof v !== 'string') return v.embstr ? 'embstr' : 'raw';
  if (v.length <= 20 && INT_LIKE.test(v)) {
    const n = BigInt(v);
    if (n <= 9223372036854775807n && n >= -9223372036854775808n) return 'int';
  }
  return v.length <= 44 ? 'embstr' : 'raw';
}
