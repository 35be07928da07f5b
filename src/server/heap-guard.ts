/**
 * The V8 heap's ceiling, kept as Redis keeps maxmemory: running out of heap kills a Node process
 * (every key lost), so before it comes to that, commands flagged denyoom are refused with -OOM
 * while reads, deletes, saves, replication and INFO go on, and the server recovers by itself once
 * keys are deleted and collected. Loads (start-up, full sync) check it between slices and stop
 * with a clear error rather than die half-loaded.
 *
 * The heap figure (used_heap_size) includes garbage not yet collected; near its limit V8 collects
 * often, so a refusal that garbage caused lasts until the next collection. While refusing, once the
 * data set shrank by half the headroom (deletes, FLUSHALL), a collection is run at once rather than
 * waiting for V8's, so writes come back as soon as the memory does.
 *
 * The keyspace's packed keys and string values live outside the heap (store/string-arena.ts) but in the
 * same memory the limit was planned from, so they count as heap here: heap use plus arenas stays
 * under the ceiling, which also keeps the heap alone under its limit.
 */
import { getHeapStatistics } from 'node:v8';
import { heapSource } from '../lib/heap-plan.js';

const MB = 1024 * 1024;
/** Commands between two readings of the heap (a reading costs about 0.3 us). */
const CHECK_MASK = 127;

export class HeapGuard {
  /** V8's heap_size_limit. */
  readonly limit: number;
  /** Above this heap use, denyoom commands are refused. */
  readonly ceiling: number;
  /**
   * Once refusing, writes are accepted again only below this: without the margin, the garbage of
   * the refused requests themselves would make the server flap at the ceiling.
   */
  readonly resumeBelow: number;
  /** What chose the limit (INFO memory heap_limit_source). */
  readonly source = heapSource();
  /** The last reading: over the ceiling. */
  over = false;
  private commands = 0;
  /** While refusing: the data set's size when the last collection ran. */
  private datasetAtCollection = 0;

  constructor(
    private readonly log: (level: 'warning' | 'notice', message: string) => void,
    /** The data set's estimated size (it shrinks at once when keys are deleted). */
    private readonly datasetBytes: () => number,
    /** A full collection now (false when it cannot be run). */
    private readonly collect: () => boolean,
    /** Bytes the data set holds outside the V8 heap (string arenas). */
    private readonly outsideHeap: () => number,
    limit = getHeapStatistics().heap_size_limit,
  ) {
    this.limit = limit;
    // A tenth of the heap, at least 64 MB: room for the request in hand and the collector's work.
    this.ceiling = limit - Math.max(64 * MB, Math.floor(limit / 10));
    this.resumeBelow = this.ceiling - (limit - this.ceiling) / 2;
  }

  /** Per command: whether denyoom commands are to be refused (the heap is read now and then). */
  refusing(): boolean {
    if ((++this.commands & CHECK_MASK) === 0) this.check();
    return this.over;
  }

  /** Reads the heap now; logs when the server starts or stops refusing. */
  check(): boolean {
    let used = this.used();
    if (this.over && this.datasetBytes() < this.datasetAtCollection - (this.limit - this.ceiling) / 2) {
      this.collect();
      this.datasetAtCollection = this.datasetBytes();
      used = this.used();
    }
    const over = used > (this.over ? this.resumeBelow : this.ceiling);
    if (over !== this.over) {
      this.over = over;
      this.datasetAtCollection = this.datasetBytes();
      if (over) {
        this.log(
          'warning',
          `WARNING: the heap is near its limit (${mb(used)} of ${mb(this.limit)} used): commands that may grow memory are refused with -OOM until memory is freed. Raise the limit with --max-old-space-size or set maxmemory with an eviction policy.`,
        );
      } else {
        this.log(
          'notice',
          `The heap is below its ceiling again (${mb(used)} of ${mb(this.limit)}): writes accepted.`,
        );
      }
    }
    return over;
  }

  /** Heap in use plus the data set's bytes outside it. */
  used(): number {
    return getHeapStatistics().used_heap_size + this.outsideHeap();
  }

  /** Whether n more bytes fit under the ceiling (a request or a load about to allocate them). */
  hasRoomFor(n: number): boolean {
    return this.used() + n <= this.ceiling;
  }

  /** The error a load stops with when the heap is full (null while it fits). */
  loadError(): string | null {
    if (!this.check()) return null;
    return `Not enough memory to hold the data set: the heap reached its ceiling (${mb(this.ceiling)} of a ${mb(this.limit)} limit). Start the server with more memory (--max-old-space-size) or load a smaller data set.`;
  }
}

function mb(bytes: number): string {
  return `${Math.round(bytes / MB)} MB`;
}
