/** Helpers for replication tests: nodes of either engine, INFO parsing, whole-keyspace digests. */
import { after } from 'node:test';
import { RawClient } from './raw-client.js';
import { findRedisServer, type ProcessServer, SERVER_BIN, spawnServer } from './servers.js';
import { waitFor } from './tcp-proxy.js';

export type Engine = 'tsredis' | 'redis';

/** Starts a node (persistence off, fast syncs unless the args say otherwise). */
export async function startNode(engine: Engine, args: string[] = []): Promise<ProcessServer> {
  const base = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'];
  const bin = engine === 'tsredis' ? SERVER_BIN : findRedisServer();
  if (bin === null) throw new Error('redis-server not installed');
  return spawnServer(bin, [...base, ...args]);
}

/**
 * A startNode for one test file: every node it starts is killed when the file's tests end
 * (call at module level).
 */
export function nodesOfThisFile(): (engine: Engine, args?: string[]) => Promise<ProcessServer> {
  const started: ProcessServer[] = [];
  after(async () => {
    for (const s of started.reverse()) await s.stop('SIGKILL');
  });
  return async (engine, args = []) => {
    const s = await startNode(engine, args);
    started.push(s);
    return s;
  };
}

/** Runs one command on a fresh connection and returns the reply as text (bulk/simple/int). */
export async function cmd(port: number, ...argv: string[]): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.call(argv);
    return replyText(r.value);
  } finally {
    c.close();
  }
}

function replyText(v: { type: string; value?: unknown }): string {
  switch (v.type) {
    case 'bulk':
    case 'verbatim':
      return (v.value as Buffer).toString('latin1');
    case 'null':
      return '(nil)';
    case 'array':
    case 'set':
    case 'map':
      return (v.value as Array<{ type: string; value?: unknown }>).map(replyText).join('\n');
    case 'error':
      return `ERR:${v.value}`;
    default:
      return String(v.value);
  }
}

export async function info(port: number, section = 'replication'): Promise<Map<string, string>> {
  const text = await cmd(port, 'INFO', section);
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** Waits until the master sees `replicas` online replicas that acknowledged its whole stream. */
export async function waitInSync(masterPort: number, replicas: number, timeoutMs = 30000): Promise<void> {
  await waitFor(
    `${replicas} replica(s) in sync with ${masterPort}`,
    async () => {
      const i = await info(masterPort);
      const offset = i.get('master_repl_offset');
      let ok = 0;
      for (const [k, v] of i) {
        if (/^slave\d+$/.test(k) && v.includes('state=online') && v.includes(`offset=${offset},`)) ok++;
      }
      return ok >= replicas;
    },
    timeoutMs,
  );
}

/** Waits until a replica's link is up and it applied the master's whole stream. */
export async function waitReplicaCaughtUp(
  masterPort: number,
  replicaPort: number,
  timeoutMs = 30000,
): Promise<void> {
  await waitFor(
    `replica ${replicaPort} caught up with ${masterPort}`,
    async () => {
      const [m, r] = await Promise.all([info(masterPort), info(replicaPort)]);
      return (
        r.get('master_link_status') === 'up' && r.get('slave_repl_offset') === m.get('master_repl_offset')
      );
    },
    timeoutMs,
  );
}

/**
 * A canonical dump of every key of every db (type, value, whether it has a TTL), identical for
 * tsredis and redis-server holding the same data: how tests check that nodes converged.
 */
export async function digest(port: number, dbs = 16): Promise<string> {
  const c = await RawClient.connect(port);
  const lines: string[] = [];
  const q = async (...argv: string[]) => replyText((await c.call(argv)).value);
  // Elements of an array reply as strings (values are binary: never split text on newlines).
  const items = async (...argv: string[]) => {
    const v = (await c.call(argv)).value as { value: Array<{ value: Buffer }> };
    return v.value.map((x) => x.value.toString('latin1'));
  };
  try {
    for (let db = 0; db < dbs; db++) {
      await c.call(['SELECT', String(db)]);
      const keys = await items('KEYS', '*');
      keys.sort();
      for (const key of keys) {
        const type = await q('TYPE', key);
        let value: string;
        if (type === 'string') value = await q('GET', key);
        else if (type === 'list') value = JSON.stringify(await items('LRANGE', key, '0', '-1'));
        else if (type === 'set') value = JSON.stringify((await items('SMEMBERS', key)).sort());
        else if (type === 'hash') {
          const flat = await items('HGETALL', key);
          const pairs: string[] = [];
          for (let i = 0; i < flat.length; i += 2) pairs.push(JSON.stringify([flat[i], flat[i + 1]]));
          value = pairs.sort().join(',');
        } else if (type === 'zset')
          value = JSON.stringify(await items('ZRANGE', key, '0', '-1', 'WITHSCORES'));
        else value = '?';
        const ttl = Number(await q('PTTL', key)) >= 0 ? 'ttl' : '';
        lines.push(`${db} ${JSON.stringify(key)} ${type} ${ttl} ${JSON.stringify(value)}`);
      }
    }
  } finally {
    c.close();
  }
  return lines.join('\n');
}

/** Writes a dataset of every type (with binary data and TTLs) through one connection. */
export async function writeDataset(port: number, prefix: string, n = 200): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    for (let i = 0; i < n; i++) {
      c.send(['SET', `${prefix}:s:${i}`, `v${i}\x00\xff${'x'.repeat(i % 50)}`]);
      c.send(['RPUSH', `${prefix}:l:${i % 10}`, `e${i}`, String(i)]);
      c.send(['HSET', `${prefix}:h:${i % 7}`, `f${i}`, `v${i}`]);
      c.send(['SADD', `${prefix}:set:${i % 5}`, String(i), `m${i}`]);
      c.send(['ZADD', `${prefix}:z:${i % 3}`, String(i / 3), `z${i}`]);
      if (i % 20 === 0) c.send(['SET', `${prefix}:ttl:${i}`, 'x', 'EX', '1000']);
    }
    c.send(['SELECT', '3']);
    c.send(['SET', `${prefix}:db3`, 'three']);
    c.send(['INCRBYFLOAT', `${prefix}:float`, '1.25']);
    c.send(['PING']);
    const total = n * 5 + n / 20 + 4;
    for (let i = 0; i < total; i++) await c.read();
  } finally {
    c.close();
  }
}

/** Full and partial resyncs a master has served (INFO stats sync_full, sync_partial_ok). */
export async function syncStats(port: number): Promise<{ full: number; partial: number }> {
  const s = await info(port, 'stats');
  return { full: Number(s.get('sync_full')), partial: Number(s.get('sync_partial_ok')) };
}
