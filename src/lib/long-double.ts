/**
 * x87 80-bit long double arithmetic, emulated exactly with BigInt, for INCRBYFLOAT: Redis parses
 * with strtold, adds in long double and prints "%.17Lf" with trailing zeros removed. A 64-bit
 * significand with an explicit integer bit, exponents down to subnormals at 2^-16445, round half
 * to even everywhere (parsing, addition, printing), as glibc on x86-64 does.
 */

/** A finite value mant * 2^exp (mant < 2^64, 0 for zero), or an infinity. NaN is never stored. */
export interface LongDouble {
  readonly neg: boolean;
  readonly mant: bigint;
  readonly exp: number;
  readonly inf: boolean;
}

const MANT_BITS = 64;
/** Exponent of the least significant significand bit of subnormals (and of the smallest normals). */
const MIN_EXP = -16445;
/** Largest exponent of a 64-bit significand: the top bit is then worth 2^16383. */
const MAX_EXP = 16383 - (MANT_BITS - 1);
const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are rejected without parsing. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;
/** Decimal exponents of the leading digit beyond which strtold overflows or underflows to zero. */
const MAX_DECIMAL_EXP = 4933;
const MIN_DECIMAL_EXP = -4952;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)(?:inf|infinity)$/i;

export const LD_ZERO: LongDouble = { neg: false, mant: 0n, exp: 0, inf: false };

function finite(neg: boolean, mant: bigint, exp: number): LongDouble {
  return { neg, mant, exp, inf: false };
}

function infinity(neg: boolean): LongDouble {
  return { neg, mant: 0n, exp: 0, inf: true };
}

export function bitLength(n: bigint): number {
  if (n === 0n) return 0;
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(Number.parseInt(hex[0], 16)));
}

/**
 * Rounds (q + f) * 2^e, where 0 <= f < 1 is nonzero only if sticky, to the nearest long double,
 * ties to even. Returns null when a nonzero value underflows to zero (strtold's ERANGE case).
 */
function round(neg: boolean, q: bigint, e: number, sticky: boolean): LongDouble | null {
  if (q === 0n) return sticky ? null : finite(neg, 0n, 0);
  let exp = Math.max(e + bitLength(q) - MANT_BITS, MIN_EXP);
  const shift = exp - e;
  let mant: bigint;
  if (shift <= 0) {
    mant = q << BigInt(-shift);
  } else {
    const s = BigInt(shift);
    mant = q >> s;
    const rest = q - (mant << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (sticky || (mant & 1n) === 1n))) {
      mant++;
      if (mant === TWO_64) {
        mant = TWO_63;
        exp++;
      }
    }
  }
  if (mant === 0n) return null;
  if (exp > MAX_EXP) return infinity(neg);
  return finite(neg, mant, exp);
}

/**
 * Redis's string2ld: strtold over the whole string (no leading space, nothing left over, no NUL),
 * rejecting NaN, overflow to infinity and underflow to zero. "inf" itself is accepted.
 */
export function parseLongDouble(s: string): LongDouble | null {
  const n = s.length;
  if (n === 0 || n >= MAX_LONG_DOUBLE_CHARS) return null;
  const first = s.charCodeAt(0);
  if (first === 0x20 || (first >= 0x09 && first <= 0x0d)) return null;
  const dec = DECIMAL.exec(s);
  if (dec !== null) return parseDecimal(dec);
  const hex = HEX.exec(s);
  if (hex !== null) return parseHex(hex);
  const inf = INFINITY.exec(s);
  if (inf !== null) return infinity(inf[1] === '-');
  return null;
}

/** Exponent digits as a number, saturated far beyond any representable magnitude. */
function exponentValue(digits: string | undefined): number {
  if (digits === undefined) return 0;
  const v = Number.parseInt(digits, 10);
  return Math.max(-1e9, Math.min(1e9, v));
}

function parseDecimal(m: RegExpExecArray): LongDouble | null {
  const intDigits = m[2];
  const fracDigits = m[3] ?? '';
  if (intDigits.length + fracDigits.length === 0) return null;
  const neg = m[1] === '-';
  const all = (intDigits + fracDigits).replace(/^0+/, '');
  if (all === '') return finite(neg, 0n, 0);
  const digits = all.replace(/0+$/, '');
  // value = digits * 10^exp10
  const exp10 = exponentValue(m[4]) - fracDigits.length + (all.length - digits.length);
  const leading = exp10 + digits.length - 1;
  if (leading > MAX_DECIMAL_EXP) return null;
  if (leading < MIN_DECIMAL_EXP) return null;
  const d = BigInt(digits);
  if (exp10 >= 0) return checkedRound(neg, d * 10n ** BigInt(exp10), 0, false);
  const den = 10n ** BigInt(-exp10);
  // Enough quotient bits that the remainder only matters as a sticky bit.
  const shift = Math.max(0, MANT_BITS + 2 + bitLength(den) - bitLength(d));
  const num = d << BigInt(shift);
  const q = num / den;
  return checkedRound(neg, q, -shift, q * den !== num);
}

function parseHex(m: RegExpExecArray): LongDouble | null {
  const intDigits = m[2];
  const fracDigits = m[3] ?? '';
  if (intDigits.length + fracDigits.length === 0) return null;
  const neg = m[1] === '-';
  const q = BigInt(`0x${intDigits}${fracDigits}`);
  if (q === 0n) return finite(neg, 0n, 0);
  const e = exponentValue(m[4]) - 4 * fracDigits.length;
  const top = e + bitLength(q);
  if (top > MAX_EXP + MANT_BITS) return null;
  if (top < MIN_EXP - 1) return null;
  return checkedRound(neg, q, e, false);
}

/** round() for parsing: overflow to infinity is an error too. */
function checkedRound(neg: boolean, q: bigint, e: number, sticky: boolean): LongDouble | null {
  const r = round(neg, q, e, sticky);
  return r === null || r.inf ? null : r;
}

/** a + b, correctly rounded; null when the result is NaN (inf + -inf). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return null;
    return a.inf ? a : b;
  }
  if (a.mant === 0n) return b.mant === 0n ? finite(a.neg && b.neg, 0n, 0) : b;
  if (b.mant === 0n) return a;
  const e = Math.min(a.exp, b.exp);
  const av = a.mant << BigInt(a.exp - e);
  const bv = b.mant << BigInt(b.exp - e);
  const sum = (a.neg ? -av : av) + (b.neg ? -bv : bv);
  if (sum === 0n) return LD_ZERO;
  // The exact sum is a multiple of 2^e >= 2^MIN_EXP, so it never underflows to zero.
  return round(sum < 0n, sum < 0n ? -sum : sum, e, false) ?? LD_ZERO;
}

const TEN_17 = 10n ** 17n;

/**
 * Redis's ld2string in LD_STR_HUMAN mode: printf("%.17Lf") (exact decimal expansion, round half
 * to even), then trailing zeros and a trailing '.' removed, and "-0" turned into "0".
 */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.inf) return v.neg ? '-inf' : 'inf';
  let fixed: bigint;
  if (v.exp >= 0) {
    fixed = (v.mant << BigInt(v.exp)) * TEN_17;
  } else {
    const s = BigInt(-v.exp);
    const scaled = v.mant * TEN_17;
    fixed = scaled >> s;
    const rest = scaled - (fixed << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (fixed & 1n) === 1n)) fixed++;
  }
  const intPart = (fixed / TEN_17).toString();
  let frac = (fixed % TEN_17).toString().padStart(17, '0');
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 0x30) end--;
  frac = frac.slice(0, end);
  const body = frac === '' ? intPart : `${intPart}.${frac}`;
  if (body === '0') return '0';
  return v.neg ? `-${body}` : body;
}

export function isInfinite(v: LongDouble): boolean {
  return v.inf;
}

/** A double as a long double (exact: every double is one). */
export function fromDouble(d: number): LongDouble {
  if (!Number.isFinite(d)) return infinity(d < 0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const neg = view.getUint32(0) >>> 31 === 1;
  const biased = (view.getUint32(0) >>> 20) & 0x7ff;
  const frac = (BigInt(view.getUint32(0) & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (biased === 0) return finite(neg, frac, -1074);
  return finite(neg, frac | (1n << 52n), biased - 1075);
}

/**
 * printf("%.<digits>f") of a double: its exact decimal expansion rounded half to even (glibc), as
 * Redis prints distances (%.4f) and coordinates in errors (%f).
 */
export function formatFixed(d: number, digits: number): string {
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : d < 0 ? '-inf' : 'nan';
  const v = fromDouble(d);
  const scale = 10n ** BigInt(digits);
  let fixed: bigint;
  if (v.exp >= 0) {
    fixed = (v.mant << BigInt(v.exp)) * scale;
  } else {
    const s = BigInt(-v.exp);
    const scaled = v.mant * scale;
    fixed = scaled >> s;
    const rest = scaled - (fixed << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (fixed & 1n) === 1n)) fixed++;
  }
  const intPart = (fixed / scale).toString();
  const body = digits === 0 ? intPart : `${intPart}.${(fixed % scale).toString().padStart(digits, '0')}`;
  return v.neg ? `-${body}` : body;
}
