/**
 * Set commands (Redis's t_set.c). Results of SINTER/SUNION/SDIFF are built as fresh sets the way
 * Redis builds them, so their encoding (intset or hashtable) and reply order match.
 */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { SetValue } from '../store/types/set.js';
import { is } from './args.js';
import {
  addKey,
  deleteIfEmpty,
  lookupTyped,
  maxIntsetEntries,
  positiveLongArg,
  randomCountArg,
  randomDistinct,
  randomIndexes,
  rangeLongArg,
  replyEmptyScan,
  runScan,
  scanCursorArg,
  scanOptions,
  storeKey,
  WRONGTYPE,
} from './coll-common.js';
import { ERR } from './replies.js';

function readSet(ctx: CommandContext, key: string): SetValue | undefined | typeof WRONGTYPE {
  return lookupTyped<SetValue>(ctx, key, 'set', true);
}

function writeSet(ctx: CommandContext, key: string): SetValue | undefined | typeof WRONGTYPE {
  return lookupTyped<SetValue>(ctx, key, 'set', false);
}

function sadd(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  let s = writeSet(ctx, key);
  if (s === WRONGTYPE) return;
  if (s === undefined) {
    s = new SetValue();
    addKey(ctx, key, s);
  }
  const max = maxIntsetEntries(ctx);
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (s.add(argv[i], max)) added++;
  if (added > 0) {
    ctx.changed(key, 's', 'sadd');
    ctx.addDirty(added - 1);
  }
  ctx.reply.integer(added);
}

function srem(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const s = writeSet(ctx, key);
  if (s === WRONGTYPE) return;
  if (s === undefined) {
    ctx.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (s.delete(argv[i])) deleted++;
    if (s.size === 0) break;
  }
  if (deleted > 0) {
    ctx.changed(key, 's', 'srem');
    ctx.addDirty(deleted - 1);
    deleteIfEmpty(ctx, key, s);
  }
  ctx.reply.integer(deleted);
}

function scard(ctx: CommandContext, argv: string[]): void {
  const s = readSet(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  ctx.reply.integer(s?.size ?? 0);
}

function sismember(ctx: CommandContext, argv: string[]): void {
  const s = readSet(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  ctx.reply.integer(s?.has(argv[2]) ? 1 : 0);
}

function smismember(ctx: CommandContext, argv: string[]): void {
  const s = readSet(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) ctx.reply.integer(s?.has(argv[i]) ? 1 : 0);
}

/** SMOVE source destination member */
function smove(ctx: CommandContext, argv: string[]): void {
  const [, srcKey, dstKey, member] = argv;
  const src = ctx.db.get(srcKey);
  const dst = ctx.db.get(dstKey);
  if (src === undefined) {
    ctx.reply.integer(0);
    return;
  }
  if (!(src instanceof SetValue) || (dst !== undefined && !(dst instanceof SetValue))) {
    ctx.reply.error(ERR.wrongType);
    return;
  }
  if (src === dst) {
    ctx.reply.integer(src.has(member) ? 1 : 0);
    return;
  }
  if (!src.delete(member)) {
    ctx.reply.integer(0);
    return;
  }
  ctx.changed(srcKey, 's', 'srem');
  deleteIfEmpty(ctx, srcKey, src);
  let target = dst;
  if (target === undefined) {
    target = new SetValue();
    addKey(ctx, dstKey, target);
  }
  if (target.add(member, maxIntsetEntries(ctx))) ctx.changed(dstKey, 's', 'sadd');
  ctx.reply.integer(1);
}

function spop(ctx: CommandContext, argv: string[]): void {
  if (argv.length === 3) {
    spopWithCount(ctx, argv);
    return;
  }
  if (argv.length > 3) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const key = argv[1];
  const s = writeSet(ctx, key);
  if (s === WRONGTYPE) return;
  if (s === undefined) {
    ctx.reply.nil();
    return;
  }
  const member = s.randomMember();
  s.delete(member);
  ctx.changed(key, 's', 'spop');
  ctx.rewriteArgv(['SREM', key, member]);
  ctx.reply.bulk(member);
  deleteIfEmpty(ctx, key, s);
}

/**
 * SPOP key count: replies a set of the popped members. Replicas get one SREM per member (or a
 * DEL when the whole set goes), since which members are popped is random.
 */
function spopWithCount(ctx: CommandContext, argv: string[]): void {
  const count = positiveLongArg(ctx, argv[2]);
  if (count === null) return;
  const key = argv[1];
  const s = writeSet(ctx, key);
  if (s === WRONGTYPE) return;
  if (s === undefined || count === 0) {
    ctx.reply.set(0);
    return;
  }
  ctx.changed(key, 's', 'spop');
  ctx.addDirty(count - 1);
  if (count >= s.size) {
    // The whole set, in the order of a fresh copy (SUNION of the one key).
    const all = SetValue.of(s.members(), maxIntsetEntries(ctx));
    ctx.reply.set(all.size);
    all.forEach((m) => {
      ctx.reply.bulk(m);
    });
    ctx.db.delete(key);
    ctx.notify('g', 'del', key);
    ctx.rewriteArgv([ctx.server.config.bool('lazyfree-lazy-server-del') ? 'UNLINK' : 'DEL', key]);
    return;
  }
  ctx.reply.set(count);
  for (let i = 0; i < count; i++) {
    const member = s.randomMember();
    s.delete(member);
    ctx.reply.bulk(member);
    ctx.alsoPropagate(['SREM', key, member]);
  }
  ctx.preventPropagation();
}

function srandmember(ctx: CommandContext, argv: string[]): void {
  if (argv.length === 3) {
    srandmemberWithCount(ctx, argv);
    return;
  }
  if (argv.length > 3) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const s = readSet(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  if (s === undefined) ctx.reply.nil();
  else ctx.reply.bulk(s.randomMember());
}

function srandmemberWithCount(ctx: CommandContext, argv: string[]): void {
  const count = randomCountArg(ctx, argv[2]);
  if (count === null) return;
  const s = readSet(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  if (s === undefined || count === 0) {
    ctx.reply.array(0);
    return;
  }
  if (count < 0 || count === 1) {
    const n = Math.abs(count);
    ctx.reply.array(n);
    for (let i = 0; i < n; i++) ctx.reply.bulk(s.randomMember());
    return;
  }
  if (count >= s.size) {
    ctx.reply.array(s.size);
    s.forEach((m) => {
      ctx.reply.bulk(m);
    });
    return;
  }
  ctx.reply.array(count);
  if (s.isIntset || count * 3 > s.size) {
    const members = s.members();
    for (const i of randomIndexes(s.size, count)) ctx.reply.bulk(members[i]);
  } else {
    for (const m of randomDistinct(count, () => s.randomMember())) ctx.reply.bulk(m);
  }
}

/** Reads the sets of a SINTER/SUNION/SDIFF: null after a WRONGTYPE reply, undefined for missing keys. */
function readSets(ctx: CommandContext, keys: string[]): (SetValue | undefined)[] | null {
  const sets: (SetValue | undefined)[] = [];
  for (const key of keys) {
    const s = readSet(ctx, key);
    if (s === WRONGTYPE) return null;
    sets.push(s);
  }
  return sets;
}

/** Stores a SINTERSTORE/SUNIONSTORE/SDIFFSTORE result, or deletes the destination when empty. */
function storeResult(ctx: CommandContext, dstKey: string, result: SetValue, event: string): void {
  if (result.size > 0) {
    storeKey(ctx, dstKey, result);
    ctx.changed(dstKey, 's', event);
    ctx.reply.integer(result.size);
    return;
  }
  ctx.reply.integer(0);
  if (ctx.db.delete(dstKey)) ctx.changed(dstKey, 'g', 'del');
}

function replySet(ctx: CommandContext, result: SetValue): void {
  ctx.reply.set(result.size);
  result.forEach((m) => {
    ctx.reply.bulk(m);
  });
}

/**
 * SINTER/SINTERSTORE/SINTERCARD: walks the smallest set (ties keep argument order, as glibc's
 * stable qsort does) and keeps members present in all others.
 */
function sinterGeneric(
  ctx: CommandContext,
  keys: string[],
  dstKey: string | null,
  cardinalityOnly: boolean,
  limit = 0,
): void {
  const found = readSets(ctx, keys);
  if (found === null) return;
  if (found.includes(undefined)) {
    if (dstKey !== null) {
      if (ctx.db.delete(dstKey)) ctx.changed(dstKey, 'g', 'del');
      ctx.reply.integer(0);
    } else if (cardinalityOnly) {
      ctx.reply.integer(0);
    } else {
      ctx.reply.set(0);
    }
    return;
  }
  const sets = (found as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const first = sets[0];
  const members: string[] = [];
  let cardinality = 0;
  first.forEach((m) => {
    if (limit > 0 && cardinality >= limit) return;
    for (let j = 1; j < sets.length; j++) if (sets[j] !== first && !sets[j].has(m)) return;
    cardinality++;
    if (!cardinalityOnly) members.push(m);
  });
  if (cardinalityOnly) {
    ctx.reply.integer(cardinality);
  } else if (dstKey !== null) {
    storeResult(ctx, dstKey, SetValue.of(members, maxIntsetEntries(ctx)), 'sinterstore');
  } else {
    ctx.reply.set(members.length);
    for (const m of members) ctx.reply.bulk(m);
  }
}

function sinter(ctx: CommandContext, argv: string[]): void {
  sinterGeneric(ctx, argv.slice(1), null, false);
}

function sinterstore(ctx: CommandContext, argv: string[]): void {
  sinterGeneric(ctx, argv.slice(2), argv[1], false);
}

function sintercard(ctx: CommandContext, argv: string[]): void {
  const numkeys = rangeLongArg(
    ctx,
    argv[1],
    1n,
    9223372036854775807n,
    'ERR numkeys should be greater than 0',
  );
  if (numkeys === null) return;
  if (numkeys > argv.length - 2) {
    ctx.reply.error("ERR Number of keys can't be greater than number of args");
    return;
  }
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    if (is(argv[j], 'LIMIT') && j + 1 < argv.length) {
      const l = positiveLongArg(ctx, argv[++j], "ERR LIMIT can't be negative");
      if (l === null) return;
      limit = l;
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  sinterGeneric(ctx, argv.slice(2, 2 + numkeys), null, true, limit);
}

/** SUNION/SDIFF and their STORE forms: the result is built as a fresh set (intset when it can). */
function sunionDiffGeneric(ctx: CommandContext, keys: string[], dstKey: string | null, diff: boolean): void {
  const sets = readSets(ctx, keys);
  if (sets === null) return;
  const max = maxIntsetEntries(ctx);
  const result = new SetValue();
  if (!diff) {
    for (const s of sets) {
      s?.forEach((m) => {
        result.add(m, max);
      });
    }
  } else if (sets[0] !== undefined && !sets.slice(1).includes(sets[0])) {
    const others = sets.slice(1).filter((s): s is SetValue => s !== undefined);
    sets[0].forEach((m) => {
      if (!others.some((o) => o.has(m))) result.add(m, max);
    });
  }
  if (dstKey === null) replySet(ctx, result);
  else storeResult(ctx, dstKey, result, diff ? 'sdiffstore' : 'sunionstore');
}

function sunion(ctx: CommandContext, argv: string[]): void {
  sunionDiffGeneric(ctx, argv.slice(1), null, false);
}

function sunionstore(ctx: CommandContext, argv: string[]): void {
  sunionDiffGeneric(ctx, argv.slice(2), argv[1], false);
}

function sdiff(ctx: CommandContext, argv: string[]): void {
  sunionDiffGeneric(ctx, argv.slice(1), null, true);
}

function sdiffstore(ctx: CommandContext, argv: string[]): void {
  sunionDiffGeneric(ctx, argv.slice(2), argv[1], true);
}

function sscan(ctx: CommandContext, argv: string[]): void {
  const cursor = scanCursorArg(ctx, argv[2]);
  if (cursor === null) return;
  const s = readSet(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  if (s === undefined) {
    replyEmptyScan(ctx);
    return;
  }
  const opts = scanOptions(ctx, argv);
  if (opts === null) return;
  const step = s.isIntset ? null : (c: number, out: string[]) => s.scan(c, (m) => out.push(m));
  runScan(ctx, cursor, opts, false, step, () => s.members());
}

export const setCommands: CommandFamily = {
  sadd,
  srem,
  scard,
  sismember,
  smismember,
  smembers: sinter,
  smove,
  spop,
  srandmember,
  sinter,
  sinterstore,
  sintercard,
  sunion,
  sunionstore,
  sdiff,
  sdiffstore,
  sscan,
};
