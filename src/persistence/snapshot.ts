/**
 * Point-in-time snapshots without fork(). A snapshot taken at time T walks each database's dict
 * slot by slot (slots never move while the dict is pinned), a few milliseconds per event-loop turn.
 * Writes go on meanwhile: before a write command touches a key the walk has not reached yet, the
 * key's value as of T is serialized first and the key is marked done, so the walk skips it later;
 * a key absent at that moment did not exist at T (or was already taken care of) and is marked done
 * too. Keys created after T land in slots past the walk's end or in reused slots marked done, so
 * the output holds exactly the dataset at T (Dragonfly's approach, at key granularity).
 *
 * What gets written is up to an encoder (RDB, or AOF commands for a rewrite without preamble),
 * and where it goes is up to the caller (a temp file, replica sockets): see SnapshotRunner.
 */
import { performance } from 'node:perf_hooks';
import type { Database } from '../store/database.js';
import type { Dict } from '../store/dict.js';
import type { Value } from '../store/values.js';

/** Turns the snapshot's content into bytes. One main encoder, plus side encoders for early keys. */
export interface SnapshotEncoder {
  /** File header (RDB magic, aux fields, functions). Main encoder only. */
  begin(): void;
  /** Start of a database's keys. */
  selectDb(db: number, size: number, expires: number): void;
  /** One key: value, absolute expire time in ms (undefined: none), access stamp (LRU/LFU). */
  entry(key: string, value: Value, expireMs: number | undefined, stamp: number): void;
  /** Trailer (RDB EOF and checksum). Main encoder only. */
  end(): void;
  /** Bytes produced by a side encoder, spliced in when the walk reaches their database. */
  append(chunks: Buffer[]): void;
  /** Output produced so far, handed over. */
  take(): Buffer[];
  /** Bytes produced and not yet taken. */
  readonly pending: number;
}

/** main: the encoder of the whole output; otherwise a side encoder (entries only). */
export type EncoderFactory = (main: boolean) => SnapshotEncoder;

interface DbWalk {
  index: number;
  data: Dict<Value>;
  expires: Dict<number>;
  size: number;
  expiresCount: number;
  /** Slots in use at T: later slots only hold keys created after T. */
  end: number;
  cursor: number;
  /** Keys serialized ahead of the walk, or created / deleted after T. */
  done: Set<string>;
  /** Keys serialized ahead of the walk, before it reached this database. */
  side: SnapshotEncoder | null;
  state: 'waiting' | 'walking' | 'finished';
}

/** How many keys are serialized between two looks at the clock. */
const CLOCK_CHECK_EVERY = 32;

export class Snapshot {
  readonly startedAt = Date.now();
  /** Keys at T (INFO current_save_keys_total). */
  readonly keysTotal: number;
  /** Keys written so far, by the walk or ahead of it (INFO current_save_keys_processed). */
  keysProcessed = 0;
  /** Keys serialized ahead of the walk because a write was about to change them. */
  keysCopiedOnWrite = 0;
  private readonly walks: DbWalk[] = [];
  private readonly byDict = new Map<Dict<Value>, DbWalk>();
  private next = 0;
  private readonly encoder: SnapshotEncoder;
  private ended = false;
  private released = false;

  constructor(
    dbs: readonly Database[],
    private readonly encoders: EncoderFactory,
  ) {
    let total = 0;
    for (const db of dbs) {
      const data = db.data;
      if (data.size === 0) continue;
      data.pin();
      const walk: DbWalk = {
        index: db.id,
        data,
        expires: db.expires,
        size: data.size,
        expiresCount: db.expires.size,
        end: data.slotCount,
        cursor: 0,
        done: new Set(),
        side: null,
        state: 'waiting',
      };
      this.walks.push(walk);
      this.byDict.set(data, walk);
      total += data.size;
    }
    this.keysTotal = total;
    this.encoder = encoders(true);
    this.encoder.begin();
  }

  /** All keys and the trailer have been produced. */
  get finished(): boolean {
    return this.ended;
  }

  /** Bytes produced and not yet taken. */
  get pending(): number {
    return this.encoder.pending;
  }

  take(): Buffer[] {
    return this.encoder.take();
  }

  /**
   * Walks on until `deadline` (performance.now() ms) or `maxKeys` keys; returns true once the
   * whole snapshot (trailer included) has been produced.
   */
  step(deadline = Number.POSITIVE_INFINITY, maxKeys = Number.POSITIVE_INFINITY): boolean {
    if (this.ended) return true;
    let count = 0;
    while (this.next < this.walks.length) {
      const walk = this.walks[this.next];
      if (walk.state === 'waiting') this.enter(walk);
      const { data, done, end } = walk;
      while (walk.cursor < end) {
        const slot = walk.cursor++;
        const key = data.entryAt(slot);
        if (key === undefined || (done.size !== 0 && done.has(key))) continue;
        this.write(this.encoder, walk, key, slot);
        if (++count >= maxKeys) return false;
        if (count % CLOCK_CHECK_EVERY === 0 && performance.now() >= deadline) return false;
      }
      this.leave(walk);
      this.next++;
    }
    this.encoder.end();
    this.ended = true;
    this.release();
    return true;
  }

  private enter(walk: DbWalk): void {
    walk.state = 'walking';
    this.encoder.selectDb(walk.index, walk.size, walk.expiresCount);
    if (walk.side !== null) {
      this.encoder.append(walk.side.take());
      walk.side = null;
    }
  }

  private leave(walk: DbWalk): void {
    walk.state = 'finished';
    walk.done.clear();
    walk.data.unpin();
  }

  private write(encoder: SnapshotEncoder, walk: DbWalk, key: string, slot: number): void {
    const expires = walk.expires;
    const when = expires.size === 0 ? undefined : expires.get(key);
    const stamp = walk.data.stampAt(slot);
    encoder.entry(key, walk.data.valueAt(slot), when, stamp);
    this.keysProcessed++;
  }

  /**
   * A command is about to modify `key` of this db: serializes its value as of T if the walk has
   * not written it yet. Cheap when it has (a set lookup and a hash probe).
   */
  beforeWrite(db: Database, key: string): void {
    const walk = this.byDict.get(db.data);
    if (walk === undefined || walk.state === 'finished' || walk.done.has(key)) return;
    const slot = walk.data.slotOfKey(key);
    if (slot < 0) {
      // Absent now: created after T (or deleted and already accounted for).
      walk.done.add(key);
      return;
    }
    if (slot >= walk.end || (walk.state === 'walking' && slot < walk.cursor)) return;
    this.writeAhead(walk, key, slot);
  }

  /**
   * After a modification that did not announce itself with beforeWrite (a path without key specs):
   * the key's current value is the best left to write, and writing it keeps it from appearing twice.
   */
  afterWrite(db: Database, key: string): void {
    const walk = this.byDict.get(db.data);
    if (walk === undefined || walk.state === 'finished' || walk.done.has(key)) return;
    const slot = walk.data.slotOfKey(key);
    if (slot < 0) {
      // Deleted (an expired key, say): nothing to write, but whatever comes next is not from T.
      walk.done.add(key);
      return;
    }
    if (slot >= walk.end || (walk.state === 'walking' && slot < walk.cursor)) return;
    this.writeAhead(walk, key, slot);
  }

  private writeAhead(walk: DbWalk, key: string, slot: number): void {
    let encoder = this.encoder;
    if (walk.state === 'waiting') encoder = walk.side ??= this.encoders(false);
    this.write(encoder, walk, key, slot);
    walk.done.add(key);
    this.keysCopiedOnWrite++;
  }

  /** Lets go of the dicts (after the end, or when abandoning the snapshot). */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const walk of this.walks) {
      if (walk.state !== 'finished') {
        walk.state = 'finished';
        walk.data.unpin();
      }
      walk.done.clear();
      walk.side = null;
    }
    this.byDict.clear();
  }
}

/** Where a background snapshot's bytes go: a file, replica sockets, memory. */
export interface ChunkSink {
  /** Takes output; returns false when the producer should wait for drain() before making more. */
  write(chunks: Buffer[]): boolean;
  drain(): Promise<void>;
  /** Everything was written: complete the output (fsync and rename a file, end a stream). */
  finish(): Promise<void>;
  /** Give up (temp file removed); further calls are ignored. */
  abort(): void;
}

export interface RunnerOptions {
  /** Work per event-loop turn, in ms. */
  sliceMs?: number;
  /** rdb-key-save-delay: microseconds to spend per key (tests use it to make saves slow). */
  keyDelayUs?: number;
}

export interface SnapshotOutcome {
  ok: boolean;
  /** Why it failed (write error, aborted). */
  error?: Error;
  keys: number;
  keysCopiedOnWrite: number;
  /** Longest synchronous slice, ms. */
  longestSliceMs: number;
  durationMs: number;
}

/**
 * Drives a snapshot in the background: slices between event-loop turns, output to a sink with
 * backpressure. The registry (see SnapshotRegistry) routes writes to it while it runs.
 */
export class SnapshotRunner {
  readonly done: Promise<SnapshotOutcome>;
  private aborted: Error | null = null;
  private longestSliceMs = 0;
  private resolve!: (o: SnapshotOutcome) => void;

  constructor(
    readonly snapshot: Snapshot,
    private readonly sink: ChunkSink,
    private readonly registry: SnapshotRegistry,
    private readonly options: RunnerOptions = {},
  ) {
    this.done = new Promise((r) => (this.resolve = r));
    registry.add(snapshot);
    setImmediate(() => void this.loop());
  }

  get running(): boolean {
    return this.registry.has(this.snapshot);
  }

  /** Stops producing; the outcome is a failure with this reason. */
  abort(reason = new Error('snapshot aborted')): void {
    if (this.aborted !== null) return;
    this.aborted = reason;
    this.registry.remove(this.snapshot);
    this.snapshot.release();
    this.sink.abort();
  }

  private async loop(): Promise<void> {
    const sliceMs = this.options.sliceMs ?? 5;
    const delayUs = this.options.keyDelayUs ?? 0;
    const started = performance.now();
    try {
      for (;;) {
        if (this.aborted !== null) throw this.aborted;
        const t0 = performance.now();
        let finished: boolean;
        if (delayUs > 0) {
          // Simulated slowness without blocking: a bounded batch of keys, then sleep their delay.
          const batch = Math.max(1, Math.floor((sliceMs * 1000) / delayUs));
          finished = this.snapshot.step(Number.POSITIVE_INFINITY, batch);
          const spent = performance.now() - t0;
          this.noteSlice(spent);
          const wait = (batch * delayUs) / 1000 - spent;
          if (!finished && wait > 0) await sleep(wait);
        } else {
          finished = this.snapshot.step(t0 + sliceMs);
          this.noteSlice(performance.now() - t0);
        }
        if (this.aborted !== null) throw this.aborted;
        const more = this.sink.write(this.snapshot.take());
        if (finished) break;
        if (!more) await this.sink.drain();
        else await yieldTurn();
      }
      // From here on writes need no copying: the content is complete.
      this.registry.remove(this.snapshot);
      await this.sink.finish();
      if (this.aborted !== null) throw this.aborted;
      this.resolve(this.outcome(true, started));
    } catch (e) {
      this.registry.remove(this.snapshot);
      this.snapshot.release();
      this.sink.abort();
      this.resolve({ ...this.outcome(false, started), error: e as Error });
    }
  }

  private noteSlice(ms: number): void {
    if (ms > this.longestSliceMs) this.longestSliceMs = ms;
  }

  private outcome(ok: boolean, started: number): SnapshotOutcome {
    return {
      ok,
      keys: this.snapshot.keysProcessed,
      keysCopiedOnWrite: this.snapshot.keysCopiedOnWrite,
      longestSliceMs: this.longestSliceMs,
      durationMs: performance.now() - started,
    };
  }
}

function yieldTurn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The snapshots in progress and the hooks that keep them consistent: the server calls
 * beforeWrite for each key of a write command, and each Database reports modifications after the
 * fact (safety net for paths without key specs). With no snapshot running nothing is installed.
 */
export class SnapshotRegistry {
  private readonly active: Snapshot[] = [];

  constructor(
    private readonly dbs: readonly Database[],
    private readonly install: (on: boolean) => void,
  ) {}

  get size(): number {
    return this.active.length;
  }

  has(s: Snapshot): boolean {
    return this.active.includes(s);
  }

  add(s: Snapshot): void {
    this.active.push(s);
    if (this.active.length === 1) {
      const observer = (db: Database, key: string) => this.afterWrite(db, key);
      for (const db of this.dbs) db.writeObserver = observer;
      this.install(true);
    }
  }

  remove(s: Snapshot): void {
    const i = this.active.indexOf(s);
    if (i < 0) return;
    this.active.splice(i, 1);
    if (this.active.length === 0) {
      for (const db of this.dbs) db.writeObserver = null;
      this.install(false);
    }
  }

  beforeWrite(db: Database, key: string): void {
    for (const s of this.active) s.beforeWrite(db, key);
  }

  private afterWrite(db: Database, key: string): void {
    for (const s of this.active) s.afterWrite(db, key);
  }
}
