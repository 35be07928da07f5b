/**
 * One full synchronization from our master, after +FULLRESYNC (Redis's readSyncBulkPayload): the
 * `$<len>` or `$EOF:<mark>` preamble, the RDB payload to a temp file or straight to the parser
 * (repl-diskless-load), then the load, the swap (swapdb) and the master's history as ours. Stream
 * bytes arriving meanwhile are kept for the link to apply once loaded.
 */
import { renameSync, unlinkSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { strerror } from '../lib/errno.js';
import { FileSink, fsyncDir } from '../persistence/file-sink.js';
import type { LoadStats, RdbLoad } from '../persistence/rdb-load.js';
import { Database } from '../store/database.js';
import { Backlog } from './backlog.js';
import type { Replication } from './replication.js';

const EOF_MARK_SIZE = 40;
const EMPTY = Buffer.alloc(0);
/** A diskless load stops reading the socket while this much payload waits to be parsed. */
const LOAD_HIGH_WATER = 16 * 1024 * 1024;

/** repl-diskless-load on-empty-db / swapdb: the RDB goes from the socket straight to the parser. */
interface DisklessLoad {
  load: RdbLoad;
  /** swapdb: the databases being loaded, swapped with the live ones on success; null: live dbs. */
  tempDbs: Database[] | null;
  /** Payload bytes handed to the parser. */
  fed: number;
}

/** What a full sync needs from the link it runs on. */
export interface SyncingLink {
  /** The link stopped for good (REPLICAOF NO ONE, another master, shutdown). */
  readonly closed: boolean;
  /** Why the link is down, in plain words. */
  lastError: string;
  log(level: 'notice' | 'warning', message: string): void;
  /** Drops the connection (logging message) and retries later. */
  fail(message: string | null): void;
  /** Stops reading from the master until `ready` settles. */
  pauseInputUntil(ready: Promise<void>): void;
  /** A load that may outlive the connection: no new sync starts before it ends. */
  trackLoad(task: Promise<void>): void;
  /** Loaded, connection still up: apply the stream, starting with what arrived meanwhile. */
  synced(eofMode: boolean, pending: Buffer[]): void;
}

export class FullSync {
  /** Payload size (-1 until the preamble; 0 with an EOF mark). */
  size = -1;
  /** Payload bytes received. */
  read = 0;
  /** The whole payload arrived (what follows is the command stream). */
  transferDone = false;
  /** The RDB is being loaded (the link sends keep-alive newlines meanwhile). */
  loading = false;
  /** The connection this sync started on is gone (the link tore it down). */
  private detached = false;
  private eofMark: string | null = null;
  /** EOF-mark transfers: the last bytes received, which may be the start of the end mark. */
  private held: Buffer = EMPTY;
  private preamble = '';
  private pendingStream: Buffer[] = [];
  /** Disk-based load: the payload goes to temp-<unix-time>.<pid>.rdb, loaded from there once complete. */
  private fileSink: FileSink | null = null;
  private tempFile = '';
  /** Diskless load (repl-diskless-load): the parser fed from the socket. */
  private diskless: DisklessLoad | null = null;
  /** A diskless load that parsed the whole RDB waits here for the end of the transfer. */
  private transferWaiter: (() => void) | null = null;

  constructor(
    private readonly repl: Replication,
    private readonly link: SyncingLink,
    /** The replication id and offset of +FULLRESYNC: ours once loaded. */
    private readonly replid: string,
    private readonly offset: number,
  ) {}

  /** Bytes from the master: payload, then stream kept for later. */
  onData(chunk: Buffer): void {
    if (this.transferDone) this.pendingStream.push(chunk);
    else this.receive(chunk);
  }

  /** The link's connection went away: a transfer cut short ends here (a load running may go on). */
  detach(): void {
    this.detached = true;
    this.held = EMPTY;
    this.pendingStream = [];
    this.loading = false;
    // The temp file goes, a diskless load fails (and cleans up after itself).
    this.fileSink?.abort();
    this.fileSink = null;
    this.diskless?.load.abort(new Error('connection with the master lost'));
    this.diskless = null;
    this.wakeTransferWaiter();
  }

  /** Redis's useDisklessLoad: repl-diskless-load swapdb, or on-empty-db with no key at all. */
  private useDisklessLoad(): boolean {
    const mode = this.repl.server.config.str('repl-diskless-load');
    return mode === 'swapdb' || (mode === 'on-empty-db' && this.repl.server.keyspace.keyCount === 0);
  }

  private receive(chunk: Buffer): void {
    let data = chunk;
    if (this.size < 0 && this.eofMark === null) {
      // The `$<len>` or `$EOF:<mark>` preamble, after optional keep-alive newlines.
      const combined = this.preamble + data.latin1Slice();
      let start = 0;
      while (start < combined.length && combined[start] === '\n') start++;
      const nl = combined.indexOf('\r\n', start);
      if (nl < 0) {
        this.preamble = combined.slice(start);
        return;
      }
      this.preamble = '';
      const line = combined.slice(start, nl);
      if (line[0] === '-') {
        this.link.lastError = `the master aborted the transfer: ${line.slice(1)}`;
        this.link.fail(`MASTER aborted replication with an error: ${line.slice(1)}`);
        return;
      }
      if (line[0] !== '$') {
        this.link.fail(
          `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`,
        );
        return;
      }
      const diskless = this.useDisklessLoad();
      const target = diskless ? 'to parser' : 'to disk';
      if (line.startsWith('$EOF:') && line.length === 5 + EOF_MARK_SIZE) {
        this.eofMark = line.slice(5);
        this.size = 0;
        this.link.log(
          'notice',
          `MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${target}`,
        );
      } else {
        this.size = Number(line.slice(1));
        this.link.log(
          'notice',
          `MASTER <-> REPLICA sync: receiving ${this.size} bytes from master ${target}`,
        );
      }
      if (!(diskless ? this.startDisklessLoad() : this.openTempFile())) return;
      data = Buffer.from(combined.slice(nl + 2), 'latin1');
    }
    if (this.eofMark !== null) {
      // The end mark may straddle reads: look for it in the held-back tail plus the new bytes (no
      // re-scanning of what arrived before, so a large transfer stays linear).
      const window = this.held.length > 0 ? Buffer.concat([this.held, data]) : data;
      const markAt = window.indexOf(this.eofMark, 0, 'latin1');
      if (markAt >= 0) {
        this.held = EMPTY;
        this.payload(window.subarray(0, markAt));
        this.transferComplete(window.subarray(markAt + EOF_MARK_SIZE));
        return;
      }
      const keep = Math.min(EOF_MARK_SIZE - 1, window.length);
      this.held = Buffer.from(window.subarray(window.length - keep));
      this.payload(window.subarray(0, window.length - keep));
      return;
    }
    const need = this.size - this.read;
    this.payload(data.subarray(0, need));
    if (this.read >= this.size) this.transferComplete(data.subarray(need));
  }

  /** Opens temp-<unix-time>.<pid>.rdb (Redis's name) for a disk-based load. */
  private openTempFile(): boolean {
    const persistence = this.repl.persistence;
    const name = `temp-${Math.floor(Date.now() / 1000)}.${process.pid}.rdb`;
    const path = resolvePath(persistence.dir, name);
    try {
      this.fileSink = new FileSink(path, null);
    } catch (e) {
      this.link.lastError = `cannot write the RDB received from the master in '${persistence.dir}': ${strerror(e)}`;
      this.link.fail(`Opening the temp file needed for MASTER <-> REPLICA synchronization: ${strerror(e)}`);
      return false;
    }
    this.tempFile = path;
    return true;
  }

  /** Bytes of the RDB payload: to the temp file or the parser, pausing the socket when they lag. */
  private payload(data: Buffer): void {
    if (data.length === 0) return;
    this.read += data.length;
    const sink = this.fileSink;
    if (sink !== null) {
      let more: boolean;
      try {
        more = sink.write([data]);
      } catch (e) {
        this.link.lastError = `writing the RDB received from the master failed: ${strerror(e)}`;
        this.link.fail(
          `Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: ${strerror(e)}`,
        );
        return;
      }
      if (!more) this.link.pauseInputUntil(sink.drain());
      return;
    }
    const dl = this.diskless;
    if (dl === null) return;
    dl.fed += data.length;
    dl.load.push(data);
    if (dl.load.buffered >= LOAD_HIGH_WATER) this.link.pauseInputUntil(dl.load.waitForRoom(LOAD_HIGH_WATER));
  }

  /** The whole RDB arrived; `rest` is the start of the command stream. */
  private transferComplete(rest: Buffer): void {
    this.transferDone = true;
    this.wakeTransferWaiter();
    if (rest.length > 0) this.pendingStream.push(Buffer.from(rest));
    const eofMode = this.eofMark !== null;
    if (this.diskless !== null) {
      this.diskless.load.endInput();
      return;
    }
    this.link.trackLoad(this.loadFromDisk(eofMode));
  }

  private wakeTransferWaiter(): void {
    const w = this.transferWaiter;
    this.transferWaiter = null;
    w?.();
  }

  /**
   * What Redis does before loading a master's RDB over our data: no background save may finish
   * after the load (it would overwrite the new file with old data), our replicas and backlog go
   * (they follow a history we leave), the old data is emptied, and no partial resync is possible
   * from what we held.
   */
  private prepareForLoad(flush: boolean): void {
    const server = this.repl.server;
    const persistence = this.repl.persistence;
    if (persistence.bgsaveInProgress) {
      this.link.log(
        'notice',
        `Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process ${process.pid} and removing its temp file to avoid any race`,
      );
      persistence.abortBgsave('replica about to load the RDB from its master');
    }
    // The AOF stops too (a rewrite running now would install the old data); it restarts with a
    // rewrite of the new data set once loaded.
    persistence.aof.stopForSync();
    const repl = this.repl;
    repl.master.abortSyncs();
    repl.master.disconnectReplicas();
    repl.backlog = null;
    repl.canPartialResync = false;
    if (flush) {
      this.link.log('notice', 'MASTER <-> REPLICA sync: Flushing old data');
      server.keyspace.flushAll();
    }
  }

  /** Disk-based load: fsync the temp file, load it chunk by chunk, then rename it over dbfilename. */
  private async loadFromDisk(eofMode: boolean): Promise<void> {
    const persistence = this.repl.persistence;
    const sink = this.fileSink;
    const temp = this.tempFile;
    if (sink === null) return;
    // The file is this load's now: a teardown from here on must not abort it under our feet.
    this.fileSink = null;
    this.loading = true;
    try {
      await sink.finish();
    } catch (e) {
      removeQuietly(temp);
      if (this.detached) return;
      this.link.lastError = `cannot write the RDB received from the master: ${strerror(e)}`;
      this.link.fail(
        `Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: ${strerror(e)}`,
      );
      return;
    }
    if (this.detached || this.link.closed) {
      removeQuietly(temp);
      return;
    }
    this.prepareForLoad(true);
    this.link.log('notice', 'MASTER <-> REPLICA sync: Loading DB in memory');
    let stats: LoadStats;
    try {
      stats = await persistence.loads.loadRdbFile(temp);
    } catch (e) {
      removeQuietly(temp);
      persistence.loads.reportLoadError(e);
      this.loadFailed(`Failed trying to load the MASTER synchronization DB from disk: ${loadReason(e)}`);
      return;
    }
    persistence.loads.finishRdbLoad(stats);
    // Like Redis, the replica keeps the master's snapshot as its own dump file; only a file that
    // loaded replaces the previous one.
    try {
      renameSync(temp, persistence.rdbPath);
      fsyncDir(persistence.rdbPath);
    } catch (e) {
      removeQuietly(temp);
      this.link.log(
        'warning',
        `Failed trying to rename the temp DB into ${persistence.rdbPath} in MASTER <-> REPLICA synchronization: ${strerror(e)}`,
      );
    }
    this.syncLoaded(eofMode);
  }

  /**
   * A load failed: the half-loaded data set must not be served (Redis empties it), and the link
   * starts over with a full sync.
   */
  private loadFailed(message: string): void {
    this.link.log('warning', message);
    this.link.log('notice', 'MASTER <-> REPLICA sync: Discarding the half-loaded data');
    this.repl.server.keyspace.flushAll();
    this.repl.canPartialResync = false;
    this.loading = false;
    if (this.detached) return;
    this.link.lastError =
      'the RDB received from the master could not be loaded (see the log); the data set was emptied';
    this.link.fail(null);
  }

  /** repl-diskless-load: parse the payload as it arrives, into the live dbs or (swapdb) temporary ones. */
  private startDisklessLoad(): boolean {
    const server = this.repl.server;
    const swapdb = server.config.str('repl-diskless-load') === 'swapdb';
    const ks = server.keyspace;
    let tempDbs: Database[] | null = null;
    if (swapdb) tempDbs = ks.dbs.map((db) => new Database(db.id, ks));
    else this.prepareForLoad(true);
    const load = this.repl.persistence.loads.loadRdbStream(tempDbs !== null ? { dbs: tempDbs } : {});
    const dl: DisklessLoad = { load, tempDbs, fed: 0 };
    this.diskless = dl;
    this.link.trackLoad(this.loadFromSocket(dl, this.eofMark !== null));
    return true;
  }

  private async loadFromSocket(dl: DisklessLoad, eofMode: boolean): Promise<void> {
    const server = this.repl.server;
    const persistence = this.repl.persistence;
    this.loading = true;
    this.link.log('notice', 'MASTER <-> REPLICA sync: Loading DB in memory');
    let stats: LoadStats;
    try {
      stats = await persistence.loads.withLoading(
        Math.max(0, this.size),
        () => dl.load.position,
        () => dl.load.run(),
      );
      // The parser reached the RDB's end: the payload must end there too (then comes the mark).
      if (!this.detached && !this.transferDone) {
        await new Promise<void>((resolve) => {
          this.transferWaiter = resolve;
        });
      }
      if (this.detached || this.diskless !== dl) throw new Error('connection with the master lost');
      if (dl.fed !== stats.end) throw new Error('Replication stream EOF marker is broken');
    } catch (e) {
      if (this.diskless === dl) this.diskless = null;
      if (!/connection with the master lost/.test((e as Error).message)) persistence.loads.reportLoadError(e);
      const message = `Failed trying to load the MASTER synchronization DB from socket: ${loadReason(e)}`;
      if (dl.tempDbs !== null) {
        // swapdb: our data never changed; only the temporary databases go.
        this.link.log('warning', message);
        this.link.log('notice', 'MASTER <-> REPLICA sync: Discarding temporary DB in background');
        this.loading = false;
        if (!this.detached) {
          this.link.lastError = 'the RDB received from the master could not be loaded (see the log)';
          this.link.fail(null);
        }
        return;
      }
      this.loadFailed(message);
      return;
    }
    if (this.diskless === dl) this.diskless = null;
    persistence.loads.finishRdbLoad(stats);
    if (dl.tempDbs !== null) {
      this.prepareForLoad(false);
      this.link.log('notice', 'MASTER <-> REPLICA sync: Swapping active DB with loaded DB');
      const live = server.keyspace.dbs;
      for (let i = 0; i < live.length; i++) {
        live[i].touchAll(dl.tempDbs[i]);
        live[i].swapWith(dl.tempDbs[i]);
      }
      this.link.log('notice', 'MASTER <-> REPLICA sync: Discarding old DB in background');
    }
    // Nothing was saved: the data set changed without a save (Redis's server.dirty++).
    server.dirty++;
    this.syncLoaded(eofMode);
  }

  /** The master's RDB is our data now: take its history, then (if the link is still up) its stream. */
  private syncLoaded(eofMode: boolean): void {
    const repl = this.repl;
    const server = this.repl.server;
    this.loading = false;
    if (this.link.closed) return;
    // Even if the link dropped meanwhile, the data is the master's at fullSyncOffset: PSYNC from there.
    repl.replid = this.replid;
    repl.replid2 = '0000000000000000000000000000000000000000';
    repl.secondReplOffset = -1;
    repl.offset = this.offset;
    repl.backlog = new Backlog(server.config.num('repl-backlog-size'), repl.offset);
    repl.canPartialResync = true;
    this.repl.persistence.aof.restartAfterSync();
    if (this.detached) return;
    const pending = this.pendingStream;
    this.pendingStream = [];
    this.link.synced(eofMode, pending);
  }
}

function removeQuietly(path: string): void {
  if (path === '') return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** Why a load failed, in one line. */
function loadReason(e: unknown): string {
  const err = e as Error & { detail?: string };
  return err.detail ?? err.message ?? String(e);
}
