/**
 * What the stream commands share (t_stream.c's helpers): typed lookups, id arguments with Redis's
 * errors, the node limits from the configuration, and writing entries as replies.
 */
import type { CommandContext } from '../../core/context.js';
import { parseInt64 } from '../../lib/numbers.js';
import { StreamValue } from '../../store/types/stream.js';
import { parseStreamId, type StreamId } from '../../store/types/stream-id.js';
import type { NodeLimits } from '../../store/types/stream-node.js';
import { lookupTyped, WRONGTYPE } from '../coll-common.js';
import { ERR } from '../replies.js';

export { WRONGTYPE };

export const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';

export function readStream(ctx: CommandContext, key: string): StreamValue | undefined | typeof WRONGTYPE {
  return lookupTyped<StreamValue>(ctx, key, 'stream', true);
}

export function writeStream(ctx: CommandContext, key: string): StreamValue | undefined | typeof WRONGTYPE {
  return lookupTyped<StreamValue>(ctx, key, 'stream', false);
}

/** streamTypeLookupWriteOrCreate: the stream, created when missing (unless noCreate: null reply). */
export function writeOrCreateStream(
  ctx: CommandContext,
  key: string,
  noCreate: boolean,
): StreamValue | typeof WRONGTYPE | null {
  const s = writeStream(ctx, key);
  if (s !== undefined) return s;
  if (noCreate) {
    ctx.reply.nil();
    return null;
  }
  const created = new StreamValue();
  ctx.db.set(key, created);
  return created;
}

/** streamParseIDOrReply (strict: streamParseStrictIDOrReply, no `-`/`+`). */
export function idArg(ctx: CommandContext, s: string, missingSeq: bigint, strict: boolean): StreamId | null {
  const parsed = parseStreamId(s, missingSeq, strict);
  if (parsed === null) {
    ctx.reply.error(INVALID_ID);
    return null;
  }
  return parsed.id;
}

/** streamParseIntervalIdOrReply: an id, or `(id` for an exclusive bound. */
export function intervalIdArg(
  ctx: CommandContext,
  s: string,
  missingSeq: bigint,
): { id: StreamId; exclusive: boolean } | null {
  const exclusive = s.length > 1 && s[0] === '(';
  const id = idArg(ctx, exclusive ? s.slice(1) : s, missingSeq, exclusive);
  return id === null ? null : { id, exclusive };
}

/** getLongLongFromObjectOrReply. */
export function longLongArg(ctx: CommandContext, s: string): number | null {
  const v = parseInt64(s);
  if (v === null) {
    ctx.reply.error(ERR.notInteger);
    return null;
  }
  return Number(v);
}

export function nodeLimits(ctx: CommandContext): NodeLimits {
  return {
    maxBytes: ctx.server.config.num('stream-node-max-bytes'),
    maxEntries: ctx.server.config.num('stream-node-max-entries'),
  };
}

/** One entry as a reply: [id, [field, value, …]] (the id as text). */
export function replyEntry(ctx: CommandContext, id: string, fields: readonly string[]): void {
  const r = ctx.reply;
  r.array(2);
  r.bulk(id);
  r.array(fields.length);
  for (const f of fields) r.bulk(f);
}

/** Collected entries, for replies whose length is known only after the walk. */
export interface Entry {
  /** The id as Redis prints it. */
  id: string;
  fields: string[];
}

export function replyEntries(ctx: CommandContext, entries: readonly Entry[]): void {
  ctx.reply.array(entries.length);
  for (const e of entries) replyEntry(ctx, e.id, e.fields);
}

/** getTimeoutFromObjectOrReply in milliseconds (XREAD BLOCK): relative ms, 0 forever, or null. */
export function msTimeoutArg(ctx: CommandContext, s: string): number | null {
  const v = parseInt64(s);
  if (v === null) {
    ctx.reply.error('ERR timeout is not an integer or out of range');
    return null;
  }
  const ms = BigInt(v);
  if (ms < 0n) {
    ctx.reply.error('ERR timeout is negative');
    return null;
  }
  // Redis 7.0 adds the current time without an overflow check: the deadline wraps negative and
  // the block never times out.
  if (ms > 9223372036854775807n - BigInt(Date.now())) return 0;
  return Number(ms);
}
