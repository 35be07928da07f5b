/**
 * WAIT: clients blocked until enough replicas acknowledge their writes, and the REPLCONF GETACKs
 * that ask for those acknowledgements.
 */
import type { BlockRelease, CommandContext } from '../core/context.js';
import type { Replication } from './replication.js';

/** One WAIT in progress. */
interface Waiter {
  release: BlockRelease;
  offset: number;
  numReplicas: number;
}

export class AckWaits {
  private waiters: Waiter[] = [];
  private getAckRequested = false;
  private earlyGetAckSent = false;

  constructor(private readonly repl: Replication) {}

  /** Replicas whose acknowledged offset reaches `offset`. */
  replicasAcked(offset: number): number {
    let n = 0;
    for (const r of this.repl.master.replicas.values())
      if (r.state === 'online' && r.ackOffset >= offset) n++;
    return n;
  }

  wait(ctx: CommandContext, numReplicas: number, timeoutMs: number): void {
    const target = ctx.woff;
    const acked = this.replicasAcked(target);
    if (acked >= numReplicas || !ctx.canBlock) {
      ctx.reply.integer(acked);
      return;
    }
    const waiter: Waiter = { release: () => false, offset: target, numReplicas };
    this.waiters.push(waiter);
    waiter.release = ctx.block({
      keys: [],
      timeoutMs,
      valueType: null,
      serve: () => false,
      onTimeout: (x) => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        x.reply.integer(this.replicasAcked(target));
      },
    });
    this.requestAcksForWait();
  }

  /**
   * The first WAIT that blocks in a turn sends its GETACK at once, with the stream so far (its own
   * writes included): the replicas can answer while this turn still runs, a whole turn sooner than
   * a GETACK at the turn's end. Later WAITs of the turn share the end-of-turn one (requestAcks).
   */
  private requestAcksForWait(): void {
    if (this.earlyGetAckSent || this.repl.master.replicas.size === 0 || this.repl.server.clientsPaused) {
      this.requestAcks();
      return;
    }
    this.earlyGetAckSent = true;
    setImmediate(() => {
      this.earlyGetAckSent = false;
    });
    this.repl.feedCommand(['REPLCONF', 'GETACK', '*']);
    this.repl.flushStream();
  }

  /** Asks every replica for an ACK, once per event-loop turn (Redis: get_ack_from_slaves). */
  requestAcks(): void {
    if (this.getAckRequested) return;
    this.getAckRequested = true;
    setImmediate(() => {
      this.getAckRequested = false;
      if (this.repl.master.replicas.size === 0) return;
      this.repl.feedCommand(['REPLCONF', 'GETACK', '*']);
      // WAIT is waiting on this: send it now rather than on the next turn.
      this.repl.flushStream();
    });
  }

  /** A replica acknowledged an offset: release the WAITs it satisfies. */
  onAck(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      const acked = this.replicasAcked(w.offset);
      if (acked >= w.numReplicas) {
        w.release((c) => c.reply.integer(acked));
      } else {
        still.push(w);
      }
    }
    this.waiters = still;
  }
}
