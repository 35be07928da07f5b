/**
 * Stream entry ids: a 64-bit millisecond part and a 64-bit sequence, kept as one 128-bit bigint
 * (ms << 64 | seq) so ids compare with < and >, and incrementing or decrementing an id (Redis's
 * streamIncrID / streamDecrID) is +1n / -1n with the carry between the halves for free.
 */
export type StreamId = bigint;

export const U64_MAX = 0xffffffffffffffffn;
export const MAX_ID: StreamId = (U64_MAX << 64n) | U64_MAX;
/** An id's 16-byte big-endian form (the radix tree key and the RDB's PEL ids). */
export const ID_BYTES = 16;

export function makeId(ms: bigint, seq: bigint): StreamId {
  return (ms << 64n) | seq;
}

/** "<ms>-<seq>", as Redis prints ids. */
export function formatId(id: StreamId): string {
  return `${id >> 64n}-${id & U64_MAX}`;
}

export function writeIdBE(buf: Buffer, pos: number, id: StreamId): void {
  buf.writeBigUInt64BE(id >> 64n, pos);
  buf.writeBigUInt64BE(id & U64_MAX, pos + 8);
}

export function readIdBE(buf: Uint8Array, pos: number): StreamId {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return (b.readBigUInt64BE(pos) << 64n) | b.readBigUInt64BE(pos + 8);
}

const STRICT_INT = /^(?:0|-?[1-9][0-9]*)$/;
const STRTOULL = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * Redis's string2ull: an int64 in strict decimal form must not be negative; anything else goes
 * to strtoull (leading spaces, a sign, wrapping negation) and must be consumed whole, in range.
 */
export function parseUint64(s: string): bigint | null {
  if (s.length <= 20 && STRICT_INT.test(s)) {
    const v = BigInt(s);
    if (v >= INT64_MIN && v <= INT64_MAX) return v < 0n ? null : v;
  }
  const m = STRTOULL.exec(s);
  if (m === null) return null;
  const v = BigInt(m[2]);
  if (v > U64_MAX) return null;
  return m[1] === '-' ? BigInt.asUintN(64, -v) : v;
}

/** What parseStreamId found: the id, and whether the sequence was given (false for `<ms>-*`). */
export interface ParsedId {
  id: StreamId;
  seqGiven: boolean;
}

/**
 * streamGenericParseIDOrReply: `-`, `+` (not when strict), `<ms>` (sequence missingSeq) and
 * `<ms>-<seq>`, or `<ms>-*` when allowed (XADD). The text is read as a C string, so it ends at a
 * NUL byte, and longer than 127 bytes is invalid. Null when invalid.
 */
export function parseStreamId(
  text: string,
  missingSeq: bigint,
  strict: boolean,
  allowSeqStar = false,
): ParsedId | null {
  if (text.length > 127) return null;
  const nul = text.indexOf('\0');
  const s = nul >= 0 ? text.slice(0, nul) : text;
  if (s === '-') return strict ? null : { id: 0n, seqGiven: true };
  if (s === '+') return strict ? null : { id: MAX_ID, seqGiven: true };
  const dash = s.indexOf('-');
  const ms = parseUint64(dash >= 0 ? s.slice(0, dash) : s);
  if (ms === null) return null;
  if (dash < 0) return { id: makeId(ms, missingSeq), seqGiven: true };
  const rest = s.slice(dash + 1);
  if (allowSeqStar && rest === '*') return { id: makeId(ms, 0n), seqGiven: false };
  const seq = parseUint64(rest);
  if (seq === null) return null;
  return { id: makeId(ms, seq), seqGiven: true };
}
