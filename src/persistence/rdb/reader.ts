import { Crc64 } from '../../lib/crc64.js';
import { LzfError, lzfDecompressInto } from '../../lib/lzf.js';
import { formatDouble, parseDouble } from '../../lib/numbers.js';
import {
  QUICKLIST_NODE_PACKED,
  QUICKLIST_NODE_PLAIN,
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
  RdbOpcode,
  RdbType,
  TYPE_NAMES,
} from './constants.js';
import { decodeListpack, ListpackError } from './listpack.js';
import { decodeIntset, decodeZiplist, decodeZipmap, EncodingError } from './ziplist.js';

/** A value as read from an RDB file, independent of how the store will represent it. */
export type RdbValue =
  | { type: 'string'; value: string }
  | { type: 'list'; items: string[] }
  | { type: 'set'; members: string[] }
  | { type: 'hash'; pairs: string[] }
  | { type: 'zset'; entries: Array<[string, number]> };

export interface RdbEntry {
  db: number;
  key: string;
  value: RdbValue;
  /** Absolute expiry in ms, or -1. */
  expireMs: number;
  /** LRU idle seconds / LFU frequency, when present. */
  idle: number;
  freq: number;
}

export interface RdbHandler {
  aux?(key: string, value: string): void;
  selectDb?(db: number): void;
  resizeDb?(db: number, size: number, expires: number): void;
  entry(entry: RdbEntry): void;
  /** A FUNCTION2 library (kept as code; tsredis does not run Lua). */
  functionLibrary?(code: string): void;
  /** A module auxiliary field we cannot interpret (skipped with a warning). */
  moduleAux?(moduleId: bigint): void;
}

/** A corrupt or unsupported RDB: the message says what and where, never a silent partial load. */
export class RdbError extends Error {
  constructor(
    /** What is wrong, without the offset. */
    readonly detail: string,
    readonly offset: number,
  ) {
    super(`${detail} (at offset ${offset})`);
  }
}

export interface ReadOptions {
  /** Verify the CRC-64 footer (rdbchecksum yes). A zero checksum means "not computed" as in Redis. */
  verifyChecksum?: boolean;
}

const MODULE_OPCODE_EOF = 0;
const MODULE_OPCODE_SINT = 1;
const MODULE_OPCODE_UINT = 2;
const MODULE_OPCODE_FLOAT = 3;
const MODULE_OPCODE_DOUBLE = 4;
const MODULE_OPCODE_STRING = 5;

/** Parses a whole RDB file (or a full-sync payload). Returns the RDB version. */
export function readRdb(buf: Buffer, handler: RdbHandler, options: ReadOptions = {}): number {
  const parser = new RdbParser(buf, handler, options);
  while (!parser.step(Number.POSITIVE_INFINITY)) {
    // step() only returns false when it hit the entry budget.
  }
  return parser.version;
}

/**
 * An RDB parse that can stop and resume between entries, so a large file loads in slices
 * between event-loop turns (the server answers LOADING meanwhile).
 */
export class RdbParser {
  readonly version: number;
  private readonly r: Cursor;
  private db = 0;
  private expireMs = -1;
  private idle = -1;
  private freq = -1;
  private done = false;
  /** Running CRC-64 of the bytes consumed (computed as the parse goes: no long pass at the end). */
  private readonly crc: Crc64 | null;
  private crcPos = 0;
  /** Byte offset where the trailer ends (valid once finished). */
  end = 0;

  /** Checks the header; throws RdbError for a bad signature or version. */
  constructor(
    readonly buf: Buffer,
    private readonly handler: RdbHandler,
    options: ReadOptions = {},
  ) {
    const magic = buf.latin1Slice(0, 5);
    if (buf.length < 9 || magic !== 'REDIS')
      throw new RdbError('Wrong signature trying to load DB from file', 0);
    const version = Number(buf.latin1Slice(5, 9));
    if (!Number.isInteger(version) || version < 1 || version > 10) {
      throw new RdbError(`Can't handle RDB format version ${buf.latin1Slice(5, 9)}`, 5);
    }
    this.version = version;
    this.r = new Cursor(buf);
    this.r.pos = 9;
    this.crc = (options.verifyChecksum ?? true) && version >= 5 ? new Crc64() : null;
  }

  private updateCrc(to: number): void {
    if (this.crc === null || to <= this.crcPos) return;
    this.crc.update(this.buf, this.crcPos, to);
    this.crcPos = to;
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.r.pos;
  }

  get finished(): boolean {
    return this.done;
  }

  /** Parses up to `maxEntries` keys; returns true once the EOF opcode (and checksum) was read. */
  step(maxEntries: number): boolean {
    if (this.done) return true;
    const r = this.r;
    const handler = this.handler;
    let entries = 0;
    for (;;) {
      const opAt = r.pos;
      const type = r.u8();
      switch (type) {
        case RdbOpcode.EXPIRETIME:
          this.expireMs = r.i32le() * 1000;
          continue;
        case RdbOpcode.EXPIRETIME_MS:
          this.expireMs = Number(r.i64le());
          continue;
        case RdbOpcode.FREQ:
          this.freq = r.u8();
          continue;
        case RdbOpcode.IDLE:
          this.idle = r.length();
          continue;
        case RdbOpcode.EOF: {
          this.updateCrc(r.pos);
          if (this.version >= 5) verifyFooter(this.buf, r.pos, this.crc);
          this.end = this.version >= 5 ? r.pos + 8 : r.pos;
          this.done = true;
          return true;
        }
        case RdbOpcode.SELECTDB:
          this.db = r.length();
          handler.selectDb?.(this.db);
          continue;
        case RdbOpcode.RESIZEDB: {
          const size = r.length();
          const expires = r.length();
          handler.resizeDb?.(this.db, size, expires);
          continue;
        }
        case RdbOpcode.AUX: {
          const key = r.string();
          const value = r.string();
          handler.aux?.(key, value);
          continue;
        }
        case RdbOpcode.MODULE_AUX: {
          const moduleId = r.lengthBig();
          r.length(); // when
          skipModuleValue(r);
          handler.moduleAux?.(moduleId);
          continue;
        }
        case RdbOpcode.FUNCTION_PRE_GA:
          throw new RdbError('Pre-release function format not supported', opAt);
        case RdbOpcode.FUNCTION2: {
          const code = r.string();
          handler.functionLibrary?.(code);
          continue;
        }
        default: {
          const key = r.string();
          const value = readValue(r, type, key);
          handler.entry({
            db: this.db,
            key,
            value,
            expireMs: this.expireMs,
            idle: this.idle,
            freq: this.freq,
          });
          this.expireMs = -1;
          this.idle = -1;
          this.freq = -1;
          if (++entries >= maxEntries) {
            this.updateCrc(r.pos);
            return false;
          }
        }
      }
    }
  }
}

/** The CRC-64 footer disagrees with the content. */
export class RdbChecksumError extends RdbError {
  constructor(
    readonly computed: bigint,
    readonly stored: bigint,
    offset: number,
  ) {
    super('Wrong RDB checksum', offset);
  }
}

function verifyFooter(buf: Buffer, at: number, crc: Crc64 | null): void {
  if (at + 8 > buf.length) throw new RdbError('Unexpected EOF reading RDB file', at);
  if (crc === null) return;
  const stored = buf.readBigUInt64LE(at);
  if (stored === 0n) return; // written with rdbchecksum no
  const computed = crc.value();
  if (computed !== stored) throw new RdbChecksumError(computed, stored, at);
}

function skipModuleValue(r: Cursor): void {
  for (;;) {
    const op = r.length();
    if (op === MODULE_OPCODE_EOF) return;
    if (op === MODULE_OPCODE_SINT || op === MODULE_OPCODE_UINT) r.lengthBig();
    else if (op === MODULE_OPCODE_FLOAT) r.skip(4);
    else if (op === MODULE_OPCODE_DOUBLE) r.skip(8);
    else if (op === MODULE_OPCODE_STRING) r.string();
    else throw new RdbError('Unknown module opcode', r.pos);
  }
}

/** Reads one value of the given RDB type. */
export function readValue(r: Cursor, type: number, key: string): RdbValue {
  const at = r.pos;
  try {
    switch (type) {
      case RdbType.STRING:
        return { type: 'string', value: r.string() };
      case RdbType.LIST: {
        const n = r.length();
        const items: string[] = new Array(n);
        for (let i = 0; i < n; i++) items[i] = r.string();
        return { type: 'list', items };
      }
      case RdbType.SET: {
        const n = r.length();
        const members: string[] = new Array(n);
        for (let i = 0; i < n; i++) members[i] = r.string();
        return { type: 'set', members };
      }
      case RdbType.ZSET:
      case RdbType.ZSET_2: {
        const n = r.length();
        const entries: Array<[string, number]> = new Array(n);
        for (let i = 0; i < n; i++) {
          const member = r.string();
          entries[i] = [member, type === RdbType.ZSET_2 ? r.f64le() : r.stringDouble()];
        }
        return { type: 'zset', entries };
      }
      case RdbType.HASH: {
        const n = r.length();
        const pairs: string[] = new Array(n * 2);
        for (let i = 0; i < n * 2; i++) pairs[i] = r.string();
        return { type: 'hash', pairs };
      }
      case RdbType.HASH_ZIPMAP:
        return { type: 'hash', pairs: decodeZipmap(r.stringBytes()) };
      case RdbType.LIST_ZIPLIST:
        return { type: 'list', items: decodeZiplist(r.stringBytes()) };
      case RdbType.SET_INTSET:
        return { type: 'set', members: decodeIntset(r.stringBytes()) };
      case RdbType.ZSET_ZIPLIST:
        return { type: 'zset', entries: pairScores(decodeZiplist(r.stringBytes())) };
      case RdbType.ZSET_LISTPACK:
        return { type: 'zset', entries: pairScores(decodeListpack(r.stringBytes())) };
      case RdbType.HASH_ZIPLIST:
        return { type: 'hash', pairs: decodeZiplist(r.stringBytes()) };
      case RdbType.HASH_LISTPACK:
        return { type: 'hash', pairs: decodeListpack(r.stringBytes()) };
      case RdbType.LIST_QUICKLIST: {
        const nodes = r.length();
        const items: string[] = [];
        for (let i = 0; i < nodes; i++) for (const s of decodeZiplist(r.stringBytes())) items.push(s);
        return { type: 'list', items };
      }
      case RdbType.LIST_QUICKLIST_2: {
        const nodes = r.length();
        const items: string[] = [];
        for (let i = 0; i < nodes; i++) {
          const container = r.length();
          if (container === QUICKLIST_NODE_PLAIN) items.push(r.string());
          else if (container === QUICKLIST_NODE_PACKED) {
            for (const s of decodeListpack(r.stringBytes())) items.push(s);
          } else throw new RdbError(`Quicklist integrity check failed (container ${container})`, r.pos);
        }
        return { type: 'list', items };
      }
      default:
        throw new RdbError(
          `Unsupported value type ${TYPE_NAMES[type] ?? `#${type}`} (RDB type ${type}) for key '${printable(key)}': tsredis cannot load it`,
          at,
        );
    }
  } catch (e) {
    if (
      e instanceof ListpackError ||
      e instanceof EncodingError ||
      e instanceof LzfError ||
      e instanceof RangeError
    ) {
      throw new RdbError(`Corrupt value for key '${printable(key)}': ${e.message}`, at);
    }
    throw e;
  }
}

function pairScores(flat: string[]): Array<[string, number]> {
  const out: Array<[string, number]> = new Array(flat.length / 2);
  for (let i = 0; i < flat.length; i += 2) out[i / 2] = [flat[i], parseDouble(flat[i + 1]) ?? Number.NaN];
  return out;
}

function printable(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}...` : s;
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
  constructor(readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RdbError('Unexpected EOF reading RDB file', this.pos);
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
      const s = this.buf.latin1Slice(this.pos, this.pos + value);
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

export { formatDouble };
