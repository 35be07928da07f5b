/**
 * Consumer groups (t_stream.c): XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER/HELP,
 * XACK, XPENDING, XCLAIM and XAUTOCLAIM. Claims propagate as the idempotent XCLAIM form (with
 * TIME, RETRYCOUNT, FORCE, JUSTID, LASTID), never as themselves.
 */
import type { CommandContext, CommandFamily } from '../../core/context.js';
import { parseInt64 } from '../../lib/numbers.js';
import { StreamValue } from '../../store/types/stream.js';
import {
  type Consumer,
  ConsumerGroup,
  countDelivery,
  INVALID_ENTRIES_READ,
  type Nack,
} from '../../store/types/stream-groups.js';
import { formatId, MAX_ID, parseStreamId, type StreamId, U64_MAX } from '../../store/types/stream-id.js';
import { is } from '../args.js';
import { rangeLongArg } from '../coll-common.js';
import { replyHelp, subcommandSyntaxError } from '../help-replies.js';
import { ERR } from '../replies.js';
import { idArg, intervalIdArg, readStream, replyEntry, WRONGTYPE, writeStream } from './common.js';
import {
  cstr,
  lookupOrCreateConsumer,
  noGroupError,
  noSuchGroupError,
  nowMs,
  propagateGroupId,
  propagateXclaim,
} from './group-common.js';

const XGROUP_HELP = [
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
];

/** getLongLongFromObjectOrReply with an optional message, exact. */
function exactLongArg(ctx: CommandContext, s: string, msg?: string): bigint | null {
  const v = parseInt64(s);
  if (v === null) {
    ctx.reply.error(msg === undefined ? ERR.notInteger : `ERR ${msg}`);
    return null;
  }
  return BigInt(v);
}

/**
 * xgroupCommand's shared prologue: options, the key (must exist unless MKSTREAM) and the group
 * (must exist for SETID, CREATECONSUMER, DELCONSUMER). Null after replying an error.
 */
function xgroupPrologue(
  ctx: CommandContext,
  argv: string[],
): {
  s: StreamValue | undefined;
  group: ConsumerGroup | undefined;
  mkstream: boolean;
  entriesRead: bigint;
} | null {
  const sub = argv[1].toLowerCase();
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  if ((sub === 'create' || sub === 'setid') && argv.length >= 5) {
    for (let i = 5; i < argv.length; ) {
      if (sub === 'create' && is(argv[i], 'MKSTREAM')) {
        mkstream = true;
        i++;
      } else if (is(argv[i], 'ENTRIESREAD') && i + 1 < argv.length) {
        const v = exactLongArg(ctx, argv[i + 1]);
        if (v === null) return null;
        if (v < 0n && v !== INVALID_ENTRIES_READ) {
          ctx.reply.error('ERR value for ENTRIESREAD must be positive or -1');
          return null;
        }
        entriesRead = v;
        i += 2;
      } else {
        subcommandSyntaxError(ctx, argv);
        return null;
      }
    }
  }
  const s = writeStream(ctx, argv[2]);
  if (s === WRONGTYPE) return null;
  const group = s?.group(argv[3]);
  if (!mkstream) {
    if (s === undefined) {
      ctx.reply.error(
        'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
      );
      return null;
    }
    if (group === undefined && (sub === 'setid' || sub === 'createconsumer' || sub === 'delconsumer')) {
      ctx.reply.error(noSuchGroupError(argv[3], argv[2]));
      return null;
    }
  }
  return { s, group, mkstream, entriesRead };
}

function xgroupCreate(ctx: CommandContext, argv: string[]): void {
  const p = xgroupPrologue(ctx, argv);
  if (p === null) return;
  if (argv.length > 8) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  let s = p.s;
  let id: StreamId;
  if (argv[4] === '$') id = s === undefined ? 0n : s.lastId;
  else {
    const parsed = idArg(ctx, argv[4], 0n, true);
    if (parsed === null) return;
    id = parsed;
  }
  const key = argv[2];
  if (s === undefined) {
    s = new StreamValue();
    ctx.db.set(key, s);
    ctx.db.touch(key);
  }
  if (s.group(argv[3]) !== undefined) {
    ctx.reply.error('BUSYGROUP Consumer Group name already exists');
    return;
  }
  s.groups ??= new Map();
  s.groups.set(argv[3], new ConsumerGroup(argv[3], id, p.entriesRead));
  ctx.reply.ok();
  ctx.changed(key, 't', 'xgroup-create');
}

function xgroupSetid(ctx: CommandContext, argv: string[]): void {
  const p = xgroupPrologue(ctx, argv);
  if (p === null) return;
  if (argv.length !== 5 && argv.length !== 7) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  const s = p.s as StreamValue;
  const group = p.group as ConsumerGroup;
  let id: StreamId;
  if (argv[4] === '$') id = s.lastId;
  else {
    const parsed = idArg(ctx, argv[4], 0n, false);
    if (parsed === null) return;
    id = parsed;
  }
  group.lastId = id;
  group.entriesRead = p.entriesRead;
  ctx.reply.ok();
  ctx.changed(argv[2], 't', 'xgroup-setid');
}

function xgroupDestroy(ctx: CommandContext, argv: string[]): void {
  const p = xgroupPrologue(ctx, argv);
  if (p === null) return;
  const s = p.s as StreamValue;
  if (p.group === undefined) {
    ctx.reply.integer(0);
    return;
  }
  s.groups?.delete(argv[3]);
  ctx.reply.integer(1);
  ctx.changed(argv[2], 't', 'xgroup-destroy');
  ctx.signalKeyReady(argv[2]);
}

function xgroupCreateConsumer(ctx: CommandContext, argv: string[]): void {
  const p = xgroupPrologue(ctx, argv);
  if (p === null) return;
  const group = p.group as ConsumerGroup;
  const created = group.createConsumer(argv[4], nowMs());
  if (created !== null) {
    ctx.addDirty(1);
    ctx.notify('t', 'xgroup-createconsumer', argv[2]);
  }
  ctx.reply.integer(created === null ? 0 : 1);
}

function xgroupDelConsumer(ctx: CommandContext, argv: string[]): void {
  const p = xgroupPrologue(ctx, argv);
  if (p === null) return;
  const group = p.group as ConsumerGroup;
  const consumer = group.consumers.get(argv[4]);
  let pending = 0;
  if (consumer !== undefined) {
    pending = consumer.pel.size;
    group.deleteConsumer(consumer);
    ctx.addDirty(1);
    ctx.notify('t', 'xgroup-delconsumer', argv[2]);
  }
  ctx.reply.integer(pending);
}

/** XACK key group id [id …]: all ids are checked before any is acknowledged. */
function xack(ctx: CommandContext, argv: string[]): void {
  const s = readStream(ctx, argv[1]);
  if (s === WRONGTYPE) return;
  const group = s?.group(argv[2]);
  if (group === undefined) {
    ctx.reply.integer(0);
    return;
  }
  const ids: StreamId[] = [];
  for (let j = 3; j < argv.length; j++) {
    const id = idArg(ctx, argv[j], 0n, true);
    if (id === null) return;
    ids.push(id);
  }
  let acked = 0;
  for (const id of ids) {
    const nack = group.pel.get(id);
    if (nack === undefined) continue;
    group.pel.delete(id);
    nack.consumer.pel.delete(id);
    acked++;
  }
  ctx.addDirty(acked);
  ctx.reply.integer(acked);
}

function xpending(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const groupName = argv[2];
  const summary = argv.length === 3;
  if (argv.length !== 3 && (argv.length < 6 || argv.length > 9)) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  let start = 0n;
  let end = 0n;
  let count = 0n;
  let minIdle = 0n;
  let consumerName: string | null = null;
  if (argv.length >= 6) {
    let startIdx = 3;
    if (is(argv[3], 'IDLE')) {
      const v = exactLongArg(ctx, argv[4]);
      if (v === null) return;
      minIdle = v;
      if (argv.length < 8) {
        ctx.reply.error(ERR.syntax);
        return;
      }
      startIdx += 2;
    }
    const c = exactLongArg(ctx, argv[startIdx + 2]);
    if (c === null) return;
    count = c < 0n ? 0n : c;
    const st = intervalIdArg(ctx, argv[startIdx], 0n);
    if (st === null) return;
    start = st.id;
    if (st.exclusive) {
      if (start === MAX_ID) {
        ctx.reply.error('ERR invalid start ID for the interval');
        return;
      }
      start++;
    }
    const en = intervalIdArg(ctx, argv[startIdx + 1], U64_MAX);
    if (en === null) return;
    end = en.id;
    if (en.exclusive) {
      if (end === 0n) {
        ctx.reply.error('ERR invalid end ID for the interval');
        return;
      }
      end--;
    }
    if (startIdx + 3 < argv.length) consumerName = argv[startIdx + 3];
  }
  const s = readStream(ctx, key);
  if (s === WRONGTYPE) return;
  const group = s?.group(groupName);
  if (group === undefined) {
    ctx.reply.error(noGroupError(key, groupName));
    return;
  }
  const r = ctx.reply;
  if (summary) {
    r.array(4);
    r.integer(group.pel.size);
    if (group.pel.size === 0) {
      r.nil();
      r.nil();
      r.nilArray();
      return;
    }
    r.bulk(formatId(group.pel.first() as StreamId));
    r.bulk(formatId(group.pel.last() as StreamId));
    const owners = group.sortedConsumers().filter((c) => c.pel.size > 0);
    r.array(owners.length);
    for (const c of owners) {
      r.array(2);
      r.bulk(c.name);
      r.bulk(String(c.pel.size));
    }
    return;
  }
  let pel = group.pel;
  if (consumerName !== null) {
    const consumer = group.consumers.get(consumerName);
    if (consumer === undefined) {
      r.array(0);
      return;
    }
    pel = consumer.pel;
  }
  const now = nowMs();
  const rows: Array<[StreamId, Nack]> = [];
  let left = count;
  if (left > 0n) {
    pel.range(start, end, (id, nack) => {
      if (minIdle !== 0n && BigInt(now - nack.deliveryTime) < minIdle) return true;
      rows.push([id, nack]);
      return --left > 0n;
    });
  }
  r.array(rows.length);
  for (const [id, nack] of rows) {
    r.array(4);
    r.bulk(formatId(id));
    r.bulk(nack.consumer.name);
    r.integer(Math.max(now - nack.deliveryTime, 0));
    r.integer(nack.deliveryCount);
  }
}

/** The group of an XCLAIM/XAUTOCLAIM key, or an error reply (NOGROUP, WRONGTYPE). */
function claimTarget(ctx: CommandContext, argv: string[]): { s: StreamValue; group: ConsumerGroup } | null {
  const s = readStream(ctx, argv[1]);
  if (s === WRONGTYPE) return null;
  const group = s?.group(argv[2]);
  if (s === undefined || group === undefined) {
    ctx.reply.error(noGroupError(argv[1], argv[2]));
    return null;
  }
  return { s, group };
}

/** Moves a pending entry to consumer, from its previous owner. */
function assign(nack: Nack, id: StreamId, consumer: Consumer): void {
  if (nack.consumer === consumer) return;
  nack.consumer.pel.delete(id);
  nack.consumer = consumer;
  consumer.pel.set(id, nack);
}

/** XCLAIM key group consumer min-idle-time id [id …] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id] */
function xclaim(ctx: CommandContext, argv: string[]): void {
  const target = claimTarget(ctx, argv);
  if (target === null) return;
  const { s, group } = target;
  const key = argv[1];
  const minIdleArg = exactLongArg(ctx, argv[4], 'Invalid min-idle-time argument for XCLAIM');
  if (minIdleArg === null) return;
  const minIdle = minIdleArg < 0n ? 0 : Number(minIdleArg);
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const parsed = parseStreamId(argv[j], 0n, true);
    if (parsed === null) break;
    ids.push(parsed.id);
  }
  const now = nowMs();
  let force = false;
  let justid = false;
  let retryCount = -1n;
  let deliveryTime: bigint | null = null;
  let lastId = 0n;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j];
    if (is(opt, 'FORCE')) force = true;
    else if (is(opt, 'JUSTID')) justid = true;
    else if (is(opt, 'IDLE') && more > 0) {
      const v = exactLongArg(ctx, argv[++j], 'Invalid IDLE option argument for XCLAIM');
      if (v === null) return;
      deliveryTime = BigInt(now) - v;
    } else if (is(opt, 'TIME') && more > 0) {
      const v = exactLongArg(ctx, argv[++j], 'Invalid TIME option argument for XCLAIM');
      if (v === null) return;
      deliveryTime = v;
    } else if (is(opt, 'RETRYCOUNT') && more > 0) {
      const v = exactLongArg(ctx, argv[++j], 'Invalid RETRYCOUNT option argument for XCLAIM');
      if (v === null) return;
      retryCount = v;
    } else if (is(opt, 'LASTID') && more > 0) {
      const v = idArg(ctx, argv[++j], 0n, true);
      if (v === null) return;
      lastId = v;
    } else {
      ctx.reply.error(`ERR Unrecognized XCLAIM option '${cstr(opt)}'`);
      return;
    }
  }
  ctx.preventPropagation();
  let propagateLastId = false;
  if (lastId > group.lastId) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  const time =
    deliveryTime === null || deliveryTime < 0n || deliveryTime > BigInt(now) ? now : Number(deliveryTime);
  let consumer: Consumer | null = null;
  const replies: Array<{ id: StreamId; fields: string[] | null }> = [];
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    const idText = argv[5 + k];
    let nack = group.pel.get(id);
    const fields = s.get(id);
    if (fields === null) {
      if (nack !== undefined) {
        propagateXclaim(ctx, key, group, idText, nack);
        propagateLastId = false;
        ctx.addDirty(1);
        group.pel.delete(id);
        nack.consumer.pel.delete(id);
      }
      continue;
    }
    // FORCE makes a pending entry of an existing entry nobody had (Redis creates it ownerless,
    // then gives it to the claimer at once: made here with its owner).
    const fresh = force && nack === undefined;
    if (nack === undefined && !fresh) continue;
    if (nack !== undefined && minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    consumer ??= lookupOrCreateConsumer(ctx, group, argv[3], key).consumer;
    if (nack === undefined) {
      nack = { deliveryTime: now, deliveryCount: 1n, consumer };
      group.pel.set(id, nack);
      consumer.pel.set(id, nack);
    } else assign(nack, id, consumer);
    nack.deliveryTime = time;
    if (retryCount >= 0n) nack.deliveryCount = retryCount;
    else if (!justid) countDelivery(nack);
    replies.push({ id, fields: justid ? null : fields });
    propagateXclaim(ctx, key, group, idText, nack);
    propagateLastId = false;
    ctx.addDirty(1);
  }
  if (propagateLastId) {
    propagateGroupId(ctx, key, group);
    ctx.addDirty(1);
  }
  ctx.reply.array(replies.length);
  for (const r of replies) {
    if (r.fields === null) ctx.reply.bulk(formatId(r.id));
    else replyEntry(ctx, formatId(r.id), r.fields);
  }
}

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
function xautoclaim(ctx: CommandContext, argv: string[]): void {
  const minIdleArg = exactLongArg(ctx, argv[4], 'Invalid min-idle-time argument for XAUTOCLAIM');
  if (minIdleArg === null) return;
  const minIdle = minIdleArg < 0n ? 0 : Number(minIdleArg);
  const st = intervalIdArg(ctx, argv[5], 0n);
  if (st === null) return;
  let start = st.id;
  if (st.exclusive) {
    if (start === MAX_ID) {
      ctx.reply.error('ERR invalid start ID for the interval');
      return;
    }
    start++;
  }
  let count = 100;
  let justid = false;
  const attemptsFactor = 10;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (is(argv[j], 'COUNT') && more > 0) {
      const v = rangeLongArg(ctx, argv[j + 1], 1n, 9223372036854775807n / 16n, 'ERR COUNT must be > 0');
      if (v === null) return;
      count = v;
      j++;
    } else if (is(argv[j], 'JUSTID')) justid = true;
    else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const target = claimTarget(ctx, argv);
  if (target === null) return;
  const { s, group } = target;
  const key = argv[1];
  ctx.preventPropagation();
  let attempts = count * attemptsFactor;
  const now = nowMs();
  let consumer: Consumer | null = null;
  const claimed: Array<{ id: StreamId; fields: string[] | null }> = [];
  const deleted: StreamId[] = [];
  let i = group.pel.lowerBound(start);
  while (attempts-- > 0 && count > 0 && i < group.pel.size) {
    const id = group.pel.keyAt(i);
    const nack = group.pel.valueAt(i);
    const fields = s.get(id);
    if (fields === null) {
      propagateXclaim(ctx, key, group, formatId(id), nack);
      ctx.addDirty(1);
      group.pel.delete(id);
      nack.consumer.pel.delete(id);
      deleted.push(id);
      count--;
      continue;
    }
    i++;
    if (minIdle !== 0 && now - nack.deliveryTime < minIdle) continue;
    consumer ??= lookupOrCreateConsumer(ctx, group, argv[3], key).consumer;
    nack.deliveryTime = now;
    if (!justid) countDelivery(nack);
    assign(nack, id, consumer);
    claimed.push({ id, fields: justid ? null : fields });
    count--;
    propagateXclaim(ctx, key, group, formatId(id), nack);
    ctx.addDirty(1);
  }
  const next = i < group.pel.size ? group.pel.keyAt(i) : 0n;
  const r = ctx.reply;
  r.array(3);
  r.bulk(formatId(next));
  r.array(claimed.length);
  for (const c of claimed) {
    if (c.fields === null) r.bulk(formatId(c.id));
    else replyEntry(ctx, formatId(c.id), c.fields);
  }
  r.array(deleted.length);
  for (const id of deleted) r.bulk(formatId(id));
}

export const streamGroupCommands: CommandFamily = {
  'xgroup|create': xgroupCreate,
  'xgroup|setid': xgroupSetid,
  'xgroup|destroy': xgroupDestroy,
  'xgroup|createconsumer': xgroupCreateConsumer,
  'xgroup|delconsumer': xgroupDelConsumer,
  'xgroup|help': (ctx, argv) => replyHelp(ctx, argv, XGROUP_HELP),
  xack,
  xpending,
  xclaim,
  xautoclaim,
};
