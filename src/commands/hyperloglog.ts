/** PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST over HLL strings (store/hyperloglog.ts). */
import type { CommandContext, CommandFamily } from '../core/context.js';
import {
  cachedCount,
  createHll,
  decodeSparse,
  denseRegisters,
  encodingOf,
  HLL_DENSE,
  HLL_REGISTERS,
  HLL_SPARSE,
  hllAdd,
  hllCount,
  hllMerge,
  hllSet,
  INVALID_HLL,
  invalidateCache,
  isHll,
  NOT_HLL,
  rawCount,
  selfTest,
  sparseToDense,
  storeCount,
} from '../store/hyperloglog.js';
import { isString, MutableString, type StringValue, type Value } from '../store/values.js';
import { keyMiss } from './args.js';
import { ERR } from './replies.js';

function sparseMaxBytes(ctx: CommandContext): number {
  return ctx.server.config.num('hll-sparse-max-bytes');
}

/** Redis's isHLLObjectOrReply: whether v is an HLL string, after replying the error if not. */
function checkHll(ctx: CommandContext, v: Value): v is StringValue {
  if (!isString(v)) {
    ctx.reply.error(ERR.wrongType);
    return false;
  }
  if (!isHll(v)) {
    ctx.reply.error(NOT_HLL);
    return false;
  }
  return true;
}

/** The key's HLL made writable in place (dbUnshareStringValue). */
function writable(ctx: CommandContext, key: string, v: StringValue): MutableString {
  const m = MutableString.from(v);
  if (m !== v) ctx.db.replace(key, m);
  return m;
}

/** An HLL to read only (a source of a union): left as stored. */
function readable(v: StringValue): MutableString {
  return typeof v === 'string' ? MutableString.from(v) : v;
}

/** lookupKeyRead: the value, counting a keyspace hit or miss. */
function readValue(ctx: CommandContext, key: string): Value | undefined {
  const v = ctx.db.get(key);
  if (v === undefined) keyMiss(ctx, key);
  else ctx.keyspace.hits++;
  return v;
}

function pfadd(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const current = ctx.db.get(key);
  let updated = 0;
  let m: MutableString;
  if (current === undefined) {
    m = createHll();
    ctx.db.set(key, m);
    updated++;
  } else {
    if (!checkHll(ctx, current)) return;
    m = writable(ctx, key, current);
  }
  const maxBytes = sparseMaxBytes(ctx);
  for (let j = 2; j < argv.length; j++) {
    const r = hllAdd(m, argv[j], maxBytes);
    if (r === 1) updated++;
    else if (r === -1) {
      ctx.reply.error(INVALID_HLL);
      return;
    }
  }
  if (updated > 0) {
    invalidateCache(m);
    ctx.changed(key, '$', 'pfadd');
    ctx.addDirty(updated - 1);
  }
  ctx.reply.integer(updated > 0 ? 1 : 0);
}

function pfcount(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const v = readValue(ctx, argv[j]);
      if (v === undefined) continue;
      if (!checkHll(ctx, v)) return;
      if (!hllMerge(max, readable(v))) {
        ctx.reply.error(INVALID_HLL);
        return;
      }
    }
    ctx.reply.integer(rawCount(max));
    return;
  }
  const key = argv[1];
  const v = readValue(ctx, key);
  if (v === undefined) {
    ctx.reply.integer(0);
    return;
  }
  if (!checkHll(ctx, v)) return;
  const m = writable(ctx, key, v);
  const cached = cachedCount(m);
  if (cached !== null) {
    ctx.reply.integer(cached);
    return;
  }
  const card = hllCount(m);
  if (card === null) {
    ctx.reply.error(INVALID_HLL);
    return;
  }
  storeCount(m, card);
  // The cache is part of the string: the change is a write, propagated like Redis's.
  ctx.db.touch(key);
  ctx.addDirty(1);
  ctx.reply.integer(card);
}

function pfmerge(ctx: CommandContext, argv: string[]): void {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const v = readValue(ctx, argv[j]);
    if (v === undefined) continue;
    if (!checkHll(ctx, v)) return;
    const m = readable(v);
    if (encodingOf(m) === HLL_DENSE) useDense = true;
    if (!hllMerge(max, m)) {
      ctx.reply.error(INVALID_HLL);
      return;
    }
  }
  const key = argv[1];
  const current = ctx.db.get(key);
  let m: MutableString;
  if (current === undefined) {
    m = createHll();
    ctx.db.set(key, m);
  } else {
    // Checked as a source above.
    m = writable(ctx, key, current as StringValue);
  }
  if (useDense && !sparseToDense(m)) {
    ctx.reply.error(INVALID_HLL);
    return;
  }
  const maxBytes = sparseMaxBytes(ctx);
  for (let j = 0; j < HLL_REGISTERS; j++) if (max[j] !== 0) hllSet(m, j, max[j], maxBytes);
  invalidateCache(m);
  // PFMERGE notifies as a mass PFADD, as in Redis.
  ctx.changed(key, '$', 'pfadd');
  ctx.reply.ok();
}

/** Turns a sparse HLL dense; the change is propagated, as Redis forces it. Whether it converted. */
function toDense(ctx: CommandContext, key: string, m: MutableString): boolean | null {
  if (encodingOf(m) !== HLL_SPARSE) return false;
  if (!sparseToDense(m)) return null;
  ctx.db.touch(key);
  ctx.addDirty(1);
  return true;
}

const PFDEBUG: Record<string, (ctx: CommandContext, key: string, m: MutableString) => void> = {
  getreg(ctx, key, m) {
    if (toDense(ctx, key, m) === null) {
      ctx.reply.error(INVALID_HLL);
      return;
    }
    const regs = denseRegisters(m);
    ctx.reply.array(regs.length);
    for (const r of regs) ctx.reply.integer(r);
  },
  decode(ctx, _key, m) {
    if (encodingOf(m) !== HLL_SPARSE) ctx.reply.error('ERR HLL encoding is not sparse');
    else ctx.reply.bulk(decodeSparse(m));
  },
  encoding(ctx, _key, m) {
    ctx.reply.simple(encodingOf(m) === HLL_DENSE ? 'dense' : 'sparse');
  },
  todense(ctx, key, m) {
    const converted = toDense(ctx, key, m);
    if (converted === null) ctx.reply.error(INVALID_HLL);
    else ctx.reply.integer(converted ? 1 : 0);
  },
};

function pfdebug(ctx: CommandContext, argv: string[]): void {
  const [, sub, key] = argv;
  const v = ctx.db.get(key);
  if (v === undefined) {
    ctx.reply.error('ERR The specified key does not exist');
    return;
  }
  if (!checkHll(ctx, v)) return;
  const m = writable(ctx, key, v);
  const run = Object.hasOwn(PFDEBUG, sub.toLowerCase()) ? PFDEBUG[sub.toLowerCase()] : undefined;
  if (run === undefined) ctx.reply.error(`ERR Unknown PFDEBUG subcommand '${sub}'`);
  else if (argv.length !== 3) ctx.reply.error(`ERR Wrong number of arguments for the '${sub}' subcommand`);
  else run(ctx, key, m);
}

function pfselftest(ctx: CommandContext): void {
  const failure = selfTest(sparseMaxBytes(ctx));
  if (failure === null) ctx.reply.ok();
  else ctx.reply.error(`ERR ${failure}`);
}

export const hyperloglogCommands: CommandFamily = {
  pfadd,
  pfcount,
  pfmerge,
  pfdebug,
  pfselftest,
};
