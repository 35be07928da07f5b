/** A raw RESP connection for tests: send exact bytes, read exact replies. */
import { connect, type Socket } from 'node:net';
import { encodeCommand, RespReader, type RespValue } from '../../src/protocol/resp-reader.js';
import { splitArgs } from '../../src/protocol/split-args.js';

export interface Reply {
  value: RespValue;
  raw: Buffer;
}

export class RawClient {
  private readonly reader = new RespReader();
  private readonly queue: Reply[] = [];
  private waiter: (() => void) | null = null;
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.reader.append(chunk);
      for (let r = this.reader.nextWithRaw(); r !== undefined; r = this.reader.nextWithRaw())
        this.queue.push(r);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, localAddress });
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Sends a command given as argv or as an inline-style line parsed with Redis's quoting rules. */
  send(command: string | Array<string | Buffer>): void {
    const argv = typeof command === 'string' ? splitArgs(command) : command;
    if (argv === null) throw new Error(`bad command line: ${command}`);
    this.write(encodeCommand(argv));
  }

  /** Next reply; rejects after timeoutMs or if the connection closes first. */
  read(timeoutMs = 5000): Promise<Reply> {
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

  async call(command: string | Array<string | Buffer>): Promise<Reply> {
    this.send(command);
    return this.read();
  }

  /** Raw reply text (latin1) of one command. */
  async callRaw(command: string | Array<string | Buffer>): Promise<string> {
    return (await this.call(command)).raw.toString('latin1');
  }

  /** Resolves when the server closes the connection. */
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

/** Escapes bytes like the golden corpus does: printable ASCII as is, \r \n \t \\ \" and \xNN. */
export function escapeBytes(s: string | Buffer): string {
  const str = typeof s === 'string' ? s : s.toString('latin1');
  let out = '';
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    if (c === 0x0d) out += '\\r';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x22) out += '\\"';
    else if (c >= 0x20 && c < 0x7f) out += str[i];
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out;
}
