/**
 * The one client-side RESP connection: commands out (encoded argv or raw bytes), replies in, in
 * order, each with its raw bytes. The topology tools, the bench, the spec generator and the test
 * support talk to servers through it (the CLI adds redis-cli's framing and error texts on top).
 */
import { connect, type Socket } from 'node:net';
import { encodeCommand, RespReader, type RespValue } from './resp-reader.js';

export interface RespReply {
  value: RespValue;
  raw: Buffer;
}

export type RespTarget = { host: string; port: number; localAddress?: string } | { path: string };

export class RespConnection {
  private readonly reader = new RespReader();
  private readonly queue: RespReply[] = [];
  private waiter: (() => void) | null = null;
  /** Set once the peer closed or the socket failed. */
  closed = false;
  /** The socket error that ended the connection, if one did. */
  error: NodeJS.ErrnoException | null = null;
  /**
   * Replies go here instead of the queue when set: a pipelined writer that only counts them
   * keeps no memory per reply.
   */
  onReply: ((reply: RespReply) => void) | null = null;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.reader.append(chunk);
      for (let r = this.reader.nextWithRaw(); r !== undefined; r = this.reader.nextWithRaw()) {
        if (this.onReply !== null) this.onReply(r);
        else this.queue.push(r);
      }
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.error ??= e;
    });
  }

  /** Connects; rejects with the socket error, or after timeoutMs (the socket is destroyed). */
  static open<T extends RespConnection>(
    this: new (
      socket: Socket,
    ) => T,
    target: RespTarget,
    timeoutMs = 0,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const socket =
        'path' in target
          ? connect({ path: target.path })
          : connect({ host: target.host, port: target.port, localAddress: target.localAddress });
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              socket.destroy();
              reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
            }, timeoutMs)
          : null;
      socket.once('connect', () => {
        if (timer !== null) clearTimeout(timer);
        resolve(new this(socket));
      });
      socket.once('error', (e) => {
        if (timer !== null) clearTimeout(timer);
        reject(e);
      });
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  send(argv: ReadonlyArray<string | Buffer>): void {
    this.write(encodeCommand(argv as Array<string | Buffer>));
  }

  /** Replies received and not read yet. */
  get pending(): number {
    return this.queue.length;
  }

  /** The next reply; rejects after timeoutMs or once the connection closes without one. */
  read(timeoutMs = 5000): Promise<RespReply> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const r = this.queue.shift();
        if (r !== undefined) {
          clearTimeout(timer);
          this.waiter = null;
          resolve(r);
        } else if (this.closed) {
          clearTimeout(timer);
          this.waiter = null;
          reject(new Error('connection closed'));
        }
      };
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error('timeout waiting for reply'));
      }, timeoutMs);
      this.waiter = check;
      check();
    });
  }

  call(argv: ReadonlyArray<string | Buffer>, timeoutMs?: number): Promise<RespReply> {
    this.send(argv);
    return this.read(timeoutMs);
  }

  /** Resolves when the peer closes the connection. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
