/**
 * Persistence as the server sees it: RDB snapshots (SAVE, BGSAVE, save points, shutdown and
 * FLUSHALL saves, DEBUG RELOAD), loading at start-up, the AOF (aof/aof.ts), INFO persistence, and
 * the copy-on-write hooks that keep background snapshots consistent. The same snapshot engine is
 * available to replication (startSnapshot) for full syncs to disk or straight to sockets.
 */
import { closeSync, fsyncSync, openSync, readFileSync, readSync, renameSync, unlinkSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CommandInfo } from '../core/command.js';
import type {
  CommandContext,
  FunctionLibraryStore,
  PersistenceControl,
  ShutdownOptions,
} from '../core/context.js';
import type { Host, ReplicationForPersistence } from '../core/host.js';
import { commandKeys } from '../core/key-specs.js';
import { strerror } from '../lib/errno.js';
import { REDIS_VERSION } from '../lib/version.js';
import { type AccessInfo, type CodecLimits, limitsFrom } from '../rdb/value-codec.js';
import { Aof } from './aof/aof.js';
import { rdbEncoders } from './encoders.js';
import { FileSink, fsyncDir, writeAllSync } from './file-sink.js';
import { FatalLoadError, type LoadStats } from './rdb-load.js';
import { RdbLoading } from './rdb-loading.js';
import {
  type ChunkSink,
  type EncoderFactory,
  Snapshot,
  SnapshotRegistry,
  SnapshotRunner,
} from './snapshot.js';

export { FatalLoadError };

export const MISCONF_RDB =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/** CONFIG_BGSAVE_RETRY_DELAY: seconds before a failed background save is retried by save points. */
const BGSAVE_RETRY_DELAY = 5;
/** Keys serialized between writes to the file in a synchronous save. */
const SYNC_SAVE_BATCH = 4096;

interface BackgroundSave {
  runner: SnapshotRunner;
  startedMs: number;
  dirtyAtStart: number;
}

export interface SnapshotRequest {
  sink: ChunkSink;
  /** AUX fields after redis-ver … used-mem (e.g. repl-stream-db, repl-id, repl-offset), before aof-base. */
  replAux?: ReadonlyArray<readonly [string, string]>;
  /** Custom encoder (default: RDB with the server's settings). */
  encoders?: EncoderFactory;
}

/** Until connected: no libraries, and none can be loaded. */
const NO_FUNCTIONS: FunctionLibraryStore = {
  codes: () => [],
  restore: (codes) => (codes.length === 0 ? null : 'Functions are not available'),
};

export class Persistence implements PersistenceControl {
  readonly registry: SnapshotRegistry;
  readonly aof: Aof;
  /** The Functions libraries: saved as FUNCTION2 records, loaded back (see connectFunctions). */
  functions: FunctionLibraryStore = NO_FUNCTIONS;
  /**
   * Set by the replication code: the repl-stream-db / repl-id / repl-offset AUX fields Redis saves
   * when it has a replication backlog (null: not saved, as on a server without replicas).
   */
  private replication: ReplicationForPersistence | null = null;
  /** The AUX fields of the RDB loaded at start-up (none after an AOF start): replication resumes from them. */
  startupAux: ReadonlyMap<string, string> = new Map();
  /** Told when a BGSAVE ends (true on success): replication waits on disk snapshots. */
  readonly bgsaveListeners: Array<(ok: boolean) => void> = [];
  /** -MISCONF text while writes are refused (stop-writes-on-bgsave-error, AOF write errors). */
  diskError: string | null = null;
  bgsaveScheduled = false;
  private lastSaveSec: number;
  private lastBgsaveOk = true;
  private lastBgsaveTrySec = 0;
  private lastBgsaveTimeSec = -1;
  private rdbSaves = 0;
  private bgsave: BackgroundSave | null = null;
  /** RDB loads: LOADING state, where keys go, the last load's figures (rdb-loading.ts). */
  readonly loads: RdbLoading;

  constructor(private readonly server: Host) {
    this.lastSaveSec = Math.floor(Date.now() / 1000);
    // Only while background snapshots run does each write command stop by copyOnWrite.
    let stopCopying: (() => void) | null = null;
    this.registry = new SnapshotRegistry(server.keyspace.dbs, (on) => {
      stopCopying?.();
      stopCopying = on ? server.events.beforeWrite.on(this.copyOnWrite) : null;
    });
    this.loads = new RdbLoading(server, this);
    this.aof = new Aof(server, this);
    server.events.onShutdown('persistence', (o) => this.onShutdown(o));
    server.events.cron.on(() => this.cron());
    server.events.flushAll.on(() => this.afterFlushAll());
    const c = server.config;
    c.watch('save', () => this.refreshDiskError());
    c.watch('stop-writes-on-bgsave-error', () => this.refreshDiskError());
  }

  // --- Paths and settings ---

  get dir(): string {
    return this.server.config.str('dir');
  }

  get rdbPath(): string {
    return resolvePath(this.dir, this.server.config.str('dbfilename'));
  }

  get savePoints(): Array<[number, number]> {
    return (this.server.config.get('save') as Array<[number, number]> | undefined) ?? [];
  }

  limits(): CodecLimits {
    return limitsFrom(this.server.config);
  }

  log(level: 'notice' | 'warning' | 'verbose', message: string): void {
    this.server.log(level, message);
  }

  /** LRU idle time or LFU counter saved with each key, following maxmemory-policy. */
  private accessInfo(): ((stamp: number) => AccessInfo) | null {
    const policy = String(this.server.config.get('maxmemory-policy') ?? 'noeviction');
    const ks = this.server.keyspace;
    if (policy.endsWith('-lfu')) return (stamp) => ({ kind: 'freq', value: ks.lfuCounter(stamp) });
    if (policy.endsWith('-lru'))
      return (stamp) => ({ kind: 'idle', value: Math.floor(ks.idleMs(stamp) / 1000) });
    return null;
  }

  /** The AUX fields Redis 7.0 writes, in its order. */
  auxFields(aofBase: boolean, replAux?: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
    const aux: Array<[string, string]> = [
      ['redis-ver', REDIS_VERSION],
      ['redis-bits', '64'],
      ['ctime', String(Math.floor(Date.now() / 1000))],
      ['used-mem', String(this.server.usedMemory())],
    ];
    const repl = replAux ?? this.replication?.rdbAux() ?? [];
    for (const [k, v] of repl) aux.push([k, v]);
    aux.push(['aof-base', aofBase ? '1' : '0']);
    return aux;
  }

  /** An RDB encoder with the server's settings. */
  rdbEncoders(aofBase = false, replAux?: ReadonlyArray<readonly [string, string]>): EncoderFactory {
    const c = this.server.config;
    return rdbEncoders({
      compress: c.bool('rdbcompression'),
      checksum: c.bool('rdbchecksum'),
      aux: this.auxFields(aofBase, replAux),
      functions: this.functions.codes(),
      limits: this.limits(),
      access: this.accessInfo(),
    });
  }

  // --- Snapshots for others (replication) ---

  /**
   * Starts a point-in-time snapshot written to `sink` in the background (a full sync to disk or to
   * replica sockets). The dataset is the one at this call; writes go on meanwhile.
   */
  startSnapshot(request: SnapshotRequest): SnapshotRunner {
    const encoders = request.encoders ?? this.rdbEncoders(false, request.replAux);
    const snapshot = new Snapshot(this.server.keyspace.dbs, encoders);
    return new SnapshotRunner(snapshot, request.sink, this.registry, this.runnerOptions());
  }

  runnerOptions(): { sliceMs: number; keyDelayUs: number } {
    const delay = Number(this.server.config.get('rdb-key-save-delay') ?? 0);
    return { sliceMs: 1, keyDelayUs: Math.max(0, delay) };
  }

  /** Before a write command runs while snapshots are in progress: save the keys' old values. */
  private readonly copyOnWrite = (c: CommandContext, cmd: CommandInfo, argv: string[]): void => {
    const db = c.db;
    for (const k of commandKeys(cmd.name, cmd.keySpecs, argv)) this.registry.beforeWrite(db, argv[k.pos]);
    // Keys of another db: MOVE's target, COPY … DB's destination.
    if (cmd.name === 'move' && argv.length === 3) {
      const target = this.server.keyspace.dbs[Number(argv[2])];
      if (target !== undefined && /^\d+$/.test(argv[2])) this.registry.beforeWrite(target, argv[1]);
    } else if (cmd.name === 'copy') {
      for (let i = 3; i + 1 < argv.length; i++) {
        if (argv[i].toLowerCase() !== 'db') continue;
        const target = this.server.keyspace.dbs[Number(argv[i + 1])];
        if (target !== undefined && /^\d+$/.test(argv[i + 1])) this.registry.beforeWrite(target, argv[2]);
      }
    }
  };

  // --- Child-like jobs (one at a time, as Redis's fork children) ---

  get bgsaveInProgress(): boolean {
    return this.bgsave !== null;
  }

  /** A BGSAVE or an AOF rewrite is running (Redis's hasActiveChildProcess). */
  hasActiveChild(): boolean {
    return this.bgsave !== null || this.aof.rewriteInProgress;
  }

  // --- SAVE ---

  /** rdbSave: a synchronous save to the RDB file. Logs and returns false on failure. */
  saveSync(path = this.rdbPath): boolean {
    const tempName = `temp-${process.pid}.rdb`;
    const tempPath = join(this.dir, tempName);
    let fd: number;
    try {
      fd = openSync(tempPath, 'w', 0o644);
    } catch (e) {
      this.log(
        'warning',
        `Failed opening the temp RDB file ${tempName} (in server root dir ${this.dir}) for saving: ${strerror(e)}`,
      );
      return false;
    }
    try {
      const snapshot = new Snapshot(this.server.keyspace.dbs, this.rdbEncoders());
      while (!snapshot.step(Number.POSITIVE_INFINITY, SYNC_SAVE_BATCH)) writeAllSync(fd, snapshot.take());
      writeAllSync(fd, snapshot.take());
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      removeQuietly(tempPath);
      this.log('warning', `Write error saving DB on disk: ${strerror(e)}`);
      return false;
    }
    closeSync(fd);
    try {
      renameSync(tempPath, path);
    } catch (e) {
      this.log(
        'warning',
        `Error moving temp DB file ${tempName} on the final destination ${path} (in server root dir ${this.dir}): ${strerror(e)}`,
      );
      removeQuietly(tempPath);
      return false;
    }
    fsyncDir(path);
    this.log('notice', 'DB saved on disk');
    this.server.dirty = 0;
    this.lastSaveSec = Math.floor(Date.now() / 1000);
    this.lastBgsaveOk = true;
    this.refreshDiskError();
    return true;
  }

  /** SAVE: null on success, or the error reply. */
  saveCommand(): string | null {
    if (this.bgsave !== null) return 'ERR Background save already in progress';
    this.rdbSaves++;
    return this.saveSync() ? null : 'ERR';
  }

  // --- BGSAVE ---

  /** rdbSaveBackground: starts a background save; false if another job is running. */
  startBgsave(): boolean {
    if (this.hasActiveChild()) return false;
    const server = this.server;
    const startedMs = Date.now();
    this.lastBgsaveTrySec = Math.floor(startedMs / 1000);
    this.rdbSaves++;
    this.bgsaveScheduled = false;
    // Not SAVE's name: a SAVE right after an aborted BGSAVE must not share its file.
    const tempName = `temp-bgsave-${process.pid}.rdb`;
    let sink: FileSink;
    try {
      sink = new FileSink(join(this.dir, tempName), this.rdbPath);
    } catch (e) {
      this.log('notice', `Background saving started by pid ${process.pid}`);
      this.log(
        'warning',
        `Failed opening the temp RDB file ${tempName} (in server root dir ${this.dir}) for saving: ${strerror(e)}`,
      );
      this.bgsaveFinished(false, startedMs, 'Background saving error');
      return true;
    }
    const snapshot = new Snapshot(server.keyspace.dbs, this.rdbEncoders());
    const runner = new SnapshotRunner(snapshot, sink, this.registry, this.runnerOptions());
    const job: BackgroundSave = { runner, startedMs, dirtyAtStart: server.dirty };
    this.bgsave = job;
    this.log('notice', `Background saving started by pid ${process.pid}`);
    void runner.done.then((outcome) => {
      if (this.bgsave !== job) return;
      this.bgsave = null;
      if (outcome.ok) {
        this.log('notice', 'DB saved on disk');
        this.server.dirty -= job.dirtyAtStart;
        this.lastSaveSec = Math.floor(Date.now() / 1000);
        this.bgsaveFinished(true, startedMs, 'Background saving terminated with success');
      } else {
        this.log('warning', `Write error saving DB on disk: ${strerror(outcome.error)}`);
        this.bgsaveFinished(false, startedMs, 'Background saving error');
      }
    });
    return true;
  }

  private bgsaveFinished(ok: boolean, startedMs: number, line: string): void {
    this.lastBgsaveOk = ok;
    this.lastBgsaveTimeSec = Math.floor((Date.now() - startedMs) / 1000);
    this.log(ok ? 'notice' : 'warning', line);
    this.refreshDiskError();
    for (const fn of this.bgsaveListeners) fn(ok);
  }

  /** Stops a running BGSAVE (FLUSHALL, shutdown): the temp file is removed, the status untouched. */
  abortBgsave(reason: string): void {
    const job = this.bgsave;
    if (job === null) return;
    this.bgsave = null;
    job.runner.abort(new Error(reason));
    this.log('warning', `Background saving terminated: ${reason}`);
    for (const fn of this.bgsaveListeners) fn(false);
  }

  /** BGSAVE [SCHEDULE]: the reply (status text) or an error. */
  rewriteAofCommand(inExec: boolean): { ok: string } | { err: string } {
    return this.aof.rewriteCommand(inExec);
  }

  bgsaveCommand(schedule: boolean, inExec: boolean): { ok: string } | { err: string } {
    if (this.bgsave !== null) return { err: 'ERR Background save already in progress' };
    if (this.hasActiveChild() || inExec) {
      if (schedule || inExec) {
        this.bgsaveScheduled = true;
        return { ok: 'Background saving scheduled' };
      }
      return {
        err: "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
      };
    }
    this.startBgsave();
    return { ok: 'Background saving started' };
  }

  // --- Write refusal (MISCONF) ---

  refreshDiskError(): void {
    const c = this.server.config;
    if (c.bool('stop-writes-on-bgsave-error') && this.savePoints.length > 0 && !this.lastBgsaveOk) {
      this.diskError = MISCONF_RDB;
    } else {
      this.diskError = this.aof.writeError();
    }
  }

  // --- Periodic work ---

  /** From the server cron: save points, scheduled jobs, AOF flush/fsync/auto-rewrite. */
  cron(): void {
    if (this.server.loading) return;
    this.aof.cron();
    const nowSec = Math.floor(Date.now() / 1000);
    if (!this.hasActiveChild()) {
      this.checkSavePoints(nowSec);
      if (!this.hasActiveChild()) this.aof.cronRewrite();
      const retryOk = nowSec - this.lastBgsaveTrySec > BGSAVE_RETRY_DELAY || this.lastBgsaveOk;
      if (!this.hasActiveChild() && this.bgsaveScheduled && retryOk) this.startBgsave();
    }
  }

  private checkSavePoints(nowSec: number): void {
    const dirty = this.server.dirty;
    for (const [seconds, changes] of this.savePoints) {
      if (
        dirty >= changes &&
        nowSec - this.lastSaveSec > seconds &&
        (nowSec - this.lastBgsaveTrySec > BGSAVE_RETRY_DELAY || this.lastBgsaveOk)
      ) {
        this.log('notice', `${changes} changes in ${seconds} seconds. Saving...`);
        this.startBgsave();
        return;
      }
    }
  }

  // --- FLUSHALL, SHUTDOWN, DEBUG RELOAD ---

  /** After FLUSHALL (flushAllDataAndResetRDB): abort a BGSAVE, save the empty dataset if save points exist. */
  afterFlushAll(): void {
    this.abortBgsave('FLUSHALL');
    // The save resets the dirty counter; without save points FLUSHALL counts only the keys removed.
    if (this.savePoints.length > 0) this.saveSync();
  }

  private async onShutdown(o: ShutdownOptions): Promise<boolean> {
    if (this.bgsave !== null) {
      this.log('warning', 'There is a child saving an .rdb. Killing it!');
      this.abortBgsave('shutdown');
    }
    this.aof.onShutdown();
    const save = o.save === true || (o.save === null && this.savePoints.length > 0);
    if (save) {
      this.log('notice', 'Saving the final RDB snapshot before exiting.');
      if (!this.saveSync()) {
        if (o.force) {
          this.log('warning', 'Error trying to save the DB. Exit anyway.');
        } else {
          this.log('warning', "Error trying to save the DB, can't exit.");
          return false;
        }
      }
    }
    return true;
  }

  /** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: null on success, or the error reply. */
  debugReload(args: readonly string[]): string | null {
    let flush = true;
    let save = true;
    let merge = false;
    for (const opt of args) {
      const o = opt.toLowerCase();
      if (o === 'merge') merge = true;
      else if (o === 'noflush') flush = false;
      else if (o === 'nosave') save = false;
      else return 'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.';
    }
    if (save && !this.saveSync()) return 'ERR';
    if (flush) {
      for (const db of this.server.keyspace.dbs) {
        db.touchAll();
        db.clear();
      }
    }
    try {
      const buf = readFileSync(this.rdbPath);
      this.loads.loadRdbBuffer(buf, { allowDuplicates: merge }).runSync();
    } catch (e) {
      this.loads.reportLoadError(e);
      return 'ERR Error trying to load the RDB dump, check server logs.';
    }
    this.log('warning', 'DB reloaded by DEBUG RELOAD');
    return null;
  }

  // --- Loading (rdb-loading.ts does the loading itself) ---

  get loading(): boolean {
    return this.loads.loading;
  }

  /** Connects the Functions libraries (the composition root does, once scripting exists). */
  connectFunctions(functions: FunctionLibraryStore): void {
    this.functions = functions;
  }

  /** Connects replication (the composition root does, once both exist). */
  connectReplication(replication: ReplicationForPersistence): void {
    this.replication = replication;
  }

  /**
   * Start-up (loadDataFromDisk): the AOF when appendonly is on, else the RDB file. Logs as Redis
   * does; throws FatalLoadError (after logging) when the server must not start.
   */
  async loadDataFromDisk(): Promise<void> {
    const started = performance.now();
    if (this.server.config.bool('appendonly')) {
      await this.aof.loadAtStartup();
      this.aof.openOnServerStart();
      return;
    }
    const path = this.rdbPath;
    // The header is checked first (a bad one is refused as Redis's rdbLoad does, before LOADING);
    // the file is then streamed: reads overlap the parse and it is never held whole in memory.
    let header: Buffer;
    try {
      header = readHeader(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.log('warning', `Fatal error loading the DB: ${strerror(e)}. Exiting.`);
      throw new FatalLoadError(strerror(e));
    }
    try {
      this.loads.loadRdbBuffer(header);
    } catch (e) {
      this.loads.reportLoadError(e);
      this.log('warning', 'Fatal error loading the DB: Invalid argument. Exiting.');
      throw new FatalLoadError('bad signature');
    }
    let stats: LoadStats;
    try {
      const expired = this.replication?.startupLoadFeed() ?? undefined;
      stats = await this.loads.loadRdbFile(path, { expired });
    } catch (e) {
      this.loads.reportLoadError(e);
      this.log('warning', 'Terminating server after rdb file reading failure.');
      throw new FatalLoadError((e as Error).message);
    }
    this.loads.finishRdbLoad(stats);
    this.startupAux = stats.aux;
    this.log('notice', `DB loaded from disk: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
  }

  // --- INFO, LASTSAVE, DEBUG OBJECT ---

  lastSaveTime(): number {
    return this.lastSaveSec;
  }

  infoFields(): Array<[string, string | number]> {
    const nowMs = Date.now();
    const bg = this.bgsave;
    const snap = bg?.runner.snapshot ?? this.aof.rewriteSnapshot();
    const aof = this.aof;
    const fields: Array<[string, string | number]> = [
      ['loading', this.loads.loading ? 1 : 0],
      ['async_loading', 0],
      ['current_cow_peak', 0],
      ['current_cow_size', 0],
      ['current_cow_size_age', 0],
      [
        'current_fork_perc',
        snap === null || snap.keysTotal === 0
          ? '0.00'
          : ((snap.keysProcessed * 100) / snap.keysTotal).toFixed(2),
      ],
      ['current_save_keys_processed', snap?.keysProcessed ?? 0],
      ['current_save_keys_total', snap?.keysTotal ?? 0],
      ['rdb_changes_since_last_save', this.server.dirty],
      ['rdb_bgsave_in_progress', bg === null ? 0 : 1],
      ['rdb_last_save_time', this.lastSaveSec],
      ['rdb_last_bgsave_status', this.lastBgsaveOk ? 'ok' : 'err'],
      ['rdb_last_bgsave_time_sec', this.lastBgsaveTimeSec],
      ['rdb_current_bgsave_time_sec', bg === null ? -1 : Math.floor((nowMs - bg.startedMs) / 1000)],
      ['rdb_saves', this.rdbSaves],
      ['rdb_last_cow_size', 0],
      ['rdb_last_load_keys_expired', this.loads.lastKeysExpired],
      ['rdb_last_load_keys_loaded', this.loads.lastKeysLoaded],
      ...aof.infoFields(),
      ['module_fork_in_progress', 0],
      ['module_fork_last_cow_size', 0],
    ];
    fields.push(...aof.extraInfoFields());
    const l = this.loads.state;
    if (l !== null) {
      const loaded = l.loaded();
      const elapsed = Math.floor(nowMs / 1000) - l.startedSec;
      const eta =
        elapsed === 0 || loaded === 0 ? 1 : Math.floor((elapsed * (l.totalBytes - loaded)) / loaded);
      fields.push(
        ['loading_start_time', l.startedSec],
        ['loading_total_bytes', l.totalBytes],
        ['loading_rdb_used_mem', l.rdbUsedMem],
        ['loading_loaded_bytes', loaded],
        ['loading_loaded_perc', l.totalBytes === 0 ? '0.00' : ((loaded * 100) / l.totalBytes).toFixed(2)],
        ['loading_eta_seconds', eta],
      );
    }
    return fields;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** The first 9 bytes of an RDB file (signature and version; fewer when the file is shorter). */
function readHeader(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(9);
    return header.subarray(0, readSync(fd, header, 0, 9, 0));
  } finally {
    closeSync(fd);
  }
}
