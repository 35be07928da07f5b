/** Pull-based line reading from a byte stream (stdin), binary-safe: lines are latin1 strings. */
import type { Readable } from 'node:stream';

export class LineReader {
  private buffered: Buffer[] = [];
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(private readonly input: Readable) {
    input.on('data', (chunk: Buffer) => {
      this.buffered.push(chunk);
      // Do not read further ahead than needed: the next command waits for this one's reply.
      input.pause();
      this.notify();
    });
    input.on('end', () => {
      this.ended = true;
      this.notify();
    });
    input.on('error', () => {
      this.ended = true;
      this.notify();
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** The next line without its '\n' (a last line without '\n' counts), or null at end of input. */
  async next(): Promise<string | null> {
    for (;;) {
      const all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
      this.buffered = all.length > 0 ? [all] : [];
      const nl = all.indexOf(0x0a);
      if (nl >= 0) {
        this.buffered = nl + 1 < all.length ? [all.subarray(nl + 1)] : [];
        return all.latin1Slice(0, nl);
      }
      if (this.ended) {
        this.buffered = [];
        return all.length > 0 ? all.latin1Slice(0, all.length) : null;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.input.resume();
      });
    }
  }

  /** Everything left on the input (for -x). */
  async rest(): Promise<Buffer> {
    while (!this.ended) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.input.resume();
      });
    }
    const all = Buffer.concat(this.buffered);
    this.buffered = [];
    return all;
  }

  close(): void {
    this.input.pause();
    this.input.removeAllListeners('data');
    this.input.removeAllListeners('end');
    this.input.removeAllListeners('error');
    if ('destroy' in this.input) this.input.destroy();
  }
}

let shared: LineReader | undefined;

/** The one reader of process.stdin (--askpass, -x and interactive lines share what was buffered). */
export function stdinReader(): LineReader {
  shared ??= new LineReader(process.stdin);
  return shared;
}

/** Stops reading stdin so the process can exit. */
export function closeStdin(): void {
  shared?.close();
  shared = undefined;
}
