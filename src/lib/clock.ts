import { performance } from 'node:perf_hooks';

/** Wall-clock time in microseconds. */
export function nowUsec(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}
