/** Writing to stdout/stderr byte for byte, and the "exit now" signal used by deep code paths. */

/** Thrown where redis-cli would call exit(): main() prints the texts and returns the code. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    readonly stdout = '',
    readonly stderr = '',
  ) {
    super(`exit ${code}`);
  }
}

/** Writes a latin1 string (one char per byte) to stdout; process.stdout is synchronous for files/pipes on Linux. */
export function writeOut(text: string): void {
  if (text.length > 0) process.stdout.write(Buffer.from(text, 'latin1'));
}

export function writeErr(text: string): void {
  if (text.length > 0) process.stderr.write(Buffer.from(text, 'latin1'));
}

/** C's "%s" of a reply string: stops at the first NUL byte. */
export function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}
