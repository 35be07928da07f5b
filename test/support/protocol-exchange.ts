/**
 * Raw byte exchanges for protocol tests: write exact bytes (optionally in several writes), collect
 * everything the server sends back, and note whether it closed the connection.
 */
import { connect, type Socket } from 'node:net';
import { encodeCommand } from '../../src/protocol/resp-reader.js';
import { escapeBytes } from './raw-client.js';

export interface ExchangeResult {
  bytes: Buffer;
  closed: boolean;
}

/**
 * A command whose reply marks "everything before it has been answered". HELLO runs before AUTH,
 * so the sentinel works on unauthenticated connections too.
 */
export const SENTINEL = encodeCommand(['HELLO', '__sentinel__']);
export const SENTINEL_REPLY = Buffer.from('-ERR Protocol version is not an integer or out of range\r\n');

export interface ExchangeOptions {
  /**
   * 'close': read until the server closes the connection. 'open': send SENTINEL after the data
   * and read until its reply, proving the connection survived and nothing else is pending.
   * A function: read until it returns true for the bytes so far (or the server closes).
   */
  until: 'close' | 'open' | ((bytes: Buffer) => boolean);
  timeoutMs?: number;
  /** Await each write's callback before the next one, so chunks tend to arrive separately. */
  paced?: boolean;
}

/** Connects to port, writes the chunks, and collects the reply bytes. Rejects on timeout. */
export function exchange(
  port: number,
  chunks: ReadonlyArray<string | Buffer>,
  options: ExchangeOptions,
): Promise<ExchangeResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    const received: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!closed) socket.destroy();
      resolve({ bytes: Buffer.concat(received, size), closed });
    };
    const timer = setTimeout(() => {
      done = true;
      socket.destroy();
      const got = Buffer.concat(received, size);
      reject(
        new Error(`timeout (${options.until}): got ${size} bytes: ${escapeBytes(got.subarray(0, 300))}`),
      );
    }, timeoutMs);
    const complete = (): boolean => {
      if (options.until === 'close') return false;
      if (options.until === 'open') return endsWithSentinelReply(received, size);
      return options.until(Buffer.concat(received, size));
    };
    socket.on('data', (d: Buffer) => {
      received.push(d);
      size += d.length;
      if (complete()) finish(false);
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      const all = options.until === 'open' ? [...chunks, SENTINEL] : chunks;
      for (const chunk of all) {
        if (done || socket.destroyed) return;
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
        if (options.paced) await new Promise<void>((r) => socket.write(bytes, () => r()));
        else socket.write(bytes);
      }
    });
  });
}

/** Whether the bytes received so far end with SENTINEL_REPLY (looks only at the tail). */
function endsWithSentinelReply(received: Buffer[], size: number): boolean {
  const n = SENTINEL_REPLY.length;
  if (size < n) return false;
  const tail: Buffer[] = [];
  let have = 0;
  for (let i = received.length - 1; i >= 0 && have < n; i--) {
    tail.unshift(received[i]);
    have += received[i].length;
  }
  return Buffer.concat(tail).subarray(-n).equals(SENTINEL_REPLY);
}

/** A readable description of an exchange result for assertion messages. */
export function describe(r: ExchangeResult, max = 400): string {
  const text = escapeBytes(r.bytes.subarray(0, max));
  return `${r.bytes.length} bytes${r.closed ? ' then closed' : ''}: ${text}${r.bytes.length > max ? '…' : ''}`;
}

/** One raw connection read by byte counts (for multi-step exchanges on the same connection). */
export class ByteConn {
  private buffered: Buffer = Buffer.alloc(0);
  private closedFlag = false;
  private wake: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = this.buffered.length === 0 ? d : Buffer.concat([this.buffered, d]);
      this.wake?.();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake?.();
    });
  }

  static open(port: number): Promise<ByteConn> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => resolve(new ByteConn(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Waits until `ready()` holds (checked on every event); rejects after timeoutMs. */
  private waitFor(ready: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = null;
        reject(
          new Error(`timeout waiting for ${what}; have: ${escapeBytes(this.buffered.subarray(0, 300))}`),
        );
      }, timeoutMs);
      const check = () => {
        if (!ready()) return;
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      this.wake = check;
      check();
    });
  }

  /** Exactly n bytes (rejects if the connection closes before they arrive). */
  async read(n: number, timeoutMs = 10_000): Promise<Buffer> {
    await this.waitFor(() => this.buffered.length >= n || this.closedFlag, `${n} bytes`, timeoutMs);
    if (this.buffered.length < n) {
      throw new Error(
        `connection closed after ${this.buffered.length} of ${n} bytes: ${escapeBytes(this.buffered)}`,
      );
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Bytes through the first CRLF (one simple reply line). */
  async readLine(timeoutMs = 10_000): Promise<Buffer> {
    await this.waitFor(() => this.buffered.includes('\r\n') || this.closedFlag, 'a line', timeoutMs);
    const i = this.buffered.indexOf('\r\n');
    if (i < 0) throw new Error(`connection closed before a full line: ${escapeBytes(this.buffered)}`);
    return this.read(i + 2);
  }

  /** Resolves when the server closes; returns whatever unread bytes arrived before that. */
  async waitClosed(timeoutMs = 10_000): Promise<Buffer> {
    await this.waitFor(() => this.closedFlag, 'the server to close', timeoutMs);
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }

  close(): void {
    this.socket.destroy();
  }
}
