/**
 * Reads commands from an AOF (RESP multibulk, `#` annotation lines skipped) the way Redis's
 * loadSingleAppendOnlyFile does: a command cut short by the end of the file is "truncated" (the
 * torn write of a crash), anything else malformed is a format error.
 */

export const AOF_TRUNCATED = 'truncated' as const;
export const AOF_FORMAT_ERROR = 'format' as const;
export const AOF_EOF = 'eof' as const;

export type AofRead = string[] | typeof AOF_TRUNCATED | typeof AOF_FORMAT_ERROR | typeof AOF_EOF;

export class AofCommandReader {
  /** Offset just past the last complete command. */
  validUpTo: number;

  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {
    this.validUpTo = pos;
  }

  /** One line without its end (like fgets: null at the end of the file). */
  private line(): string | null {
    const buf = this.buf;
    if (this.pos >= buf.length) return null;
    const nl = buf.indexOf(10, this.pos);
    const end = nl < 0 ? buf.length : nl + 1;
    const text = buf.latin1Slice(this.pos, nl < 0 ? buf.length : nl);
    this.pos = end;
    return text;
  }

  next(): AofRead {
    let header: string | null;
    for (;;) {
      header = this.line();
      if (header === null) return AOF_EOF;
      if (header.charCodeAt(0) !== 0x23 /* # */) break;
    }
    if (header.charCodeAt(0) !== 0x2a /* * */) return AOF_FORMAT_ERROR;
    if (header.length === 1 || this.pos > this.buf.length) return AOF_TRUNCATED;
    // A header line without its newline was cut by the end of the file.
    if (this.buf[this.pos - 1] !== 10) return AOF_TRUNCATED;
    const argc = atoi(header.slice(1));
    if (argc < 1) return AOF_FORMAT_ERROR;
    const argv: string[] = new Array(argc);
    for (let j = 0; j < argc; j++) {
      const lenLine = this.line();
      if (lenLine === null) return AOF_TRUNCATED;
      if (lenLine.charCodeAt(0) !== 0x24 /* $ */) return AOF_FORMAT_ERROR;
      if (this.buf[this.pos - 1] !== 10) return AOF_TRUNCATED;
      const len = atoi(lenLine.slice(1));
      if (len < 0) return AOF_FORMAT_ERROR;
      if (this.pos + len > this.buf.length) return AOF_TRUNCATED;
      argv[j] = this.buf.latin1Slice(this.pos, this.pos + len);
      this.pos += len;
      // The CRLF after the payload (not checked, as in Redis).
      if (this.pos + 2 > this.buf.length) return AOF_TRUNCATED;
      this.pos += 2;
    }
    this.validUpTo = this.pos;
    return argv;
  }
}

function atoi(s: string): number {
  const m = /^[ \t]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number(m[1]);
}
