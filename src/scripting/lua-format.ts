/**
 * string.format as Redis's Lua 5.1 runs it on x86-64: the same option parsing and errors as
 * lstrlib.c, with C's printf for each item, integers as 64-bit longs. The WebAssembly VM's own
 * string.format has 32-bit longs (string.format('%d', 2^40) would be -2147483648), so it is replaced.
 */
import type { LuaFunction, LuaState, LuaVm } from './lua-vm.js';

const FLAGS = '-+ #0';
const TWO_63 = 2 ** 63;
const INT64_MIN = -(2n ** 63n);
const NAN_BITS = new DataView(new ArrayBuffer(8));

interface Spec {
  flags: string;
  width: number;
  precision: number | null;
}

/** (long)d on x86-64: truncation, INT64_MIN when out of range or NaN. */
function toLong(d: number): bigint {
  return d >= -TWO_63 && d < TWO_63 ? BigInt(Math.trunc(d)) : INT64_MIN;
}

/** (unsigned long)d as gcc compiles it on x86-64 (below 2^63 through the signed conversion). */
function toUnsignedLong(d: number): bigint {
  if (d < TWO_63) return BigInt.asUintN(64, toLong(d));
  return BigInt.asUintN(64, toLong(d - TWO_63) ^ INT64_MIN);
}

function pad(body: string, sign: string, spec: Spec, zeroAllowed: boolean): string {
  const width = spec.width;
  const length = sign.length + body.length;
  if (length >= width) return sign + body;
  if (spec.flags.includes('-')) return sign + body + ' '.repeat(width - length);
  if (zeroAllowed && spec.flags.includes('0')) return sign + '0'.repeat(width - length) + body;
  return ' '.repeat(width - length) + sign + body;
}

function formatInteger(conv: string, d: number, spec: Spec): string {
  const signed = conv === 'd' || conv === 'i';
  const v = signed ? toLong(d) : toUnsignedLong(d);
  const negative = v < 0n;
  const magnitude = negative ? -v : v;
  let digits =
    conv === 'o'
      ? magnitude.toString(8)
      : conv === 'x'
        ? magnitude.toString(16)
        : conv === 'X'
          ? magnitude.toString(16).toUpperCase()
          : magnitude.toString();
  if (spec.precision !== null) {
    if (spec.precision === 0 && magnitude === 0n) digits = '';
    else if (digits.length < spec.precision) digits = '0'.repeat(spec.precision - digits.length) + digits;
  }
  let prefix = '';
  if (spec.flags.includes('#')) {
    if (conv === 'o' && !digits.startsWith('0')) digits = `0${digits}`;
    else if ((conv === 'x' || conv === 'X') && magnitude !== 0n) prefix = conv === 'x' ? '0x' : '0X';
  }
  let sign = '';
  if (signed) sign = negative ? '-' : spec.flags.includes('+') ? '+' : spec.flags.includes(' ') ? ' ' : '';
  return pad(digits, sign + prefix, spec, spec.precision === null);
}

/** x (finite, > 0) as mantissa × 2^exponent, both exact. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  NAN_BITS.setFloat64(0, x);
  const hi = NAN_BITS.getUint32(0);
  const lo = NAN_BITS.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 };
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/** round(x × 10^shift) with ties to even, as glibc's printf rounds the exact binary value. */
function scaledRound(x: number, shift: number): bigint {
  const { mantissa, exponent } = decompose(x);
  let num = mantissa;
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else den *= 10n ** BigInt(-shift);
  const q = num / den;
  const r2 = (num % den) * 2n;
  return r2 > den || (r2 === den && q % 2n === 1n) ? q + 1n : q;
}

/** %.<precision>f of x ≥ 0. */
function fixed(x: number, precision: number): string {
  const digits = (x === 0 ? 0n : scaledRound(x, precision)).toString().padStart(precision + 1, '0');
  return precision === 0 ? digits : `${digits.slice(0, -precision)}.${digits.slice(-precision)}`;
}

/** %.<precision>e of x ≥ 0, the exponent with at least two digits; also gives the exponent. */
function exponentialParts(x: number, precision: number): { text: string; exp: number } {
  if (x === 0) return { text: `${fixed(0, precision)}e+00`, exp: 0 };
  let exp = Math.floor(Math.log10(x));
  let digits = scaledRound(x, precision - exp);
  // log10 may be one off, and rounding may carry into another digit.
  if (digits >= 10n ** BigInt(precision + 1)) digits = scaledRound(x, precision - ++exp);
  else if (digits < 10n ** BigInt(precision)) digits = scaledRound(x, precision - --exp);
  const d = digits.toString();
  const mantissa = precision === 0 ? d : `${d[0]}.${d.slice(1)}`;
  const e = Math.abs(exp);
  return { text: `${mantissa}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`, exp };
}

function exponential(x: number, precision: number): string {
  return exponentialParts(x, precision).text;
}

function stripZeros(s: string): string {
  const e = s.search(/[eE]/);
  const mantissa = e < 0 ? s : s.slice(0, e);
  const rest = e < 0 ? '' : s.slice(e);
  if (!mantissa.includes('.')) return s;
  return mantissa.replace(/\.?0+$/, '') + rest;
}

function formatFloat(conv: string, d: number, spec: Spec, negativeNaN: boolean): string {
  const upper = conv === 'E' || conv === 'G';
  const negative = d < 0 || Object.is(d, -0) || (Number.isNaN(d) && negativeNaN);
  const sign = negative ? '-' : spec.flags.includes('+') ? '+' : spec.flags.includes(' ') ? ' ' : '';
  if (!Number.isFinite(d)) {
    const word = Number.isNaN(d) ? 'nan' : 'inf';
    return pad(upper ? word.toUpperCase() : word, sign, spec, false);
  }
  const x = Math.abs(d);
  const alt = spec.flags.includes('#');
  let precision = spec.precision ?? 6;
  let body: string;
  if (conv === 'f') body = fixed(x, precision);
  else if (conv === 'e' || conv === 'E') body = exponential(x, precision);
  else {
    if (precision === 0) precision = 1;
    const exp = exponentialParts(x, precision - 1).exp;
    body = exp < -4 || exp >= precision ? exponential(x, precision - 1) : fixed(x, precision - 1 - exp);
    if (!alt) body = stripZeros(body);
  }
  if (alt && !body.includes('.')) body = body.replace(/^(\d+)/, '$1.');
  if (upper) body = body.toUpperCase();
  return pad(body, sign, spec, true);
}

function formatString(s: string, spec: Spec): string {
  const nul = s.indexOf('\0');
  let text = nul < 0 ? s : s.slice(0, nul);
  if (spec.precision !== null) text = text.slice(0, spec.precision);
  return pad(text, '', spec, false);
}

/** lstrlib.c's addquoted. */
function quoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (ch === '"' || ch === '\\' || ch === '\n') out += `\\${ch}`;
    else if (ch === '\r') out += '\\r';
    else if (ch === '\0') out += '\\000';
    else out += ch;
  }
  return `${out}"`;
}

export function luaStringFormat(vm: LuaVm): LuaFunction {
  return (L: LuaState) => {
    const top = vm.top(L);
    const fmt = vm.checkString(L, 1);
    let arg = 1;
    let out = '';
    let i = 0;
    while (i < fmt.length) {
      const c = fmt[i];
      if (c !== '%') {
        out += c;
        i++;
        continue;
      }
      if (fmt[i + 1] === '%') {
        out += '%';
        i += 2;
        continue;
      }
      i++;
      if (++arg > top) vm.argError(L, arg, 'no value');
      // scanformat: at most 5 flags, 2 digits of width, 2 of precision.
      const start = i;
      while (i < fmt.length && FLAGS.includes(fmt[i])) i++;
      if (i - start >= FLAGS.length + 1) vm.raiseMessage(L, 'invalid format (repeated flags)', true);
      const flags = fmt.slice(start, i);
      const isDigit = (k: number) => fmt[k] >= '0' && fmt[k] <= '9';
      let w = i;
      if (isDigit(i)) i++;
      if (isDigit(i)) i++;
      const width = i > w ? Number(fmt.slice(w, i)) : 0;
      let precision: number | null = null;
      if (fmt[i] === '.') {
        i++;
        w = i;
        if (isDigit(i)) i++;
        if (isDigit(i)) i++;
        precision = i > w ? Number(fmt.slice(w, i)) : 0;
      }
      if (isDigit(i)) vm.raiseMessage(L, 'invalid format (width or precision too long)', true);
      const spec: Spec = { flags, width, precision };
      const conv = fmt[i++] ?? '';
      switch (conv) {
        case 'c': {
          // (int)d: out of range is INT_MIN, whose low byte is NUL.
          const d = vm.checkNumber(L, arg);
          const code = d >= -(2 ** 31) && d < 2 ** 31 ? Math.trunc(d) : 0;
          const ch = String.fromCharCode(code & 0xff);
          // sprintf then strlen: a NUL character ends the item.
          const item = pad(ch, '', spec, false);
          const nul = item.indexOf('\0');
          out += nul < 0 ? item : item.slice(0, nul);
          break;
        }
        case 'd':
        case 'i':
        case 'o':
        case 'u':
        case 'x':
        case 'X':
          out += formatInteger(conv, vm.checkNumber(L, arg), spec);
          break;
        case 'e':
        case 'E':
        case 'f':
        case 'g':
        case 'G': {
          const d = vm.checkNumber(L, arg);
          NAN_BITS.setFloat64(0, d);
          out += formatFloat(conv, d, spec, (NAN_BITS.getUint8(0) & 0x80) !== 0);
          break;
        }
        case 'q':
          out += quoted(vm.checkString(L, arg));
          break;
        case 's': {
          const s = vm.checkString(L, arg);
          // No precision and 100 bytes or more: the string as it is (NULs included).
          out += precision === null && s.length >= 100 ? s : formatString(s, spec);
          break;
        }
        default:
          vm.raiseMessage(L, `invalid option '%${conv}' to 'format'`, true);
      }
    }
    vm.pushString(L, out);
    return 1;
  };
}
