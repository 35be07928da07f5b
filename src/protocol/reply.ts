import { formatDouble, type Int64 } from '../lib/numbers.js';

/**
 * What command handlers write replies to. Handlers never touch sockets: a RespWriter encodes into
 * the connection's output buffer, other sinks (scripts, tests) can collect values instead.
 */
export interface Reply {
  /** Protocol version of the client: 2 or 3. Maps, sets, doubles and nulls depend on it. */
  readonly resp: 2 | 3;
  ok(): void;
  simple(s: string): void;
  /**
   * msg starts with the error code: "ERR syntax error", "WRONGTYPE ...". uncounted: already counted
   * in the error statistics (a script's error that a command inside it replied).
   */
  error(msg: string, uncounted?: boolean): void;
  integer(n: Int64): void;
  /** A latin1 (one char per byte) string as a bulk string. */
  bulk(s: string): void;
  bulkBytes(b: Buffer): void;
  /** Bytes start..end of b as a bulk string (no copy of them in between). */
  bulkRange(b: Buffer, start: number, end: number): void;
  /** A bulk string of `prefix` then the digits of the safe integer n >= 0 (stream ids). */
  bulkWithInt(prefix: string, n: number): void;
  /** Null bulk string: RESP2 `$-1`, RESP3 `_`. */
  nil(): void;
  /** Null array: RESP2 `*-1`, RESP3 `_`. */
  nilArray(): void;
  array(n: number): void;
  /** A map of n pairs (RESP2: flat array of 2n). */
  map(n: number): void;
  set(n: number): void;
  push(n: number): void;
  /** A double (RESP2: a bulk string); text: its digits when not printed as %.17g (GEO coordinates). */
  double(d: number, text?: string): void;
  bool(b: boolean): void;
  verbatim(s: string, format?: string): void;
  bigNumber(digits: string): void;
  /** A bulk string that may be null (RESP2 `$-1`, RESP3 `_`). */
  bulkOrNil(s: string | null | undefined): void;
  bulks(items: readonly string[]): void;
}

const CRLF = 0x0a0d; // little-endian "\r\n"
const INITIAL_SIZE = 16 * 1024;
/** A buffer grown past this (a big reply) is not kept for reuse after it was sent. */
const KEEP_MAX = 256 * 1024;
/**
 * Output past this many bytes goes into further buffers rather than one that keeps doubling, so a
 * client's pending replies never need a single allocation near Node's buffer limits.
 */
const CHUNK_MAX = 1024 * 1024;
/** Strings up to this length are copied in JS: Buffer#latin1Write is a C++ call with fixed overhead. */
const SHORT_STRING = 32;
const OK = Buffer.from('+OK\r\n');
const NIL2 = Buffer.from('$-1\r\n');
const NILARRAY2 = Buffer.from('*-1\r\n');
const NIL3 = Buffer.from('_\r\n');
const NO_CHUNKS: readonly Buffer[] = [];

/** Encodes replies as RESP2 or RESP3 into buffers the connection flushes in one go. */
export class RespWriter implements Reply {
  resp: 2 | 3 = 2;
  /** Called once per error reply with the error text, for INFO errorstats. */
  onError: ((msg: string) => void) | null = null;
  /** Called for an error reply already counted elsewhere: the command still failed (failed_calls). */
  onUncountedError: (() => void) | null = null;
  /**
   * Asked before the output grows (at most once per CHUNK_MAX, or per doubling below it) with
   * the size it grows to; true means the client is over its output limit: from then on what is
   * written is dropped, so its memory stays bounded until the connection closes.
   */
  overLimit: ((size: number) => boolean) | null = null;
  private buf: Buffer;
  private len = 0;
  /** Full buffers before buf, and their total length. */
  private chunks: Buffer[] = [];
  private sealed = 0;
  private dropping = false;

  constructor(initialSize = INITIAL_SIZE) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get size(): number {
    return this.sealed + this.len;
  }

  /** Over the output limit: everything written is being dropped. */
  get dropped(): boolean {
    return this.dropping;
  }

  /** Takes what has been written so far as one buffer, leaving the writer empty. */
  take(): Buffer | null {
    if (this.size === 0 || this.dropping) {
      this.discard();
      return null;
    }
    let out: Buffer;
    if (this.chunks.length > 0) {
      out = Buffer.concat([...this.chunks, this.buf.subarray(0, this.len)]);
    } else if (this.len > 4096) {
      // Hand the big buffer itself to the socket rather than copying it.
      out = this.buf.subarray(0, this.len);
      this.buf = Buffer.allocUnsafe(INITIAL_SIZE);
    } else {
      out = Buffer.allocUnsafe(this.len);
      this.buf.copy(out, 0, 0, this.len);
    }
    this.discard();
    return out;
  }

  /** The buffers filled before the current one, handed over (write them before pending()). */
  takeChunks(): readonly Buffer[] {
    if (this.chunks.length === 0) return NO_CHUNKS;
    const out = this.chunks;
    this.chunks = [];
    this.sealed = 0;
    return out;
  }

  /**
   * What has been written into the current buffer, as a view of it, without copying (after
   * takeChunks() when there are several). Follow with release() once the view is handed over.
   */
  pending(): Buffer | null {
    return this.len === 0 || this.dropping ? null : this.buf.subarray(0, this.len);
  }

  /**
   * Empties the writer after pending(). consumed: the consumer no longer needs the view (the socket
   * wrote it synchronously), so the memory is reused; otherwise a fresh buffer is started.
   */
  release(consumed: boolean): void {
    this.len = 0;
    if (!consumed || this.buf.length > KEEP_MAX) this.buf = Buffer.allocUnsafe(INITIAL_SIZE);
  }

  /** Drops buffered replies (CLIENT REPLY OFF, a closed connection). */
  discard(): void {
    this.len = 0;
    this.chunks = [];
    this.sealed = 0;
    if (this.buf.length > KEEP_MAX) this.buf = Buffer.allocUnsafe(INITIAL_SIZE);
  }

  /** Drops what was written after `size` (CLIENT REPLY SKIP of one command's reply). */
  truncate(size: number): void {
    if (size >= this.sealed) {
      if (size - this.sealed < this.len) this.len = size - this.sealed;
      return;
    }
    // The mark lies in a full buffer: keep its head as the last chunk, start an empty current one.
    while (this.sealed > size) {
      const last = this.chunks.pop()!;
      this.sealed -= last.length;
      if (this.sealed < size) {
        this.chunks.push(last.subarray(0, size - this.sealed));
        this.sealed = size;
      }
    }
    this.len = 0;
  }

  private reserve(n: number): void {
    if (this.len + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    if (!this.dropping && this.overLimit?.(this.size + n) === true) this.dropping = true;
    if (this.dropping) {
      this.chunks = [];
      this.sealed = 0;
      this.len = 0;
      if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
      return;
    }
    if (this.len > 0 && this.len + n > CHUNK_MAX) {
      this.chunks.push(this.buf.subarray(0, this.len));
      this.sealed += this.len;
      this.buf = Buffer.allocUnsafe(Math.max(INITIAL_SIZE, n));
      this.len = 0;
      return;
    }
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }

  raw(b: Buffer): void {
    this.rawRange(b, 0, b.length);
  }

  /** Copies from[start, end) (short ranges in JS, like short strings). */
  rawRange(from: Buffer, start: number, end: number): void {
    const n = end - start;
    this.reserve(n);
    if (n <= SHORT_STRING) {
      const buf = this.buf;
      let p = this.len;
      for (let i = start; i < end; i++) buf[p++] = from[i];
      this.len = p;
    } else {
      from.copy(this.buf, this.len, start, end);
      this.len += n;
    }
  }

  /** Copies a latin1 string at the write position (caller reserved room). */
  private text(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING) {
      const buf = this.buf;
      let p = this.len;
      for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
      this.len = p;
    } else {
      this.len += this.buf.latin1Write(s, this.len);
    }
  }

  private crlf(): void {
    this.buf.writeUInt16LE(CRLF, this.len);
    this.len += 2;
  }

  /** Writes prefix char, integer, CRLF. Caller reserved room. */
  private line(prefix: number, n: number): void {
    const buf = this.buf;
    buf[this.len++] = prefix;
    if (n < 0) {
      buf[this.len++] = 0x2d;
      n = -n;
    }
    if (n < 10) {
      buf[this.len++] = 0x30 + n;
    } else if (n <= 0x7fffffff) {
      // Small integer arithmetic (| 0) is much cheaper than Math.floor on doubles.
      let digits = 2;
      for (let t = (n / 100) | 0; t > 0; t = (t / 10) | 0) digits++;
      let p = this.len + digits;
      this.len = p;
      for (; n > 0; n = (n / 10) | 0) buf[--p] = 0x30 + (n % 10);
    } else {
      let digits = 1;
      for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
      let p = this.len + digits;
      this.len = p;
      for (; n > 0; n = Math.floor(n / 10)) buf[--p] = 0x30 + (n % 10);
    }
    this.crlf();
  }

  ok(): void {
    this.raw(OK);
  }

  simple(s: string): void {
    this.reserve(s.length + 3);
    this.buf[this.len++] = 0x2b;
    this.text(s);
    this.crlf();
  }

  error(msg: string, uncounted = false): void {
    if (msg.indexOf('\r') >= 0 || msg.indexOf('\n') >= 0) msg = msg.replace(/[\r\n]/g, ' ');
    if (!uncounted) this.onError?.(msg);
    else this.onUncountedError?.();
    this.reserve(msg.length + 3);
    this.buf[this.len++] = 0x2d;
    this.text(msg);
    this.crlf();
  }

  integer(n: Int64): void {
    if (typeof n === 'bigint' || n > 0xffffffff || n < -0xffffffff) {
      this.simpleLine(0x3a, String(n));
      return;
    }
    this.reserve(24);
    this.line(0x3a, n);
  }

  private simpleLine(prefix: number, s: string): void {
    this.reserve(s.length + 3);
    this.buf[this.len++] = prefix;
    this.text(s);
    this.crlf();
  }

  bulk(s: string): void {
    const n = s.length;
    this.reserve(n + 16);
    this.line(0x24, n);
    this.text(s);
    this.crlf();
  }

  bulkWithInt(prefix: string, n: number): void {
    let digits = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
    this.reserve(prefix.length + digits + 16);
    this.line(0x24, prefix.length + digits);
    this.text(prefix);
    const buf = this.buf;
    let p = this.len + digits;
    this.len = p;
    do {
      buf[--p] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    this.crlf();
  }

  bulkRange(b: Buffer, start: number, end: number): void {
    this.reserve(end - start + 16);
    this.line(0x24, end - start);
    this.rawRange(b, start, end);
    this.crlf();
  }

  bulkBytes(b: Buffer): void {
    this.reserve(b.length + 16);
    this.line(0x24, b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
    this.crlf();
  }

  bulkOrNil(s: string | null | undefined): void {
    if (s === null || s === undefined) this.nil();
    else this.bulk(s);
  }

  bulks(items: readonly string[]): void {
    this.array(items.length);
    for (const s of items) this.bulk(s);
  }

  nil(): void {
    this.raw(this.resp === 2 ? NIL2 : NIL3);
  }

  nilArray(): void {
    this.raw(this.resp === 2 ? NILARRAY2 : NIL3);
  }

  array(n: number): void {
    this.reserve(24);
    this.line(0x2a, n);
  }

  map(n: number): void {
    this.reserve(24);
    if (this.resp === 2) this.line(0x2a, n * 2);
    else this.line(0x25, n);
  }

  set(n: number): void {
    this.reserve(24);
    this.line(this.resp === 2 ? 0x2a : 0x7e, n);
  }

  push(n: number): void {
    this.reserve(24);
    this.line(this.resp === 2 ? 0x2a : 0x3e, n);
  }

  double(d: number, text = formatDouble(d)): void {
    if (this.resp === 2) this.bulk(text);
    else this.simpleLine(0x2c, text);
  }

  bool(b: boolean): void {
    if (this.resp === 2) this.integer(b ? 1 : 0);
    else this.simpleLine(0x23, b ? 't' : 'f');
  }

  verbatim(s: string, format = 'txt'): void {
    if (this.resp === 2) {
      this.bulk(s);
      return;
    }
    this.reserve(s.length + 24);
    this.line(0x3d, s.length + 4);
    this.len += this.buf.latin1Write(format, this.len);
    this.buf[this.len++] = 0x3a;
    this.len += this.buf.latin1Write(s, this.len);
    this.crlf();
  }

  bigNumber(digits: string): void {
    if (this.resp === 2) this.bulk(digits);
    else this.simpleLine(0x28, digits);
  }
}
