import type { ChunkSink } from '../persistence/snapshot.js';

/** A replica receiving a diskless transfer: where to write and whether it is still there. */
export interface TransferTarget {
  write(data: Buffer): void;
  /** Bytes queued in its socket and not yet sent. */
  readonly backlogBytes: number;
  readonly gone: boolean;
  onDrain(fn: () => void): void;
}

const HIGH_WATER = 4 * 1024 * 1024;

/**
 * Diskless full sync (repl-diskless-sync yes): the snapshot's RDB bytes go straight to the replica
 * sockets, framed as `$EOF:<40 random chars>\r\n` + payload + the same 40 chars, as Redis 7.0 does.
 * Replicas that disconnect are dropped; when none is left the snapshot is aborted.
 */
export class SocketSink implements ChunkSink {
  private aborted = false;

  constructor(
    private readonly targets: TransferTarget[],
    private readonly eofMark: string,
    private readonly onAllGone: () => void,
  ) {
    const preamble = Buffer.from(`$EOF:${eofMark}\r\n`, 'latin1');
    for (const t of targets) t.write(preamble);
  }

  private live(): TransferTarget[] {
    const live = this.targets.filter((t) => !t.gone);
    if (live.length === 0 && !this.aborted) this.onAllGone();
    return live;
  }

  write(chunks: Buffer[]): boolean {
    if (this.aborted) return true;
    const live = this.live();
    for (const t of live) for (const c of chunks) if (c.length > 0) t.write(c);
    return live.every((t) => t.backlogBytes < HIGH_WATER);
  }

  drain(): Promise<void> {
    const slow = this.live().filter((t) => t.backlogBytes >= HIGH_WATER);
    if (slow.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let pending = slow.length;
      for (const t of slow) {
        t.onDrain(() => {
          if (--pending === 0) resolve();
        });
      }
    });
  }

  async finish(): Promise<void> {
    const mark = Buffer.from(this.eofMark, 'latin1');
    for (const t of this.live()) t.write(mark);
  }

  abort(): void {
    this.aborted = true;
  }
}
