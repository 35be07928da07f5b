import type { CommandContext } from '../core/context.js';
import { bitLength, parseLongDouble } from '../lib/long-double.js';

const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;
const LLONG_MAX = TWO_63 - 1n;

/**
 * A blocking command's timeout in seconds (BLPOP, BZPOPMIN, …) as Redis 7.0 reads it: strtold,
 * times 1000 in long double, rounded up to whole ms, then cast to long long. Returns the relative
 * timeout in ms (0: forever), or null after replying the error. The long double arithmetic is
 * emulated exactly: "-0.001" waits forever in Redis because 0.001L * 1000 stays just below 1.
 */
export function timeoutArg(ctx: CommandContext, arg: string): number | null {
  const v = parseLongDouble(arg);
  if (v === null) {
    ctx.reply.error('ERR timeout is not a float or out of range');
    return null;
  }
  const ms = v.inf ? null : ceilTimesThousand(v.neg, v.mant, v.exp);
  // Out of long long range, the x87 cast yields LLONG_MIN: "negative".
  if (ms === null || ms < 0n || ms > LLONG_MAX) {
    ctx.reply.error('ERR timeout is negative');
    return null;
  }
  return Number(ms);
}

/** ceill(x * 1000) for x = ±mant * 2^exp, with the product rounded to a 64-bit significand. */
function ceilTimesThousand(neg: boolean, mant: bigint, exp: number): bigint {
  let q = mant * 1000n;
  if (q === 0n) return 0n;
  const extra = bitLength(q) - 64;
  if (extra > 0) {
    const s = BigInt(extra);
    let m = q >> s;
    const rest = q - (m << s);
    const half = 1n << (s - 1n);
    if (rest > half || (rest === half && (m & 1n) === 1n)) m++;
    if (m === TWO_64) {
      m = TWO_63;
      exp++;
    }
    q = m;
    exp += extra;
  }
  if (exp >= 0) {
    // Far beyond long long either way; skip building a huge integer.
    const whole = exp > 64 ? TWO_64 : q << BigInt(exp);
    return neg ? -whole : whole;
  }
  const s = BigInt(-exp);
  const floor = q >> s;
  const exact = floor << s === q;
  // Magnitude rounded down; ceiling goes up for positives with a fraction, towards zero for negatives.
  if (neg) return -floor;
  return exact ? floor : floor + 1n;
}
