/**
 * Clients blocked in commands such as BLPOP (Redis's blocked.c), generically: a blocked client
 * waits on keys of its db with a BlockSpec whose serve() callback does the actual work. Writes
 * signal keys as ready (signalKeyReady) during a command; once the top-level command, EXEC or
 * script is over, handleReadyKeys() offers each ready key to its waiters in the order they
 * blocked (FIFO). Timeouts use one timer per client; CLIENT UNBLOCK and disconnects end a block.
 */
import { performance } from 'node:perf_hooks';
import type { CommandDef } from '../core/command-table.js';
import type { BlockSpec } from '../core/context.js';
import type { Database } from '../store/database.js';
import { typeOf } from '../store/values.js';
import type { Client } from './client.js';
import type { Server } from './server.js';

/** setTimeout's limit; longer waits re-arm their timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const UNBLOCKED_ERROR = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';

interface BlockedClient {
  readonly client: Client;
  readonly spec: BlockSpec;
  readonly db: Database;
  /** The blocking command and its arguments, for its statistics and slowlog entry on unblock. */
  readonly command: CommandDef;
  readonly argv: string[];
  /** Absolute deadline in ms since the epoch; 0 waits forever. */
  readonly deadline: number;
  timer: NodeJS.Timeout | null;
}

interface ReadyKey {
  readonly db: Database;
  readonly key: string;
}

export class Blocking {
  private readonly byClient = new Map<Client, BlockedClient>();
  /** Per db id: key → clients waiting on it. A Set iterates in insertion (blocking) order. */
  private readonly waiting = new Map<number, Map<string, Set<Client>>>();
  /** Keys signaled since the last handleReadyKeys, each once (Redis's server.ready_keys). */
  private ready: ReadyKey[] = [];
  private readonly readyIndex = new Map<number, Set<string>>();
  private handling = false;
  /** Blocked clients whose spec has onKeyGone: key deletions are signaled while any exist. */
  private goneWaiters = 0;
  private reprocessQueue: Client[] | null = null;

  constructor(private readonly server: Server) {}

  /** Clients currently blocked here (INFO blocked_clients counts these). */
  get blockedCount(): number {
    return this.byClient.size;
  }

  /** Keys with at least one waiter, over all dbs (INFO blocked_keys would count these). */
  get blockedKeyCount(): number {
    let n = 0;
    for (const keys of this.waiting.values()) n += keys.size;
    return n;
  }

  get hasReadyKeys(): boolean {
    return this.ready.length > 0;
  }

  isBlocked(c: Client): boolean {
    return this.byClient.has(c);
  }

  /** Blocks c (its input waits) on spec.keys in its current db. */
  block(c: Client, spec: BlockSpec): void {
    if (this.byClient.has(c)) throw new Error('client is already blocked');
    const deadline = spec.timeoutMs > 0 ? Date.now() + spec.timeoutMs : 0;
    const b: BlockedClient = {
      client: c,
      spec,
      db: c.db,
      command: c.command,
      argv: c.currentArgv ?? [],
      deadline,
      timer: null,
    };
    let keys = this.waiting.get(c.db.id);
    if (keys === undefined) this.waiting.set(c.db.id, (keys = new Map()));
    for (const key of spec.keys) {
      let queue = keys.get(key);
      if (queue === undefined) keys.set(key, (queue = new Set()));
      queue.add(c);
    }
    this.byClient.set(c, b);
    if (spec.onKeyGone !== undefined) this.goneWaiters++;
    c.blocked = true;
    if (deadline !== 0) this.arm(b);
  }

  /** Redis's signalKeyAsReady: queues key for handleReadyKeys if someone waits on it. */
  signalKeyReady(db: Database, key: string): void {
    if (this.byClient.size === 0) return;
    if (this.waiting.get(db.id)?.has(key) !== true) return;
    let index = this.readyIndex.get(db.id);
    if (index === undefined) this.readyIndex.set(db.id, (index = new Set()));
    if (index.has(key)) return;
    index.add(key);
    this.ready.push({ db, key });
  }

  /**
   * A key was modified or deleted (null: the whole db): Redis's signalDeletedKeyAsReady, for the
   * waiters that end when their key goes. Whether it is gone is checked when it is served.
   */
  keyChanged(db: Database, key: string | null): void {
    if (this.goneWaiters === 0) return;
    if (key !== null) {
      this.signalKeyReady(db, key);
      return;
    }
    const keys = this.waiting.get(db.id);
    if (keys !== undefined) for (const k of keys.keys()) this.signalKeyReady(db, k);
  }

  /** SWAPDB (Redis's scanDatabaseForReadyKeys): every waited-on key that exists in db is ready. */
  scanDatabaseForReadyKeys(db: Database): void {
    const keys = this.waiting.get(db.id);
    if (keys === undefined) return;
    for (const key of keys.keys()) if (db.exists(key)) this.signalKeyReady(db, key);
  }

  /**
   * Redis's handleClientsBlockedOnKeys, run after a top-level command, EXEC or script: serves the
   * waiters of every ready key. Serving can make more keys ready (BLMOVE's push): loop until none.
   */
  handleReadyKeys(): void {
    if (this.handling) return;
    this.handling = true;
    try {
      while (this.ready.length > 0) {
        const batch = this.ready;
        this.ready = [];
        for (const { db, key } of batch) {
          this.readyIndex.get(db.id)?.delete(key);
          this.serveKey(db, key);
        }
      }
    } finally {
      this.handling = false;
    }
  }

  /**
   * Offers a ready key to its waiters, first blocked first. A waiter for another value type goes
   * to the back of the queue (Redis's rotation); serving stops when serve() returns false.
   */
  private serveKey(db: Database, key: string): void {
    const queue = this.waiting.get(db.id)?.get(key);
    if (queue === undefined) return;
    let remaining = queue.size;
    while (remaining-- > 0 && queue.size > 0) {
      this.server.keyspace.tick();
      const value = db.get(key);
      if (value === undefined && this.goneWaiters === 0) return;
      const [c] = queue;
      const b = this.byClient.get(c)!;
      const spec = b.spec;
      if (value === undefined || (spec.valueType !== null && spec.valueType !== typeOf(value))) {
        if (spec.onKeyGone !== undefined) {
          const onKeyGone = spec.onKeyGone;
          this.serveClient(b, key, (receiver, k) => {
            onKeyGone.call(spec, receiver, k);
            return true;
          });
          continue;
        }
        queue.delete(c);
        queue.add(c);
        continue;
      }
      const served = this.serveClient(b, key, spec.serve);
      if (served === 'skip') {
        queue.delete(c);
        queue.add(c);
      } else if (!served) return;
    }
  }

  /** Runs a waiter's serve() (or another answer) as its command would run; true if it was answered. */
  private serveClient(b: BlockedClient, key: string, serve: BlockSpec['serve']): boolean | 'skip' {
    const c = b.client;
    const server = this.server;
    c.now = server.keyspace.time;
    c.command = b.command;
    c.rewrittenArgv = null;
    c.propagationPrevented = false;
    const start = performance.now();
    let served: boolean | 'skip';
    server.callDepth++;
    try {
      served = serve.call(b.spec, c, key);
    } catch (e) {
      server.stats.unexpectedErrors++;
      server.log('warning', `Error serving blocked '${b.command.name}': ${(e as Error).stack ?? e}`);
      c.reply.error(`ERR ${(e as Error).message ?? 'internal error'}`);
      served = true;
    }
    server.callDepth--;
    if (server.callDepth === 0) server.flushPropagation();
    if (served === true) this.finish(b, Math.round((performance.now() - start) * 1000));
    return served;
  }

  /** Times out a waiter: its timeout reply (null array by default). */
  private timeOut(b: BlockedClient): void {
    if (b.spec.onTimeout !== undefined) b.spec.onTimeout(b.client);
    else b.client.reply.nilArray();
    this.finish(b, null);
  }

  /** CLIENT UNBLOCK: false if no client with that id is blocked here. */
  unblockById(id: number, asError: boolean): boolean {
    const c = this.server.clients.get(id);
    const b = c === undefined ? undefined : this.byClient.get(c);
    if (b === undefined) return false;
    if (asError) {
      b.client.reply.error(UNBLOCKED_ERROR);
      this.finish(b, null);
    } else {
      this.timeOut(b);
    }
    return true;
  }

  /**
   * Ends a block from outside after writing its reply with `reply` (e.g. WAIT once replicas
   * acknowledged). False if c was not blocked here.
   */
  release(c: Client, reply: (c: Client) => void): boolean {
    const b = this.byClient.get(c);
    if (b === undefined) return false;
    reply(c);
    this.finish(b, null);
    return true;
  }

  /** Redis's disconnectAllBlockedClients (the instance became a replica). */
  disconnectAll(): void {
    for (const b of [...this.byClient.values()]) {
      b.client.reply.error(
        'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)',
      );
      b.client.closeAfterReply = true;
      this.finish(b, null);
    }
  }

  /** A blocked client disconnected: forget it without a reply. */
  removeClient(c: Client): void {
    const b = this.byClient.get(c);
    if (b !== undefined) this.detach(b);
  }

  /**
   * After the reply: a served command adds its time and goes to the slowlog (Redis 7.0 does
   * neither on timeout or CLIENT UNBLOCK: replyUsec null), then the client reads its input again.
   */
  private finish(b: BlockedClient, replyUsec: number | null): void {
    this.detach(b);
    const c = b.client;
    // The blocked command is done: CLIENT REPLY OFF|SKIP applies to its reply now.
    c.afterCommand();
    if (replyUsec !== null) {
      b.command.usec += replyUsec;
      this.server.slowlog.record(c, b.argv, replyUsec, b.command);
    }
    this.server.wake(c);
    this.scheduleReprocess(c);
  }

  private detach(b: BlockedClient): void {
    const c = b.client;
    this.byClient.delete(c);
    if (b.spec.onKeyGone !== undefined) this.goneWaiters--;
    if (b.timer !== null) clearTimeout(b.timer);
    b.timer = null;
    const keys = this.waiting.get(b.db.id);
    if (keys !== undefined) {
      for (const key of b.spec.keys) {
        const queue = keys.get(key);
        if (queue === undefined) continue;
        queue.delete(c);
        if (queue.size === 0) keys.delete(key);
      }
      if (keys.size === 0) this.waiting.delete(b.db.id);
    }
    c.blocked = false;
  }

  private arm(b: BlockedClient): void {
    const wait = Math.min(Math.max(b.deadline - Date.now(), 0), MAX_TIMER_MS);
    b.timer = setTimeout(() => {
      b.timer = null;
      if (this.byClient.get(b.client) !== b) return;
      if (Date.now() < b.deadline) this.arm(b);
      else this.timeOut(b);
    }, wait);
    b.timer.unref();
  }

  /** Redis's processUnblockedClients: pipelined commands run once the current work is done. */
  private scheduleReprocess(c: Client): void {
    if (this.reprocessQueue === null) {
      this.reprocessQueue = [];
      queueMicrotask(() => this.reprocess());
    }
    this.reprocessQueue.push(c);
  }

  private reprocess(): void {
    const queue = this.reprocessQueue ?? [];
    this.reprocessQueue = null;
    for (const c of queue) {
      if (c.closed || c.blocked) continue;
      c.processInput();
      c.flush();
    }
  }
}
