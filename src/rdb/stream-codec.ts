/**
 * Streams in RDB files and DUMP payloads (rdbSaveObject / rdbLoadObject for
 * RDB_TYPE_STREAM_LISTPACKS and _2): the nodes as their 16-byte keys and listpacks, the stream's
 * ids and counters, then each consumer group with its PEL (ids, delivery times and counts) and its
 * consumers (names, seen times, the ids they own). Nodes are kept as they are on disk, so a file
 * written here matches what redis-server writes for the same stream.
 */
import {
  ListpackFormatError,
  LP_HEADER,
  lpInt,
  lpNext,
  validateListpack,
} from '../store/types/listpack-buf.js';
import { StreamValue } from '../store/types/stream.js';
import { Consumer, ConsumerGroup, type Nack } from '../store/types/stream-groups.js';
import { ID_BYTES, makeId, readIdBE, type StreamId, U64_MAX, writeIdBE } from '../store/types/stream-id.js';
import { exactCopy, StreamNode } from '../store/types/stream-node.js';
import { RdbType } from './constants.js';
import { type Cursor, RdbError } from './cursor.js';
import type { RdbWriter } from './writer.js';

function corrupt(r: Cursor, what: string): never {
  throw new RdbError(what, r.pos);
}

function readId(r: Cursor): StreamId {
  const ms = r.lengthBig();
  const seq = r.lengthBig();
  return makeId(ms, seq);
}

/** rdbLoadMillisecondTime: int64 little-endian. */
function readMillis(r: Cursor): number {
  return Number(r.i64le());
}

function readRawId(r: Cursor): StreamId {
  r.ensure(ID_BYTES);
  const id = readIdBE(r.buf, r.pos);
  r.skip(ID_BYTES);
  return id;
}

/** Builds a node from its key and listpack, checking the listpack and its master entry. */
function loadNode(r: Cursor, key: Buffer, lp: Buffer): StreamNode {
  if (key.length !== ID_BYTES) corrupt(r, 'Stream node key entry is not the size of a stream ID');
  let elements: number;
  try {
    elements = validateListpack(lp);
  } catch (e) {
    if (e instanceof ListpackFormatError || e instanceof RangeError)
      corrupt(r, 'Stream listpack integrity check failed.');
    throw e;
  }
  if (elements === 0) corrupt(r, 'Empty listpack inside stream');
  let count: number;
  let deleted: number;
  try {
    count = lpInt(lp, LP_HEADER);
    deleted = lpInt(lp, lpNext(lp, LP_HEADER));
  } catch {
    corrupt(r, 'Stream listpack integrity check failed.');
  }
  return new StreamNode(readIdBE(key, 0), lp, lp.length, count, deleted, elements);
}

/** Reads a stream value of RDB type 15 or 19. */
export function readStreamValue(r: Cursor, type: number): StreamValue {
  const s = new StreamValue();
  let nodes = r.length();
  let previous: StreamId = -1n;
  while (nodes-- > 0) {
    const key = exactCopy(r.stringBytes());
    const lp = exactCopy(r.stringBytes());
    const node = loadNode(r, key, lp);
    if (node.masterId <= previous) corrupt(r, 'Listpack re-added with existing key');
    previous = node.masterId;
    s.addLoadedNode(node);
  }
  s.length = Number(r.lengthBig());
  s.lastId = readId(r);
  if (type === RdbType.STREAM_LISTPACKS_2) {
    s.firstId = readId(r);
    s.maxDeletedId = readId(r);
    s.entriesAdded = BigInt.asIntN(64, r.lengthBig());
  } else {
    s.maxDeletedId = 0n;
    s.entriesAdded = BigInt(s.length);
    s.firstId = s.edgeId(false) ?? 0n;
  }
  if (s.length > 0 && s.nodes.length === 0) corrupt(r, 'Stream length inconsistent with rax entries');
  let groups = r.length();
  while (groups-- > 0) {
    const name = r.string();
    const lastId = readId(r);
    const entriesRead =
      type === RdbType.STREAM_LISTPACKS_2 ? BigInt.asIntN(64, r.lengthBig()) : s.estimateDistance(lastId);
    s.groups ??= new Map();
    if (s.groups.has(name)) corrupt(r, `Duplicated consumer group name ${name}`);
    const g = new ConsumerGroup(name, lastId, entriesRead);
    s.groups.set(name, g);
    let pel = r.length();
    while (pel-- > 0) {
      const id = readRawId(r);
      const deliveryTime = readMillis(r);
      const deliveryCount = BigInt.asIntN(64, r.lengthBig());
      if (g.pel.has(id)) corrupt(r, 'Duplicated global PEL entry loading stream consumer group');
      g.pel.set(id, { deliveryTime, deliveryCount, consumer: UNOWNED });
    }
    let consumers = r.length();
    while (consumers-- > 0) {
      const cname = r.string();
      if (g.consumers.has(cname)) corrupt(r, 'Duplicate stream consumer detected.');
      const c = new Consumer(cname, readMillis(r));
      g.consumers.set(cname, c);
      let owned = r.length();
      while (owned-- > 0) {
        const id = readRawId(r);
        const nack = g.pel.get(id);
        if (nack === undefined) corrupt(r, 'Consumer entry not found in group global PEL');
        if (c.pel.has(id)) corrupt(r, 'Duplicated consumer PEL entry loading a stream consumer group');
        nack.consumer = c;
        c.pel.set(id, nack);
      }
    }
    for (let i = 0; i < g.pel.size; i++) {
      if (g.pel.valueAt(i).consumer === UNOWNED) corrupt(r, 'Stream CG PEL entry without consumer');
    }
  }
  return s;
}

/** Owner of a global PEL entry until a consumer's PEL names it (the file lists consumers after). */
const UNOWNED = new Consumer('', 0);

function writeId(w: RdbWriter, id: StreamId): void {
  w.lengthBig(id >> 64n);
  w.lengthBig(id & U64_MAX);
}

const idScratch = Buffer.alloc(ID_BYTES);

function writeRawId(w: RdbWriter, id: StreamId): void {
  writeIdBE(idScratch, 0, id);
  w.raw(idScratch);
}

/** Writes a stream's body as RDB_TYPE_STREAM_LISTPACKS_2. */
export function writeStreamValue(w: RdbWriter, s: StreamValue): void {
  w.length(s.nodes.length);
  const key = Buffer.alloc(ID_BYTES);
  for (const node of s.nodes) {
    writeIdBE(key, 0, node.masterId);
    w.string(key);
    w.string(node.listpack());
  }
  w.length(s.length);
  writeId(w, s.lastId);
  writeId(w, s.firstId);
  writeId(w, s.maxDeletedId);
  w.lengthBig(BigInt.asUintN(64, s.entriesAdded));
  const groups = s.sortedGroups();
  w.length(groups.length);
  for (const g of groups) {
    w.string(g.name);
    writeId(w, g.lastId);
    w.lengthBig(BigInt.asUintN(64, g.entriesRead));
    w.length(g.pel.size);
    for (let i = 0; i < g.pel.size; i++) {
      const nack: Nack = g.pel.valueAt(i);
      writeRawId(w, g.pel.keyAt(i));
      w.millis(nack.deliveryTime);
      w.lengthBig(BigInt.asUintN(64, nack.deliveryCount));
    }
    const consumers = g.sortedConsumers();
    w.length(consumers.length);
    for (const c of consumers) {
      w.string(c.name);
      w.millis(c.seenTime);
      w.length(c.pel.size);
      for (let i = 0; i < c.pel.size; i++) writeRawId(w, c.pel.keyAt(i));
    }
  }
}
