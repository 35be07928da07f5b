/** A read position over RDB bytes (lengths, encoded strings, numbers) and the errors it raises. */
import { latin1 } from '../lib/latin1.js';
import { lzfDecompressInto } from '../lib/lzf.js';
import { parseDouble } from '../lib/numbers.js';
import { RDB_ENC_INT8, RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_LZF } from './constants.js';

/** A corrupt or unsupported RDB: the message says what and where, never a silent partial load. */
export class RdbError extends Error {
  constructor(
    /** What is wrong, without the offset. */
    readonly detail: string,
    public offset: number,
  ) {
    super(`${detail} (at offset ${offset})`);
  }

  /** The same error with its offset moved by `delta` (a streaming parse reports absolute offsets). */
  shifted(delta: number): this {
    if (delta !== 0) {
      this.offset += delta;
      this.message = `${this.detail} (at offset ${this.offset})`;
    }
    return this;
  }
}

/**
 * Thrown by a Cursor over input that is still arriving (a streaming parse) when the bytes up to
 * `needEnd` (a position in the cursor's buffer) are not there yet: the parser rewinds to the start
 * of the record and retries once more input came.
 */
export class RdbUnderflow extends Error {
  constructor(readonly needEnd: number) {
    super('RDB input underflow');
  }
}

/** Decompressed strings land here first (then one latin1 slice): no Buffer per value. */
let lzfScratch = Buffer.allocUnsafe(64 * 1024);
function scratchFor(n: number): Buffer {
  if (n > lzfScratch.length) lzfScratch = Buffer.allocUnsafe(Math.max(n, lzfScratch.length * 2));
  return lzfScratch;
}

/** A read position over the RDB bytes, with the length and string encodings. */
export class Cursor {
  pos = 0;
  /** More input may follow the buffer (streaming parse): running short throws RdbUnderflow. */
  partial = false;
  constructor(public buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      if (this.partial) throw new RdbUnderflow(this.pos + n);
      throw new RdbError('Unexpected EOF reading RDB file', this.pos);
    }
  }

  /** Checks that n more bytes are available (see need). */
  ensure(n: number): void {
    this.need(n);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  i32le(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i64le(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  f64le(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A length; special encodings are not allowed here. */
  length(): number {
    const v = this.lengthOrEncoding();
    if (this.encoded) throw new RdbError('Unexpected encoded length', this.pos);
    return v;
  }

  lengthBig(): bigint {
    this.need(1);
    if (this.buf[this.pos] === 0x81) {
      this.pos++;
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      return v;
    }
    return BigInt(this.length());
  }

  /** Set by lengthOrEncoding: the value is a special string encoding, not a length. */
  encoded = false;

  /** A length, or (with `encoded` set) a special string encoding number. No allocation: hot path. */
  lengthOrEncoding(): number {
    const b = this.u8();
    const kind = b >> 6;
    this.encoded = false;
    if (kind === 0) return b & 0x3f;
    if (kind === 1) return ((b & 0x3f) << 8) | this.u8();
    if (kind === 3) {
      this.encoded = true;
      return b & 0x3f;
    }
    if (b === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (b === 0x81) {
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RdbError('Length out of range', this.pos);
      return Number(v);
    }
    throw new RdbError(`Unknown length encoding ${b}`, this.pos - 1);
  }

  /** A string as latin1. */
  string(): string {
    const value = this.lengthOrEncoding();
    if (!this.encoded) {
      this.need(value);
      const s = latin1(this.buf, this.pos, this.pos + value);
      this.pos += value;
      return s;
    }
    switch (value) {
      case RDB_ENC_INT8:
        this.need(1);
        return String(this.buf.readInt8(this.pos++));
      case RDB_ENC_INT16: {
        this.need(2);
        const v = this.buf.readInt16LE(this.pos);
        this.pos += 2;
        return String(v);
      }
      case RDB_ENC_INT32:
        return String(this.i32le());
      case RDB_ENC_LZF: {
        const out = this.lzfInto(scratchFor);
        return out.latin1Slice(0, this.lzfLength);
      }
      default:
        throw new RdbError(`Unknown RDB string encoding type ${value}`, this.pos);
    }
  }

  /** A string as raw bytes (for ziplist/listpack/intset blobs). */
  stringBytes(): Buffer {
    const at = this.pos;
    const value = this.lengthOrEncoding();
    if (!this.encoded) {
      this.need(value);
      const b = this.buf.subarray(this.pos, this.pos + value);
      this.pos += value;
      return b;
    }
    if (value === RDB_ENC_LZF) return this.lzfInto((n) => Buffer.allocUnsafe(n));
    this.pos = at;
    return Buffer.from(this.string(), 'latin1');
  }

  /** Length of the last LZF string decompressed. */
  private lzfLength = 0;

  /** Decompresses an LZF string into a buffer from `alloc` (at least the length: see lzfLength). */
  private lzfInto(alloc: (n: number) => Buffer): Buffer {
    const clen = this.length();
    const len = this.length();
    this.need(clen);
    const out = alloc(len);
    lzfDecompressInto(this.buf, this.pos, this.pos + clen, out, len);
    this.lzfLength = len;
    this.pos += clen;
    return out;
  }

  /** Old ZSET scores: length byte then ASCII, 253 nan, 254 +inf, 255 -inf. */
  stringDouble(): number {
    const len = this.u8();
    if (len === 253) return Number.NaN;
    if (len === 254) return Infinity;
    if (len === 255) return -Infinity;
    this.need(len);
    const s = this.buf.latin1Slice(this.pos, this.pos + len);
    this.pos += len;
    return parseDouble(s) ?? Number.NaN;
  }
}
