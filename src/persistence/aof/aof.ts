/**
 * The Redis 7.0 multi-part append-only file: a directory (appenddirname) with a manifest, one base
 * file (an RDB when aof-use-rdb-preamble is yes, else commands) and incremental files of commands.
 * A rewrite takes a snapshot at time T (the fork-less engine) while every write after T goes to a
 * new incremental file; when the snapshot is on disk it becomes the new base and the older files
 * turn into history (deleted). Writes reach the file before the client gets its reply with
 * appendfsync always (write and fsync per command); with everysec/no they are written within the
 * same event-loop turn and everysec fsyncs in the background about once a second.
 */

import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import type { PropagatedOp } from '../../core/events.js';
import type { Host } from '../../core/host.js';
import { ReplTarget } from '../../core/scripting.js';
import { strerror } from '../../lib/errno.js';

import { aofEncoders } from '../encoders.js';
import { FileSink, writeAllSync } from '../file-sink.js';
import type { Persistence } from '../manager.js';
import { Snapshot, SnapshotRunner } from '../snapshot.js';
import { AofAppender, nowSec } from './appender.js';
import { AofFiles, fatal } from './files.js';
import { AofLoader } from './loader.js';
import { AofManifest } from './manifest.js';
import { RewriteBackoff } from './rewrite-backoff.js';

type AofState = 'off' | 'on' | 'wait_rewrite';

/** Result of loading one AOF file (loadSingleAppendOnlyFile). */

interface Rewrite {
  runner: SnapshotRunner;
  startedMs: number;
  tempPath: string;
}

export class Aof {
  state: AofState = 'off';
  private manifest = new AofManifest();
  private rewriteBaseSize = 0;
  private rewrite: Rewrite | null = null;
  rewriteScheduled = false;
  private rewrites = 0;
  /** Automatic rewrites back off after repeated failures (rewrite-backoff.ts). */
  private readonly backoff: RewriteBackoff;
  private lastRewriteOk = true;
  private lastRewriteTimeSec = -1;
  /** Set while the AOF is loading: the commands replayed must not be appended again. */
  private replaying = false;
  private readonly files: AofFiles;
  /** The incremental file being appended to. */
  private readonly out: AofAppender;

  constructor(
    private readonly server: Host,
    private readonly p: Persistence,
  ) {
    this.files = new AofFiles(server, () => p.dir);
    this.out = new AofAppender(server, p);
    this.backoff = new RewriteBackoff(server);
    server.events.onPropagate({
      feed: (ops) => this.feed(ops),
      active: () => this.accepting(),
      kind: ReplTarget.aof,
    });
    server.config.onApply('appendonly', () => this.onAppendonlyChanged());
  }

  /** Start-up: the manifest's files loaded (aof/loader.ts), appends go on after them. */
  async loadAtStartup(): Promise<void> {
    const loaded = await new AofLoader(this.server, this.p, this.files, (on) => (this.replaying = on)).load();
    this.manifest = loaded.manifest;
    this.out.currentSize = loaded.size;
    this.rewriteBaseSize = loaded.baseSize;
    this.out.fsyncOffset = loaded.size;
  }

  get rewriteInProgress(): boolean {
    return this.rewrite !== null;
  }

  rewriteSnapshot(): Snapshot | null {
    return this.rewrite?.runner.snapshot ?? null;
  }

  private log(level: 'notice' | 'warning' | 'verbose', message: string): void {
    this.server.log(level, message);
  }

  /** The -MISCONF text while AOF writes fail, or null. */
  writeError(): string | null {
    if (this.state === 'off' || this.out.lastWriteOk) return null;
    return `MISCONF Errors writing to the AOF file: ${this.out.lastWriteErrno}`;
  }

  // --- Appending (appender.ts) ---

  private feed(ops: readonly PropagatedOp[]): void {
    if (this.accepting()) this.out.append(ops);
  }

  /** flushAppendOnlyFile: writes the buffer, fsyncs per the policy. */
  flush(): void {
    this.out.flush();
  }

  /** Whether propagated writes go into the AOF now. */
  private accepting(): boolean {
    if (this.replaying || this.server.loading) return false;
    return !(this.state === 'off' || (this.state === 'wait_rewrite' && this.rewrite === null));
  }

  /** Server cron: pending writes (after an error), everysec fsync. */
  cron(): void {
    if (this.state !== 'off' && this.out.fd >= 0) this.flush();
  }

  /** Server cron, with no background job running: scheduled or automatic rewrites. */
  cronRewrite(): void {
    if (this.rewriteScheduled && !this.backoff.limited()) {
      this.startRewrite();
      return;
    }
    const perc = this.server.config.num('auto-aof-rewrite-percentage');
    const minSize = this.server.config.num('auto-aof-rewrite-min-size');
    if (this.state === 'on' && perc > 0 && this.out.currentSize > minSize) {
      const base = this.rewriteBaseSize > 0 ? this.rewriteBaseSize : 1;
      const growth = Math.floor((this.out.currentSize * 100) / base) - 100;
      if (growth >= perc && !this.backoff.limited()) {
        this.log('notice', `Starting automatic rewriting of AOF on ${growth}% growth`);
        this.startRewrite();
      }
    }
  }

  /** aofOpenIfNeededOnServerStart: a base for an empty start, the last incr file opened for appends. */
  openOnServerStart(): void {
    this.state = 'on';
    try {
      mkdirSync(this.files.dirPath, { recursive: true });
    } catch (e) {
      this.log(
        'warning',
        `Can't open or create append-only dir ${this.server.config.str('appenddirname')}: ${strerror(e)}`,
      );
      throw fatal('dir');
    }
    const m = this.manifest;
    const hadIncr = m.incr.length > 0;
    if (m.empty) {
      const base = m.newBase(this.files.fileName, this.server.config.bool('aof-use-rdb-preamble'));
      if (!this.rewriteSync(this.files.path(base))) throw fatal('base');
      this.log('notice', `Creating AOF base file ${base} on server start`);
    }
    const incr = m.lastIncr(this.files.fileName);
    try {
      this.out.fd = openSync(this.files.path(incr), 'a', 0o644);
    } catch (e) {
      this.log('warning', `Can't open the append-only file ${incr}: ${strerror(e)}`);
      throw fatal('open');
    }
    if (!this.files.persistManifest(m)) throw fatal('manifest');
    this.out.lastIncrSize = fileSizeOf(this.files.path(incr));
    if (!hadIncr || this.out.currentSize === 0) {
      this.out.currentSize =
        (m.base === null ? 0 : fileSizeOf(this.files.path(m.base.name))) + this.out.lastIncrSize;
      if (this.rewriteBaseSize === 0) this.rewriteBaseSize = this.out.currentSize;
      this.out.fsyncOffset = this.out.currentSize;
    }
    this.out.selectedDb = -1;
    this.log('notice', `${hadIncr ? 'Opening' : 'Creating'} AOF incr file ${incr} on server start`);
  }

  /** rewriteAppendOnlyFile: a synchronous snapshot into `path` (temp file, fsync, rename). */
  private rewriteSync(path: string): boolean {
    const tempName = `temp-rewriteaof-${process.pid}.aof`;
    const tempPath = join(this.p.dir, tempName);
    let fd: number;
    try {
      fd = openSync(tempPath, 'w', 0o644);
    } catch (e) {
      this.log('warning', `Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): ${strerror(e)}`);
      return false;
    }
    try {
      const snapshot = new Snapshot(this.server.keyspace.dbs, this.baseEncoders());
      while (!snapshot.step(Number.POSITIVE_INFINITY, 4096)) writeAllSync(fd, snapshot.take());
      writeAllSync(fd, snapshot.take());
      fdatasyncSync(fd);
      closeSync(fd);
      renameSync(tempPath, path);
    } catch (e) {
      this.log('warning', `Write error writing append only file on disk: ${strerror(e)}`);
      try {
        closeSync(fd);
      } catch {
        // Closed already.
      }
      removeQuietly(tempPath);
      return false;
    }
    // The base's #TS: line counts for the incr file too (writes of this second get none).
    if (this.server.config.bool('aof-timestamp-enabled')) this.out.lastTimestampSec = nowSec();
    return true;
  }

  private baseEncoders() {
    return this.server.config.bool('aof-use-rdb-preamble')
      ? this.p.rdbEncoders(true)
      : aofEncoders(this.p.functions.codes(), this.server.config.bool('aof-timestamp-enabled'));
  }

  // --- Rewrite ---

  /** BGREWRITEAOF: the status reply or an error. */
  rewriteCommand(inExec: boolean): { ok: string } | { err: string } {
    if (this.rewrite !== null)
      return { err: 'ERR Background append only file rewriting already in progress' };
    if (this.p.hasActiveChild() || inExec) {
      this.rewriteScheduled = true;
      this.backoff.consecutiveFailures = 0;
      return { ok: 'Background append only file rewriting scheduled' };
    }
    if (this.startRewrite()) return { ok: 'Background append only file rewriting started' };
    return {
      err: "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
    };
  }

  /** rewriteAppendOnlyFileBackground. */
  startRewrite(): boolean {
    if (this.p.hasActiveChild()) return false;
    try {
      mkdirSync(this.files.dirPath, { recursive: true });
    } catch (e) {
      this.log(
        'warning',
        `Can't open or create append-only dir ${this.server.config.str('appenddirname')}: ${strerror(e)}`,
      );
      this.lastRewriteOk = false;
      return false;
    }
    this.out.selectedDb = -1;
    this.flush();
    if (!this.openNewIncr()) {
      this.lastRewriteOk = false;
      return false;
    }
    this.rewrites++;
    const tempPath = join(this.p.dir, `temp-rewriteaof-bg-${process.pid}.aof`);
    let sink: FileSink;
    try {
      sink = new FileSink(join(this.p.dir, `temp-rewriteaof-${process.pid}.aof`), tempPath);
    } catch (e) {
      this.log('warning', `Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): ${strerror(e)}`);
      this.rewriteDone(false, Date.now(), tempPath);
      return true;
    }
    // The snapshot is taken now, at the same point the new incr file starts.
    const snapshot = new Snapshot(this.server.keyspace.dbs, this.baseEncoders());
    const runner = new SnapshotRunner(snapshot, sink, this.p.registry, this.p.runnerOptions());
    const job: Rewrite = { runner, startedMs: Date.now(), tempPath };
    this.rewrite = job;
    this.rewriteScheduled = false;
    this.log('notice', `Background append only file rewriting started by pid ${process.pid}`);
    void runner.done.then((outcome) => {
      if (this.rewrite !== job) return;
      this.rewrite = null;
      if (outcome.ok) {
        this.log(
          'notice',
          `Successfully created the temporary AOF base file temp-rewriteaof-bg-${process.pid}.aof`,
        );
      } else {
        this.log('warning', `Write error writing append only file on disk: ${strerror(outcome.error)}`);
      }
      this.rewriteDone(outcome.ok, job.startedMs, tempPath);
    });
    return true;
  }

  /** openNewIncrAofForAppend: writes from now on go to a new incremental file. */
  private openNewIncr(): boolean {
    if (this.state === 'off') return true;
    let name: string;
    let temp: AofManifest | null = null;
    if (this.state === 'wait_rewrite') {
      name = this.tempIncrName;
    } else {
      temp = this.manifest.copy();
      name = temp.newIncr(this.files.fileName);
    }
    let fd: number;
    try {
      fd = openSync(this.files.path(name), 'w', 0o644);
    } catch (e) {
      this.log('warning', `Can't open the append-only file ${name}: ${strerror(e)}`);
      return false;
    }
    if (temp !== null && !this.files.persistManifest(temp)) {
      closeSync(fd);
      return false;
    }
    this.log('notice', `Creating AOF incr file ${name} on background rewrite`);
    if (this.out.fd >= 0) {
      const old = this.out.fd;
      fdatasync(old, () => closeSync(old));
      this.out.fsyncOffset = this.out.currentSize;
      this.out.lastFsyncSec = nowSec();
    }
    this.out.fd = fd;
    this.out.lastIncrSize = 0;
    if (temp !== null) this.manifest = temp;
    return true;
  }

  private get tempIncrName(): string {
    return `temp-${this.files.fileName}.incr`;
  }

  /** backgroundRewriteDoneHandler. */
  private rewriteDone(ok: boolean, startedMs: number, tempPath: string): void {
    if (ok) ok = this.installRewrite(tempPath);
    else {
      this.log('warning', 'Background AOF rewrite terminated with error');
    }
    if (!ok) {
      this.lastRewriteOk = false;
      this.backoff.consecutiveFailures++;
    }
    removeQuietly(tempPath);
    if (this.state === 'wait_rewrite' && !ok) {
      this.out.buf.w.take();
      if (this.out.fd >= 0) {
        closeSync(this.out.fd);
        this.out.fd = -1;
      }
      this.log('notice', `Removing the temp incr aof file ${this.tempIncrName} in the background`);
      removeQuietly(this.files.path(this.tempIncrName));
      this.rewriteScheduled = true;
    }
    this.lastRewriteTimeSec = Math.floor((Date.now() - startedMs) / 1000);
    this.p.refreshDiskError();
  }

  private installRewrite(tempPath: string): boolean {
    this.log('notice', 'Background AOF rewrite terminated with success');
    const m = this.manifest.copy();
    const baseName = m.newBase(this.files.fileName, this.server.config.bool('aof-use-rdb-preamble'));
    const basePath = this.files.path(baseName);
    try {
      renameSync(tempPath, basePath);
    } catch (e) {
      this.log(
        'warning',
        `Error trying to rename the temporary AOF base file ${tempPath} into ${basePath}: ${strerror(e)}`,
      );
      return false;
    }
    this.log(
      'notice',
      `Successfully renamed the temporary AOF base file temp-rewriteaof-bg-${process.pid}.aof into ${baseName}`,
    );
    if (this.state === 'wait_rewrite') {
      const incrName = m.newIncr(this.files.fileName);
      try {
        renameSync(this.files.path(this.tempIncrName), this.files.path(incrName));
      } catch (e) {
        this.log(
          'warning',
          `Error trying to rename the temporary AOF incr file ${this.tempIncrName} into ${incrName}: ${strerror(e)}`,
        );
        removeQuietly(basePath);
        return false;
      }
      this.log(
        'notice',
        `Successfully renamed the temporary AOF incr file ${this.tempIncrName} into ${incrName}`,
      );
    }
    m.markRewrittenIncrAsHistory(this.out.fd >= 0);
    if (!this.files.persistManifest(m)) {
      removeQuietly(basePath);
      return false;
    }
    this.manifest = m;
    if (this.out.fd >= 0) {
      this.out.selectedDb = -1;
      this.out.currentSize = fileSizeOf(basePath) + this.out.lastIncrSize;
      this.rewriteBaseSize = this.out.currentSize;
      this.out.fsyncOffset = this.out.currentSize;
      this.out.lastFsyncSec = nowSec();
    }
    this.deleteHistory();
    this.lastRewriteOk = true;
    this.backoff.consecutiveFailures = 0;
    this.log('notice', 'Background AOF rewrite finished successfully');
    if (this.state === 'wait_rewrite') this.state = 'on';
    return true;
  }

  /** aofDelHistoryFiles (unless aof-disable-auto-gc). */
  private deleteHistory(): void {
    if (this.server.config.bool('aof-disable-auto-gc') || this.manifest.history.length === 0) return;
    for (const h of this.manifest.history) {
      this.log('notice', `Removing the history file ${h.name} in the background`);
      removeQuietly(this.files.path(h.name));
    }
    this.manifest.history = [];
    this.files.persistManifest(this.manifest);
  }

  /** Stops a running rewrite (appendonly turned off, shutdown). */
  private killRewrite(): void {
    const job = this.rewrite;
    if (job === null) return;
    this.log('notice', `Killing running AOF rewrite child: ${process.pid}`);
    this.rewrite = null;
    job.runner.abort(new Error('AOF rewrite killed'));
    removeQuietly(job.tempPath);
    if (this.state === 'wait_rewrite') removeQuietly(this.files.path(this.tempIncrName));
  }

  // --- appendonly at runtime, shutdown ---

  private onAppendonlyChanged(): string | null {
    const on = this.server.config.bool('appendonly');
    if (on && this.state === 'off')
      return this.startAppendOnly() ? null : 'Unable to turn on AOF. Check server logs.';
    if (!on && this.state !== 'off') this.stopAppendOnly();
    return null;
  }

  /** startAppendOnly: WAIT_REWRITE until a rewrite produced the first base. */
  private startAppendOnly(): boolean {
    this.state = 'wait_rewrite';
    if (this.p.bgsaveInProgress) {
      this.rewriteScheduled = true;
      this.log(
        'warning',
        'AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.',
      );
    } else {
      if (this.rewrite !== null) {
        this.log(
          'warning',
          'AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.',
        );
        this.killRewrite();
      }
      if (this.manifest.empty) this.manifest = this.loadManifestQuietly();
      if (!this.startRewrite()) {
        this.state = 'off';
        this.log(
          'warning',
          "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.",
        );
        return false;
      }
    }
    this.out.lastFsyncSec = nowSec();
    if (!this.out.lastWriteOk) {
      this.log('warning', 'AOF reopen, just ignore the last error.');
      this.out.lastWriteOk = true;
    }
    return true;
  }

  private loadManifestQuietly(): AofManifest {
    try {
      return this.files.loadManifest();
    } catch {
      return new AofManifest();
    }
  }

  private stopAppendOnly(): void {
    this.flush();
    if (this.out.fd >= 0) {
      try {
        fdatasyncSync(this.out.fd);
        this.out.fsyncOffset = this.out.currentSize;
      } catch (e) {
        this.log('warning', `Fail to fsync the AOF file: ${strerror(e)}`);
      }
      closeSync(this.out.fd);
    }
    this.out.fd = -1;
    this.out.selectedDb = -1;
    this.state = 'off';
    this.rewriteScheduled = false;
    this.out.lastIncrSize = 0;
    this.killRewrite();
    this.out.buf.w.take();
    this.p.refreshDiskError();
  }

  /**
   * A replica is about to load its master's RDB over its data: the AOF stops (Redis's
   * stopAppendOnly in readSyncBulkPayload), and restartAfterSync() writes the new data set as its
   * base. Returns whether it was on.
   */
  stopForSync(): boolean {
    if (this.state === 'off') return false;
    this.stopAppendOnly();
    return true;
  }

  /**
   * restartAOFAfterSYNC: after a full sync (or when a replica whose sync failed is promoted), an AOF
   * that is configured on but stopped starts again with a rewrite of the loaded data set.
   */
  restartAfterSync(): void {
    if (!this.server.config.bool('appendonly') || this.state !== 'off') return;
    if (!this.startAppendOnly()) {
      this.log(
        'warning',
        'Failed enabling the AOF after successful master synchronization! It will be tried again after the next synchronization.',
      );
    }
  }

  /** prepareForShutdown's share: stop a rewrite, write and fsync what is pending. */
  onShutdown(): void {
    if (this.rewrite !== null) {
      this.log('warning', 'There is a child rewriting the AOF. Killing it!');
      this.killRewrite();
    }
    if (this.state !== 'off' && this.out.fd >= 0) {
      this.flush();
      this.log('notice', 'Calling fsync() on the AOF file.');
      try {
        fdatasyncSync(this.out.fd);
      } catch (e) {
        this.log('warning', `Fail to fsync the AOF file: ${strerror(e)}`);
      }
    }
  }

  // --- INFO ---

  infoFields(): Array<[string, string | number]> {
    const r = this.rewrite;
    return [
      ['aof_enabled', this.state === 'off' ? 0 : 1],
      ['aof_rewrite_in_progress', r === null ? 0 : 1],
      ['aof_rewrite_scheduled', this.rewriteScheduled ? 1 : 0],
      ['aof_last_rewrite_time_sec', this.lastRewriteTimeSec],
      ['aof_current_rewrite_time_sec', r === null ? -1 : Math.floor((Date.now() - r.startedMs) / 1000)],
      ['aof_last_bgrewrite_status', this.lastRewriteOk ? 'ok' : 'err'],
      ['aof_rewrites', this.rewrites],
      ['aof_rewrites_consecutive_failures', this.backoff.consecutiveFailures],
      ['aof_last_write_status', this.out.lastWriteOk ? 'ok' : 'err'],
      ['aof_last_cow_size', 0],
    ];
  }

  /** The fields Redis adds when the AOF is on. */
  extraInfoFields(): Array<[string, string | number]> {
    if (this.state === 'off') return [];
    return [
      ['aof_current_size', this.out.currentSize],
      ['aof_base_size', this.rewriteBaseSize],
      ['aof_pending_rewrite', this.rewriteScheduled ? 1 : 0],
      ['aof_buffer_length', this.out.buf.w.pending],
      ['aof_pending_bio_fsync', this.out.fsyncInProgress],
      ['aof_delayed_fsync', this.out.delayedFsync],
    ];
  }
}

function fileSizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
