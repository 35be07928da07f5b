/**
 * Stream entries (t_stream.c): XADD, XTRIM, XDEL, XLEN, XRANGE, XREVRANGE and XSETID. A trim that
 * was approximate or limited propagates as the exact trim it turned out to be, and XADD as the id
 * it generated, so replicas and the AOF end up with the same entries.
 */
import type { CommandContext, CommandFamily } from '../../core/context.js';
import type { StreamValue, TrimArgs } from '../../store/types/stream.js';
import { formatId, MAX_ID, parseStreamId, type StreamId, U64_MAX } from '../../store/types/stream-id.js';
import { is } from '../args.js';
import { ERR } from '../replies.js';
import {
  INVALID_ID,
  idArg,
  intervalIdArg,
  longLongArg,
  nodeLimits,
  readStream,
  WRONGTYPE,
  writeOrCreateStream,
  writeStream,
} from './common.js';

interface AddTrimArgs {
  trim: TrimArgs | null;
  /** Index of MAXLEN's/MINID's threshold argument (its `~` is just before when approx). */
  thresholdIndex: number;
  /** XADD: index of the id argument. */
  idIndex: number;
  id: StreamId | null;
  seqGiven: boolean;
  noMkstream: boolean;
}

/** streamParseAddOrTrimArgsOrReply: null after replying an error. */
function parseAddTrimArgs(ctx: CommandContext, argv: string[], xadd: boolean): AddTrimArgs | null {
  const out: AddTrimArgs = {
    trim: null,
    thresholdIndex: 0,
    idIndex: 0,
    id: null,
    seqGiven: true,
    noMkstream: false,
  };
  let limit = 0;
  let limitGiven = false;
  let approx = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i];
    if (xadd && opt === '*') break;
    if ((is(opt, 'MAXLEN') || is(opt, 'MINID')) && more >= 1 && out.trim !== null) {
      ctx.reply.error('ERR syntax error, MAXLEN and MINID options at the same time are not compatible');
      return null;
    }
    if (is(opt, 'MAXLEN') && more >= 1) {
      approx = false;
      const next = argv[i + 1];
      if (more >= 2 && (next === '~' || next === '=')) {
        approx = next === '~';
        i++;
      }
      const maxlen = longLongArg(ctx, argv[i + 1]);
      if (maxlen === null) return null;
      if (maxlen < 0) {
        ctx.reply.error('ERR The MAXLEN argument must be >= 0.');
        return null;
      }
      i++;
      out.trim = { strategy: 'maxlen', maxlen, minid: 0n, approx, limit: 0 };
      out.thresholdIndex = i;
    } else if (is(opt, 'MINID') && more >= 1) {
      approx = false;
      const next = argv[i + 1];
      if (more >= 2 && (next === '~' || next === '=')) {
        approx = next === '~';
        i++;
      }
      const minid = idArg(ctx, argv[i + 1], 0n, true);
      if (minid === null) return null;
      i++;
      out.trim = { strategy: 'minid', maxlen: 0, minid, approx, limit: 0 };
      out.thresholdIndex = i;
    } else if (is(opt, 'LIMIT') && more >= 1) {
      const v = longLongArg(ctx, argv[i + 1]);
      if (v === null) return null;
      if (v < 0) {
        ctx.reply.error('ERR The LIMIT argument must be >= 0.');
        return null;
      }
      limit = v;
      limitGiven = true;
      i++;
    } else if (xadd && is(opt, 'NOMKSTREAM')) {
      out.noMkstream = true;
    } else if (xadd) {
      const parsed = parseStreamId(opt, 0n, true, true);
      if (parsed === null) {
        ctx.reply.error(INVALID_ID);
        return null;
      }
      out.id = parsed.id;
      out.seqGiven = parsed.seqGiven;
      break;
    } else {
      ctx.reply.error(ERR.syntax);
      return null;
    }
  }
  out.idIndex = i;
  if (limit !== 0 && out.trim === null) {
    ctx.reply.error('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
    return null;
  }
  if (!xadd && out.trim === null) {
    ctx.reply.error('ERR syntax error, XTRIM must be called with a trimming strategy');
    return null;
  }
  if (out.trim !== null) {
    if (ctx.mustObey) out.trim.limit = 0;
    else if (limitGiven) {
      if (!out.trim.approx) {
        ctx.reply.error('ERR syntax error, LIMIT cannot be used without the special ~ option');
        return null;
      }
      out.trim.limit = limit;
    } else if (out.trim.approx) {
      const byNodes = 100 * ctx.server.config.num('stream-node-max-entries');
      out.trim.limit = byNodes <= 0 ? 10000 : byNodes;
    }
  }
  return out;
}

/** After an approximate or limited trim: propagate the exact result (`=` and the reached threshold). */
function rewriteTrim(argv: string[], args: AddTrimArgs, s: StreamValue): string[] {
  const trim = args.trim as TrimArgs;
  const out = argv.slice();
  out[args.thresholdIndex - 1] = '=';
  if (trim.strategy === 'maxlen') out[args.thresholdIndex] = String(s.length);
  else out[args.thresholdIndex] = formatId(s.firstIdWithTombstones());
  return out;
}

function xadd(ctx: CommandContext, argv: string[]): void {
  const args = parseAddTrimArgs(ctx, argv, true);
  if (args === null) return;
  const fieldPos = args.idIndex + 1;
  const pairs = argv.length - fieldPos;
  if (pairs < 2 || pairs % 2 === 1) {
    ctx.reply.error(`ERR wrong number of arguments for '${ctx.command.name}' command`);
    return;
  }
  if (args.id !== null && args.seqGiven && args.id === 0n) {
    ctx.reply.error('ERR The ID specified in XADD must be greater than 0-0');
    return;
  }
  const key = argv[1];
  const s = writeOrCreateStream(ctx, key, args.noMkstream);
  if (s === null || s === WRONGTYPE) return;
  if (s.lastId === MAX_ID) {
    ctx.reply.error('ERR The stream has exhausted the last possible ID, unable to add more items');
    return;
  }
  let id: StreamId;
  if (args.id === null) {
    const ms = BigInt(Date.now());
    id = ms > s.lastId >> 64n ? ms << 64n : s.lastId + 1n;
  } else if (args.seqGiven) id = args.id;
  else if (s.lastId >> 64n === args.id >> 64n) {
    if ((s.lastId & U64_MAX) === U64_MAX) {
      // Redis 7.0 fails here without setting errno to EDOM, so it reports this error.
      ctx.reply.error('ERR Elements are too large to be stored');
      return;
    }
    id = s.lastId + 1n;
  } else id = args.id;
  if (id <= s.lastId) {
    ctx.reply.error('ERR The ID specified in XADD is equal or smaller than the target stream top item');
    return;
  }
  let contentBytes = 0;
  for (let i = fieldPos; i < argv.length; i++) contentBytes += argv[i].length;
  if (contentBytes > 1 << 30) {
    ctx.reply.error('ERR Elements are too large to be stored');
    return;
  }
  s.append(id, argv, fieldPos, nodeLimits(ctx));
  const idText = formatId(id);
  ctx.reply.bulk(idText);
  ctx.changed(key, 't', 'xadd');
  let propagated = argv;
  if (args.trim !== null) {
    if (s.trim(args.trim) > 0) {
      ctx.db.touch(key);
      ctx.notify('t', 'xtrim', key);
    }
    if (args.trim.approx) propagated = rewriteTrim(argv, args, s);
  }
  if (args.id === null || !args.seqGiven) {
    if (propagated === argv) propagated = argv.slice();
    propagated[args.idIndex] = idText;
  }
  if (propagated !== argv) ctx.rewriteArgv(propagated);
  ctx.signalKeyReady(key);
}

function xtrim(ctx: CommandContext, argv: string[]): void {
  const args = parseAddTrimArgs(ctx, argv, false);
  if (args === null) return;
  const s = writeStream(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  if (s === undefined) {
    ctx.reply.integer(0);
    return;
  }
  const removed = s.trim(args.trim as TrimArgs);
  if (removed > 0) {
    if ((args.trim as TrimArgs).approx) ctx.rewriteArgv(rewriteTrim(argv, args, s));
    ctx.changed(argv[1], 't', 'xtrim');
    ctx.addDirty(removed - 1);
  }
  ctx.reply.integer(removed);
}

function xdel(ctx: CommandContext, argv: string[]): void {
  const s = writeStream(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  if (s === undefined) {
    ctx.reply.integer(0);
    return;
  }
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) {
    const id = idArg(ctx, argv[j], 0n, true);
    if (id === null) return;
    ids.push(id);
  }
  let deleted = 0;
  let deletedFirst = false;
  for (const id of ids) {
    if (!s.delete(id)) continue;
    if (id === s.firstId) deletedFirst = true;
    if (id > s.maxDeletedId) s.maxDeletedId = id;
    deleted++;
  }
  if (deleted > 0) {
    s.afterDeletes(deletedFirst);
    ctx.changed(argv[1], 't', 'xdel');
    ctx.addDirty(deleted - 1);
  }
  ctx.reply.integer(deleted);
}

function xlen(ctx: CommandContext, argv: string[]): void {
  const s = readStream(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  ctx.reply.integer(s === undefined ? 0 : s.length);
}

function xrangeGeneric(ctx: CommandContext, argv: string[], reverse: boolean): void {
  const startArg = reverse ? argv[3] : argv[2];
  const endArg = reverse ? argv[2] : argv[3];
  const start = intervalIdArg(ctx, startArg, 0n);
  if (start === null) return;
  let startId = start.id;
  if (start.exclusive) {
    if (startId === MAX_ID) {
      ctx.reply.error('ERR invalid start ID for the interval');
      return;
    }
    startId++;
  }
  const end = intervalIdArg(ctx, endArg, U64_MAX);
  if (end === null) return;
  let endId = end.id;
  if (end.exclusive) {
    if (endId === 0n) {
      ctx.reply.error('ERR invalid end ID for the interval');
      return;
    }
    endId--;
  }
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (is(argv[j], 'COUNT') && j + 1 < argv.length) {
      const v = longLongArg(ctx, argv[++j]);
      if (v === null) return;
      count = Math.max(v, 0);
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const s = readStream(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  if (s === undefined) {
    ctx.reply.array(0);
    return;
  }
  if (count === 0) {
    ctx.reply.nilArray();
    return;
  }
  // Counted first, then written straight from the nodes: no copy of the entries in between.
  let n = 0;
  s.range(startId, endId, reverse, () => ++n !== count);
  const r = ctx.reply;
  r.array(n);
  if (n === 0) return;
  let left = n;
  s.range(startId, endId, reverse, (e) => {
    r.array(2);
    e.writeId(r);
    r.array(e.numFields * 2);
    e.writeFields(r);
    return --left > 0;
  });
}

/** XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
function xsetid(ctx: CommandContext, argv: string[]): void {
  const id = idArg(ctx, argv[2], 0n, true);
  if (id === null) return;
  let entriesAdded = -1n;
  let maxDeleted: StreamId | null = null;
  for (let i = 3; i < argv.length; i++) {
    const more = argv.length - i - 1;
    if (is(argv[i], 'ENTRIESADDED') && more >= 1) {
      const v = longLongArg(ctx, argv[i + 1]);
      if (v === null) return;
      const exact = BigInt(argv[i + 1]);
      if (exact < 0n) {
        ctx.reply.error('ERR entries_added must be positive');
        return;
      }
      entriesAdded = exact;
      i++;
    } else if (is(argv[i], 'MAXDELETEDID') && more >= 1) {
      maxDeleted = idArg(ctx, argv[i + 1], 0n, true);
      if (maxDeleted === null) return;
      if (id < maxDeleted) {
        ctx.reply.error('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
        return;
      }
      i++;
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const s = writeStream(ctx, argv[1]);
  if (s === undefined) {
    ctx.reply.error(ERR.noSuchKey);
    return;
  }
  if (s === WRONGTYPE) return;
  if (s.length > 0) {
    if (id < (s.lastValidId() ?? 0n)) {
      ctx.reply.error('ERR The ID specified in XSETID is smaller than the target stream top item');
      return;
    }
    if (entriesAdded !== -1n && BigInt(s.length) > entriesAdded) {
      ctx.reply.error('ERR The entries_added specified in XSETID is smaller than the target stream length');
      return;
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1n) s.entriesAdded = entriesAdded;
  if (maxDeleted !== null && maxDeleted !== 0n) s.maxDeletedId = maxDeleted;
  ctx.changed(argv[1], 't', 'xsetid');
  ctx.reply.ok();
}

export const streamEntryCommands: CommandFamily = {
  xadd,
  xtrim,
  xdel,
  xlen,
  xrange: (ctx, argv) => xrangeGeneric(ctx, argv, false),
  xrevrange: (ctx, argv) => xrangeGeneric(ctx, argv, true),
  xsetid,
};
