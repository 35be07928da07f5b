/** One connection to the server, with hiredis-like error texts ("Connection refused", ...). */
import { connect, type Socket } from 'node:net';
import { encodeCommand, RespReader, RespReaderError, type RespValue } from '../protocol/resp-reader.js';
import { ReplyFrames } from './frames.js';

export type Target = { host: string; port: number } | { path: string };

export type ReadResult = { ok: true; value: RespValue } | { ok: false; error: string };

/** What to do with RESP3 push replies that arrive while waiting for a reply. */
export type PushHandling = 'return' | 'drop' | ((push: RespValue) => void);

/** strerror()/gai_strerror() texts hiredis puts in its errstr, by Node error code. */
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ECONNRESET: 'Connection reset by peer',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EPIPE: 'Broken pipe',
  ENOTSOCK: 'Socket operation on non-socket',
  ENOTFOUND: 'Name or service not known',
  EAI_AGAIN: 'Temporary failure in name resolution',
  EAI_FAIL: 'Non-recoverable failure in name resolution',
};

export function errnoText(err: NodeJS.ErrnoException): string {
  return ERRNO_TEXT[err.code ?? ''] ?? err.message;
}

export class ConnectError extends Error {}

/** redis-cli's TCP keepalive interval (REDIS_CLI_KEEPALIVE_INTERVAL). */
const KEEPALIVE_MS = 15_000;

export class RedisConnection {
  private readonly frames = new ReplyFrames();
  private readonly reader = new RespReader();
  private readonly replies: RespValue[] = [];
  private waiter: ((r: ReadResult) => void) | null = null;
  /** Set once the connection is unusable: hiredis's errstr. */
  private failure: string | null = null;
  pushHandling: PushHandling = 'drop';

  private constructor(private readonly socket: Socket) {
    socket.setKeepAlive(true, KEEPALIVE_MS);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(errnoText(err)));
    // The server's FIN: nothing more will come, and writing now could only fail.
    socket.on('end', () => this.fail('Server closed the connection'));
    socket.on('close', () => this.fail('Server closed the connection'));
  }

  /** Connects, or rejects with a ConnectError holding the errno text. */
  static open(target: Target): Promise<RedisConnection> {
    return new Promise((resolve, reject) => {
      let socket: Socket;
      try {
        socket =
          'path' in target
            ? connect({ path: target.path })
            : // An out-of-range port wraps like the 16-bit port hiredis ends up using.
              connect({ host: target.host, port: target.port & 0xffff });
      } catch (err) {
        reject(new ConnectError((err as Error).message));
        return;
      }
      const onError = (err: NodeJS.ErrnoException) => {
        socket.destroy();
        reject(new ConnectError(errnoText(err)));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new RedisConnection(socket));
      });
    });
  }

  get error(): string | null {
    return this.failure;
  }

  send(args: ReadonlyArray<string>): void {
    if (this.failure === null) this.socket.write(encodeCommand(args));
  }

  /** The next reply (push replies handled per pushHandling), or the reason none will come. */
  async read(): Promise<ReadResult> {
    for (;;) {
      const result = await this.readAny();
      if (!result.ok || result.value.type !== 'push' || this.pushHandling === 'return') return result;
      if (typeof this.pushHandling === 'function') this.pushHandling(result.value);
    }
  }

  private readAny(): Promise<ReadResult> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve({ ok: true, value: queued });
    if (this.failure !== null) return Promise.resolve({ ok: false, error: this.failure });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Sends one command and waits for its reply. */
  async call(args: ReadonlyArray<string>): Promise<ReadResult> {
    this.send(args);
    return this.read();
  }

  close(): void {
    this.fail('Server closed the connection');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.frames.append(chunk);
    try {
      // Each frame is one whole reply, so the reader parses it in one pass.
      for (let frame = this.frames.next(); frame !== undefined; frame = this.frames.next()) {
        this.reader.append(frame);
        const value = this.reader.next();
        if (value === undefined) throw new RespReaderError('Protocol error: malformed reply');
        this.deliver(value);
      }
    } catch (err) {
      if (!(err instanceof RespReaderError)) throw err;
      this.fail(err.message);
      this.socket.destroy();
    }
  }

  private deliver(value: RespValue): void {
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter({ ok: true, value });
    } else {
      this.replies.push(value);
    }
  }

  private fail(reason: string): void {
    if (this.failure !== null) return;
    this.failure = reason;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.({ ok: false, error: reason });
  }
}
