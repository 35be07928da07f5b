/**
 * Splits the reply stream into whole top-level RESP replies in linear time. RespReader re-parses a
 * reply from its start each time more bytes arrive, which is quadratic for a reply of millions of
 * elements arriving in 64 KB chunks; here only headers are scanned (bulk payloads are skipped by
 * length) and the scan resumes where it stopped, so each reply is then parsed exactly once.
 */
export class ReplyFrames {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private start = 0;
  private end = 0;
  /** Scan position and the element counts still expected by the open aggregates. */
  private pos = 0;
  private readonly open: number[] = [];

  append(chunk: Buffer): void {
    if (this.end + chunk.length > this.buf.length) this.grow(chunk.length);
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  private grow(extra: number): void {
    const used = this.end - this.start;
    const size = Math.max(this.buf.length, (used + extra) * 2);
    const next = size > this.buf.length ? Buffer.allocUnsafe(size) : this.buf;
    this.buf.copy(next, 0, this.start, this.end);
    this.pos -= this.start;
    this.end = used;
    this.start = 0;
    this.buf = next;
  }

  /** The bytes of the next complete reply, or undefined until more arrive. Unknown type bytes end a
   * frame at once, so the parser sees them and reports the protocol error. */
  next(): Buffer | undefined {
    for (;;) {
      if (this.pos >= this.end) return undefined;
      const lineEnd = this.buf.indexOf('\r\n', this.pos, 'latin1');
      if (lineEnd < 0 || lineEnd >= this.end) return undefined;
      const type = this.buf[this.pos];
      const n = Number(this.buf.latin1Slice(this.pos + 1, lineEnd));
      let after = lineEnd + 2;
      let complete = true;
      switch (type) {
        case 0x24: // $ bulk
        case 0x3d: // = verbatim
        case 0x21: // ! blob error
          if (n >= 0) {
            after += n + 2;
            if (after > this.end) return undefined;
          }
          break;
        case 0x2a: // * array
        case 0x7e: // ~ set
        case 0x3e: // > push
          if (n > 0) {
            this.open.push(n);
            complete = false;
          }
          break;
        case 0x25: // % map
        case 0x7c: // | attribute
          if (n > 0) {
            this.open.push(n * 2);
            complete = false;
          }
          break;
        case 0x2b: // + simple
        case 0x2d: // - error
        case 0x3a: // : integer
        case 0x2c: // , double
        case 0x28: // ( big number
        case 0x23: // # boolean
        case 0x5f: // _ null
          break;
        default:
          this.open.length = 0;
          this.pos = this.end;
          return this.take(this.end);
      }
      this.pos = after;
      if (complete && this.elementDone()) return this.take(after);
    }
  }

  /** One element finished: close the aggregates it completes. True when the top-level reply is whole. */
  private elementDone(): boolean {
    while (this.open.length > 0) {
      const last = this.open.length - 1;
      if (--this.open[last] > 0) return false;
      this.open.pop();
    }
    return true;
  }

  /** Bytes received past the last whole reply (a protocol that switches to a raw payload, like
   * PSYNC's RDB transfer, takes them over). */
  takeRemaining(): Buffer {
    const rest = Buffer.from(this.buf.subarray(this.start, this.end));
    this.start = this.end = this.pos = 0;
    this.open.length = 0;
    return rest;
  }

  private take(to: number): Buffer {
    const frame = Buffer.from(this.buf.subarray(this.start, to));
    this.start = to;
    if (this.start === this.end) {
      this.start = this.end = this.pos = 0;
    }
    return frame;
  }
}
