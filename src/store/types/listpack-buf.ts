/**
 * Reading and writing listpack elements in place, in Redis 7.0's exact encoding (listpack.c), for
 * values that live as listpacks in memory (stream nodes): a stream node is byte for byte what
 * Redis keeps, so RDB and DUMP write it as it is. Elements that look like int64s are stored as
 * integers, as lpAppend does; strings are latin1 (one char per byte).
 */

export class ListpackFormatError extends Error {}

/** Header: total bytes (u32) and element count (u16, 65535 = unknown); then the 0xFF terminator. */
export const LP_HEADER = 6;
export const LP_EOF = 0xff;
/** An element's worst-case overhead: a 5-byte string header and a 5-byte backlen. */
export const LP_MAX_OVERHEAD = 10;

/** Bytes of the backlen that follows an element of `len` bytes. */
function backlenSize(len: number): number {
  return len < 128 ? 1 : len < 16384 ? 2 : len < 2097152 ? 3 : len < 268435456 ? 4 : 5;
}

/** Length of the element at p without its backlen: [header+data length, data offset from p]. */
function elementLength(buf: Buffer, p: number): number {
  const b = buf[p];
  if (b < 0x80) return 1;
  if (b < 0xc0) return 1 + (b & 0x3f);
  if (b < 0xe0) return 2;
  if (b < 0xf0) return 2 + (((b & 0x0f) << 8) | buf[p + 1]);
  switch (b) {
    case 0xf0:
      return 5 + buf.readUInt32LE(p + 1);
    case 0xf1:
      return 3;
    case 0xf2:
      return 4;
    case 0xf3:
      return 5;
    case 0xf4:
      return 9;
  }
  throw new ListpackFormatError(`bad listpack element encoding 0x${b.toString(16)}`);
}

/** Position just after the element at p (its backlen included). */
export function lpNext(buf: Buffer, p: number): number {
  const len = elementLength(buf, p);
  return p + len + backlenSize(len);
}

/** Whether the element at p is an integer encoding. */
function isIntElement(b: number): boolean {
  return b < 0x80 || (b >= 0xc0 && b < 0xe0) || (b >= 0xf1 && b <= 0xf4);
}

/** The integer at p (a string element holding digits is parsed, as lpGetInteger would). */
export function lpInt(buf: Buffer, p: number): number {
  const b = buf[p];
  if (b < 0x80) return b;
  if (b >= 0xc0 && b < 0xe0) {
    const v = ((b & 0x1f) << 8) | buf[p + 1];
    return v >= 4096 ? v - 8192 : v;
  }
  switch (b) {
    case 0xf1:
      return buf.readInt16LE(p + 1);
    case 0xf2:
      return buf.readIntLE(p + 1, 3);
    case 0xf3:
      return buf.readInt32LE(p + 1);
    case 0xf4:
      return Number(buf.readBigInt64LE(p + 1));
  }
  const n = Number(lpString(buf, p));
  if (!Number.isInteger(n)) throw new ListpackFormatError('listpack integer expected');
  return n;
}

/** The integer at p as an exact int64. */
export function lpBigInt(buf: Buffer, p: number): bigint {
  if (buf[p] === 0xf4) return buf.readBigInt64LE(p + 1);
  if (isIntElement(buf[p])) return BigInt(lpInt(buf, p));
  try {
    return BigInt.asIntN(64, BigInt(lpString(buf, p)));
  } catch {
    throw new ListpackFormatError('listpack integer expected');
  }
}

/** The element at p as a latin1 string (integers in decimal). */
export function lpString(buf: Buffer, p: number): string {
  const b = buf[p];
  if (b >= 0x80 && b < 0xc0) return buf.latin1Slice(p + 1, p + 1 + (b & 0x3f));
  if (b >= 0xe0 && b < 0xf0) return buf.latin1Slice(p + 2, p + 2 + (((b & 0x0f) << 8) | buf[p + 1]));
  if (b === 0xf0) return buf.latin1Slice(p + 5, p + 5 + buf.readUInt32LE(p + 1));
  if (b === 0xf4) return String(buf.readBigInt64LE(p + 1));
  return String(lpInt(buf, p));
}

function writeBacklen(buf: Buffer, p: number, l: number): number {
  if (l <= 127) {
    buf[p] = l;
    return p + 1;
  }
  if (l < 16383) {
    buf[p] = l >> 7;
    buf[p + 1] = (l & 127) | 128;
    return p + 2;
  }
  if (l < 2097151) {
    buf[p] = l >> 14;
    buf[p + 1] = ((l >> 7) & 127) | 128;
    buf[p + 2] = (l & 127) | 128;
    return p + 3;
  }
  if (l < 268435455) {
    buf[p] = l >> 21;
    buf[p + 1] = ((l >> 14) & 127) | 128;
    buf[p + 2] = ((l >> 7) & 127) | 128;
    buf[p + 3] = (l & 127) | 128;
    return p + 4;
  }
  buf[p] = Math.floor(l / 2 ** 28);
  buf[p + 1] = ((l >> 21) & 127) | 128;
  buf[p + 2] = ((l >> 14) & 127) | 128;
  buf[p + 3] = ((l >> 7) & 127) | 128;
  buf[p + 4] = (l & 127) | 128;
  return p + 5;
}

/** Writes an integer element at p (the smallest encoding, as lpEncodeIntegerGetType); returns the end. */
export function writeLpInt(buf: Buffer, p: number, value: number | bigint): number {
  if (typeof value === 'bigint') {
    if (value < -2147483648n || value > 2147483647n) {
      buf[p] = 0xf4;
      buf.writeBigInt64LE(value, p + 1);
      return writeBacklen(buf, p + 9, 9);
    }
    value = Number(value);
  }
  const v = value;
  if (v >= 0 && v <= 127) {
    buf[p] = v;
    return writeBacklen(buf, p + 1, 1);
  }
  if (v >= -4096 && v <= 4095) {
    const u = v & 0x1fff;
    buf[p] = 0xc0 | (u >> 8);
    buf[p + 1] = u & 0xff;
    return writeBacklen(buf, p + 2, 2);
  }
  if (v >= -32768 && v <= 32767) {
    buf[p] = 0xf1;
    buf.writeInt16LE(v, p + 1);
    return writeBacklen(buf, p + 3, 3);
  }
  if (v >= -8388608 && v <= 8388607) {
    buf[p] = 0xf2;
    buf.writeIntLE(v, p + 1, 3);
    return writeBacklen(buf, p + 4, 4);
  }
  if (v >= -2147483648 && v <= 2147483647) {
    buf[p] = 0xf3;
    buf.writeInt32LE(v, p + 1);
    return writeBacklen(buf, p + 5, 5);
  }
  buf[p] = 0xf4;
  buf.writeBigInt64LE(BigInt(v), p + 1);
  return writeBacklen(buf, p + 9, 9);
}

const INT_LIKE = /^(?:0|-?[1-9][0-9]{0,18})$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** The int64 a string would be stored as (lpStringToInt64), or null to store it as a string. */
function asInt64(s: string): number | bigint | null {
  if (s.length === 0 || s.length > 20 || !INT_LIKE.test(s)) return null;
  if (s.length < 16) return Number(s);
  const v = BigInt(s);
  return v >= INT64_MIN && v <= INT64_MAX ? v : null;
}

/** Writes a string element at p (as an integer when it is one); returns the end. */
export function writeLpString(buf: Buffer, p: number, s: string): number {
  const asInt = asInt64(s);
  if (asInt !== null) return writeLpInt(buf, p, asInt);
  const len = s.length;
  let start: number;
  if (len < 64) {
    buf[p] = 0x80 | len;
    start = p + 1;
  } else if (len < 4096) {
    buf[p] = 0xe0 | (len >> 8);
    buf[p + 1] = len & 0xff;
    start = p + 2;
  } else {
    buf[p] = 0xf0;
    buf.writeUInt32LE(len, p + 1);
    start = p + 5;
  }
  buf.latin1Write(s, start, len);
  return writeBacklen(buf, start + len, start + len - p);
}

/**
 * Checks the element structure of a whole listpack (lpValidateIntegrity's shallow walk plus the
 * element bounds): every element inside the buffer, the terminator last, the header's byte count
 * right. Returns the number of elements.
 */
export function validateListpack(buf: Buffer): number {
  if (buf.length < LP_HEADER + 1) throw new ListpackFormatError('listpack too short');
  if (buf.readUInt32LE(0) !== buf.length) throw new ListpackFormatError('listpack length mismatch');
  let p = LP_HEADER;
  let n = 0;
  while (p < buf.length && buf[p] !== LP_EOF) {
    const b = buf[p];
    if (b >= 0xf5) throw new ListpackFormatError('bad listpack element encoding');
    const len = elementLength(buf, p);
    p += len + backlenSize(len);
    n++;
  }
  if (p !== buf.length - 1) throw new ListpackFormatError('listpack without terminator');
  const declared = buf.readUInt16LE(4);
  if (declared !== 65535 && declared !== n) throw new ListpackFormatError('listpack count mismatch');
  return n;
}
