/**
 * Loading an RDB file (or an AOF base, or a DEBUG RELOAD) into the databases, in slices so the
 * server keeps answering (LOADING) while a large file loads. Logs what Redis 7.0 logs while
 * reading the AUX fields; a corrupt or unsupported file is an error, never a partial silent load.
 */
import { performance } from 'node:perf_hooks';
import { RdbError } from '../rdb/cursor.js';
import { type RdbEntry, RdbParser } from '../rdb/reader.js';
import { BadValueError, type CodecLimits, toStoreValue } from '../rdb/value-codec.js';
import type { Database } from '../store/database.js';
import type { Value } from '../store/values.js';

export interface LoadTarget {
  dbs: readonly Database[];
  limits: CodecLimits;
  /** Unix time in ms used to decide which keys already expired. */
  now(): number;
  /** A master drops keys that expired; a replica or an AOF base keeps them (the DELs follow). */
  dropExpired: boolean;
  /** Each key dropped as expired (a master's start-up load feeds their DELs to its backlog). */
  expired?(dbId: number, key: string): void;
  /** The access stamp of a loaded key, from its saved LRU idle time or LFU counter (-1: none). */
  stampFor(idleSeconds: number, freq: number): number;
  log(level: 'notice' | 'warning' | 'verbose', message: string): void;
  /** Every AUX field as it is read. */
  aux?(key: string, value: string): void;
  /**
   * The FUNCTION2 libraries (their code), once the whole file was read: they take the place of the
   * loaded ones. Returns the error text when one cannot be loaded.
   */
  functions(codes: string[]): string | null;
  /** Between slices: the error to stop with when the heap has no room left (null: go on). */
  heapFull?(): string | null;
  /** key-load-delay: microseconds per key (tests use it to make loading slow). */
  keyDelayUs?: number;
  /** DEBUG RELOAD MERGE: a key already present is replaced instead of failing the load. */
  allowDuplicates?: boolean;
}

export interface LoadStats {
  keysLoaded: number;
  keysExpired: number;
  emptyKeysSkipped: number;
  /** AUX fields as read (repl-id, repl-offset, repl-stream-db … for replication). */
  aux: Map<string, string>;
  /** Byte offset just past the RDB (an old-style AOF continues with commands there). */
  end: number;
}

/** A load that cannot go on: the message is what gets logged. */
export class LoadError extends Error {}

/** Start-up could not load the dataset: the process must exit with status 1 (logged already). */
export class FatalLoadError extends Error {}

export class RdbLoad {
  readonly stats: LoadStats = { keysLoaded: 0, keysExpired: 0, emptyKeysSkipped: 0, aux: new Map(), end: 0 };
  private readonly parser: RdbParser;
  private readonly nowMs: number;
  /** Streaming: resolves the run loop waiting for input (or for an abort). */
  private wake: (() => void) | null = null;
  /** Streaming: resolves producers waiting for room (see waitForRoom). */
  private roomWaiters: Array<{ limit: number; resolve: () => void }> = [];
  private aborted: Error | null = null;
  private readonly libraries: string[] = [];

  /**
   * Reads the header of `buf`, the whole input (throws RdbError when the signature or version is
   * wrong); or, with null, a streaming load fed with push() / endInput() while run() goes on.
   */
  constructor(
    readonly buf: Buffer | null,
    private readonly target: LoadTarget,
    verifyChecksum: boolean,
  ) {
    this.nowMs = target.now();
    this.parser = new RdbParser(
      buf,
      {
        aux: (k, v) => this.onAux(k, v),
        entry: (e) => this.onEntry(e),
        resizeDb: (db, size, expires) => target.dbs[db]?.expandFor(size, expires),
        functionLibrary: (code) => this.libraries.push(code),
        moduleAux: (_id, name) =>
          target.log(
            'warning',
            `The RDB file contains AUX module data I can't load: no matching module '${name}'. Skipping it: tsredis cannot load modules, so that module's data is lost.`,
          ),
      },
      { verifyChecksum },
    );
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.parser.position;
  }

  /** Streaming: input received and not loaded yet. */
  get buffered(): number {
    return this.parser.buffered;
  }

  get finished(): boolean {
    return this.parser.finished;
  }

  /** Finished or aborted: no more input is wanted. */
  get closed(): boolean {
    return this.parser.finished || this.aborted !== null;
  }

  /** Streaming: more input. */
  push(chunk: Buffer): void {
    if (this.aborted !== null || this.parser.finished) return;
    this.parser.push(chunk);
    this.poke();
  }

  /** Streaming: the input is complete. */
  endInput(): void {
    if (this.parser.finished) return;
    this.parser.endInput();
    this.poke();
  }

  /** Stops a streaming load: run() rejects with `error`. */
  abort(error: Error): void {
    if (this.aborted !== null) return;
    this.aborted = error;
    this.poke();
    this.releaseRoom(true);
  }

  /**
   * Resolves once fewer than `limit` bytes wait to be loaded, or the loader needs more input to go
   * on (a record bigger than the limit), or the load ended: how a producer applies backpressure.
   */
  waitForRoom(limit: number): Promise<void> {
    if (this.hasRoom(limit)) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ limit, resolve }));
  }

  private hasRoom(limit: number): boolean {
    const p = this.parser;
    return this.aborted !== null || p.finished || p.buffered < limit || p.starved;
  }

  private releaseRoom(all = false): void {
    if (this.roomWaiters.length === 0) return;
    const still: Array<{ limit: number; resolve: () => void }> = [];
    for (const w of this.roomWaiters) {
      if (all || this.hasRoom(w.limit)) w.resolve();
      else still.push(w);
    }
    this.roomWaiters = still;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Loads everything now (whole-buffer loads only). */
  runSync(): LoadStats {
    while (!this.parser.step(Number.POSITIVE_INFINITY)) {
      if (this.parser.starved) throw new Error('runSync() needs the whole input');
    }
    return this.finish();
  }

  /**
   * Loads in slices of about sliceMs, yielding to the event loop in between; a streaming load also
   * waits for input whenever it ran out.
   */
  async run(sliceMs = 10): Promise<LoadStats> {
    const delayUs = this.target.keyDelayUs ?? 0;
    const parser = this.parser;
    try {
      for (;;) {
        if (this.aborted !== null) throw this.aborted;
        const t0 = performance.now();
        let finished: boolean;
        if (delayUs > 0) {
          const batch = Math.max(1, Math.floor((sliceMs * 1000) / delayUs));
          finished = parser.step(batch);
          const wait = (batch * delayUs) / 1000 - (performance.now() - t0);
          if (!finished && !parser.starved && wait > 0) await new Promise((r) => setTimeout(r, wait));
        } else {
          finished = false;
          while (!finished && !parser.starved && performance.now() - t0 < sliceMs)
            finished = parser.step(256);
        }
        this.releaseRoom();
        if (finished) return this.finish();
        const full = this.target.heapFull?.() ?? null;
        if (full !== null) throw new LoadError(full);
        if (parser.starved) {
          await new Promise<void>((r) => {
            this.wake = r;
          });
          this.wake = null;
        } else {
          await new Promise((r) => setImmediate(r));
        }
      }
    } finally {
      this.releaseRoom(true);
    }
  }

  private finish(): LoadStats {
    const error = this.target.functions(this.libraries);
    if (error !== null) throw new LoadError(`Failed loading library, ${error}`);
    this.stats.end = this.parser.end;
    return this.stats;
  }

  private onAux(key: string, value: string): void {
    this.stats.aux.set(key, value);
    this.target.aux?.(key, value);
    const log = this.target.log;
    if (key === 'redis-ver') log('notice', `Loading RDB produced by version ${value}`);
    else if (key === 'ctime') {
      const age = Math.max(0, Math.floor(this.nowMs / 1000) - (Number.parseInt(value, 10) || 0));
      log('notice', `RDB age ${age} seconds`);
    } else if (key === 'used-mem') {
      const mb = (Number.parseInt(value, 10) || 0) / (1024 * 1024);
      log('notice', `RDB memory usage when created ${mb.toFixed(2)} Mb`);
    } else if (key === 'aof-base') {
      if (value === '1') log('notice', 'RDB is base AOF');
    } else if (!KNOWN_AUX.has(key)) {
      log('verbose', `Unrecognized RDB AUX field: '${key}'`);
    }
  }

  private onEntry(e: RdbEntry): void {
    const db = this.target.dbs[e.db];
    if (db === undefined) {
      throw new LoadError(
        `FATAL: Data file was created with a Redis server configured to handle more than ${this.target.dbs.length} databases. Exiting`,
      );
    }
    let value: Value | null;
    try {
      value = toStoreValue(e.value, this.target.limits);
    } catch (err) {
      if (err instanceof BadValueError)
        throw new RdbError(`${err.message} (key '${e.key}')`, this.parser.position);
      throw err;
    }
    if (value === null) {
      this.stats.emptyKeysSkipped++;
      return;
    }
    if (this.target.dropExpired && e.expireMs !== -1 && e.expireMs < this.nowMs) {
      this.stats.keysExpired++;
      this.target.expired?.(db.id, e.key);
      return;
    }
    const stamp = this.target.stampFor(e.idle, e.freq);
    if (this.target.allowDuplicates) db.delete(e.key);
    if (!db.loadEntry(e.key, value, e.expireMs, stamp)) {
      throw new LoadError(`RDB has duplicated key '${e.key}' in DB ${e.db}`);
    }
    this.stats.keysLoaded++;
  }
}

const KNOWN_AUX = new Set(['redis-bits', 'repl-stream-db', 'repl-id', 'repl-offset', 'lua', 'aof-preamble']);

/** Redis's closing line of a load. */
export function doneLoadingLine(stats: LoadStats): string {
  const base = `Done loading RDB, keys loaded: ${stats.keysLoaded}, keys expired: ${stats.keysExpired}`;
  return stats.emptyKeysSkipped > 0 ? `${base}, empty keys skipped: ${stats.emptyKeysSkipped}.` : `${base}.`;
}
