import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { DenialContext, DenialReason } from '../acl/log.js';
import type { AclUser } from '../acl/user.js';
import { clientInfoLine } from '../core/client-info.js';
import type { CommandDef } from '../core/command-table.js';
import type {
  BlockRelease,
  BlockSpec,
  ClientConnection,
  ClientHandle,
  ClientMemoryStats,
  ClientType,
  CommandContext,
  EventClass,
} from '../core/context.js';
import type { OutputBufferLimit } from '../core/output-limit.js';
import { OutputLimitState } from '../core/output-limit.js';
import { ReplTarget } from '../core/scripting.js';
import { RespWriter } from '../protocol/reply.js';
import {
  NoRoomError,
  ProtocolError,
  QueryBufferLimitError,
  RequestParser,
} from '../protocol/request-parser.js';
import { quoteRepr } from '../protocol/split-args.js';
import type { Database, Watcher } from '../store/database.js';
import type { Keyspace } from '../store/keyspace.js';
import type { Server } from './server.js';
import { newClientTracking } from './tracking.js';

/** Query buffer room Redis shows for an idle client (qbuf-free), and its per-client struct overhead. */
const QUERY_BUFFER_SIZE = 20474;
const CLIENT_STRUCT_SIZE = 1024;
const REPLY_BUFFER_SIZE = 16 * 1024;

/** Bytes of a command in RESP multibulk form. */
function requestSize(argv: string[]): number {
  let n = 3 + String(argv.length).length;
  for (const a of argv) n += 5 + String(a.length).length + a.length;
  return n;
}

/** Pause reading from a client whose unsent replies exceed this, until its socket drains. */
const OUTPUT_HIGH_WATER = 64 * 1024 * 1024;

export type ReplyMode = 'on' | 'off' | 'skip';

/** One read buffer shared by every connection: each read is fully handled before the next starts. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * Delivers what the socket reads to onChunk. Where Node allows it, reads land in READ_BUFFER (the
 * mechanism behind net.Socket's `onread` option, which accepted sockets cannot be given), so a read
 * costs no allocation and skips the stream machinery; otherwise plain 'data' events. onChunk must
 * copy whatever it keeps.
 */
function readSocket(socket: Socket, onChunk: (chunk: Buffer) => void): void {
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Buffer) => void } })._handle;
  const symbols = Object.getOwnPropertySymbols(socket);
  const kBuffer = symbols.find((s) => s.description === 'kBuffer');
  const kBufferCb = symbols.find((s) => s.description === 'kBufferCb');
  if (typeof handle?.useUserBuffer !== 'function' || kBuffer === undefined || kBufferCb === undefined) {
    socket.on('data', onChunk);
    return;
  }
  const internals = socket as unknown as Record<symbol, unknown>;
  internals[kBuffer] = READ_BUFFER;
  internals[kBufferCb] = (nread: number, buf: Buffer) => {
    onChunk(buf.subarray(0, nread));
  };
  handle.useUserBuffer(READ_BUFFER);
}

/** One connection: its parser, output buffer and per-client state. Commands see it as their context. */
export class Client implements CommandContext, ClientHandle, ClientConnection, Watcher {
  readonly reply = new RespWriter();
  /** CLIENT TRACKING state (server/tracking.ts). */
  readonly tracking = newClientTracking();
  /** Inside call() of this client's command (Redis's CLIENT_EXECUTING_COMMAND). */
  executing = false;
  /** The script client: the client whose script runs (server.script_caller). */
  scriptCaller: Client | null = null;
  readonly parser: RequestParser;
  readonly keyspace: Keyspace;
  db: Database;
  name = '';
  authenticated: boolean;
  user = 'default';
  /** The ACL user this connection runs as; null: internal clients, which may run anything. */
  aclUser: AclUser | null;
  now = 0;
  command!: CommandDef;
  /** Last command looked up (even if then rejected), for CLIENT LIST cmd=; 'NULL' when unknown. */
  lastCommandName = 'NULL';
  /** Connected through the unix socket (CLIENT LIST flag U, MONITOR "unix:…"). */
  isUnixSocket = false;
  /** Arguments of the command being executed (CLIENT LIST argv-mem). */
  currentArgv: string[] | null = null;
  /** The command held back by CLIENT PAUSE, run again once clients are unpaused. */
  postponedArgv: string[] | null = null;
  /** CLIENT REPLY SKIP: this command's reply is dropped (skipNext: the next one's). */
  private skipThis = false;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  replyMode: ReplyMode = 'on';
  /** Set by QUIT or a protocol error: flush replies then close. */
  closeAfterReply = false;
  closed = false;
  /** CLIENT NO-EVICT (accepted; tsredis does not evict clients). */
  noEvict = false;
  /** Flags shown by CLIENT LIST besides the derived ones (e.g. 'S' replica, 'M' master, 'O' monitor). */
  roleFlags = '';
  /** Internal clients (no socket): called once closed, by CLIENT KILL or by their owner. */
  onInternalClose: (() => void) | null = null;
  /** The link to our master (flag M): its writes are never refused. */
  fromMaster = false;
  /** Runs the AOF (Redis's CLIENT_ID_AOF client). */
  aofLoader = false;
  /** The client scripts call commands through (Redis's CLIENT_SCRIPT). */
  inScript = false;
  /** Queued commands while in MULTI, or null. */
  multi: string[][] | null = null;
  /** A command failed to queue: EXEC will answer EXECABORT. */
  multiError = false;
  watchTouched = false;
  /** Keys this client WATCHes, and whether each was already logically expired when watched. */
  watching: Array<[Database, string, boolean]> = [];
  inExec = false;
  /** While EXEC runs: how many commands it holds (Redis keeps the MULTI state until it ends). */
  execQueued = -1;

  get mustObey(): boolean {
    return this.fromMaster || this.aofLoader;
  }
  /** Replication offset after this client's last write (what WAIT waits for). */
  woff = 0;
  /** Pub/sub subscriptions. */
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();
  /** Reply size when the current command started, or after the last push: what a muted client
   * (CLIENT REPLY OFF|SKIP) drops is what lies after it. */
  private replyMark = 0;
  /** Blocked in a command (BLPOP, WAIT, CLIENT PAUSE): input processing waits. */
  blocked = false;
  /** The command replied an error counted by a command it ran (a script's): it failed all the same. */
  failedUncounted = false;
  /** Its script paused past busy-reply-threshold: call() leaves the command's end to finishSuspended. */
  suspended = false;
  finishSuspended: (() => void) | null = null;
  /** Where this client's writes propagate (the script client under redis.set_repl): ReplTarget bits. */
  replTargets: number = ReplTarget.all;
  /** Propagation overrides set by the running command. */
  rewrittenArgv: string[] | null = null;
  propagationPrevented = false;
  /** Replies skipped for the current command (CLIENT REPLY SKIP). */
  skipNext = false;
  private paused = false;
  /** Most reply bytes the socket has held unsent: big ones are worth a GC at close. */
  private outputHighWater = 0;
  private readonly outputLimit = new OutputLimitState();

  constructor(
    readonly server: Server,
    readonly id: number,
    readonly socket: Socket | null,
    readonly addr: string,
    readonly laddr: string,
    readonly fd: number,
  ) {
    this.keyspace = server.keyspace;
    this.db = server.keyspace.dbs[0];
    this.authenticated = !server.authRequired;
    this.aclUser = server.config.acl.defaultUser;
    this.parser = new RequestParser(server.parserLimits);
    this.parser.unauthenticated = !this.authenticated;
    this.reply.onError = (msg) => server.countError(this, msg);
    this.reply.onUncountedError = () => {
      this.failedUncounted = true;
    };
    this.reply.overLimit = (size) => this.overOutputLimit(size);
    if (socket !== null) {
      readSocket(socket, (chunk: Buffer) => this.onData(chunk));
      socket.on('drain', () => this.onDrain());
    }
  }

  get resp(): 2 | 3 {
    return this.reply.resp;
  }

  set resp(v: 2 | 3) {
    this.reply.resp = v;
  }

  setAuthenticated(user: string): void {
    this.authenticated = true;
    this.user = user;
    this.aclUser = this.server.config.acl.get(user) ?? null;
    this.parser.unauthenticated = false;
  }

  /** addACLLogEntry: a script's denials show its caller's connection. */
  logAclDenial(reason: DenialReason, object: string, username = this.user, context?: DenialContext): void {
    const shown = this.inScript && this.scriptCaller !== null ? this.scriptCaller : this;
    this.server.config.acl.log.add({
      reason,
      context: context ?? (this.inScript ? 'lua' : this.multi !== null ? 'multi' : 'toplevel'),
      object,
      username,
      clientInfo: clientInfoLine(shown, Date.now()),
    });
  }

  resetState(): void {
    this.server.tracking.disable(this);
    this.multi = null;
    this.multiError = false;
    this.server.unwatchAll(this);
    this.server.pubsub.removeClient(this);
    this.server.monitors.delete(this);
    this.roleFlags = this.roleFlags.replace('O', '');
    this.db = this.keyspace.dbs[0];
    this.resp = 2;
    this.name = '';
    this.replyMode = 'on';
    this.skipNext = false;
    // CLIENT NO-EVICT survives RESET, as in Redis.
    this.authenticated = !this.server.authRequired;
    this.user = 'default';
    this.aclUser = this.server.config.acl.defaultUser;
    this.parser.unauthenticated = !this.authenticated;
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size + this.shardChannels.size;
  }

  /** CLIENT REPLY OFF, or SKIP for this command: replies are dropped, pushes are not. */
  private get muted(): boolean {
    return this.replyMode === 'off' || this.skipThis;
  }

  beginPush(): void {
    if (this.muted) this.reply.truncate(this.replyMark);
  }

  endPush(): void {
    if (this.muted) this.replyMark = this.reply.size;
  }

  /** One read from the socket. The chunk's memory is reused once this returns (see readSocket). */
  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.server.stats.netInputBytes += chunk.length;
    this.server.stats.readsProcessed++;
    // Like Redis, the time of the last read (not of each command in it).
    const server = this.server;
    server.perfNow = performance.now();
    this.lastInteraction = this.keyspace.wallTime(server.perfNow);
    // Commands run outside a read (a CLIENT PAUSE ending) may have left views of the input that
    // append is about to move.
    server.releaseRawViews();
    try {
      this.parser.append(chunk);
    } catch (e) {
      if (!(e instanceof QueryBufferLimitError)) throw e;
      this.server.log(
        'warning',
        `Closing client that reached max query buffer length: ${this.describe()} (qbuf initial bytes: ${quoteRepr(this.parser.head(64))})`,
      );
      this.close();
      return;
    }
    try {
      server.clockChain = true;
      this.processInput();
    } catch (e) {
      if (e instanceof RangeError) {
        // Memory for a reply could not be had (a buffer past Node's limits): the client's output
        // is over any limit there could be, and it is closed as Redis closes such clients.
        this.logOutputLimitClose();
      } else {
        // A bug, not the client's doing: drop this connection rather than crash the server.
        this.server.stats.unexpectedErrors++;
        this.server.log('warning', `Closing client after an internal error: ${(e as Error).stack ?? e}`);
      }
      this.close();
      return;
    } finally {
      server.clockChain = false;
      // Before the read buffer can serve another read.
      server.releaseRawViews();
    }
    this.parser.preserve();
    this.flush();
    // Redis's beforeSleep fast expire cycle: returns at once unless the last slow cycle ran out of time.
    this.keyspace.activeExpireCycle('fast');
    if (this.server.blocking.hasReadyKeys) this.server.blocking.handleReadyKeys();
  }

  /** Runs every complete command buffered, unless blocked. */
  processInput(): void {
    while (!this.closeAfterReply && !this.closed && !this.blocked && !this.reply.dropped) {
      let argv: string[] | null;
      try {
        argv = this.parser.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.reply.error(e instanceof NoRoomError ? e.message : `ERR Protocol error: ${e.message}`);
        this.server.log('verbose', `Protocol error (${e.message}) from client: ${this.describe()}`);
        this.closeAfterReply = true;
        break;
      }
      if (argv === null) break;
      this.beginCommand();
      this.server.execute(this, argv);
      // A command that blocked (CLIENT PAUSE, BLPOP) completes later.
      if (!this.blocked) this.afterCommand();
    }
  }

  beginCommand(): void {
    this.replyMark = this.reply.size;
  }

  /** CLIENT REPLY OFF/SKIP: drops what the command just replied (Redis's resetClient handling). */
  afterCommand(): void {
    if (this.muted) this.reply.truncate(this.replyMark);
    this.skipThis = this.skipNext;
    this.skipNext = false;
  }

  setReplyMode(mode: ReplyMode): void {
    if (mode === 'on') {
      // Redis clears SKIP too, so CLIENT REPLY ON right after SKIP gets its +OK.
      this.replyMode = 'on';
      this.skipNext = false;
      this.skipThis = false;
    } else if (mode === 'off') {
      this.replyMode = 'off';
    } else if (this.replyMode !== 'off') {
      this.skipNext = true;
    }
  }

  /** Sends buffered replies in one write; closes if asked to after replying. */
  flush(): void {
    // The AOF is written (and fsynced with appendfsync always) before any reply leaves.
    if (this.server.events.beforeReplies.any) this.server.events.beforeReplies.emit();
    if (this.closed || this.socket === null || this.reply.dropped) {
      this.reply.discard();
      this.replyMark = 0;
      // Over its output limit while replies were being written: Redis's CLOSE_ASAP.
      if (this.reply.dropped) this.close();
      return;
    }
    // Muted: what arrived outside a command (MONITOR lines) is dropped too; pushes are kept.
    if (this.muted) this.reply.truncate(this.replyMark);
    const size = this.reply.size;
    if (size > 0) {
      const socket = this.socket;
      this.server.stats.netOutputBytes += size;
      this.server.stats.writesProcessed++;
      const chunks = this.reply.takeChunks();
      if (chunks.length > 0) {
        socket.cork();
        for (const c of chunks) socket.write(c);
      }
      const out = this.reply.pending();
      if (out !== null) socket.write(out);
      if (chunks.length > 0) socket.uncork();
      // Nothing queued means the kernel took the whole write: the reply buffer can be reused.
      const queued = socket.writableLength;
      this.reply.release(queued === 0);
      if (queued > this.outputHighWater) this.outputHighWater = queued;
      this.replyMark = 0;
      if (this.overOutputLimit(0)) {
        this.close();
        return;
      }
      if (!this.paused && socket.writableLength > OUTPUT_HIGH_WATER) {
        this.paused = true;
        socket.pause();
      }
    }
    if (this.closeAfterReply) this.close(true);
  }

  /**
   * Redis's checkClientOutputBufferLimits, asked as replies are queued (with the size the reply
   * buffer grows to) and after each write: a client that does not read what it is sent is closed
   * before it grows without bound. Unauthenticated clients get no more than the 16 KB reply
   * buffer (CVE-2025-21605); normal and pubsub clients their client-output-buffer-limit class
   * (replicas: replication/master-side). Logs Redis's line when it decides to close.
   */
  private overOutputLimit(queued: number): boolean {
    const used = queued + (this.socket?.writableLength ?? 0);
    if (used === 0) {
      this.outputLimit.reset();
      return false;
    }
    const type = this.clientType();
    if (type === 'replica' || type === 'master') return false;
    let over = !this.authenticated && this.server.authRequired && used > REPLY_BUFFER_SIZE;
    if (!over) {
      const limits = this.server.config.get('client-output-buffer-limit') as OutputBufferLimit[];
      over = this.outputLimit.exceeded(used, limits[type === 'pubsub' ? 2 : 0], Date.now());
    }
    if (over) this.logOutputLimitClose();
    return over;
  }

  private logOutputLimitClose(): void {
    this.server.log(
      'warning',
      `Client ${this.describe()} scheduled to be closed ASAP for overcoming of output buffer limits.`,
    );
  }

  private onDrain(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket?.resume();
  }

  /** Closes the connection; graceful lets queued output drain first. */
  close(graceful = false): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket !== null) {
      this.server.memoryReleaser.clientClosed(Math.max(this.outputHighWater, this.reply.size));
      this.reply.discard();
      if (graceful) this.socket.end();
      else this.socket.destroy();
    }
    this.server.onClientClosed(this);
    // An internal client's connection is somebody else's (the master link): tell its owner.
    this.onInternalClose?.();
  }

  get handle(): ClientHandle {
    return this;
  }

  get shardChannelCount(): number {
    return this.shardChannels.size;
  }

  clientType(): ClientType {
    if (this.roleFlags.includes('M')) return 'master';
    if (this.roleFlags.includes('S')) return 'replica';
    if (this.subscriptionCount > 0) return 'pubsub';
    return 'normal';
  }

  /** Redis's client flags string, in its order; 'N' when none apply. */
  listFlags(): string {
    let f = '';
    if (this.roleFlags.includes('O')) f += 'O';
    else if (this.roleFlags.includes('S')) f += 'S';
    if (this.roleFlags.includes('M')) f += 'M';
    if (this.subscriptionCount > 0) f += 'P';
    if (this.multi !== null || this.execQueued >= 0) f += 'x';
    if (this.blocked) f += 'b';
    if (this.tracking.on) f += 't';
    if (this.tracking.brokenRedirect) f += 'R';
    if (this.tracking.bcast) f += 'B';
    if (this.watchTouched) f += 'd';
    if (this.closeAfterReply) f += 'c';
    if (this.isUnixSocket) f += 'U';
    if (this.noEvict) f += 'e';
    return f === '' ? 'N' : f;
  }

  memoryStats(): ClientMemoryStats {
    // Redis still holds the executing command in its query buffer.
    const qbuf = this.parser.buffered + (this.currentArgv === null ? 0 : requestSize(this.currentArgv));
    let argvMem = 0;
    const argv = this.currentArgv ?? this.postponedArgv;
    if (argv !== null) for (const a of argv) argvMem += a.length;
    let multiMem = 0;
    if (this.multi !== null) {
      for (const queued of this.multi) {
        multiMem += 24 + queued.length * 8;
        for (const a of queued) multiMem += a.length;
      }
    }
    const rbs = REPLY_BUFFER_SIZE;
    const obl = this.reply.size;
    const omem = this.socket?.writableLength ?? 0;
    const qbufCapacity = Math.max(qbuf, QUERY_BUFFER_SIZE);
    return {
      qbuf,
      qbufFree: qbufCapacity - qbuf,
      argvMem,
      multiMem,
      rbs,
      rbp: Math.max(obl, rbs),
      obl,
      oll: 0,
      omem,
      totMem: CLIENT_STRUCT_SIZE + qbufCapacity + argvMem + multiMem + rbs + omem,
      events: omem > 0 || obl > 0 ? 'rw' : 'r',
    };
  }

  watchedExpired(db: Database, key: string): boolean {
    for (const w of this.watching) if (w[0] === db && w[1] === key) return w[2];
    return false;
  }

  setWatchedExpired(db: Database, key: string, expired: boolean): void {
    for (const w of this.watching) if (w[0] === db && w[1] === key) w[2] = expired;
  }

  kill(): void {
    this.close();
  }

  /** The client's CLIENT LIST line, as Redis's log lines show a client (catClientInfoString). */
  describe(): string {
    return clientInfoLine(this, Date.now());
  }

  changed(key: string, cls: EventClass, event: string, db: Database = this.db): void {
    db.touch(key);
    this.server.dirty++;
    if (this.server.notifyFlags !== 0) this.server.notifyKeyspaceEvent(cls, event, key, db.id);
  }

  notify(cls: EventClass, event: string, key: string, db: Database = this.db): void {
    if (this.server.notifyFlags !== 0) this.server.notifyKeyspaceEvent(cls, event, key, db.id);
  }

  addDirty(n: number): void {
    this.server.dirty += n;
  }

  rewriteArgv(argv: string[]): void {
    this.rewrittenArgv = argv;
  }

  alsoPropagate(argv: string[]): void {
    this.server.alsoPropagate(this.db.id, argv, null, 0, 0, this.replTargets);
  }

  preventPropagation(): void {
    this.propagationPrevented = true;
  }

  get canBlock(): boolean {
    return this.socket !== null && !this.inExec && this.server.callDepth <= 1;
  }

  block(spec: BlockSpec): BlockRelease {
    this.server.blocking.block(this, spec);
    return (reply) => {
      if (!this.server.blocking.release(this, reply)) return false;
      this.server.wake(this);
      return true;
    };
  }

  get connection(): ClientConnection {
    return this;
  }

  get pendingReplies(): number {
    return this.reply.size;
  }

  markReplica(): void {
    if (!this.roleFlags.includes('S')) this.roleFlags += 'S';
  }

  signalKeyReady(key: string, db: Database = this.db): void {
    this.server.blocking.signalKeyReady(db, key);
  }

  select(index: number): boolean {
    const db = this.keyspace.dbs[index];
    if (db === undefined) return false;
    this.db = db;
    return true;
  }
}

/**
 * The connection behind a command context. Every context the server hands to handlers is one of
 * its Clients; anything else is a bug, reported as such rather than cast past.
 */
export function clientOf(ctx: CommandContext): Client {
  if (!(ctx instanceof Client)) throw new Error('a command context that is not a connection of this server');
  return ctx;
}
