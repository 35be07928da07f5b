/**
 * The stream type, represented as Redis 7.0 represents it (t_stream.c): entries live in nodes,
 * each a listpack in Redis's exact layout, keyed by the id of its first ("master") entry. A node
 * starts with a master entry (valid count, deleted count, the first entry's field names) and
 * each entry stores its id as a delta from the master id, and only its values when its fields
 * are the master's (SAMEFIELDS). Deletion marks an entry (a tombstone); a node goes when its last
 * valid entry does. Nodes sit in an array ordered by master id: finding an id is a binary search,
 * appending touches the tail node only.
 */
import type { CollectionValue } from '../values.js';
import {
  LP_EOF,
  LP_HEADER,
  LP_MAX_OVERHEAD,
  lpInt,
  lpNext,
  lpString,
  writeLpInt,
  writeLpString,
} from './listpack-buf.js';
import { type ConsumerGroup, INVALID_ENTRIES_READ } from './stream-groups.js';
import { MAX_ID, type StreamId, U64_MAX } from './stream-id.js';
import {
  bound,
  exactCopy,
  FLAG_SAMEFIELDS,
  LISTPACK_MAX_SIZE,
  type NodeLimits,
  NodeReader,
  StreamNode,
} from './stream-node.js';

/** Where an appended entry is built before it is copied into its node. */
let entryScratch = Buffer.allocUnsafe(64 * 1024);

/** Called for each entry of a range; return false to stop. */
export type EntryVisitor = (entry: NodeReader) => boolean | undefined;

export type TrimStrategy = 'maxlen' | 'minid';

export interface TrimArgs {
  strategy: TrimStrategy;
  maxlen: number;
  minid: StreamId;
  approx: boolean;
  /** Most entries removed (0: no limit). */
  limit: number;
}

export class StreamValue implements CollectionValue {
  readonly type = 'stream' as const;
  accountedBytes = 0;
  nodes: StreamNode[] = [];
  /** Valid entries. */
  length = 0;
  lastId: StreamId = 0n;
  /** recorded-first-entry-id: the first valid entry's id, 0-0 when empty. */
  firstId: StreamId = 0n;
  maxDeletedId: StreamId = 0n;
  entriesAdded = 0n;
  /** Consumer groups by name, or null before the first. */
  groups: Map<string, ConsumerGroup> | null = null;
  /** Sum of the nodes' buffer sizes, kept up to date (memory accounting runs after every write). */
  private bufferBytes = 0;
  /** The last valid entry's id, known since the last append (undefined: to be looked up). */
  private lastValid: StreamId | null | undefined = null;
  /** The room the tail node was created with by an append, while it grows into it (MEMORY USAGE); 0 after. */
  tailRoom = 0;
  /** The tail node's master fields, decoded for appends (null: decode on the next append). */
  private tailFields: string[] | null = null;

  encoding(): string {
    return 'stream';
  }

  copy(): StreamValue {
    const s = new StreamValue();
    s.nodes = this.nodes.map(
      (n) => new StreamNode(n.masterId, exactCopy(n.listpack()), n.size, n.count, n.deleted, n.elements),
    );
    s.length = this.length;
    s.bufferBytes = this.nodes.reduce((n, node) => n + node.size, 0);
    s.lastValid = this.lastValid;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    if (this.groups !== null) {
      s.groups = new Map();
      for (const [name, g] of this.groups) s.groups.set(name, g.copy());
    }
    return s;
  }

  /** Groups in name order. */
  sortedGroups(): ConsumerGroup[] {
    if (this.groups === null) return [];
    return [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  group(name: string): ConsumerGroup | undefined {
    return this.groups?.get(name);
  }

  /** Adds a node read from an RDB (after its predecessors). */
  addLoadedNode(node: StreamNode): void {
    this.nodes.push(node);
    this.bufferBytes += node.buf.length;
    this.tailFields = null;
    this.lastValid = undefined;
  }

  /** streamLastValidID: the last entry that is not deleted, or null when empty. */
  lastValidId(): StreamId | null {
    if (this.lastValid === undefined) this.lastValid = this.edgeId(true);
    return this.lastValid;
  }

  /** Index of the last node whose master id is <= id, or -1. */
  private nodeIndexFor(id: StreamId): number {
    const nodes = this.nodes;
    let lo = 0;
    let hi = nodes.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (nodes[mid].masterId <= id) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * streamAppendItem's storage part: appends an entry with id (already checked to be greater
   * than lastId) and the field-value pairs argv[start…].
   */
  append(id: StreamId, argv: readonly string[], start: number, limits: NodeLimits): void {
    const numFields = (argv.length - start) / 2;
    let contentBytes = 0;
    for (let i = start; i < argv.length; i++) contentBytes += argv[i].length;
    let node: StreamNode | undefined = this.nodes[this.nodes.length - 1];
    const tailBefore = node?.buf.length ?? 0;
    const maxBytes =
      limits.maxBytes === 0 || limits.maxBytes > LISTPACK_MAX_SIZE ? LISTPACK_MAX_SIZE : limits.maxBytes;
    if (node !== undefined) {
      if (
        node.size + contentBytes >= maxBytes ||
        (limits.maxEntries > 0 && node.count + node.deleted >= limits.maxEntries)
      ) {
        node.shrink();
        this.bufferBytes += node.buf.length - tailBefore;
        this.tailRoom = 0;
        node = undefined;
      }
    }
    const worst = (argv.length - start + 8) * LP_MAX_OVERHEAD + contentBytes + 64;
    // An entry for the tail node is written in place over its terminator when it surely fits;
    // otherwise (and for a new node) in a scratch buffer, then copied: the node grows by what the
    // entry needs, not by a worst case.
    const inPlace = node !== undefined && node.size + worst <= node.buf.length;
    let out: Buffer;
    let p: number;
    if (inPlace) {
      out = (node as StreamNode).buf;
      p = (node as StreamNode).size - 1;
    } else {
      if (entryScratch.length < worst)
        entryScratch = Buffer.allocUnsafe(Math.max(worst, entryScratch.length * 2));
      out = entryScratch;
      p = 0;
    }
    const base = p;
    let flags = 0;
    let masterElements = 0;
    if (node === undefined) {
      // A new node: the master entry takes this entry's field names.
      p = writeLpInt(out, p, 1);
      p = writeLpInt(out, p, 0);
      p = writeLpInt(out, p, numFields);
      const names: string[] = new Array(numFields);
      for (let i = 0; i < numFields; i++) {
        names[i] = argv[start + 2 * i];
        p = writeLpString(out, p, names[i]);
      }
      p = writeLpInt(out, p, 0);
      masterElements = numFields + 4;
      this.tailFields = names;
      flags = FLAG_SAMEFIELDS;
    } else {
      const names = this.tailFieldNames(node);
      if (names.length === numFields) {
        let same = true;
        for (let i = 0; i < numFields; i++) {
          if (names[i] !== argv[start + 2 * i]) {
            same = false;
            break;
          }
        }
        if (same) flags = FLAG_SAMEFIELDS;
      }
    }
    const master = node === undefined ? id : node.masterId;
    p = writeLpInt(out, p, flags);
    p = writeLpInt(out, p, BigInt.asIntN(64, (id >> 64n) - (master >> 64n)));
    p = writeLpInt(out, p, BigInt.asIntN(64, (id & U64_MAX) - (master & U64_MAX)));
    const same = flags === FLAG_SAMEFIELDS;
    if (!same) p = writeLpInt(out, p, numFields);
    for (let i = start; i < argv.length; i += 2) {
      if (!same) p = writeLpString(out, p, argv[i]);
      p = writeLpString(out, p, argv[i + 1]);
    }
    const lpCount = same ? numFields + 3 : 2 * numFields + 4;
    p = writeLpInt(out, p, lpCount);
    const entryElements = lpCount + 1;
    const written = p - base;
    if (node === undefined) {
      const size = LP_HEADER + written + 1;
      // Room for the node to fill up without reallocating, as Redis preallocates (lpNew(4096));
      // shrunk to fit once full.
      const room = limits.maxBytes > 0 && limits.maxBytes < 4096 ? limits.maxBytes : 4096;
      const buf = Buffer.allocUnsafeSlow(Math.max(room, size));
      out.copy(buf, LP_HEADER, 0, written);
      buf[size - 1] = LP_EOF;
      node = new StreamNode(id, buf, size, 1, 0, masterElements + entryElements);
      node.writeHeader();
      this.nodes.push(node);
      this.bufferBytes += buf.length;
      this.tailRoom = room;
    } else {
      if (!inPlace) {
        // Past its byte limit the node takes no more entries: no room to spare then.
        node.ensure(written, node.size + written >= maxBytes);
        out.copy(node.buf, node.size - 1, 0, written);
      }
      node.size += written;
      node.buf[node.size - 1] = LP_EOF;
      node.elements += entryElements;
      node.count++;
      node.replaceInt(LP_HEADER, node.count);
      node.writeHeader();
      this.bufferBytes += node.buf.length - tailBefore;
    }
    this.length++;
    this.entriesAdded = BigInt.asIntN(64, this.entriesAdded + 1n);
    this.lastId = id;
    this.lastValid = id;
    if (this.length === 1) this.firstId = id;
  }

  private tailFieldNames(node: StreamNode): string[] {
    if (this.tailFields !== null) return this.tailFields;
    const buf = node.buf;
    let p = lpNext(buf, lpNext(buf, LP_HEADER));
    const n = lpInt(buf, p);
    p = lpNext(buf, p);
    const names: string[] = new Array(n);
    for (let i = 0; i < n; i++) {
      names[i] = lpString(buf, p);
      p = lpNext(buf, p);
    }
    this.tailFields = names;
    return names;
  }

  /**
   * Visits entries with start <= id <= end, in order (reverse: from end down). Tombstones are
   * skipped unless withDeleted.
   */
  range(start: StreamId, end: StreamId, reverse: boolean, visit: EntryVisitor, withDeleted = false): void {
    if (start > end || this.nodes.length === 0) return;
    const r = new NodeReader();
    const nodes = this.nodes;
    const lo = bound(start);
    const hi = bound(end);
    if (!reverse) {
      for (let i = Math.max(this.nodeIndexFor(start), 0); i < nodes.length; i++) {
        if (nodes[i].masterId > end) return;
        r.start(nodes[i]);
        while (r.next()) {
          if (r.compare(lo) < 0) continue;
          if (r.compare(hi) > 0) return;
          if (!withDeleted && r.isDeleted) continue;
          if (visit(r) === false) return;
        }
      }
      return;
    }
    for (let i = this.nodeIndexFor(end); i >= 0; i--) {
      r.start(nodes[i]);
      const positions = r.positions();
      for (let j = positions.length - 1; j >= 0; j--) {
        r.readAt(positions[j]);
        if (r.compare(hi) > 0) continue;
        if (r.compare(lo) < 0) return;
        if (!withDeleted && r.isDeleted) continue;
        if (visit(r) === false) return;
      }
    }
  }

  /** The fields of the entry with this id, or null if it does not exist (or is deleted). */
  get(id: StreamId): string[] | null {
    let found: string[] | null = null;
    this.range(id, id, false, (e) => {
      found = e.fields();
      return false;
    });
    return found;
  }

  /** The first (or last) valid entry's id, or null when empty (streamGetEdgeID with tombstones skipped). */
  edgeId(last: boolean): StreamId | null {
    let found: StreamId | null = null;
    this.range(0n, MAX_ID, last, (e) => {
      found = e.id;
      return false;
    });
    return found;
  }

  /** The first entry's id, tombstones included (streamGetEdgeID(first, skip_tombstones=0)), or MAX. */
  firstIdWithTombstones(): StreamId {
    let found: StreamId = MAX_ID;
    this.range(
      0n,
      MAX_ID,
      false,
      (e) => {
        found = e.id;
        return false;
      },
      true,
    );
    return found;
  }

  /** streamDeleteItem: marks the entry deleted; false if there is no such valid entry. */
  delete(id: StreamId): boolean {
    const i = this.nodeIndexFor(id);
    if (i < 0) return false;
    const node = this.nodes[i];
    const r = new NodeReader().start(node);
    const target = bound(id);
    while (r.next()) {
      const c = r.compare(target);
      if (c > 0) return false;
      if (c !== 0) continue;
      if (r.isDeleted) return false;
      this.lastValid = undefined;
      if (node.count === 1) this.removeNodes(i, 1);
      else {
        const before = node.buf.length;
        r.markDeleted();
        node.count--;
        node.deleted++;
        node.writeCounts();
        this.bufferBytes += node.buf.length - before;
      }
      this.length--;
      return true;
    }
    return false;
  }

  private removeNodes(index: number, n: number): void {
    for (let i = index; i < index + n; i++) this.bufferBytes -= this.nodes[i].buf.length;
    if (index + n >= this.nodes.length) {
      this.tailFields = null;
      this.tailRoom = 0;
    }
    if (index === 0 && n === 1) this.nodes.shift();
    else this.nodes.splice(index, n);
  }

  /** XDEL's bookkeeping after its deletions: the recorded first id. */
  afterDeletes(deletedFirst: boolean): void {
    if (this.length === 0) this.firstId = 0n;
    else if (deletedFirst) this.firstId = this.edgeId(false) ?? 0n;
  }

  /** streamTrim: removes entries from the front by MAXLEN or MINID; returns how many. */
  trim(args: TrimArgs): number {
    this.lastValid = undefined;
    let removed = 0;
    let dropNodes = 0;
    const nodes = this.nodes;
    for (let i = 0; i < nodes.length; i++) {
      if (args.strategy === 'maxlen' && this.length <= args.maxlen) break;
      const node = nodes[i];
      const entries = node.count;
      if (args.limit !== 0 && removed + entries > args.limit) break;
      let removeNode: boolean;
      if (args.strategy === 'maxlen') removeNode = this.length - entries >= args.maxlen;
      else removeNode = this.lastEntryIdOf(node) < args.minid;
      if (removeNode) {
        dropNodes++;
        this.length -= entries;
        removed += entries;
        continue;
      }
      if (args.approx) break;
      const r = new NodeReader().start(node);
      const minid = bound(args.minid);
      let fromNode = 0;
      while (r.next()) {
        const stop = args.strategy === 'maxlen' ? this.length <= args.maxlen : r.compare(minid) >= 0;
        if (stop) break;
        if (!r.isDeleted) {
          r.markDeleted();
          fromNode++;
          this.length--;
        }
      }
      if (fromNode > 0) {
        const before = node.buf.length;
        node.count -= fromNode;
        node.deleted += fromNode;
        node.writeCounts();
        this.bufferBytes += node.buf.length - before;
      }
      removed += fromNode;
      break;
    }
    if (dropNodes > 0) this.removeNodes(0, dropNodes);
    if (this.length === 0) this.firstId = 0n;
    else this.firstId = this.edgeId(false) ?? 0n;
    return removed;
  }

  /** The id of a node's last entry, tombstones included (lpGetEdgeStreamID). */
  private lastEntryIdOf(node: StreamNode): StreamId {
    const r = new NodeReader().start(node);
    let last = node.masterId;
    while (r.next()) last = r.id;
    return last;
  }

  /** streamRangeHasTombstones: whether a deleted entry may lie within [start, end]. */
  rangeHasTombstones(start: StreamId, end: StreamId = MAX_ID): boolean {
    if (this.length === 0 || this.maxDeletedId === 0n) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId && this.maxDeletedId <= end;
  }

  /** streamEstimateDistanceFromFirstEverEntry: the entries-read counter an id corresponds to. */
  estimateDistance(id: StreamId): bigint {
    if (this.entriesAdded === 0n) return 0n;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return INVALID_ENTRIES_READ;
    if (this.maxDeletedId === 0n || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return BigInt.asIntN(64, this.entriesAdded - BigInt(this.length));
      if (id === this.firstId) return BigInt.asIntN(64, this.entriesAdded - BigInt(this.length) + 1n);
    }
    return INVALID_ENTRIES_READ;
  }

  /** The consumer group lag XINFO reports (streamReplyWithCGLag), null when it cannot be known. */
  lag(g: ConsumerGroup): bigint | null {
    if (this.entriesAdded === 0n) return 0n;
    // long long arithmetic, wrapping as in Redis.
    if (g.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(g.lastId)) {
      return BigInt.asIntN(64, this.entriesAdded - g.entriesRead);
    }
    const read = this.estimateDistance(g.lastId);
    return read === INVALID_ENTRIES_READ ? null : BigInt.asIntN(64, this.entriesAdded - read);
  }

  /** Estimated heap bytes (store/memory-estimate.ts): node buffers and objects, groups and PELs. */
  estimatedBytes(): number {
    let n = 160 + this.bufferBytes + this.nodes.length * 200;
    if (this.groups !== null) {
      for (const g of this.groups.values()) {
        n += 200 + g.pel.size * 120;
        for (const c of g.consumers.values()) n += 150 + c.name.length + c.pel.size * 40;
      }
    }
    return n;
  }
}
