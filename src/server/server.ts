import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type CheckInput, channelAllowed, KEY_READ } from '../acl/selector.js';
import type { AclUser } from '../acl/user.js';
import type { Acl } from '../acl/users.js';
import type { CommandDef, Commands } from '../core/command-table.js';
import type {
  CommandContext,
  EventClass,
  LogLevel,
  PersistenceControl,
  ReplicationControl,
  ScriptingControl,
  ServerContext,
  ShutdownOptions,
} from '../core/context.js';
import { type PropagatedOp, ServerEvents } from '../core/events.js';
import type { FakeClient, Host, MasterClient, MasterClientHooks } from '../core/host.js';
import { ReplTarget } from '../core/scripting.js';
import { nowUsec } from '../lib/clock.js';
import { REDIS_VERSION } from '../lib/version.js';
import type { ParserLimits } from '../protocol/request-parser.js';
import { quoteRepr } from '../protocol/split-args.js';
import type { Database } from '../store/database.js';
import { type Clock, Keyspace, systemClock } from '../store/keyspace.js';
import { aclRefusal, checkInputOf, EXEC_DENIAL } from './acl-check.js';
import { Admin } from './admin.js';
import { admissionRefusal, connectionAddresses } from './admission.js';
import { Blocking } from './blocking.js';
import { Client, clientOf } from './client.js';
import { Config, TLS_CONTEXT_DIRECTIVES } from './config.js';
import { NOTIFY, parseNotifyFlags } from './config-special.js';
import { DirectClient } from './direct-client.js';
import { call, execute, unknownCommandError } from './dispatch.js';
import { Evictor, OOM_ERROR } from './evictor.js';
import { HeapGuard } from './heap-guard.js';
import { Listeners } from './listeners.js';
import { Logger } from './log.js';
import { collectGarbage, MemoryReleaser } from './memory-release.js';
import { removeRunFiles, writePidFile } from './pid-file.js';
import { PubSub } from './pubsub.js';
import { SlowLog } from './slowlog.js';
import { Stats } from './stats.js';
import { StreamClient } from './stream-client.js';
import { Tracking } from './tracking.js';

export interface ServerOptions {
  /** The command table (assemble.ts builds it from the command families). */
  commands: Commands;
  config?: Config;
  clock?: Clock;
  logger?: Logger;
  /** Listen on a port the OS picks (for tests and embedding) instead of config `port`. */
  ephemeralPort?: boolean;
}

/** Keyspace notification classes as bits (shared with the notify-keyspace-events directive). */
const NOTIFY_BITS: Record<string, number> = NOTIFY;

export { parseNotifyFlags };

/** The server: listeners, clients, keyspace, command table, configuration and periodic work. */
export class Server implements ServerContext, Host {
  readonly config: Config;
  readonly logger: Logger;
  readonly keyspace: Keyspace;
  readonly commands: Commands;
  readonly stats = new Stats();
  /** A GC after a client with huge pending replies leaves, so the memory goes back. */
  readonly memoryReleaser = new MemoryReleaser();
  readonly tracking = new Tracking(this);
  /** The client whose command is being processed (Redis's server.current_client), null between commands. */
  currentClient: Client | null = null;
  readonly pubsub: PubSub;
  readonly clients = new Map<number, Client>();
  /** The V8 heap's ceiling, kept like maxmemory (server/heap-guard.ts). */
  readonly heapGuard = new HeapGuard(
    (level, message) => this.log(level, message),
    () => this.keyspace.datasetBytes,
    collectGarbage,
    () => this.keyspace.arenaBytes,
  );
  readonly parserLimits: ParserLimits = {
    maxBulkLen: 512 * 1024 * 1024,
    maxQueryBuffer: 1024 * 1024 * 1024,
    bulkFits: (len) => this.heapGuard.hasRoomFor(len),
    noRoomError: OOM_ERROR,
  };
  /** What persistence, replication and the rest hear of (core/events.ts). */
  readonly events = new ServerEvents();
  /** Clients fed by the MONITOR command. */
  readonly monitors = new Set<Client>();
  readonly slowlog: SlowLog;
  /** Clients blocked in BLPOP & co. (server/blocking.ts). */
  readonly blocking = new Blocking(this);
  readonly admin: Admin;
  /** maxmemory: used memory estimate and eviction. */
  readonly evictor: Evictor;
  /** Redis's CMD_PROTECTED commands, each with the directive that allows it (DEBUG, MODULE LOAD …). */
  readonly protectedCommands = new Map<CommandDef, 'enable-debug-command' | 'enable-module-command'>();
  dirty = 0;
  notifyFlags = 0;
  /** Called when SHUTDOWN completes (the binary exits the process; embedded servers just stop). */
  onShutdownComplete: ((exitCode: number) => void) | null = null;
  get acl(): Acl {
    return this.config.acl;
  }

  aclCheckInput(argv: readonly string[]): CheckInput | null {
    return checkInputOf(this.config.acl, this.commands, argv);
  }

  aclReadsAnyKey(ctx: CommandContext, argv: readonly string[]): boolean {
    const user = clientOf(ctx).aclUser;
    if (user === null || user.unrestricted) return true;
    const input = checkInputOf(this.config.acl, this.commands, argv);
    return input !== null && user.unrestrictedKeyAccess(input, KEY_READ);
  }

  aclfilePath(): string {
    return this.config.aclfilePath();
  }

  /** Clients must AUTH first: the default user has passwords or is off. */
  get authRequired(): boolean {
    return this.config.acl.authRequired;
  }
  /** Last performance.now() reading; while clockChain is set, call() starts from it. */
  perfNow = 0;
  clockChain = false;
  /** Nesting of call(): propagation is flushed when the outermost call ends. */
  callDepth = 0;
  /** RDB/AOF persistence and replication, as commands and dispatch see them (attach()). */
  persistence!: PersistenceControl;
  replication!: ReplicationControl;
  scripting!: ScriptingControl;
  /** Out of memory when the running command started (Redis's pre_command_oom_state, for scripts). */
  preCommandOom = false;
  /** While a script runs past busy-reply-threshold: the -BUSY reply commands get (the cron does not expire keys). */
  scriptBusy: string | null = null;
  /** Shut down: a script still running is abandoned (SHUTDOWN NOSAVE while it was busy). */
  stopped = false;
  /** Loading the dataset (start-up): commands without the loading flag get -LOADING, nothing propagates. */
  loading = false;
  private pendingOps: PropagatedOp[] = [];
  /** Redis gives ids 1 and 2 to its Lua and functions clients: connections start at 3. */
  private nextClientId = 3;
  /** The TCP and Unix listeners (listeners.ts). */
  private readonly net: Listeners;
  /** Connections refused and being closed (maxclients, protected mode). */
  private readonly refused = new Set<Socket>();
  private cron: NodeJS.Timeout | null = null;
  private readonly pendingFlush = new Set<Client>();
  private flushScheduled = false;
  private shuttingDown = false;
  private shutdownRun: Promise<boolean> | null = null;
  private readonly ephemeralPort: boolean;
  readonly runId: string;

  constructor(options: ServerOptions) {
    this.config = options.config ?? new Config();
    this.logger = options.logger ?? new Logger();
    this.ephemeralPort = options.ephemeralPort ?? false;
    this.keyspace = new Keyspace(this.config.num('databases'), options.clock ?? systemClock);
    this.keyspace.expiredListener = (db, key) => this.onKeyExpired(db.id, key);
    for (const db of this.keyspace.dbs) {
      db.keyObserver = (d, key, swapped) => {
        this.blocking.keyChanged(d, key);
        if (key !== null) this.tracking.invalidateKey(key, this.currentClient);
        else if (!swapped) this.tracking.invalidateAll(this.currentClient);
      };
    }
    this.commands = options.commands;
    this.pubsub = new PubSub((c) => this.wake(c));
    this.slowlog = new SlowLog(this.config);
    this.admin = new Admin(this);
    // Found by its real name: a rename-command does not lift the protection.
    for (const def of this.commands.all()) {
      if (def.name === 'debug') this.protectedCommands.set(def, 'enable-debug-command');
      for (const sub of def.subcommands?.values() ?? []) {
        if (/^module\|(load|loadex|unload)$/.test(sub.name))
          this.protectedCommands.set(sub, 'enable-module-command');
      }
    }
    this.runId = randomHex(40);
    const c = this.config;
    c.watch('proto-max-bulk-len', (v) => (this.parserLimits.maxBulkLen = v as number));
    c.watch('client-query-buffer-limit', (v) => (this.parserLimits.maxQueryBuffer = v as number));
    c.watch('requirepass', () => this.onRequirepassChanged());
    c.acl.whenUserRemoved((user) => this.disconnectUser(user));
    c.acl.whenChannelsRevoked((user, upcoming) => this.disconnectRevokedSubscribers(user, upcoming));
    // CONFIG SET port/bind: re-listen like Redis's changeListenPort/changeBindAddr.
    this.net = new Listeners(
      c,
      (level, message) => this.log(level, message),
      (socket, unix) => this.accept(socket, unix),
    );
    c.onApply('port', () => this.net.rebindTcp());
    c.onApply('bind', async () => (await this.net.rebindTcp()) ?? (await this.net.rebindTls()));
    c.onApply('tls-port', () => this.net.rebindTls());
    const reloadTls = () =>
      this.net.tlsPort !== 0 || c.bool('tls-replication') ? this.net.reloadTls() : null;
    for (const name of [...TLS_CONTEXT_DIRECTIVES, 'tls-replication']) c.onApply(name, reloadTls);
    c.log = (message) => this.log('warning', message);
    c.watch('loglevel', (v) => (this.logger.level = v as LogLevel));
    c.watch('notify-keyspace-events', (v) => {
      this.notifyFlags = v as number;
      // The 'new' event fires from the store on every key creation: only hooked when wanted.
      this.keyspace.onNewKey =
        (this.notifyFlags & NOTIFY_BITS.n) !== 0
          ? (db, key) => this.notifyKeyspaceEvent('n', 'new', key, db.id)
          : null;
    });
    c.watch('hz', () => this.restartCron());
    // Expiry and access-tracking policy of the keyspace (directives not defined yet keep defaults).
    const ks = this.keyspace;
    c.watch('hz', (v) => (ks.hz = Math.min(Math.max(v as number, 1), 500)));
    c.watch('maxmemory-policy', (v) => ks.setEvictionPolicy(v as string));
    c.watch('lfu-log-factor', (v) => v !== undefined && (ks.lfuLogFactor = v as number));
    c.watch('lfu-decay-time', (v) => v !== undefined && (ks.lfuDecayTime = v as number));
    c.watch('active-expire-effort', (v) => v !== undefined && (ks.activeExpireEffort = v as number));
    this.evictor = new Evictor(this);
    this.events.roleChanged.on((replica) => {
      this.logger.role = replica ? 'S' : 'M';
      // Redis's disconnectAllBlockedClients: a master turning replica lets its blocked clients go.
      if (replica) this.blocking.disconnectAll();
      // A master expires every key itself.
      else this.keyspace.forgetReplicaExpires();
    });
  }

  /** Connects persistence and replication (the composition root, assemble.ts, does it once). */
  attach(parts: {
    persistence: PersistenceControl;
    replication: ReplicationControl;
    scripting: ScriptingControl;
  }): void {
    this.persistence = parts.persistence;
    this.replication = parts.replication;
    this.scripting = parts.scripting;
  }

  log(level: LogLevel, message: string): void {
    this.logger.log(level, message);
  }

  /** Binds the configured addresses and starts periodic work. Rejects with a message on failure. */
  async start(): Promise<void> {
    this.logger.role = this.config.get('replicaof') ? 'S' : 'M';
    await this.net.open(this.ephemeralPort);
    this.restartCron();
  }

  /** TCP port actually listened on (0: none). */
  get port(): number {
    return this.net.port;
  }

  /** TLS port actually listened on (0: none). */
  get tlsPort(): number {
    return this.net.tlsPort;
  }

  /**
   * ACLFreeUserAndKillClients: a deleted user's connections go (the one deleting it after its
   * reply), back on the default user unauthenticated meanwhile.
   */
  private disconnectUser(user: AclUser): void {
    for (const c of [...this.clients.values()]) {
      if (c.aclUser !== user) continue;
      c.aclUser = this.config.acl.defaultUser;
      c.user = 'default';
      c.authenticated = false;
      if (c === this.currentClient) c.closeAfterReply = true;
      else c.close();
    }
  }

  /** ACLKillPubsubClientsIfNeeded: subscribers of the user holding a channel no longer allowed. */
  private disconnectRevokedSubscribers(user: AclUser, upcoming: readonly string[]): void {
    for (const c of [...this.clients.values()]) {
      if (c.aclUser !== user || c.clientType() !== 'pubsub') continue;
      const lost =
        [...c.patterns].some((p) => !channelAllowed(upcoming, p, true)) ||
        [...c.channels, ...c.shardChannels].some((ch) => !channelAllowed(upcoming, ch, false));
      if (lost) c.close();
    }
  }

  /** requirepass: new clients must AUTH; removing it lets every client in (default user nopass). */
  private onRequirepassChanged(): void {
    if (this.authRequired) return;
    for (const c of this.clients.values()) if (!c.authenticated) c.setAuthenticated('default');
  }

  /**
   * Holds a client's input until `work` settles, then `done` writes its reply (CONFIG SET of port
   * or bind, whose listeners open asynchronously). Pipelined commands wait, as they would in Redis.
   */
  replyLater<T>(ctx: CommandContext, work: Promise<T>, done: (result: T) => void): void {
    const c = clientOf(ctx);
    c.blocked = true;
    void work.then(
      (result) => {
        c.blocked = false;
        done(result);
        c.flush();
        c.processInput();
        c.flush();
      },
      (e: unknown) => {
        c.blocked = false;
        c.reply.error(`ERR ${(e as Error).message}`);
        c.flush();
      },
    );
  }

  /** CONFIG RESETSTAT: INFO stats, command and error statistics, as resetServerStats & co. */
  unblockClient(id: number, asError: boolean): boolean {
    return this.blocking.unblockById(id, asError);
  }

  scanDatabaseForReadyKeys(db: Database): void {
    this.blocking.scanDatabaseForReadyKeys(db);
  }

  resetStats(): void {
    this.stats.reset();
    const ks = this.keyspace;
    ks.hits = 0;
    ks.misses = 0;
    ks.expiredKeys = 0;
    for (const def of this.commands.all()) {
      for (const d of [def, ...(def.subcommands?.values() ?? [])]) {
        d.calls = 0;
        d.usec = 0;
        d.rejectedCalls = 0;
        d.failedCalls = 0;
      }
    }
    this.events.statsReset.emit();
  }

  /**
   * Writes an error to a connection that is not served (maxclients, protected mode) and closes
   * it; what the peer sends meanwhile is read and dropped so its FIN is seen.
   */
  private refuse(socket: Socket, text: string): void {
    this.refused.add(socket);
    socket.on('close', () => this.refused.delete(socket));
    socket.end(text);
    socket.resume();
  }

  private accept(socket: Socket, unix: boolean): void {
    socket.on('error', () => {});
    const refusal = admissionRefusal(this.config, this.clients.size, socket, unix);
    if (refusal !== null) {
      this.stats.rejectedConnections++;
      this.refuse(socket, refusal);
      return;
    }
    const keepalive = this.config.num('tcp-keepalive');
    if (!unix && keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    const { remote, local } = connectionAddresses(this.config, socket, unix);
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    const client = new Client(this, this.nextClientId++, socket, remote, local, fd);
    client.isUnixSocket = unix;
    this.clients.set(client.id, client);
    this.stats.totalConnections++;
    socket.on('close', () => client.close());
  }

  /** A client without a connection that runs commands as Redis's cmd->proc does (AOF loading). */
  fakeClient(): FakeClient {
    const client = new Client(this, this.nextClientId++, null, '', '', -1);
    client.aofLoader = true;
    // Like Redis's fake client (no user): what the AOF holds already ran.
    client.aclUser = null;
    return new DirectClient(this, client);
  }

  heapFull(): string | null {
    return this.heapGuard.loadError();
  }

  usedMemory(): number {
    return this.evictor.usedMemory(true);
  }

  onClientClosed(client: Client): void {
    this.tracking.disable(client);
    this.events.clientClosed.emit(client.id);
    this.clients.delete(client.id);
    this.pubsub.removeClient(client);
    this.monitors.delete(client);
    this.unwatchAll(client);
    this.admin.onClientClosed(client);
    this.blocking.removeClient(client);
  }

  invoke(ctx: CommandContext, argv: string[]): void {
    const client = clientOf(ctx);
    let cmd = this.commands.lookup(argv[0]);
    if (cmd?.subcommands != null) cmd = cmd.subcommands.get(argv[1]?.toLowerCase() ?? '');
    if (cmd === undefined || cmd.handler === null) {
      client.reply.error(unknownCommandError(argv));
      return;
    }
    // The rules may have changed since the command was queued (execCommand checks again).
    const user = client.aclUser;
    const refusal = user === null || user.unrestricted ? null : aclRefusal(this.acl, user, cmd, argv);
    if (refusal !== null) {
      client.logAclDenial(refusal.reason, refusal.object, undefined, 'multi');
      client.reply.error(
        `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${EXEC_DENIAL[refusal.reason]}`,
      );
      return;
    }
    call(this, client, cmd, argv);
  }

  watch(ctx: CommandContext, key: string): void {
    const client = clientOf(ctx);
    const db = client.db;
    if (client.watching.some(([d, k]) => d === db && k === key)) return;
    client.watching.push([db, key, db.isExpired(key)]);
    db.watched ??= new Map();
    let set = db.watched.get(key);
    if (set === undefined) db.watched.set(key, (set = new Set()));
    set.add(client);
  }

  watchedKeyExpired(ctx: CommandContext): boolean {
    const client = clientOf(ctx);
    this.keyspace.tick();
    return client.watching.some(([db, key, expiredAtWatch]) => !expiredAtWatch && db.isExpired(key));
  }

  /** UNWATCH: forgets every key the client watches. */
  unwatchAll(ctx: CommandContext): void {
    const client = clientOf(ctx);
    for (const [db, key] of client.watching) {
      const set = db.watched?.get(key);
      set?.delete(client);
      if (set?.size === 0) db.watched!.delete(key);
    }
    client.watching = [];
    client.watchTouched = false;
  }

  get roleName(): string {
    return this.replication.isReplica ? 'replica' : 'master';
  }

  masterClient(remote: string, local: string, hooks: MasterClientHooks, id?: number): MasterClient {
    return new StreamClient(this, this.internalClient(remote, local, 'M', id), hooks);
  }

  /** One clock reading per command, each starting where the previous ended (as for a client's read). */
  runBatch(fn: () => void): void {
    this.perfNow = performance.now();
    this.clockChain = true;
    try {
      fn();
    } finally {
      this.clockChain = false;
    }
  }

  get clientsPaused(): boolean {
    return this.admin.clientsPaused;
  }

  pauseClients(mode: 'write' | 'all', endMs: number): void {
    this.admin.pauseClients(mode, endMs);
  }

  unpauseClients(): void {
    this.admin.unpauseClients();
  }

  pauseWritesForShutdown(deadlineMs: number): void {
    this.admin.pauseWritesForShutdown(deadlineMs);
  }

  /** A client without a socket standing for an internal connection (the master link: flags M). */
  internalClient(addr: string, laddr: string, flags: string, id = this.nextClientId++): Client {
    const client = new Client(this, id, null, addr, laddr, -1);
    client.roleFlags = flags;
    client.fromMaster = flags.includes('M');
    client.user = '(superuser)';
    client.setAuthenticated('(superuser)');
    this.clients.set(client.id, client);
    return client;
  }

  afterFlushAll(): void {
    this.events.flushAll.emit();
  }

  execute(client: Client, argv: string[]): void {
    execute(this, client, argv);
  }

  /** MONITOR output: `+<unix time.usec> [<db> <addr>] "arg" ...`. */
  feedMonitors(c: Client, argv: string[]): void {
    const usec = nowUsec();
    const time = `${Math.floor(usec / 1e6)}.${String(usec % 1e6).padStart(6, '0')}`;
    const source =
      c.socket === null ? 'lua' : c.isUnixSocket ? `unix:${this.config.str('unixsocket')}` : c.addr;
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
    this.stats.countError(msg);
  }

  notifyKeyspaceEvent(cls: EventClass, event: string, key: string, dbId: number): void {
    const flags = this.notifyFlags;
    if ((flags & NOTIFY_BITS[cls]) === 0) return;
    if (flags & NOTIFY_BITS.K) this.pubsub.publish(`__keyspace@${dbId}__:${key}`, event);
    if (flags & NOTIFY_BITS.E) this.pubsub.publish(`__keyevent@${dbId}__:${event}`, key);
  }

  private onKeyExpired(dbId: number, key: string): void {
    this.notifyKeyspaceEvent('x', 'expired', key, dbId);
    this.tracking.invalidateKey(key, this.currentClient);
    this.alsoPropagate(dbId, [this.config.bool('lazyfree-lazy-expire') ? 'UNLINK' : 'DEL', key]);
    if (this.callDepth === 0) this.flushPropagation();
  }

  /** The client input that propagated `raw` views point into is about to be reused. */
  releaseRawViews(): void {
    this.events.releaseRawViews();
  }

  /** Queues a write for propagation at the end of the current execution unit. */
  alsoPropagate(
    db: number,
    argv: string[],
    raw: Buffer | null = null,
    rawStart = 0,
    rawEnd = 0,
    targets: number = ReplTarget.all,
  ): void {
    if (this.loading || !this.events.propagationWanted || targets === ReplTarget.none) return;
    if (targets === ReplTarget.all) this.pendingOps.push({ db, argv, raw, rawStart, rawEnd });
    else this.pendingOps.push({ db, argv, raw, rawStart, rawEnd, targets });
  }

  /** Hands the queued writes to replication and AOF, wrapped in MULTI/EXEC when several. */
  /** Returns whether anything was propagated. */
  flushPropagation(): boolean {
    if (this.pendingOps.length === 0) return false;
    const ops = this.pendingOps;
    this.pendingOps = [];
    this.events.propagate(ops);
    return true;
  }

  private restartCron(): void {
    if (this.cron !== null) clearInterval(this.cron);
    if (this.net.count === 0 && this.port === 0 && !this.ephemeralPort && this.shuttingDown) return;
    const hz = Math.min(Math.max(this.config.num('hz'), 1), 500);
    this.cron = setInterval(() => this.serverCron(), Math.floor(1000 / hz));
    this.cron.unref();
  }

  private serverCron(): void {
    const now = Date.now();
    this.keyspace.syncWallClock();
    this.stats.sample('commands', this.stats.totalCommands, now);
    this.stats.sample('net_input', this.stats.netInputBytes, now);
    this.stats.sample('net_output', this.stats.netOutputBytes, now);
    // Redis's slow expire cycle (up to 25% of the cron period); keys do not expire while clients are paused.
    if (!this.admin.clientsPaused && this.scriptBusy === null) {
      this.keyspace.activeExpireCycle('slow');
      // A writable replica expires the keys its own clients gave a TTL.
      this.keyspace.expireReplicaKeys();
    }
    this.events.cron.emit();
    // Keys the cycle expired (or the cron evicted) may end blocks (XREADGROUP), as Redis's
    // beforeSleep handles ready keys.
    if (this.blocking.hasReadyKeys) this.blocking.handleReadyKeys();
    this.admin.samplePeakMemory();
    this.heapGuard.check();
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
    const warning = writePidFile(this.config);
    if (warning !== null) this.log('warning', warning);
  }

  /**
   * Stops serving: runs the shutdown hooks (final save, replicas), then closes listeners and
   * clients and removes the pidfile and unix socket. Returns false if shutdown was refused (a hook
   * failed without FORCE, or SHUTDOWN ABORT came while hooks ran); the server then keeps serving.
   */
  shutdown(
    options: ShutdownOptions = { save: null, now: false, force: false },
    aborted: () => boolean = () => false,
  ): Promise<boolean> {
    // A request while one runs (SIGTERM during SHUTDOWN's wait for replicas) joins it, as in Redis.
    this.shutdownRun ??= this.runShutdown(options, aborted).then((done) => {
      if (!done) this.shutdownRun = null;
      return done;
    });
    return this.shutdownRun;
  }

  private async runShutdown(options: ShutdownOptions, aborted: () => boolean): Promise<boolean> {
    this.shuttingDown = true;
    this.log('warning', 'User requested shutdown...');
    const done = await this.events.runShutdown(options, aborted, () =>
      this.log('warning', 'Errors trying to shut down the server. Check the logs for more information.'),
    );
    if (!done) {
      this.shuttingDown = false;
      this.admin.endShutdownPause();
      return false;
    }
    if (this.cron !== null) clearInterval(this.cron);
    this.cron = null;
    this.stopped = true;
    this.memoryReleaser.stop();
    removeRunFiles(this.config, (message) => this.log('notice', message));
    // net.Server.close waits for every connection: close the clients first.
    const closing = this.net.closeAll();
    for (const c of [...this.clients.values()]) {
      c.flush();
      c.close();
    }
    for (const socket of this.refused) socket.destroy();
    await closing;
    this.log('warning', `Redis is now ready to exit, bye bye...`);
    return true;
  }

  get version(): string {
    return REDIS_VERSION;
  }
}

function randomHex(n: number): string {
  let s = '';
  while (s.length < n)
    s += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
}
