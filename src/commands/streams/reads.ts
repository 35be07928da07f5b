/**
 * XREAD and XREADGROUP (t_stream.c's xreadCommand and streamReplyWithRange, blocked.c's
 * serveClientsBlockedOnStreamKey). A group read moves the group's last id and entries-read
 * counter and fills the pending lists; it propagates as XCLAIMs and an XGROUP SETID, never as
 * itself. Blocked readers are served in blocking order, each once the stream passed its id.
 */
import type { CommandContext, CommandFamily } from '../../core/context.js';
import type { StreamValue } from '../../store/types/stream.js';
import {
  type Consumer,
  type ConsumerGroup,
  countDelivery,
  INVALID_ENTRIES_READ,
  type Nack,
} from '../../store/types/stream-groups.js';
import { formatId, MAX_ID, type StreamId } from '../../store/types/stream-id.js';
import { is } from '../args.js';
import { ERR } from '../replies.js';
import { type Entry, idArg, longLongArg, msTimeoutArg, readStream, replyEntry, WRONGTYPE } from './common.js';
import {
  cstr,
  lookupOrCreateConsumer,
  nowMs,
  propagateConsumerCreation,
  propagateGroupId,
  propagateXclaim,
} from './group-common.js';

/** XREAD_BLOCKED_DEFAULT_COUNT: a blocked read without COUNT gets at most this many. */
const BLOCKED_DEFAULT_COUNT = 1000;

/** A group read's context: what streamReplyWithRange needs besides the range. */
interface GroupRead {
  key: string;
  group: ConsumerGroup;
  consumer: Consumer;
  noack: boolean;
}

/**
 * streamReplyWithRange from start (inclusive) to the end, at most count (0: all) entries; with a
 * group, each delivered entry becomes pending for the consumer. Returns the entries to reply.
 */
function readRange(
  ctx: CommandContext,
  s: StreamValue,
  start: StreamId,
  count: number,
  g: GroupRead | null,
): Entry[] {
  const out: Entry[] = [];
  let propagateLastId = false;
  s.range(start, MAX_ID, false, (e) => {
    out.push({ id: e.idText(), fields: e.fields() });
    if (g !== null) {
      const id = e.id;
      const group = g.group;
      if (id > group.lastId) {
        if (group.entriesRead !== INVALID_ENTRIES_READ && !s.rangeHasTombstones(id))
          group.entriesRead = BigInt.asIntN(64, group.entriesRead + 1n);
        else if (s.entriesAdded !== 0n) group.entriesRead = s.estimateDistance(id);
        group.lastId = id;
        // Redis 7.0 propagates the group's id only for NOACK (the XCLAIMs carry LASTID otherwise),
        // so its replicas do not learn entries-read from these reads: neither do ours.
        if (g.noack) propagateLastId = true;
      }
      if (!g.noack) deliver(ctx, g, id);
    }
    return count === 0 || out.length < count;
  });
  if (g !== null && propagateLastId) propagateGroupId(ctx, g.key, g.group);
  return out;
}

/** A delivered entry becomes (or stays) pending, now for this consumer; propagated as an XCLAIM. */
function deliver(ctx: CommandContext, g: GroupRead, id: StreamId): void {
  const now = nowMs();
  let nack = g.group.pel.get(id);
  if (nack === undefined) {
    nack = { deliveryTime: now, deliveryCount: 1n, consumer: g.consumer };
    g.group.pel.set(id, nack);
    g.consumer.pel.set(id, nack);
  } else {
    nack.consumer?.pel.delete(id);
    nack.consumer = g.consumer;
    nack.deliveryTime = now;
    nack.deliveryCount = 1n;
    g.consumer.pel.set(id, nack);
  }
  propagateXclaim(ctx, g.key, g.group, formatId(id), nack as Nack & { consumer: Consumer });
}

/** streamReplyWithRangeFromConsumerPEL: the consumer's own pending entries after start. */
function readHistory(
  s: StreamValue,
  consumer: Consumer,
  start: StreamId,
  count: number,
): Array<Entry | StreamId> {
  const out: Array<Entry | StreamId> = [];
  consumer.pel.range(start, MAX_ID, (id, nack) => {
    if (count !== 0 && out.length >= count) return false;
    const fields = s.get(id);
    if (fields === null) out.push(id);
    else {
      nack.deliveryTime = nowMs();
      countDelivery(nack);
      out.push({ id: formatId(id), fields });
    }
    return true;
  });
  return out;
}

function replyRead(ctx: CommandContext, entries: ReadonlyArray<Entry | StreamId>): void {
  ctx.reply.array(entries.length);
  for (const e of entries) {
    if (typeof e === 'bigint') {
      ctx.reply.array(2);
      ctx.reply.bulk(formatId(e));
      ctx.reply.nilArray();
    } else replyEntry(ctx, e.id, e.fields);
  }
}

/** One stream's part of the reply: [key, entries] in RESP2, a map entry in RESP3. */
function replyStreamPart(ctx: CommandContext, key: string, entries: ReadonlyArray<Entry | StreamId>): void {
  if (ctx.resp === 2) ctx.reply.array(2);
  ctx.reply.bulk(key);
  replyRead(ctx, entries);
}

function xreadGeneric(ctx: CommandContext, argv: string[], xreadgroup: boolean): void {
  let timeoutMs = -1;
  let count = 0;
  let streamsArg = 0;
  let streamsCount = 0;
  let noack = false;
  let groupName: string | null = null;
  let consumerName = '';
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i];
    if (is(o, 'BLOCK') && more > 0) {
      if (ctx.inScript) {
        ctx.reply.error(`ERR ${argv[0]} command is not allowed with BLOCK option from scripts`);
        return;
      }
      const t = msTimeoutArg(ctx, argv[++i]);
      if (t === null) return;
      timeoutMs = t;
    } else if (is(o, 'COUNT') && more > 0) {
      const v = longLongArg(ctx, argv[++i]);
      if (v === null) return;
      count = Math.max(v, 0);
    } else if (is(o, 'STREAMS') && more > 0) {
      streamsArg = i + 1;
      streamsCount = argv.length - streamsArg;
      if (streamsCount % 2 !== 0) {
        ctx.reply.error(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
        return;
      }
      streamsCount /= 2;
      break;
    } else if (is(o, 'GROUP') && more >= 2) {
      if (!xreadgroup) {
        ctx.reply.error('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
        return;
      }
      groupName = argv[i + 1];
      consumerName = argv[i + 2];
      i += 2;
    } else if (is(o, 'NOACK')) {
      if (!xreadgroup) {
        ctx.reply.error('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
        return;
      }
      noack = true;
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  if (streamsArg === 0) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  if (xreadgroup && groupName === null) {
    ctx.reply.error('ERR Missing GROUP option for XREADGROUP');
    return;
  }
  ctx.preventPropagation();
  const keys = argv.slice(streamsArg, streamsArg + streamsCount);
  const ids: StreamId[] = new Array(streamsCount);
  const groups: Array<ConsumerGroup | null> = new Array(streamsCount).fill(null);
  for (let k = 0; k < streamsCount; k++) {
    const key = keys[k];
    const idText = argv[streamsArg + streamsCount + k];
    const s = readStream(ctx, key);
    if (s === WRONGTYPE) return;
    if (groupName !== null) {
      const group = s?.group(groupName);
      if (group === undefined) {
        ctx.reply.error(
          `NOGROUP No such key '${cstr(key)}' or consumer group '${cstr(groupName)}' in XREADGROUP with GROUP option`,
        );
        return;
      }
      groups[k] = group;
    }
    if (idText === '$') {
      if (xreadgroup) {
        ctx.reply.error(
          'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
        return;
      }
      ids[k] = s === undefined ? 0n : s.lastId;
      continue;
    }
    if (idText === '>') {
      if (!xreadgroup) {
        ctx.reply.error(
          'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
        );
        return;
      }
      ids[k] = MAX_ID;
      continue;
    }
    const id = idArg(ctx, idText, 0n, true);
    if (id === null) return;
    ids[k] = id;
  }

  const parts: Array<{ key: string; entries: ReadonlyArray<Entry | StreamId> }> = [];
  for (let k = 0; k < streamsCount; k++) {
    const key = keys[k];
    const s = readStream(ctx, key) as StreamValue | undefined;
    if (s === undefined) continue;
    let gt = ids[k];
    let serve = false;
    let history = false;
    const group = groups[k];
    if (group !== null) {
      if (gt !== MAX_ID) {
        serve = true;
        history = true;
      } else if (s.length > 0 && (s.lastValidId() ?? 0n) > group.lastId) {
        serve = true;
        gt = group.lastId;
      }
    } else if (s.length > 0 && (s.lastValidId() ?? 0n) > gt) serve = true;
    if (!serve) continue;
    const start = gt + 1n;
    if (group === null) {
      parts.push({ key, entries: readRange(ctx, s, start, count, null) });
      continue;
    }
    const { consumer, created } = lookupOrCreateConsumer(ctx, group, consumerName, key);
    if (created && noack) propagateConsumerCreation(ctx, key, group.name, consumer.name);
    const entries = history
      ? readHistory(s, consumer, start, count)
      : readRange(ctx, s, start, count, { key, group, consumer, noack });
    parts.push({ key, entries });
    ctx.addDirty(1);
  }
  if (parts.length > 0) {
    if (ctx.resp === 2) ctx.reply.array(parts.length);
    else ctx.reply.map(parts.length);
    for (const p of parts) replyStreamPart(ctx, p.key, p.entries);
    return;
  }
  if (timeoutMs === -1 || !ctx.canBlock) {
    ctx.reply.nilArray();
    return;
  }
  const waitCount = count !== 0 ? count : BLOCKED_DEFAULT_COUNT;
  const waitIds = new Map<string, StreamId>();
  for (let k = 0; k < streamsCount; k++) if (!waitIds.has(keys[k])) waitIds.set(keys[k], ids[k]);
  const group = groupName;
  ctx.block({
    keys: [...waitIds.keys()],
    timeoutMs,
    valueType: 'stream',
    serve: (receiver, key) => serveBlocked(receiver, key, waitIds, waitCount, group, consumerName, noack),
    onKeyGone:
      group === null
        ? undefined
        : (receiver) => {
            receiver.reply.error('UNBLOCKED the stream key no longer exists');
          },
  });
}

/** serveClientsBlockedOnStreamKey for one waiter. */
function serveBlocked(
  ctx: CommandContext,
  key: string,
  waitIds: Map<string, StreamId>,
  count: number,
  groupName: string | null,
  consumerName: string,
  noack: boolean,
): boolean | 'skip' {
  const s = ctx.db.get(key) as StreamValue;
  let gt = waitIds.get(key) as StreamId;
  let group: ConsumerGroup | undefined;
  if (groupName !== null) {
    group = s.group(groupName);
    if (group === undefined) {
      ctx.reply.error('NOGROUP the consumer group this client was blocked on no longer exists');
      return true;
    }
    gt = group.lastId;
  }
  if (s.lastId <= gt) return 'skip';
  let read: GroupRead | null = null;
  if (group !== undefined) {
    const { consumer, created } = lookupOrCreateConsumer(ctx, group, consumerName, key);
    if (created && noack) propagateConsumerCreation(ctx, key, group.name, consumer.name);
    read = { key, group, consumer, noack };
  }
  const entries = readRange(ctx, s, gt + 1n, count, read);
  if (ctx.resp === 2) {
    ctx.reply.array(1);
    ctx.reply.array(2);
  } else ctx.reply.map(1);
  ctx.reply.bulk(key);
  replyRead(ctx, entries);
  return true;
}

export const streamReadCommands: CommandFamily = {
  xread: (ctx, argv) => xreadGeneric(ctx, argv, false),
  xreadgroup: (ctx, argv) => xreadGeneric(ctx, argv, true),
};
