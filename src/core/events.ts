/**
 * The server's typed event hub: how persistence, replication (and later scripting, Sentinel,
 * Cluster) hear of what the server does, without reaching into it or writing into its fields.
 * Every subscription returns its unsubscribe. The hot signals (beforeWrite, beforeReplies) are
 * checked with `any` before anything is computed for them.
 */
import type { CommandInfo } from './command.js';
import type { CommandContext, ShutdownHook, ShutdownOptions, ShutdownPhase } from './context.js';

/** One event's listeners, called in subscription order. */
export class Signal<A extends unknown[]> {
  private fns: Array<(...args: A) => void> = [];

  /** Some listener is subscribed. */
  get any(): boolean {
    return this.fns.length > 0;
  }

  on(fn: (...args: A) => void): () => void {
    this.fns = [...this.fns, fn];
    return () => {
      this.fns = this.fns.filter((f) => f !== fn);
    };
  }

  emit(...args: A): void {
    for (const fn of this.fns) fn(...args);
  }
}

/** One applied write to hand to replicas and the AOF: the db it applies to and its command vector. */
export interface PropagatedOp {
  db: number;
  argv: string[];
  /**
   * argv exactly as the client sent it in canonical RESP, at raw[rawStart, rawEnd), or null: the
   * client's input buffer, which listeners copy instead of encoding argv again. It stays valid
   * until the views are released (the input is about to be reused).
   */
  raw: Buffer | null;
  rawStart: number;
  rawEnd: number;
  /** Where it goes when not everywhere (redis.set_repl in a script): ReplTarget bits. */
  targets?: number;
}

/** A consumer of propagated writes (replication, the AOF, tests). */
export interface PropagationTarget {
  /**
   * The writes of one execution unit (a command, an EXEC, an expired key), already wrapped in
   * MULTI/EXEC when there are several, as Redis 7.0's propagatePendingCommands does.
   */
  feed(ops: PropagatedOp[]): void;
  /** Takes writes right now (no replica attached and AOF off: nothing is queued, saving work). */
  active(): boolean;
  /** Copies the `raw` views it kept: the input they point into is about to be reused. */
  release?(): void;
  /** Its ReplTarget bit (1 the AOF, 2 replicas): ops whose targets lack it are not fed to it. */
  readonly kind?: number;
}

/** Shutdown hooks run by phase, in this order. */
const SHUTDOWN_PHASES: readonly ShutdownPhase[] = ['replicas', 'persistence', 'exit'];

/** The writes of one execution unit, in MULTI/EXEC when there are several (propagatePendingCommands). */
function wrapInTransaction(ops: PropagatedOp[]): PropagatedOp[] {
  if (ops.length <= 1) return ops;
  return [
    { db: ops[0].db, argv: ['MULTI'], raw: null, rawStart: 0, rawEnd: 0 },
    ...ops,
    { db: ops[ops.length - 1].db, argv: ['EXEC'], raw: null, rawStart: 0, rawEnd: 0 },
  ];
}

export class ServerEvents {
  /** Before a write command runs (a background snapshot saves the values it may change). */
  readonly beforeWrite = new Signal<[ctx: CommandContext, cmd: CommandInfo, argv: string[]]>();
  /** Before replies are written to sockets (the AOF writes, and fsyncs, first). */
  readonly beforeReplies = new Signal<[]>();
  /** FLUSHALL ran (persistence resets its save state; Redis saves an empty RDB with save points). */
  readonly flushAll = new Signal<[]>();
  /** CONFIG RESETSTAT. */
  readonly statsReset = new Signal<[]>();
  /** The server became a replica (true) or a master (false). */
  readonly roleChanged = new Signal<[replica: boolean]>();
  /** The server cron, hz times a second. */
  readonly cron = new Signal<[]>();
  /** A connection closed (its id). */
  readonly clientClosed = new Signal<[id: number]>();

  private targets: PropagationTarget[] = [];
  private readonly shutdownHooks: Array<{ phase: number; hook: ShutdownHook }> = [];

  /** Registers a consumer of propagated writes. */
  onPropagate(target: PropagationTarget): () => void {
    this.targets = [...this.targets, target];
    return () => {
      this.targets = this.targets.filter((t) => t !== target);
    };
  }

  /** Some consumer takes writes now: only then are they queued at all. */
  get propagationWanted(): boolean {
    for (const t of this.targets) if (t.active()) return true;
    return false;
  }

  /** Hands one execution unit's writes to every target, wrapped in MULTI/EXEC when several. */
  propagate(ops: PropagatedOp[]): void {
    if (!ops.some((op) => op.targets !== undefined)) {
      const wrapped = wrapInTransaction(ops);
      for (const t of this.targets) t.feed(wrapped);
      return;
    }
    // redis.set_repl chose targets: each gets its own ops, in MULTI/EXEC only if it gets several.
    for (const t of this.targets) {
      const kind = t.kind ?? 0;
      const mine = ops.filter((op) => op.targets === undefined || (op.targets & kind) !== 0);
      if (mine.length > 0) t.feed(wrapInTransaction(mine));
    }
  }

  /** The client input that `raw` views point into is about to be reused. */
  releaseRawViews(): void {
    for (const t of this.targets) t.release?.();
  }

  /** Shutdown work, run by phase (replicas catch up, the final save, exit). */
  onShutdown(phase: ShutdownPhase, hook: ShutdownHook): () => void {
    const entry = { phase: SHUTDOWN_PHASES.indexOf(phase), hook };
    this.shutdownHooks.push(entry);
    this.shutdownHooks.sort((a, b) => a.phase - b.phase);
    return () => {
      const i = this.shutdownHooks.indexOf(entry);
      if (i >= 0) this.shutdownHooks.splice(i, 1);
    };
  }

  /**
   * Runs the shutdown hooks in order; false as soon as one refuses (unless FORCE) or the shutdown
   * is aborted meanwhile. `onRefused` logs why, once.
   */
  async runShutdown(
    options: ShutdownOptions,
    aborted: () => boolean,
    onRefused: () => void,
  ): Promise<boolean> {
    for (const { hook } of this.shutdownHooks) {
      const ok = await hook(options, aborted);
      if (aborted()) return false;
      if (!ok && !options.force) {
        onRefused();
        return false;
      }
    }
    return true;
  }
}
