import type { CommandContext, PubSubContext } from '../core/context.js';
import { globMatch } from '../lib/glob.js';
import { type Client, clientOf } from './client.js';

/** Subscribers by channel, pattern or shard channel. */
type Registry = Map<string, Set<Client>>;

function add(registry: Registry, mine: Set<string>, client: Client, name: string): boolean {
  if (mine.has(name)) return false;
  mine.add(name);
  let set = registry.get(name);
  if (set === undefined) registry.set(name, (set = new Set()));
  set.add(client);
  return true;
}

function remove(registry: Registry, mine: Set<string>, client: Client, name: string): boolean {
  if (!mine.delete(name)) return false;
  const set = registry.get(name);
  set?.delete(client);
  if (set?.size === 0) registry.delete(name);
  return true;
}

/**
 * Channel, pattern and shard-channel subscriptions (without cluster mode shard channels are a
 * namespace of their own); delivers messages into subscribers' reply buffers.
 */
export class PubSub implements PubSubContext {
  readonly channels: Registry = new Map();
  readonly patterns: Registry = new Map();
  readonly shardChannels: Registry = new Map();

  constructor(private readonly wake: (client: Client) => void) {}

  subscribe(ctx: CommandContext, channel: string): boolean {
    const client = clientOf(ctx);
    return add(this.channels, client.channels, client, channel);
  }

  unsubscribe(ctx: CommandContext, channel: string): boolean {
    const client = clientOf(ctx);
    return remove(this.channels, client.channels, client, channel);
  }

  psubscribe(ctx: CommandContext, pattern: string): boolean {
    const client = clientOf(ctx);
    return add(this.patterns, client.patterns, client, pattern);
  }

  punsubscribe(ctx: CommandContext, pattern: string): boolean {
    const client = clientOf(ctx);
    return remove(this.patterns, client.patterns, client, pattern);
  }

  ssubscribe(ctx: CommandContext, channel: string): boolean {
    const client = clientOf(ctx);
    return add(this.shardChannels, client.shardChannels, client, channel);
  }

  sunsubscribe(ctx: CommandContext, channel: string): boolean {
    const client = clientOf(ctx);
    return remove(this.shardChannels, client.shardChannels, client, channel);
  }

  /** Drops every subscription of a client (disconnect, RESET). */
  removeClient(client: Client): void {
    for (const ch of [...client.channels]) remove(this.channels, client.channels, client, ch);
    for (const p of [...client.patterns]) remove(this.patterns, client.patterns, client, p);
    for (const ch of [...client.shardChannels]) remove(this.shardChannels, client.shardChannels, client, ch);
  }

  /** Delivers a message; returns the number of receivers, as PUBLISH replies. */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const subs = this.channels.get(channel);
    if (subs !== undefined) {
      for (const c of subs) {
        c.beginPush();
        c.reply.push(3);
        c.reply.bulk('message');
        c.reply.bulk(channel);
        c.reply.bulk(message);
        c.endPush();
        this.wake(c);
        receivers++;
      }
    }
    if (this.patterns.size > 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!globMatch(pattern, channel)) continue;
        for (const c of clients) {
          c.beginPush();
          c.reply.push(4);
          c.reply.bulk('pmessage');
          c.reply.bulk(pattern);
          c.reply.bulk(channel);
          c.reply.bulk(message);
          c.endPush();
          this.wake(c);
          receivers++;
        }
      }
    }
    return receivers;
  }

  /** SPUBLISH: shard channel subscribers only, as "smessage". */
  spublish(channel: string, message: string): number {
    const subs = this.shardChannels.get(channel);
    if (subs === undefined) return 0;
    for (const c of subs) {
      c.beginPush();
      c.reply.push(3);
      c.reply.bulk('smessage');
      c.reply.bulk(channel);
      c.reply.bulk(message);
      c.endPush();
      this.wake(c);
    }
    return subs.size;
  }
}
