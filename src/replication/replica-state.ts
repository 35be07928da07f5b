import type { Client } from '../server/client.js';

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
  /** When the output went over the soft limit (client-output-buffer-limit replica), or 0. */
  softLimitSince = 0;

  constructor(
    readonly client: Client,
    private readonly counters: { netReplOutputBytes: number },
  ) {}

  /** The name Redis uses in logs: ip:listening-port. */
  get name(): string {
    return `${this.ip}:${this.listeningPort}`;
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

  /** Output waiting in the socket or in our buffer (for output buffer limits). */
  get outputBytes(): number {
    return (this.client.socket?.writableLength ?? 0) + this.bufferedBytes;
  }
}
