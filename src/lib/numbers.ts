/** Integer and floating-point parsing and formatting with Redis's exact rules. */

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;

/** A 64-bit integer: a number when it fits a double exactly, otherwise a bigint. */
export type Int64 = number | bigint;

/**
 * Redis's string2ll: canonical decimal only (no '+', no leading zeros, no spaces, no "-0"), within
 * int64. Returns null when the string is not such an integer.
 */
export function parseInt64(s: string): Int64 | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  if (n === 1 && s.charCodeAt(0) === 0x30) return 0;
  let i = 0;
  const negative = s.charCodeAt(0) === 0x2d;
  if (negative) {
    i = 1;
    if (n === 1) return null;
  }
  const first = s.charCodeAt(i);
  if (first < 0x31 || first > 0x39) return null;
  let v = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return null;
    v = v * 10 + (c - 0x30);
  }
  if (v <= Number.MAX_SAFE_INTEGER) return negative ? -v : v;
  const big = BigInt(s);
  if (big > INT64_MAX || big < INT64_MIN) return null;
  return big;
}

/** Adds two int64 values; null on overflow (Redis: "increment or decrement would overflow"). */
export function addInt64(a: Int64, b: Int64): Int64 | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  const r = BigInt(a) + BigInt(b);
  if (r > INT64_MAX || r < INT64_MIN) return null;
  return normalizeInt64(r);
}

export function normalizeInt64(v: bigint): Int64 {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Redis's getRangeLongFromObject with LONG range in one call: the number, or null if invalid. */
export function parseInt64Number(s: string): number | null {
  const v = parseInt64(s);
  if (v === null) return null;
  return typeof v === 'number' ? v : Number(v);
}

const STRTOD_DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const STRTOD_HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const STRTOD_SPECIAL = /^([+-]?)(?:inf|infinity|nan)$/i;

/**
 * strtod as Redis uses it for doubles (INCRBYFLOAT, ZADD scores, timeouts): the whole string must be
 * consumed, no leading space, no NaN, no overflow to infinity, no underflow to zero. Null when invalid.
 */
export function parseDouble(s: string): number | null {
  if (s.length === 0 || s.length > 5000) return null;
  let v: number;
  if (STRTOD_DECIMAL.test(s)) {
    v = Number(s);
    if (!Number.isFinite(v)) return null;
    if (v === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ''))) return null;
  } else {
    const special = STRTOD_SPECIAL.exec(s);
    if (special !== null) {
      if (/nan/i.test(s)) return null;
      return special[1] === '-' ? -Infinity : Infinity;
    }
    const hex = STRTOD_HEX.exec(s);
    if (hex === null || (hex[2] === '' && (hex[3] === undefined || hex[3] === ''))) return null;
    v = parseHexFloat(hex[2], hex[3] ?? '', hex[4] ?? '0');
    if (hex[1] === '-') v = -v;
    if (!Number.isFinite(v)) return null;
  }
  return v;
}

function parseHexFloat(intPart: string, fracPart: string, exp: string): number {
  let v = 0;
  for (const c of intPart) v = v * 16 + Number.parseInt(c, 16);
  let scale = 1 / 16;
  for (const c of fracPart) {
    v += Number.parseInt(c, 16) * scale;
    scale /= 16;
  }
  return v * 2 ** Number.parseInt(exp, 10);
}

/** C's printf("%.17g"): how Redis formats doubles in replies (ZSCORE, RESP3 doubles). */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  return formatG(d, 17);
}

/** C's printf("%.<precision>g") for a finite double. */
export function formatG(d: number, precision: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const exponential = d.toExponential(precision - 1);
  const ePos = exponential.indexOf('e');
  const exp = Number.parseInt(exponential.slice(ePos + 1), 10);
  if (exp < -4 || exp >= precision) {
    const mantissa = trimFraction(exponential.slice(0, ePos));
    const sign = exp < 0 ? '-' : '+';
    const digits = Math.abs(exp);
    return `${mantissa}e${sign}${digits < 10 ? `0${digits}` : digits}`;
  }
  return trimFraction(d.toFixed(precision - 1 - exp));
}

function trimFraction(s: string): string {
  if (s.indexOf('.') < 0) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === 0x30) end--;
  if (s.charCodeAt(end - 1) === 0x2e) end--;
  return s.slice(0, end);
}
