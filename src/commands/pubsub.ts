import { globMatch } from '../lib/glob.js';
import type { CommandContext } from './context.js';
import type { CommandFamily } from './table.js';

/** The confirmation push for (un)subscribe: [kind, name, subscription count]. */
function confirm(ctx: CommandContext, kind: string, name: string | null): void {
  ctx.reply.push(3);
  ctx.reply.bulk(kind);
  if (name === null) ctx.reply.nil();
  else ctx.reply.bulk(name);
  ctx.reply.integer(ctx.subscriptionCount);
}

function subscribe(ctx: CommandContext, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) {
    ctx.server.pubsub.subscribe(ctx, argv[i]);
    confirm(ctx, 'subscribe', argv[i]);
  }
}

function psubscribe(ctx: CommandContext, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) {
    ctx.server.pubsub.psubscribe(ctx, argv[i]);
    confirm(ctx, 'psubscribe', argv[i]);
  }
}

function unsubscribe(ctx: CommandContext, argv: string[]): void {
  const names = argv.length > 1 ? argv.slice(1) : [...ctx.channels];
  if (names.length === 0) {
    confirm(ctx, 'unsubscribe', null);
    return;
  }
  for (const name of names) {
    ctx.server.pubsub.unsubscribe(ctx, name);
    confirm(ctx, 'unsubscribe', name);
  }
}

function punsubscribe(ctx: CommandContext, argv: string[]): void {
  const names = argv.length > 1 ? argv.slice(1) : [...ctx.patterns];
  if (names.length === 0) {
    confirm(ctx, 'punsubscribe', null);
    return;
  }
  for (const name of names) {
    ctx.server.pubsub.punsubscribe(ctx, name);
    confirm(ctx, 'punsubscribe', name);
  }
}

function publish(ctx: CommandContext, argv: string[]): void {
  ctx.reply.integer(ctx.server.pubsub.publish(argv[1], argv[2]));
  // Redis propagates PUBLISH so subscribers on replicas get it too.
  ctx.alsoPropagate(argv);
}

function pubsubChannels(ctx: CommandContext, argv: string[]): void {
  const pattern = argv.length > 2 ? argv[2] : null;
  const names = [...ctx.server.pubsub.channels.keys()].filter(
    (c) => pattern === null || globMatch(pattern, c),
  );
  ctx.reply.array(names.length);
  for (const n of names) ctx.reply.bulk(n);
}

function pubsubNumsub(ctx: CommandContext, argv: string[]): void {
  ctx.reply.array((argv.length - 2) * 2);
  for (let i = 2; i < argv.length; i++) {
    ctx.reply.bulk(argv[i]);
    ctx.reply.integer(ctx.server.pubsub.channels.get(argv[i])?.size ?? 0);
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
  'pubsub|channels': pubsubChannels,
  'pubsub|numsub': pubsubNumsub,
  'pubsub|numpat': pubsubNumpat,
  'pubsub|help': pubsubHelp,
};
