/**
 * Gives memory back after a client with large pending replies goes away. Its reply buffers are
 * garbage at once, but they live outside V8's heap and only a major GC frees them; with nothing
 * else allocating, V8 may not run one for a long time, and the RSS stays as high as the worst
 * client made it. So one GC is run shortly after such a client closes, at most every few seconds.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Pending output at close from which a GC is worth its pause. */
export const RELEASE_AFTER_BYTES = 32 * 1024 * 1024;
const MIN_INTERVAL_MS = 5000;

let collect: (() => void) | null | undefined;

function gcFunction(): (() => void) | null {
  if (collect !== undefined) return collect;
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') {
    collect = existing;
    return collect;
  }
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  } catch {
    collect = null;
  }
  return collect;
}

/** Runs a major GC now (MEMORY PURGE); false when the runtime does not allow it. */
export function collectGarbage(): boolean {
  const gc = gcFunction();
  if (gc === null) return false;
  gc();
  return true;
}

export class MemoryReleaser {
  private lastRun = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;

  /** A client closed with this many bytes of replies still pending or buffered. */
  clientClosed(pendingBytes: number): void {
    if (pendingBytes < RELEASE_AFTER_BYTES || this.timer !== null) return;
    const wait = Math.max(50, this.lastRun + MIN_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => this.run(), wait);
    this.timer.unref();
  }

  private run(): void {
    this.timer = null;
    const gc = gcFunction();
    if (gc === null) return;
    this.lastRun = Date.now();
    gc();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
