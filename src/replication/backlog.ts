/**
 * The replication backlog: a ring buffer holding the last repl-backlog-size bytes of the
 * replication stream, so a replica that lost its link can continue with a partial resync
 * (PSYNC <replid> <offset>) instead of a full one.
 */
export class Backlog {
  private buf: Buffer;
  /** Next write position in buf. */
  private idx = 0;
  /** Bytes of history held (<= buf.length). */
  histlen = 0;

  constructor(
    size: number,
    /** Replication offset of the last byte written (master_repl_offset). */
    public offset: number,
  ) {
    this.buf = Buffer.alloc(size);
  }

  get size(): number {
    return this.buf.length;
  }

  /** Offset of the first byte held (repl_backlog_first_byte_offset). */
  get firstByteOffset(): number {
    return this.offset - this.histlen + 1;
  }

  append(data: Buffer): void {
    this.offset += data.length;
    const size = this.buf.length;
    // TypedArray#set: a plain memcpy, without Buffer#copy's argument checks (one call per read).
    if (data.length >= size) {
      this.buf.set(data.subarray(data.length - size), 0);
      this.idx = 0;
      this.histlen = size;
      return;
    }
    const first = Math.min(size - this.idx, data.length);
    this.buf.set(first === data.length ? data : data.subarray(0, first), this.idx);
    if (first < data.length) this.buf.set(data.subarray(first), 0);
    this.idx = (this.idx + data.length) % size;
    this.histlen = Math.min(size, this.histlen + data.length);
  }

  /** Whether the bytes from `from` (inclusive) up to the current offset are all held. */
  covers(from: number): boolean {
    return this.histlen > 0
      ? from >= this.firstByteOffset && from <= this.offset + 1
      : from === this.offset + 1;
  }

  /** The bytes from offset `from` to the end (caller checked covers()). */
  readFrom(from: number): Buffer {
    const len = this.offset + 1 - from;
    if (len <= 0) return Buffer.alloc(0);
    const size = this.buf.length;
    const start = (this.idx - len + size * 2) % size;
    if (start + len <= size) return Buffer.from(this.buf.subarray(start, start + len));
    return Buffer.concat([this.buf.subarray(start), this.buf.subarray(0, len - (size - start))]);
  }

  /** Changes the capacity keeping the most recent history (CONFIG SET repl-backlog-size). */
  resize(size: number): void {
    if (size === this.buf.length) return;
    const keep = Math.min(this.histlen, size);
    const recent = this.readFrom(this.offset + 1 - keep);
    this.buf = Buffer.alloc(size);
    recent.copy(this.buf, 0);
    this.idx = keep % size;
    this.histlen = keep;
  }
}

/** A new random 40-character replication id. */
export function newReplicationId(): string {
  let s = '';
  while (s.length < 40)
    s += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, 40);
}
