/** One connection to the server, with hiredis-like error texts ("Connection refused", ...). */
import type { ConnectionOptions } from 'node:tls';
import { RespConnection } from '../protocol/resp-connection.js';
import { encodeCommand, type RespValue } from '../protocol/resp-reader.js';

export type Target = { host: string; port: number; tls?: ConnectionOptions } | { path: string };

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

/** OpenSSL's verification failures, as Node names them: hiredis reports them all alike. */
const VERIFY_FAILURES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

export function errnoText(err: NodeJS.ErrnoException): string {
  if (VERIFY_FAILURES.has(err.code ?? '')) return 'SSL_connect failed: certificate verify failed';
  // A TLS alert from the server once connected (a client certificate it wants, say).
  if (err.code?.startsWith('ERR_SSL_')) return 'Server closed the connection';
  return ERRNO_TEXT[err.code ?? ''] ?? err.message;
}

export class ConnectError extends Error {}

/** redis-cli's TCP keepalive interval (REDIS_CLI_KEEPALIVE_INTERVAL). */
const KEEPALIVE_MS = 15_000;

/** The shared RESP connection with hiredis's error texts and redis-cli's handling of pushes. */
export class RedisConnection {
  pushHandling: PushHandling = 'drop';

  private constructor(private readonly conn: RespConnection) {
    conn.socket.setKeepAlive(true, KEEPALIVE_MS);
    conn.socket.setNoDelay(true);
  }

  /** Connects, or rejects with a ConnectError holding the errno text. */
  static async open(target: Target): Promise<RedisConnection> {
    try {
      // An out-of-range port wraps like the 16-bit port hiredis ends up using.
      const wrapped = 'path' in target ? target : { ...target, port: target.port & 0xffff };
      return new RedisConnection(await RespConnection.open(wrapped));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new ConnectError(e.code !== undefined ? errnoText(e) : e.message);
    }
  }

  /** hiredis's errstr once the connection is unusable, else null. */
  get error(): string | null {
    const cause = this.conn.endCause;
    if (cause === null) return null;
    if (cause.kind === 'error') return errnoText(cause.error);
    if (cause.kind === 'protocol') return cause.message;
    return 'Server closed the connection';
  }

  send(args: ReadonlyArray<string>): void {
    if (!this.conn.closed) this.conn.write(encodeCommand(args));
  }

  /** The next reply (push replies handled per pushHandling), or the reason none will come. */
  async read(): Promise<ReadResult> {
    for (;;) {
      let value: RespValue;
      try {
        value = (await this.conn.read(0)).value;
      } catch {
        return { ok: false, error: this.error ?? 'Server closed the connection' };
      }
      if (value.type !== 'push' || this.pushHandling === 'return') return { ok: true, value };
      if (typeof this.pushHandling === 'function') this.pushHandling(value);
    }
  }

  /** Sends one command and waits for its reply. */
  async call(args: ReadonlyArray<string>): Promise<ReadResult> {
    this.send(args);
    return this.read();
  }

  close(): void {
    this.conn.close();
  }
}
