/** A decoded RESP2/RESP3 reply, tagged with its wire type so printers (redis-cli style) can be exact. */
export type RespValue =
  | { type: 'simple'; value: string }
  | { type: 'error'; value: string }
  | { type: 'integer'; value: bigint }
  | { type: 'bulk'; value: Buffer }
  | { type: 'verbatim'; format: string; value: Buffer }
  | { type: 'double'; value: string }
  | { type: 'bignum'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'null' }
  | { type: 'array' | 'set' | 'push'; value: RespValue[] }
  | { type: 'map' | 'attribute'; value: RespValue[] };

export class RespReaderError extends Error {}

class Incomplete {
  constructor(readonly needed: number) {}
}

/** Incremental reader of server replies (client side: tsredis-cli, tests, replication handshake). */
export class RespReader {
  private buf: Buffer = Buffer.alloc(0);
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private needed = 0;

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.chunkBytes += chunk.length;
  }

  private collect(): void {
    if (this.chunks.length === 0) return;
    this.buf = Buffer.concat([this.buf, ...this.chunks]);
    this.chunks = [];
    this.chunkBytes = 0;
  }

  /** The next complete reply, or undefined if more bytes are needed. */
  next(): RespValue | undefined {
    return this.nextWithRaw()?.value;
  }

  /** Like next(), also giving the exact bytes of the reply (differential tests compare those). */
  nextWithRaw(): { value: RespValue; raw: Buffer } | undefined {
    if (this.buf.length + this.chunkBytes < this.needed) return undefined;
    this.collect();
    if (this.buf.length === 0) return undefined;
    try {
      const [value, end] = this.parse(0);
      const raw = this.buf.subarray(0, end);
      this.buf = this.buf.subarray(end);
      this.needed = 0;
      return { value, raw };
    } catch (e) {
      if (e instanceof Incomplete) {
        this.needed = e.needed;
        return undefined;
      }
      throw e;
    }
  }

  private line(pos: number): [string, number] {
    const cr = this.buf.indexOf('\r\n', pos, 'latin1');
    if (cr < 0) throw new Incomplete(this.buf.length + 1);
    return [this.buf.latin1Slice(pos, cr), cr + 2];
  }

  private parse(pos: number): [RespValue, number] {
    if (pos >= this.buf.length) throw new Incomplete(pos + 1);
    const prefix = String.fromCharCode(this.buf[pos]);
    const [text, after] = this.line(pos + 1);
    switch (prefix) {
      case '+':
        return [{ type: 'simple', value: text }, after];
      case '-':
        return [{ type: 'error', value: text }, after];
      case ':':
        return [{ type: 'integer', value: BigInt(text) }, after];
      case ',':
        return [{ type: 'double', value: text }, after];
      case '(':
        return [{ type: 'bignum', value: text }, after];
      case '#':
        return [{ type: 'bool', value: text === 't' }, after];
      case '_':
        return [{ type: 'null' }, after];
      case '$':
      case '=':
      case '!': {
        const n = Number(text);
        if (n < 0) return [{ type: 'null' }, after];
        if (after + n + 2 > this.buf.length) throw new Incomplete(after + n + 2);
        const data = Buffer.from(this.buf.subarray(after, after + n));
        if (prefix === '!') return [{ type: 'error', value: data.toString('latin1') }, after + n + 2];
        if (prefix === '=') {
          return [
            { type: 'verbatim', format: data.latin1Slice(0, 3), value: data.subarray(4) },
            after + n + 2,
          ];
        }
        return [{ type: 'bulk', value: data }, after + n + 2];
      }
      case '*':
      case '~':
      case '>':
      case '%':
      case '|': {
        const n = Number(text);
        if (n < 0) return [{ type: 'null' }, after];
        const count = prefix === '%' || prefix === '|' ? n * 2 : n;
        const items: RespValue[] = [];
        let p = after;
        for (let i = 0; i < count; i++) {
          const [v, next] = this.parse(p);
          items.push(v);
          p = next;
        }
        const type =
          prefix === '*'
            ? 'array'
            : prefix === '~'
              ? 'set'
              : prefix === '>'
                ? 'push'
                : prefix === '%'
                  ? 'map'
                  : 'attribute';
        return [{ type, value: items } as RespValue, p];
      }
      default:
        throw new RespReaderError(`Protocol error, got "${prefix}" as reply type byte`);
    }
  }
}

/** Encodes a command as a RESP multibulk request. */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
