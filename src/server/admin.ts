import { totalmem } from 'node:os';
import { Flag } from '../core/command.js';
import type { CommandDef } from '../core/command-table.js';
import type {
  AdminContext,
  ClientHandle,
  CommandContext,
  LatencyHistogramView,
  MemoryFigures,
  ShutdownOptions,
} from '../core/context.js';
import { limitsFrom, writeObject } from '../rdb/value-codec.js';
import { RdbWriter } from '../rdb/writer.js';
import type { ExpireMode } from '../store/database.js';
import type { Value } from '../store/values.js';
import { type Client, clientOf } from './client.js';
import { generateInfo } from './info.js';
import { LatencyMonitor } from './latency-monitor.js';
import { collectGarbage } from './memory-release.js';
import type { Server } from './server.js';
import { LatencyHistogram } from './stats.js';

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type PauseMode = 'none' | 'write' | 'all';
const PAUSE_RANK: Record<PauseMode, number> = { none: 0, write: 1, all: 2 };

/** 40 random hex digits, like Redis's run ids and replication ids. */
export function randomHex40(): string {
  let s = '';
  while (s.length < 40) {
    s += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  }
  return s.slice(0, 40);
}

/**
 * The server side of introspection and administration: per-command latency histograms, the latency
 * monitor, CLIENT PAUSE, MONITOR, SHUTDOWN.
 */
export class Admin implements AdminContext {
  readonly latency: LatencyMonitor;
  readonly histograms = new Map<CommandDef, LatencyHistogram>();
  readonly startTime = Date.now();
  /** used_memory when the server was created (INFO used_memory_startup). */
  readonly startupMemory: number;
  private latencyTracking = true;
  private pauseMode: PauseMode = 'none';
  private pauseEnd = 0;
  private pauseTimer: NodeJS.Timeout | null = null;
  private pausedForShutdown = false;
  private readonly postponed: Client[] = [];
  /** Expire mode to restore after a pause (keys do not expire while clients are paused). */
  private expireModeBeforePause: ExpireMode | null = null;
  private shutdownClients: Client[] = [];
  private shutdownInProgress = false;
  private shutdownAborted = false;

  constructor(private readonly server: Server) {
    this.latency = new LatencyMonitor(server.config);
    server.config.watch('latency-tracking', (v) => (this.latencyTracking = v !== false));
    server.events.statsReset.on(() => this.resetStats());
    this.startupMemory = v8MemoryInUse();
  }

  get slowlog() {
    return this.server.slowlog;
  }

  clients(): Iterable<ClientHandle> {
    return this.server.clients.values();
  }

  client(id: number): ClientHandle | undefined {
    return this.server.clients.get(id);
  }

  /** enable-debug-command / enable-module-command: yes, or local for unix socket and loopback clients. */
  protectedAllowed(c: Client, directive: string): boolean {
    const setting = this.server.config.get(directive);
    if (setting === 'yes') return true;
    if (setting !== 'local') return false;
    return c.isUnixSocket || c.addr.startsWith('127.0.0.1:') || c.addr.startsWith('::1:');
  }

  purgeMemory(): boolean {
    return collectGarbage();
  }

  heapFull(): boolean {
    return this.server.heapGuard.check();
  }

  userExists(name: string): boolean {
    return name === 'default';
  }

  info(sections: string[]): string {
    return generateInfo(this.server, sections);
  }

  // --- Latency: histograms for latencystats / LATENCY HISTOGRAM, spikes for the latency monitor ---

  /** After each call(): Redis's updateCommandLatencyHistogram and latencyAddSampleIfNeeded. */
  recordLatency(cmd: CommandDef, usec: number): void {
    if (this.latencyTracking) {
      let h = this.histograms.get(cmd);
      if (h === undefined) this.histograms.set(cmd, (h = new LatencyHistogram()));
      h.recordUsec(usec);
    }
    if (usec >= 1000)
      this.latency.addSampleIfNeeded(
        cmd.has(Flag.fast) ? 'fast-command' : 'command',
        Math.floor(usec / 1000),
      );
  }

  latencyHistogram(cmd: CommandDef): LatencyHistogramView | undefined {
    return this.histograms.get(cmd);
  }

  /** CONFIG RESETSTAT's share: command histograms. */
  resetStats(): void {
    this.histograms.clear();
  }

  // --- CLIENT PAUSE ---

  get clientsPaused(): boolean {
    return this.pauseMode !== 'none';
  }

  pauseClients(mode: 'write' | 'all', endMs: number): void {
    // Like Redis, the stricter mode and the later end time win.
    if (PAUSE_RANK[mode] > PAUSE_RANK[this.pauseMode]) this.pauseMode = mode;
    if (endMs > this.pauseEnd) this.pauseEnd = endMs;
    if (this.expireModeBeforePause === null) {
      this.expireModeBeforePause = this.server.keyspace.expireMode;
      // Keys keep their value while paused but read as expired, as expireIfNeeded does then.
      if (this.expireModeBeforePause === 'delete') this.server.keyspace.expireMode = 'hide';
    }
    this.schedulePauseEnd();
  }

  private schedulePauseEnd(): void {
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    // setTimeout takes at most 2^31-1 ms (beyond, Node fires after 1 ms): a pause without end
    // (FAILOVER's) is checked again then.
    const delay = Math.min(Math.max(0, this.pauseEnd - Date.now()), MAX_TIMER_MS);
    this.pauseTimer = setTimeout(() => this.checkPauseEnd(), delay);
    this.pauseTimer.unref();
  }

  private checkPauseEnd(): void {
    this.pauseTimer = null;
    if (this.pauseMode === 'none') return;
    if (Date.now() >= this.pauseEnd) this.unpauseClients();
    else this.schedulePauseEnd();
  }

  /**
   * Redis's PAUSE_DURING_SHUTDOWN: writes wait while a shutdown waits for replicas (until the
   * deadline, or until the shutdown is aborted or fails). Shares CLIENT PAUSE's state, so a CLIENT
   * UNPAUSE meanwhile lifts it too.
   */
  pauseWritesForShutdown(deadlineMs: number): void {
    this.pausedForShutdown = true;
    this.pauseClients('write', deadlineMs + 1000);
  }

  /** The shutdown did not happen: the pause it made ends. */
  endShutdownPause(): void {
    if (!this.pausedForShutdown) return;
    this.pausedForShutdown = false;
    this.unpauseClients();
  }

  unpauseClients(): void {
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    this.pauseMode = 'none';
    this.pauseEnd = 0;
    if (this.expireModeBeforePause !== null) {
      if (this.server.keyspace.expireMode === 'hide')
        this.server.keyspace.expireMode = this.expireModeBeforePause;
      this.expireModeBeforePause = null;
    }
    if (this.postponed.length === 0) return;
    // Postponed clients run again once the current command is done, oldest first.
    const resumed = this.postponed.splice(0);
    setImmediate(() => {
      for (const c of resumed) this.resume(c);
    });
  }

  /** Whether dispatch must hold this command back (Redis: replicas are never paused). */
  pausedFor(c: Client, cmd: CommandDef): boolean {
    if (this.pauseMode === 'none' || c.roleFlags.includes('S')) return false;
    if (Date.now() >= this.pauseEnd) {
      this.unpauseClients();
      return false;
    }
    if (this.pauseMode === 'all') return true;
    if (cmd.has(Flag.write | Flag.may_replicate)) return true;
    // EXEC counts as a write when it would run one.
    if (cmd.name === 'exec' && c.multi !== null) {
      for (const argv of c.multi) {
        const queued = this.server.commands.lookup(argv[0]);
        const def =
          queued?.subcommands != null ? queued.subcommands.get(argv[1]?.toLowerCase() ?? '') : queued;
        if (def?.has(Flag.write | Flag.may_replicate)) return true;
      }
    }
    return false;
  }

  /** Blocks the client with its command until clients are unpaused. */
  postpone(c: Client, argv: string[]): void {
    c.blocked = true;
    c.postponedArgv = argv;
    this.postponed.push(c);
  }

  private resume(c: Client): void {
    if (c.closed) return;
    const argv = c.postponedArgv!;
    c.postponedArgv = null;
    c.blocked = false;
    c.beginCommand();
    c.lastInteraction = Date.now();
    this.server.execute(c, argv);
    if (!c.blocked) {
      c.afterCommand();
      c.processInput();
    }
    c.flush();
  }

  /** Forgets a client that disconnected. */
  onClientClosed(c: Client): void {
    const i = this.postponed.indexOf(c);
    if (i >= 0) this.postponed.splice(i, 1);
    const j = this.shutdownClients.indexOf(c);
    if (j >= 0) this.shutdownClients.splice(j, 1);
  }

  /** Number of clients blocked by CLIENT PAUSE (excluded from INFO blocked_clients, as in Redis). */
  get postponedCount(): number {
    return this.postponed.length;
  }

  // --- MONITOR ---

  addMonitor(ctx: CommandContext): boolean {
    const c = clientOf(ctx);
    if (c.roleFlags.includes('S') || c.roleFlags.includes('O')) return false;
    c.roleFlags += 'O';
    this.server.monitors.add(c);
    return true;
  }

  // --- SHUTDOWN ---

  shutdown(ctx: CommandContext, options: ShutdownOptions): void {
    const c = clientOf(ctx);
    // The client waits for the outcome: on success the connection just closes.
    c.blocked = true;
    this.shutdownClients.push(c);
    if (this.shutdownInProgress) return;
    this.shutdownInProgress = true;
    this.shutdownAborted = false;
    void this.server
      .shutdown(options, () => this.shutdownAborted)
      .then((ok) => {
        this.shutdownInProgress = false;
        if (ok) {
          this.server.onShutdownComplete?.(0);
          return;
        }
        this.failShutdownClients();
      });
  }

  private failShutdownClients(): void {
    for (const c of this.shutdownClients.splice(0)) {
      c.blocked = false;
      c.reply.error('ERR Errors trying to SHUTDOWN. Check logs.');
      c.processInput();
      c.flush();
    }
  }

  abortShutdown(): boolean {
    if (!this.shutdownInProgress) return false;
    this.shutdownAborted = true;
    this.server.log('notice', 'Shutdown manually aborted.');
    this.failShutdownClients();
    return true;
  }

  // --- Memory ---

  memory(): MemoryFigures {
    const m = process.memoryUsage();
    // The same figures as INFO memory: the estimate eviction decides on (server/eviction.ts).
    const used = this.server.evictor.memory();
    return {
      used: used.used,
      rss: m.rss,
      peak: used.peak,
      startup: used.startup,
      overhead: used.used - used.dataset,
      heapTotal: m.heapTotal,
      external: m.external,
    };
  }

  /** Samples used_memory for the peak (called from the server cron). */
  samplePeakMemory(): void {
    this.server.evictor.usedMemory();
  }

  /** rdbSavedObjectLen: the value's RDB body (without its type byte), as a save would write it. */
  serializedLength(value: unknown): number | null {
    try {
      const w = new RdbWriter(this.server.config.bool('rdbcompression'), false);
      writeObject(w, value as Value, limitsFrom(this.server.config));
      return w.written - 1;
    } catch {
      // A value type the RDB codec does not handle yet.
      return null;
    }
  }
}

/** What V8 holds for JS objects plus Buffers and other memory outside the heap (startup memory). */
export function v8MemoryInUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export function totalSystemMemory(): number {
  return totalmem();
}
