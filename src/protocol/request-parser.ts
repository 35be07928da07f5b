import { splitArgs } from './split-args.js';

/** Redis closes the connection after replying with one of these ("-ERR Protocol error: <message>"). */
export class ProtocolError extends Error {}

/** The client exceeded client-query-buffer-limit: Redis closes it without a reply. */
export class QueryBufferLimitError extends Error {}

/** Redis's PROTO_INLINE_MAX_SIZE: the longest inline request or length line it buffers. */
export const INLINE_MAX_SIZE = 64 * 1024;
const INT_MAX = 2147483647;
const UNAUTHENTICATED_MAX_ARGS = 10;
const UNAUTHENTICATED_MAX_BULK = 16384;

export interface ParserLimits {
  maxBulkLen: number;
  maxQueryBuffer: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * Incremental parser for client requests: RESP multibulk arrays and inline (telnet) commands.
 * Arguments come out as latin1 strings, one char per byte, so keys and values stay binary-safe.
 * All length limits are checked before any memory is reserved for the announced data.
 */
export class RequestParser {
  /** Set by the connection: unauthenticated clients get Redis's tighter limits. */
  unauthenticated = false;
  /** The master link may send bulks larger than proto-max-bulk-len. */
  trusted = false;

  private buf: Buffer = EMPTY;
  private pos = 0;
  private end = 0;
  /** Whether buf is ours to append into (otherwise it is a chunk handed to us by the socket). */
  private owned = false;
  private argv: string[] | null = null;
  private argsLeft = 0;
  private bulkLen = -1;

  constructor(private readonly limits: ParserLimits) {}

  append(chunk: Buffer): void {
    if (this.pos === this.end) {
      this.buf = chunk;
      this.pos = 0;
      this.end = chunk.length;
      this.owned = false;
    } else {
      const have = this.end - this.pos;
      if (!this.owned || this.end + chunk.length > this.buf.length) {
        const wanted = Math.max(have + chunk.length, this.bulkLen >= 0 ? this.bulkLen + 2 : 0);
        const grown = Buffer.allocUnsafe(Math.max(wanted, have * 2, 1024));
        this.buf.copy(grown, 0, this.pos, this.end);
        this.buf = grown;
        this.pos = 0;
        this.end = have;
        this.owned = true;
      }
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
    }
    if (this.end - this.pos > this.limits.maxQueryBuffer) throw new QueryBufferLimitError();
  }

  /** Bytes received but not yet consumed by a complete command. */
  get buffered(): number {
    return this.end - this.pos;
  }

  /** The next complete command, or null when more bytes are needed. Throws ProtocolError. */
  next(): string[] | null {
    for (;;) {
      if (this.pos >= this.end) {
        this.release();
        return null;
      }
      let argv: string[] | null;
      if (this.argv !== null || this.buf[this.pos] === 0x2a /* '*' */) argv = this.parseMultibulk();
      else argv = this.parseInline();
      if (argv === null) return null;
      if (argv.length > 0) return argv;
    }
  }

  private release(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
    this.owned = false;
  }

  private parseInline(): string[] | null {
    const nl = this.buf.indexOf(0x0a, this.pos);
    if (nl < 0 || nl >= this.end) {
      if (this.end - this.pos > INLINE_MAX_SIZE) throw new ProtocolError('too big inline request');
      return null;
    }
    let lineEnd = nl;
    if (lineEnd > this.pos && this.buf[lineEnd - 1] === 0x0d) lineEnd--;
    const line = this.buf.latin1Slice(this.pos, lineEnd);
    this.pos = nl + 1;
    const argv = splitArgs(line);
    if (argv === null) throw new ProtocolError('unbalanced quotes in request');
    return argv;
  }

  /** Returns [] for an empty multibulk (count <= 0), which Redis silently skips. */
  private parseMultibulk(): string[] | null {
    const buf = this.buf;
    if (this.argv === null) {
      const cr = this.findCR(this.pos);
      if (cr < 0) {
        if (this.end - this.pos > INLINE_MAX_SIZE) throw new ProtocolError('too big mbulk count string');
        return null;
      }
      if (cr + 2 > this.end) return null;
      const count = parseLength(buf, this.pos + 1, cr);
      if (Number.isNaN(count) || count > INT_MAX) throw new ProtocolError('invalid multibulk length');
      if (count > UNAUTHENTICATED_MAX_ARGS && this.unauthenticated) {
        throw new ProtocolError('unauthenticated multibulk length');
      }
      this.pos = cr + 2;
      if (count <= 0) return [];
      this.argv = [];
      this.argsLeft = count;
      this.bulkLen = -1;
    }
    const argv = this.argv;
    while (this.argsLeft > 0) {
      if (this.bulkLen < 0) {
        if (this.pos >= this.end) return null;
        const cr = this.findCR(this.pos);
        if (cr < 0) {
          if (this.end - this.pos > INLINE_MAX_SIZE) throw new ProtocolError('too big bulk count string');
          return null;
        }
        if (cr + 2 > this.end) return null;
        if (buf[this.pos] !== 0x24 /* '$' */) {
          throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[this.pos])}'`);
        }
        const len = parseLength(buf, this.pos + 1, cr);
        if (Number.isNaN(len) || len < 0 || (!this.trusted && len > this.limits.maxBulkLen)) {
          throw new ProtocolError('invalid bulk length');
        }
        if (len > UNAUTHENTICATED_MAX_BULK && this.unauthenticated) {
          throw new ProtocolError('unauthenticated bulk length');
        }
        this.pos = cr + 2;
        this.bulkLen = len;
      }
      if (this.end - this.pos < this.bulkLen + 2) return null;
      argv.push(buf.latin1Slice(this.pos, this.pos + this.bulkLen));
      this.pos += this.bulkLen + 2;
      this.bulkLen = -1;
      this.argsLeft--;
    }
    this.argv = null;
    return argv;
  }

  private findCR(from: number): number {
    const i = this.buf.indexOf(0x0d, from);
    return i >= 0 && i < this.end ? i : -1;
  }
}

/** Redis's string2ll over bytes, for length lines. NaN when not a canonical integer. */
function parseLength(buf: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > 20) return Number.NaN;
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
    if (i === end) return Number.NaN;
  }
  if (len === 1 && buf[start] === 0x30) return 0;
  const first = buf[i];
  if (first < 0x31 || first > 0x39) return Number.NaN;
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i];
    if (c < 0x30 || c > 0x39) return Number.NaN;
    v = v * 10 + (c - 0x30);
  }
  // Out of int64 range: string2ll fails (the boundary itself is imprecise in a double; harmless here).
  if (v >= 2 ** 63) return Number.NaN;
  return negative ? -v : v;
}
