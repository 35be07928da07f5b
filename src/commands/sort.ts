/**
 * SORT and SORT_RO as Redis 7.0's sort.c: lists, sets and sorted sets sorted numerically or
 * ALPHA, by the element or by `BY` pattern keys (hash fields with `->`), `BY` without `*` meaning
 * no sort, LIMIT, `GET` patterns (`#` for the element), STORE into a list. Collation is the C
 * locale's (byte order up to a NUL), which is what Redis's strcoll does under C and C.UTF-8.
 */
import type { CommandContext, CommandFamily } from '../core/context.js';
import { parseDouble, parseInt64 } from '../lib/numbers.js';
import { pqsort } from '../lib/pqsort.js';
import { HashValue } from '../store/types/hash.js';
import { ListValue } from '../store/types/list.js';
import { SetValue } from '../store/types/set.js';
import { ZSetValue } from '../store/types/zset.js';
import { isString, type Value } from '../store/values.js';
import { is, readKey } from './args.js';
import { storeKey } from './coll-common.js';
import { ERR } from './replies.js';

/** Bytes up to the first NUL: what C string functions see. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** Byte comparison with lengths (compareStringObjects). */
function binaryCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcoll in the C locale: strcmp of the C strings. */
function collate(a: string, b: string): number {
  return binaryCompare(cString(a), cString(b));
}

const PLAIN_INTEGER = /^-?[1-9]\d{0,14}$|^0$/;

/** strtod as sort.c checks it: the whole C string, leading spaces allowed, "" is 0; null when not a number. */
function sortScore(s: string): number | null {
  // The common case, plain integers, without the general parse.
  if (PLAIN_INTEGER.test(s)) return Number(s);
  const c = cString(s);
  if (c === '') return 0;
  const trimmed = c.replace(/^[ \t\n\v\f\r]+/, '');
  if (trimmed === '') return null;
  return parseDouble(trimmed);
}

/**
 * lookupKeyByPattern: the string at the key made by putting `element` at the pattern's first `*`,
 * or the field after `->` of the hash there; `#` is the element itself. Null when missing.
 */
function lookupByPattern(ctx: CommandContext, pattern: string, element: string): string | null {
  if (pattern === '#' || (pattern.length > 1 && pattern[0] === '#' && pattern[1] === '\0')) return element;
  const p = cString(pattern).indexOf('*');
  if (p < 0) return null;
  const arrow = cString(pattern).indexOf('->', p + 1);
  const hasField = arrow >= 0 && arrow + 2 < cString(pattern).length;
  const field = hasField ? pattern.slice(arrow + 2) : null;
  const postfixEnd = hasField ? arrow : pattern.length;
  const key = pattern.slice(0, p) + element + pattern.slice(p + 1, postfixEnd);
  const v = readKey(ctx, key);
  if (v === undefined) return null;
  if (field !== null) return v instanceof HashValue ? (v.get(field) ?? null) : null;
  return isString(v) ? v.toString() : null;
}

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  store: string | null;
  by: string | null;
  dontSort: boolean;
  gets: string[];
}

function parseOptions(ctx: CommandContext, argv: string[], readonly: boolean): SortOptions | null {
  const o: SortOptions = {
    desc: false,
    alpha: false,
    limitStart: 0,
    limitCount: -1,
    store: null,
    by: null,
    dontSort: false,
    gets: [],
  };
  let fullReads: boolean | undefined;
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (is(a, 'asc')) o.desc = false;
    else if (is(a, 'desc')) o.desc = true;
    else if (is(a, 'alpha')) o.alpha = true;
    else if (is(a, 'limit') && left >= 2) {
      const start = parseInt64(argv[j + 1]);
      const count = start === null ? null : parseInt64(argv[j + 2]);
      if (start === null || count === null) {
        ctx.reply.error(ERR.notInteger);
        return null;
      }
      o.limitStart = Number(start);
      o.limitCount = Number(count);
      j += 2;
    } else if (!readonly && is(a, 'store') && left >= 1) {
      o.store = argv[++j];
    } else if (is(a, 'by') && left >= 1) {
      o.by = argv[++j];
      // A pattern without '*' names one key for all: nothing to sort by.
      if (!cString(o.by).includes('*')) o.dontSort = true;
      else if (!(fullReads ??= ctx.server.aclReadsAnyKey(ctx, argv))) {
        ctx.reply.error('ERR BY option of SORT denied due to insufficient ACL permissions.');
        return null;
      }
    } else if (is(a, 'get') && left >= 1) {
      // The keys GET reads are not in the key specs: only a user who may read every key gets it.
      if (!(fullReads ??= ctx.server.aclReadsAnyKey(ctx, argv))) {
        ctx.reply.error('ERR GET option of SORT denied due to insufficient ACL permissions.');
        return null;
      }
      o.gets.push(argv[++j]);
    } else {
      ctx.reply.error(ERR.syntax);
      return null;
    }
  }
  return o;
}

function sortGeneric(ctx: CommandContext, argv: string[], readonly: boolean): void {
  const o = parseOptions(ctx, argv, readonly);
  if (o === null) return;
  const value: Value | undefined = readKey(ctx, argv[1]);
  if (
    value !== undefined &&
    !(value instanceof ListValue) &&
    !(value instanceof SetValue) &&
    !(value instanceof ZSetValue)
  ) {
    ctx.reply.error(ERR.wrongType);
    return;
  }
  // An unsorted set is in hash order: sorted ALPHA instead when it is stored or a script reads it,
  // so replicas and the AOF get the same result.
  if (o.dontSort && value instanceof SetValue && (o.store !== null || ctx.inScript)) {
    o.dontSort = false;
    o.alpha = true;
    o.by = null;
  }
  // Redis converts a listpack sorted set to a skiplist to sort it.
  if (value instanceof ZSetValue && value.isListpack) value.convertToSkiplist();
  let total = value === undefined ? 0 : value instanceof ListValue ? value.length : value.size;
  let start = Math.max(0, o.limitStart);
  let end = o.limitCount < 0 ? total - 1 : start + o.limitCount - 1;
  if (start >= total) {
    start = total - 1;
    end = total - 2;
  }
  if (end >= total) end = total - 1;

  let elements: string[];
  const ranged = (value instanceof ListValue || value instanceof ZSetValue) && o.dontSort;
  if (ranged && (start !== 0 || end !== total - 1)) total = end - start + 1;
  if (value === undefined) {
    elements = [];
  } else if (value instanceof ListValue) {
    if (o.dontSort) {
      elements = [];
      if (end >= start) {
        const len = value.length;
        for (let i = 0; i < total; i++) elements.push(value.at(o.desc ? len - start - 1 - i : start + i));
        end -= start;
        start = 0;
      }
    } else {
      elements = value.toArray();
    }
  } else if (value instanceof SetValue) {
    elements = value.members();
  } else if (o.dontSort) {
    elements = [];
    if (total > 0) value.rangeByRank(start, start + total - 1, o.desc, (member) => elements.push(member));
    end -= start;
    start = 0;
  } else {
    elements = [];
    value.forEach((member) => {
      elements.push(member);
    });
  }

  let order: ArrayLike<number> | null = null;
  let notNumber = false;
  if (!o.dontSort) {
    const n = elements.length;
    const scores = o.alpha ? null : new Float64Array(n);
    const byValues: Array<string | null> | null = o.alpha && o.by !== null ? new Array(n).fill(null) : null;
    for (let i = 0; i < n; i++) {
      const byValue = o.by !== null ? lookupByPattern(ctx, o.by, elements[i]) : elements[i];
      if (byValue === null) continue;
      if (byValues !== null) byValues[i] = byValue;
      else if (scores !== null) {
        const score = sortScore(byValue);
        if (score === null) notNumber = true;
        else scores[i] = score;
      }
    }
    // Redis sorts a partial BY range with its own (unstable) pqsort, anything else with glibc's
    // (stable) qsort; a whole numeric sort has one result, found here by a radix sort.
    const partial = o.by !== null && (start !== 0 || end !== n - 1);
    if (scores !== null && !partial) {
      order = numericOrder(scores, elements, o.desc);
    } else {
      const idx = Array.from({ length: n }, (_, i) => i);
      const cmp = comparator(o, elements, scores, byValues);
      if (partial) pqsort(idx, cmp, start, end);
      else idx.sort(cmp);
      order = idx;
    }
  }
  const at = (j: number): string => elements[order === null ? j : order[j]];

  const count = Math.max(0, end - start + 1);
  const outputLength = o.gets.length > 0 ? o.gets.length * count : count;
  if (notNumber) {
    ctx.reply.error("ERR One or more scores can't be converted into double");
    return;
  }
  if (o.store === null) {
    ctx.reply.array(outputLength);
    for (let j = start; j <= end; j++) {
      const element = at(j);
      if (o.gets.length === 0) ctx.reply.bulk(element);
      for (const pattern of o.gets) ctx.reply.bulkOrNil(lookupByPattern(ctx, pattern, element));
    }
    return;
  }
  const out: string[] = [];
  for (let j = start; j <= end; j++) {
    const element = at(j);
    if (o.gets.length === 0) out.push(element);
    for (const pattern of o.gets) out.push(lookupByPattern(ctx, pattern, element) ?? '');
  }
  if (out.length > 0) {
    storeKey(ctx, o.store, ListValue.from(out));
    ctx.changed(o.store, 'l', 'sortstore');
    ctx.addDirty(out.length - 1);
  } else if (ctx.db.delete(o.store)) {
    ctx.changed(o.store, 'g', 'del');
  }
  ctx.reply.integer(outputLength);
}

/** sortCompare over element indexes: numeric by score then bytes, or ALPHA by element or BY value. */
function comparator(
  o: SortOptions,
  elements: readonly string[],
  scores: Float64Array | null,
  by: ReadonlyArray<string | null> | null,
): (a: number, b: number) => number {
  const sign = o.desc ? -1 : 1;
  if (scores !== null) {
    return (a, b) =>
      sign *
      (scores[a] > scores[b] ? 1 : scores[a] < scores[b] ? -1 : binaryCompare(elements[a], elements[b]));
  }
  const compare = o.store !== null ? binaryCompare : collate;
  if (by !== null) {
    return (a, b) => {
      const x = by[a];
      const y = by[b];
      if (x === null || y === null) return sign * (x === y ? 0 : x === null ? -1 : 1);
      return sign * compare(x, y);
    };
  }
  return (a, b) => sign * compare(elements[a], elements[b]);
}

/**
 * The order of a numeric sort (score, then bytes; reversed for DESC) by an LSD radix sort of the
 * scores' sortable bit patterns: what qsort with sortCompare yields, without 10M comparator calls.
 */
function numericOrder(scores: Float64Array, elements: readonly string[], desc: boolean): Uint32Array {
  const n = scores.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < n; i++) {
    // -0 and 0 compare equal: the same key.
    f[0] = scores[i] === 0 ? 0 : scores[i];
    const h = u[1];
    // Negative: all bits flipped; positive: the sign bit set. Unsigned order is then numeric order.
    if (h >>> 31 === 1) {
      hi[i] = ~h >>> 0;
      lo[i] = ~u[0] >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = u[0];
    }
  }
  let idx = new Uint32Array(n);
  let tmp = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const key = pass < 2 ? lo : hi;
    const shift = pass % 2 === 0 ? 0 : 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(key[i] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const e = idx[i];
      tmp[count[(key[e] >>> shift) & 0xffff]++] = e;
    }
    [idx, tmp] = [tmp, idx];
  }
  // Equal scores: by bytes.
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && hi[idx[j]] === hi[idx[i]] && lo[idx[j]] === lo[idx[i]]) j++;
    if (j - i > 1) idx.subarray(i, j).sort((a, b) => binaryCompare(elements[a], elements[b]));
    i = j;
  }
  return desc ? idx.reverse() : idx;
}

export const sortCommands: CommandFamily = {
  sort: (ctx, argv) => sortGeneric(ctx, argv, false),
  sort_ro: (ctx, argv) => sortGeneric(ctx, argv, true),
};
