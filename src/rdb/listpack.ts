/**
 * Listpack, the compact sequence encoding Redis 7.0 stores small hashes, sorted sets and quicklist
 * nodes in. Entries come out as latin1 strings; integers are rendered in decimal as Redis does.
 */
export class ListpackError extends Error {}

export function decodeListpack(lp: Uint8Array): string[] {
  const buf = Buffer.from(lp.buffer, lp.byteOffset, lp.byteLength);
  if (buf.length < 7) throw new ListpackError('listpack too short');
  const total = buf.readUInt32LE(0);
  if (total !== buf.length) throw new ListpackError('listpack length mismatch');
  const out: string[] = [];
  let p = 6;
  for (;;) {
    if (p >= buf.length) throw new ListpackError('listpack without terminator');
    const b = buf[p];
    if (b === 0xff) break;
    let entryLen: number;
    if ((b & 0x80) === 0) {
      out.push(String(b & 0x7f));
      entryLen = 1;
    } else if ((b & 0xc0) === 0x80) {
      const len = b & 0x3f;
      out.push(slice(buf, p + 1, len));
      entryLen = 1 + len;
    } else if ((b & 0xe0) === 0xc0) {
      let v = ((b & 0x1f) << 8) | buf[p + 1];
      if (v >= 1 << 12) v -= 1 << 13;
      out.push(String(v));
      entryLen = 2;
    } else if ((b & 0xf0) === 0xe0) {
      const len = ((b & 0x0f) << 8) | buf[p + 1];
      out.push(slice(buf, p + 2, len));
      entryLen = 2 + len;
    } else if (b === 0xf0) {
      const len = buf.readUInt32LE(p + 1);
      out.push(slice(buf, p + 5, len));
      entryLen = 5 + len;
    } else if (b === 0xf1) {
      out.push(String(buf.readInt16LE(p + 1)));
      entryLen = 3;
    } else if (b === 0xf2) {
      out.push(String(buf.readIntLE(p + 1, 3)));
      entryLen = 4;
    } else if (b === 0xf3) {
      out.push(String(buf.readInt32LE(p + 1)));
      entryLen = 5;
    } else if (b === 0xf4) {
      out.push(String(buf.readBigInt64LE(p + 1)));
      entryLen = 9;
    } else {
      throw new ListpackError(`bad listpack entry encoding 0x${b.toString(16)}`);
    }
    p += entryLen + backlenSize(entryLen);
  }
  return out;
}

function slice(buf: Buffer, start: number, len: number): string {
  if (start + len > buf.length) throw new ListpackError('listpack entry out of bounds');
  return buf.latin1Slice(start, start + len);
}

function backlenSize(len: number): number {
  return len < 128 ? 1 : len < 16384 ? 2 : len < 2097152 ? 3 : len < 268435456 ? 4 : 5;
}

const INT_RE = /^(?:0|-?[1-9][0-9]{0,18})$/;

/** Encodes entries as a listpack; integer-looking strings are stored as integers, like lpAppend. */
export function encodeListpack(items: readonly string[]): Buffer {
  const b = new ListpackBuilder();
  for (const s of items) b.add(s);
  return b.finish();
}

/** Builds a listpack entry by entry, knowing its size as it grows (quicklist node splitting). */
export class ListpackBuilder {
  private parts: Buffer[] = [];
  /** Bytes of the finished listpack so far: header (6) + entries + terminator (1). */
  size = 7;
  count = 0;

  /** Encodes an entry; returns its size in bytes. */
  add(s: string): number {
    const entry = encodeEntry(s);
    this.parts.push(entry);
    this.size += entry.length;
    this.count++;
    return entry.length;
  }

  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.size);
    out.writeUInt32LE(this.size, 0);
    out.writeUInt16LE(Math.min(this.count, 65535), 4);
    let p = 6;
    for (const e of this.parts) {
      e.copy(out, p);
      p += e.length;
    }
    out[p] = 0xff;
    return out;
  }
}

function encodeEntry(s: string): Buffer {
  let body: Buffer;
  if (
    s.length <= 20 &&
    INT_RE.test(s) &&
    BigInt(s) <= 9223372036854775807n &&
    BigInt(s) >= -9223372036854775808n
  ) {
    const v = BigInt(s);
    if (v >= 0n && v <= 127n) body = Buffer.from([Number(v)]);
    else if (v >= -4096n && v <= 4095n) {
      const u = Number(v) & 0x1fff;
      body = Buffer.from([0xc0 | (u >> 8), u & 0xff]);
    } else if (v >= -32768n && v <= 32767n) {
      body = Buffer.allocUnsafe(3);
      body[0] = 0xf1;
      body.writeInt16LE(Number(v), 1);
    } else if (v >= -8388608n && v <= 8388607n) {
      body = Buffer.allocUnsafe(4);
      body[0] = 0xf2;
      body.writeIntLE(Number(v), 1, 3);
    } else if (v >= -2147483648n && v <= 2147483647n) {
      body = Buffer.allocUnsafe(5);
      body[0] = 0xf3;
      body.writeInt32LE(Number(v), 1);
    } else {
      body = Buffer.allocUnsafe(9);
      body[0] = 0xf4;
      body.writeBigInt64LE(v, 1);
    }
  } else {
    const len = s.length;
    let header: Buffer;
    if (len < 64) header = Buffer.from([0x80 | len]);
    else if (len < 4096) header = Buffer.from([0xe0 | (len >> 8), len & 0xff]);
    else {
      header = Buffer.allocUnsafe(5);
      header[0] = 0xf0;
      header.writeUInt32LE(len, 1);
    }
    body = Buffer.allocUnsafe(header.length + len);
    header.copy(body, 0);
    body.latin1Write(s, header.length);
  }
  return Buffer.concat([body, encodeBacklen(body.length)]);
}

/** The entry length written backwards, 7 bits per byte, so a listpack can be walked from the end. */
function encodeBacklen(l: number): Buffer {
  if (l <= 127) return Buffer.from([l]);
  if (l < 16383) return Buffer.from([l >> 7, (l & 127) | 128]);
  if (l < 2097151) return Buffer.from([l >> 14, ((l >> 7) & 127) | 128, (l & 127) | 128]);
  if (l < 268435455) {
    return Buffer.from([l >> 21, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128]);
  }
  return Buffer.from([
    Math.floor(l / 2 ** 28),
    ((l >> 21) & 127) | 128,
    ((l >> 14) & 127) | 128,
    ((l >> 7) & 127) | 128,
    (l & 127) | 128,
  ]);
}
