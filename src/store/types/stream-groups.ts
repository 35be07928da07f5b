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
 * An ordered map keyed by stream id: a sorted key array (appends, the common case, are O(1);
 * V8 trims an array's front in place for the usual oldest-first acknowledgements) and a Map.
 */
export class IdMap<V> {
  private keys: StreamId[] = [];
  private readonly values = new Map<StreamId, V>();

  get size(): number {
    return this.keys.length;
  }

  get(id: StreamId): V | undefined {
    return this.values.get(id);
  }

  has(id: StreamId): boolean {
    return this.values.has(id);
  }

  /** Inserts or replaces. */
  set(id: StreamId, value: V): void {
    if (!this.values.has(id)) {
      const keys = this.keys;
      if (keys.length === 0 || keys[keys.length - 1] < id) keys.push(id);
      else keys.splice(this.lowerBound(id), 0, id);
    }
    this.values.set(id, value);
  }

  delete(id: StreamId): boolean {
    if (!this.values.delete(id)) return false;
    const i = this.lowerBound(id);
    if (i === 0) this.keys.shift();
    else this.keys.splice(i, 1);
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
    return this.values.get(this.keys[i]) as V;
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
      if (fn(keys[i], this.values.get(keys[i]) as V) === false) return;
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
  deliveryCount: number;
  consumer: Consumer;
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
