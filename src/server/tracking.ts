/**
 * Client-side caching as Redis 7.0's tracking.c: a table of the keys tracking clients read (key →
 * client ids, whatever the db), invalidated when a key changes (RESP3 push `invalidate`, or a
 * `__redis__:invalidate` message to a RESP2 redirect client in pub/sub), BCAST prefixes whose
 * changed keys are sent together at the end of the event-loop turn, OPTIN/OPTOUT with CLIENT
 * CACHING, NOLOOP, FLUSH* as a null invalidation, and tracking-table-max-keys.
 */
import type { ClientTracking, CommandContext, TrackingControl, TrackingOptions } from '../core/context.js';
import { type Client, clientOf } from './client.js';
import type { Server } from './server.js';

const CHANNEL = '__redis__:invalidate';

export function newClientTracking(): ClientTracking {
  return {
    on: false,
    bcast: false,
    optin: false,
    optout: false,
    noloop: false,
    caching: false,
    brokenRedirect: false,
    redirect: 0,
    prefixes: [],
  };
}

/** One BCAST prefix: its clients, and the keys changed this turn with the client that changed each. */
interface Broadcast {
  clients: Set<Client>;
  keys: Map<string, Client | null>;
}

export class Tracking implements TrackingControl {
  /** key → ids of the clients that read it. */
  private readonly table = new Map<string, Set<number>>();
  private items = 0;
  private readonly prefixes = new Map<string, Broadcast>();
  private clients = 0;
  /** Invalidations for the client whose command is running, sent after its reply (null: a flush). */
  private pending: Array<{ client: Client; key: string | null }> = [];
  private broadcastScheduled = false;
  /** tracking-table-max-keys rounds spent over the limit (trackingLimitUsedSlots's effort). */
  private overLimitRounds = 0;
  private limitScheduled = false;
  /** The command (count of commands run) whose flush was already announced. */
  private flushToken = -1;

  constructor(private readonly server: Server) {}

  /** Clients with tracking on: the read path checks this before anything else. */
  get clientsTracking(): number {
    return this.clients;
  }

  stats(): { clients: number; keys: number; items: number; prefixes: number } {
    return { clients: this.clients, keys: this.table.size, items: this.items, prefixes: this.prefixes.size };
  }

  clientExists(id: number): boolean {
    return this.server.clients.has(id);
  }

  enable(ctx: CommandContext, o: TrackingOptions): void {
    const c = clientOf(ctx);
    const t = c.tracking;
    if (!t.on) this.clients++;
    t.on = true;
    t.brokenRedirect = t.bcast = t.optin = t.optout = t.noloop = false;
    t.redirect = o.redirect;
    if (o.bcast) {
      t.bcast = true;
      for (const prefix of o.prefixes.length === 0 ? [''] : o.prefixes) this.addPrefix(c, prefix);
    }
    t.optin = o.optin;
    t.optout = o.optout;
    t.noloop = o.noloop;
  }

  disable(ctx: CommandContext): void {
    const c = clientOf(ctx);
    const t = c.tracking;
    if (!t.on) return;
    if (t.bcast) {
      for (const prefix of t.prefixes) {
        const b = this.prefixes.get(prefix);
        b?.clients.delete(c);
        if (b !== undefined && b.clients.size === 0) this.prefixes.delete(prefix);
      }
      t.prefixes = [];
    }
    this.clients--;
    t.on = t.brokenRedirect = t.bcast = t.optin = t.optout = t.caching = t.noloop = false;
  }

  private addPrefix(c: Client, prefix: string): void {
    let b = this.prefixes.get(prefix);
    if (b === undefined) {
      b = { clients: new Set(), keys: new Map() };
      this.prefixes.set(prefix, b);
    }
    if (b.clients.has(c)) return;
    b.clients.add(c);
    const list = c.tracking.prefixes;
    list.push(prefix);
    list.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  }

  /** trackingRememberKeys: after a read-only command of a tracking client (not BCAST). */
  rememberKeys(c: Client, keys: readonly string[]): void {
    const t = c.tracking;
    if ((t.optin && !t.caching) || (t.optout && t.caching)) return;
    // Redis trims the table to tracking-table-max-keys in beforeSleep: at this turn's end here.
    if (!this.limitScheduled) {
      this.limitScheduled = true;
      setImmediate(() => {
        this.limitScheduled = false;
        this.limitUsedSlots();
      });
    }
    for (const key of keys) {
      let ids = this.table.get(key);
      if (ids === undefined) {
        ids = new Set();
        this.table.set(key, ids);
      }
      if (!ids.has(c.id)) {
        ids.add(c.id);
        this.items++;
      }
    }
  }

  /**
   * trackingInvalidateKey: key changed while `current` was the client being served (null: the
   * cron, an expiry or eviction between commands). bcast: also note it for BCAST prefixes.
   */
  invalidateKey(key: string, current: Client | null, bcast = true): void {
    // Every write comes here: nothing to do is the common case.
    if (this.table.size === 0 && this.prefixes.size === 0) return;
    if (bcast && this.prefixes.size > 0) this.noteForBroadcast(key, current);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    for (const id of ids) {
      const target = this.server.clients.get(id);
      if (target === undefined || !target.tracking.on || target.tracking.bcast) continue;
      if (target.tracking.noloop && target === current) continue;
      if (target === current && current.executing) this.pending.push({ client: target, key });
      else this.send(target, keyArray([key]));
    }
    this.items -= ids.size;
    this.table.delete(key);
  }

  /**
   * trackingInvalidateKeysOnFlush: a null invalidation to every tracking client, the table emptied.
   * A FLUSHALL reaches here once per db: one message per command (or per synchronous run outside one).
   */
  invalidateAll(current: Client | null): void {
    const token = this.server.stats.totalCommands;
    if (this.flushToken === token) return;
    this.flushToken = token;
    queueMicrotask(() => {
      this.flushToken = -1;
    });
    if (this.clients > 0) {
      for (const c of this.server.clients.values()) {
        if (!c.tracking.on) continue;
        if (c === current && current.executing) this.pending.push({ client: c, key: null });
        else this.send(c, c.resp === 2 ? '$-1\r\n' : '_\r\n');
      }
    }
    this.table.clear();
    this.items = 0;
  }

  /** After the command of the client served: the invalidations its own writes caused. */
  flushPending(c: Client): void {
    if (this.pending.length === 0) return;
    const mine = this.pending.filter((p) => p.client === c);
    if (mine.length === 0) return;
    this.pending = this.pending.filter((p) => p.client !== c);
    for (const { key } of mine)
      this.send(c, key === null ? (c.resp === 2 ? '$-1\r\n' : '_\r\n') : keyArray([key]));
  }

  private noteForBroadcast(key: string, current: Client | null): void {
    for (const [prefix, b] of this.prefixes) {
      if (!key.startsWith(prefix)) continue;
      b.keys.set(key, current);
    }
    if (!this.broadcastScheduled) {
      this.broadcastScheduled = true;
      setImmediate(() => this.broadcast());
    }
  }

  /** trackingBroadcastInvalidationMessages: each prefix's changed keys, once per turn. */
  private broadcast(): void {
    this.broadcastScheduled = false;
    // In the prefix table's (rax) order.
    const order = [...this.prefixes.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    for (const prefix of order) {
      const b = this.prefixes.get(prefix)!;
      if (b.keys.size === 0) continue;
      const keys = [...b.keys.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      for (const c of b.clients) {
        if (c.tracking.noloop) {
          const others = keys.filter((k) => b.keys.get(k) !== c);
          if (others.length > 0) this.send(c, keyArray(others));
        } else {
          this.send(c, keyArray(keys));
        }
      }
      b.keys.clear();
    }
  }

  /** trackingLimitUsedSlots: over tracking-table-max-keys, keys are invalidated (random ones) until under it. */
  limitUsedSlots(): void {
    const max = this.server.config.num('tracking-table-max-keys');
    if (max === 0 || this.table.size <= max) {
      this.overLimitRounds = 0;
      return;
    }
    let effort = 100 * (this.overLimitRounds + 1);
    const keys = [...this.table.keys()];
    while (effort-- > 0 && keys.length > 0) {
      const i = Math.floor(Math.random() * keys.length);
      const key = keys[i];
      keys[i] = keys[keys.length - 1];
      keys.pop();
      this.invalidateKey(key, null, false);
      if (this.table.size <= max) {
        this.overLimitRounds = 0;
        return;
      }
    }
    this.overLimitRounds++;
  }

  /** sendTrackingMessage: keysProto is the RESP of the keys (an array, or a null for a flush). */
  private send(c: Client, keysProto: string): void {
    let target = c;
    const t = c.tracking;
    if (t.redirect !== 0) {
      const redirect = this.server.clients.get(t.redirect);
      if (redirect === undefined) {
        t.brokenRedirect = true;
        if (c.resp > 2) {
          c.beginPush();
          c.reply.push(2);
          c.reply.bulk('tracking-redir-broken');
          c.reply.integer(t.redirect);
          c.endPush();
          this.server.wake(c);
        }
        return;
      }
      target = redirect;
    }
    target.beginPush();
    if (target.resp > 2) {
      target.reply.push(2);
      target.reply.bulk('invalidate');
    } else if (target !== c && target.subscriptionCount > 0) {
      target.reply.array(3);
      target.reply.bulk('message');
      target.reply.bulk(CHANNEL);
    } else {
      // RESP2 without a pub/sub redirect: nowhere to send it.
      target.endPush();
      return;
    }
    target.reply.raw(Buffer.from(keysProto, 'latin1'));
    target.endPush();
    this.server.wake(target);
  }
}

function keyArray(keys: readonly string[]): string {
  let s = `*${keys.length}\r\n`;
  for (const k of keys) s += `$${k.length}\r\n${k}\r\n`;
  return s;
}
