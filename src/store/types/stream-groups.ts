/**
 * Consumer groups of a stream (Redis's streamCG, streamConsumer, streamNACK): a group's pending
 * entries list (PEL) maps ids to NACKs, and each consumer's PEL holds the same NACK objects for
 * the entries delivered to it. Groups and consumers are listed in name (byte) order, PELs in id
 * order, as Redis's radix trees give them.
 */
import type { StreamId } from './stream-id.js';

/** Entries-read counter unknown (SCG_INVALID_ENTRIES_READ). */
export const INVALID_ENTRIES_READ = -1n;

/**
 * An ordered map keyed by stream id: sorted parallel arrays of keys and values, looked up by
 * binary search (bigints are poor hash keys: V8 hashes them by their low 64 bits, the sequence,
 * which is 0 for most ids). Appends, the common case, are O(1); V8 trims an array's front in
 * place for the usual oldest-first acknowledgements.
 */
export class IdMap<V> {
  private keys: StreamId[] = [];
  private vals: V[] = [];

  get size(): number {
    return this.keys.length;
  }

  private indexOf(id: StreamId): number {
    const i = this.lowerBound(id);
    return i < this.keys.length && this.keys[i] === id ? i : -1;
  }

  get(id: StreamId): V | undefined {
    const keys = this.keys;
    // The newest entry is the one most often asked for.
    const last = keys.length - 1;
    if (last >= 0 && keys[last] === id) return this.vals[last];
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.vals[i];
  }

  has(id: StreamId): boolean {
    return this.get(id) !== undefined;
  }

  /** Inserts or replaces. */
  set(id: StreamId, value: V): void {
    const keys = this.keys;
    if (keys.length === 0 || keys[keys.length - 1] < id) {
      keys.push(id);
      this.vals.push(value);
      return;
    }
    const i = this.lowerBound(id);
    if (keys[i] === id) this.vals[i] = value;
    else {
      keys.splice(i, 0, id);
      this.vals.splice(i, 0, value);
    }
  }

  delete(id: StreamId): boolean {
    const i = this.indexOf(id);
    if (i < 0) return false;
    if (i === 0) {
      this.keys.shift();
      this.vals.shift();
    } else {
      this.keys.splice(i, 1);
      this.vals.splice(i, 1);
    }
    return true;
  }

  /** Index of the first key >= id. */
  lowerBound(id: StreamId): number {
    const keys = this.keys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  keyAt(i: number): StreamId {
    return this.keys[i];
  }

  valueAt(i: number): V {
    return this.vals[i];
  }

  first(): StreamId | undefined {
    return this.keys[0];
  }

  last(): StreamId | undefined {
    return this.keys[this.keys.length - 1];
  }

  /** Entries with start <= id <= end, in order, until fn returns false. */
  range(start: StreamId, end: StreamId, fn: (id: StreamId, value: V) => boolean | undefined): void {
    const keys = this.keys;
    for (let i = this.lowerBound(start); i < keys.length && keys[i] <= end; i++) {
      if (fn(keys[i], this.vals[i]) === false) return;
    }
  }

  /** A snapshot of the keys in order (safe to iterate while deleting). */
  keyList(): StreamId[] {
    return this.keys.slice();
  }
}

/** A pending entry: delivered, not yet acknowledged. */
export interface Nack {
  /** Last delivery, ms since the epoch. */
  deliveryTime: number;
  /** Redis's delivery_count, printed as a long long: an int64 that wraps. */
  deliveryCount: bigint;
  consumer: Consumer;
}

/** One more delivery (the counter wraps as Redis's does). */
export function countDelivery(n: Nack): void {
  n.deliveryCount = BigInt.asIntN(64, n.deliveryCount + 1n);
}

export class Consumer {
  readonly pel = new IdMap<Nack>();
  constructor(
    readonly name: string,
    /** Last time the consumer was seen (any XREADGROUP/XCLAIM by it), ms. */
    public seenTime: number,
  ) {}
}

export class ConsumerGroup {
  readonly pel = new IdMap<Nack>();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    readonly name: string,
    public lastId: StreamId,
    /** Logical reads counter (entries-read), INVALID_ENTRIES_READ when unknown. */
    public entriesRead: bigint,
  ) {}

  /** streamCreateConsumer: null if the name exists. */
  createConsumer(name: string, now: number): Consumer | null {
    if (this.consumers.has(name)) return null;
    const c = new Consumer(name, now);
    this.consumers.set(name, c);
    return c;
  }

  /** streamDelConsumer: its pending entries leave the group's PEL too. */
  deleteConsumer(c: Consumer): void {
    for (const id of c.pel.keyList()) this.pel.delete(id);
    this.consumers.delete(c.name);
  }

  /** Consumers in name order. */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  copy(): ConsumerGroup {
    const g = new ConsumerGroup(this.name, this.lastId, this.entriesRead);
    const byName = new Map<Consumer, Consumer>();
    for (const c of this.consumers.values()) {
      const copy = new Consumer(c.name, c.seenTime);
      byName.set(c, copy);
      g.consumers.set(c.name, copy);
    }
    for (let i = 0; i < this.pel.size; i++) {
      const id = this.pel.keyAt(i);
      const n = this.pel.valueAt(i);
      const consumer = byName.get(n.consumer) as Consumer;
      const nack: Nack = { deliveryTime: n.deliveryTime, deliveryCount: n.deliveryCount, consumer };
      g.pel.set(id, nack);
      consumer.pel.set(id, nack);
    }
    return g;
  }
}
