/** XINFO STREAM [FULL [COUNT n]] / GROUPS / CONSUMERS / HELP (t_stream.c's xinfoCommand), with 7.0's fields. */
import type { CommandContext, CommandFamily } from '../../core/context.js';
import { raxNodeCount } from '../../store/types/rax-count.js';
import type { StreamValue } from '../../store/types/stream.js';
import { type IdMap, INVALID_ENTRIES_READ, type Nack } from '../../store/types/stream-groups.js';
import { formatId, MAX_ID } from '../../store/types/stream-id.js';
import { is } from '../args.js';
import { replyHelp, subcommandSyntaxError } from '../help-replies.js';
import { ERR } from '../replies.js';
import { type Entry, longLongArg, readStream, replyEntries, replyEntry, WRONGTYPE } from './common.js';
import { noSuchGroupError, nowMs } from './group-common.js';

const XINFO_HELP = [
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
];

function streamOf(ctx: CommandContext, key: string): StreamValue | null {
  const s = readStream(ctx, key);
  if (s === WRONGTYPE) return null;
  if (s === undefined) {
    ctx.reply.error(ERR.noSuchKey);
    return null;
  }
  return s;
}

function replyEntriesRead(ctx: CommandContext, n: bigint): void {
  if (n === INVALID_ENTRIES_READ) ctx.reply.nil();
  else ctx.reply.integer(n);
}

function replyLag(ctx: CommandContext, lag: bigint | null): void {
  if (lag === null) ctx.reply.nil();
  else ctx.reply.integer(lag);
}

/** A PEL in XINFO STREAM FULL: [id, (owner,) delivery time, delivery count], at most count (0: all). */
function replyPending(ctx: CommandContext, pel: IdMap<Nack>, count: number, withOwner: boolean): void {
  const r = ctx.reply;
  const n = count === 0 ? pel.size : Math.min(count, pel.size);
  r.array(n);
  for (let i = 0; i < n; i++) {
    const nack = pel.valueAt(i);
    r.array(withOwner ? 4 : 3);
    r.bulk(formatId(pel.keyAt(i)));
    if (withOwner) r.bulk(nack.consumer.name);
    r.integer(nack.deliveryTime);
    r.integer(nack.deliveryCount);
  }
}

function xinfoStream(ctx: CommandContext, argv: string[]): void {
  const optc = argv.length - 3;
  let full = false;
  let count = 10;
  if (optc !== 0) {
    if ((optc !== 1 && optc !== 3) || !is(argv[3], 'FULL')) {
      subcommandSyntaxError(ctx, argv);
      return;
    }
    if (optc === 3) {
      if (!is(argv[4], 'COUNT')) {
        subcommandSyntaxError(ctx, argv);
        return;
      }
      const v = longLongArg(ctx, argv[5]);
      if (v === null) return;
      count = v < 0 ? 10 : v;
    }
    full = true;
  }
  const s = streamOf(ctx, argv[2]);
  if (s === null) return;
  const r = ctx.reply;
  r.map(full ? 9 : 10);
  r.bulk('length');
  r.integer(s.length);
  r.bulk('radix-tree-keys');
  r.integer(s.nodes.length);
  r.bulk('radix-tree-nodes');
  r.integer(raxNodeCount(s.nodes.map((n) => n.masterId)));
  r.bulk('last-generated-id');
  r.bulk(formatId(s.lastId));
  r.bulk('max-deleted-entry-id');
  r.bulk(formatId(s.maxDeletedId));
  r.bulk('entries-added');
  r.integer(s.entriesAdded);
  r.bulk('recorded-first-entry-id');
  r.bulk(formatId(s.firstId));
  if (!full) {
    r.bulk('groups');
    r.integer(s.groups?.size ?? 0);
    for (const [name, last] of [
      ['first-entry', false],
      ['last-entry', true],
    ] as const) {
      r.bulk(name);
      let found: Entry | null = null;
      s.range(0n, MAX_ID, last, (e) => {
        found = { id: e.idText(), fields: e.fields() };
        return false;
      });
      const entry = found as Entry | null;
      if (entry === null) r.nil();
      else replyEntry(ctx, entry.id, entry.fields);
    }
    return;
  }
  r.bulk('entries');
  const entries: Entry[] = [];
  s.range(0n, MAX_ID, false, (e) => {
    entries.push({ id: e.idText(), fields: e.fields() });
    return count === 0 || entries.length < count;
  });
  replyEntries(ctx, entries);
  r.bulk('groups');
  const groups = s.sortedGroups();
  r.array(groups.length);
  for (const g of groups) {
    r.map(7);
    r.bulk('name');
    r.bulk(g.name);
    r.bulk('last-delivered-id');
    r.bulk(formatId(g.lastId));
    r.bulk('entries-read');
    replyEntriesRead(ctx, g.entriesRead);
    r.bulk('lag');
    replyLag(ctx, s.lag(g));
    r.bulk('pel-count');
    r.integer(g.pel.size);
    r.bulk('pending');
    replyPending(ctx, g.pel, count, true);
    r.bulk('consumers');
    const consumers = g.sortedConsumers();
    r.array(consumers.length);
    for (const c of consumers) {
      r.map(4);
      r.bulk('name');
      r.bulk(c.name);
      r.bulk('seen-time');
      r.integer(c.seenTime);
      r.bulk('pel-count');
      r.integer(c.pel.size);
      r.bulk('pending');
      replyPending(ctx, c.pel, count, false);
    }
  }
}

function xinfoGroups(ctx: CommandContext, argv: string[]): void {
  const s = streamOf(ctx, argv[2]);
  if (s === null) return;
  const r = ctx.reply;
  const groups = s.sortedGroups();
  r.array(groups.length);
  for (const g of groups) {
    r.map(6);
    r.bulk('name');
    r.bulk(g.name);
    r.bulk('consumers');
    r.integer(g.consumers.size);
    r.bulk('pending');
    r.integer(g.pel.size);
    r.bulk('last-delivered-id');
    r.bulk(formatId(g.lastId));
    r.bulk('entries-read');
    replyEntriesRead(ctx, g.entriesRead);
    r.bulk('lag');
    replyLag(ctx, s.lag(g));
  }
}

function xinfoConsumers(ctx: CommandContext, argv: string[]): void {
  const s = streamOf(ctx, argv[2]);
  if (s === null) return;
  const g = s.group(argv[3]);
  if (g === undefined) {
    ctx.reply.error(noSuchGroupError(argv[3], argv[2]));
    return;
  }
  const r = ctx.reply;
  const now = nowMs();
  const consumers = g.sortedConsumers();
  r.array(consumers.length);
  for (const c of consumers) {
    r.map(3);
    r.bulk('name');
    r.bulk(c.name);
    r.bulk('pending');
    r.integer(c.pel.size);
    r.bulk('idle');
    r.integer(Math.max(now - c.seenTime, 0));
  }
}

export const streamInfoCommands: CommandFamily = {
  'xinfo|stream': xinfoStream,
  'xinfo|groups': xinfoGroups,
  'xinfo|consumers': xinfoConsumers,
  'xinfo|help': (ctx, argv) => replyHelp(ctx, argv, XINFO_HELP),
};
