/**
 * LZF, the compression Redis applies to long strings in RDB files (and quicklist nodes). Any valid
 * LZF stream decodes; our compressor emits the same format (not necessarily the same bytes as
 * Redis's lzf_c), so Redis reads what we write.
 */
export class LzfError extends Error {}

/** Decompresses exactly `outLen` bytes. Throws LzfError on a corrupt stream. */
export function lzfDecompress(input: Uint8Array, outLen: number): Buffer {
  const out = Buffer.allocUnsafe(outLen);
  let ip = 0;
  let op = 0;
  const inLen = input.length;
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
  return out;
}

const HLOG = 14;
const HSIZE = 1 << HLOG;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const MAX_LIT = 1 << 5;
const hashTable = new Int32Array(HSIZE);

/**
 * Compresses into at most maxOut bytes; returns null when the result would not fit (Redis then
 * stores the string uncompressed).
 */
export function lzfCompress(input: Uint8Array, maxOut: number): Buffer | null {
  const inLen = input.length;
  if (inLen < 4) return null;
  const out = Buffer.allocUnsafe(maxOut + 1);
  hashTable.fill(-1);
  let ip = 0;
  let op = 1; // room for the first literal-run control byte
  let lit = 0;
  while (ip < inLen - 2) {
    const h = ((((input[ip] << 16) | (input[ip + 1] << 8) | input[ip + 2]) * 2654435761) >>> (32 - HLOG)) & (HSIZE - 1);
    const ref = hashTable[h];
    hashTable[h] = ip;
    const off = ip - ref - 1;
    if (
      ref >= 0 &&
      off < MAX_OFF &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref + 2] === input[ip + 2]
    ) {
      let len = 2;
      const maxLen = Math.min(MAX_REF, inLen - ip);
      while (len + 1 < maxLen && input[ref + len + 1] === input[ip + len + 1]) len++;
      // len counts matched bytes minus one; the encoding stores (matched - 2).
      if (op + 3 + 1 >= maxOut) return null;
      out[op - lit - 1] = lit - 1;
      if (lit === 0) op--;
      const encoded = len - 1;
      if (encoded < 7) {
        out[op++] = (encoded << 5) | (off >>> 8);
      } else {
        out[op++] = (7 << 5) | (off >>> 8);
        out[op++] = encoded - 7;
      }
      out[op++] = off & 0xff;
      op++; // start a new literal run
      lit = 0;
      ip += len + 1;
      continue;
    }
    if (op >= maxOut) return null;
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = MAX_LIT - 1;
      lit = 0;
      op++;
    }
  }
  while (ip < inLen) {
    if (op >= maxOut) return null;
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = MAX_LIT - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  if (op > maxOut) return null;
  return out.subarray(0, op);
}
