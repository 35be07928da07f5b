/**
 * A TCP proxy for fault injection between a replica and its master: cut every connection,
 * refuse new ones, stall traffic, or slow it down (slow(bytesPerSec) throttles each direction of
 * every connection to that rate, with backpressure: the sender's socket fills up as it would with
 * a slow network or a slow reader).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Throttled forwarding: bytes are released every TICK_MS at the configured rate. */
const TICK_MS = 20;
/** A throttled direction stops reading its source beyond this many bytes waiting to be released. */
const THROTTLE_BUFFER = 64 * 1024;

/** One direction of a proxied connection: reads `from`, writes `to`. */
class Pipe {
  private queue: Buffer[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Bytes that may still be released in this tick (throttled mode). */
  private allowance = 0;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly proxy: TcpProxy,
  ) {
    from.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      this.queued += chunk.length;
      this.pump();
    });
    to.on('drain', () => this.pump());
    from.on('end', () => {
      this.pump();
      if (this.queued === 0) to.end();
    });
  }

  /** Forwards what the mode allows; pauses the source when the destination or the throttle lags. */
  pump(): void {
    if (this.to.destroyed) return;
    const rate = this.proxy.rate;
    if (this.proxy.stalled) {
      this.from.pause();
      return;
    }
    while (this.queue.length > 0 && !this.to.writableNeedDrain) {
      let chunk = this.queue[0];
      if (rate > 0) {
        if (this.allowance <= 0) break;
        if (chunk.length > this.allowance) {
          this.queue[0] = chunk.subarray(this.allowance);
          chunk = chunk.subarray(0, this.allowance);
        } else {
          this.queue.shift();
        }
        this.allowance -= chunk.length;
      } else {
        this.queue.shift();
      }
      this.queued -= chunk.length;
      this.to.write(chunk);
    }
    if (this.from.readableEnded && this.queued === 0) this.to.end();
    const limit = rate > 0 ? THROTTLE_BUFFER : 0;
    if (this.to.writableNeedDrain || this.queued > limit) this.from.pause();
    else this.from.resume();
    if (rate > 0 && this.queued > 0 && this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.allowance = Math.max(1, Math.floor((this.proxy.rate * TICK_MS) / 1000));
        this.pump();
      }, TICK_MS);
    }
  }

  /** The mode changed: forget the throttle state and forward according to the new one. */
  reset(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.allowance = this.proxy.rate > 0 ? Math.max(1, Math.floor((this.proxy.rate * TICK_MS) / 1000)) : 0;
    this.pump();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket; pipes: Pipe[] }>();
  private refusing = false;
  /** Forwarding suspended in both directions (stall). */
  stalled = false;
  /** Bytes per second in each direction of each connection; 0: unthrottled. */
  rate = 0;
  /** Connections accepted so far. */
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static start(targetPort: number): Promise<TcpProxy> {
    return new Promise((resolve) => {
      let proxy: TcpProxy;
      const server = createServer((client) => proxy.accept(client));
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address();
        proxy = new TcpProxy(server, typeof addr === 'object' && addr !== null ? addr.port : 0, targetPort);
        resolve(proxy);
      });
    });
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.refusing) {
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = connect({ port: this.targetPort, host: '127.0.0.1' });
    upstream.on('error', () => client.destroy());
    const pair = { client, upstream, pipes: [] as Pipe[] };
    pair.pipes.push(new Pipe(client, upstream, this), new Pipe(upstream, client, this));
    this.pairs.add(pair);
    const close = () => {
      for (const p of pair.pipes) p.stop();
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('close', close);
    upstream.on('close', close);
    for (const p of pair.pipes) p.reset();
  }

  /** Closes every proxied connection (both sides see a reset). */
  cut(): void {
    for (const { client, upstream, pipes } of this.pairs) {
      for (const p of pipes) p.stop();
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** While refusing, new connections are closed at once. */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** Stops (or resumes) forwarding bytes in both directions without closing anything. */
  stall(on: boolean): void {
    this.stalled = on;
    this.refresh();
  }

  /**
   * Throttles every connection, present and future, to about `bytesPerSec` in each direction
   * (0 lifts the throttle). The sender sees a slow reader: its socket buffers fill up.
   */
  slow(bytesPerSec: number): void {
    this.rate = Math.max(0, Math.floor(bytesPerSec));
    this.refresh();
  }

  private refresh(): void {
    for (const pair of this.pairs) for (const p of pair.pipes) p.reset();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Polls until check() returns a truthy value (replication state lives in other processes). */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 20000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
