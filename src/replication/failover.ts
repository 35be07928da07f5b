/**
 * FAILOVER (Redis 7.0's failover state machine): pause writes, wait for a replica to catch up,
 * then become its replica with PSYNC … FAILOVER so it promotes itself; abort on timeout or
 * rejection and go back to being a master.
 */
import type { ReplicaState } from './replica-state.js';
import type { Replication } from './replication.js';

export type FailoverState = 'no-failover' | 'waiting-for-sync' | 'failover-in-progress';

export class Failover {
  state: FailoverState = 'no-failover';

  private target: { host: string; port: number } | null = null;
  private end = 0;
  private force = false;

  constructor(private readonly repl: Replication) {}

  start(host: string | null, port: number, timeoutMs: number, force: boolean): string | null {
    if (this.state !== 'no-failover') return 'ERR FAILOVER already in progress.';
    if (this.repl.isReplica) return 'ERR FAILOVER is not valid when server is a replica.';
    if (this.repl.master.replicas.size === 0) return 'ERR FAILOVER requires connected replicas.';
    if (force && (timeoutMs === 0 || host === null)) {
      return 'ERR FAILOVER with force option requires both a timeout and target HOST and IP.';
    }
    if (host !== null) {
      const target = this.findReplica(host, port);
      if (target === undefined) return 'ERR FAILOVER target HOST and PORT is not a replica.';
      if (target.state !== 'online') return 'ERR FAILOVER target replica is not online.';
      this.target = { host, port };
      this.repl.server.log('notice', `FAILOVER requested to ${host}:${port}.`);
    } else {
      this.target = null;
      this.repl.server.log('notice', 'FAILOVER requested to any replica.');
    }
    this.end = timeoutMs > 0 ? Date.now() + timeoutMs : 0;
    this.force = force;
    this.state = 'waiting-for-sync';
    this.repl.server.pauseClients('write', Number.MAX_SAFE_INTEGER);
    this.repl.requestAcks();
    this.update();
    return null;
  }

  abort(reason: string): boolean {
    if (this.state === 'no-failover') return false;
    this.repl.server.log('notice', `FAILOVER to ${this.targetName()} aborted: ${reason}`);
    // We already pointed ourselves at the target: back to being a master (replicationUnsetMaster).
    if (this.state === 'failover-in-progress') this.repl.unsetMaster(null);
    this.clear();
    return true;
  }

  private clear(): void {
    this.state = 'no-failover';
    this.target = null;
    this.end = 0;
    this.force = false;
    this.repl.server.unpauseClients();
  }

  private targetName(): string {
    return this.target === null ? 'any replica' : `${this.target.host}:${this.target.port}`;
  }

  private findReplica(host: string, port: number): ReplicaState | undefined {
    for (const r of this.repl.master.replicas.values())
      if (r.ip === host && r.listeningPort === port) return r;
    return undefined;
  }

  /** Redis's updateFailoverStatus: checked on every ACK and every cron tick. */
  update(): void {
    if (this.state !== 'waiting-for-sync') return;
    if (this.end > 0 && Date.now() >= this.end) {
      if (this.force && this.target !== null) {
        this.repl.server.log('notice', `FAILOVER to ${this.targetName()} time out exceeded, failing over.`);
        this.begin(this.target);
      } else {
        this.abort('Replica never caught up before timeout');
      }
      return;
    }
    let target: ReplicaState | undefined;
    if (this.target !== null) target = this.findReplica(this.target.host, this.target.port);
    else {
      for (const r of this.repl.master.replicas.values()) if (r.ackOffset === this.repl.offset) target = r;
    }
    if (target !== undefined && target.ackOffset === this.repl.offset) {
      const address = { host: target.ip, port: target.listeningPort };
      this.target = address;
      this.repl.server.log(
        'notice',
        `Failover target ${address.host}:${address.port} is synced, failing over.`,
      );
      this.begin(address);
    }
  }

  /** Become a replica of the target; our PSYNC carries FAILOVER so the target promotes itself. */
  private begin(target: { host: string; port: number }): void {
    this.state = 'failover-in-progress';
    this.repl.setMaster(target.host, target.port, null);
    this.repl.link!.failover = true;
  }

  /** The target answered our PSYNC FAILOVER: the swap is complete. */
  succeeded(ok: boolean): void {
    if (this.state !== 'failover-in-progress') return;
    if (ok) {
      this.repl.server.log('notice', `Failover to ${this.targetName()} succeeded.`);
      this.clear();
    } else {
      this.abort('Failover target rejected psync request');
    }
  }
}
