import type { Socket } from 'node:net';
import type { CommandContext, EventClass } from '../commands/context.js';
import type { CommandDef } from '../commands/table.js';
import { RespWriter } from '../protocol/reply.js';
import { ProtocolError, QueryBufferLimitError, RequestParser } from '../protocol/request-parser.js';
import type { Database, Watcher } from '../store/database.js';
import type { Keyspace } from '../store/keyspace.js';
import type { Server } from './server.js';

/** Pause reading from a client whose unsent replies exceed this, until its socket drains. */
const OUTPUT_HIGH_WATER = 64 * 1024 * 1024;

export type ReplyMode = 'on' | 'off' | 'skip';

/** One connection: its parser, output buffer and per-client state. Commands see it as their context. */
export class Client implements CommandContext, Watcher {
  readonly reply = new RespWriter();
  readonly parser: RequestParser;
  readonly keyspace: Keyspace;
  db: Database;
  name = '';
  authenticated: boolean;
  user = 'default';
  now = 0;
  command!: CommandDef;
  /** Last command executed, for CLIENT LIST cmd=. */
  lastCommandName = 'NULL';
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
  /** Queued commands while in MULTI, or null. */
  multi: string[][] | null = null;
  /** A command failed to queue: EXEC will answer EXECABORT. */
  multiError = false;
  watchTouched = false;
  /** Keys this client WATCHes: db index and key. */
  watching: Array<[Database, string]> = [];
  /** Pub/sub subscriptions. */
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  /** Blocked in a command (BLPOP, WAIT, CLIENT PAUSE): input processing waits. */
  blocked = false;
  /** Propagation overrides set by the running command. */
  rewrittenArgv: string[] | null = null;
  extraPropagation: string[][] | null = null;
  /** Replies skipped for the current command (CLIENT REPLY SKIP). */
  skipNext = false;
  private paused = false;

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
    this.parser = new RequestParser(server.parserLimits);
    this.parser.unauthenticated = !this.authenticated;
    this.reply.onError = (msg) => server.countError(this, msg);
    if (socket !== null) {
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
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
    this.parser.unauthenticated = false;
  }

  resetState(): void {
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
    this.noEvict = false;
    this.authenticated = !this.server.authRequired;
    this.user = 'default';
    this.parser.unauthenticated = !this.authenticated;
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  private onData(chunk: Buffer): void {
    this.server.stats.netInputBytes += chunk.length;
    try {
      this.parser.append(chunk);
    } catch (e) {
      if (!(e instanceof QueryBufferLimitError)) throw e;
      this.server.log('warning', `Closing client that reached max query buffer length: ${this.describe()}`);
      this.close();
      return;
    }
    this.processInput();
    this.flush();
  }

  /** Runs every complete command buffered, unless blocked. */
  processInput(): void {
    while (!this.closeAfterReply && !this.closed && !this.blocked) {
      let argv: string[] | null;
      try {
        argv = this.parser.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.reply.error(`ERR Protocol error: ${e.message}`);
        this.server.log('verbose', `Protocol error (${e.message}) from client: ${this.describe()}`);
        this.closeAfterReply = true;
        break;
      }
      if (argv === null) break;
      this.lastInteraction = Date.now();
      this.server.execute(this, argv);
    }
  }

  /** Sends buffered replies in one write; closes if asked to after replying. */
  flush(): void {
    if (this.closed || this.socket === null) {
      this.reply.discard();
      return;
    }
    const out = this.reply.take();
    if (out !== null) {
      this.server.stats.netOutputBytes += out.length;
      this.socket.write(out);
      if (!this.paused && this.socket.writableLength > OUTPUT_HIGH_WATER) {
        this.paused = true;
        this.socket.pause();
      }
    }
    if (this.closeAfterReply) this.close(true);
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
      if (graceful) this.socket.end();
      else this.socket.destroy();
    }
    this.server.onClientClosed(this);
  }

  /** "id=… addr=… laddr=… fd=… name=…" prefix for log lines. */
  describe(): string {
    return `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=${this.fd} name=${this.name}`;
  }

  changed(key: string, cls: EventClass, event: string): void {
    this.db.touch(key);
    this.server.dirty++;
    if (this.server.notifyFlags !== 0) this.server.notifyKeyspaceEvent(cls, event, key, this.db.id);
  }

  notify(cls: EventClass, event: string, key: string): void {
    if (this.server.notifyFlags !== 0) this.server.notifyKeyspaceEvent(cls, event, key, this.db.id);
  }

  addDirty(n: number): void {
    this.server.dirty += n;
  }

  rewriteArgv(argv: string[]): void {
    this.rewrittenArgv = argv;
  }

  alsoPropagate(argv: string[]): void {
    (this.extraPropagation ??= []).push(argv);
  }

  select(index: number): boolean {
    const db = this.keyspace.dbs[index];
    if (db === undefined) return false;
    this.db = db;
    return true;
  }
}
