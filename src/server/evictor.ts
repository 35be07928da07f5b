/**
 * maxmemory (Redis 7.0's evict.c): before each command, while used memory is above `maxmemory`,
 * keys chosen by `maxmemory-policy` are deleted, each like an expired key (WATCH touched, an
 * `evicted` keyspace event, a DEL or UNLINK propagated to replicas and the AOF, INFO
 * evicted_keys), within a time budget set by `maxmemory-eviction-tenacity`; past it the rest is
 * evicted from a task that runs between event-loop turns. When nothing can be freed, commands
 * flagged denyoom are refused with -OOM.
 *
 * Used memory is the figure INFO reports as used_memory: V8's heap when the server was created
 * (used_memory_startup) plus the dataset estimate every Database keeps up to date as keys change
 * (store/eviction.ts) plus clients' buffers and the replication backlog (summed at most every
 * 100 ms). It costs a handful of additions per command, and deleting a key lowers it at once by
 * what the key was counted for, which is what the eviction loop needs.
 */
import { performance } from 'node:perf_hooks';
import { OOM_ERROR } from '../core/errors.js';
import { type EvictionPolicy, EvictionPool } from '../store/eviction-pool.js';
import type { Server } from './server.js';

/** performEvictions results (EVICT_OK, EVICT_RUNNING, EVICT_FAIL). */
export const EVICT_OK = 0;
export const EVICT_RUNNING = 1;
export const EVICT_FAIL = 2;
export type EvictResult = typeof EVICT_OK | typeof EVICT_RUNNING | typeof EVICT_FAIL;

export { OOM_ERROR };

/** How long the summed client and replication buffer sizes are reused. */
const OVERHEAD_REFRESH_MS = 100;
/** Keys evicted between two checks of the time budget (and of memory, with lazy eviction). */
const CHECK_EVERY = 16;

/** evictionTimeLimitUs: tenacity 0..10 is linear up to 500us, then +15% a step; 100 is unbounded. */
export function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return Math.floor(500 * 1.15 ** (tenacity - 10));
  return Number.POSITIVE_INFINITY;
}

/** The memory figures of INFO memory, all on the scale eviction decides on. */
export interface UsedMemory {
  used: number;
  startup: number;
  dataset: number;
  /** Normal clients' buffers (mem_clients_normal). */
  clients: number;
  /** Replicas' output buffers (mem_clients_slaves): not counted for eviction. */
  replicas: number;
  backlog: number;
  peak: number;
}

export class Evictor {
  maxmemory = 0;
  policy: EvictionPolicy = 'noeviction';
  samples = 5;
  tenacity = 10;
  lazy = false;
  ignoreOnReplica = true;
  /** Highest used memory seen (used_memory_peak). */
  peak = 0;
  private clientsBytes = 0;
  private replicaBytes = 0;
  private backlogBytes = 0;
  private refreshedAt = Number.NEGATIVE_INFINITY;
  private procRunning = false;
  /** performance.now() since when evictions could not bring memory under the limit (0: not). */
  private exceededSince = 0;
  /** Time spent over the limit before the current episode, ms (total_eviction_exceeded_time). */
  private exceededTotalMs = 0;
  private readonly pool = new EvictionPool();

  constructor(private readonly server: Server) {
    const c = server.config;
    c.watch('maxmemory', (v) => (this.maxmemory = Number(v ?? 0)));
    c.watch('maxmemory-policy', (v) => (this.policy = (v as EvictionPolicy | undefined) ?? 'noeviction'));
    c.watch('maxmemory-samples', (v) => (this.samples = Number(v ?? 5)));
    c.watch('maxmemory-eviction-tenacity', (v) => (this.tenacity = Number(v ?? 10)));
    c.watch('lazyfree-lazy-eviction', (v) => (this.lazy = v === true));
    c.watch('replica-ignore-maxmemory', (v) => (this.ignoreOnReplica = v !== false));
    // updateMaxmemory: CONFIG SET maxmemory evicts at once.
    c.onApply('maxmemory', () => {
      if (this.maxmemory > 0) {
        const used = Math.max(0, this.usedMemory(true) - this.notCountedForEvict);
        if (this.maxmemory < used) {
          server.log(
            'warning',
            `WARNING: the new maxmemory value set via CONFIG SET (${this.maxmemory}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`,
          );
        }
        this.performEvictions();
      }
      return null;
    });
    server.events.statsReset.on(() => {
      server.keyspace.evictedKeys = 0;
      this.exceededTotalMs = 0;
      if (this.exceededSince !== 0) this.exceededSince = performance.now();
    });
  }

  /** used_memory (see the header): the figure compared with maxmemory. */
  usedMemory(fresh = false): number {
    this.refreshOverhead(fresh);
    const used =
      this.server.admin.startupMemory +
      this.server.keyspace.datasetBytes +
      this.clientsBytes +
      this.replicaBytes +
      this.backlogBytes;
    if (used > this.peak) this.peak = used;
    return used;
  }

  /** Every figure of INFO memory, freshly summed. */
  memory(): UsedMemory {
    const used = this.usedMemory(true);
    return {
      used,
      startup: this.server.admin.startupMemory,
      dataset: this.server.keyspace.datasetBytes,
      clients: this.clientsBytes,
      replicas: this.replicaBytes,
      backlog: this.backlogBytes,
      peak: this.peak,
    };
  }

  /** mem_not_counted_for_evict: replicas' output buffers (Redis: beyond the backlog, plus the AOF buffer). */
  get notCountedForEvict(): number {
    return this.replicaBytes;
  }

  /** Milliseconds spent over maxmemory: [total, current episode] (INFO *_eviction_exceeded_time). */
  exceededTime(): [number, number] {
    const current = this.exceededSince === 0 ? 0 : performance.now() - this.exceededSince;
    return [Math.floor(this.exceededTotalMs + current), Math.floor(current)];
  }

  private refreshOverhead(fresh: boolean): void {
    const now = performance.now();
    if (!fresh && now - this.refreshedAt < OVERHEAD_REFRESH_MS) return;
    this.refreshedAt = now;
    let clients = 0;
    for (const c of this.server.clients.values()) {
      if (c.clientType() !== 'replica') clients += c.memoryStats().totMem;
    }
    const repl = this.server.replication.counters();
    this.clientsBytes = clients;
    this.replicaBytes = repl.replicaClientsMemory;
    this.backlogBytes = repl.backlogMemory;
  }

  /** getMaxmemoryState: bytes to free to get under maxmemory (0 when under it). */
  bytesToFree(): number {
    const total = this.usedMemory();
    if (this.maxmemory === 0 || total <= this.maxmemory) return 0;
    const used = Math.max(0, total - this.replicaBytes);
    return used > this.maxmemory ? used - this.maxmemory : 0;
  }

  /** isSafeToPerformEvictions: not while loading, on a replica (by default), or with clients paused. */
  private safe(): boolean {
    const s = this.server;
    if (s.loading) return false;
    if (this.ignoreOnReplica && s.replication.isReplica) return false;
    return !s.admin.clientsPaused;
  }

  /**
   * Redis's performEvictions: EVICT_OK when memory is (now) under the limit or evicting is not to
   * happen here, EVICT_RUNNING when the time budget ran out and a background task goes on,
   * EVICT_FAIL when memory is over the limit and nothing (more) can be evicted.
   */
  performEvictions(): EvictResult {
    if (!this.safe()) return EVICT_OK;
    const toFree = this.bytesToFree();
    let result: EvictResult;
    if (toFree === 0) {
      result = EVICT_OK;
    } else if (this.policy === 'noeviction') {
      result = EVICT_FAIL;
    } else {
      result = this.evictLoop(toFree);
    }
    if (result === EVICT_OK) {
      if (this.exceededSince !== 0) {
        this.exceededTotalMs += performance.now() - this.exceededSince;
        this.exceededSince = 0;
      }
    } else if (this.exceededSince === 0) {
      this.exceededSince = performance.now();
    }
    return result;
  }

  private evictLoop(toFree: number): EvictResult {
    const server = this.server;
    const ks = server.keyspace;
    const limitUs = evictionTimeLimitUs(this.tenacity);
    // The previous command's end when commands run back to back: one clock read fewer per write.
    const start = server.clockChain ? server.perfNow : performance.now();
    let freed = 0;
    let keys = 0;
    let result: EvictResult = EVICT_OK;
    while (freed < toFree) {
      const pool = this.pool;
      const db = pool.pick(ks, this.policy, this.samples);
      if (db === null) {
        result = EVICT_FAIL; // Nothing left to evict.
        break;
      }
      const key = pool.pickedKey;
      const before = db.usedBytes;
      if (pool.pickedSlot >= 0) db.deleteSlot(pool.pickedSlot, key);
      else db.delete(key);
      freed += before - db.usedBytes;
      ks.evictedKeys++;
      db.signalModified(key);
      server.notifyKeyspaceEvent('e', 'evicted', key, db.id);
      // propagateDeletion: one DEL (UNLINK with lazy eviction) per key, never wrapped in MULTI,
      // even when CONFIG SET maxmemory evicts (inside EXEC they stay with the transaction).
      server.alsoPropagate(db.id, [this.lazy ? 'UNLINK' : 'DEL', key]);
      if (server.callDepth <= 1) server.flushPropagation();
      keys++;
      if (keys % CHECK_EVERY === 0) {
        // Redis re-reads memory here only with lazy freeing (freed objects go away in a thread).
        if (this.lazy && this.bytesToFree() === 0) break;
        if ((performance.now() - start) * 1000 > limitUs) {
          this.startEvictionTask();
          break;
        }
      }
    }
    if (result !== EVICT_FAIL) result = this.procRunning ? EVICT_RUNNING : EVICT_OK;
    if (server.admin.latency.threshold > 0)
      server.admin.latency.addSampleIfNeeded('eviction-cycle', Math.round(performance.now() - start));
    return result;
  }

  /** startEvictionTimeProc: keeps evicting between event-loop turns until done (or stuck). */
  private startEvictionTask(): void {
    if (this.procRunning) return;
    this.procRunning = true;
    // Kept referenced: an unreferenced immediate would wait for the next I/O wake-up.
    const step = () => {
      if (this.performEvictions() === EVICT_RUNNING) setImmediate(step);
      else this.procRunning = false;
    };
    setImmediate(step);
  }

  /** Forgets pooled candidates (they would be ghosts after FLUSHALL anyway). */
  clearPool(): void {
    this.pool.clear();
  }
}
