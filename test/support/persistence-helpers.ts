/** Shared by the persistence tests: data sets, dataset dumps to compare servers, process control. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RespValue } from '../../src/protocol/resp-reader.js';
import { RawClient } from './raw-client.js';
import { findRedisServer, type ProcessServer, SERVER_BIN, spawnServer, tempDir } from './servers.js';

/** A reply as plain data: strings (latin1), numbers, arrays, null; errors throw. */
export function plain(v: RespValue): unknown {
  switch (v.type) {
    case 'bulk':
    case 'verbatim':
      return v.value.toString('latin1');
    case 'simple':
      return v.value;
    case 'integer':
      return Number(v.value);
    case 'null':
      return null;
    case 'error':
      throw new Error(v.value);
    case 'array':
    case 'set':
    case 'push':
      return v.value.map(plain);
    default:
      return JSON.stringify(v);
  }
}

/** Sends one command and returns its reply as plain data. */
export async function cmd(c: RawClient, ...args: Array<string | Buffer>): Promise<unknown> {
  return plain((await c.call(args)).value);
}

/** Sends many commands at once (pipelined), returns the replies (an error reply throws). */
export async function pipeline(c: RawClient, commands: Array<Array<string | Buffer>>): Promise<unknown[]> {
  return (await pipelineRaw(c, commands)).map(plain);
}

/** Sends many commands at once (pipelined), returns the raw replies (errors included). */
export async function pipelineRaw(
  c: RawClient,
  commands: Array<Array<string | Buffer>>,
): Promise<RespValue[]> {
  for (const command of commands) c.send(command);
  const out: RespValue[] = [];
  for (let i = 0; i < commands.length; i++) out.push((await c.read(30000)).value);
  return out;
}

/** A deterministic pseudo-random generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
/** Far future absolute expiry (2100-01-01), so a key never expires during a test. */
export const FAR_FUTURE_MS = 4102444800123;

/**
 * Commands building a data set with every type and encoding Redis 7.0 has (but streams): ints,
 * short/long/binary/compressible strings, small and multi-node lists, intsets, string and large
 * sets, listpack/hashtable hashes (many fields, long values), listpack/skiplist sorted sets with
 * special scores, expiries, several databases.
 */
export function datasetCommands(seed: number, scale = 1): string[][] {
  const r = rng(seed);
  const out: string[][] = [];
  const n = (k: number) => Math.max(1, Math.round(k * scale));
  const word = (len: number) => {
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(97 + Math.floor(r() * 26));
    return s;
  };
  const binary = (len: number) => {
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(Math.floor(r() * 256));
    return s;
  };
  for (const db of [0, 1, 5]) {
    out.push(['SELECT', String(db)]);
    for (let i = 0; i < n(1500); i++) {
      const k = `s:${db}:${i}`;
      const kind = i % 6;
      if (kind === 0) out.push(['SET', k, String(Math.floor((r() - 0.5) * 2 ** 40))]);
      else if (kind === 1) out.push(['SET', k, word(1 + Math.floor(r() * 40))]);
      else if (kind === 2) out.push(['SET', k, word(10).repeat(30)]);
      else if (kind === 3) out.push(['SET', k, binary(1 + Math.floor(r() * 200))]);
      else if (kind === 4) out.push(['SET', k, word(100)]);
      else out.push(['SET', k, String(i - 100)]);
      if (i % 7 === 0) out.push(['PEXPIREAT', k, String(FAR_FUTURE_MS + i)]);
    }
    out.push(['SET', `all256:${db}`, ALL_BYTES]);
    out.push(['SET', `huge:${db}`, binary(70000)]);
    out.push(['SET', `empty:${db}`, '']);
    out.push(['SET', `int64:${db}`, '9223372036854775807']);
    for (let i = 0; i < n(60); i++) {
      const items = Array.from({ length: 1 + Math.floor(r() * 20) }, () =>
        r() < 0.3 ? String(Math.floor(r() * 1e6)) : word(5),
      );
      out.push(['RPUSH', `l:${db}:${i}`, ...items]);
    }
    const big: string[] = [];
    for (let i = 0; i < n(3000); i++) big.push(i % 3 === 0 ? String(i * 977 - 5000) : `${word(8)}-${i}`);
    out.push(['RPUSH', `lbig:${db}`, ...big]);
    out.push(['RPUSH', `lbin:${db}`, binary(300), ALL_BYTES, '', binary(9000)]);
    for (let i = 0; i < n(40); i++) {
      out.push([
        'SADD',
        `si:${db}:${i}`,
        ...Array.from({ length: 1 + Math.floor(r() * 30) }, () =>
          String(Math.floor((r() - 0.5) * 2 ** (8 + i))),
        ),
      ]);
      out.push(['SADD', `ss:${db}:${i}`, ...Array.from({ length: 1 + Math.floor(r() * 30) }, () => word(6))]);
    }
    out.push(['SADD', `sibig:${db}`, ...Array.from({ length: n(700) }, (_, i) => String(i * 3))]);
    out.push(['SADD', `ssbig:${db}`, ...Array.from({ length: n(900) }, (_, i) => `m${i}`)]);
    out.push(['SADD', `s64:${db}`, '9223372036854775807', '-9223372036854775808', '0']);
    for (let i = 0; i < n(40); i++) {
      const pairs: string[] = [];
      for (let j = 0; j < 1 + Math.floor(r() * 20); j++)
        pairs.push(`f${j}`, r() < 0.3 ? String(j * 1000) : word(8));
      out.push(['HSET', `h:${db}:${i}`, ...pairs]);
    }
    const hbig: string[] = [];
    for (let j = 0; j < n(800); j++) hbig.push(`field:${j}`, word(12));
    out.push(['HSET', `hbig:${db}`, ...hbig]);
    out.push(['HSET', `hlong:${db}`, 'a', word(500), 'b', binary(100)]);
    for (let i = 0; i < n(40); i++) {
      const args: string[] = [];
      for (let j = 0; j < 1 + Math.floor(r() * 20); j++)
        args.push(String(Math.round((r() - 0.5) * 2000) / 8), `m${j}`);
      out.push(['ZADD', `z:${db}:${i}`, ...args]);
    }
    const zbig: string[] = [];
    for (let j = 0; j < n(500); j++) zbig.push(String(r() * 1e6 - 5e5), `member:${j}`);
    out.push(['ZADD', `zbig:${db}`, ...zbig]);
    out.push([
      'ZADD',
      `zspecial:${db}`,
      'inf',
      'pinf',
      '-inf',
      'ninf',
      '0.1',
      'tenth',
      '1e300',
      'huge',
      '-5',
      'neg',
      '3',
      'three',
    ]);
    out.push(['ZADD', `zlong:${db}`, '1', word(100), '2', 'short']);
    out.push(['PEXPIREAT', `lbig:${db}`, String(FAR_FUTURE_MS)]);
    out.push(['PEXPIREAT', `hbig:${db}`, String(FAR_FUTURE_MS)]);
  }
  out.push(['SELECT', '0']);
  return out;
}

/**
 * DEBUG DIGEST of the server on `port` (started with --enable-debug-command yes): Redis's SHA1 of
 * the whole data set, identical on two servers (tsredis or redis-server) holding the same data.
 */
export async function serverDigest(port: number): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    const r = (await c.call(['DEBUG', 'DIGEST'])).value;
    if (r.type !== 'simple') throw new Error(`DEBUG DIGEST failed: ${JSON.stringify(r)}`);
    return r.value;
  } finally {
    c.close();
  }
}

/** Loads a data set, in pipelined batches. */
export async function loadDataset(c: RawClient, commands: string[][]): Promise<void> {
  for (let i = 0; i < commands.length; i += 500) {
    const replies = await pipeline(c, commands.slice(i, i + 500));
    for (const r of replies) if (typeof r === 'string' && r.startsWith('ERR')) throw new Error(r);
  }
}

/**
 * Every key of every database as comparable text: db, key, type, encoding, PEXPIRETIME and the
 * value (sets and hashes sorted). Two servers holding the same data give the same list.
 */
export async function dumpAll(c: RawClient, dbs = 16): Promise<string[]> {
  const lines: string[] = [];
  for (let db = 0; db < dbs; db++) {
    await cmd(c, 'SELECT', String(db));
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = (await cmd(c, 'SCAN', cursor, 'COUNT', '1000')) as [string, string[]];
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    keys.sort();
    for (const key of keys) {
      const [type, enc, ttl] = await pipeline(c, [
        ['TYPE', key],
        ['OBJECT', 'ENCODING', key],
        ['PEXPIRETIME', key],
      ]);
      let value: unknown;
      if (type === 'string') value = await cmd(c, 'GET', key);
      else if (type === 'list') value = await cmd(c, 'LRANGE', key, '0', '-1');
      else if (type === 'set') value = ((await cmd(c, 'SMEMBERS', key)) as string[]).sort();
      else if (type === 'hash') {
        const flat = (await cmd(c, 'HGETALL', key)) as string[];
        const pairs: string[] = [];
        for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
        value = pairs.sort();
      } else if (type === 'zset') value = await cmd(c, 'ZRANGE', key, '0', '-1', 'WITHSCORES');
      else if (type === 'stream') value = await cmd(c, 'XINFO', 'STREAM', key, 'FULL', 'COUNT', '0');
      lines.push(JSON.stringify([db, key, type, encodingClass(type as string, enc as string), ttl, value]));
    }
  }
  await cmd(c, 'SELECT', '0');
  return lines;
}

/** RDB does not keep raw vs embstr: compare strings by "string" only. */
function encodingClass(type: string, enc: string): string {
  return type === 'string' && enc !== 'int' ? 'str' : enc;
}

/** A tsredis-server process with its own data directory (kept until the caller removes it). */
export function startTsredisIn(
  dir: string,
  args: string[] = [],
  readyPattern?: RegExp,
): Promise<ProcessServer> {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  return spawnServer(SERVER_BIN, ['--bind', '127.0.0.1', '--save', '', '--dir', dir, ...args], {
    dir,
    cwd: dir,
    readyPattern,
  });
}

/** A redis-server 7.0 process with its own data directory. */
export function startRedisIn(dir: string, args: string[] = []): Promise<ProcessServer> {
  const bin = findRedisServer();
  if (bin === null) throw new Error('redis-server not installed');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  return spawnServer(
    bin,
    ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args],
    {
      dir,
      cwd: dir,
    },
  );
}

/** redis-check-rdb's verdict on a file: exit code and output. */
export function checkRdb(path: string): { code: number; output: string } {
  try {
    const output = execFileSync('redis-check-rdb', [path], {
      encoding: 'latin1',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, output };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, output: `${err.stdout}${err.stderr}` };
  }
}

export function freshDir(prefix: string): string {
  return tempDir(`tsredis-${prefix}-`);
}

export function pathIn(dir: string, ...parts: string[]): string {
  return join(dir, ...parts);
}

/** Starts BGREWRITEAOF on the server at port and waits until the rewrite is over. */
export async function rewriteAof(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const started = String(plain((await c.call(['BGREWRITEAOF'])).value));
    if (started !== 'Background append only file rewriting started')
      throw new Error(`BGREWRITEAOF: ${started}`);
    for (let i = 0; i < 400; i++) {
      const info = String(plain((await c.call(['INFO', 'persistence'])).value));
      if (/aof_rewrite_in_progress:0/.test(info) && !/aof_rewrite_scheduled:1/.test(info)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the AOF rewrite did not finish in 20 s');
  } finally {
    c.close();
  }
}
