/**
 * Consumer-group helpers shared by XREADGROUP, XCLAIM, XAUTOCLAIM and XGROUP: lookups with
 * Redis's NOGROUP errors, consumer creation, and the commands a group change propagates as
 * (streamPropagateXCLAIM, streamPropagateGroupID, streamPropagateConsumerCreation), written so
 * that a replica or the AOF applies them idempotently.
 */
import type { CommandContext } from '../../core/context.js';
import type { Consumer, ConsumerGroup, Nack } from '../../store/types/stream-groups.js';
import { formatId } from '../../store/types/stream-id.js';

/** mstime(): stream delivery and seen times are wall-clock ms, as in Redis 7.0. */
export function nowMs(): number {
  return Date.now();
}

/** streamLookupConsumer (refreshing its seen time), else streamCreateConsumer. */
export function lookupOrCreateConsumer(
  ctx: CommandContext,
  group: ConsumerGroup,
  name: string,
  key: string,
): { consumer: Consumer; created: boolean } {
  const now = nowMs();
  const found = group.consumers.get(name);
  if (found !== undefined) {
    found.seenTime = now;
    return { consumer: found, created: false };
  }
  const consumer = group.createConsumer(name, now) as Consumer;
  ctx.addDirty(1);
  ctx.notify('t', 'xgroup-createconsumer', key);
  return { consumer, created: true };
}

/** XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <n> FORCE JUSTID LASTID <group last id>. */
export function propagateXclaim(
  ctx: CommandContext,
  key: string,
  group: ConsumerGroup,
  id: string,
  nack: Nack,
): void {
  ctx.alsoPropagate([
    'XCLAIM',
    key,
    group.name,
    nack.consumer.name,
    '0',
    id,
    'TIME',
    String(nack.deliveryTime),
    'RETRYCOUNT',
    String(nack.deliveryCount),
    'FORCE',
    'JUSTID',
    'LASTID',
    formatId(group.lastId),
  ]);
}

/** XGROUP SETID <key> <group> <last id> ENTRIESREAD <n>. */
export function propagateGroupId(ctx: CommandContext, key: string, group: ConsumerGroup): void {
  ctx.alsoPropagate([
    'XGROUP',
    'SETID',
    key,
    group.name,
    formatId(group.lastId),
    'ENTRIESREAD',
    String(group.entriesRead),
  ]);
}

export function propagateConsumerCreation(
  ctx: CommandContext,
  key: string,
  group: string,
  consumer: string,
): void {
  ctx.alsoPropagate(['XGROUP', 'CREATECONSUMER', key, group, consumer]);
}

/** A name as Redis's "%s" prints it in an error: up to its first NUL byte. */
export function cstr(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

export function noGroupError(key: string, group: string): string {
  return `NOGROUP No such key '${cstr(key)}' or consumer group '${cstr(group)}'`;
}

/** XGROUP's and XINFO CONSUMERS's NOGROUP text. */
export function noSuchGroupError(group: string, key: string): string {
  return `NOGROUP No such consumer group '${cstr(group)}' for key name '${cstr(key)}'`;
}
