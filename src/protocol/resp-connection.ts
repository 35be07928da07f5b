/**
 * The one client-side RESP connection: commands out (encoded argv or raw bytes), replies in, in
 * order, each with its raw bytes. The topology tools, the bench, the spec generator and the test
 * support talk to servers through it, the CLI adds redis-cli's error texts on top, and a replica
 * link runs its handshake on it before the stream takes over.
 */
import { connect, type Socket } from 'node:net';
import { type ConnectionOptions, TLSSocket, connect as tlsConnect } from 'node:tls';
import { ReplyFrames } from './reply-frames.js';
import { encodeCommand, RespReader, RespReaderError, type RespValue } from './resp-reader.js';

export interface RespReply {
  value: RespValue;
  raw: Buffer;
}

export type RespTarget =
  | { host: string; port: number; localAddress?: string; tls?: ConnectionOptions }
  | { path: string };

/** Why a connection ended, first cause wins: the peer's FIN, a socket error, a malformed reply, or close(). */
export type EndCause =
  | { kind: 'end' }
  | { kind: 'error'; error: NodeJS.ErrnoException }
  | { kind: 'protocol'; message: string }
  | { kind: 'local' };

export interface RespConnectionOptions {
  /**
   * The owner reads the socket itself and hands bytes to feed() (a replica link reads into its own
   * buffer and switches to a raw stream after the handshake); socket events are left alone.
   */
  manualFeed?: boolean;
}

export class RespConnection {
  // Whole replies are framed first (linear in their size), then parsed once each.
  private readonly frames = new ReplyFrames();
  private readonly reader = new RespReader();
  private readonly queue: RespReply[] = [];
  private waiter: (() => void) | null = null;
  /** Set once the peer closed, the socket failed or a reply was malformed. */
  closed = false;
  /** What ended the connection, once something did. */
  endCause: EndCause | null = null;
  /**
   * Replies go here instead of the queue when set: a pipelined writer that only counts them
   * keeps no memory per reply.
   */
  onReply: ((reply: RespReply) => void) | null = null;

  constructor(
    readonly socket: Socket,
    options: RespConnectionOptions = {},
  ) {
    if (options.manualFeed === true) return;
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
    // The peer's FIN: nothing more will come (replies already queued stay readable).
    socket.on('end', () => this.end({ kind: 'end' }));
    socket.on('close', () => this.end({ kind: 'end' }));
    socket.on('error', (error: NodeJS.ErrnoException) => this.end({ kind: 'error', error }));
  }

  /** The socket error that ended the connection, if one did. */
  get error(): NodeJS.ErrnoException | null {
    return this.endCause?.kind === 'error' ? this.endCause.error : null;
  }

  /** Bytes from the peer. */
  feed(chunk: Buffer): void {
    this.frames.append(chunk);
    try {
      for (let frame = this.frames.next(); frame !== undefined; frame = this.frames.next()) {
        this.reader.append(frame);
        const reply = this.reader.nextWithRaw();
        if (reply === undefined) throw new RespReaderError('Protocol error: malformed reply');
        if (this.onReply !== null) this.onReply(reply);
        else this.queue.push(reply);
        // An owner switching protocols in its callback takes the rest with takeRemaining().
        if (this.closed) break;
      }
    } catch (err) {
      if (!(err instanceof RespReaderError)) throw err;
      this.end({ kind: 'protocol', message: err.message });
      this.socket.destroy();
    }
    this.waiter?.();
  }

  /** Unparsed bytes past the last whole reply; replies stop being read from here on. */
  takeRemaining(): Buffer {
    this.end({ kind: 'local' });
    return this.frames.takeRemaining();
  }

  private end(cause: EndCause): void {
    if (this.endCause === null) this.endCause = cause;
    else if (this.endCause.kind === 'end' && cause.kind === 'error') this.endCause = cause;
    this.closed = true;
    this.waiter?.();
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
          : target.tls !== undefined
            ? tlsConnect({ host: target.host, port: target.port, ...target.tls })
            : connect({ host: target.host, port: target.port, localAddress: target.localAddress });
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              socket.destroy();
              reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
            }, timeoutMs)
          : null;
      socket.once(socket instanceof TLSSocket ? 'secureConnect' : 'connect', () => {
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

  /** The next reply; rejects after timeoutMs (0: never) or once the connection closes without one. */
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
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.waiter = null;
              reject(new Error('timeout waiting for reply'));
            }, timeoutMs)
          : undefined;
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
    this.end({ kind: 'local' });
    this.socket.destroy();
  }
}
