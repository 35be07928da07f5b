/**
 * MEMORY USAGE estimates with Redis's allocation sizes: string values are exact (robj, sds header,
 * jemalloc size classes); collections from their element count.
 */

import { jemallocSize } from '../lib/jemalloc.js';
import { raxNodeCount } from '../store/types/rax-count.js';
import { StreamValue } from '../store/types/stream.js';
import type { IdMap } from '../store/types/stream-groups.js';
import { MutableString, type StringValue, stringEncoding, type Value } from '../store/values.js';

/** A dict entry: key pointer, value pointer, next pointer. */
export const DICT_ENTRY_SIZE = 24;
const ROBJ_SIZE = 16;

/** The allocation of an sds string of len bytes (header by length; keys may use the 1-byte sdshdr5). */
export function sdsAllocSize(len: number, allowType5: boolean): number {
  const header = len < 32 && allowType5 ? 1 : len < 256 ? 3 : len < 65536 ? 5 : len < 2 ** 32 ? 9 : 17;
  return jemallocSize(header + len + 1);
}

/** objectComputeSize for a string value. */
export function stringMemoryUsage(v: StringValue): number {
  const encoding = stringEncoding(v);
  if (encoding === 'int') return ROBJ_SIZE;
  // embstr: the robj and an sdshdr8 in one allocation.
  if (encoding === 'embstr') return jemallocSize(ROBJ_SIZE + 3 + v.length + 1);
  const capacity = v instanceof MutableString ? Math.max(v.bytes.length, v.length) : v.length;
  return ROBJ_SIZE + sdsAllocSize(capacity, false);
}

/** Base sizes of an empty value of each type (robj plus its encoding's header), for classes without memoryUsage(). */
const EMPTY_SIZE: Record<string, number> = { list: 48, set: 48, zset: 48, hash: 48, stream: 48 };
/** Per element: the element itself is not known here, so a small listpack entry is assumed. */
const ELEMENT_SIZE = 16;

/** streamRadixTreeMemoryUsage: ids, raxNode headers and a fixed per-node overhead. */
function raxUsage(ids: readonly bigint[]): number {
  const nodes = raxNodeCount(ids);
  return ids.length * 16 + nodes * 4 + nodes * 8 * 30;
}

function pelIds<V>(pel: IdMap<V>): bigint[] {
  const out: bigint[] = new Array(pel.size);
  for (let i = 0; i < pel.size; i++) out[i] = pel.keyAt(i);
  return out;
}

/** A node's allocation as Redis has it: shrunk nodes exactly, a tail still growing into its room. */
function nodeAllocation(size: number, room: number): number {
  return jemallocSize(Math.max(size, room));
}

/**
 * objectComputeSize for a stream: the robj and stream struct, the rax, the listpacks (the first
 * `samples` averaged for all but the last, which counts as it is) and the groups' PELs and consumers.
 */
function streamMemoryUsage(s: StreamValue, samples: number): number {
  let size = ROBJ_SIZE + 80 + raxUsage(s.nodes.map((n) => n.masterId));
  const nodes = s.nodes;
  const tail = nodes.length - 1;
  const n = Math.min(samples, nodes.length);
  let sampled = 0;
  for (let i = 0; i < n; i++) sampled += nodeAllocation(nodes[i].size, i === tail ? s.tailRoom : 0);
  if (nodes.length <= n) size += sampled;
  else {
    if (n > 0) sampled = Math.floor(sampled / n);
    size += sampled * (nodes.length - 1) + nodeAllocation(nodes[tail].size, s.tailRoom);
  }
  for (const g of s.sortedGroups()) {
    size += 40 + raxUsage(pelIds(g.pel)) + 24 * g.pel.size;
    for (const c of g.consumers.values()) size += 24 + c.name.length + raxUsage(pelIds(c.pel));
  }
  return size;
}

export function valueMemoryUsage(v: Value, samples = 5): number {
  if (typeof v === 'string' || v instanceof MutableString) return stringMemoryUsage(v);
  if (v instanceof StreamValue) return streamMemoryUsage(v, samples);
  const count =
    'size' in v && typeof v.size === 'number'
      ? v.size
      : 'length' in v && typeof v.length === 'number'
        ? v.length
        : 0;
  return ROBJ_SIZE + (EMPTY_SIZE[v.type] ?? 48) + count * ELEMENT_SIZE;
}
