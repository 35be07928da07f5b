/**
 * ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (zunionInterDiffGenericCommand). Inputs
 * may be sets, whose members count with score 1.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { parseDouble } from '../lib/numbers.js';
import { SetValue } from '../store/types/set.js';
import { ZSetValue } from '../store/types/zset.js';
import { is, keyMiss } from './args.js';
import { longArg, positiveLongArg, storeKey, zsetLimits } from './coll-common.js';
import { ERR } from './replies.js';
import { replyEntries } from './zset-ranges.js';

type Op = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';

/** One input: a sorted set, a plain set, or nothing (missing key), with its weight. */
interface Source {
  value: ZSetValue | SetValue | undefined;
  weight: number;
}

function sourceSize(s: Source): number {
  return s.value?.size ?? 0;
}

function sourceForEach(s: Source, fn: (member: string, score: number) => void): void {
  const v = s.value;
  if (v instanceof ZSetValue) v.forEach(fn);
  else {
    v?.forEach((m) => {
      fn(m, 1);
    });
  }
}

function sourceScore(s: Source, member: string): number | undefined {
  const v = s.value;
  if (v instanceof ZSetValue) return v.score(member);
  return v?.has(member) ? 1 : undefined;
}

/** zunionInterAggregate: SUM turns inf + -inf into 0 rather than NaN. */
function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === 'sum') {
    const r = target + value;
    return Number.isNaN(r) ? 0 : r;
  }
  // Not Math.min/max: a NaN value must leave the target alone, as Redis's comparisons do.
  // biome-ignore lint/complexity/useMathMinMax: NaN semantics differ
  if (how === 'min') return value < target ? value : target;
  // biome-ignore lint/complexity/useMathMinMax: NaN semantics differ
  return value > target ? value : target;
}

/** Weighted score; NaN (0 * inf) counts as 0. */
function weighted(score: number, weight: number): number {
  const r = score * weight;
  return Number.isNaN(r) ? 0 : r;
}

interface Options {
  aggregate: Aggregate;
  withScores: boolean;
  limit: number;
}

/** Parses WEIGHTS/AGGREGATE/WITHSCORES/LIMIT after the keys; null after an error reply. */
function parseOptions(
  ctx: CommandContext,
  argv: string[],
  from: number,
  sources: Source[],
  op: Op,
  store: boolean,
  cardinalityOnly: boolean,
): Options | null {
  const opts: Options = { aggregate: 'sum', withScores: false, limit: 0 };
  let j = from;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const a = argv[j];
    if (op !== 'diff' && !cardinalityOnly && remaining >= sources.length + 1 && is(a, 'WEIGHTS')) {
      j++;
      for (const s of sources) {
        const w = parseDouble(argv[j++]);
        if (w === null) {
          ctx.reply.error('ERR weight value is not a float');
          return null;
        }
        s.weight = w;
      }
    } else if (op !== 'diff' && !cardinalityOnly && remaining >= 2 && is(a, 'AGGREGATE')) {
      const how = argv[j + 1];
      if (is(how, 'SUM')) opts.aggregate = 'sum';
      else if (is(how, 'MIN')) opts.aggregate = 'min';
      else if (is(how, 'MAX')) opts.aggregate = 'max';
      else {
        ctx.reply.error(ERR.syntax);
        return null;
      }
      j += 2;
    } else if (!store && !cardinalityOnly && is(a, 'WITHSCORES')) {
      opts.withScores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && is(a, 'LIMIT')) {
      const l = positiveLongArg(ctx, argv[j + 1], "ERR LIMIT can't be negative");
      if (l === null) return null;
      opts.limit = l;
      j += 2;
    } else {
      ctx.reply.error(ERR.syntax);
      return null;
    }
  }
  return opts;
}

/**
 * The generic command: argv[numkeysAt] is numkeys; dst is the STORE destination. The input keys
 * are looked up (and type-checked) before the options are parsed, as Redis does.
 */
function zsetOpGeneric(
  ctx: CommandContext,
  argv: string[],
  numkeysAt: number,
  dst: string | null,
  op: Op,
  cardinalityOnly = false,
): void {
  const numkeys = longArg(ctx, argv[numkeysAt]);
  if (numkeys === null) return;
  if (numkeys < 1) {
    ctx.reply.error(`ERR at least 1 input key is needed for '${ctx.command.name}' command`);
    return;
  }
  if (numkeys > argv.length - numkeysAt - 1) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const sources: Source[] = [];
  for (let i = 0; i < numkeys; i++) {
    const v = ctx.db.get(argv[numkeysAt + 1 + i]);
    if (v === undefined) keyMiss(ctx, argv[numkeysAt + 1 + i]);
    else ctx.keyspace.hits++;
    if (v !== undefined && !(v instanceof ZSetValue) && !(v instanceof SetValue)) {
      ctx.reply.error(ERR.wrongType);
      return;
    }
    sources.push({ value: v, weight: 1 });
  }
  const opts = parseOptions(ctx, argv, numkeysAt + 1 + numkeys, sources, op, dst !== null, cardinalityOnly);
  if (opts === null) return;
  // Smallest first (stable, like glibc's merge-sort qsort) except for DIFF, whose first is special.
  const ordered = op === 'diff' ? sources : sources.slice().sort((a, b) => sourceSize(a) - sourceSize(b));

  if (cardinalityOnly) {
    ctx.reply.integer(interCardinality(ordered, opts.limit));
    return;
  }
  const result =
    op === 'inter'
      ? intersection(ordered, opts.aggregate)
      : op === 'union'
        ? union(ordered, opts.aggregate)
        : difference(ordered);
  if (dst !== null) {
    storeResult(ctx, dst, result, op);
    return;
  }
  const entries = [...result].sort(compareEntries);
  replyEntries(
    ctx,
    entries.map((e) => e[0]),
    entries.map((e) => e[1]),
    opts.withScores,
  );
}

/** Sorted set order: score, then member bytes. */
function compareEntries(a: [string, number], b: [string, number]): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function intersection(sources: Source[], how: Aggregate): Map<string, number> {
  const out = new Map<string, number>();
  const first = sources[0];
  if (sourceSize(first) === 0) return out;
  sourceForEach(first, (member, score) => {
    let total = weighted(score, first.weight);
    for (let j = 1; j < sources.length; j++) {
      const other = sourceScore(sources[j], member);
      if (other === undefined) return;
      // Only the first input's product is NaN-checked: MIN/MAX then ignore a NaN, SUM zeroes it.
      total = aggregate(total, other * sources[j].weight, how);
    }
    out.set(member, total);
  });
  return out;
}

function interCardinality(sources: Source[], limit: number): number {
  let count = 0;
  const first = sources[0];
  if (sourceSize(first) === 0) return 0;
  sourceForEach(first, (member) => {
    if (limit > 0 && count >= limit) return;
    for (let j = 1; j < sources.length; j++) if (sourceScore(sources[j], member) === undefined) return;
    count++;
  });
  return count;
}

function union(sources: Source[], how: Aggregate): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of sources) {
    sourceForEach(s, (member, score) => {
      const w = weighted(score, s.weight);
      const current = out.get(member);
      out.set(member, current === undefined ? w : aggregate(current, w, how));
    });
  }
  return out;
}

/** Members of the first input found in no other, with their first-input scores. */
function difference(sources: Source[]): Map<string, number> {
  const out = new Map<string, number>();
  const rest = sources.slice(1);
  sourceForEach(sources[0], (member, score) => {
    if (!rest.some((s) => sourceScore(s, member) !== undefined)) out.set(member, score);
  });
  return out;
}

function storeResult(ctx: CommandContext, dst: string, result: Map<string, number>, op: Op): void {
  if (result.size === 0) {
    ctx.reply.integer(0);
    if (ctx.db.delete(dst)) ctx.changed(dst, 'g', 'del');
    return;
  }
  const z = ZSetValue.fromEntries(result, zsetLimits(ctx));
  storeKey(ctx, dst, z);
  ctx.reply.integer(z.size);
  ctx.changed(dst, 'z', `z${op}store`);
}

export const zsetSetOpCommands: CommandFamily = {
  zunion: (ctx, argv) => zsetOpGeneric(ctx, argv, 1, null, 'union'),
  zinter: (ctx, argv) => zsetOpGeneric(ctx, argv, 1, null, 'inter'),
  zdiff: (ctx, argv) => zsetOpGeneric(ctx, argv, 1, null, 'diff'),
  zunionstore: (ctx, argv) => zsetOpGeneric(ctx, argv, 2, argv[1], 'union'),
  zinterstore: (ctx, argv) => zsetOpGeneric(ctx, argv, 2, argv[1], 'inter'),
  zdiffstore: (ctx, argv) => zsetOpGeneric(ctx, argv, 2, argv[1], 'diff'),
  zintercard: (ctx, argv) => zsetOpGeneric(ctx, argv, 1, null, 'inter', true),
};
