/**
 * The master side of replication: SYNC/PSYNC (partial resync from the backlog or a full sync),
 * REPLCONF from replicas, full syncs through a background snapshot (written to disk then sent as
 * `$<len>`, or streamed diskless as `$EOF:<mark>`), feeding the stream to replicas, and the limits
 * that keep a slow replica from using unbounded memory.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type { ClientConnection, CommandContext } from '../core/context.js';
import type { OutputBufferLimit } from '../core/output-limit.js';
import { FileSink } from '../persistence/file-sink.js';
import type { SnapshotRunner } from '../persistence/snapshot.js';
import { newReplicationId } from './backlog.js';
import { ReplicaState } from './replica-state.js';
import type { Replication } from './replication.js';
import { SocketSink, type TransferTarget } from './socket-sink.js';

/** REPLCONF fields a replica sends before PSYNC. */
interface Announced {
  listeningPort: number;
  ip: string;
  capaEof: boolean;
  capaPsync2: boolean;
}

interface FullSyncJob {
  kind: 'disk' | 'socket';
  replicas: Set<ReplicaState>;
  runner: SnapshotRunner;
  offset: number;
}

/** A disk-based transfer reads the RDB file in chunks of this size… */
const RDB_CHUNK = 256 * 1024;
/** …and stops reading while this much is queued in the replica's socket. */
const RDB_SOCKET_HIGH_WATER = 1024 * 1024;

export class MasterSide {
  /** Replica connections by client id. */
  readonly replicas = new Map<number, ReplicaState>();
  /** What REPLCONF announced, per connection, until its SYNC/PSYNC. */
  private readonly announced = new WeakMap<ClientConnection, Announced>();
  private job: FullSyncJob | null = null;
  /** Replicas waiting for the next full sync (diskless delay, or a snapshot already running). */
  private waiting = new Set<ReplicaState>();
  private waitingSince = 0;

  constructor(private readonly repl: Replication) {}

  private get server() {
    return this.repl.server;
  }

  private log(level: 'notice' | 'warning' | 'verbose', message: string): void {
    this.server.log(level, message);
  }

  // ---------------------------------------------------------------------------------------------
  // REPLCONF, SYNC, PSYNC
  // ---------------------------------------------------------------------------------------------

  /** REPLCONF <option> <value> ... from a replica (or a client about to become one). */
  replconf(c: CommandContext, argv: string[]): void {
    if (argv.length % 2 === 0) {
      c.reply.error('ERR syntax error');
      return;
    }
    const info = this.announced.get(c.connection) ?? {
      listeningPort: 0,
      ip: '',
      capaEof: false,
      capaPsync2: false,
    };
    for (let j = 1; j < argv.length; j += 2) {
      const option = argv[j].toLowerCase();
      const value = argv[j + 1];
      if (option === 'listening-port') {
        const port = Number(value);
        if (!/^\d+$/.test(value) || port > 65535) {
          c.reply.error('ERR value is not an integer or out of range');
          return;
        }
        info.listeningPort = port;
        const r = this.replicas.get(c.id);
        if (r) r.listeningPort = port;
      } else if (option === 'ip-address') {
        if (value.length > 46) {
          c.reply.error(
            `ERR REPLCONF ip-address provided by replica instance is too long: ${value.length} bytes`,
          );
          return;
        }
        info.ip = value;
      } else if (option === 'capa') {
        if (value.toLowerCase() === 'eof') info.capaEof = true;
        else if (value.toLowerCase() === 'psync2') info.capaPsync2 = true;
      } else if (option === 'ack') {
        // Replicas send ACK without expecting a reply.
        const r = this.replicas.get(c.id);
        if (r !== undefined) this.onAck(r, value);
        return;
      } else if (option === 'getack') {
        // Only meaningful from a master to its replica (handled by the replica link).
        if (this.repl.link !== null && this.repl.link.masterClient?.id === c.id) this.repl.link.sendAck();
        return;
      } else if (option === 'rdb-only' || option === 'rdb-filter-only') {
        // Accepted: used by redis-cli --rdb; tsredis always sends the full dataset.
      } else {
        c.reply.error(`ERR Unrecognized REPLCONF option: ${argv[j]}`);
        return;
      }
    }
    this.announced.set(c.connection, info);
    c.reply.ok();
  }

  private onAck(r: ReplicaState, value: string): void {
    const offset = Number(value);
    if (!Number.isFinite(offset)) return;
    if (offset > r.ackOffset) r.ackOffset = offset;
    r.ackTime = Date.now();
    if (r.awaitingFirstAck) {
      // Diskless: the replica loaded the RDB; now it can take the stream.
      r.awaitingFirstAck = false;
      this.flushBuffered(r);
    }
    this.repl.onAck();
  }

  /** SYNC (old replicas) and PSYNC <replid> <offset>. */
  sync(c: CommandContext, argv: string[]): void {
    if (this.replicas.has(c.id)) return;
    const isPsync = argv[0].toLowerCase() === 'psync';
    if (isPsync && argv.length > 3 && argv[3].toLowerCase() === 'failover') {
      // Our master hands over to us (FAILOVER): become a master, then answer its PSYNC.
      if (argv[1] !== this.repl.replid) {
        c.reply.error('ERR PSYNC FAILOVER replid must match my replid.');
        return;
      }
      this.repl.unsetMaster(null);
      this.log('notice', `MASTER MODE enabled (failover request from '${c.connection.describe()}')`);
    }
    if (this.repl.failoverState !== 'no-failover') {
      c.reply.error("NOMASTERLINK Can't SYNC while failing over");
      return;
    }
    const link = this.repl.link;
    if (link !== null && link.state !== 'connected') {
      c.reply.error("NOMASTERLINK Can't SYNC while not connected with my master");
      return;
    }
    if (c.connection.pendingReplies > 0) {
      c.reply.error('ERR SYNC and PSYNC are invalid with pending output');
      return;
    }
    const info = this.announced.get(c.connection) ?? {
      listeningPort: 0,
      ip: '',
      capaEof: false,
      capaPsync2: false,
    };
    const r = new ReplicaState(c.connection, this.repl.stats);
    r.listeningPort = info.listeningPort;
    r.announcedIp = info.ip;
    r.capaEof = info.capaEof;
    r.capaPsync2 = info.capaPsync2;
    this.log('notice', `Replica ${r.name} asks for synchronization`);
    if (isPsync && this.tryPartialResync(c, r, argv[1], argv[2])) return;
    this.repl.stats.syncFull++;
    if (isPsync && argv[1] === '?') this.log('notice', `Full resync requested by replica ${r.name}`);
    c.connection.markReplica();
    this.replicas.set(c.id, r);
    r.isPsync = isPsync;
    this.repl.ensureBacklog();
    this.startOrAttachFullSync(r, isPsync);
  }

  /** Redis's masterTryPartialResynchronization. */
  private tryPartialResync(c: CommandContext, r: ReplicaState, replid: string, offsetArg: string): boolean {
    const repl = this.repl;
    const offset = Number(offsetArg);
    if (!/^-?\d+$/.test(offsetArg)) return false;
    if (replid !== repl.replid && (replid !== repl.replid2 || offset > repl.secondReplOffset)) {
      if (replid !== '?') {
        if (replid !== repl.replid && replid !== repl.replid2) {
          this.log(
            'notice',
            `Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${repl.replid}' and '${repl.replid2}')`,
          );
        } else {
          this.log(
            'notice',
            `Partial resynchronization not accepted: Requested offset for second ID was ${offset}, but I can reply up to ${repl.secondReplOffset}`,
          );
        }
        repl.stats.syncPartialErr++;
      }
      return false;
    }
    const backlog = repl.backlog;
    if (backlog === null || offset < backlog.firstByteOffset || offset > repl.offset + 1) {
      this.log(
        'notice',
        `Unable to partial resync with replica ${r.name} for lack of backlog (Replica request was: ${offset}).`,
      );
      if (offset > repl.offset) {
        this.log(
          'warning',
          `Warning: replica ${r.name} tried to PSYNC with an offset that is greater than the master replication offset.`,
        );
      }
      repl.stats.syncPartialErr++;
      return false;
    }
    // Queued stream bytes are in the backlog already: send them to the others first.
    this.repl.flushStream();
    c.connection.markReplica();
    r.state = 'online';
    r.ackTime = Date.now();
    this.replicas.set(c.id, r);
    r.send(Buffer.from(r.capaPsync2 ? `+CONTINUE ${repl.replid}\r\n` : '+CONTINUE\r\n', 'latin1'));
    const missing = backlog.readFrom(offset);
    if (missing.length > 0) r.send(missing);
    this.log(
      'notice',
      `Partial resynchronization request from ${r.name} accepted. Sending ${missing.length} bytes of backlog starting from offset ${offset}.`,
    );
    repl.stats.syncPartialOk++;
    this.repl.onAck();
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Full syncs
  // ---------------------------------------------------------------------------------------------

  private startOrAttachFullSync(r: ReplicaState, isPsync: boolean): void {
    const diskless = this.server.config.bool('repl-diskless-sync') && r.capaEof;
    const job = this.job;
    if (job !== null && job.kind === 'disk' && !diskless) {
      // Share the snapshot being written: the new replica gets the same RDB plus the stream since.
      const peer = [...job.replicas][0];
      if (peer !== undefined) {
        this.repl.flushStream();
        this.log('notice', 'Waiting for end of BGSAVE for SYNC');
        this.beginStreamBuffering(r, job.offset, isPsync);
        r.buffered = [...peer.buffered];
        r.bufferedBytes = peer.bufferedBytes;
        job.replicas.add(r);
        return;
      }
    }
    if (this.waiting.size === 0) this.waitingSince = Date.now();
    this.waiting.add(r);
    if (job !== null) {
      this.log('notice', "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC");
      return;
    }
    if (!diskless || this.server.config.num('repl-diskless-sync-delay') === 0) this.startFullSync();
    else this.maybeStartDiskless();
  }

  /** Diskless syncs wait repl-diskless-sync-delay seconds (or for enough replicas) to batch. */
  private maybeStartDiskless(): void {
    if (this.job !== null || this.waiting.size === 0) return;
    const delay = this.server.config.num('repl-diskless-sync-delay') * 1000;
    const max = this.server.config.num('repl-diskless-sync-max-replicas');
    if ((max > 0 && this.waiting.size >= max) || Date.now() - this.waitingSince >= delay)
      this.startFullSync();
  }

  /** The replica gets +FULLRESYNC and, from now on, the stream is kept for it until the RDB is sent. */
  private beginStreamBuffering(r: ReplicaState, offset: number, isPsync: boolean): void {
    if (isPsync) r.send(Buffer.from(`+FULLRESYNC ${this.repl.replid} ${offset}\r\n`, 'latin1'));
    r.buffered = [];
    r.bufferedBytes = 0;
    r.syncing = true;
  }

  private startFullSync(): void {
    // The snapshot stands for the stream up to here: flush what is pending first.
    this.repl.flushStream();
    const replicas = [...this.waiting].filter((r) => !r.client.closed);
    this.waiting.clear();
    if (replicas.length === 0) return;
    const persistence = this.repl.persistence;
    const diskless = this.server.config.bool('repl-diskless-sync') && replicas.every((r) => r.capaEof);
    const offset = this.repl.offset;
    for (const r of replicas) this.beginStreamBuffering(r, offset, r.isPsync);
    // The next command in the stream must carry a SELECT (the replicas know no db yet).
    this.repl.selectedDb = -1;
    const replAux = [
      ['repl-stream-db', '0'],
      ['repl-id', this.repl.replid],
      ['repl-offset', String(offset)],
    ] as const;
    const set = new Set(replicas);
    let runner: SnapshotRunner;
    if (diskless) {
      this.log('notice', 'Starting BGSAVE for SYNC with target: replicas sockets');
      const mark = newReplicationId();
      const targets = replicas.map((r) => transferTarget(r));
      const sink = new SocketSink(targets, mark, () =>
        this.job?.runner.abort(new Error('all replicas gone')),
      );
      runner = persistence.startSnapshot({ sink, replAux });
      this.log('notice', 'Background RDB transfer started');
    } else {
      this.log('notice', 'Starting BGSAVE for SYNC with target: disk');
      const final = persistence.rdbPath;
      const temp = resolvePath(persistence.dir, `temp-${process.pid}-sync.rdb`);
      let sink: FileSink;
      try {
        sink = new FileSink(temp, final);
      } catch (e) {
        this.log('warning', `Can't save in background: ${(e as Error).message}`);
        for (const r of replicas) this.dropReplica(r, 'BGSAVE for replication failed');
        return;
      }
      runner = persistence.startSnapshot({ sink, replAux });
      this.log('notice', 'Background saving started');
    }
    const job: FullSyncJob = { kind: diskless ? 'socket' : 'disk', replicas: set, runner, offset };
    this.job = job;
    void runner.done.then((outcome) => this.fullSyncDone(job, outcome.ok, outcome.error));
  }

  private async fullSyncDone(job: FullSyncJob, ok: boolean, error?: Error): Promise<void> {
    this.job = null;
    const replicas = [...job.replicas].filter(
      (r) => !r.client.closed && this.replicas.get(r.client.id) === r,
    );
    if (!ok) {
      this.log(
        'warning',
        `Background ${job.kind === 'disk' ? 'saving' : 'RDB transfer'} error: ${error?.message ?? 'failed'}`,
      );
      for (const r of replicas) this.dropReplica(r, 'full sync failed');
    } else if (job.kind === 'socket') {
      this.log('notice', 'Background RDB transfer terminated with success');
      for (const r of replicas) {
        this.log(
          'notice',
          `Streamed RDB transfer with replica ${r.name} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming`,
        );
        r.state = 'online';
        r.awaitingFirstAck = true;
        r.ackTime = Date.now();
        this.log('notice', `Synchronization with replica ${r.name} succeeded`);
      }
    } else {
      this.log('notice', 'Background saving terminated with success');
      // Each replica gets the file read chunk by chunk as its socket drains (never the whole file
      // in memory); the descriptor keeps this very file even if a later save replaces it.
      let fh: FileHandle;
      let size: number;
      try {
        fh = await open(this.repl.persistence.rdbPath, 'r');
        size = (await fh.stat()).size;
      } catch (e) {
        this.log('warning', `SYNC failed. Can't open/stat DB after BGSAVE: ${(e as Error).message}`);
        for (const r of replicas) this.dropReplica(r, 'RDB unreadable');
        this.afterSync();
        return;
      }
      const sends = replicas.map((r) =>
        this.sendRdbFile(r, fh, size).catch((e: Error) => {
          if (!r.client.closed) this.dropReplica(r, `sending the RDB failed: ${e.message}`);
        }),
      );
      void Promise.all(sends).finally(() => fh.close().catch(() => {}));
    }
    this.afterSync();
  }

  private afterSync(): void {
    // Replicas that arrived during this sync get the next one.
    if (this.waiting.size > 0) {
      this.waitingSince = Date.now();
      const diskless = this.server.config.bool('repl-diskless-sync');
      if (!diskless || this.server.config.num('repl-diskless-sync-delay') === 0) this.startFullSync();
    }
  }

  /** Sends the RDB file as `$<len>\r\n<payload>` with backpressure, then puts the replica online. */
  private async sendRdbFile(r: ReplicaState, fh: FileHandle, size: number): Promise<void> {
    const socket = r.client.socket;
    if (socket === null) return;
    r.state = 'send_bulk';
    r.sendRdb(Buffer.from(`$${size}\r\n`, 'latin1'));
    let pos = 0;
    while (pos < size) {
      if (r.client.closed) return;
      const chunk = Buffer.allocUnsafe(Math.min(RDB_CHUNK, size - pos));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
      if (bytesRead === 0) throw new Error(`the RDB file ended at ${pos} of ${size} bytes`);
      pos += bytesRead;
      if (r.client.closed) return;
      r.sendRdb(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
      if (socket.writableLength > RDB_SOCKET_HIGH_WATER) await drained(socket, RDB_SOCKET_HIGH_WATER / 2);
    }
    // Online once the whole payload left: what follows is the stream kept meanwhile.
    await r.rdbFlushed();
    if (r.client.closed || this.replicas.get(r.client.id) !== r) return;
    r.state = 'online';
    r.ackTime = Date.now();
    this.log('notice', `Synchronization with replica ${r.name} succeeded`);
    this.flushBuffered(r);
  }

  /** Sends what the replica missed while syncing, then it takes the live stream. */
  private flushBuffered(r: ReplicaState): void {
    this.repl.flushStream();
    const data = r.buffered;
    r.buffered = [];
    r.bufferedBytes = 0;
    r.syncing = false;
    if (data.length > 0) r.send(Buffer.concat(data));
  }

  private dropReplica(r: ReplicaState, why: string): void {
    this.log('warning', `Closing replica ${r.name}: ${why}`);
    r.client.close();
  }

  /** The server is exiting: replica connections close silently. */
  exiting = false;

  abortSyncs(): void {
    this.job?.runner.abort(new Error('replication role changed'));
    this.job = null;
    this.waiting.clear();
  }

  /** Disconnects every replica (they reconnect and resync). */
  disconnectReplicas(): void {
    for (const r of [...this.replicas.values()]) r.client.close();
  }

  /** A connection closed (events.clientClosed): if it was a replica's, forget it. */
  onClientClosed(id: number): void {
    const r = this.replicas.get(id);
    if (r === undefined) return;
    this.replicas.delete(id);
    r.releaseFlushWaiters();
    this.waiting.delete(r);
    this.job?.replicas.delete(r);
    if (!this.exiting) this.log('warning', `Connection with replica ${r.name} lost.`);
  }

  // ---------------------------------------------------------------------------------------------
  // Streaming
  // ---------------------------------------------------------------------------------------------

  /** A turn's worth of stream bytes: to the online replicas, kept for those still syncing. */
  distribute(data: Buffer): void {
    if (this.replicas.size === 0) return;
    const limit = this.outputLimit();
    for (const r of [...this.replicas.values()]) {
      if (r.syncing || r.awaitingFirstAck) {
        r.buffered.push(data);
        r.bufferedBytes += data.length;
      } else if (r.state === 'online') {
        r.send(data);
      } else {
        continue;
      }
      this.checkOutputLimit(r, limit);
    }
  }

  private outputLimit(): OutputBufferLimit {
    return (this.server.config.get('client-output-buffer-limit') as OutputBufferLimit[])[1];
  }

  /** client-output-buffer-limit replica: a replica too slow is disconnected (it will resync). */
  private checkOutputLimit(r: ReplicaState, limit: OutputBufferLimit): void {
    if (r.outputLimit.exceeded(r.outputBytes, limit, Date.now())) {
      this.log(
        'warning',
        `Client ${r.client.describe()} scheduled to be closed ASAP for overcoming of output buffer limits.`,
      );
      r.client.close();
    }
  }

  /**
   * Once a second: timed out replicas, newlines to replicas waiting for their RDB, limits, delayed
   * diskless syncs.
   */
  cron(): void {
    const limit = this.outputLimit();
    const timeoutMs = this.server.config.num('repl-timeout') * 1000;
    const now = Date.now();
    const diskless = this.job?.kind === 'socket' ? this.job : null;
    for (const r of [...this.replicas.values()]) {
      if (r.client.closed) continue;
      // Redis's replicationCron: an online replica silent for repl-timeout (no REPLCONF ACK, not
      // even the newlines a loading replica sends) is gone; so is one that stopped reading the RDB
      // of a diskless transfer (it would hold up every replica of that transfer).
      // Replicas of the old SYNC never send ACKs (Redis skips CLIENT_PRE_PSYNC ones too).
      if (r.state === 'online' && r.isPsync && now - r.lastHeard > timeoutMs) {
        this.log('warning', `Disconnecting timedout replica (streaming sync): ${r.name}`);
        r.client.close();
        continue;
      }
      if (diskless?.replicas.has(r) && r.rdbStalledFor(timeoutMs, now)) {
        this.log('warning', `Disconnecting timedout replica (full sync): ${r.name}`);
        r.client.close();
        continue;
      }
      const syncing = r.syncing;
      if (r.state === 'wait_bgsave' && (!syncing || this.job?.kind === 'disk')) {
        // Keeps the link alive while the RDB is produced (the replica ignores bare newlines).
        r.client.socket?.write('\n');
      }
      this.checkOutputLimit(r, limit);
    }
    if (this.job === null) this.maybeStartDiskless();
  }
}

/** A replica socket as a diskless transfer target. */
function transferTarget(r: ReplicaState): TransferTarget {
  const socket = r.client.socket;
  return {
    write: (data) => {
      r.sendRdb(data);
    },
    get backlogBytes() {
      // Only the RDB is written to the socket during the transfer (the stream is kept aside).
      return r.rdbQueued;
    },
    get gone() {
      return r.client.closed;
    },
    onDrain(fn) {
      if (socket === null) {
        fn();
        return;
      }
      let called = false;
      const once = () => {
        if (called) return;
        called = true;
        socket.off('drain', once);
        socket.off('close', once);
        fn();
      };
      socket.on('drain', once);
      socket.on('close', once);
    },
  };
}

/** Resolves once the socket holds at most `threshold` unsent bytes, or closed. */
function drained(socket: Socket, threshold: number): Promise<void> {
  if (socket.writableLength <= threshold || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (socket.writableLength > threshold && !socket.destroyed) return;
      socket.off('drain', check);
      socket.off('close', check);
      resolve();
    };
    socket.on('drain', check);
    socket.on('close', check);
  });
}
