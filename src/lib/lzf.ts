/**
 * LZF, the compression Redis applies to long strings in RDB files (and quicklist nodes). Any valid
 * LZF stream decodes; our compressor emits the same format (not necessarily the same bytes as
 * Redis's lzf_c), so Redis reads what we write.
 */
export class LzfError extends Error {}

/** Decompresses exactly `outLen` bytes. Throws LzfError on a corrupt stream. */
export function lzfDecompress(input: Uint8Array, outLen: number): Buffer {
  const out = Buffer.allocUnsafe(outLen);
  lzfDecompressInto(input, 0, input.length, out, outLen);
  return out;
}

/** Decompresses input[start, end) into the first outLen bytes of out (no allocation). */
export function lzfDecompressInto(
  input: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outLen: number,
): void {
  let ip = start;
  let op = 0;
  const inLen = end;
  while (ip < inLen) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (op + run > outLen || ip + run > inLen) throw new LzfError('corrupt LZF literal run');
      for (let k = 0; k < run; k++) out[op++] = input[ip++];
    } else {
      let len = ctrl >>> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (len === 7) {
        if (ip >= inLen) throw new LzfError('corrupt LZF back reference');
        len += input[ip++];
      }
      if (ip >= inLen) throw new LzfError('corrupt LZF back reference');
      ref -= input[ip++];
      len += 2;
      if (ref < 0 || op + len > outLen) throw new LzfError('corrupt LZF back reference');
      for (let k = 0; k < len; k++) out[op++] = out[ref++];
    }
  }
  if (op !== outLen) throw new LzfError('LZF output length mismatch');
}

/*
 * The compressor follows liblzf's lzf_c.c as Redis builds it (HLOG 16, VERY_FAST), so for the same
 * input it usually produces the same bytes as Redis (Redis's hash table starts with whatever is on
 * its stack, so even Redis is not fully deterministic; a fresh table is what we emulate).
 */
const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const MAX_LIT = 1 << 5;
/**
 * Input offsets stored relative to `tableBase`, which moves past each input, so entries left by
 * earlier calls read as stale (like a zeroed table) without clearing 256 KiB per call: values are
 * often ~100 bytes and a fill per call would cost more than the compression.
 */
const hashTable = new Int32Array(HSIZE);
let tableBase = 0;
const TABLE_BASE_LIMIT = 0x70000000;

/** liblzf's IDX(h) for VERY_FAST: bits 8..23 of h minus 5h, low HLOG bits. */
function idx(h: number): number {
  return ((h >>> 8) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * Compresses into at most maxOut bytes; returns null when the result would not fit (Redis then
 * stores the string uncompressed).
 */
export function lzfCompress(input: Uint8Array, maxOut: number): Buffer | null {
  const inLen = input.length;
  if (inLen === 0 || maxOut <= 0) return null;
  if (tableBase > TABLE_BASE_LIMIT - inLen) {
    hashTable.fill(0);
    tableBase = 0;
  }
  const base = tableBase;
  tableBase += inLen + 1;
  const table = hashTable;
  const out = Buffer.allocUnsafe(maxOut + 4);
  const outEnd = maxOut;
  const inEnd = inLen;
  let lit = 0;
  let op = 1; // start run
  let ip = 0;
  let hval = (input[0] << 8) | input[1];
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = idx(hval);
    let ref = table[slot] - base;
    if (ref < 0) ref = 0;
    table[slot] = ip + base;
    const off = ip - ref - 1;
    if (
      ref < ip &&
      off < MAX_OFF &&
      ref > 0 &&
      input[ref + 2] === input[ip + 2] &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1]
    ) {
      let len = 2;
      const maxlen = Math.min(inEnd - ip - len, MAX_REF);
      if (op + 3 + 1 >= outEnd && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return null;
      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo run if length is zero
      do len++;
      while (len < maxlen && input[ref + len] === input[ip + len]);
      len -= 2; // now #octets - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      // VERY_FAST: hash the two positions before ip again.
      ip -= 2;
      hval = (input[ip] << 8) | input[ip + 1];
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      table[idx(hval)] = ip + base;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      table[idx(hval)] = ip + base;
      ip++;
    } else {
      if (op >= outEnd) return null;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return null;
  while (ip < inEnd) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  if (lit === 0) op--;
  return out.subarray(0, op);
}
