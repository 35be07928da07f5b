/**
 * A TCP proxy for fault injection between a replica and its master: cut every connection,
 * refuse new ones, stall traffic, or slow it down.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private refusing = false;
  private stalled = false;
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
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
    if (this.stalled) {
      client.pause();
      upstream.pause();
    }
  }

  /** Closes every proxied connection (both sides see a reset). */
  cut(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
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
    for (const [a, b] of this.pairs) {
      if (on) {
        a.pause();
        b.pause();
      } else {
        a.resume();
        b.resume();
      }
    }
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
