/**
 * The replica side: the link to our master. Redis 7.0's state machine (connectWithMaster,
 * syncWithMaster): connect, the handshake (link-handshake.ts), PSYNC's answer, then either a full
 * sync (full-sync.ts) or +CONTINUE, then the command stream (stream-apply.ts), with reconnection,
 * timeouts and ACKs.
 */
import { connect, type Socket } from 'node:net';
import { type ConnectionOptions, TLSSocket, connect as tlsConnect } from 'node:tls';
import type { MasterClient } from '../core/host.js';
import { clientTlsOptions, TlsSettingsError } from '../lib/tls-settings.js';
import { encodeCommand } from '../protocol/resp-reader.js';
import { Backlog } from './backlog.js';
import { FullSync, type SyncingLink } from './full-sync.js';
import { type HandshakeOwner, LinkHandshake } from './link-handshake.js';
import type { Replication } from './replication.js';
import { StreamApply } from './stream-apply.js';

export type LinkState = 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

/** Plain-words explanations for connection errors, logged once per kind of failure. */
function hintFor(code: string | undefined, host: string, port: number): string | null {
  if (code === 'ECONNREFUSED') {
    return `Nothing accepts connections at ${host}:${port}. Is the master running, and listening on an address this replica can reach? A master with 'bind 127.0.0.1' only accepts connections from its own host: use 'bind 0.0.0.0' (or its network address) on the master.`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `The master's host name '${host}' does not resolve from here (DNS or /etc/hosts; with containers, are both on the same network?).`;
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return `The master ${host}:${port} is unreachable from this host (firewall, network or wrong address).`;
  }
  return null;
}

function describeSocketError(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'ECONNRESET':
      return 'Connection reset by peer';
    case 'ETIMEDOUT':
      return 'Connection timed out';
    case 'EHOSTUNREACH':
      return 'No route to host';
    case 'ENETUNREACH':
      return 'Network is unreachable';
    default:
      return e.message;
  }
}

export class MasterLink implements SyncingLink {
  state: LinkState = 'connect';
  /** When the link went down (ms), 0 if it never was up. */
  downSince = 0;
  /** Set by FAILOVER: our PSYNC asks the target to take over as master. */
  failover = false;
  /** Why the link is down, in plain words (INFO master_link_down_reason is not Redis's, so logs only). */
  lastError = '';
  private socket: Socket | null = null;
  private lastIo = 0;
  private nextAttempt = 0;
  closed = false;
  private lastHintCode = '';
  // Handshake
  private handshake: LinkHandshake | null = null;
  /** The full sync running, from +FULLRESYNC until loaded or the link drops. */
  private sync: FullSync | null = null;
  /** Reading from the master is paused: the file or the parser has too much queued. */
  private inputPaused = false;
  /** A load from this link still running (possibly after the link dropped): no reconnection before it ends. */
  private activeLoad: Promise<void> | null = null;
  private lastNewline = 0;
  /** The id of the master client of the link that went down, reused by a partial resync. */
  private cachedClientId = 0;
  /** Applying the master's stream, once connected. */
  private stream: StreamApply | null = null;
  /** Where the link's socket reads land (see connect). */
  private readonly readBuffer = Buffer.allocUnsafe(64 * 1024);
  private lastAckSent = 0;

  constructor(
    private readonly repl: Replication,
    readonly host: string,
    readonly port: number,
  ) {}

  private get server() {
    return this.repl.server;
  }

  /** RDB payload bytes expected and received in the full sync running (INFO master_sync_*). */
  get transferSize(): number {
    return this.sync?.size ?? -1;
  }

  get transferRead(): number {
    return this.sync?.read ?? 0;
  }

  log(level: 'notice' | 'warning' | 'verbose', message: string): void {
    this.server.log(level, message);
  }

  get roleState(): string {
    switch (this.state) {
      case 'connect':
        return 'connect';
      case 'connecting':
        return 'connecting';
      case 'handshake':
        return 'handshake';
      case 'transfer':
        return 'sync';
      default:
        return 'connected';
    }
  }

  get lastIoSecondsAgo(): number {
    return Math.floor((Date.now() - this.lastIo) / 1000);
  }

  connectSoon(): void {
    this.nextAttempt = 0;
    setImmediate(() => {
      if (!this.closed && this.state === 'connect' && this.activeLoad === null) this.connect('Connecting');
    });
  }

  /** Stops the link for good (REPLICAOF NO ONE, another master, shutdown). */
  close(): void {
    this.closed = true;
    this.teardown();
  }

  private teardown(): void {
    // What was applied before the link went down belongs in the backlog (the offset counts it).
    this.forwardApplied();
    this.socket?.destroy();
    this.socket = null;
    this.handshake = null;
    this.inputPaused = false;
    this.sync?.detach();
    this.sync = null;
    if (this.stream !== null) this.cachedClientId = this.stream.client.id;
    this.stream?.close();
    this.stream = null;
    if (this.state === 'connected' || this.downSince === 0) this.downSince = Date.now();
    this.state = 'connect';
  }

  /** Something went wrong: drop the connection and retry on the next cron tick. */
  fail(message: string | null): void {
    if (message !== null) this.log('warning', message);
    this.teardown();
    this.nextAttempt = Date.now() + 1000;
  }

  private connect(verb: 'Connecting' | 'Reconnecting'): void {
    this.log('notice', `${verb} to MASTER ${this.host}:${this.port}`);
    this.log('notice', 'MASTER <-> REPLICA sync started');
    this.state = 'connecting';
    this.lastIo = Date.now();
    // bind-source-addr: the local address replication connections come from (as in Redis 7.0).
    const source = this.server.config.str('bind-source-addr');
    // Reads land in one buffer owned by the link (no allocation per read, no stream machinery):
    // what is kept past the read is copied (keepPastRead, the parser's preserve).
    const config = this.server.config;
    const socket = config.bool('tls-replication')
      ? this.connectTls(source)
      : connect({
          host: this.host,
          port: this.port,
          ...(source ? { localAddress: source } : {}),
          onread: {
            buffer: this.readBuffer,
            callback: (nread: number): boolean => {
              if (this.socket !== socket) return true;
              const view = this.readBuffer.subarray(0, nread);
              // Only the command stream is applied straight from the buffer; the rest keeps copies.
              this.onData(this.state === 'connected' ? view : Buffer.from(view));
              return true;
            },
          },
        });
    this.socket = socket;
    socket.setNoDelay(!this.server.config.bool('repl-disable-tcp-nodelay'));
    socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
      if (this.socket !== socket) return;
      this.log('notice', 'Non blocking connect for SYNC fired the event.');
      this.state = 'handshake';
      this.handshake = new LinkHandshake(socket, this.handshakeOwner());
      this.handshake.start();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (this.socket !== socket) return;
      if (this.state === 'connecting') {
        const described = describeSocketError(e);
        this.log('warning', `Error condition on socket for SYNC: ${described}`);
        const hint = hintFor(e.code, this.host, this.port);
        this.lastError = hint === null ? described : `${described}. ${hint}`;
        if (hint !== null && this.lastHintCode !== e.code) {
          this.log('warning', hint);
          this.lastHintCode = e.code ?? '';
        }
        this.fail(null);
      }
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.onClose();
    });
  }

  /** tls-replication: the master's TLS port, its chain verified against our CAs (no host name check). */
  private connectTls(source: string): TLSSocket {
    let options: ConnectionOptions;
    try {
      options = clientTlsOptions(this.server.config);
    } catch (e) {
      if (!(e instanceof TlsSettingsError)) throw e;
      // Dialled anyway so the failure takes the usual path (logged, retried once a second).
      options = { rejectUnauthorized: true };
      this.log('warning', e.message);
    }
    const socket = tlsConnect({
      host: this.host,
      port: this.port,
      ...(source ? { localAddress: source } : {}),
      ...options,
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.onData(chunk);
    });
    return socket;
  }

  private onClose(): void {
    const wasConnected = this.state === 'connected';
    if (this.state === 'handshake') {
      this.lastError = 'the master closed the connection during the handshake';
      this.log('warning', 'Master did not respond to command during SYNC handshake');
      this.fail(null);
    } else if (this.state === 'transfer') {
      this.lastError = 'the master closed the connection during the transfer';
      this.log('warning', 'I/O error trying to sync with MASTER: connection lost');
      this.fail(null);
    } else if (wasConnected) {
      this.lastError = 'connection with master lost';
      this.log('warning', 'Connection with master lost.');
      this.log('notice', 'Caching the disconnected master state.');
      this.repl.canPartialResync = true;
      this.teardown();
      if (!this.closed) this.connect('Reconnecting');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Handshake (link-handshake.ts runs it; these are its owner's answers)
  // ---------------------------------------------------------------------------------------------

  private handshakeOwner(): HandshakeOwner {
    return {
      config: this.server.config,
      ownPort: this.server.port,
      log: (level, message) => this.log(level, message),
      failed: (message, reason) => {
        this.lastError = reason;
        this.fail(message);
      },
      psyncCommand: () => this.psyncCommand(),
      psyncReplied: (line, rest) => {
        this.handshake = null;
        this.onPsyncReply(line);
        if (rest.length > 0 && this.socket !== null) this.onData(rest);
      },
    };
  }

  private psyncCommand(): string[] {
    const repl = this.repl;
    if (!repl.canPartialResync) {
      this.log('notice', 'Partial resynchronization not possible (no cached master)');
      return ['PSYNC', '?', '-1'];
    }
    const from = repl.offset + 1;
    this.log('notice', `Trying a partial resynchronization (request ${repl.replid}:${from}).`);
    return this.failover
      ? ['PSYNC', repl.replid, String(from), 'FAILOVER']
      : ['PSYNC', repl.replid, String(from)];
  }

  /** The PSYNC reply line (bare newlines before it are keep-alives). */
  private onPsyncReply(line: string): void {
    const repl = this.repl;
    if (/^-(NOMASTERLINK|LOADING)/.test(line)) {
      // A transient refusal: the link retries (a FAILOVER in progress goes on waiting).
      this.lastError = `the master cannot serve a sync right now: ${line.slice(1)}`;
      this.fail(`Master is currently unable to PSYNC but should be in the future: ${line}`);
      return;
    }
    const accepted = line.startsWith('+FULLRESYNC') || line.startsWith('+CONTINUE');
    if (!accepted) {
      // slaveTryPartialResynchronization's words for a refusal.
      if (line.startsWith('-ERR'))
        this.log('notice', `Master does not support PSYNC or is in error state (reply: ${line})`);
      else this.log('warning', `Unexpected reply to PSYNC from master: ${line}`);
    }
    if (this.failover) {
      this.failover = false;
      repl.failover.succeeded(accepted);
      if (repl.link !== this) return;
    }
    if (line.startsWith('+FULLRESYNC')) {
      const [, id = '', off = '0'] = line.split(' ');
      this.log('notice', `Full resync from master: ${id}:${Number(off)}`);
      this.state = 'transfer';
      this.sync = new FullSync(this.repl, this, id, Number(off));
      return;
    }
    if (line.startsWith('+CONTINUE')) {
      const id = line.slice('+CONTINUE'.length).trim();
      this.log('notice', 'Successful partial resynchronization with master.');
      if (id !== '' && id !== repl.replid) {
        repl.replid2 = repl.replid;
        repl.secondReplOffset = repl.offset + 1;
        repl.replid = id;
        this.log('notice', `Master replication ID changed to ${id}`);
        // Our own replicas must learn the new id.
        repl.master.disconnectReplicas();
      }
      this.log('notice', 'MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.');
      if (repl.backlog === null)
        repl.backlog = new Backlog(this.server.config.num('repl-backlog-size'), repl.offset);
      this.becomeConnected(true);
      return;
    }
    this.lastError = line.startsWith('-NOAUTH')
      ? "the master requires a password: set 'masterauth' (and 'masteruser' if it uses ACL users) on this replica"
      : `unexpected reply to PSYNC: ${line}`;
    // Redis would retry with SYNC here (for masters older than 2.8); tsredis retries PSYNC later.
    this.fail(null);
  }

  // ---------------------------------------------------------------------------------------------
  // Incoming bytes
  // ---------------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.lastIo = Date.now();
    this.repl.stats.netReplInputBytes += chunk.length;
    if (this.state === 'handshake') {
      this.handshake?.feed(chunk);
      return;
    }
    if (this.state === 'transfer') {
      // Stream bytes arriving while we load are kept; the link counts as up only once loaded.
      this.sync?.onData(chunk);
      return;
    }
    if (this.state === 'connected') this.onStreamData(chunk);
  }

  /** Stops reading from the master until `ready` settles (backpressure from the file or the parser). */
  pauseInputUntil(ready: Promise<void>): void {
    const socket = this.socket;
    if (socket === null || this.inputPaused) return;
    this.inputPaused = true;
    socket.pause();
    const resume = () => {
      if (this.socket !== socket || !this.inputPaused) return;
      this.inputPaused = false;
      this.lastIo = Date.now();
      socket.resume();
    };
    ready.then(resume, resume);
  }

  trackLoad(task: Promise<void>): void {
    const done = task.finally(() => {
      if (this.activeLoad === done) this.activeLoad = null;
    });
    this.activeLoad = done;
    done.catch(() => {});
  }

  /** `resumed`: after +CONTINUE, the cached master comes back with its client id (as in Redis). */
  private becomeConnected(resumed = false): void {
    const socket = this.socket;
    const remote = socket
      ? `${socket.remoteAddress?.replace(/^::ffff:/, '') ?? this.host}:${socket.remotePort ?? this.port}`
      : '';
    const local = socket
      ? `${socket.localAddress?.replace(/^::ffff:/, '') ?? ''}:${socket.localPort ?? 0}`
      : '';
    this.stream = new StreamApply(
      this.repl,
      remote,
      local,
      this.readBuffer,
      (message) => this.fail(message),
      // Like Redis's freeClient(server.master): cache the master and reconnect now (PSYNC).
      () => this.onClose(),
      resumed && this.cachedClientId > 0 ? this.cachedClientId : undefined,
    );
    this.state = 'connected';
    this.downSince = 0;
    this.lastError = '';
    this.lastHintCode = '';
  }

  /** A full sync loaded while the connection stayed up: the stream starts. */
  synced(eofMode: boolean, pending: Buffer[]): void {
    this.sync = null;
    this.becomeConnected();
    this.log('notice', 'MASTER <-> REPLICA sync: Finished with success');
    // A diskless master starts streaming only after this first ACK.
    if (eofMode) this.sendAck();
    for (const chunk of pending) this.onStreamData(chunk);
  }

  /** The client that applies the master's stream (CLIENT LIST flags=M), while connected. */
  get masterClient(): MasterClient | null {
    return this.stream?.client ?? null;
  }

  /** Bytes of stream read from the master (slave_read_repl_offset). */
  get readOffset(): number {
    return this.stream?.readOffset ?? this.repl.offset;
  }

  /** Hands the applied bytes not yet forwarded to the stream (also before any flush of it). */
  forwardApplied(): void {
    this.stream?.forwardApplied();
  }

  private onStreamData(chunk: Buffer): void {
    this.stream?.onData(chunk);
  }

  /** REPLCONF ACK <offset>: how much of the stream we applied. */
  sendAck(): void {
    if (this.state !== 'connected' || this.socket === null) return;
    this.socket.write(encodeCommand(['REPLCONF', 'ACK', String(this.repl.offset)]));
    this.lastAckSent = Date.now();
  }

  /** Once a second: reconnect when down, timeouts, and the periodic ACK. */
  cron(): void {
    if (this.closed) return;
    const now = Date.now();
    const timeoutMs = this.server.config.num('repl-timeout') * 1000;
    this.stream?.cron(now);
    if (this.state === 'connect') {
      // A load from a link that dropped meanwhile must end before a new sync may start.
      if (now >= this.nextAttempt && this.activeLoad === null) this.connect('Connecting');
      return;
    }
    if ((this.state === 'connecting' || this.state === 'handshake') && now - this.lastIo > timeoutMs) {
      this.lastError = 'timeout connecting to the master';
      this.fail('Timeout connecting to the MASTER...');
      return;
    }
    const sync = this.sync;
    if (this.state === 'transfer' && sync?.loading === true && now - this.lastNewline >= 1000) {
      // Like Redis while it loads: a newline now and then tells the master we are alive.
      this.socket?.write('\n');
      this.lastNewline = now;
    }
    if (
      this.state === 'transfer' &&
      sync?.transferDone === false &&
      !this.inputPaused &&
      now - this.lastIo > timeoutMs
    ) {
      this.lastError = 'timeout receiving the RDB from the master';
      this.fail(
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
      );
      return;
    }
    if (this.state === 'connected') {
      if (now - this.lastIo > timeoutMs) {
        this.lastError = 'no data from the master within repl-timeout';
        this.log('warning', 'MASTER timeout: no data nor PING received...');
        this.onClose();
        return;
      }
      if (now - this.lastAckSent >= 1000) this.sendAck();
    }
  }
}
