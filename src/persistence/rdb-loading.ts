/**
 * Loading RDB data (rdbLoad and friends): from a buffer, a file read in chunks, or a stream fed
 * by a replica link, with the server in LOADING state meanwhile, Redis's rules for expired keys
 * and LRU/LFU data, its log lines for failures, and the figures INFO reports.
 */
import { closeSync, fstatSync, openSync, read } from 'node:fs';
import type { Host } from '../core/host.js';
import { RdbError } from '../rdb/cursor.js';
import { RdbChecksumError } from '../rdb/reader.js';
import type { Database } from '../store/database.js';
import { LRU_CLOCK_MAX } from '../store/keyspace.js';
import type { Persistence } from './manager.js';
import { doneLoadingLine, LoadError, type LoadStats, type LoadTarget, RdbLoad } from './rdb-load.js';

/** Streaming file loads: bytes per read, and how far reads may run ahead of the parse. */
const FILE_CHUNK = 1024 * 1024;
const FILE_READ_AHEAD = 4 * 1024 * 1024;

/** How a load places keys (see loadTarget). */
export interface LoadOptions {
  aofPreamble?: boolean;
  allowDuplicates?: boolean;
  /** Each key dropped as expired (see LoadTarget.expired). */
  expired?: (dbId: number, key: string) => void;
  /** Databases to load into instead of the live ones (repl-diskless-load swapdb). */
  dbs?: readonly Database[];
}

export interface LoadingState {
  startedSec: number;
  totalBytes: number;
  loaded: () => number;
  rdbUsedMem: number;
}

export class RdbLoading {
  /** The load running (INFO loading_*), null when none. */
  state: LoadingState | null = null;
  /** AUX fields of the last RDB loaded (replication resumes from repl-id / repl-offset). */
  lastAux: ReadonlyMap<string, string> = new Map();
  lastKeysLoaded = 0;
  lastKeysExpired = 0;

  constructor(
    private readonly server: Host,
    private readonly p: Persistence,
  ) {}

  get loading(): boolean {
    return this.state !== null;
  }

  private log(level: 'notice' | 'warning' | 'verbose', message: string): void {
    this.server.log(level, message);
  }

  /** Where a load puts its keys, with Redis's rules for expiry and LRU/LFU data. */
  loadTarget(options: LoadOptions = {}): LoadTarget {
    const server = this.server;
    const ks = server.keyspace;
    const policy = String(server.config.get('maxmemory-policy') ?? 'noeviction');
    const lfu = policy.endsWith('-lfu');
    return {
      dbs: options.dbs ?? ks.dbs,
      limits: this.p.limits(),
      now: () => ks.clock.now(),
      dropExpired: !options.aofPreamble && server.roleName === 'master',
      stampFor: (idle, freq) => {
        if (lfu)
          return freq >= 0
            ? (((Math.floor(ks.clock.now() / 60000) & 0xffff) << 8) | freq) >>> 0
            : ks.newStamp;
        if (idle >= 0) {
          const abs = ks.lruClock - idle;
          return abs >= 0 ? abs : abs + LRU_CLOCK_MAX;
        }
        return ks.newStamp;
      },
      log: (level, message) => this.log(level, message),
      aux: (key, value) => {
        if (key === 'used-mem' && this.state !== null) this.state.rdbUsedMem = Number(value) || 0;
      },
      // DEBUG RELOAD MERGE keeps the libraries it does not replace (RDBFLAGS_ALLOW_DUP).
      functions: (codes) => this.p.functions.restore(codes, options.allowDuplicates ? 'replace' : 'flush'),
      heapFull: () => server.heapFull(),
      keyDelayUs: Math.max(0, Number(server.config.get('key-load-delay') ?? 0)),
      allowDuplicates: options.allowDuplicates,
      expired: options.expired,
    };
  }

  loadRdbBuffer(buf: Buffer, options: LoadOptions = {}): RdbLoad {
    return new RdbLoad(buf, this.loadTarget(options), this.server.config.bool('rdbchecksum'));
  }

  /** A streaming RDB load, fed with push() / endInput() (a replica loading from its master's socket). */
  loadRdbStream(options: LoadOptions = {}): RdbLoad {
    return new RdbLoad(null, this.loadTarget(options), this.server.config.bool('rdbchecksum'));
  }

  /**
   * Loads an RDB file read in chunks as the load consumes them (the file is never held whole in
   * memory), with the server LOADING meanwhile. Throws what the load throws (RdbError, LoadError)
   * or the I/O error.
   */
  async loadRdbFile(path: string, options: LoadOptions = {}): Promise<LoadStats> {
    // Opened synchronously: LOADING is set before the event loop runs again, so no client is
    // served from a data set that is not loaded yet.
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const load = this.loadRdbStream(options);
      const feed = (async () => {
        let pos = 0;
        for (;;) {
          await load.waitForRoom(FILE_READ_AHEAD);
          if (load.closed) return;
          const chunk = Buffer.allocUnsafe(FILE_CHUNK);
          const bytesRead = await readAt(fd, chunk, pos);
          if (bytesRead === 0) {
            load.endInput();
            return;
          }
          pos += bytesRead;
          load.push(bytesRead === FILE_CHUNK ? chunk : chunk.subarray(0, bytesRead));
        }
      })();
      feed.catch((e: Error) => load.abort(e));
      try {
        const stats = await this.withLoading(
          size,
          () => load.position,
          () => load.run(),
        );
        await feed;
        return stats;
      } catch (e) {
        load.abort(e as Error);
        await feed.catch(() => {});
        throw e;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Runs a load with the server in LOADING state (asynchronous: clients get -LOADING meanwhile). */
  async withLoading<T>(totalBytes: number, loaded: () => number, work: () => Promise<T>): Promise<T> {
    const ks = this.server.keyspace;
    const mode = ks.expireMode;
    this.state = { startedSec: Math.floor(Date.now() / 1000), totalBytes, loaded, rdbUsedMem: 0 };
    this.server.loading = true;
    ks.expireMode = 'ignore';
    try {
      return await work();
    } finally {
      ks.expireMode = mode;
      this.server.loading = false;
      this.state = null;
    }
  }

  /** After a successful RDB load: Redis's closing line and the INFO figures. */
  finishRdbLoad(stats: LoadStats): void {
    this.log('notice', doneLoadingLine(stats));
    this.lastAux = stats.aux;
    this.lastKeysLoaded = stats.keysLoaded;
    this.lastKeysExpired = stats.keysExpired;
  }

  /** Logs a load failure the way Redis words it. */
  reportLoadError(e: unknown): void {
    if (e instanceof RdbChecksumError) {
      this.log(
        'warning',
        `Wrong RDB checksum expected: (${e.computed.toString(16)}) but got (${e.stored.toString(16)}). Aborting now.`,
      );
      this.log('warning', `Internal error in RDB reading offset ${e.offset} -> RDB CRC error`);
    } else if (e instanceof RdbError) {
      if (e.offset === 0 && /signature/.test(e.detail)) {
        this.log('warning', e.detail);
        return;
      }
      if (/Unexpected EOF/.test(e.detail)) {
        this.log('warning', 'Short read or OOM loading DB. Unrecoverable error, aborting now.');
      }
      this.log('warning', `Internal error in RDB reading offset ${e.offset} -> ${e.detail}`);
    } else if (e instanceof LoadError) {
      this.log('warning', e.message);
    } else {
      this.log('warning', `Error loading the DB: ${(e as Error).message ?? e}`);
    }
  }
}

/** Reads up to chunk.length bytes at pos (on the thread pool); resolves with the count read. */
function readAt(fd: number, chunk: Buffer, pos: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, chunk, 0, chunk.length, pos, (e, n) => (e === null ? resolve(n) : reject(e)));
  });
}
