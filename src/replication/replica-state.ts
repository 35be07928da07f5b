import type { ClientConnection } from '../core/context.js';
import { OutputLimitState } from '../core/output-limit.js';

/** What a master knows about one attached replica (Redis's client->repl* fields). */
export class ReplicaState {
  /** REPLCONF listening-port / ip-address, capabilities announced before PSYNC. */
  listeningPort = 0;
  announcedIp = '';
  capaEof = false;
  capaPsync2 = false;
  state: 'wait_bgsave' | 'send_bulk' | 'online' = 'wait_bgsave';
  /** Last REPLCONF ACK offset and when it arrived (ms). */
  ackOffset = 0;
  ackTime = Date.now();
  /** Asked with PSYNC (gets +FULLRESYNC), not the old SYNC. */
  isPsync = true;
  /** Between its snapshot's start and the end of the RDB transfer: the stream is buffered. */
  syncing = false;
  /** Diskless transfer done: online once the first ACK arrives. */
  awaitingFirstAck = false;
  /** Stream bytes produced since its full sync's snapshot, sent after the RDB. */
  buffered: Buffer[] = [];
  bufferedBytes = 0;
  /** client-output-buffer-limit replica, applied to outputBytes. */
  readonly outputLimit = new OutputLimitState();
  /**
   * RDB payload bytes handed to the socket and not yet flushed to the kernel. They are in the
   * socket's writableLength but are not output buffer: like Redis, the limits apply to the
   * replication stream kept for the replica, never to the RDB being transferred.
   */
  rdbQueued = 0;
  /** Last time queued RDB bytes made progress towards the replica (Redis's repl_last_partial_write). */
  rdbProgressTime = 0;

  constructor(
    readonly client: ClientConnection,
    private readonly counters: { netReplOutputBytes: number },
  ) {}

  /** The name Redis uses in logs: ip:listening-port. */
  get name(): string {
    return this.listeningPort === 0
      ? `${this.ip}:<unknown-replica-port>`
      : `${this.ip}:${this.listeningPort}`;
  }

  get ip(): string {
    if (this.announcedIp !== '') return this.announcedIp;
    const addr = this.client.addr;
    return addr.slice(0, addr.lastIndexOf(':'));
  }

  /** Sends bytes to the replica, after any reply still buffered for it. */
  send(data: Buffer): void {
    const c = this.client;
    if (c.closed || c.socket === null) return;
    c.flush();
    c.socket.write(data);
    this.counters.netReplOutputBytes += data.length;
  }

  /**
   * Sends RDB payload bytes (full sync), accounted apart from the stream. Returns false when the
   * socket asks the producer to wait for 'drain'.
   */
  sendRdb(data: Buffer): boolean {
    const c = this.client;
    const socket = c.socket;
    if (c.closed || socket === null || data.length === 0) return true;
    c.flush();
    if (this.rdbQueued === 0) this.rdbProgressTime = Date.now();
    this.rdbQueued += data.length;
    this.counters.netReplOutputBytes += data.length;
    return socket.write(data, () => {
      // Flushed to the kernel (or failed with the socket): no longer queued here.
      this.rdbQueued -= data.length;
      this.rdbProgressTime = Date.now();
      if (this.rdbQueued === 0) this.releaseFlushWaiters();
    });
  }

  private flushWaiters: Array<() => void> = [];

  /** Resolves once every RDB byte queued went out to the kernel (or the connection is gone). */
  rdbFlushed(): Promise<void> {
    if (this.rdbQueued === 0 || this.client.closed) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push(resolve));
  }

  /** Wakes whoever waits on rdbFlushed() (also called when the connection closes). */
  releaseFlushWaiters(): void {
    for (const w of this.flushWaiters.splice(0)) w();
  }

  /** RDB bytes are queued and none went out for `ms` (a replica that stopped reading its full sync). */
  rdbStalledFor(ms: number, now = Date.now()): boolean {
    return this.rdbQueued > 0 && now - this.rdbProgressTime > ms;
  }

  /**
   * Output buffer (for client-output-buffer-limit replica): the stream waiting in the socket or kept
   * in our buffer while the RDB is transferred. RDB payload bytes still queued do not count.
   */
  get outputBytes(): number {
    const socketBytes = (this.client.socket?.writableLength ?? 0) - this.rdbQueued;
    return Math.max(0, socketBytes) + this.bufferedBytes;
  }

  /** Last sign of life from the replica: an ACK or any input (Redis: newlines while it loads). */
  get lastHeard(): number {
    return Math.max(this.ackTime, this.client.lastInteraction);
  }
}
