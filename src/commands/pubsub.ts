import type { CommandContext, CommandFamily } from '../core/context.js';
import { globMatch } from '../lib/glob.js';
import { subcommandSyntaxError } from './help-replies.js';

/** The confirmation push for (un)subscribe: [kind, name, subscription count]; sent even under
 * CLIENT REPLY OFF, like every pub/sub reply. */
function confirm(ctx: CommandContext, kind: string, name: string | null, count: number): void {
  ctx.beginPush();
  ctx.reply.push(3);
  ctx.reply.bulk(kind);
  if (name === null) ctx.reply.nil();
  else ctx.reply.bulk(name);
  ctx.reply.integer(count);
  ctx.endPush();
}

/** Redis's clientSubscriptionsCount: channels and patterns (shard channels count apart). */
const plainCount = (ctx: CommandContext) => ctx.channels.size + ctx.patterns.size;
const shardCount = (ctx: CommandContext) => ctx.shardChannels.size;

function subscribe(ctx: CommandContext, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) {
    ctx.server.pubsub.subscribe(ctx, argv[i]);
    confirm(ctx, 'subscribe', argv[i], plainCount(ctx));
  }
}

function psubscribe(ctx: CommandContext, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) {
    ctx.server.pubsub.psubscribe(ctx, argv[i]);
    confirm(ctx, 'psubscribe', argv[i], plainCount(ctx));
  }
}

function ssubscribe(ctx: CommandContext, argv: string[]): void {
  if (ctx.inExec) {
    ctx.reply.error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
    return;
  }
  for (let i = 1; i < argv.length; i++) {
    ctx.server.pubsub.ssubscribe(ctx, argv[i]);
    confirm(ctx, 'ssubscribe', argv[i], shardCount(ctx));
  }
}

/** The (P|S)UNSUBSCRIBE shape: the names given, or every current one; a nil confirmation if none. */
function unsubscribeGeneric(
  ctx: CommandContext,
  argv: string[],
  kind: string,
  current: ReadonlySet<string>,
  drop: (name: string) => void,
  count: (ctx: CommandContext) => number,
): void {
  const names = argv.length > 1 ? argv.slice(1) : [...current];
  if (names.length === 0) {
    confirm(ctx, kind, null, count(ctx));
    return;
  }
  for (const name of names) {
    drop(name);
    confirm(ctx, kind, name, count(ctx));
  }
}

function unsubscribe(ctx: CommandContext, argv: string[]): void {
  const pubsub = ctx.server.pubsub;
  unsubscribeGeneric(ctx, argv, 'unsubscribe', ctx.channels, (n) => pubsub.unsubscribe(ctx, n), plainCount);
}

function punsubscribe(ctx: CommandContext, argv: string[]): void {
  const pubsub = ctx.server.pubsub;
  unsubscribeGeneric(ctx, argv, 'punsubscribe', ctx.patterns, (n) => pubsub.punsubscribe(ctx, n), plainCount);
}

function sunsubscribe(ctx: CommandContext, argv: string[]): void {
  const pubsub = ctx.server.pubsub;
  unsubscribeGeneric(
    ctx,
    argv,
    'sunsubscribe',
    ctx.shardChannels,
    (n) => pubsub.sunsubscribe(ctx, n),
    shardCount,
  );
}

function publish(ctx: CommandContext, argv: string[]): void {
  ctx.reply.integer(ctx.server.pubsub.publish(argv[1], argv[2]));
  // Redis propagates PUBLISH so subscribers on replicas get it too.
  ctx.alsoPropagate(argv);
}

function spublish(ctx: CommandContext, argv: string[]): void {
  ctx.reply.integer(ctx.server.pubsub.spublish(argv[1], argv[2]));
  ctx.alsoPropagate(argv);
}

/** PUBSUB CHANNELS / SHARDCHANNELS [pattern]. */
function listChannels(ctx: CommandContext, argv: string[], registry: ReadonlyMap<string, unknown>): void {
  if (argv.length > 3) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  const pattern = argv.length > 2 ? argv[2] : null;
  const names = [...registry.keys()].filter((c) => pattern === null || globMatch(pattern, c));
  ctx.reply.array(names.length);
  for (const n of names) ctx.reply.bulk(n);
}

/** PUBSUB NUMSUB / SHARDNUMSUB channel...: each channel and its number of subscribers. */
function countSubscribers(
  ctx: CommandContext,
  argv: string[],
  registry: ReadonlyMap<string, ReadonlySet<unknown>>,
): void {
  ctx.reply.array((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    ctx.reply.bulk(argv[i]);
    ctx.reply.integer(registry.get(argv[i])?.size ?? 0);
  }
}

function pubsubNumpat(ctx: CommandContext): void {
  ctx.reply.integer(ctx.server.pubsub.patterns.size);
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

function pubsubHelp(ctx: CommandContext): void {
  ctx.reply.array(PUBSUB_HELP.length);
  for (const line of PUBSUB_HELP) ctx.reply.simple(line);
}

export const pubsubCommands: CommandFamily = {
  subscribe,
  psubscribe,
  unsubscribe,
  punsubscribe,
  publish,
  ssubscribe,
  sunsubscribe,
  spublish,
  'pubsub|channels': (ctx, argv) => listChannels(ctx, argv, ctx.server.pubsub.channels),
  'pubsub|shardchannels': (ctx, argv) => listChannels(ctx, argv, ctx.server.pubsub.shardChannels),
  'pubsub|numsub': (ctx, argv) => countSubscribers(ctx, argv, ctx.server.pubsub.channels),
  'pubsub|shardnumsub': (ctx, argv) => countSubscribers(ctx, argv, ctx.server.pubsub.shardChannels),
  'pubsub|numpat': pubsubNumpat,
  'pubsub|help': pubsubHelp,
};
