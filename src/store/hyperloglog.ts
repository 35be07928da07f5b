/**
 * HyperLogLog as Redis 7.0 stores it in a string value (hyperloglog.c), so the bytes GET returns,
 * RDB, DUMP and replication are interchangeable with redis-server's. A 16-byte header ("HYLL",
 * encoding, 3 unused bytes, the cached cardinality little endian with its top bit meaning
 * "stale"), then 16384 registers: dense (6 bits each, LSB first) or sparse (run-length opcodes
 * ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx). A sparse HLL turns dense when a register
 * exceeds 32 or the string would pass hll-sparse-max-bytes.
 */
import { jemallocSize } from '../lib/jemalloc.js';
import { MutableString, type StringValue } from './values.js';

export const HLL_HDR_SIZE = 16;
export const HLL_REGISTERS = 16384;
const HLL_P = 14;
const HLL_Q = 64 - HLL_P;
const HLL_REGISTER_MAX = 63;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * 6) / 8;
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
/** 0.5 / ln(2). */
const ALPHA_INF = 0.7213475204444817;

export const INVALID_HLL = 'INVALIDOBJ Corrupted HLL object detected';
export const NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';

/** An empty HLL: sparse, one XZERO covering every register, cached cardinality 0. */
export function createHll(): MutableString {
  const m = new MutableString(Buffer.alloc(HLL_HDR_SIZE + 2), HLL_HDR_SIZE + 2);
  m.bytes.latin1Write('HYLL', 0);
  m.bytes[4] = HLL_SPARSE;
  setXzero(m.bytes, HLL_HDR_SIZE, HLL_REGISTERS);
  return m;
}

/** Redis's isHLLObjectOrReply test on a string value. */
export function isHll(v: StringValue): boolean {
  const len = v.length;
  if (len < HLL_HDR_SIZE) return false;
  const at = typeof v === 'string' ? (i: number) => v.charCodeAt(i) : (i: number) => v.bytes[i];
  if (at(0) !== 0x48 || at(1) !== 0x59 || at(2) !== 0x4c || at(3) !== 0x4c) return false;
  const encoding = at(4);
  if (encoding > HLL_SPARSE) return false;
  return encoding !== HLL_DENSE || len === HLL_DENSE_SIZE;
}

export function encodingOf(m: MutableString): number {
  return m.bytes[4];
}

export function invalidateCache(m: MutableString): void {
  m.bytes[15] |= 0x80;
}

/** The cached cardinality, or null when stale. */
export function cachedCount(m: MutableString): number | bigint | null {
  const b = m.bytes;
  if ((b[15] & 0x80) !== 0) return null;
  const lo = b.readUInt32LE(8);
  const hi = b.readUInt32LE(12);
  // Replied as a long long, like Redis's addReplyLongLong of the uint64.
  return hi < 0x200000 ? hi * 0x100000000 + lo : b.readBigInt64LE(8);
}

export function storeCount(m: MutableString, card: number | bigint): void {
  if (typeof card === 'bigint') {
    m.bytes.writeBigUInt64LE(BigInt.asUintN(64, card), 8);
    return;
  }
  m.bytes.writeUInt32LE(card % 0x100000000, 8);
  m.bytes.writeUInt32LE(Math.floor(card / 0x100000000), 12);
}

// --- MurmurHash64A (seed 0xadc83b19) on 32-bit halves: hi:lo * m is written out inline ---

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const ML0 = M_LO & 0xffff;
const ML1 = M_LO >>> 16;
const SEED = 0xadc83b19;

/** High 32 bits of the 64-bit product a * M_LO. */
function mulHighM(a: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const p01 = a0 * ML1;
  const p10 = a1 * ML0;
  const mid = ((a0 * ML0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * ML1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/** The register the last patLen hashed to. */
let patIndex = 0;

/** hllPatLen: 1 + the trailing zeros of the hash above its 14 index bits (at most Q + 1). */
function patLen(ele: string): number {
  const len = ele.length;
  let hHi = (mulHighM(len) + Math.imul(len, M_HI)) >>> 0;
  let hLo = (Math.imul(len, M_LO) ^ SEED) >>> 0;
  let t: number;
  const blocks = len - (len & 7);
  let i = 0;
  for (; i < blocks; i += 8) {
    let kLo =
      (ele.charCodeAt(i) |
        (ele.charCodeAt(i + 1) << 8) |
        (ele.charCodeAt(i + 2) << 16) |
        (ele.charCodeAt(i + 3) << 24)) >>>
      0;
    let kHi =
      (ele.charCodeAt(i + 4) |
        (ele.charCodeAt(i + 5) << 8) |
        (ele.charCodeAt(i + 6) << 16) |
        (ele.charCodeAt(i + 7) << 24)) >>>
      0;
    // k *= m; k ^= k >> 47; k *= m; h ^= k; h *= m
    t = (mulHighM(kLo) + Math.imul(kLo, M_HI) + Math.imul(kHi, M_LO)) >>> 0;
    kLo = Math.imul(kLo, M_LO) >>> 0;
    kHi = t;
    kLo = (kLo ^ (kHi >>> 15)) >>> 0;
    t = (mulHighM(kLo) + Math.imul(kLo, M_HI) + Math.imul(kHi, M_LO)) >>> 0;
    kLo = Math.imul(kLo, M_LO) >>> 0;
    kHi = t;
    hHi = (hHi ^ kHi) >>> 0;
    hLo = (hLo ^ kLo) >>> 0;
    t = (mulHighM(hLo) + Math.imul(hLo, M_HI) + Math.imul(hHi, M_LO)) >>> 0;
    hLo = Math.imul(hLo, M_LO) >>> 0;
    hHi = t;
  }
  const rest = len & 7;
  if (rest > 0) {
    let tHi = 0;
    let tLo = 0;
    for (let j = rest - 1; j >= 4; j--) tHi |= ele.charCodeAt(i + j) << ((j - 4) * 8);
    for (let j = Math.min(rest, 4) - 1; j >= 0; j--) tLo |= ele.charCodeAt(i + j) << (j * 8);
    hHi = (hHi ^ tHi) >>> 0;
    hLo = (hLo ^ tLo) >>> 0;
    t = (mulHighM(hLo) + Math.imul(hLo, M_HI) + Math.imul(hHi, M_LO)) >>> 0;
    hLo = Math.imul(hLo, M_LO) >>> 0;
    hHi = t;
  }
  // h ^= h >> 47; h *= m; h ^= h >> 47
  hLo = (hLo ^ (hHi >>> 15)) >>> 0;
  t = (mulHighM(hLo) + Math.imul(hLo, M_HI) + Math.imul(hHi, M_LO)) >>> 0;
  hLo = Math.imul(hLo, M_LO) >>> 0;
  hHi = t;
  hLo = (hLo ^ (hHi >>> 15)) >>> 0;
  patIndex = hLo & (HLL_REGISTERS - 1);
  // Bit Q of the shifted hash is set, so the count stays <= Q + 1.
  const low = ((hLo >>> HLL_P) | (hHi << (32 - HLL_P))) >>> 0;
  if (low !== 0) return 32 - Math.clz32(low & -low);
  const high = (hHi >>> HLL_P) | (1 << (HLL_Q - 32));
  return 64 - Math.clz32(high & -high);
}

// --- Dense registers ---

function denseGet(b: Uint8Array, regnum: number): number {
  const bit = regnum * 6;
  const byte = HLL_HDR_SIZE + (bit >>> 3);
  const fb = bit & 7;
  return ((b[byte] >>> fb) | ((b[byte + 1] ?? 0) << (8 - fb))) & HLL_REGISTER_MAX;
}

function denseSetRegister(b: Uint8Array, regnum: number, value: number): void {
  const bit = regnum * 6;
  const byte = HLL_HDR_SIZE + (bit >>> 3);
  const fb = bit & 7;
  b[byte] = (b[byte] & ~(HLL_REGISTER_MAX << fb)) | (value << fb);
  if (byte + 1 < b.length)
    b[byte + 1] = (b[byte + 1] & ~(HLL_REGISTER_MAX >>> (8 - fb))) | (value >>> (8 - fb));
}

/** hllDenseSet: raises the register to count; whether it changed. */
function denseSet(b: Uint8Array, regnum: number, count: number): boolean {
  if (count <= denseGet(b, regnum)) return false;
  denseSetRegister(b, regnum, count);
  return true;
}

// --- Sparse opcodes ---

const isZero = (op: number): boolean => (op & 0xc0) === 0;
const isXzero = (op: number): boolean => (op & 0xc0) === 0x40;
const isVal = (op: number): boolean => (op & 0x80) !== 0;
const zeroLen = (op: number): number => (op & 0x3f) + 1;
const xzeroLen = (b: Uint8Array, p: number): number => (((b[p] & 0x3f) << 8) | b[p + 1]) + 1;
const valValue = (op: number): number => ((op >>> 2) & 0x1f) + 1;
const valLen = (op: number): number => (op & 3) + 1;
const valOp = (value: number, len: number): number => (((value - 1) << 2) | (len - 1) | 0x80) & 0xff;

function setXzero(b: Uint8Array, p: number, len: number): void {
  b[p] = ((len - 1) >>> 8) | 0x40;
  b[p + 1] = (len - 1) & 0xff;
}

/** Writes a ZERO or XZERO run at p; returns the bytes written. */
function writeZeros(b: Uint8Array, p: number, len: number): number {
  if (len > SPARSE_ZERO_MAX_LEN) {
    setXzero(b, p, len);
    return 2;
  }
  b[p] = len - 1;
  return 1;
}

/**
 * Walks the opcodes of a sparse HLL: each run of registers first..first+run-1 holding value
 * (0 for ZERO 'z' and XZERO 'Z'). Returns how many registers the opcodes cover (16384 when valid).
 */
function forEachRun(
  m: MutableString,
  visit: (kind: 'z' | 'Z' | 'v', value: number, first: number, run: number) => void,
): number {
  const b = m.bytes;
  let idx = 0;
  for (let p = HLL_HDR_SIZE; p < m.length; ) {
    const op = b[p];
    let run: number;
    if (isZero(op)) {
      run = zeroLen(op);
      visit('z', 0, idx, run);
      p++;
    } else if (isXzero(op)) {
      run = xzeroLen(b, p);
      visit('Z', 0, idx, run);
      p += 2;
    } else {
      run = valLen(op);
      visit('v', valValue(op), idx, run);
      p++;
    }
    idx += run;
  }
  return idx;
}

/** hllSparseToDense: false if the sparse data is corrupt (m unchanged). */
export function sparseToDense(m: MutableString): boolean {
  const src = m.bytes;
  if (src[4] === HLL_DENSE) return true;
  // One spare byte: the last register's second byte is read and written like sds's terminator.
  const dense = Buffer.alloc(HLL_DENSE_SIZE + 1);
  src.copy(dense, 0, 0, HLL_HDR_SIZE);
  dense[4] = HLL_DENSE;
  let overflow = false;
  const covered = forEachRun(m, (kind, value, first, run) => {
    if (kind !== 'v') return;
    if (first + run > HLL_REGISTERS) overflow = true;
    else for (let r = first; r < first + run; r++) denseSetRegister(dense, r, value);
  });
  if (overflow || covered !== HLL_REGISTERS) return false;
  m.bytes = dense;
  m.length = HLL_DENSE_SIZE;
  return true;
}

/**
 * Room for the 3 bytes an opcode split may add, grown as sdsMakeRoomFor grows Redis's string
 * (doubled, then up to its jemalloc size class), so MEMORY USAGE sees the same allocation.
 */
function ensureRoom(m: MutableString): void {
  if (m.bytes.length - m.length >= 3) return;
  const want = (m.length + 3) * 2;
  const header = want < 256 ? 3 : want < 65536 ? 5 : 9;
  const grown = Buffer.alloc(jemallocSize(header + want + 1) - header - 1);
  m.bytes.copy(grown, 0, 0, m.length);
  m.bytes = grown;
}

const seq = new Uint8Array(5);

/**
 * hllSparseSet: raises register index to count, splitting the opcode that covers it and merging
 * equal neighbours, or turning the HLL dense. 1 if changed, 0 if not, -1 if corrupt.
 */
function sparseSet(m: MutableString, index: number, count: number, maxBytes: number): number {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(m, index, count);
  ensureRoom(m);
  let b = m.bytes;
  let end = m.length;
  let p = HLL_HDR_SIZE;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const op = b[p];
    let oplen = 1;
    if (isZero(op)) span = zeroLen(op);
    else if (isVal(op)) span = valLen(op);
    else {
      span = xzeroLen(b, p);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = b[p];
  const xzero = isXzero(op);
  const next = p + (xzero ? 2 : 1) >= end ? -1 : p + (xzero ? 2 : 1);
  const zero = isZero(op);
  const runlen = zero ? zeroLen(op) : xzero ? xzeroLen(b, p) : valLen(op);
  let updatedInPlace = false;
  if (!zero && !xzero) {
    if (valValue(op) >= count) return 0;
    if (runlen === 1) {
      b[p] = valOp(count, 1);
      updatedInPlace = true;
    }
  } else if (zero && runlen === 1) {
    b[p] = valOp(count, 1);
    updatedInPlace = true;
  }
  if (!updatedInPlace) {
    const last = first + span - 1;
    let n = 0;
    if (zero || xzero) {
      if (index !== first) n += writeZeros(seq, n, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) n += writeZeros(seq, n, last - index);
    } else {
      const value = valValue(op);
      if (index !== first) seq[n++] = valOp(value, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) seq[n++] = valOp(value, last - index);
    }
    const delta = n - (xzero ? 2 : 1);
    if (delta > 0 && m.length + delta > maxBytes) return promote(m, index, count);
    if (delta !== 0 && next >= 0) b.copyWithin(next + delta, next, end);
    m.length += delta;
    b.set(seq.subarray(0, n), p);
    end += delta;
  }
  // Merge adjacent VAL opcodes of the same value, up to 5 opcodes from prev.
  b = m.bytes;
  p = prev >= 0 ? prev : HLL_HDR_SIZE;
  let scan = 5;
  while (p < end && scan-- > 0) {
    const o = b[p];
    if (isXzero(o)) {
      p += 2;
      continue;
    }
    if (isZero(o)) {
      p++;
      continue;
    }
    if (p + 1 < end && isVal(b[p + 1])) {
      const v1 = valValue(o);
      if (v1 === valValue(b[p + 1])) {
        const len = valLen(o) + valLen(b[p + 1]);
        if (len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOp(v1, len);
          b.copyWithin(p, p + 1, end);
          m.length--;
          end--;
          continue;
        }
      }
    }
    p++;
  }
  invalidateCache(m);
  return 1;
}

function promote(m: MutableString, index: number, count: number): number {
  if (!sparseToDense(m)) return -1;
  denseSet(m.bytes, index, count);
  return 1;
}

/** hllAdd: 1 if a register changed, 0 if not, -1 if the HLL is corrupt. */
export function hllAdd(m: MutableString, ele: string, sparseMaxBytes: number): number {
  const count = patLen(ele);
  if (m.bytes[4] === HLL_DENSE) return denseSet(m.bytes, patIndex, count) ? 1 : 0;
  return sparseSet(m, patIndex, count, sparseMaxBytes);
}

/** Raises register index to count whatever the encoding (PFMERGE's write-back). */
export function hllSet(m: MutableString, index: number, count: number, sparseMaxBytes: number): void {
  if (m.bytes[4] === HLL_DENSE) denseSet(m.bytes, index, count);
  else sparseSet(m, index, count, sparseMaxBytes);
}

// --- Counting and merging ---

/** Register histogram into histo; false if sparse data does not cover exactly every register. */
function histogram(m: MutableString, histo: Int32Array): boolean {
  const b = m.bytes;
  if (b[4] === HLL_DENSE) {
    // Four registers in every three bytes.
    for (let k = HLL_HDR_SIZE; k < HLL_DENSE_SIZE; k += 3) {
      const b0 = b[k];
      const b1 = b[k + 1];
      const b2 = b[k + 2];
      histo[b0 & 63]++;
      histo[((b0 >>> 6) | (b1 << 2)) & 63]++;
      histo[((b1 >>> 4) | (b2 << 4)) & 63]++;
      histo[b2 >>> 2]++;
    }
    return true;
  }
  const covered = forEachRun(m, (_kind, value, _first, run) => {
    histo[value] += run;
  });
  return covered === HLL_REGISTERS;
}

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (zPrime !== z);
  return z / 3;
}

const LLONG_MIN = -(2n ** 63n);

/** Ertl's estimator over a register histogram, as hllCount. */
function estimate(histo: Int32Array): number | bigint {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * sigma(histo[0] / m);
  const e = Math.round((ALPHA_INF * m * m) / z);
  // Registers no hash yields (hand-written) can make z 0: llroundl(inf) is LLONG_MIN on x86.
  return Number.isFinite(e) ? e : LLONG_MIN;
}

/** The estimated cardinality, or null if the sparse data is corrupt. */
export function hllCount(m: MutableString): number | bigint | null {
  const histo = new Int32Array(64);
  return histogram(m, histo) ? estimate(histo) : null;
}

/** Cardinality of registers kept one per byte (the union PFCOUNT of several keys builds). */
export function rawCount(registers: Uint8Array): number | bigint {
  const histo = new Int32Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[registers[i]]++;
  return estimate(histo);
}

/** hllMerge: max[i] = MAX(max[i], register i); false if the sparse data is corrupt. */
export function hllMerge(max: Uint8Array, v: MutableString): boolean {
  const b = v.bytes;
  if (b[4] === HLL_DENSE) {
    // Four registers in every three bytes.
    for (let k = HLL_HDR_SIZE, i = 0; k < HLL_DENSE_SIZE; k += 3, i += 4) {
      const b0 = b[k];
      const b1 = b[k + 1];
      const b2 = b[k + 2];
      const r0 = b0 & 63;
      const r1 = ((b0 >>> 6) | (b1 << 2)) & 63;
      const r2 = ((b1 >>> 4) | (b2 << 4)) & 63;
      const r3 = b2 >>> 2;
      if (r0 > max[i]) max[i] = r0;
      if (r1 > max[i + 1]) max[i + 1] = r1;
      if (r2 > max[i + 2]) max[i + 2] = r2;
      if (r3 > max[i + 3]) max[i + 3] = r3;
    }
    return true;
  }
  let overflow = false;
  const covered = forEachRun(v, (kind, value, first, run) => {
    if (kind !== 'v') return;
    if (first + run > HLL_REGISTERS) overflow = true;
    else for (let r = first; r < first + run; r++) if (value > max[r]) max[r] = value;
  });
  return !overflow && covered === HLL_REGISTERS;
}

/** Every register of a dense HLL (PFDEBUG GETREG). */
export function denseRegisters(m: MutableString): number[] {
  const out = new Array<number>(HLL_REGISTERS);
  for (let i = 0; i < HLL_REGISTERS; i++) out[i] = denseGet(m.bytes, i);
  return out;
}

/** PFDEBUG DECODE's text of the sparse opcodes. */
export function decodeSparse(m: MutableString): string {
  const parts: string[] = [];
  forEachRun(m, (kind, value, _first, run) => {
    parts.push(kind === 'v' ? `v:${value},${run}` : `${kind}:${run}`);
  });
  return parts.join(' ');
}

/** PFSELFTEST: register access, then dense and sparse estimates against true counts. */
export function selfTest(sparseMaxBytes: number): string | null {
  const dense = new MutableString(Buffer.alloc(HLL_DENSE_SIZE + 1), HLL_DENSE_SIZE);
  dense.bytes.latin1Write('HYLL', 0);
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < 1000; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = Math.floor(Math.random() * 64);
      expected[i] = r;
      denseSetRegister(dense.bytes, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const got = denseGet(dense.bytes, i);
      if (got !== expected[i]) return `TESTFAILED Register ${i} should be ${expected[i]} but is ${got}`;
    }
  }
  dense.bytes.fill(0, HLL_HDR_SIZE);
  const sparse = createHll();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  let checkpoint = 1;
  const seedLo = Math.floor(Math.random() * 0x100000000);
  const seedHi = Math.floor(Math.random() * 0x100000000);
  const ele = Buffer.alloc(8);
  for (let j = 1; j <= 10_000_000; j++) {
    ele.writeUInt32LE((j ^ seedLo) >>> 0, 0);
    ele.writeUInt32LE(seedHi, 4);
    const text = ele.latin1Slice(0, 8);
    hllAdd(dense, text, sparseMaxBytes);
    hllAdd(sparse, text, sparseMaxBytes);
    if (j !== checkpoint) continue;
    if (j < sparseMaxBytes / 2 && sparse.bytes[4] !== HLL_SPARSE)
      return 'TESTFAILED sparse encoding not used';
    const card = hllCount(dense);
    if (card !== hllCount(sparse)) return 'TESTFAILED dense/sparse disagree';
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * checkpoint);
    const abserr = Math.abs(checkpoint - Number(card));
    if (abserr > maxerr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    checkpoint *= 10;
  }
  return null;
}
