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

interface Item {
  element: string;
  score: number;
  /** ALPHA BY: the BY value, null when its key is missing. */
  by: string | null;
}

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

/** strtod as sort.c checks it: the whole C string, leading spaces allowed, "" is 0; null when not a number. */
function sortScore(s: string): number | null {
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
    } else if (is(a, 'get') && left >= 1) {
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

  const items: Item[] = elements.map((element) => ({ element, score: 0, by: null }));
  let notNumber = false;
  if (!o.dontSort) {
    for (const item of items) {
      const byValue = o.by !== null ? lookupByPattern(ctx, o.by, item.element) : item.element;
      if (byValue === null) continue;
      if (o.alpha) {
        if (o.by !== null) item.by = byValue;
      } else {
        const score = sortScore(byValue);
        if (score === null) notNumber = true;
        else item.score = score;
      }
    }
    // Redis sorts a partial range with its own (unstable) pqsort, the whole with glibc's (stable) qsort.
    if (o.by !== null && (start !== 0 || end !== items.length - 1)) pqsort(items, comparator(o), start, end);
    else items.sort(comparator(o));
  }

  const count = Math.max(0, end - start + 1);
  const outputLength = o.gets.length > 0 ? o.gets.length * count : count;
  if (notNumber) {
    ctx.reply.error("ERR One or more scores can't be converted into double");
    return;
  }
  if (o.store === null) {
    ctx.reply.array(outputLength);
    for (let j = start; j <= end; j++) {
      const element = items[j].element;
      if (o.gets.length === 0) ctx.reply.bulk(element);
      for (const pattern of o.gets) ctx.reply.bulkOrNil(lookupByPattern(ctx, pattern, element));
    }
    return;
  }
  const out: string[] = [];
  for (let j = start; j <= end; j++) {
    const element = items[j].element;
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

/** sortCompare: numeric by score then bytes, or ALPHA by element or BY value. */
function comparator(o: SortOptions): (a: Item, b: Item) => number {
  const sign = o.desc ? -1 : 1;
  if (!o.alpha) {
    return (a, b) =>
      sign * (a.score > b.score ? 1 : a.score < b.score ? -1 : binaryCompare(a.element, b.element));
  }
  const compare = o.store !== null ? binaryCompare : collate;
  if (o.by !== null) {
    return (a, b) => {
      if (a.by === null || b.by === null) return sign * (a.by === b.by ? 0 : a.by === null ? -1 : 1);
      return sign * compare(a.by, b.by);
    };
  }
  return (a, b) => sign * compare(a.element, b.element);
}

export const sortCommands: CommandFamily = {
  sort: (ctx, argv) => sortGeneric(ctx, argv, false),
  sort_ro: (ctx, argv) => sortGeneric(ctx, argv, true),
};
