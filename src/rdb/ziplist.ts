/** Decoders for the pre-7.0 compact encodings still found in RDB files: ziplist, intset, zipmap. */
export class EncodingError extends Error {}

export function decodeZiplist(zl: Uint8Array): string[] {
  const buf = Buffer.from(zl.buffer, zl.byteOffset, zl.byteLength);
  if (buf.length < 11 || buf.readUInt32LE(0) !== buf.length) throw new EncodingError('bad ziplist header');
  const out: string[] = [];
  let p = 10;
  for (;;) {
    if (p >= buf.length) throw new EncodingError('ziplist without terminator');
    if (buf[p] === 0xff) break;
    p += buf[p] < 254 ? 1 : 5; // previous entry length
    const enc = buf[p];
    const kind = enc >> 6;
    if (kind === 0) {
      const len = enc & 0x3f;
      out.push(buf.latin1Slice(p + 1, p + 1 + len));
      p += 1 + len;
    } else if (kind === 1) {
      const len = ((enc & 0x3f) << 8) | buf[p + 1];
      out.push(buf.latin1Slice(p + 2, p + 2 + len));
      p += 2 + len;
    } else if (kind === 2) {
      const len = buf.readUInt32BE(p + 1);
      out.push(buf.latin1Slice(p + 5, p + 5 + len));
      p += 5 + len;
    } else if (enc === 0xc0) {
      out.push(String(buf.readInt16LE(p + 1)));
      p += 3;
    } else if (enc === 0xd0) {
      out.push(String(buf.readInt32LE(p + 1)));
      p += 5;
    } else if (enc === 0xe0) {
      out.push(String(buf.readBigInt64LE(p + 1)));
      p += 9;
    } else if (enc === 0xf0) {
      out.push(String(buf.readIntLE(p + 1, 3)));
      p += 4;
    } else if (enc === 0xfe) {
      out.push(String(buf.readInt8(p + 1)));
      p += 2;
    } else if (enc >= 0xf1 && enc <= 0xfd) {
      out.push(String((enc & 0x0f) - 1));
      p += 1;
    } else {
      throw new EncodingError(`bad ziplist entry encoding 0x${enc.toString(16)}`);
    }
    if (p > buf.length) throw new EncodingError('ziplist entry out of bounds');
  }
  return out;
}

export function decodeIntset(is: Uint8Array): string[] {
  const buf = Buffer.from(is.buffer, is.byteOffset, is.byteLength);
  if (buf.length < 8) throw new EncodingError('bad intset header');
  const width = buf.readUInt32LE(0);
  const count = buf.readUInt32LE(4);
  if ((width !== 2 && width !== 4 && width !== 8) || 8 + width * count !== buf.length) {
    throw new EncodingError('bad intset encoding');
  }
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const at = 8 + i * width;
    out[i] =
      width === 2
        ? String(buf.readInt16LE(at))
        : width === 4
          ? String(buf.readInt32LE(at))
          : String(buf.readBigInt64LE(at));
  }
  return out;
}

/** Encodes sorted canonical int64 members as an intset with the narrowest width that fits. */
export function encodeIntset(sortedMembers: readonly bigint[]): Buffer {
  let width = 2;
  for (const v of sortedMembers) {
    if (v < -2147483648n || v > 2147483647n) width = 8;
    else if ((v < -32768n || v > 32767n) && width < 4) width = 4;
  }
  const out = Buffer.allocUnsafe(8 + width * sortedMembers.length);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(sortedMembers.length, 4);
  sortedMembers.forEach((v, i) => {
    const at = 8 + i * width;
    if (width === 2) out.writeInt16LE(Number(v), at);
    else if (width === 4) out.writeInt32LE(Number(v), at);
    else out.writeBigInt64LE(v, at);
  });
  return out;
}

/** The old zipmap hash encoding: returns field, value, field, value, … */
export function decodeZipmap(zm: Uint8Array): string[] {
  const buf = Buffer.from(zm.buffer, zm.byteOffset, zm.byteLength);
  const out: string[] = [];
  let p = 1;
  const readLen = (): number => {
    const b = buf[p];
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b === 254) {
      const len = buf.readUInt32LE(p + 1);
      p += 5;
      return len;
    }
    return -1;
  };
  for (;;) {
    if (p >= buf.length) throw new EncodingError('zipmap without terminator');
    const klen = readLen();
    if (klen < 0) break;
    out.push(buf.latin1Slice(p, p + klen));
    p += klen;
    const vlen = readLen();
    if (vlen < 0) throw new EncodingError('zipmap value missing');
    const free = buf[p++];
    out.push(buf.latin1Slice(p, p + vlen));
    p += vlen + free;
  }
  return out;
}
