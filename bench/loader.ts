/** A pipelined bulk loader and an INFO reader, talking raw RESP over one connection. */
import { RespConnection } from '../src/protocol/resp-connection.js';
import { encodeCommand, type RespValue } from '../src/protocol/resp-reader.js';

/** A pipelined writer over one RESP connection: counts replies (and errors) as they come. */
export class BenchConnection {
  private pending = 0;
  private errors = 0;
  private firstError = '';
  private waiter: (() => void) | null = null;
  private lastValue: RespValue | undefined;

  private constructor(private readonly conn: RespConnection) {
    conn.onReply = ({ value }) => {
      this.pending--;
      this.lastValue = value;
      if (value.type === 'error') {
        this.errors++;
        this.firstError ||= value.value;
      }
      this.waiter?.();
    };
  }

  static async open(port: number): Promise<BenchConnection> {
    return new BenchConnection(await RespConnection.open({ host: '127.0.0.1', port }));
  }

  /** Sends pre-encoded commands; `count` is how many replies they produce. */
  send(bytes: Buffer, count: number): void {
    this.pending += count;
    this.conn.write(bytes);
  }

  /** Resolves once no more than `maxPending` replies are outstanding. */
  drain(maxPending = 0): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.pending > maxPending) return;
        this.waiter = null;
        resolve();
      };
      this.waiter = check;
      check();
    });
  }

  async call(args: string[]): Promise<RespValue | undefined> {
    this.send(encodeCommand(args), 1);
    await this.drain();
    return this.lastValue;
  }

  get errorSummary(): string | null {
    return this.errors === 0 ? null : `${this.errors} error replies, first: ${this.firstError}`;
  }

  close(): void {
    this.conn.close();
  }
}

/**
 * Loads `count` items through `commandFor(i)` in pipelined batches (several batches in flight),
 * the way a bulk import would. Throws if any reply was an error.
 */
export async function loadPipelined(
  port: number,
  count: number,
  commandFor: (i: number) => string[],
  batch = 1000,
): Promise<void> {
  const conn = await BenchConnection.open(port);
  try {
    for (let start = 0; start < count; start += batch) {
      const end = Math.min(count, start + batch);
      const parts: Buffer[] = [];
      for (let i = start; i < end; i++) parts.push(encodeCommand(commandFor(i)));
      conn.send(Buffer.concat(parts), end - start);
      await conn.drain(batch * 4);
    }
    await conn.drain();
    const problem = conn.errorSummary;
    if (problem !== null) throw new Error(`loading failed: ${problem}`);
  } finally {
    conn.close();
  }
}

/** A numeric INFO field, or null when the server does not report it. */
export async function infoNumber(port: number, section: string, field: string): Promise<number | null> {
  const conn = await BenchConnection.open(port);
  try {
    const reply = await conn.call(['INFO', section]);
    if (reply === undefined || reply.type !== 'bulk') return null;
    const m = new RegExp(`^${field}:(\\d+)\\r?$`, 'm').exec(reply.value.toString('latin1'));
    return m === null ? null : Number(m[1]);
  } finally {
    conn.close();
  }
}

/** used_memory from INFO memory, or null when the server does not report it. */
export function usedMemory(port: number): Promise<number | null> {
  return infoNumber(port, 'memory', 'used_memory');
}

/** A key like redis-benchmark's: "key:" and 12 zero-padded digits. */
export function benchKey(i: number): string {
  return `key:${String(i).padStart(12, '0')}`;
}
