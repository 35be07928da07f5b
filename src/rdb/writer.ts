import { Crc64 } from '../lib/crc64.js';
import { lzfCompress } from '../lib/lzf.js';
import {
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
  RDB_VERSION,
  RdbOpcode,
} from './constants.js';

const CHUNK = 64 * 1024;

/** A reusable buffer holding a latin1 string's bytes for compression (no allocation per value). */
let scratch = Buffer.allocUnsafe(CHUNK);
function latin1Scratch(s: string): Buffer {
  if (s.length > scratch.length) scratch = Buffer.allocUnsafe(Math.max(s.length, scratch.length * 2));
  scratch.latin1Write(s, 0);
  return scratch.subarray(0, s.length);
}
const INT_RE = /^(?:0|-?[1-9][0-9]{0,10})$/;

/**
 * Low-level RDB serializer: length and string encodings, opcodes, the CRC-64 footer. Output
 * accumulates in chunks that a caller drains with take() (to a file, a socket or one Buffer), so a
 * snapshot can be produced incrementally without building it all in memory.
 */
export class RdbWriter {
  private chunks: Buffer[] = [];
  private cur = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private readonly crc = new Crc64();
  /** Bytes produced so far (including those already taken). */
  written = 0;

  constructor(
    private readonly compress: boolean,
    private readonly checksum = true,
  ) {}

  private room(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.seal();
    if (n > this.cur.length) this.cur = Buffer.allocUnsafe(Math.max(n, CHUNK));
  }

  private seal(): void {
    if (this.pos === 0) return;
    const chunk = this.cur.subarray(0, this.pos);
    if (this.checksum) this.crc.update(chunk);
    this.chunks.push(chunk);
    this.cur = Buffer.allocUnsafe(CHUNK);
    this.pos = 0;
  }

  /** Completed output so far. */
  take(): Buffer[] {
    this.seal();
    const out = this.chunks;
    this.chunks = [];
    return out;
  }

  /** Bytes buffered and not yet taken. */
  get pending(): number {
    let n = this.pos;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  byte(b: number): void {
    this.room(1);
    this.cur[this.pos++] = b;
    this.written++;
  }

  raw(data: Uint8Array): void {
    if (data.length > CHUNK) {
      this.seal();
      const copy = Buffer.from(data);
      if (this.checksum) this.crc.update(copy);
      this.chunks.push(copy);
      this.written += data.length;
      return;
    }
    this.room(data.length);
    this.cur.set(data, this.pos);
    this.pos += data.length;
    this.written += data.length;
  }

  /** Raw latin1 text (AOF commands share this buffer). */
  text(s: string): void {
    this.latin1(s);
  }

  private latin1(s: string): void {
    if (s.length > CHUNK) {
      this.raw(Buffer.from(s, 'latin1'));
      return;
    }
    this.room(s.length);
    this.pos += this.cur.latin1Write(s, this.pos);
    this.written += s.length;
  }

  length(n: number): void {
    this.room(9);
    const b = this.cur;
    if (n < 1 << 6) {
      b[this.pos++] = n;
      this.written += 1;
    } else if (n < 1 << 14) {
      b[this.pos++] = 0x40 | (n >> 8);
      b[this.pos++] = n & 0xff;
      this.written += 2;
    } else if (n <= 0xffffffff) {
      b[this.pos++] = 0x80;
      b.writeUInt32BE(n, this.pos);
      this.pos += 4;
      this.written += 5;
    } else {
      b[this.pos++] = 0x81;
      b.writeBigUInt64BE(BigInt(n), this.pos);
      this.pos += 8;
      this.written += 9;
    }
  }

  /** A 64-bit length (stream ids and counters), as rdbSaveLen writes it. */
  lengthBig(n: bigint): void {
    if (n <= 0xffffffffn) {
      this.length(Number(n));
      return;
    }
    this.room(9);
    this.cur[this.pos++] = 0x81;
    this.cur.writeBigUInt64BE(n, this.pos);
    this.pos += 8;
    this.written += 9;
  }

  /** rdbSaveMillisecondTime: an int64 little-endian. */
  millis(ms: number): void {
    this.room(8);
    this.cur.writeBigInt64LE(BigInt(Math.trunc(ms)), this.pos);
    this.pos += 8;
    this.written += 8;
  }

  /** A string with Redis's encodings: small integers as ints, long strings LZF-compressed. */
  string(s: string | Buffer): void {
    const len = s.length;
    if (typeof s === 'string' && len <= 11 && INT_RE.test(s)) {
      const v = Number(s);
      if (v >= -128 && v <= 127) {
        this.byte(0xc0 | RDB_ENC_INT8);
        this.byte(v & 0xff);
        return;
      }
      if (v >= -32768 && v <= 32767) {
        this.room(3);
        this.cur[this.pos++] = 0xc0 | RDB_ENC_INT16;
        this.cur.writeInt16LE(v, this.pos);
        this.pos += 2;
        this.written += 3;
        return;
      }
      if (v >= -2147483648 && v <= 2147483647) {
        this.room(5);
        this.cur[this.pos++] = 0xc0 | RDB_ENC_INT32;
        this.cur.writeInt32LE(v, this.pos);
        this.pos += 4;
        this.written += 5;
        return;
      }
    }
    if (this.compress && len > 20) {
      const bytes = typeof s === 'string' ? latin1Scratch(s) : s;
      const packed = lzfCompress(bytes, len - 4);
      if (packed !== null) {
        this.byte(0xc0 | RDB_ENC_LZF);
        this.length(packed.length);
        this.length(len);
        this.raw(packed);
        return;
      }
    }
    this.length(len);
    if (typeof s === 'string') this.latin1(s);
    else this.raw(s);
  }

  /** A double as 8 bytes little-endian (ZSET_2 scores). */
  binaryDouble(d: number): void {
    this.room(8);
    this.cur.writeDoubleLE(d, this.pos);
    this.pos += 8;
    this.written += 8;
  }

  header(): void {
    this.latin1(`REDIS${String(RDB_VERSION).padStart(4, '0')}`);
  }

  aux(key: string, value: string): void {
    this.byte(RdbOpcode.AUX);
    this.string(key);
    this.string(value);
  }

  selectDb(db: number): void {
    this.byte(RdbOpcode.SELECTDB);
    this.length(db);
  }

  resizeDb(size: number, expires: number): void {
    this.byte(RdbOpcode.RESIZEDB);
    this.length(size);
    this.length(expires);
  }

  expireMs(when: number): void {
    this.room(9);
    this.cur[this.pos++] = RdbOpcode.EXPIRETIME_MS;
    this.cur.writeBigInt64LE(BigInt(Math.trunc(when)), this.pos);
    this.pos += 8;
    this.written += 9;
  }

  /** EOF opcode and the checksum (zero when rdbchecksum is off). */
  end(): void {
    this.byte(RdbOpcode.EOF);
    this.seal();
    const footer = this.checksum ? this.crc.digest() : Buffer.alloc(8);
    this.chunks.push(footer);
    this.written += 8;
  }

  /** For DUMP payloads: appends RDB version (2 bytes LE) and the CRC-64 of everything. */
  dumpFooter(): void {
    this.room(2);
    this.cur.writeUInt16LE(RDB_VERSION, this.pos);
    this.pos += 2;
    this.written += 2;
    this.seal();
    this.chunks.push(this.crc.digest());
    this.written += 8;
  }
}
