import { Crc64 } from '../lib/crc64.js';
import { LzfError } from '../lib/lzf.js';
import { parseDouble } from '../lib/numbers.js';
import type { StreamValue } from '../store/types/stream.js';
import { QUICKLIST_NODE_PACKED, QUICKLIST_NODE_PLAIN, RdbOpcode, RdbType, TYPE_NAMES } from './constants.js';
import { Cursor, RdbError, RdbUnderflow } from './cursor.js';
import { decodeListpack, ListpackError } from './listpack.js';
import { readStreamValue } from './stream-codec.js';
import { decodeIntset, decodeZiplist, decodeZipmap, EncodingError } from './ziplist.js';

/** A value as read from an RDB file, independent of how the store will represent it. */
export type RdbValue =
  | { type: 'string'; value: string }
  | { type: 'list'; items: string[] }
  | { type: 'set'; members: string[] }
  | { type: 'hash'; pairs: string[] }
  | { type: 'zset'; entries: Array<[string, number]> }
  | { type: 'stream'; value: StreamValue };

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
  /** A FUNCTION2 library (its code, as FUNCTION LOAD got it). */
  functionLibrary?(code: string): void;
  /**
   * A module auxiliary record (RDB_OPCODE_MODULE_AUX) we cannot interpret: skipped. `name` is the
   * module type's 9-character name decoded from its id, `when` its before/after-keys flag.
   */
  moduleAux?(moduleId: bigint, name: string, when: number): void;
}

/** Characters of module type names (moduleTypeNameByID). */
const MODULE_NAME_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The 9-character name of a module type from its 64-bit id, as Redis's moduleTypeNameByID decodes
 * it: the top 54 bits are nine 6-bit characters, the low 10 bits the encoding version.
 */
export function moduleTypeName(moduleId: bigint): string {
  let id = BigInt.asUintN(64, moduleId) >> 10n;
  const chars: string[] = new Array(9);
  for (let j = 8; j >= 0; j--) {
    chars[j] = MODULE_NAME_CHARSET[Number(id & 63n)];
    id >>= 6n;
  }
  return chars.join('');
}

/** The module id Redis derives from a type name and encoding version (moduleTypeEncodeId). */
export function moduleTypeId(name: string, encver: number): bigint {
  if (name.length !== 9) throw new Error('module type names have 9 characters');
  let id = 0n;
  for (const ch of name) {
    const i = MODULE_NAME_CHARSET.indexOf(ch);
    if (i < 0) throw new Error(`invalid module type name character '${ch}'`);
    id = (id << 6n) | BigInt(i);
  }
  return (id << 10n) | BigInt(encver & 1023);
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

const EMPTY = Buffer.alloc(0);
/** A streaming parse retries a record only once at least this much input is buffered (or the input ended). */
const MIN_RETRY_WINDOW = 64 * 1024;

/**
 * An RDB parse that can stop and resume between entries, so a large file loads in slices
 * between event-loop turns (the server answers LOADING meanwhile).
 *
 * Built with a Buffer, it parses that whole input. Built with null, it is a streaming parse: input
 * arrives with push() (a replica reading its master's socket or a file chunk by chunk) and
 * endInput() says there is no more. Only the record being parsed stays buffered. A record that is
 * not complete yet is retried from its start once enough input came: at least what it asked for and
 * twice what the failed attempt had, so a huge value is parsed a bounded number of times.
 */
export class RdbParser {
  version = 0;
  private readonly r: Cursor;
  /** Absolute offset (in the whole input) of r.buf[0]. */
  private base = 0;
  /** Streaming input pushed but not yet joined to the cursor's buffer. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** No more input will come (always true for a whole-buffer parse). */
  private final: boolean;
  /** Bytes wanted from the current record's start before trying again (streaming). */
  private want = 9;
  private headerRead = false;
  private db = 0;
  private expireMs = -1;
  private idle = -1;
  private freq = -1;
  private done = false;
  /** Running CRC-64 of the bytes consumed (computed as the parse goes: no long pass at the end). */
  private crc: Crc64 | null = null;
  /** Absolute offset up to which the CRC has been computed. */
  private crcPos = 0;
  private readonly verifyChecksum: boolean;
  /** Byte offset where the trailer ends (valid once finished). */
  end = 0;

  /** Checks the header of a whole buffer; throws RdbError for a bad signature or version. */
  constructor(
    buf: Buffer | null,
    private readonly handler: RdbHandler,
    options: ReadOptions = {},
  ) {
    this.verifyChecksum = options.verifyChecksum ?? true;
    this.final = buf !== null;
    this.r = new Cursor(buf ?? EMPTY);
    this.r.partial = !this.final;
    if (buf !== null) this.readHeader();
  }

  private readHeader(): void {
    const buf = this.r.buf;
    const magic = buf.latin1Slice(0, 5);
    if (buf.length < 9 || magic !== 'REDIS')
      throw new RdbError('Wrong signature trying to load DB from file', 0);
    const version = Number(buf.latin1Slice(5, 9));
    if (!Number.isInteger(version) || version < 1 || version > 10) {
      throw new RdbError(`Can't handle RDB format version ${buf.latin1Slice(5, 9)}`, 5);
    }
    this.version = version;
    this.r.pos = 9;
    this.crc = this.verifyChecksum && version >= 5 ? new Crc64() : null;
    this.headerRead = true;
  }

  /** Streaming: more input. */
  push(chunk: Buffer): void {
    if (this.final) throw new Error('RDB input already ended');
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
  }

  /** Streaming: the input is complete (a record still cut short is then a truncated file). */
  endInput(): void {
    this.final = true;
    this.r.partial = this.chunkBytes > 0;
  }

  /** Input held and not consumed yet (the current record and what follows). */
  get buffered(): number {
    return this.r.buf.length - this.r.pos + this.chunkBytes;
  }

  /** A streaming parse that cannot make progress before more input arrives. */
  get starved(): boolean {
    return !this.done && !this.final && this.buffered < this.want;
  }

  /**
   * Joins pushed input to what is left of the cursor's buffer, dropping what was consumed: only
   * once that is less than the current record wants, and only as many chunks as it wants, so each
   * byte is copied about once (joining every pending chunk at every step copied the read-ahead over
   * and over).
   */
  private join(): void {
    const r = this.r;
    const rest = r.buf.length - r.pos;
    if (this.chunkBytes === 0 || rest >= this.want) return;
    this.updateCrc(r.pos);
    const parts = rest > 0 ? [r.buf.subarray(r.pos)] : [];
    let n = rest;
    let taken = 0;
    while (taken < this.chunks.length && n < this.want) {
      n += this.chunks[taken].length;
      parts.push(this.chunks[taken++]);
    }
    r.buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
    this.base += r.pos;
    r.pos = 0;
    this.chunks.splice(0, taken);
    this.chunkBytes -= n - rest;
    // Input still waiting in chunks means a record cut short here is not the end of the file.
    r.partial = !this.final || this.chunkBytes > 0;
  }

  private updateCrc(to: number): void {
    const abs = this.base + to;
    if (this.crc === null || abs <= this.crcPos) return;
    this.crc.update(this.r.buf, this.crcPos - this.base, to);
    this.crcPos = abs;
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.base + this.r.pos;
  }

  get finished(): boolean {
    return this.done;
  }

  /**
   * Parses up to `maxEntries` keys; returns true once the EOF opcode (and checksum) was read. A
   * streaming parse also returns false when it ran out of input (then `starved` is true).
   */
  step(maxEntries: number): boolean {
    if (this.done) return true;
    if (this.starved) return false;
    this.join();
    const r = this.r;
    let opAt = r.pos;
    try {
      if (!this.headerRead) {
        if (r.buf.length < 9 && !this.final) throw new RdbUnderflow(9);
        this.readHeader();
      }
      return this.parse(maxEntries, (at) => {
        opAt = at;
      });
    } catch (e) {
      if (e instanceof RdbUnderflow) {
        // Rewind to the record's start: every record's effects happen only once it is whole.
        this.want = Math.max(e.needEnd - opAt, 2 * (r.buf.length - opAt), MIN_RETRY_WINDOW);
        r.pos = opAt;
        return false;
      }
      if (e instanceof RdbError) throw e.shifted(this.base);
      throw e;
    }
  }

  private parse(maxEntries: number, mark: (at: number) => void): boolean {
    const r = this.r;
    const handler = this.handler;
    let entries = 0;
    for (;;) {
      const opAt = r.pos;
      mark(opAt);
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
          if (this.version >= 5) r.ensure(8);
          this.updateCrc(r.pos);
          if (this.version >= 5) verifyFooter(r.buf, r.pos, this.crc);
          this.end = this.base + (this.version >= 5 ? r.pos + 8 : r.pos);
          if (this.version >= 5) r.pos += 8;
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
          // Module id, then the "when" field as an opcode-prefixed unsigned (rdbSaveSingleModuleAux),
          // then the module's own opcode-prefixed values up to RDB_MODULE_OPCODE_EOF.
          const moduleId = r.lengthBig();
          const whenOpcode = r.length();
          const when = r.length();
          if (whenOpcode !== MODULE_OPCODE_UINT) throw new RdbError('bad when_opcode', opAt);
          const name = moduleTypeName(moduleId);
          skipModuleValue(r, name, true);
          handler.moduleAux?.(moduleId, name, when);
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

/** Skips a module value written with opcodes (rdbLoadCheckModuleValue), up to its EOF opcode. */
function skipModuleValue(r: Cursor, name: string, aux: boolean): void {
  for (;;) {
    const at = r.pos;
    const op = r.length();
    if (op === MODULE_OPCODE_EOF) return;
    if (op === MODULE_OPCODE_SINT || op === MODULE_OPCODE_UINT) r.lengthBig();
    else if (op === MODULE_OPCODE_FLOAT) r.skip(4);
    else if (op === MODULE_OPCODE_DOUBLE) r.skip(8);
    else if (op === MODULE_OPCODE_STRING) r.string();
    else
      throw new RdbError(
        `The RDB file contains module ${aux ? 'AUX data' : 'data'} for the module '${name}' that is not terminated by the proper module value EOF marker (unknown module opcode ${op})`,
        at,
      );
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
      case RdbType.STREAM_LISTPACKS:
      case RdbType.STREAM_LISTPACKS_2:
        return { type: 'stream', value: readStreamValue(r, type) };
      case RdbType.MODULE_2:
      case RdbType.MODULE_PRE_GA: {
        const moduleId = r.lengthBig();
        const name = moduleTypeName(moduleId);
        throw new RdbError(
          `The RDB file contains module data I can't load: no matching module type '${name}' (key '${printable(key)}', module id ${moduleId}): tsredis cannot load modules`,
          at,
        );
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
