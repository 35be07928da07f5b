import { chmodSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { EventClass, LogLevel, ServerContext } from '../commands/context.js';
import { allFamilies } from '../commands/index.js';
import { Commands } from '../commands/table.js';
import type { ParserLimits } from '../protocol/request-parser.js';
import { quoteRepr } from '../protocol/split-args.js';
import { type Clock, Keyspace, systemClock } from '../store/keyspace.js';
import { Client } from './client.js';
import { Config } from './config.js';
import { execute } from './dispatch.js';
import { Logger } from './log.js';
import { PubSub } from './pubsub.js';
import { SlowLog } from './slowlog.js';
import { Stats } from './stats.js';
import { REDIS_VERSION } from './version.js';

export interface ServerOptions {
  config?: Config;
  clock?: Clock;
  logger?: Logger;
  /** Listen on a port the OS picks (for tests and embedding) instead of config `port`. */
  ephemeralPort?: boolean;
}

/** Propagation of applied writes (replication, AOF): the db they apply to and the command vectors. */
export type PropagationListener = (dbIndex: number, commands: string[][]) => void;

const NOTIFY_BITS: Record<string, number> = {
  K: 1 << 0,
  E: 1 << 1,
  g: 1 << 2,
  $: 1 << 3,
  l: 1 << 4,
  s: 1 << 5,
  h: 1 << 6,
  z: 1 << 7,
  x: 1 << 8,
  e: 1 << 9,
  t: 1 << 10,
  m: 1 << 11,
  d: 1 << 12,
  n: 1 << 13,
};
const NOTIFY_ALL = 'g$lshzxetd'.split('').reduce((a, c) => a | NOTIFY_BITS[c], 0);

/** Parses notify-keyspace-events flags into bits; null if a flag is unknown. */
export function parseNotifyFlags(s: string): number | null {
  let bits = 0;
  for (const c of s) {
    if (c === 'A') bits |= NOTIFY_ALL;
    else if (NOTIFY_BITS[c] !== undefined) bits |= NOTIFY_BITS[c];
    else return null;
  }
  return bits;
}

/** The server: listeners, clients, keyspace, command table, configuration and periodic work. */
export class Server implements ServerContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly keyspace: Keyspace;
  readonly commands: Commands;
  readonly stats = new Stats();
  readonly pubsub: PubSub;
  readonly clients = new Map<number, Client>();
  readonly parserLimits: ParserLimits = { maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024 };
  readonly propagationListeners: PropagationListener[] = [];
  /** Clients fed by the MONITOR command. */
  readonly monitors = new Set<Client>();
  readonly slowlog: SlowLog;
  dirty = 0;
  notifyFlags = 0;
  /** Called when SHUTDOWN completes (the binary exits the process; embedded servers just stop). */
  onShutdownComplete: ((exitCode: number) => void) | null = null;
  authRequired = false;
  /** TCP port actually listened on (0: none). */
  port = 0;
  /** Db index of the last propagated command, to emit SELECT when it changes. */
  propagatedDb = -1;
  private nextClientId = 1;
  private readonly listeners: NetServer[] = [];
  private cron: NodeJS.Timeout | null = null;
  private readonly pendingFlush = new Set<Client>();
  private flushScheduled = false;
  private shuttingDown = false;
  private readonly ephemeralPort: boolean;
  readonly runId: string;

  constructor(options: ServerOptions = {}) {
    this.config = options.config ?? new Config();
    this.logger = options.logger ?? new Logger();
    this.ephemeralPort = options.ephemeralPort ?? false;
    this.keyspace = new Keyspace(this.config.num('databases'), options.clock ?? systemClock);
    this.keyspace.expiredListener = (db, key) => this.onKeyExpired(db.id, key);
    this.commands = new Commands(allFamilies);
    for (const [from, to] of this.config.renames) {
      if (!this.commands.rename(from, to)) throw new Error(`No such command in rename-command: ${from}`);
    }
    this.pubsub = new PubSub((c) => this.wake(c));
    this.slowlog = new SlowLog(this.config);
    this.runId = randomHex(40);
    const c = this.config;
    c.watch('proto-max-bulk-len', (v) => (this.parserLimits.maxBulkLen = v as number));
    c.watch('client-query-buffer-limit', (v) => (this.parserLimits.maxQueryBuffer = v as number));
    c.watch('requirepass', (v) => (this.authRequired = v !== ''));
    c.watch('loglevel', (v) => (this.logger.level = v as LogLevel));
    c.watch('notify-keyspace-events', (v) => (this.notifyFlags = parseNotifyFlags(v as string) ?? 0));
    c.watch('hz', () => this.restartCron());
  }

  log(level: LogLevel, message: string): void {
    this.logger.log(level, message);
  }

  /** Binds the configured addresses and starts periodic work. Rejects with a message on failure. */
  async start(): Promise<void> {
    this.logger.role = 'M';
    const port = this.ephemeralPort ? 0 : this.config.num('port');
    const binds = this.config.get('bind') as string[];
    if (port !== 0 || this.ephemeralPort) {
      let chosen = port;
      for (const spec of binds) {
        const optional = spec.startsWith('-');
        const addr = optional ? spec.slice(1) : spec;
        const host = addr === '*' ? '0.0.0.0' : addr === '::*' ? '::' : addr;
        try {
          const listener = await this.listen({ host, port: chosen, ipv6Only: host.includes(':') });
          const bound = listener.address();
          if (typeof bound === 'object' && bound !== null) chosen = bound.port;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (
            optional &&
            (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EPROTONOSUPPORT')
          ) {
            continue;
          }
          this.log(
            'warning',
            `Warning: Could not create server TCP listening socket ${addr}:${chosen}: ${describeListenError(e)}`,
          );
          this.closeListeners();
          throw new ListenError(`Failed listening on port ${chosen} (TCP), aborting.`);
        }
      }
      this.port = chosen;
      if (this.ephemeralPort) this.config.set([['port', String(chosen)]]);
    }
    const unixsocket = this.config.str('unixsocket');
    if (unixsocket !== '') {
      try {
        unlinkSync(unixsocket);
      } catch {
        // No stale socket file.
      }
      try {
        await this.listen({ path: unixsocket });
        const perm = this.config.num('unixsocketperm');
        if (perm !== 0) chmodSync(unixsocket, perm);
      } catch (e) {
        this.log('warning', `Failed opening Unix socket: ${describeListenError(e)}`);
        this.closeListeners();
        throw new ListenError('Failed listening on unix socket, aborting.');
      }
      this.log('notice', `The server is now ready to accept connections at ${unixsocket}`);
    }
    this.restartCron();
  }

  private listen(options: {
    host?: string;
    port?: number;
    ipv6Only?: boolean;
    path?: string;
  }): Promise<NetServer> {
    return new Promise((resolve, reject) => {
      const listener = createServer({ noDelay: true }, (socket) =>
        this.accept(socket, options.path !== undefined),
      );
      listener.once('error', reject);
      listener.listen({ ...options, backlog: 511, exclusive: true }, () => {
        listener.removeListener('error', reject);
        listener.on('error', (e) => this.log('warning', `Accepting client connection: ${e.message}`));
        this.listeners.push(listener);
        resolve(listener);
      });
    });
  }

  private closeListeners(): void {
    for (const l of this.listeners) l.close();
    this.listeners.length = 0;
  }

  private accept(socket: Socket, unix: boolean): void {
    socket.on('error', () => {});
    const maxclients = this.config.num('maxclients');
    if (this.clients.size >= maxclients) {
      this.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const remote = unix ? '/unixsocket:0' : formatAddr(socket.remoteAddress, socket.remotePort);
    if (
      !unix &&
      this.config.bool('protected-mode') &&
      !this.authRequired &&
      !isLoopback(socket.remoteAddress)
    ) {
      this.stats.rejectedConnections++;
      socket.end(`-${PROTECTED_MODE_MESSAGE}\r\n`);
      return;
    }
    const keepalive = this.config.num('tcp-keepalive');
    if (!unix && keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    const local = unix ? this.config.str('unixsocket') : formatAddr(socket.localAddress, socket.localPort);
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    const client = new Client(this, this.nextClientId++, socket, remote, local, fd);
    this.clients.set(client.id, client);
    this.stats.totalConnections++;
    socket.on('close', () => client.close());
  }

  /** Creates a client without a socket (embedding, scripts, AOF loading). */
  fakeClient(): Client {
    return new Client(this, this.nextClientId++, null, '', '', -1);
  }

  onClientClosed(client: Client): void {
    this.clients.delete(client.id);
    this.pubsub.removeClient(client);
    this.monitors.delete(client);
    this.unwatchAll(client);
  }

  /** UNWATCH: forgets every key the client watches. */
  unwatchAll(client: Client): void {
    for (const [db, key] of client.watching) {
      const set = db.watched?.get(key);
      set?.delete(client);
      if (set?.size === 0) db.watched!.delete(key);
    }
    client.watching = [];
    client.watchTouched = false;
  }

  get roleName(): string {
    return 'master';
  }

  afterFlushAll(): void {}

  execute(client: Client, argv: string[]): void {
    execute(this, client, argv);
  }

  /** MONITOR output: `+<unix time.usec> [<db> <addr>] "arg" ...`. */
  feedMonitors(c: Client, argv: string[]): void {
    const now = Date.now();
    const time = `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}`;
    const source = c.socket === null ? 'lua' : c.addr.startsWith('/') ? `unix:${c.laddr}` : c.addr;
    const line = `${time} [${c.db.id} ${source}] ${argv.map(quoteRepr).join(' ')}`;
    for (const m of this.monitors) {
      m.reply.simple(line);
      this.wake(m);
    }
  }

  /** Schedules a flush for a client that got output outside its own input processing. */
  wake(client: Client): void {
    this.pendingFlush.add(client);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      for (const c of this.pendingFlush) c.flush();
      this.pendingFlush.clear();
    });
  }

  countError(_client: Client, msg: string): void {
    this.stats.totalErrorReplies++;
    const space = msg.indexOf(' ');
    const code = space < 0 ? msg : msg.slice(0, space);
    this.stats.errors.set(code, (this.stats.errors.get(code) ?? 0) + 1);
  }

  notifyKeyspaceEvent(cls: EventClass, event: string, key: string, dbId: number): void {
    const flags = this.notifyFlags;
    if ((flags & NOTIFY_BITS[cls]) === 0) return;
    if (flags & NOTIFY_BITS.K) this.pubsub.publish(`__keyspace@${dbId}__:${key}`, event);
    if (flags & NOTIFY_BITS.E) this.pubsub.publish(`__keyevent@${dbId}__:${event}`, key);
  }

  private onKeyExpired(dbId: number, key: string): void {
    this.notifyKeyspaceEvent('x', 'expired', key, dbId);
    this.propagate(dbId, [['DEL', key]]);
  }

  /** Hands applied writes to replication and AOF. */
  propagate(dbIndex: number, commands: string[][]): void {
    for (const fn of this.propagationListeners) fn(dbIndex, commands);
  }

  private restartCron(): void {
    if (this.cron !== null) clearInterval(this.cron);
    if (this.listeners.length === 0 && this.port === 0 && !this.ephemeralPort && this.shuttingDown) return;
    const hz = Math.min(Math.max(this.config.num('hz'), 1), 500);
    this.cron = setInterval(() => this.serverCron(hz), Math.floor(1000 / hz));
    this.cron.unref();
  }

  private serverCron(hz: number): void {
    const now = Date.now();
    this.stats.sample('commands', this.stats.totalCommands, now);
    this.stats.sample('net_input', this.stats.netInputBytes, now);
    this.stats.sample('net_output', this.stats.netOutputBytes, now);
    // Redis's slow expire cycle may use 25% of the cron period.
    this.keyspace.activeExpireCycle(Math.max(1, 250 / hz));
    const timeout = this.config.num('timeout');
    if (timeout > 0) {
      for (const c of this.clients.values()) {
        if (c.blocked || c.subscriptionCount > 0 || c.roleFlags !== '') continue;
        if (now - c.lastInteraction > timeout * 1000) {
          this.log('verbose', 'Closing idle client');
          c.close();
        }
      }
    }
  }

  /** Writes the pidfile if configured (or daemonized, with Redis's default path). */
  writePidFile(): void {
    const pidfile = this.pidFilePath();
    if (pidfile === '') return;
    try {
      writeFileSync(pidfile, `${process.pid}\n`);
    } catch (e) {
      this.log('warning', `Failed to write PID file: ${(e as Error).message}`);
    }
  }

  pidFilePath(): string {
    const configured = this.config.str('pidfile');
    if (configured !== '') return resolvePath(configured);
    return this.config.bool('daemonize') ? '/var/run/redis_6379.pid' : '';
  }

  /**
   * Stops serving: closes listeners and clients, removes the pidfile and unix socket. Persistence
   * hooks (save on shutdown) run first when registered. Returns false if shutdown was refused.
   */
  async shutdown(): Promise<boolean> {
    if (this.shuttingDown) return true;
    this.shuttingDown = true;
    this.log('warning', 'User requested shutdown...');
    if (this.cron !== null) clearInterval(this.cron);
    this.cron = null;
    const pidfile = this.pidFilePath();
    if (pidfile !== '') {
      this.log('notice', 'Removing the pid file.');
      try {
        unlinkSync(pidfile);
      } catch {
        // Already gone.
      }
    }
    const unixsocket = this.config.str('unixsocket');
    if (unixsocket !== '') {
      this.log('notice', 'Removing the unix socket file.');
      try {
        unlinkSync(unixsocket);
      } catch {
        // Already gone.
      }
    }
    await Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
    this.listeners.length = 0;
    for (const c of [...this.clients.values()]) {
      c.flush();
      c.close();
    }
    this.log('warning', `Redis is now ready to exit, bye bye...`);
    return true;
  }

  get version(): string {
    return REDIS_VERSION;
  }
}

export class ListenError extends Error {}

function describeListenError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE') return 'bind: Address already in use';
  if (err.code === 'EADDRNOTAVAIL') return 'bind: Cannot assign requested address';
  if (err.code === 'EACCES') return 'bind: Permission denied';
  return err.message;
}

function formatAddr(ip: string | undefined, port: number | undefined): string {
  let host = ip ?? '?';
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice(7);
  return `${host}:${port ?? 0}`;
}

function isLoopback(ip: string | undefined): boolean {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
}

function randomHex(n: number): string {
  let s = '';
  while (s.length < n)
    s += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
}

export const PROTECTED_MODE_MESSAGE =
  "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";
