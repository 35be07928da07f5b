/**
 * Appending to the AOF's incremental file (feedAppendOnlyFile, flushAppendOnlyFile): propagated
 * writes buffered with SELECT when the db changes, written before the next reply leaves, fsynced
 * per appendfsync (always: before the reply; everysec: in the background about once a second),
 * and write errors kept for the next try with Redis's MISCONF and log lines.
 */
import { fdatasync, fdatasyncSync } from 'node:fs';
import type { PropagatedOp } from '../../core/events.js';
import type { Host } from '../../core/host.js';
import { strerror } from '../../lib/errno.js';
import { CommandWriter, timestampAnnotation } from '../encoders.js';
import { writeAllSync } from '../file-sink.js';
import type { Persistence } from '../manager.js';

export class AofAppender {
  /** The open incremental file, -1 when none. */
  fd = -1;
  readonly buf = new CommandWriter();
  selectedDb = -1;
  /** aof_current_size, aof_last_incr_size, aof_fsync_offset. */
  currentSize = 0;
  lastIncrSize = 0;
  fsyncOffset = 0;
  lastFsyncSec = 0;
  fsyncInProgress = 0;
  delayedFsync = 0;
  lastWriteOk = true;
  lastWriteErrno = '';
  private lastWriteErrorLog = 0;
  /** aof-timestamp-enabled, and the second of the last `#TS:` line written. */
  private timestamps = false;
  /** Shared with a base file written in this process (the start-up rewrite), as Redis's aof_cur_timestamp. */
  lastTimestampSec = 0;
  private flushQueued = false;
  private stopFlushBeforeReplies: (() => void) | null = null;

  constructor(
    private readonly server: Host,
    private readonly p: Persistence,
  ) {
    server.config.watch('aof-timestamp-enabled', (v) => (this.timestamps = v as boolean));
  }

  private log(level: 'notice' | 'warning', message: string): void {
    this.server.log(level, message);
  }

  private get fsyncPolicy(): string {
    return this.server.config.str('appendfsync');
  }

  /** Propagated writes (already wrapped in MULTI/EXEC): into the AOF buffer, SELECT when the db changes. */
  append(ops: readonly PropagatedOp[]): void {
    if (this.timestamps) {
      // genAofTimestampAnnotationIfNeeded: one line per second that has writes.
      const now = nowSec();
      if (now > this.lastTimestampSec) {
        this.lastTimestampSec = now;
        this.buf.w.text(timestampAnnotation(now));
      }
    }
    for (const op of ops) {
      if (op.db !== this.selectedDb) {
        this.buf.command(['SELECT', String(op.db)]);
        this.selectedDb = op.db;
      }
      if (op.raw !== null) this.buf.w.raw(op.raw.subarray(op.rawStart, op.rawEnd));
      else this.buf.command(op.argv);
    }
    // Written before the next reply leaves (beforeReplies), or at the end of this turn when no
    // client is waiting (expiries, cron).
    if (!this.flushQueued) {
      this.flushQueued = true;
      // Subscribed only while something waits, so replies pay nothing when the AOF is idle or off.
      this.stopFlushBeforeReplies = this.server.events.beforeReplies.on(this.flushBeforeReplies);
      queueMicrotask(this.flushBeforeReplies);
    }
  }

  private readonly flushBeforeReplies = (): void => {
    if (!this.flushQueued) return;
    this.flushQueued = false;
    this.stopFlushBeforeReplies?.();
    this.stopFlushBeforeReplies = null;
    this.flush();
  };

  /** flushAppendOnlyFile: writes the buffer, fsyncs per the policy. */
  flush(): void {
    if (this.fd < 0) return;
    const pending = this.buf.w.pending;
    if (pending === 0) {
      this.maybeBackgroundFsync();
      return;
    }
    const chunks = this.buf.w.take();
    let written = 0;
    try {
      for (const c of chunks) {
        writeAllSync(this.fd, [c]);
        written += c.length;
      }
    } catch (e) {
      this.onWriteError(e, chunks, written);
      return;
    }
    if (!this.lastWriteOk) {
      this.log('warning', 'AOF write error looks solved, Redis can write again.');
      this.lastWriteOk = true;
      this.p.refreshDiskError();
    }
    this.currentSize += written;
    this.lastIncrSize += written;
    if (this.server.config.bool('no-appendfsync-on-rewrite') && this.p.hasActiveChild()) return;
    if (this.fsyncPolicy === 'always') {
      try {
        fdatasyncSync(this.fd);
      } catch (e) {
        this.log(
          'warning',
          `Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${strerror(e)}. Exiting...`,
        );
        process.exit(1);
      }
      this.fsyncOffset = this.currentSize;
      this.lastFsyncSec = nowSec();
    } else {
      this.maybeBackgroundFsync();
    }
  }

  private onWriteError(e: unknown, chunks: Buffer[], written: number): void {
    const now = nowSec();
    if (now - this.lastWriteErrorLog > 30) {
      this.lastWriteErrorLog = now;
      this.log('warning', `Error writing to the AOF file: ${strerror(e)}`);
    }
    this.lastWriteErrno = strerror(e);
    if (this.fsyncPolicy === 'always') {
      this.log(
        'warning',
        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
      );
      process.exit(1);
    }
    this.currentSize += written;
    this.lastIncrSize += written;
    // Keep what was not written for the next try.
    let skip = written;
    const rest: Buffer[] = [];
    for (const c of chunks) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      rest.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
    const again = this.buf.w.take();
    for (const c of rest) this.buf.w.raw(c);
    for (const c of again) this.buf.w.raw(c);
    this.lastWriteOk = false;
    this.p.refreshDiskError();
  }

  /** everysec: an fsync in the background (libuv's pool, as Redis's bio thread) about once a second. */
  private maybeBackgroundFsync(): void {
    if (this.fsyncPolicy !== 'everysec' || this.fd < 0) return;
    const now = nowSec();
    if (now <= this.lastFsyncSec || this.fsyncOffset === this.currentSize) return;
    if (this.fsyncInProgress > 0) return;
    this.fsyncInProgress++;
    const target = this.currentSize;
    fdatasync(this.fd, (e) => {
      this.fsyncInProgress--;
      if (e) this.log('warning', `Fail to fsync the AOF file: ${strerror(e)}`);
      else this.fsyncOffset = target;
    });
    this.lastFsyncSec = now;
  }
}

export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}
