/**
 * A minimal client for talking to topology nodes (tsredis or redis-server): one connection, every
 * call with a deadline, so a stopped or stalled node never hangs `status`, `doctor` or the dashboard.
 */
import { RespConnection } from '../protocol/resp-connection.js';
import type { RespValue } from '../protocol/resp-reader.js';

export interface Address {
  host: string;
  port: number;
}

export interface Credentials {
  user?: string;
  password?: string;
}

export function formatAddress(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** Why a node could not be asked, in plain words (errno codes mapped to what they mean here). */
export class NodeError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function describe(e: NodeJS.ErrnoException, addr: Address): NodeError {
  const where = formatAddress(addr);
  switch (e.code) {
    case 'ECONNREFUSED':
      return new NodeError(`nothing listens at ${where} (connection refused)`, e.code);
    case 'EADDRNOTAVAIL':
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return new NodeError(`${where} cannot be reached from here (${e.code})`, e.code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new NodeError(`the host name '${addr.host}' does not resolve`, e.code);
    default:
      return new NodeError(`${where}: ${e.message}`, e.code ?? 'EIO');
  }
}

export class NodeClient {
  private failure: NodeError | null = null;

  private constructor(
    private readonly conn: RespConnection,
    readonly address: Address,
    private readonly timeoutMs: number,
  ) {
    conn.socket.once('close', () =>
      this.fail(
        conn.error !== null
          ? describe(conn.error, address)
          : new NodeError(`${formatAddress(address)} closed the connection`, 'EOF'),
      ),
    );
  }

  /** Connects (and authenticates when credentials are given) within timeoutMs. */
  static async open(addr: Address, timeoutMs = 2000, creds: Credentials = {}): Promise<NodeClient> {
    let conn: RespConnection;
    try {
      conn = await RespConnection.open({ host: addr.host, port: addr.port }, timeoutMs);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ETIMEDOUT' && err.message === 'connect timed out') {
        throw new NodeError(
          `${formatAddress(addr)} did not accept a connection within ${timeoutMs} ms`,
          'ETIMEDOUT',
        );
      }
      throw describe(err, addr);
    }
    conn.socket.setNoDelay(true);
    const client = new NodeClient(conn, addr, timeoutMs);
    if (creds.password !== undefined && creds.password !== '') {
      const argv = creds.user ? ['AUTH', creds.user, creds.password] : ['AUTH', creds.password];
      const r = await client.call(argv);
      // A node without a password answers AUTH with an error that is no problem here.
      if (r.type === 'error' && !/without any password configured/.test(r.value)) {
        client.close();
        throw new NodeError(`${formatAddress(addr)} refused the password: ${r.value}`, 'AUTH');
      }
    }
    return client;
  }

  /** One command; rejects with a NodeError when the node does not answer within the timeout. */
  async call(argv: ReadonlyArray<string>, timeoutMs = this.timeoutMs): Promise<RespValue> {
    if (this.failure !== null) throw this.failure;
    try {
      return (await this.conn.call(argv, timeoutMs)).value;
    } catch {
      this.fail(
        this.conn.closed
          ? new NodeError(`${formatAddress(this.address)} closed the connection`, 'EOF')
          : new NodeError(
              `${formatAddress(this.address)} did not answer ${argv[0]} within ${timeoutMs} ms`,
              'ETIMEDOUT',
            ),
      );
      throw this.failure!;
    }
  }

  /** A command whose reply must not be an error; the reply as text. */
  async text(argv: ReadonlyArray<string>, timeoutMs?: number): Promise<string> {
    const r = await this.call(argv, timeoutMs);
    if (r.type === 'error') throw new NodeError(`${argv[0]}: ${r.value}`, 'REPLY');
    return replyText(r);
  }

  async info(...sections: string[]): Promise<Info> {
    return parseInfo(await this.text(['INFO', ...sections]));
  }

  /** CONFIG GET name → value, or null when the node refuses (renamed command, ACL …). */
  async configGet(name: string): Promise<string | null> {
    try {
      const r = await this.call(['CONFIG', 'GET', name]);
      if (r.type !== 'array' && r.type !== 'map') return null;
      const v = r.value[1];
      return v === undefined ? null : replyText(v);
    } catch (e) {
      if (e instanceof NodeError && e.code === 'ETIMEDOUT') throw e;
      return null;
    }
  }

  close(): void {
    this.fail(new NodeError('closed', 'CLOSED'));
  }

  private fail(e: NodeError): void {
    if (this.failure !== null) return;
    this.failure = e;
    this.conn.close();
  }
}

export function replyText(v: RespValue): string {
  switch (v.type) {
    case 'bulk':
    case 'verbatim':
      return v.value.toString('latin1');
    case 'simple':
    case 'error':
    case 'double':
    case 'bignum':
      return v.value;
    case 'integer':
      return String(v.value);
    case 'bool':
      return v.value ? '1' : '0';
    case 'null':
      return '';
    default:
      return v.value.map(replyText).join('\n');
  }
}

/** INFO fields by name (sections flattened; Redis never repeats a field name across sections). */
export type Info = Map<string, string>;

export function parseInfo(text: string): Info {
  const out: Info = new Map();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

export interface ReplicaLine {
  ip: string;
  port: number;
  state: string;
  offset: number;
  lag: number;
}

/** The master's `slaveN:ip=…,port=…,state=…,offset=…,lag=…` lines. */
export function replicaLines(info: Info): ReplicaLine[] {
  const out: ReplicaLine[] = [];
  for (const [k, v] of info) {
    if (!/^slave\d+$/.test(k)) continue;
    const f = new Map(v.split(',').map((kv) => kv.split('=') as [string, string]));
    out.push({
      ip: f.get('ip') ?? '',
      port: Number(f.get('port') ?? 0),
      state: f.get('state') ?? '',
      offset: Number(f.get('offset') ?? 0),
      lag: Number(f.get('lag') ?? 0),
    });
  }
  return out;
}

/** Total keys over every database of INFO keyspace. */
export function keyCount(info: Info): number {
  let n = 0;
  for (const [k, v] of info) {
    if (/^db\d+$/.test(k)) n += Number(/keys=(\d+)/.exec(v)?.[1] ?? 0);
  }
  return n;
}

/** Runs fn with a connection, always closing it. */
export async function withNode<T>(
  addr: Address,
  fn: (c: NodeClient) => Promise<T>,
  timeoutMs = 2000,
  creds: Credentials = {},
): Promise<T> {
  const c = await NodeClient.open(addr, timeoutMs, creds);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
