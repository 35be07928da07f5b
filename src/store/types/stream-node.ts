/**
 * One stream node: a listpack in Redis 7.0's exact layout (t_stream.c), and the reader that walks
 * its entries. The master entry holds the valid and deleted counts and the first entry's field
 * names; each entry stores its id as a delta from the master id, and only its values when its
 * fields are the master's (SAMEFIELDS). Deleted entries stay as tombstones.
 */
import { LP_EOF, LP_HEADER, lpBigInt, lpInt, lpNext, lpString, writeLpInt } from './listpack-buf.js';
import type { StreamId } from './stream-id.js';
import { U64_MAX } from './stream-id.js';

export const FLAG_DELETED = 1;
export const FLAG_SAMEFIELDS = 2;
/** STREAM_LISTPACK_MAX_SIZE: no entry's fields and values may total more. */
export const LISTPACK_MAX_SIZE = 1 << 30;

/** stream-node-max-bytes and stream-node-max-entries. */
export interface NodeLimits {
  maxBytes: number;
  maxEntries: number;
}

/** One listpack of entries. `buf` has room beyond `size` for appends. */
export class StreamNode {
  constructor(
    readonly masterId: StreamId,
    public buf: Buffer,
    /** Bytes in use: the listpack's total-bytes header. */
    public size: number,
    /** Valid entries and tombstones (the master entry's first two integers). */
    public count: number,
    public deleted: number,
    /** Listpack elements (the header's u16 count saturates at 65535). */
    public elements: number,
  ) {}

  /** The listpack itself, exactly sized (RDB, DUMP). */
  listpack(): Buffer {
    return this.buf.subarray(0, this.size);
  }

  /** Drops the spare room once the node is full (lpShrinkToFit). */
  shrink(): void {
    // Only when the spare room is worth a copy (and the garbage it leaves).
    if (this.buf.length - this.size > this.size / 8) this.buf = exactCopy(this.listpack());
  }

  /** Makes room for n more bytes: doubling, or exactly (a node about to be full). */
  ensure(n: number, exact = false): void {
    if (this.size + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(
      exact ? this.size + n : Math.max(this.size + n, this.buf.length * 2),
    );
    this.buf.copy(grown, 0, 0, this.size);
    this.buf = grown;
  }

  writeHeader(): void {
    this.buf.writeUInt32LE(this.size, 0);
    this.buf.writeUInt16LE(Math.min(this.elements, 65535), 4);
  }

  /** Replaces the integer element at p (lpReplaceInteger), moving what follows if its size changes. */
  replaceInt(p: number, value: number): void {
    // The usual case, a small count staying a 7-bit integer: one byte, same size.
    if (value >= 0 && value <= 127 && this.buf[p] < 0x80) {
      this.buf[p] = value;
      return;
    }
    const oldEnd = lpNext(this.buf, p);
    const scratch = intScratch;
    const len = writeLpInt(scratch, 0, value);
    const delta = len - (oldEnd - p);
    if (delta !== 0) {
      this.ensure(Math.max(delta, 0));
      this.buf.copyWithin(p + len, oldEnd, this.size);
      this.size += delta;
    }
    scratch.copy(this.buf, p, 0, len);
    this.writeHeader();
  }

  /** Writes the count and deleted integers of the master entry. */
  writeCounts(): void {
    this.replaceInt(LP_HEADER, this.count);
    this.replaceInt(lpNext(this.buf, LP_HEADER), this.deleted);
  }
}

const intScratch = Buffer.alloc(16);

/** A copy in its own allocation (not a slice of Node's shared pool, which would pin the pool). */
export function exactCopy(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafeSlow(bytes.length);
  out.set(bytes);
  return out;
}
/** Where entries are written as bulk strings (a reply). */
export interface BulkSink {
  bulk(s: string): void;
  bulkRange(b: Buffer, start: number, end: number): void;
  bulkWithInt(prefix: string, n: number): void;
}

/** A range bound: the id, and its halves as (possibly rounded) numbers for fast comparisons. */
export interface Bound {
  readonly id: StreamId;
  readonly ms: number;
  readonly seq: number;
}

export function bound(id: StreamId): Bound {
  return { id, ms: Number(id >> 64n), seq: Number(id & U64_MAX) };
}

const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Walks the entries of one node. After next() or readAt(), the entry's id (as exact numbers when
 * both halves are below 2^53, the usual case, so scanning a node needs no bigint arithmetic),
 * flags and fields describe it; fields() decodes its field-value pairs.
 */
export class NodeReader {
  node!: StreamNode;
  private buf!: Buffer;
  private masterMs = 0n;
  private masterSeq = 0n;
  private masterMsN = 0;
  private masterSeqN = 0;
  private masterExact = true;
  /** The master entry's field names, decoded once per node. */
  private masterFields: string[] = [];
  /** Position of the first entry. */
  firstPos = 0;
  /** Position of the next entry to read. */
  pos = 0;
  // The current entry:
  entryPos = 0;
  flags = 0;
  ms = 0;
  seq = 0;
  /** ms and seq are exact (below 2^53). */
  exact = true;
  private big: StreamId | null = null;
  numFields = 0;
  private dataPos = 0;

  start(node: StreamNode): this {
    this.node = node;
    const buf = node.buf;
    this.buf = buf;
    this.masterMs = node.masterId >> 64n;
    this.masterSeq = node.masterId & U64_MAX;
    this.masterMsN = Number(this.masterMs);
    this.masterSeqN = Number(this.masterSeq);
    this.masterExact = this.masterMsN <= SAFE && this.masterSeqN <= SAFE;
    let p = lpNext(buf, lpNext(buf, LP_HEADER));
    const n = lpInt(buf, p);
    p = lpNext(buf, p);
    const fields: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      fields[i] = lpString(buf, p);
      p = lpNext(buf, p);
    }
    this.masterFields = fields;
    this.firstPos = lpNext(buf, p);
    this.pos = this.firstPos;
    return this;
  }

  /** Reads the entry at pos; false at the node's end. */
  next(): boolean {
    if (this.buf[this.pos] === LP_EOF) return false;
    this.pos = this.readAt(this.pos);
    return true;
  }

  /** The current entry's id. */
  get id(): StreamId {
    if (this.big === null) this.big = (BigInt(this.ms) << 64n) | BigInt(this.seq);
    return this.big;
  }

  /** The last ms half printed: neighbouring entries mostly share it, and printing a 13-digit
   * number costs far more than reusing its text. */
  private msNumber = -1;
  private msText = '';

  /** The current entry's id as Redis prints it. */
  idText(): string {
    if (!this.exact) return `${this.id >> 64n}-${this.id & U64_MAX}`;
    return this.msPrefix() + this.seq;
  }

  /** "<ms>-" of the current (exact) id. */
  private msPrefix(): string {
    if (this.ms !== this.msNumber) {
      this.msNumber = this.ms;
      this.msText = `${this.ms}-`;
    }
    return this.msText;
  }

  /** Writes the current id as a bulk string, without building its text. */
  writeId(out: BulkSink): void {
    if (this.exact) out.bulkWithInt(this.msPrefix(), this.seq);
    else out.bulk(this.idText());
  }

  /** The current id compared with a bound: negative, 0 or positive. */
  compare(b: Bound): number {
    if (!this.exact) return this.id < b.id ? -1 : this.id > b.id ? 1 : 0;
    // Exact halves against possibly rounded ones: a bound half >= 2^53 rounds to >= 2^53, still
    // above any exact half, so the order stays right.
    if (this.ms !== b.ms) return this.ms < b.ms ? -1 : 1;
    return this.seq < b.seq ? -1 : this.seq > b.seq ? 1 : 0;
  }

  /** Reads the entry at p; returns the position after it. */
  readAt(p: number): number {
    const buf = this.buf;
    this.entryPos = p;
    const flags = lpInt(buf, p);
    p = lpNext(buf, p);
    const msPos = p;
    const msDelta = lpInt(buf, p);
    p = lpNext(buf, p);
    const seqPos = p;
    const seqDelta = lpInt(buf, p);
    p = lpNext(buf, p);
    this.flags = flags;
    const ms = this.masterMsN + msDelta;
    const seq = this.masterSeqN + seqDelta;
    if (
      this.masterExact &&
      buf[msPos] !== 0xf4 &&
      buf[seqPos] !== 0xf4 &&
      ms >= 0 &&
      seq >= 0 &&
      ms <= SAFE &&
      seq <= SAFE
    ) {
      this.ms = ms;
      this.seq = seq;
      this.exact = true;
      this.big = null;
    } else {
      const bigMs = BigInt.asUintN(64, this.masterMs + lpBigInt(buf, msPos));
      const bigSeq = BigInt.asUintN(64, this.masterSeq + lpBigInt(buf, seqPos));
      this.big = (bigMs << 64n) | bigSeq;
      this.ms = Number(bigMs);
      this.seq = Number(bigSeq);
      this.exact = this.ms <= SAFE && this.seq <= SAFE;
    }
    let skip: number;
    if (flags & FLAG_SAMEFIELDS) {
      this.numFields = this.masterFields.length;
      skip = this.numFields;
    } else {
      this.numFields = lpInt(buf, p);
      p = lpNext(buf, p);
      skip = this.numFields * 2;
    }
    this.dataPos = p;
    for (let i = 0; i < skip; i++) p = lpNext(buf, p);
    return lpNext(buf, p);
  }

  /** The current entry's fields and values, flat. */
  fields(): string[] {
    const buf = this.buf;
    const out: string[] = new Array(this.numFields * 2);
    let p = this.dataPos;
    if (this.flags & FLAG_SAMEFIELDS) {
      const names = this.masterFields;
      for (let i = 0; i < names.length; i++) {
        out[2 * i] = names[i];
        out[2 * i + 1] = lpString(buf, p);
        p = lpNext(buf, p);
      }
    } else {
      for (let i = 0; i < out.length; i++) {
        out[i] = lpString(buf, p);
        p = lpNext(buf, p);
      }
    }
    return out;
  }

  /**
   * Writes the current entry's fields and values as bulk strings to a reply, string elements
   * straight from the node's bytes.
   */
  writeFields(out: BulkSink): void {
    const buf = this.buf;
    let p = this.dataPos;
    const same = (this.flags & FLAG_SAMEFIELDS) !== 0;
    const n = same ? this.masterFields.length : this.numFields * 2;
    for (let i = 0; i < n; i++) {
      if (same) out.bulk(this.masterFields[i]);
      const b = buf[p];
      if (b >= 0x80 && b < 0xc0) out.bulkRange(buf, p + 1, p + 1 + (b & 0x3f));
      else out.bulk(lpString(buf, p));
      p = lpNext(buf, p);
    }
  }

  get isDeleted(): boolean {
    return (this.flags & FLAG_DELETED) !== 0;
  }

  /** Marks the current entry deleted (the flags element is one byte either way). */
  markDeleted(): void {
    this.flags |= FLAG_DELETED;
    this.buf[this.entryPos] = this.flags;
  }

  /** Positions of every entry of the node, for walking it backwards. */
  positions(): number[] {
    const out: number[] = [];
    let p = this.firstPos;
    while (this.buf[p] !== LP_EOF) {
      out.push(p);
      p = this.readAt(p);
    }
    return out;
  }
}
