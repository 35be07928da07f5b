/**
 * Comparing stream replies whose numbers depend on each server's clock (idle and seen times,
 * delivery times, auto ids): the bytes must match once those numbers are masked, and the numbers
 * must be close.
 */
import type { Reply } from './raw-client.js';

/**
 * Numbers that depend on the clock, each matched as `<prefix>:<number>` in the raw reply: idle and
 * seen times (by their field name), XPENDING's idle (the third of [id, consumer, idle, count]),
 * unix-ms delivery times, and the ms part of an auto id (with its sequence, which depends on
 * whether the millisecond ticked, and the bulk length).
 */
const CLOCK_RULES: RegExp[] = [
  /\$(?:4\r\nidle|9\r\nseen-time|11\r\nactive-time|8\r\ninactive)\r\n:(-?\d+)(?=\r\n)/g,
  /\*4\r\n\$\d+\r\n\d+-\d+\r\n\$\d+\r\n[^\r]*\r\n:(\d+)(?=\r\n:-?\d+\r\n)/g,
  /:(\d{13})(?=\r\n)/g,
  /\$\d+\r\n(\d{13})-\d+(?=\r\n)/g,
];

export function maskClock(raw: string): { text: string; numbers: number[] } {
  const numbers: number[] = [];
  let text = raw;
  for (const rule of CLOCK_RULES) {
    text = text.replace(rule, (match, n: string) => {
      numbers.push(Number(n));
      return `${match.slice(0, match.length - n.length)}~`;
    });
  }
  return { text, numbers };
}

/** Same bytes once clock numbers are masked, and those numbers within `toleranceMs` of each other. */
export function clockTolerant(toleranceMs = 5000) {
  return (redis: Reply, ts: Reply): string | null => {
    const a = maskClock(redis.raw.toString('latin1'));
    const b = maskClock(ts.raw.toString('latin1'));
    if (a.text !== b.text) return 'different bytes (clock numbers masked)';
    for (let i = 0; i < a.numbers.length; i++) {
      if (Math.abs(a.numbers[i] - b.numbers[i]) > toleranceMs)
        return `clock numbers ${a.numbers[i]} vs ${b.numbers[i]}`;
    }
    return null;
  };
}
