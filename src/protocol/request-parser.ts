import { constants } from 'node:buffer';
import { latin1 } from '../lib/latin1.js';
import { splitArgs } from './split-args.js';

/** Redis closes the connection after replying with one of these ("-ERR Protocol error: <message>"). */
export class ProtocolError extends Error {}

/** A bulk the heap has no room for: its text is the whole error reply, and the client is closed. */
export class NoRoomError extends ProtocolError {}

/** Bulks at least this long are checked against the heap's room before they are buffered. */
const ROOM_CHECK_MIN = 1024 * 1024;

/** The client exceeded client-query-buffer-limit: Redis closes it without a reply. */
export class QueryBufferLimitError extends Error {}

/** Redis's PROTO_INLINE_MAX_SIZE: the longest inline request or length line it buffers. */
export const INLINE_MAX_SIZE = 64 * 1024;
/**
 * The longest argument tsredis can hold: arguments are JS strings, and V8 caps their length just
 * under 512 MiB. Longer bulks get "invalid bulk length", as if proto-max-bulk-len were this.
 */
export const MAX_ARGUMENT_LEN = constants.MAX_STRING_LENGTH;
const INT_MAX = 2147483647;
/** Like Redis (min(count, 1024)): argument arrays are allocated up front only up to this size. */
const PREALLOCATE_MAX = 1024;
const UNAUTHENTICATED_MAX_ARGS = 10;
const UNAUTHENTICATED_MAX_BULK = 16384;
const CR = 0x0d;
const LF = 0x0a;
/** The smallest buffer the parser allocates when it must keep bytes across reads. */
const MIN_BUFFER = 16 * 1024;
/** The smallest step when buffering a large bulk. */
const MIN_BULK_BUFFER = 1024 * 1024;
/** lineScanned value when a NUL byte ends the search for good (see scanLine). */
const BLOCKED = Number.MAX_SAFE_INTEGER;

export interface ParserLimits {
  maxBulkLen: number;
  maxQueryBuffer: number;
  /** For large bulks: whether the heap can take one of len bytes (else the request is refused). */
  bulkFits?: (len: number) => boolean;
  /** The error a refused bulk gets. */
  noRoomError?: string;
}

const EMPTY = Buffer.alloc(0);

/**
 * Incremental parser for client requests: RESP multibulk arrays and inline (telnet) commands.
 * Arguments come out as latin1 strings, one char per byte, so keys and values stay binary-safe.
 * All length limits are checked before any memory is reserved for the announced data, and the
 * buffer for a large bulk grows with the bytes that actually arrive (never quadratic copying).
 */
export class RequestParser {
  /** Set by the connection: unauthenticated clients get Redis's tighter limits. */
  unauthenticated = false;
  /** The master link: no proto-max-bulk-len and no query buffer limit (like Redis's CLIENT_MASTER). */
  trusted = false;

  private buf: Buffer = EMPTY;
  private pos = 0;
  private end = 0;
  /** Whether buf is ours to append into (otherwise it is a chunk handed to us by the socket). */
  private owned = false;
  private argv: string[] | null = null;
  /** Arguments of the current multibulk parsed so far. */
  private argc = 0;
  private argsLeft = 0;
  /** Length of the bulk being received (pos is at its first byte), or -1. */
  private bulkLen = -1;
  /** Bytes after pos already searched for a line end without finding one (or BLOCKED). */
  private lineScanned = 0;
  /** The previous command name, reused when the next one has the same bytes. */
  private lastName = '';
  /** Results of fastLength: the value and the index just after its line. */
  private fastValue = 0;
  private fastEnd = 0;
  /** Where the multibulk being parsed began in buf, and whether its bytes are all in canonical form. */
  private cmdStart = 0;
  private canonical = false;
  /** The last command returned, while its exact bytes are still at buf[rawStart, rawEnd). */
  private rawArgv: string[] | null = null;
  rawStart = 0;
  rawEnd = 0;

  constructor(private readonly limits: ParserLimits) {}

  append(chunk: Buffer): void {
    this.rawArgv = null;
    if (this.pos === this.end) {
      // A multibulk in progress loses its first bytes with the old buffer.
      this.canonical = false;
      // Nothing pending: parse straight out of the socket's chunk, no copy.
      this.buf = chunk;
      this.pos = 0;
      this.end = chunk.length;
      this.owned = false;
    } else {
      if (!this.owned || this.end + chunk.length > this.buf.length) this.makeRoom(chunk.length);
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
    }
    if (!this.trusted && this.pendingBytes() > this.limits.maxQueryBuffer) throw new QueryBufferLimitError();
  }

  /**
   * Copies unconsumed bytes out of the last chunk if the parser still borrows it: call this before
   * the caller reuses the chunk's memory (a shared read buffer).
   */
  preserve(): void {
    if (!this.owned && this.pos < this.end) this.makeRoom(0);
  }

  /** The first n bytes not yet consumed (for log lines). */
  head(n: number): string {
    return this.buf.latin1Slice(this.pos, Math.min(this.end, this.pos + n));
  }

  /** Bytes received but not yet consumed by a complete command. */
  get buffered(): number {
    return this.end - this.pos;
  }

  /**
   * What Redis would count as its query buffer: unconsumed bytes, but within a bulk only up to its
   * end (Redis reads a big bulk exactly, so the next command's bytes are never counted with it).
   */
  private pendingBytes(): number {
    const have = this.end - this.pos;
    return this.bulkLen >= 0 && have > this.bulkLen + 2 ? this.bulkLen + 2 : have;
  }

  /** Moves the unconsumed bytes to the front of a buffer with room for `extra` more. */
  private makeRoom(extra: number): void {
    this.rawArgv = null;
    this.canonical = false;
    const have = this.end - this.pos;
    const needed = have + extra;
    if (this.owned && needed <= this.buf.length) {
      this.buf.copyWithin(0, this.pos, this.end);
    } else {
      // Geometric growth keeps copying linear. Inside a bulk of known size: 4x steps (copies stay
      // under a third of the bulk) and never beyond its end, so memory follows what has arrived.
      let size = Math.max(needed * 2, MIN_BUFFER);
      if (this.bulkLen >= 0) {
        size = Math.max(needed, Math.min(Math.max(needed * 4, MIN_BULK_BUFFER), this.bulkLen + 2));
      }
      const grown = Buffer.allocUnsafe(size);
      this.buf.copy(grown, 0, this.pos, this.end);
      this.buf = grown;
      this.owned = true;
    }
    this.pos = 0;
    this.end = have;
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
    this.rawArgv = null;
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
    this.owned = false;
  }

  /**
   * Reads "<prefix><digits>\r\n" at pos in one pass: at most 10 digits, canonical (no sign, no
   * leading zero), with CR and LF already received. Returns the value (also in fastValue, with the
   * index after the line in fastEnd), or -1 for anything else, which the general path then handles
   * with Redis's exact errors and waiting rules.
   */
  private fastLength(prefix: number): number {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    if (p >= end || buf[p] !== prefix) return -1;
    const start = ++p;
    let v = 0;
    while (p < end && p - start < 10) {
      const c = buf[p];
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
      p++;
    }
    const digits = p - start;
    if (
      digits === 0 ||
      p + 1 >= end ||
      buf[p] !== CR ||
      buf[p + 1] !== LF ||
      (digits > 1 && buf[start] === 0x30)
    ) {
      return -1;
    }
    this.fastValue = v;
    this.fastEnd = p + 2;
    return v;
  }

  /** The largest bulk length the fast path may accept; the general path reports anything bigger. */
  private fastBulkMax(): number {
    if (this.unauthenticated) return UNAUTHENTICATED_MAX_BULK;
    const max = this.trusted ? MAX_ARGUMENT_LEN : Math.min(this.limits.maxBulkLen, MAX_ARGUMENT_LEN);
    return this.limits.bulkFits === undefined ? max : Math.min(max, ROOM_CHECK_MIN - 1);
  }

  /**
   * The command name at buf[start, start+len): the same string as last time when the bytes repeat
   * (pipelines usually do), saving a string and, for the command table lookup, its hash.
   */
  private commandName(start: number, len: number): string {
    const last = this.lastName;
    if (last.length === len) {
      const buf = this.buf;
      let i = 0;
      while (i < len && buf[start + i] === last.charCodeAt(i)) i++;
      if (i === len) return last;
    }
    const name = latin1(this.buf, start, start + len);
    if (len <= 32) this.lastName = name;
    return name;
  }

  /**
   * Index of the first `target` byte at or after pos, or -1. Like Redis's strchr over its
   * NUL-terminated query buffer, a NUL byte ends the search: the line can then never complete,
   * and the client waits until the "too big" limit closes it. Remembers how far it looked so a
   * line arriving in many small reads is scanned once.
   */
  private scanLine(target: number): number {
    if (this.lineScanned === BLOCKED) return -1;
    const buf = this.buf;
    const end = this.end;
    for (let i = this.pos + this.lineScanned; i < end; i++) {
      const c = buf[i];
      if (c === target) return i;
      if (c === 0) {
        this.lineScanned = BLOCKED;
        return -1;
      }
    }
    this.lineScanned = end - this.pos;
    return -1;
  }

  /** Consumes through `to` (exclusive) and starts a fresh line search. */
  private advance(to: number): void {
    this.pos = to;
    this.lineScanned = 0;
  }

  private parseInline(): string[] | null {
    this.rawArgv = null;
    const nl = this.scanLine(LF);
    if (nl < 0) {
      if (this.end - this.pos > INLINE_MAX_SIZE) throw new ProtocolError('too big inline request');
      return null;
    }
    let lineEnd = nl;
    if (lineEnd > this.pos && this.buf[lineEnd - 1] === CR) lineEnd--;
    const line = this.buf.latin1Slice(this.pos, lineEnd);
    this.advance(nl + 1);
    const argv = splitArgs(line);
    if (argv === null) throw new ProtocolError('unbalanced quotes in request');
    return argv;
  }

  /**
   * Where the exact bytes of `argv` are, when it is the command just returned and it was sent in
   * canonical RESP (what re-encoding it would give): the buffer, with the range in rawStart and
   * rawEnd, or null. Replication and the AOF copy them instead of encoding the arguments again.
   * Valid until the next append or next().
   */
  rawBufferOf(argv: string[]): Buffer | null {
    return argv === this.rawArgv ? this.buf : null;
  }

  /** Returns [] for an empty multibulk (count <= 0), which Redis silently skips. */
  private parseMultibulk(): string[] | null {
    const buf = this.buf;
    if (this.argv === null) this.cmdStart = this.pos;
    if (
      this.argv === null &&
      this.fastLength(0x2a) > 0 &&
      this.fastValue <= (this.unauthenticated ? UNAUTHENTICATED_MAX_ARGS : INT_MAX)
    ) {
      // The common case in one pass: "*<count>\r\n" complete, canonical and within every limit.
      const count = this.fastValue;
      this.advance(this.fastEnd);
      this.argv = count <= PREALLOCATE_MAX ? new Array(count) : [];
      this.argc = 0;
      this.argsLeft = count;
      this.bulkLen = -1;
      this.canonical = true;
    } else if (this.argv === null) {
      const cr = this.scanLine(CR);
      if (cr < 0) {
        if (this.end - this.pos > INLINE_MAX_SIZE) throw new ProtocolError('too big mbulk count string');
        return null;
      }
      // Like Redis, the byte after CR is not checked: it is assumed to be LF.
      if (cr + 2 > this.end) return null;
      const count = parseLength(buf, this.pos + 1, cr);
      if (Number.isNaN(count) || count > INT_MAX) throw new ProtocolError('invalid multibulk length');
      if (count > UNAUTHENTICATED_MAX_ARGS && this.unauthenticated) {
        throw new ProtocolError('unauthenticated multibulk length');
      }
      this.advance(cr + 2);
      if (count <= 0) return [];
      // Exactly sized up to Redis's own preallocation cap; beyond it the array grows as arguments
      // arrive, so a bare count cannot make the server reserve memory.
      this.argv = count <= PREALLOCATE_MAX ? new Array(count) : [];
      this.argc = 0;
      this.argsLeft = count;
      this.bulkLen = -1;
      this.canonical = false;
    }
    const argv = this.argv;
    while (this.argsLeft > 0) {
      if (this.bulkLen < 0 && this.fastLength(0x24) >= 0 && this.fastValue <= this.fastBulkMax()) {
        this.advance(this.fastEnd);
        this.bulkLen = this.fastValue;
      } else if (this.bulkLen < 0) {
        if (this.pos >= this.end) return null;
        const cr = this.scanLine(CR);
        if (cr < 0) {
          if (this.end - this.pos > INLINE_MAX_SIZE) throw new ProtocolError('too big bulk count string');
          return null;
        }
        if (cr + 2 > this.end) return null;
        if (buf[this.pos] !== 0x24 /* '$' */) {
          throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[this.pos])}'`);
        }
        const len = parseLength(buf, this.pos + 1, cr);
        if (
          Number.isNaN(len) ||
          len < 0 ||
          (!this.trusted && len > this.limits.maxBulkLen) ||
          len > MAX_ARGUMENT_LEN
        ) {
          throw new ProtocolError('invalid bulk length');
        }
        if (len > UNAUTHENTICATED_MAX_BULK && this.unauthenticated) {
          throw new ProtocolError('unauthenticated bulk length');
        }
        // The argument becomes a string on the heap; one the heap cannot hold would kill the process.
        if (len >= ROOM_CHECK_MIN && this.limits.bulkFits?.(len) === false) {
          throw new NoRoomError(this.limits.noRoomError ?? 'OOM no room for the request');
        }
        this.advance(cr + 2);
        this.bulkLen = len;
        this.canonical = false;
      }
      if (this.end - this.pos < this.bulkLen + 2) return null;
      // Like Redis, the two bytes after a bulk are skipped unchecked; only CRLF is canonical.
      const after = this.pos + this.bulkLen;
      if (buf[after] !== CR || buf[after + 1] !== LF) this.canonical = false;
      argv[this.argc] =
        this.argc === 0
          ? this.commandName(this.pos, this.bulkLen)
          : latin1(buf, this.pos, this.pos + this.bulkLen);
      this.argc++;
      this.advance(this.pos + this.bulkLen + 2);
      this.bulkLen = -1;
      this.argsLeft--;
    }
    this.argv = null;
    if (this.canonical) {
      this.rawArgv = argv;
      this.rawStart = this.cmdStart;
      this.rawEnd = this.pos;
    }
    return argv;
  }
}

/** 2^63 as decimal digits: the magnitude limit of a negative int64. */
const INT64_MIN_DIGITS = '9223372036854775808';

/** Redis's string2ll over bytes, for length lines. NaN when not a canonical int64. */
function parseLength(buf: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > 20) return Number.NaN;
  if (len === 1 && buf[start] === 0x30) return 0;
  let i = start;
  const negative = buf[i] === 0x2d;
  if (negative) {
    i++;
    if (i === end) return Number.NaN;
  }
  const first = buf[i];
  if (first < 0x31 || first > 0x39) return Number.NaN;
  let v = 0;
  for (let j = i; j < end; j++) {
    const c = buf[j];
    if (c < 0x30 || c > 0x39) return Number.NaN;
    v = v * 10 + (c - 0x30);
  }
  const digits = end - i;
  // Only 19-digit values can straddle the int64 limits; compare their digits exactly.
  if (digits > 19) return Number.NaN;
  if (digits === 19) {
    const cmp = compareDigits(buf, i, INT64_MIN_DIGITS);
    if (cmp > 0 || (cmp === 0 && !negative)) return Number.NaN;
  }
  return negative ? -v : v;
}

/** Compares 19 ASCII digits in buf at `at` with `digits`: <0, 0 or >0. */
function compareDigits(buf: Buffer, at: number, digits: string): number {
  for (let k = 0; k < digits.length; k++) {
    const d = buf[at + k] - digits.charCodeAt(k);
    if (d !== 0) return d;
  }
  return 0;
}
