import type { Socket } from 'node:net';
import type { DenialReason } from '../acl/log.js';
import type { CheckInput } from '../acl/selector.js';
import type { Acl } from '../acl/users.js';
import type { Reply } from '../protocol/reply.js';
import type { Database } from '../store/database.js';
import type { Keyspace } from '../store/keyspace.js';
import type { TypeName } from '../store/values.js';
import type { CommandInfo, CommandTable } from './command.js';

/**
 * Keyspace event classes of notify-keyspace-events: g generic, $ string, l list, s set, h hash,
 * z zset, x expired, e evicted, t stream, m key-miss, n new key.
 */
export type EventClass = 'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 't' | 'm' | 'n';

/** What a command handler sees: the calling client and, through it, the server. */
export interface CommandContext {
  readonly reply: Reply;
  readonly keyspace: Keyspace;
  /** The selected database. */
  db: Database;
  readonly server: ServerContext;
  readonly id: number;
  name: string;
  /** Library name/version (CLIENT SETINFO is 7.2; kept for CLIENT LIST parity with HELLO). */
  resp: 2 | 3;
  /** Time (ms) this command runs at, one snapshot per command. */
  readonly now: number;
  /** The command being executed. */
  readonly command: CommandInfo;
  authenticated: boolean;
  user: string;
  /** Channels, patterns and shard channels subscribed (RESP2 subscribe mode when > 0). */
  readonly subscriptionCount: number;
  /** Redis's CLIENT_PUSHING: what is written between these reaches the client even under CLIENT
   * REPLY OFF|SKIP (pub/sub confirmations and messages). */
  beginPush(): void;
  endPush(): void;
  /** Set to close the connection once pending replies are written (QUIT). */
  closeAfterReply: boolean;

  /** CLIENT TRACKING state of this connection. */
  readonly tracking: ClientTracking;
  /** While EXEC runs: the number of commands it holds; -1 otherwise (CLIENT LIST multi=). */
  execQueued: number;
  /** Queued commands while in MULTI, or null. */
  multi: string[][] | null;
  /** A command failed to queue: EXEC answers EXECABORT. */
  multiError: boolean;
  /** A watched key was modified since WATCH (CAS failed). */
  watchTouched: boolean;
  /** Running the commands of EXEC: blocking commands must not block. */
  inExec: boolean;
  /** The client scripts run their commands through (Redis's CLIENT_SCRIPT). */
  readonly inScript: boolean;
  /** Our master's link or the AOF loader (Redis's mustObeyClient): limits of the origin do not apply. */
  readonly mustObey: boolean;
  /** Channels, patterns and shard channels this client is subscribed to. */
  readonly channels: ReadonlySet<string>;
  readonly patterns: ReadonlySet<string>;
  readonly shardChannels: ReadonlySet<string>;

  setAuthenticated(user: string): void;
  /** An ACL log entry for this client (context: toplevel, multi or lua, as it stands). */
  logAclDenial(reason: DenialReason, object: string, username?: string): void;
  /** RESET: back to a fresh connection's state. */
  resetState(): void;

  /**
   * After a write to key: invalidates WATCHes, emits the keyspace notification, counts one change
   * towards save points and propagation. db: another db than the selected one (MOVE, COPY … DB).
   */
  changed(key: string, cls: EventClass, event: string, db?: Database): void;
  /** A keyspace notification without a modification (e.g. 'expired' handled elsewhere). */
  notify(cls: EventClass, event: string, key: string, db?: Database): void;
  /** Counts changes towards dirty without a key (FLUSHALL counts its keys). */
  addDirty(n: number): void;
  /** Propagate this command vector instead of the one received (e.g. SET EX -> SET PXAT). */
  rewriteArgv(argv: string[]): void;
  /** Propagate another command (in order, before this command's own propagation), in the current db. */
  alsoPropagate(argv: string[]): void;
  /** Do not propagate this command itself (it propagated its effects with alsoPropagate). */
  preventPropagation(): void;
  /** Selects a db for this client; returns false if the index is out of range. */
  select(index: number): boolean;

  /** This connection as CLIENT LIST / INFO / KILL see it. */
  readonly handle: ClientHandle;
  /** The connection below the command layer (SYNC/PSYNC turn it into a replica). */
  readonly connection: ClientConnection;
  /** Replication offset after this client's last write (what WAIT waits for). */
  readonly woff: number;
  /** CLIENT NO-EVICT (accepted; tsredis does not evict clients). */
  noEvict: boolean;
  /** CLIENT REPLY: 'skip' drops the reply of the next command only. */
  setReplyMode(mode: 'on' | 'off' | 'skip'): void;

  /**
   * False inside EXEC or a script and for clients without a connection (Redis's
   * CLIENT_DENY_BLOCKING): a blocking command then answers as if it timed out.
   */
  readonly canBlock: boolean;
  /**
   * Blocks this client without a reply for now (BLPOP & co; see BlockSpec and server/blocking.ts).
   * The result ends the block early with a reply of its own (WAIT, once replicas acknowledged).
   */
  block(spec: BlockSpec): BlockRelease;
  /**
   * Redis's signalKeyAsReady: key (in db, default the selected one) was created or got new
   * elements, so clients blocked on it are tried after the current command (or EXEC, or script).
   * Call it wherever Redis's dbAdd would run for a list or sorted set.
   */
  signalKeyReady(key: string, db?: Database): void;
}

/** Ends a block with this reply (false when the client was no longer blocked). */
export type BlockRelease = (reply: (ctx: CommandContext) => void) => boolean;

/** How a blocked client waits; given to CommandContext.block by a blocking command's handler. */
export interface BlockSpec {
  /** Keys waited on, in the client's db (empty for a block without keys, like WAIT). */
  readonly keys: readonly string[];
  /** Relative timeout in ms; 0 waits forever. */
  readonly timeoutMs: number;
  /** Only a ready key holding this type is offered to serve(); others skip this client. */
  readonly valueType: TypeName | null;
  /**
   * Called with the blocked client as ctx when one of its keys is ready and holds valueType:
   * writes the reply (and propagates with ctx.alsoPropagate) and returns true, or returns false
   * when the key cannot serve anyone now (then no later waiter of that key is tried this round),
   * or 'skip' when it cannot serve this waiter but may serve the next (a stream read past its end).
   */
  serve(ctx: CommandContext, key: string): boolean | 'skip';
  /**
   * When set, a key that is gone (deleted, flushed, now of another type) ends the block with this
   * reply (XREADGROUP's UNBLOCKED error); the key's deletion signals it ready.
   */
  onKeyGone?(ctx: CommandContext, key: string): void;
  /** The reply on timeout and on CLIENT UNBLOCK … TIMEOUT; default a null array. */
  onTimeout?(ctx: CommandContext): void;
}

/** Read access to configuration values by directive name. */
export interface ConfigView {
  num(name: string): number;
  bool(name: string): boolean;
  str(name: string): string;
  get(name: string): unknown;
  /** CONFIG GET: [name, value] pairs for names and glob patterns. */
  getMatching(patterns: string[]): Array<[string, string]>;
  /** CONFIG SET pairs, atomically: null, Redis's error text, or a promise of one (re-listening). */
  setPairs(args: string[], client: { local: boolean }): string | null | Promise<string | null>;
  /** CONFIG REWRITE: rewrites the config file; throws (errno) on failure. */
  rewriteFile(): void;
  /** Path of the config file the server was started with, or null. */
  readonly file: string | null;
}

/** Server services available to commands, implemented by server/server.ts. */
export interface ServerContext {
  readonly keyspace: Keyspace;
  readonly config: ConfigView;
  readonly commands: CommandTable;
  /** The ACL users (requirepass, `user` lines, the aclfile) and the ACL log. */
  readonly acl: Acl;
  /** The command argv names, as ACL DRYRUN checks it; null for an unknown command. */
  aclCheckInput(argv: readonly string[]): CheckInput | null;
  /** ACLUserCheckCmdWithUnrestrictedKeyAccess: may the client's user read every key with argv? */
  aclReadsAnyKey(ctx: CommandContext, argv: readonly string[]): boolean;
  /** Where the aclfile is read and written (relative to `dir`). */
  aclfilePath(): string;
  /** Changes since the last save (rdb_changes_since_last_save), also the propagation trigger. */
  dirty: number;
  /** 'master' or 'replica' (HELLO, ROLE). */
  readonly roleName: string;
  log(level: LogLevel, message: string): void;
  /** After FLUSHALL: persistence resets its save state (Redis saves an empty RDB if save points exist). */
  afterFlushAll(): void;
  /** Runs a command on behalf of ctx without the pre-call checks (EXEC, scripts). */
  invoke(ctx: CommandContext, argv: string[]): void;
  watch(ctx: CommandContext, key: string): void;
  unwatchAll(ctx: CommandContext): void;
  /** True if a key watched by ctx expired since it was watched (Redis 7.0 aborts EXEC then). */
  watchedKeyExpired(ctx: CommandContext): boolean;
  readonly pubsub: PubSubContext;
  readonly replication: ReplicationControl;
  readonly persistence: PersistenceControl;
  readonly scripting: ScriptingControl;
  /** Introspection and administration: CLIENT, INFO, SLOWLOG, MONITOR, SHUTDOWN, … */
  readonly admin: AdminContext;
  /** CONFIG RESETSTAT: INFO stats, command statistics and error statistics back to zero. */
  resetStats(): void;
  /** CLIENT UNBLOCK: ends a blocking command of client id as a timeout or with an UNBLOCKED error. */
  unblockClient(id: number, asError: boolean): boolean;
  /** After SWAPDB, for both dbs: keys waited on that now exist there become ready (Redis does this). */
  scanDatabaseForReadyKeys(db: Database): void;
  /** Holds ctx's input until work settles, then done writes the reply (CONFIG SET port). */
  replyLater<T>(ctx: CommandContext, work: Promise<T>, done: (result: T) => void): void;
  /** Client-side caching (CLIENT TRACKING): server/tracking.ts. */
  readonly tracking: TrackingControl;
}

/** A client's CLIENT TRACKING state (Redis's CLIENT_TRACKING_* flags and fields). */
export interface ClientTracking {
  on: boolean;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES (OPTIN) or NO (OPTOUT) given for the next command. */
  caching: boolean;
  /** The redirect client went away (flag R, tracking-redir-broken). */
  brokenRedirect: boolean;
  /** Client id the invalidations go to; 0 for this connection. */
  redirect: number;
  /** BCAST prefixes, in byte order. */
  prefixes: string[];
}

export interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: string[];
}

/** What CLIENT TRACKING and INFO need from the tracking engine. */
export interface TrackingControl {
  enable(ctx: CommandContext, options: TrackingOptions): void;
  disable(ctx: CommandContext): void;
  clientExists(id: number): boolean;
  /** INFO: tracking_clients, tracking_total_keys, tracking_total_items, tracking_total_prefixes. */
  stats(): { clients: number; keys: number; items: number; prefixes: number };
}

/** Scripting as commands see it (EVAL, EVALSHA, SCRIPT …). */
export interface ScriptingControl {
  /** EVAL/EVALSHA/EVAL_RO/EVALSHA_RO: argv[1] is the body (or sha with bySha), argv[2] numkeys. */
  eval(ctx: CommandContext, argv: string[], bySha: boolean, readOnly: boolean): void;
  /** SCRIPT LOAD: the sha, or the compile error. */
  load(body: string): { sha: string } | { error: string };
  exists(sha: string): boolean;
  flush(): void;
  /** SCRIPT KILL ('eval') or FUNCTION KILL: the reply error, or null when the running one was told to stop. */
  kill(kind: 'eval' | 'function'): string | null;
  /**
   * The flags of the script or function a command would run (EVAL's body, EVALSHA's sha, FCALL's
   * function name), for COMMAND GETKEYS and the dispatch checks; null if unknown.
   */
  scriptFlags(argv: string[], command: 'eval' | 'evalsha' | 'fcall'): number | null;
  readonly cachedScripts: number;
  /** While a script or function runs past busy-reply-threshold: the -BUSY reply others get. */
  readonly busyError: string | null;
  /** used_memory_lua and used_memory_scripts_eval; the functions state and libraries. */
  memory(): { vm: number; scripts: number; functionsVm: number; functions: number };
  readonly functions: FunctionsControl;
}

/** How FUNCTION RESTORE (and an RDB's libraries) meet the libraries already loaded. */
export type RestorePolicy = 'flush' | 'append' | 'replace';

/** The Functions libraries as persistence sees them: saved as FUNCTION2 records, loaded back. */
export interface FunctionLibraryStore {
  /** Each library's code, as FUNCTION LOAD got it. */
  codes(): string[];
  /**
   * Libraries from their codes, all or none: 'flush' replaces every library, 'append' fails on a
   * library that exists, 'replace' replaces those. Returns the error text (without "ERR "), or null.
   */
  restore(codes: readonly string[], policy: RestorePolicy): string | null;
}

/** One library as FUNCTION LIST shows it. */
export interface LibraryView {
  readonly name: string;
  readonly engine: string;
  readonly code: string;
  readonly functions: ReadonlyArray<{ name: string; description: string | null; flags: number }>;
}

/** Redis Functions as commands see them (FUNCTION …, FCALL, FCALL_RO). */
export interface FunctionsControl extends FunctionLibraryStore {
  fcall(ctx: CommandContext, argv: string[], readOnly: boolean): void;
  /** FUNCTION LOAD by ctx: the library's name, or the error text (without "ERR "). */
  load(ctx: CommandContext, code: string, replace: boolean): { name: string } | { error: string };
  /** FUNCTION DELETE: false when there is no such library. */
  delete(name: string): boolean;
  flush(): void;
  list(): LibraryView[];
  /** The function running past busy-reply-threshold (FUNCTION STATS), or null. */
  running(): { name: string; argv: readonly string[]; durationMs: number } | null;
  readonly libraryCount: number;
  readonly functionCount: number;
}

/** Replication as commands see it (REPLICAOF, SYNC/PSYNC, REPLCONF, WAIT, FAILOVER). */
export interface ReplicationControl {
  readonly isReplica: boolean;
  /** A replica whose link to its master is up (connected, in sync). */
  readonly linkUp: boolean;
  readonly masterHost: string | null;
  readonly masterPort: number;
  /** REPLICAOF host port; `by` is the requesting client (for the log). */
  setMaster(host: string, port: number, by: CommandContext | null): void;
  /** REPLICAOF NO ONE. */
  unsetMaster(by: CommandContext | null): void;
  sync(ctx: CommandContext, argv: string[]): void;
  replconf(ctx: CommandContext, argv: string[]): void;
  wait(ctx: CommandContext, numReplicas: number, timeoutMs: number): void;
  /** FAILOVER: null when started, else the error text. */
  startFailover(host: string | null, port: number, timeoutMs: number, force: boolean): string | null;
  abortFailover(reason: string): boolean;
  /** DEBUG CHANGE-REPL-ID: a new replication id, and no second one (changeReplicationId). */
  changeReplicationId(): void;
  /** master_repl_offset: where a client's writes end (WAIT waits for it). */
  readonly offset: number;
  /** min-replicas-to-write is not met: writes get -NOREPLICAS. */
  readonly writesRefused: boolean;
  role(): RoleInfo;
  /** The INFO replication section's fields, in Redis's order. */
  infoFields(): Array<[string, string | number]>;
  /** INFO stats / memory figures that belong to replication. */
  counters(): ReplicationCounters;
}

/** Persistence as commands and dispatch see it (SAVE, BGSAVE, BGREWRITEAOF, DEBUG RELOAD, MISCONF). */
export interface PersistenceControl {
  /** SAVE: null, or Redis's error text. */
  saveCommand(): string | null;
  bgsaveCommand(schedule: boolean, inExec: boolean): { ok: string } | { err: string };
  rewriteAofCommand(inExec: boolean): { ok: string } | { err: string };
  debugReload(args: readonly string[]): string | null;
  /** Writes are refused with this (-MISCONF) while saving or the AOF fails; null when fine. */
  readonly diskError: string | null;
  /** Unix seconds of the last successful save (the start time before any). */
  lastSaveTime(): number;
  /** The INFO persistence section's fields, in Redis's order. */
  infoFields(): Array<[string, string | number]>;
}

/** Subscriptions, as commands see them. */
export interface PubSubContext {
  readonly channels: ReadonlyMap<string, ReadonlySet<unknown>>;
  readonly patterns: ReadonlyMap<string, ReadonlySet<unknown>>;
  readonly shardChannels: ReadonlyMap<string, ReadonlySet<unknown>>;
  subscribe(ctx: CommandContext, channel: string): boolean;
  unsubscribe(ctx: CommandContext, channel: string): boolean;
  psubscribe(ctx: CommandContext, pattern: string): boolean;
  punsubscribe(ctx: CommandContext, pattern: string): boolean;
  ssubscribe(ctx: CommandContext, channel: string): boolean;
  sunsubscribe(ctx: CommandContext, channel: string): boolean;
  publish(channel: string, message: string): number;
  spublish(channel: string, message: string): number;
}

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

/** A command's implementation: reads argv, writes its reply to ctx.reply. */
export type Handler = (ctx: CommandContext, argv: string[]) => void;

/** A family's handlers keyed by Redis's full command name: 'get', 'config|get', … */
export type CommandFamily = Record<string, Handler>;

// ---- Introspection and administration (CLIENT, INFO, COMMAND, SLOWLOG, LATENCY, SHUTDOWN, ROLE) ----

/** CLIENT LIST TYPE / CLIENT KILL TYPE classes. A MONITOR client counts as normal, as in Redis. */
export type ClientType = 'normal' | 'master' | 'replica' | 'pubsub';

/** A connection as CLIENT LIST / INFO / KILL see it (implemented by server/client.ts). */
export interface ClientHandle {
  readonly tracking: ClientTracking;
  /** While EXEC runs: the number of commands it holds; -1 otherwise (CLIENT LIST multi=). */
  execQueued: number;
  readonly id: number;
  /** Peer and local address, "ip:port" (unix socket: "path:0"). */
  readonly addr: string;
  readonly laddr: string;
  readonly fd: number;
  readonly name: string;
  readonly db: { readonly id: number };
  /** Creation and last interaction times (ms since the epoch). */
  readonly createdAt: number;
  readonly lastInteraction: number;
  readonly user: string;
  readonly resp: 2 | 3;
  /** Full name of the last command looked up ("client|list"), "NULL" when none or unknown. */
  readonly lastCommandName: string;
  readonly multi: readonly unknown[] | null;
  readonly channels: ReadonlySet<string>;
  readonly patterns: ReadonlySet<string>;
  /** Sharded channels (SSUBSCRIBE). */
  readonly shardChannelCount: number;
  clientType(): ClientType;
  /** CLIENT LIST flags: "N" when none apply. */
  listFlags(): string;
  /** Buffer figures for CLIENT LIST (qbuf … tot-mem, events). */
  memoryStats(): ClientMemoryStats;
  /** Closes the connection; the calling client is closed after its reply. */
  kill(): void;
}

export interface ClientMemoryStats {
  qbuf: number;
  qbufFree: number;
  argvMem: number;
  multiMem: number;
  /** Reply buffer size and peak. */
  rbs: number;
  rbp: number;
  obl: number;
  oll: number;
  omem: number;
  totMem: number;
  /** "r", "rw" or "" as Redis's file events. */
  events: string;
}

/** One SLOWLOG entry. */
export interface SlowlogEntryView {
  readonly id: number;
  /** Unix seconds. */
  readonly time: number;
  readonly usec: number;
  readonly args: readonly string[];
  readonly addr: string;
  readonly name: string;
}

export interface SlowlogView {
  /** Newest first. */
  readonly entries: readonly SlowlogEntryView[];
  reset(): void;
}

/** One LATENCY event's time series: [unix seconds, ms] samples. */
export interface LatencyEventSeries {
  readonly max: number;
  latest(): [number, number];
  samples(): Array<[number, number]>;
}

export interface LatencyMonitorView {
  readonly events: ReadonlyMap<string, LatencyEventSeries>;
  reset(events: string[]): number;
}

/** A command's latency histogram (LATENCY HISTOGRAM). */
export interface LatencyHistogramView {
  readonly total: number;
  /** [microseconds, cumulative count] pairs. */
  cumulativeDistribution(): Array<[number, number]>;
}

/** ROLE's view of replication. */
export type RoleInfo =
  | { role: 'master'; offset: number; replicas: Array<{ ip: string; port: number; offset: number }> }
  | { role: 'slave'; masterHost: string; masterPort: number; state: string; offset: number };

export interface ReplicationCounters {
  syncFull: number;
  syncPartialOk: number;
  syncPartialErr: number;
  netReplInputBytes: number;
  netReplOutputBytes: number;
  /** Replication backlog and replica output buffer memory (INFO memory). */
  backlogMemory: number;
  replicaClientsMemory: number;
}

/** SHUTDOWN's options: save null means "save if save points are configured". */
export interface ShutdownOptions {
  save: boolean | null;
  now: boolean;
  force: boolean;
}

/**
 * Work to do before the process exits (final RDB save, waiting for replicas). Returns false to
 * refuse the shutdown (after logging why); with FORCE the shutdown goes on anyway. `aborted`
 * turns true on SHUTDOWN ABORT: a hook that waits stops waiting.
 */
export type ShutdownHook = (options: ShutdownOptions, aborted: () => boolean) => Promise<boolean> | boolean;

/**
 * Shutdown work runs in this order, as in Redis: replicas catch up, the final save, then what
 * must happen only once the shutdown can no longer be refused (exit).
 */
export type ShutdownPhase = 'replicas' | 'persistence' | 'exit';

/** Server-wide introspection and administration, as commands see it (server/admin.ts). */
export interface AdminContext {
  /** Connected clients in creation order. */
  clients(): Iterable<ClientHandle>;
  client(id: number): ClientHandle | undefined;
  /** Whether an ACL user exists (CLIENT KILL USER). */
  userExists(name: string): boolean;
  /** The INFO text for the requested sections (INFO's arguments). */
  info(sections: string[]): string;
  readonly slowlog: SlowlogView;
  readonly latency: LatencyMonitorView;
  latencyHistogram(cmd: CommandInfo): LatencyHistogramView | undefined;
  /** Server start time (ms). */
  readonly startTime: number;
  /** CLIENT PAUSE until endMs (absolute, ms); a stricter mode or later end wins. */
  pauseClients(mode: 'write' | 'all', endMs: number): void;
  unpauseClients(): void;
  /** MONITOR: false if the client is already a monitor or replica (no reply then). */
  addMonitor(ctx: CommandContext): boolean;
  /** Starts a shutdown on behalf of ctx; replies an error to ctx if it fails. */
  shutdown(ctx: CommandContext, options: ShutdownOptions): void;
  /** SHUTDOWN ABORT: false when no shutdown is in progress. */
  abortShutdown(): boolean;
  /** Current memory figures (used_memory and friends). */
  memory(): MemoryFigures;
  /** MEMORY PURGE: a major GC, so garbage outside the heap (buffers) goes back; false if unavailable. */
  purgeMemory(): boolean;
  /** The heap is at its ceiling (a reading now): a command creating data without end must stop. */
  heapFull(): boolean;
  /** RDB serialized length of a value (DEBUG OBJECT), null for a type the codec lacks. */
  serializedLength(value: unknown): number | null;
}

export interface MemoryFigures {
  used: number;
  rss: number;
  peak: number;
  startup: number;
  /** Overhead not counted as dataset: clients, replication, structures. */
  overhead: number;
  heapTotal: number;
  external: number;
}

/**
 * A client's connection below the command layer: what the master side needs to turn a client
 * that sent SYNC/PSYNC into a replica and stream to it (server/client.ts implements it).
 */
export interface ClientConnection {
  readonly id: number;
  /** Peer address, "ip:port". */
  readonly addr: string;
  readonly closed: boolean;
  /** Last read from the peer (ms since the epoch). */
  readonly lastInteraction: number;
  /** The transport; null for connections without a socket. */
  readonly socket: Socket | null;
  /** Replies written and not yet handed to the socket. */
  readonly pendingReplies: number;
  /** Hands buffered replies to the socket (before raw bytes are written after them). */
  flush(): void;
  close(): void;
  /** The client as Redis's log lines show it (its CLIENT LIST line). */
  describe(): string;
  /** Flag S: the connection now carries the replication stream. */
  markReplica(): void;
}
