import type { MasterClient } from '../core/host.js';
import { ProtocolError, RequestParser } from '../protocol/request-parser.js';
import { quoteRepr } from '../protocol/split-args.js';
import type { Replication } from './replication.js';

/** At most this many "== CRITICAL ==" lines per second; the rest are counted and summarized. */
const ERROR_LOG_BURST = 10;

/**
 * A replica applying its master's stream, once the sync is done: each command runs on the master
 * client (flag M) through dispatch; what was applied is counted into the replication offset and,
 * at the end of each read, its exact bytes go on in one piece to our backlog and sub-replicas.
 * Errors a command gets here (the data sets may differ) are logged as Redis 7.0 logs them.
 */
export class StreamApply {
  readonly client: MasterClient;
  private readonly parser: RequestParser;
  private raw: Buffer[] = [];
  private received = 0;
  private applied = 0;
  /** Applied (and counted) bytes at the front of `raw` not yet forwarded to our backlog and replicas. */
  private unforwarded = 0;
  /** Bytes of stream read from the master (slave_read_repl_offset). */
  readOffset: number;
  private closed = false;
  private errorWindowStart = 0;
  private errorsInWindow = 0;

  constructor(
    private readonly repl: Replication,
    remote: string,
    local: string,
    /** The link's socket reads land here: what is kept past a read is copied out of it. */
    private readonly readBuffer: Buffer,
    private readonly onProtocolError: (message: string) => void,
    /** CLIENT KILL of the master client: the link drops as if the connection were lost. */
    onKilled: () => void,
    /** A partial resync resurrects the cached master: its client keeps its id. */
    clientId?: number,
  ) {
    const server = repl.server;
    // Errors are not replied to a master, but they must not go unnoticed (Redis's afterErrorReply).
    this.client = server.masterClient(
      remote,
      local,
      { onError: (msg) => this.errorToMaster(msg), onKilled },
      clientId,
    );
    this.parser = new RequestParser(server.parserLimits);
    this.parser.trusted = true;
    this.readOffset = repl.offset;
  }

  private log(level: 'notice' | 'warning', message: string): void {
    this.repl.server.log(level, message);
  }

  /** Applies the master's commands; each applied command's exact bytes go to our backlog/replicas. */
  onData(chunk: Buffer): void {
    if (this.closed) return;
    const parser = this.parser;
    const client = this.client;
    this.readOffset += chunk.length;
    this.raw.push(chunk);
    this.received += chunk.length;
    parser.append(chunk);
    const server = this.repl.server;
    const ks = server.keyspace;
    // The master's writes apply regardless of expiry: it sends the DELs itself.
    const mode = ks.expireMode;
    ks.expireMode = 'ignore';
    try {
      // One clock read per command, as for clients: each command starts where the previous ended.
      server.runBatch(() => this.applyCommands(parser, client));
    } finally {
      ks.expireMode = mode;
      this.keepPastRead();
    }
  }

  /** The read buffer is reused by the next read: copy out what the parser and `raw` still hold. */
  private keepPastRead(): void {
    this.parser.preserve();
    const raw = this.raw;
    for (let i = 0; i < raw.length; i++) {
      if (raw[i].buffer === this.readBuffer.buffer) raw[i] = Buffer.from(raw[i]);
    }
  }

  private applyCommands(parser: RequestParser, client: MasterClient): void {
    for (;;) {
      let argv: string[] | null;
      try {
        argv = parser.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.onProtocolError(`Protocol error from MASTER: ${e.message}. Disconnecting.`);
        return;
      }
      if (argv === null) break;
      client.execute(argv);
      // Like Redis's commandProcessed: inside MULTI nothing counts as applied yet, so a transaction
      // reaches our backlog and replicas whole after its EXEC, and a link lost in its middle
      // resumes (PSYNC) from before its MULTI.
      if (client.inTransaction) continue;
      // The link went down while the command ran (its bytes are gone with it).
      if (this.closed) return;
      const consumed = this.received - parser.buffered - this.applied;
      this.applied += consumed;
      this.unforwarded += consumed;
      this.repl.countApplied(consumed);
    }
    this.forwardApplied();
  }

  /** Hands the applied bytes not yet forwarded to the stream (also before any flush of it). */
  forwardApplied(): void {
    const n = this.unforwarded;
    if (n === 0) return;
    this.unforwarded = 0;
    this.repl.forwardRaw(this.takeRaw(n));
  }

  private takeRaw(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.raw[0];
    if (first.length === n) {
      this.raw.shift();
      return first;
    }
    if (first.length > n) {
      this.raw[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const b = this.raw[0];
      if (b.length <= left) {
        parts.push(b);
        left -= b.length;
        this.raw.shift();
      } else {
        parts.push(b.subarray(0, left));
        this.raw[0] = b.subarray(left);
        left = 0;
      }
    }
    return Buffer.concat(parts);
  }

  /**
   * A command from the master failed here (a command or type tsredis does not implement, data that
   * diverged): the data sets may now differ. Logged as Redis 7.0 logs it, with the latest bytes of
   * the backlog (the commands applied just before), at most ERROR_LOG_BURST times per second.
   */
  private errorToMaster(msg: string): void {
    const client = this.client;
    const now = Date.now();
    if (now - this.errorWindowStart >= 1000) {
      this.flushErrorSummary();
      this.errorWindowStart = now;
    }
    if (++this.errorsInWindow > ERROR_LOG_BURST) return;
    const name = client.lastCommandName;
    const cmd = name === 'NULL' || name === '' ? '<unknown>' : name;
    this.log(
      'warning',
      `== CRITICAL == This replica is sending an error to its master: '${redisErrorText(msg).slice(0, 4096)}' after processing the command '${cmd}'`,
    );
    const latest = this.latestBacklog(256);
    if (latest !== null) this.log('warning', `Latest backlog is: '${quoteRepr(latest)}'`);
  }

  /** Once the window is over: how many errors went unlogged. */
  private flushErrorSummary(): void {
    const unlogged = this.errorsInWindow - ERROR_LOG_BURST;
    if (unlogged > 0) {
      this.log(
        'warning',
        `== CRITICAL == ${unlogged} more errors were sent to the master within a second; only the first ${ERROR_LOG_BURST} were logged (all count in INFO stats unexpected_error_replies)`,
      );
    }
    this.errorsInWindow = 0;
  }

  /** Redis's showLatestBacklog: the last bytes of the replication backlog, or null when empty. */
  private latestBacklog(max: number): string | null {
    const repl = this.repl;
    // What was applied this turn is still on its way to the backlog.
    repl.flushStream();
    const b = repl.backlog;
    if (b === null || b.histlen === 0) return null;
    const len = Math.min(max, b.histlen);
    return b.readFrom(b.offset + 1 - len).latin1Slice();
  }

  /** Once a second: how many errors the last window left unlogged. */
  cron(now: number): void {
    if (this.errorsInWindow > 0 && now - this.errorWindowStart >= 1000) this.flushErrorSummary();
  }

  close(): void {
    this.forwardApplied();
    this.closed = true;
    this.raw = [];
    this.client.close();
  }
}

/** Redis's shared error objects with the ERR code (createSharedObjects): replied, and logged, whole. */
const SHARED_ERR_REPLIES = new Set([
  'ERR',
  'ERR no such key',
  'ERR syntax error',
  'ERR source and destination objects are the same',
  'ERR index out of range',
]);

/**
 * An error as Redis's afterErrorReply sees (and logs) it: shared error objects and errors with
 * their own code keep the '-' and the code ("-WRONGTYPE …", "-ERR syntax error"); the ones Redis
 * formats with addReplyError have no prefix ("unknown command 'XADD', …", "wrong number of
 * arguments for 'get' command", "value is not an integer or out of range").
 */
function redisErrorText(msg: string): string {
  if (msg.startsWith('ERR ') && !SHARED_ERR_REPLIES.has(msg)) return msg.slice(4);
  return `-${msg}`;
}
