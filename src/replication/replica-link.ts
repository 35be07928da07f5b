/**
 * The replica side: the link to our master. Redis 7.0's state machine (connectWithMaster,
 * syncWithMaster, readSyncBulkPayload): connect, handshake (PING, AUTH, REPLCONF), PSYNC, then
 * either load a full RDB (`$<len>` or `$EOF:<mark>`) or continue after +CONTINUE, and apply the
 * command stream, counting offsets exactly as Redis does and forwarding the very bytes applied to
 * our own backlog and replicas (so chained replicas share offsets, PSYNC2).
 */
import { renameSync, unlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { MasterClient } from '../core/host.js';
import { strerror } from '../lib/errno.js';
import { FileSink, fsyncDir } from '../persistence/file-sink.js';
import type { LoadStats, RdbLoad } from '../persistence/rdb-load.js';
import { encodeCommand } from '../protocol/resp-reader.js';
import { Database } from '../store/database.js';
import { Backlog } from './backlog.js';
import { type HandshakeOwner, LinkHandshake } from './link-handshake.js';
import type { Replication } from './replication.js';
import { StreamApply } from './stream-apply.js';

export type LinkState = 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

const EOF_MARK_SIZE = 40;
const EMPTY = Buffer.alloc(0);
/** A diskless load stops reading the socket while this much payload waits to be parsed. */
const LOAD_HIGH_WATER = 16 * 1024 * 1024;

/** repl-diskless-load on-empty-db / swapdb: the RDB goes from the socket straight to the parser. */
interface DisklessLoad {
  load: RdbLoad;
  /** swapdb: the databases being loaded, swapped with the live ones on success; null: live dbs. */
  tempDbs: Database[] | null;
  /** Payload bytes handed to the parser. */
  fed: number;
}

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
  private handshake: LinkHandshake | null = null;
  // Transfer
  private eofMark: string | null = null;
  /** EOF-mark transfers: the last bytes received, which may be the start of the end mark. */
  private held: Buffer = EMPTY;
  /** The whole payload arrived (what follows is the command stream). */
  private transferDone = false;
  private fullSyncReplid = '';
  private fullSyncOffset = 0;
  private pendingStream: Buffer[] = [];
  private loadingRdb = false;
  private preambleBuf = '';
  /** Disk-based load: the payload goes to temp-<unix-time>.<pid>.rdb, loaded from there once complete. */
  private fileSink: FileSink | null = null;
  private tempFile = '';
  /** Diskless load (repl-diskless-load): the parser fed from the socket. */
  private diskless: DisklessLoad | null = null;
  /** Reading from the master is paused: the file or the parser has too much queued. */
  private inputPaused = false;
  /** A load from this link still running (possibly after the link dropped): no reconnection before it ends. */
  private activeLoad: Promise<void> | null = null;
  /** A diskless load that parsed the whole RDB waits here for the end of the transfer. */
  private transferWaiter: (() => void) | null = null;
  private lastNewline = 0;
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
    this.held = EMPTY;
    this.pendingStream = [];
    this.loadingRdb = false;
    this.inputPaused = false;
    // A transfer cut short: the temp file goes, a diskless load fails (and cleans up after itself).
    this.fileSink?.abort();
    this.fileSink = null;
    this.diskless?.load.abort(new Error('connection with the master lost'));
    this.diskless = null;
    this.wakeTransferWaiter();
    this.stream?.close();
    this.stream = null;
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
    // Reads land in one buffer owned by the link (no allocation per read, no stream machinery):
    // what is kept past the read is copied (keepPastRead, the parser's preserve).
    const socket = connect({
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
    socket.once('connect', () => {
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
      this.transferDone = false;
      this.held = EMPTY;
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
    if (this.state === 'handshake') {
      this.handshake?.feed(chunk);
      return;
    }
    if (this.state === 'transfer') {
      // Stream bytes arriving while we load are kept; the link counts as up only once loaded.
      if (this.transferDone) this.pendingStream.push(chunk);
      else this.onTransferData(chunk);
      return;
    }
    if (this.state === 'connected') this.onStreamData(chunk);
  }

  /** Redis's useDisklessLoad: repl-diskless-load swapdb, or on-empty-db with no key at all. */
  private useDisklessLoad(): boolean {
    const mode = this.server.config.str('repl-diskless-load');
    return mode === 'swapdb' || (mode === 'on-empty-db' && this.server.keyspace.keyCount === 0);
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
      if (line[0] !== '$') {
        this.fail(
          `Bad protocol from MASTER, the first byte is not '$' (we received '${line}'), are you sure the host and port are right?`,
        );
        return;
      }
      const diskless = this.useDisklessLoad();
      const target = diskless ? 'to parser' : 'to disk';
      if (line.startsWith('$EOF:') && line.length === 5 + EOF_MARK_SIZE) {
        this.eofMark = line.slice(5);
        this.transferSize = 0;
        this.log('notice', `MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${target}`);
      } else {
        this.transferSize = Number(line.slice(1));
        this.log(
          'notice',
          `MASTER <-> REPLICA sync: receiving ${this.transferSize} bytes from master ${target}`,
        );
      }
      if (!(diskless ? this.startDisklessLoad() : this.openTempFile())) return;
      data = Buffer.from(combined.slice(nl + 2), 'latin1');
    }
    if (this.eofMark !== null) {
      // The end mark may straddle reads: look for it in the held-back tail plus the new bytes (no
      // re-scanning of what arrived before, so a large transfer stays linear).
      const window = this.held.length > 0 ? Buffer.concat([this.held, data]) : data;
      const markAt = window.indexOf(this.eofMark, 0, 'latin1');
      if (markAt >= 0) {
        this.held = EMPTY;
        this.payload(window.subarray(0, markAt));
        this.transferComplete(window.subarray(markAt + EOF_MARK_SIZE));
        return;
      }
      const keep = Math.min(EOF_MARK_SIZE - 1, window.length);
      this.held = Buffer.from(window.subarray(window.length - keep));
      this.payload(window.subarray(0, window.length - keep));
      return;
    }
    const need = this.transferSize - this.transferRead;
    this.payload(data.subarray(0, need));
    if (this.transferRead >= this.transferSize) this.transferComplete(data.subarray(need));
  }

  /** Opens temp-<unix-time>.<pid>.rdb (Redis's name) for a disk-based load. */
  private openTempFile(): boolean {
    const persistence = this.repl.persistence;
    const name = `temp-${Math.floor(Date.now() / 1000)}.${process.pid}.rdb`;
    const path = resolvePath(persistence.dir, name);
    try {
      this.fileSink = new FileSink(path, null);
    } catch (e) {
      this.lastError = `cannot write the RDB received from the master in '${persistence.dir}': ${strerror(e)}`;
      this.fail(`Opening the temp file needed for MASTER <-> REPLICA synchronization: ${strerror(e)}`);
      return false;
    }
    this.tempFile = path;
    return true;
  }

  /** Bytes of the RDB payload: to the temp file or the parser, pausing the socket when they lag. */
  private payload(data: Buffer): void {
    if (data.length === 0) return;
    this.transferRead += data.length;
    const sink = this.fileSink;
    if (sink !== null) {
      let more: boolean;
      try {
        more = sink.write([data]);
      } catch (e) {
        this.lastError = `writing the RDB received from the master failed: ${strerror(e)}`;
        this.fail(
          `Write error or short write writing to the DB dump file needed for MASTER <-> REPLICA synchronization: ${strerror(e)}`,
        );
        return;
      }
      if (!more) this.pauseInputUntil(sink.drain());
      return;
    }
    const dl = this.diskless;
    if (dl === null) return;
    dl.fed += data.length;
    dl.load.push(data);
    if (dl.load.buffered >= LOAD_HIGH_WATER) this.pauseInputUntil(dl.load.waitForRoom(LOAD_HIGH_WATER));
  }

  /** Stops reading from the master until `ready` settles (backpressure from the file or the parser). */
  private pauseInputUntil(ready: Promise<void>): void {
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

  /** The whole RDB arrived; `rest` is the start of the command stream. */
  private transferComplete(rest: Buffer): void {
    this.transferDone = true;
    this.wakeTransferWaiter();
    if (rest.length > 0) this.pendingStream.push(Buffer.from(rest));
    const eofMode = this.eofMark !== null;
    if (this.diskless !== null) {
      this.diskless.load.endInput();
      return;
    }
    this.trackLoad(this.loadFromDisk(eofMode));
  }

  private wakeTransferWaiter(): void {
    const w = this.transferWaiter;
    this.transferWaiter = null;
    w?.();
  }

  private trackLoad(task: Promise<void>): void {
    const done = task.finally(() => {
      if (this.activeLoad === done) this.activeLoad = null;
    });
    this.activeLoad = done;
    done.catch(() => {});
  }

  /**
   * What Redis does before loading a master's RDB over our data: no background save may finish
   * after the load (it would overwrite the new file with old data), our replicas and backlog go
   * (they follow a history we leave), the old data is emptied, and no partial resync is possible
   * from what we held.
   */
  private prepareForLoad(flush: boolean): void {
    const server = this.server;
    const persistence = this.repl.persistence;
    if (persistence.bgsaveInProgress) {
      this.log(
        'notice',
        `Replica is about to load the RDB file received from the master, but there is a pending RDB child running. Killing process ${process.pid} and removing its temp file to avoid any race`,
      );
      persistence.abortBgsave('replica about to load the RDB from its master');
    }
    // The AOF stops too (a rewrite running now would install the old data); it restarts with a
    // rewrite of the new data set once loaded.
    persistence.aof.stopForSync();
    const repl = this.repl;
    repl.master.abortSyncs();
    repl.master.disconnectReplicas();
    repl.backlog = null;
    repl.canPartialResync = false;
    if (flush) {
      this.log('notice', 'MASTER <-> REPLICA sync: Flushing old data');
      server.keyspace.flushAll();
    }
  }

  /** Disk-based load: fsync the temp file, load it chunk by chunk, then rename it over dbfilename. */
  private async loadFromDisk(eofMode: boolean): Promise<void> {
    const persistence = this.repl.persistence;
    const socket = this.socket;
    const sink = this.fileSink;
    const temp = this.tempFile;
    if (sink === null) return;
    // The file is this load's now: a teardown from here on must not abort it under our feet.
    this.fileSink = null;
    this.loadingRdb = true;
    try {
      await sink.finish();
    } catch (e) {
      removeQuietly(temp);
      if (this.socket !== socket) return;
      this.lastError = `cannot write the RDB received from the master: ${strerror(e)}`;
      this.fail(
        `Failed trying to sync the temp DB to disk in MASTER <-> REPLICA synchronization: ${strerror(e)}`,
      );
      return;
    }
    if (this.socket !== socket || this.closed) {
      removeQuietly(temp);
      return;
    }
    this.prepareForLoad(true);
    this.log('notice', 'MASTER <-> REPLICA sync: Loading DB in memory');
    let stats: LoadStats;
    try {
      stats = await persistence.loadRdbFile(temp);
    } catch (e) {
      removeQuietly(temp);
      persistence.reportLoadError(e);
      this.loadFailed(
        socket,
        `Failed trying to load the MASTER synchronization DB from disk: ${loadReason(e)}`,
      );
      return;
    }
    persistence.finishRdbLoad(stats);
    // Like Redis, the replica keeps the master's snapshot as its own dump file; only a file that
    // loaded replaces the previous one.
    try {
      renameSync(temp, persistence.rdbPath);
      fsyncDir(persistence.rdbPath);
    } catch (e) {
      removeQuietly(temp);
      this.log(
        'warning',
        `Failed trying to rename the temp DB into ${persistence.rdbPath} in MASTER <-> REPLICA synchronization: ${strerror(e)}`,
      );
    }
    this.syncLoaded(socket, eofMode);
  }

  /**
   * A load failed: the half-loaded data set must not be served (Redis empties it), and the link
   * starts over with a full sync.
   */
  private loadFailed(socket: Socket | null, message: string): void {
    this.log('warning', message);
    this.log('notice', 'MASTER <-> REPLICA sync: Discarding the half-loaded data');
    this.server.keyspace.flushAll();
    this.repl.canPartialResync = false;
    this.loadingRdb = false;
    if (this.socket !== socket) return;
    this.lastError =
      'the RDB received from the master could not be loaded (see the log); the data set was emptied';
    this.fail(null);
  }

  /** repl-diskless-load: parse the payload as it arrives, into the live dbs or (swapdb) temporary ones. */
  private startDisklessLoad(): boolean {
    const server = this.server;
    const swapdb = server.config.str('repl-diskless-load') === 'swapdb';
    const ks = server.keyspace;
    let tempDbs: Database[] | null = null;
    if (swapdb) tempDbs = ks.dbs.map((db) => new Database(db.id, ks));
    else this.prepareForLoad(true);
    const load = this.repl.persistence.loadRdbStream(tempDbs !== null ? { dbs: tempDbs } : {});
    const dl: DisklessLoad = { load, tempDbs, fed: 0 };
    this.diskless = dl;
    this.trackLoad(this.loadFromSocket(dl, this.eofMark !== null));
    return true;
  }

  private async loadFromSocket(dl: DisklessLoad, eofMode: boolean): Promise<void> {
    const server = this.server;
    const persistence = this.repl.persistence;
    const socket = this.socket;
    this.loadingRdb = true;
    this.log('notice', 'MASTER <-> REPLICA sync: Loading DB in memory');
    let stats: LoadStats;
    try {
      stats = await persistence.withLoading(
        Math.max(0, this.transferSize),
        () => dl.load.position,
        () => dl.load.run(),
      );
      // The parser reached the RDB's end: the payload must end there too (then comes the mark).
      if (this.socket === socket && !this.transferDone) {
        await new Promise<void>((resolve) => {
          this.transferWaiter = resolve;
        });
      }
      if (this.socket !== socket || this.diskless !== dl) throw new Error('connection with the master lost');
      if (dl.fed !== stats.end) throw new Error('Replication stream EOF marker is broken');
    } catch (e) {
      if (this.diskless === dl) this.diskless = null;
      if (!/connection with the master lost/.test((e as Error).message)) persistence.reportLoadError(e);
      const message = `Failed trying to load the MASTER synchronization DB from socket: ${loadReason(e)}`;
      if (dl.tempDbs !== null) {
        // swapdb: our data never changed; only the temporary databases go.
        this.log('warning', message);
        this.log('notice', 'MASTER <-> REPLICA sync: Discarding temporary DB in background');
        this.loadingRdb = false;
        if (this.socket === socket) {
          this.lastError = 'the RDB received from the master could not be loaded (see the log)';
          this.fail(null);
        }
        return;
      }
      this.loadFailed(socket, message);
      return;
    }
    if (this.diskless === dl) this.diskless = null;
    persistence.finishRdbLoad(stats);
    if (dl.tempDbs !== null) {
      this.prepareForLoad(false);
      this.log('notice', 'MASTER <-> REPLICA sync: Swapping active DB with loaded DB');
      const live = server.keyspace.dbs;
      for (let i = 0; i < live.length; i++) {
        live[i].touchAll(dl.tempDbs[i]);
        live[i].swapWith(dl.tempDbs[i]);
      }
      this.log('notice', 'MASTER <-> REPLICA sync: Discarding old DB in background');
    }
    // Nothing was saved: the data set changed without a save (Redis's server.dirty++).
    server.dirty++;
    this.syncLoaded(socket, eofMode);
  }

  /** The master's RDB is our data now: take its history, then (if the link is still up) its stream. */
  private syncLoaded(socket: Socket | null, eofMode: boolean): void {
    const repl = this.repl;
    const server = this.server;
    this.loadingRdb = false;
    if (this.closed) return;
    // Even if the link dropped meanwhile, the data is the master's at fullSyncOffset: PSYNC from there.
    repl.replid = this.fullSyncReplid;
    repl.replid2 = '0000000000000000000000000000000000000000';
    repl.secondReplOffset = -1;
    repl.offset = this.fullSyncOffset;
    repl.backlog = new Backlog(server.config.num('repl-backlog-size'), repl.offset);
    repl.canPartialResync = true;
    this.repl.persistence.aof.restartAfterSync();
    if (socket === null || this.socket !== socket) return;
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
    const remote = socket
      ? `${socket.remoteAddress?.replace(/^::ffff:/, '') ?? this.host}:${socket.remotePort ?? this.port}`
      : '';
    const local = socket
      ? `${socket.localAddress?.replace(/^::ffff:/, '') ?? ''}:${socket.localPort ?? 0}`
      : '';
    this.stream = new StreamApply(this.repl, remote, local, this.readBuffer, (message) => this.fail(message));
    this.state = 'connected';
    this.downSince = 0;
    this.lastError = '';
    this.lastHintCode = '';
    this.loadingRdb = false;
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
    if (this.state === 'transfer' && this.loadingRdb && now - this.lastNewline >= 1000) {
      // Like Redis while it loads: a newline now and then tells the master we are alive.
      this.socket?.write('\n');
      this.lastNewline = now;
    }
    if (
      this.state === 'transfer' &&
      !this.transferDone &&
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

function removeQuietly(path: string): void {
  if (path === '') return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** Why a load failed, in one line. */
function loadReason(e: unknown): string {
  const err = e as Error & { detail?: string };
  return err.detail ?? err.message ?? String(e);
}
