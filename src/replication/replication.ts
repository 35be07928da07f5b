/**
 * Replication state shared by both roles (Redis's replication.c, split by side): replication ids
 * and offsets, the backlog, the stream fed to replicas, INFO replication and ROLE, WAIT, and the
 * periodic replication cron. The master side (serving SYNC/PSYNC) is in master-side.ts, the replica
 * side (the link to our master) in replica-link.ts.
 */

import type { CommandContext, ReplicationControl, ReplicationCounters, RoleInfo } from '../core/context.js';
import type { PropagatedOp } from '../core/events.js';
import type { Host } from '../core/host.js';
import { ReplTarget } from '../core/scripting.js';
import type { Persistence } from '../persistence/manager.js';
import { RespWriter } from '../protocol/reply.js';
import { AckWaits } from './ack-waits.js';
import { Backlog, newReplicationId } from './backlog.js';
import { Failover, type FailoverState } from './failover.js';
import { MasterSide } from './master-side.js';
import { MasterLink } from './replica-link.js';
import type { ReplicaState } from './replica-state.js';
import { infoFieldsOf, roleOf } from './replication-info.js';
import { waitForReplicas } from './shutdown-wait.js';

const NULL_REPLID = '0000000000000000000000000000000000000000';
/**
 * Under a stream of small writes, a turn's end sends the stream only if this much is pending or
 * the last send was FLUSH_INTERVAL_MS ago; otherwise a timer sends it at that point. Each send
 * wakes every replica (tens of µs of CPU per wake in Node), so a busy master sends at most about
 * once a millisecond; an idle master's write still goes out at the end of its turn.
 */
const FLUSH_BYTES = 4096;
const FLUSH_INTERVAL_MS = 1;

export class Replication implements ReplicationControl {
  replid = newReplicationId();
  replid2 = NULL_REPLID;
  /** Offset up to which replid2 is valid (second_repl_offset), -1 if none. */
  secondReplOffset = -1;
  /** master_repl_offset: bytes of replication stream produced (or applied, on a replica). */
  offset = 0;
  backlog: Backlog | null = null;
  /** Db of the last SELECT written to the stream (-1: emit SELECT before the next command). */
  selectedDb = -1;
  readonly master: MasterSide;
  /** The link to our master when we are a replica (replicaof set). */
  link: MasterLink | null = null;
  /** A replica that had data from a master (or loaded replication info) can try PSYNC. */
  canPartialResync = false;
  /** Replicas considered good for min-replicas-to-write. */
  goodReplicas = 0;
  /** FAILOVER's state machine (failover.ts). */
  readonly failover: Failover;
  /** INFO stats counters (sync_full, sync_partial_ok, …). */
  readonly stats: ReplicationCounters = {
    syncFull: 0,
    syncPartialOk: 0,
    syncPartialErr: 0,
    netReplInputBytes: 0,
    netReplOutputBytes: 0,
    backlogMemory: 0,
    replicaClientsMemory: 0,
  };
  private readonly acks = new AckWaits(this);
  /** Stream bytes produced and counted, not yet in the backlog nor sent (see flushStream). */
  private readonly stream = new RespWriter(64 * 1024);
  private flushScheduled = false;
  /** A timer will send the pending stream (see FLUSH_INTERVAL_MS). */
  private flushTimerArmed = false;
  private lastFlushAt = 0;
  /** Client bytes propagated but not yet copied: runSource[runStart, runEnd) (see writeRaw). */
  private runSource: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  /** min-replicas-to-write, kept current: read on every write. */
  private minReplicasToWrite = 0;
  /** When the last replica went away (for repl-backlog-ttl), ms; 0 while replicas are attached. */
  private noReplicasSince = 0;
  private cronTimer: NodeJS.Timeout | null = null;
  private cronTicks = 0;

  constructor(
    readonly server: Host,
    readonly persistence: Persistence,
  ) {
    this.master = new MasterSide(this);
    this.failover = new Failover(this);
    server.events.clientClosed.on((id) => this.master.onClientClosed(id));
    server.events.onPropagate({
      feed: (ops) => this.feedOps(ops),
      active: () => this.takesOps(),
      release: () => this.endRun(),
      kind: ReplTarget.replicas,
    });
    server.config.watch('repl-backlog-size', (v) => this.backlog?.resize(v as number));
    server.config.watch('min-replicas-to-write', (v) => {
      this.minReplicasToWrite = v as number;
    });
    server.events.onShutdown('replicas', (o, aborted) => waitForReplicas(this, o, aborted));
    server.events.onShutdown('exit', () => {
      // Redis exits without freeing its replicas' clients: no "Connection lost" lines.
      this.master.exiting = true;
      this.stop();
      return true;
    });
  }

  /** Starts the cron and, if configured, the link to our master. */
  start(): void {
    const target = this.server.config.get('replicaof') as { host: string; port: number } | null;
    if (target) this.setMaster(target.host, target.port, null);
    this.cronTimer = setInterval(() => this.cron(), 1000);
    this.cronTimer.unref();
  }

  stop(): void {
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    this.cronTimer = null;
    this.link?.close();
    this.master.abortSyncs();
  }

  get isReplica(): boolean {
    return this.link !== null;
  }

  get linkUp(): boolean {
    return this.link?.state === 'connected';
  }

  get masterHost(): string | null {
    return this.link?.host ?? null;
  }

  get masterPort(): number {
    return this.link?.port ?? 0;
  }

  sync(ctx: CommandContext, argv: string[]): void {
    this.master.sync(ctx, argv);
  }

  replconf(ctx: CommandContext, argv: string[]): void {
    this.master.replconf(ctx, argv);
  }

  // ---------------------------------------------------------------------------------------------
  // The stream
  // ---------------------------------------------------------------------------------------------

  /**
   * Whether this server's own writes go into the stream: a master with a backlog or replicas (a
   * replica forwards its master's bytes verbatim instead, see forwardRaw).
   */
  private takesOps(): boolean {
    return this.link === null && (this.backlog !== null || this.master.replicas.size > 0);
  }

  /** Writes applied on this master (already wrapped in MULTI/EXEC) go into the stream. */
  private feedOps(ops: PropagatedOp[]): void {
    if (!this.takesOps()) return;
    for (const op of ops) {
      if (op.db !== this.selectedDb && op.db >= 0) {
        this.writeCommand(['SELECT', String(op.db)]);
        this.selectedDb = op.db;
      }
      if (op.raw !== null) this.writeRaw(op.raw, op.rawStart, op.rawEnd);
      else this.writeCommand(op.argv);
    }
  }

  /**
   * A command already in RESP form (the client's own bytes). Pipelined commands of one read sit
   * back to back in the client's input: they are gathered into one run and copied in one piece
   * (endRun), before anything else enters the stream and before that input can be reused.
   */
  private writeRaw(from: Buffer, start: number, end: number): void {
    this.offset += end - start;
    if (from === this.runSource && start === this.runEnd) {
      this.runEnd = end;
      return;
    }
    this.endRun();
    this.runSource = from;
    this.runStart = start;
    this.runEnd = end;
    this.scheduleFlush();
  }

  /** Copies the pending run of client bytes into the stream. */
  endRun(): void {
    const from = this.runSource;
    if (from === null) return;
    this.runSource = null;
    this.stream.rawRange(from, this.runStart, this.runEnd);
  }

  /** A command that touches no key (PING, REPLCONF GETACK): no SELECT needed. */
  feedCommand(argv: string[]): void {
    if (this.backlog === null && this.master.replicas.size === 0) return;
    this.writeCommand(argv);
  }

  /** Encodes a command into the pending stream (multibulk, exactly as Redis writes it). */
  private writeCommand(argv: readonly string[]): void {
    this.endRun();
    const out = this.stream;
    const before = out.size;
    out.array(argv.length);
    for (const a of argv) out.bulk(a);
    this.offset += out.size - before;
    this.scheduleFlush();
  }

  /**
   * A replica applied `n` more bytes of its master's stream: they count at once (an ACK reports
   * them), while the bytes themselves reach the stream in one piece per read (forwardRaw), not one
   * copy per command.
   */
  countApplied(n: number): void {
    this.offset += n;
  }

  /**
   * Stream bytes received from our master and already counted, forwarded as they are (chained
   * replication): at once, one write per read from the master, without waiting for the turn's end.
   */
  forwardRaw(data: Buffer): void {
    if (this.master.replicas.size === 0 && this.stream.size === 0) {
      // Only the backlog takes it (a copy): no buffer to fill and hand to sockets.
      this.backlog?.append(data);
      return;
    }
    this.stream.raw(data);
    this.flushStream();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.atTurnEnd);
  }

  /** The turn that wrote to the stream ends: send now, or let the timer send within a millisecond. */
  private readonly atTurnEnd = (): void => {
    if (!this.flushScheduled) return; // already sent
    if (this.pendingBytes() >= FLUSH_BYTES || performance.now() - this.lastFlushAt >= FLUSH_INTERVAL_MS) {
      this.flushStream();
      return;
    }
    // The next write checks again at its turn's end; the timer covers a master gone quiet.
    this.flushScheduled = false;
    if (this.flushTimerArmed) return;
    this.flushTimerArmed = true;
    setTimeout(this.onFlushTimer, FLUSH_INTERVAL_MS);
  };

  private readonly onFlushTimer = (): void => {
    this.flushTimerArmed = false;
    this.flushStream();
  };

  private pendingBytes(): number {
    return this.stream.size + (this.runSource === null ? 0 : this.runEnd - this.runStart);
  }

  /**
   * Moves the pending stream into the backlog and out to the replicas: at most once per
   * event-loop turn, so each replica gets one socket write per turn (or per millisecond, see
   * FLUSH_INTERVAL_MS) rather than one per command. Anything that depends on the backlog or on a
   * replica's position in the stream (PSYNC, a full sync's start, a replica going online, WAIT's
   * GETACK) flushes first.
   */
  flushStream(): void {
    this.flushScheduled = false;
    this.link?.forwardApplied();
    this.endRun();
    const data = this.stream.take();
    if (data === null) return;
    this.lastFlushAt = performance.now();
    this.backlog?.append(data);
    this.master.distribute(data);
  }

  /** Creates the backlog (the first replica attached); a master also takes a new replication id. */
  ensureBacklog(): void {
    if (this.backlog !== null) return;
    this.flushStream();
    if (!this.isReplica) {
      this.replid = newReplicationId();
      this.replid2 = NULL_REPLID;
      this.secondReplOffset = -1;
    }
    this.backlog = new Backlog(this.server.config.num('repl-backlog-size'), this.offset);
    this.server.log(
      'notice',
      `Replication backlog created, my new replication IDs are '${this.replid}' and '${this.replid2}'`,
    );
  }

  changeReplicationId(): void {
    this.replid = newReplicationId();
    this.replid2 = NULL_REPLID;
    this.secondReplOffset = -1;
  }

  /** Redis's shiftReplicationId: a promoted replica keeps serving PSYNC for its old history. */
  shiftReplicationId(): void {
    this.replid2 = this.replid;
    this.secondReplOffset = this.offset + 1;
    this.replid = newReplicationId();
    this.server.log(
      'warning',
      `Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondReplOffset}. New replication ID is ${this.replid}`,
    );
  }

  /** The AUX fields an RDB carries so a restarted replica can PSYNC (null: none to save). */
  rdbAux(): Array<[string, string]> | null {
    if (this.backlog === null && !this.isReplica) return null;
    const db = this.isReplica ? (this.link?.masterClient?.db ?? 0) : Math.max(this.selectedDb, 0);
    return [
      ['repl-stream-db', String(db)],
      ['repl-id', this.replid],
      ['repl-offset', String(this.offset)],
    ];
  }

  /**
   * A master loading its RDB at start-up keeps a backlog for the DELs of keys found expired (Redis's
   * RDBFLAGS_FEED_REPL), so replicas that resume its old history receive them too.
   */
  startupLoadFeed(): ((dbId: number, key: string) => void) | null {
    if (this.server.config.get('replicaof')) return null;
    this.backlog ??= new Backlog(this.server.config.num('repl-backlog-size'), this.offset);
    return (dbId, key) =>
      this.feedOps([
        { db: dbId, argv: [this.lazyExpire ? 'UNLINK' : 'DEL', key], raw: null, rawStart: 0, rawEnd: 0 },
      ]);
  }

  private get lazyExpire(): boolean {
    return this.server.config.bool('lazyfree-lazy-expire');
  }

  /**
   * Replication info of the RDB loaded at start-up (loadDataFromDisk). A replica takes the saved id
   * and offset as its master's and can PSYNC; a master keeps its new id but serves the saved one as
   * its second (replid2, up to the saved offset + 1), counting on from that offset, so its replicas
   * resume partially (even from offset 0). Without saved history, a backlog that took nothing goes.
   */
  restoreFromRdb(aux: ReadonlyMap<string, string>): void {
    const id = aux.get('repl-id');
    const off = aux.get('repl-offset');
    const db = aux.get('repl-stream-db');
    const valid =
      id !== undefined && /^[0-9a-f]{40}$/.test(id) && off !== undefined && off !== '-1' && db !== '-1';
    if (valid && this.server.config.get('replicaof')) {
      this.replid = id;
      this.offset = Number(off);
      this.canPartialResync = true;
      return;
    }
    if (valid && !this.server.config.get('replicaof')) {
      this.flushStream();
      this.replid2 = id;
      this.secondReplOffset = Number(off) + 1;
      this.offset += Number(off);
      if (this.backlog !== null) this.backlog.offset = this.offset;
      this.noReplicasSince = Date.now();
      return;
    }
    // Without saved history nothing can resume: a backlog that took no DEL is not kept.
    if (this.offset === 0 && this.backlog !== null && !this.isReplica) this.backlog = null;
  }

  // ---------------------------------------------------------------------------------------------
  // Role changes
  // ---------------------------------------------------------------------------------------------

  /** REPLICAOF host port (or the replicaof directive). `by` is the requesting client, for the log. */
  setMaster(host: string, port: number, by: CommandContext | null): void {
    const wasMaster = !this.isReplica;
    // Our replicas and backlog get the last writes of our own before they go.
    if (wasMaster) this.flushStream();
    this.link?.close();
    if (wasMaster) {
      // Our own history can serve as the starting point for a PSYNC to the new master.
      this.server.log(
        'notice',
        'Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.',
      );
      this.canPartialResync ||= this.backlog !== null || this.offset > 0;
      this.master.disconnectReplicas();
      this.master.abortSyncs();
      this.ensureBacklogForReplica();
    } else {
      this.master.disconnectReplicas();
    }
    this.server.config.setFromText('replicaof', [host, String(port)]);
    // Keys are hidden once expired but only the master deletes them; blocked clients are let go.
    this.server.keyspace.expireMode = 'hide';
    if (wasMaster) this.server.events.roleChanged.emit(true);
    if (by !== null) {
      this.server.log(
        'notice',
        `REPLICAOF ${host}:${port} enabled (user request from '${by.connection.describe()}')`,
      );
    }
    this.link = new MasterLink(this, host, port);
    this.link.connectSoon();
  }

  private ensureBacklogForReplica(): void {
    if (this.backlog === null && this.canPartialResync) {
      this.backlog = new Backlog(this.server.config.num('repl-backlog-size'), this.offset);
    }
  }

  /** REPLICAOF NO ONE: become a master, keeping the data and the history for PSYNC2. */
  unsetMaster(by: CommandContext | null): void {
    if (this.link === null) return;
    this.link.close();
    this.link = null;
    this.server.config.setFromText('replicaof', ['no', 'one']);
    if (this.canPartialResync) this.server.log('notice', 'Discarding previously cached master state.');
    this.canPartialResync = false;
    this.shiftReplicationId();
    // Our replicas must PSYNC again to learn the new id (they can continue from our history).
    this.master.disconnectReplicas();
    this.server.keyspace.expireMode = 'delete';
    this.server.events.roleChanged.emit(false);
    this.selectedDb = -1;
    // An AOF stopped for a sync that never completed starts again (Redis's replicationUnsetMaster).
    this.persistence.aof.restartAfterSync();
    if (by !== null)
      this.server.log('notice', `MASTER MODE enabled (user request from '${by.connection.describe()}')`);
  }

  // ---------------------------------------------------------------------------------------------
  // WAIT and min-replicas
  // ---------------------------------------------------------------------------------------------

  /** Replicas whose acknowledged offset reaches `offset`. */
  replicasAcked(offset: number): number {
    return this.acks.replicasAcked(offset);
  }

  wait(ctx: CommandContext, numReplicas: number, timeoutMs: number): void {
    this.acks.wait(ctx, numReplicas, timeoutMs);
  }

  /** Asks every replica for an ACK, once per event-loop turn (Redis: get_ack_from_slaves). */
  requestAcks(): void {
    this.acks.requestAcks();
  }

  /** A replica acknowledged an offset: FAILOVER's progress, and the WAITs it satisfies. */
  onAck(): void {
    this.failover.update();
    this.acks.onAck();
  }

  /** Whether min-replicas-to-write refuses writes now (NOREPLICAS). */
  get writesRefused(): boolean {
    const min = this.minReplicasToWrite;
    return (
      min > 0 &&
      this.server.config.num('min-replicas-max-lag') > 0 &&
      !this.isReplica &&
      this.goodReplicas < min
    );
  }

  private refreshGoodReplicas(): void {
    const maxLag = this.server.config.num('min-replicas-max-lag');
    const now = Date.now();
    let good = 0;
    for (const r of this.master.replicas.values()) {
      if (r.state === 'online' && (now - r.ackTime) / 1000 <= maxLag) good++;
    }
    this.goodReplicas = good;
  }

  startFailover(host: string | null, port: number, timeoutMs: number, force: boolean): string | null {
    return this.failover.start(host, port, timeoutMs, force);
  }

  abortFailover(reason: string): boolean {
    return this.failover.abort(reason);
  }

  get failoverState(): FailoverState {
    return this.failover.state;
  }

  // ---------------------------------------------------------------------------------------------
  // Cron (once a second, like Redis's replicationCron)
  // ---------------------------------------------------------------------------------------------

  private cron(): void {
    this.cronTicks++;
    this.link?.cron();
    const period = this.server.config.num('repl-ping-replica-period');
    if (!this.isReplica && this.master.replicas.size > 0 && this.cronTicks % period === 0) {
      this.feedCommand(['ping']);
    }
    this.master.cron();
    this.refreshGoodReplicas();
    this.failover.update();
    // Free the backlog after repl-backlog-ttl without replicas (a master only).
    if (this.master.replicas.size > 0 || this.isReplica) {
      this.noReplicasSince = 0;
    } else if (this.backlog !== null) {
      if (this.noReplicasSince === 0) this.noReplicasSince = Date.now();
      const ttl = this.server.config.num('repl-backlog-ttl');
      if (ttl > 0 && Date.now() - this.noReplicasSince > ttl * 1000) {
        // Like Redis: a new id, since the history that went with the old one is gone.
        this.replid = newReplicationId();
        this.replid2 = NULL_REPLID;
        this.secondReplOffset = -1;
        this.backlog = null;
        this.server.log(
          'notice',
          `Replication backlog freed after ${ttl} seconds without connected replicas.`,
        );
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // ReplicationStatus: ROLE and INFO replication (replication-info.ts)
  // ---------------------------------------------------------------------------------------------

  role(): RoleInfo {
    return roleOf(this);
  }

  infoFields(): Array<[string, string | number]> {
    // As in Redis, the backlog holds every byte counted in master_repl_offset.
    this.flushStream();
    return infoFieldsOf(this);
  }

  counters(): ReplicationCounters {
    let clients = 0;
    for (const r of this.master.replicas.values()) clients += r.outputBytes;
    return { ...this.stats, backlogMemory: this.backlog?.size ?? 0, replicaClientsMemory: clients };
  }

  replicaStates(): Iterable<ReplicaState> {
    return this.master.replicas.values();
  }
}
