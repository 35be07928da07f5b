/** jemalloc's size classes: what Redis's allocations really take, for MEMORY USAGE and sds growth. */

/** jemalloc's size class for an allocation of n bytes. */
export function jemallocSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 16) return 16;
  let p = 1;
  while (p * 2 < n) p *= 2;
  const step = Math.max(16, p / 4);
  return Math.ceil(n / step) * step;
}
