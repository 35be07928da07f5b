/**
 * Snapshot output to disk: a temp file written asynchronously with backpressure, fsynced, then
 * renamed over the target, so a crash at any point leaves the previous file intact.
 */
import {
  closeSync,
  fstatSync,
  fsync,
  fsyncSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  writev,
} from 'node:fs';
import { dirname } from 'node:path';
import type { ChunkSink } from './snapshot.js';

/** Buffered bytes above which the producer waits for the disk. */
const HIGH_WATER = 8 * 1024 * 1024;
/** Buffers per writev call. */
const BATCH = 256;

export class FileSink implements ChunkSink {
  private readonly fd: number;
  private readonly inode: number;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private error: Error | null = null;
  private closed = false;
  private aborted = false;
  private readonly waiters: Array<() => void> = [];

  /**
   * Opens (creates or truncates) the temp file; throws the open error. With a null finalPath,
   * finish() only fsyncs and closes the file (the caller renames it when it sees fit).
   */
  constructor(
    readonly tempPath: string,
    readonly finalPath: string | null,
  ) {
    // A fresh inode: an aborted earlier sink may still have a write in flight on the old one.
    try {
      unlinkSync(tempPath);
    } catch {
      // Nothing there.
    }
    this.fd = openSync(tempPath, 'w', 0o644);
    this.inode = fstatSync(this.fd).ino;
  }

  write(chunks: Buffer[]): boolean {
    if (this.error !== null) throw this.error;
    for (const c of chunks) {
      if (c.length === 0) continue;
      this.queue.push(c);
      this.queued += c.length;
    }
    this.pump();
    return this.queued < HIGH_WATER;
  }

  /** Writes queued buffers one writev at a time (sequential: the file offset advances in order). */
  private pump(): void {
    if (this.writing || this.queue.length === 0 || this.aborted) return;
    this.writing = true;
    const batch = this.queue.splice(0, BATCH);
    writev(this.fd, batch, (err, written) => {
      this.writing = false;
      if (this.aborted) {
        this.cleanup();
        return;
      }
      if (err) {
        this.error = err;
      } else {
        this.queued -= written;
        // A short write: put back what did not make it.
        let skip = written;
        const rest: Buffer[] = [];
        for (const b of batch) {
          if (skip >= b.length) skip -= b.length;
          else {
            rest.push(b.subarray(skip));
            skip = 0;
          }
        }
        if (rest.length > 0) this.queue.unshift(...rest);
      }
      if (this.error !== null || this.queued < HIGH_WATER / 2 || this.queue.length === 0) this.wake();
      if (this.error === null) this.pump();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once the queue is below the low-water mark (or rejects on a write error). */
  drain(): Promise<void> {
    return this.waitFor(() => this.queued < HIGH_WATER / 2);
  }

  private waitFor(ready: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.error !== null) reject(this.error);
        else if (ready()) resolve();
        else this.waiters.push(check);
      };
      check();
    });
  }

  async finish(): Promise<void> {
    await this.waitFor(() => this.queue.length === 0 && !this.writing);
    await new Promise<void>((resolve, reject) => fsync(this.fd, (e) => (e ? reject(e) : resolve())));
    this.close();
    if (this.finalPath === null) return;
    renameSync(this.tempPath, this.finalPath);
    fsyncDir(this.finalPath);
  }

  /** Bytes accepted and not yet written to the file. */
  get pending(): number {
    return this.queued;
  }

  abort(): void {
    if (this.aborted || this.closed) return;
    this.aborted = true;
    this.queue.length = 0;
    this.error ??= new Error('aborted');
    this.wake();
    // A writev in flight still uses the fd: its callback cleans up.
    if (!this.writing) this.cleanup();
  }

  private cleanup(): void {
    this.close();
    try {
      // Only our own file: another sink may have created a new one at the same path since.
      if (statSync(this.tempPath).ino === this.inode) unlinkSync(this.tempPath);
    } catch {
      // Already gone.
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Writes every chunk (looping over short writes). */
export function writeAllSync(fd: number, chunks: readonly Buffer[]): void {
  for (const c of chunks) {
    let off = 0;
    while (off < c.length) off += writeSync(fd, c, off, c.length - off);
  }
}

/** Makes a rename durable: fsync of the directory holding the file (best effort, as fsyncFileDir). */
export function fsyncDir(path: string): void {
  let fd = -1;
  try {
    fd = openSync(dirname(path), 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself succeeded.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}
