import type { CommandContext, PubSubContext } from '../commands/context.js';
import { globMatch } from '../lib/glob.js';
import type { Client } from './client.js';

/** Channel and pattern subscriptions; delivers messages into subscribers' reply buffers. */
export class PubSub implements PubSubContext {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();

  constructor(private readonly wake: (client: Client) => void) {}

  subscribe(ctx: CommandContext, channel: string): boolean {
    const client = ctx as Client;
    if (client.channels.has(channel)) return false;
    client.channels.add(channel);
    let set = this.channels.get(channel);
    if (set === undefined) this.channels.set(channel, (set = new Set()));
    set.add(client);
    return true;
  }

  unsubscribe(ctx: CommandContext, channel: string): boolean {
    const client = ctx as Client;
    if (!client.channels.delete(channel)) return false;
    const set = this.channels.get(channel);
    set?.delete(client);
    if (set?.size === 0) this.channels.delete(channel);
    return true;
  }

  psubscribe(ctx: CommandContext, pattern: string): boolean {
    const client = ctx as Client;
    if (client.patterns.has(pattern)) return false;
    client.patterns.add(pattern);
    let set = this.patterns.get(pattern);
    if (set === undefined) this.patterns.set(pattern, (set = new Set()));
    set.add(client);
    return true;
  }

  punsubscribe(ctx: CommandContext, pattern: string): boolean {
    const client = ctx as Client;
    if (!client.patterns.delete(pattern)) return false;
    const set = this.patterns.get(pattern);
    set?.delete(client);
    if (set?.size === 0) this.patterns.delete(pattern);
    return true;
  }

  /** Drops every subscription of a client (disconnect, RESET). */
  removeClient(client: Client): void {
    for (const ch of [...client.channels]) this.unsubscribe(client, ch);
    for (const p of [...client.patterns]) this.punsubscribe(client, p);
  }

  /** Delivers a message; returns the number of receivers, as PUBLISH replies. */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const subs = this.channels.get(channel);
    if (subs !== undefined) {
      for (const c of subs) {
        c.reply.push(3);
        c.reply.bulk('message');
        c.reply.bulk(channel);
        c.reply.bulk(message);
        this.wake(c);
        receivers++;
      }
    }
    if (this.patterns.size > 0) {
      for (const [pattern, clients] of this.patterns) {
        if (!globMatch(pattern, channel)) continue;
        for (const c of clients) {
          c.reply.push(4);
          c.reply.bulk('pmessage');
          c.reply.bulk(pattern);
          c.reply.bulk(channel);
          c.reply.bulk(message);
          this.wake(c);
          receivers++;
        }
      }
    }
    return receivers;
  }
}
