/** The numkeys argument of EVAL and FCALL (argv[2]), checked as Redis checks it. */
import { parseInt64 } from '../lib/numbers.js';

/** The key count, or the error reply; notInteger is the text when it is not a number. */
export function parseNumkeys(argv: readonly string[], notInteger: string): number | { error: string } {
  const numkeys = parseInt64(argv[2]);
  if (numkeys === null) return { error: notInteger };
  if (numkeys > argv.length - 3) return { error: "ERR Number of keys can't be greater than number of args" };
  if (numkeys < 0) return { error: "ERR Number of keys can't be negative" };
  return Number(numkeys);
}
