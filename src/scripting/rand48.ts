/**
 * Redis's redisLrand48/redisSrand48 (rand.c): the 48-bit linear congruential generator of
 * lrand48, so math.random gives the same sequence as on redis-server for the same seed.
 */
const A = 0x5deece66dn;
const C = 0xbn;
const MASK = (1n << 48n) - 1n;
/** REDIS_LRAND48_MAX: INT32_MAX. */
export const LRAND48_MAX = 2147483647;

export class Rand48 {
  /** lrand48's initial state (X2 X1 X0 = 0x1234 0xABCD 0x330E): not reseeded per script in 7.0. */
  private x = 0x1234abcd330en;

  /** srand48: the seed's low 32 bits above 0x330E. */
  seed(seed: number): void {
    this.x = ((BigInt(seed | 0) & 0xffffffffn) << 16n) | 0x330en;
  }

  /** lrand48: the next 31-bit value. */
  next(): number {
    this.x = (A * this.x + C) & MASK;
    return Number(this.x >> 17n);
  }
}
