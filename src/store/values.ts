/**
 * Stored values. Strings are kept as latin1 JS strings (one char per byte): V8 stores those in one
 * byte per char, the most compact form for the common case. Strings that are mutated in place
 * (APPEND, SETRANGE, SETBIT, BITFIELD) become a MutableString backed by a Buffer with spare room,
 * which also mirrors Redis's "raw" encoding after such commands.
 */
export class MutableString {
  constructor(
    public bytes: Buffer,
    public length: number,
  ) {}

  static from(value: StringValue, extraRoom = 0): MutableString {
    if (value instanceof MutableString) return value;
    const bytes = Buffer.allocUnsafe(value.length + extraRoom);
    bytes.latin1Write(value, 0);
    return new MutableString(bytes, value.length);
  }

  /** Makes room for at least n bytes, zero-filling any newly exposed bytes up to n. */
  ensure(n: number): void {
    if (n > this.bytes.length) {
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
}

export type Value = StringValue | CollectionValue;

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

const INT_LIKE = /^(?:0|-?[1-9][0-9]{0,18})$/;

/** What OBJECT ENCODING says for a string value (int, embstr or raw, by Redis's rules). */
export function stringEncoding(v: StringValue): string {
  if (typeof v !== 'string') return 'raw';
  if (v.length <= 20 && INT_LIKE.test(v)) {
    const n = BigInt(v);
    if (n <= 9223372036854775807n && n >= -9223372036854775808n) return 'int';
  }
  return v.length <= 44 ? 'embstr' : 'raw';
}
