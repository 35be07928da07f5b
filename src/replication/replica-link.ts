/**
 * The replica side: the link to our master. Redis 7.0's state machine (connectWithMaster,
 * syncWithMaster, readSyncBulkPayload): connect, handshake (PING, AUTH, REPLCONF), PSYNC, then
 * either load a full RDB (`$<len>` or `$EOF:<mark>`) or continue after +CONTINUE, and apply the
 * command stream, counting offsets exactly as Redis does and forwarding the very bytes applied to
 * our own backlog and replicas (so chained replicas share offsets, PSYNC2).
 */
import { writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { ProtocolError, RequestParser } from '../protocol/request-parser.js';
import { encodeCommand, RespReader, type RespValue } from '../protocol/resp-reader.js';
import type { Client } from '../server/client.js';
import { Backlog } from './backlog.js';
import type { Replication } from './replication.js';

export type LinkState = 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

const EOF_MARK_SIZE = 40;

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

export class MasterLink {
  state: LinkState = 'connect';
  /** The client that applies the master's stream (CLIENT LIST flags=M), while connected. */
  masterClient: Client | null = null;
  /** Bytes of stream read from the master (slave_read_repl_offset). */
  readOffset = 0;
  transferSize = -1;
  transferRead = 0;
  /** When the link went down (ms), 0 if it never was up. */
  downSince = 0;
  /** Set by FAILOVER: our PSYNC asks the target to take over as master. */
  failover = false;
  /** Why the link is down, in plain words (INFO master_link_down_reason is not Redis's, so logs only). */
  lastError = '';
  private socket: Socket | null = null;
  private lastIo = 0;
  private nextAttempt = 0;
  private closed = false;
  private lastHintCode = '';
  // Handshake
  private reader: RespReader | null = null;
  private expecting: Array<(reply: RespValue) => void> = [];
  private psyncPending = false;
  // Transfer
  private rdbChunks: Buffer[] = [];
  private rdbBytes = 0;
  private eofMark: string | null = null;
  private fullSyncReplid = '';
  private fullSyncOffset = 0;
  private pendingStream: Buffer[] = [];
  private loadingRdb = false;
  private preambleBuf = '';
  // Streaming
  private parser: RequestParser | null = null;
  private raw: Buffer[] = [];
  private received = 0;
  private applied = 0;
  private lastAckSent = 0;

  constructor(
    private readonly repl: Replication,
    readonly host: string,
    readonly port: number,
  ) {}

  private get server() {
    return this.repl.server;
  }

  private log(level: 'notice' | 'warning' | 'verbose', message: string): void {
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
      if (!this.closed && this.state === 'connect') this.connect('Connecting');
    });
  }

  /** Stops the link for good (REPLICAOF NO ONE, another master, shutdown). */
  close(): void {
    this.closed = true;
    this.teardown();
  }

  private teardown(): void {
    this.socket?.destroy();
    this.socket = null;
    this.reader = null;
    this.expecting = [];
    this.parser = null;
    this.raw = [];
    this.rdbChunks = [];
    this.pendingStream = [];
    this.loadingRdb = false;
    if (this.masterClient !== null) {
      const c = this.masterClient;
      this.masterClient = null;
      c.close();
    }
    if (this.state === 'connected' || this.downSince === 0) this.downSince = Date.now();
    this.state = 'connect';
  }

  /** Something went wrong: drop the connection and retry on the next cron tick. */
  private fail(message: string | null): void {
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
    const socket = connect({ host: this.host, port: this.port, ...(source ? { localAddress: source } : {}) });
    this.socket = socket;
    socket.setNoDelay(!this.server.config.bool('repl-disable-tcp-nodelay'));
    socket.once('connect', () => {
      if (this.socket !== socket) return;
      this.log('notice', 'Non blocking connect for SYNC fired the event.');
      this.state = 'handshake';
      this.reader = new RespReader();
      this.startHandshake();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.onData(chunk);
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
  // Handshake
  // ---------------------------------------------------------------------------------------------

  private send(argv: string[]): void {
    this.socket?.write(encodeCommand(argv));
  }

  private expect(fn: (reply: RespValue) => void): void {
    this.expecting.push(fn);
  }

  private startHandshake(): void {
    this.send(['PING']);
    this.expect((r) => {
      if (r.type === 'error' && !/^(NOAUTH|NOPERM|ERR operation not permitted)/.test(r.value)) {
        this.lastError = r.value.startsWith('DENIED')
          ? "the master refuses this host: it runs in protected mode without a password. On the master set 'requirepass' (and 'masterauth' here) or 'protected-mode no'"
          : `the master replied to PING with: ${r.value}`;
        if (r.value.startsWith('DENIED')) this.log('warning', `Explanation: ${this.lastError}.`);
        this.fail(`Error reply to PING from master: '-${r.value}'`);
        return;
      }
      this.log('notice', 'Master replied to PING, replication can continue...');
      this.sendHandshake();
    });
  }

  private sendHandshake(): void {
    const cfg = this.server.config;
    const masterauth = cfg.str('masterauth');
    if (masterauth !== '') {
      const user = cfg.str('masteruser');
      this.send(user !== '' ? ['AUTH', user, masterauth] : ['AUTH', masterauth]);
      this.expect((r) => {
        if (r.type === 'error') {
          this.lastError = `the master refused our credentials (check 'masterauth'/'masteruser' here against the master's 'requirepass'): ${r.value}`;
          this.fail(`Unable to AUTH to MASTER: -${r.value}`);
        }
      });
    }
    const announcedPort = cfg.num('replica-announce-port') || this.server.port;
    this.send(['REPLCONF', 'listening-port', String(announcedPort)]);
    this.expect((r) => {
      if (r.type === 'error')
        this.log('notice', `(Non critical) Master does not understand REPLCONF listening-port: -${r.value}`);
    });
    const ip = cfg.str('replica-announce-ip');
    if (ip !== '') {
      this.send(['REPLCONF', 'ip-address', ip]);
      this.expect((r) => {
        if (r.type === 'error')
          this.log('notice', `(Non critical) Master does not understand REPLCONF ip-address: -${r.value}`);
      });
    }
    this.send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
    this.expect((r) => {
      if (r.type === 'error')
        this.log('notice', `(Non critical) Master does not understand REPLCONF capa: -${r.value}`);
      if (this.state === 'handshake') this.sendPsync();
    });
  }

  private sendPsync(): void {
    const repl = this.repl;
    if (repl.canPartialResync) {
      const from = repl.offset + 1;
      this.log('notice', `Trying a partial resynchronization (request ${repl.replid}:${from}).`);
      this.send(
        this.failover
          ? ['PSYNC', repl.replid, String(from), 'FAILOVER']
          : ['PSYNC', repl.replid, String(from)],
      );
    } else {
      this.log('notice', 'Partial resynchronization not possible (no cached master)');
      this.send(['PSYNC', '?', '-1']);
    }
    this.psyncPending = true;
  }

  /** The PSYNC reply line (bare newlines before it are keep-alives). */
  private onPsyncReply(line: string): void {
    this.psyncPending = false;
    const repl = this.repl;
    if (this.failover) {
      this.failover = false;
      repl.failoverSucceeded(line.startsWith('+FULLRESYNC') || line.startsWith('+CONTINUE'));
      if (repl.link !== this) return;
    }
    if (line.startsWith('+FULLRESYNC')) {
      const [, id, off] = line.split(' ');
      this.fullSyncReplid = id ?? '';
      this.fullSyncOffset = Number(off ?? 0);
      this.log('notice', `Full resync from master: ${this.fullSyncReplid}:${this.fullSyncOffset}`);
      this.state = 'transfer';
      this.transferSize = -1;
      this.transferRead = 0;
      this.rdbChunks = [];
      this.rdbBytes = 0;
      this.eofMark = null;
      this.preambleBuf = '';
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
      this.becomeConnected();
      return;
    }
    if (/^-(NOMASTERLINK|LOADING)/.test(line)) {
      this.lastError = `the master cannot serve a sync right now: ${line.slice(1)}`;
      this.fail(`Master is currently unable to PSYNC but should be in the future: ${line}`);
      return;
    }
    this.lastError = line.startsWith('-NOAUTH')
      ? "the master requires a password: set 'masterauth' (and 'masteruser' if it uses ACL users) on this replica"
      : `unexpected reply to PSYNC: ${line}`;
    this.fail(`Unexpected reply to PSYNC from master: ${line}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Incoming bytes
  // ---------------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    this.lastIo = Date.now();
    this.repl.stats.netReplInputBytes += chunk.length;
    if (this.loadingRdb) {
      this.pendingStream.push(chunk);
      return;
    }
    if (this.state === 'handshake') {
      this.onHandshakeData(chunk);
      return;
    }
    if (this.state === 'transfer') {
      this.onTransferData(chunk);
      return;
    }
    if (this.state === 'connected') this.onStreamData(chunk);
  }

  private onHandshakeData(chunk: Buffer): void {
    let data = chunk;
    while (data.length > 0 && this.state === 'handshake') {
      if (this.psyncPending) {
        // The PSYNC reply is a line; newlines may come first while the master prepares.
        let i = 0;
        while (i < data.length && data[i] === 0x0a) i++;
        data = data.subarray(i);
        const combined = this.preambleBuf + data.latin1Slice();
        const nl = combined.indexOf('\r\n');
        if (nl < 0) {
          this.preambleBuf = combined;
          return;
        }
        this.preambleBuf = '';
        const line = combined.slice(0, nl);
        const rest = Buffer.from(combined.slice(nl + 2), 'latin1');
        this.onPsyncReply(line);
        if (rest.length > 0 && this.socket !== null) this.onData(rest);
        return;
      }
      const reader = this.reader;
      if (reader === null) return;
      reader.append(data);
      data = Buffer.alloc(0);
      for (let r = reader.next(); r !== undefined; r = reader.next()) {
        const fn = this.expecting.shift();
        fn?.(r);
        if (this.state !== 'handshake') return;
        if (this.psyncPending) {
          // Whatever follows the last handshake reply belongs to the PSYNC answer.
          data = reader.takeRemaining();
          break;
        }
      }
    }
  }

  private onTransferData(chunk: Buffer): void {
    let data = chunk;
    if (this.transferSize < 0 && this.eofMark === null) {
      // The `$<len>` or `$EOF:<mark>` preamble, after optional keep-alive newlines.
      const combined = this.preambleBuf + data.latin1Slice();
      let start = 0;
      while (start < combined.length && combined[start] === '\n') start++;
      const nl = combined.indexOf('\r\n', start);
      if (nl < 0) {
        this.preambleBuf = combined.slice(start);
        return;
      }
      this.preambleBuf = '';
      const line = combined.slice(start, nl);
      if (line[0] === '-') {
        this.lastError = `the master aborted the transfer: ${line.slice(1)}`;
        this.fail(`MASTER aborted replication with an error: ${line.slice(1)}`);
        return;
      }
      if (line.startsWith('$EOF:') && line.length === 5 + EOF_MARK_SIZE) {
        this.eofMark = line.slice(5);
        this.transferSize = 0;
        this.log('notice', 'MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk');
      } else if (line[0] === '$') {
        this.transferSize = Number(line.slice(1));
        this.log(
          'notice',
          `MASTER <-> REPLICA sync: receiving ${this.transferSize} bytes from master to disk`,
        );
      } else {
        this.fail(
          `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`,
        );
        return;
      }
      data = Buffer.from(combined.slice(nl + 2), 'latin1');
    }
    if (this.eofMark !== null) {
      // Look for the end mark only where it can be: the previous tail plus the new bytes (no
      // re-scanning or re-copying of what arrived before, so a large transfer stays linear).
      const window = Buffer.concat([this.tail(Math.min(EOF_MARK_SIZE - 1, this.rdbBytes)), data]);
      this.rdbChunks.push(data);
      this.rdbBytes += data.length;
      this.transferRead = this.rdbBytes;
      const markAt = window.indexOf(this.eofMark, 0, 'latin1');
      if (markAt < 0) return;
      const payloadEnd = this.rdbBytes - window.length + markAt;
      const all = Buffer.concat(this.rdbChunks, this.rdbBytes);
      void this.loadRdb(all.subarray(0, payloadEnd), all.subarray(payloadEnd + EOF_MARK_SIZE), true);
      return;
    }
    const need = this.transferSize - this.rdbBytes;
    const take = data.subarray(0, need);
    this.rdbChunks.push(take);
    this.rdbBytes += take.length;
    this.transferRead = this.rdbBytes;
    if (this.rdbBytes < this.transferSize) return;
    void this.loadRdb(Buffer.concat(this.rdbChunks), data.subarray(need), false);
  }

  /** The last n bytes received so far. */
  private tail(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let left = n;
    for (let i = this.rdbChunks.length - 1; i >= 0 && left > 0; i--) {
      const c = this.rdbChunks[i];
      const take = Math.min(left, c.length);
      parts.unshift(c.subarray(c.length - take));
      left -= take;
    }
    return Buffer.concat(parts);
  }

  /** The full RDB arrived: replace our data with it, then take the stream. */
  private async loadRdb(rdb: Buffer, rest: Buffer, eofMode: boolean): Promise<void> {
    const repl = this.repl;
    const server = this.server;
    const persistence = server.persistence;
    this.rdbChunks = [];
    // Stream bytes arriving while we load are kept; the link counts as up only once loaded.
    this.loadingRdb = true;
    const socket = this.socket;
    if (rest.length > 0) this.pendingStream.push(Buffer.from(rest));
    // Like Redis, the replica keeps the master's snapshot as its own dump file.
    try {
      await writeFile(persistence.rdbPath, rdb);
    } catch (e) {
      this.log(
        'warning',
        `Failed trying to save the MASTER synchronization DB to disk: ${(e as Error).message}`,
      );
    }
    this.log('notice', 'MASTER <-> REPLICA sync: Flushing old data');
    // Our replicas cannot continue from our old history, and the backlog is useless now.
    repl.master.disconnectReplicas();
    repl.backlog = null;
    server.keyspace.flushAll();
    this.log('notice', 'MASTER <-> REPLICA sync: Loading DB in memory');
    try {
      const load = persistence.loadRdbBuffer(rdb);
      const stats = await persistence.withLoading(
        rdb.length,
        () => load.position,
        () => load.run(),
      );
      persistence.finishRdbLoad(stats);
    } catch (e) {
      persistence.reportLoadError(e);
      this.loadingRdb = false;
      this.lastError = 'the RDB received from the master could not be loaded';
      this.fail('Failed trying to load the MASTER synchronization DB from disk, check server logs.');
      return;
    }
    if (this.closed || socket === null || this.socket !== socket) return;
    repl.replid = this.fullSyncReplid;
    repl.replid2 = '0000000000000000000000000000000000000000';
    repl.secondReplOffset = -1;
    repl.offset = this.fullSyncOffset;
    repl.backlog = new Backlog(server.config.num('repl-backlog-size'), repl.offset);
    repl.canPartialResync = true;
    this.becomeConnected();
    this.log('notice', 'MASTER <-> REPLICA sync: Finished with success');
    // A diskless master starts streaming only after this first ACK.
    if (eofMode) this.sendAck();
    const pending = this.pendingStream;
    this.pendingStream = [];
    for (const chunk of pending) this.onStreamData(chunk);
  }

  private becomeConnected(): void {
    const socket = this.socket;
    const server = this.server;
    const remote = socket
      ? `${socket.remoteAddress?.replace(/^::ffff:/, '') ?? this.host}:${socket.remotePort ?? this.port}`
      : '';
    const local = socket
      ? `${socket.localAddress?.replace(/^::ffff:/, '') ?? ''}:${socket.localPort ?? 0}`
      : '';
    this.masterClient = server.internalClient(remote, local, 'M');
    this.parser = new RequestParser(server.parserLimits);
    this.parser.trusted = true;
    this.raw = [];
    this.received = 0;
    this.applied = 0;
    this.readOffset = this.repl.offset;
    this.state = 'connected';
    this.downSince = 0;
    this.lastError = '';
    this.lastHintCode = '';
    this.loadingRdb = false;
  }

  /** Applies the master's commands; each applied command's exact bytes go to our backlog/replicas. */
  private onStreamData(chunk: Buffer): void {
    const parser = this.parser;
    const client = this.masterClient;
    if (parser === null || client === null) return;
    this.readOffset += chunk.length;
    this.raw.push(chunk);
    this.received += chunk.length;
    parser.append(chunk);
    const server = this.server;
    const ks = server.keyspace;
    for (;;) {
      let argv: string[] | null;
      try {
        argv = parser.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.fail(`Protocol error from MASTER: ${e.message}. Disconnecting.`);
        return;
      }
      if (argv === null) break;
      // The master's writes apply regardless of expiry: it sends the DELs itself.
      const mode = ks.expireMode;
      ks.expireMode = 'ignore';
      try {
        server.execute(client, argv);
      } finally {
        ks.expireMode = mode;
      }
      client.reply.discard();
      const consumed = this.received - parser.buffered - this.applied;
      this.applied += consumed;
      this.repl.feedRaw(this.takeRaw(consumed));
      if (this.masterClient !== client) return;
    }
    parser.preserve?.();
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

  /** REPLCONF ACK <offset>: how much of the stream we applied. */
  sendAck(): void {
    if (this.state !== 'connected' || this.socket === null) return;
    this.send(['REPLCONF', 'ACK', String(this.repl.offset)]);
    this.lastAckSent = Date.now();
  }

  /** Once a second: reconnect when down, timeouts, and the periodic ACK. */
  cron(): void {
    if (this.closed) return;
    const now = Date.now();
    const timeoutMs = this.server.config.num('repl-timeout') * 1000;
    if (this.state === 'connect') {
      if (now >= this.nextAttempt) this.connect('Connecting');
      return;
    }
    if ((this.state === 'connecting' || this.state === 'handshake') && now - this.lastIo > timeoutMs) {
      this.lastError = 'timeout connecting to the master';
      this.fail('Timeout connecting to the MASTER...');
      return;
    }
    if (this.state === 'transfer' && !this.loadingRdb && now - this.lastIo > timeoutMs) {
      this.lastError = 'timeout receiving the RDB from the master';
      this.fail(
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
      );
      return;
    }
    if (this.state === 'connected') {
      if (!this.loadingRdb && now - this.lastIo > timeoutMs) {
        this.lastError = 'no data from the master within repl-timeout';
        this.log('warning', 'MASTER timeout: no data nor PING received...');
        this.onClose();
        return;
      }
      if (!this.loadingRdb && now - this.lastAckSent >= 1000) this.sendAck();
    }
  }
}
