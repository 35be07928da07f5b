/**
 * Fuzzing the request path: random and mutated RESP streams on many connections at once, against
 * tsredis in-process and as a process. Afterwards the server must still answer on a fresh
 * connection, must not have crashed, and no handler may have thrown.
 *
 * FUZZ_SEED=<n> replays another sequence; FUZZ_MS=<ms> runs each phase longer.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { allFamilies } from '../../src/commands/index.js';
import { Commands } from '../../src/core/command-table.js';
import type { RunningServer } from '../../src/index.js';
import { encodeCommand } from '../../src/protocol/resp-reader.js';
import { RawClient } from '../support/raw-client.js';
import { type ProcessServer, startTsredis, startTsredisProcess } from '../support/servers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const PHASE_MS = Number(process.env.FUZZ_MS ?? 1500);
const CONNECTIONS = 12;

/**
 * Commands the fuzzer never sends: they stop, pause, reconfigure or block the whole server, touch
 * files or the network, run scripts that may loop forever, or compute for seconds by design (PFSELFTEST,
 * LOLWUT art of 1000x1000). Everything else registered is fair game.
 */
const DENY = new Set([
  'shutdown',
  'debug',
  'config',
  'client|pause',
  'replicaof',
  'slaveof',
  'failover',
  'sync',
  'psync',
  'save',
  'bgsave',
  'bgrewriteaof',
  'eval',
  'eval_ro',
  'evalsha',
  'evalsha_ro',
  'fcall',
  'fcall_ro',
  'function',
  'script',
  'module',
  'pfselftest',
  'lolwut',
  'migrate',
  'acl',
  'cluster',
  'monitor',
  'wait',
]);

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
class Rng {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** Arguments likely to reach edge cases: numbers at the limits, options, odd strings. */
const SPECIAL_ARGS = [
  '0',
  '1',
  '-1',
  '2',
  '3',
  '10',
  '100',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  '4294967296',
  '1.5',
  '-0.5',
  'inf',
  '-inf',
  '+inf',
  'nan',
  '1e308',
  '',
  ' 1',
  '01',
  '0x10',
  'NX',
  'XX',
  'GT',
  'LT',
  'EX',
  'PX',
  'EXAT',
  'KEEPTTL',
  'GET',
  'COUNT',
  'MATCH',
  '*',
  'LIMIT',
  'WITHSCORES',
  'BY',
  'STORE',
  'ASC',
  'DESC',
  'ALPHA',
  'LEFT',
  'RIGHT',
  'BEFORE',
  'AFTER',
  'TYPE',
  'string',
  'RANK',
  'MAXLEN',
  'IDLE',
  'REPLACE',
  'ABSTTL',
  'FREQ',
  'AUTH',
  'SETNAME',
  'default',
  'key',
  'k1',
  'k2',
  '(1',
  '[a',
  '-',
  '+',
];
const KEYS = ['key', 'k1', 'k2', 'list', 'set', 'hash', 'zset', 'str', '{t}a', '{t}b'];

class Fuzzer {
  private readonly names: Array<{ name: string[]; arity: number }> = [];

  constructor(private readonly rng: Rng) {
    for (const def of new Commands(allFamilies).all()) {
      if (DENY.has(def.name)) continue;
      if (def.subcommands === null) {
        this.names.push({ name: [def.name], arity: def.arity });
        continue;
      }
      for (const sub of def.subcommands.values()) {
        if (!DENY.has(sub.name)) this.names.push({ name: sub.name.split('|'), arity: sub.arity });
      }
    }
  }

  get commandCount(): number {
    return this.names.length;
  }

  private arg(): string | Buffer {
    const r = this.rng;
    const kind = r.int(10);
    if (kind < 4) return r.pick(SPECIAL_ARGS);
    if (kind < 7) return r.pick(KEYS);
    if (kind < 8) return String(r.int(2000) - 1000);
    if (kind < 9) return r.bytes(r.int(40));
    return 'x'.repeat(r.int(3000));
  }

  /** A well-formed command with random arguments, usually near its arity. */
  validCommand(): Array<string | Buffer> {
    const r = this.rng;
    const { name, arity } = r.pick(this.names);
    const base = Math.abs(arity);
    const count = Math.max(name.length, r.chance(0.8) ? base + (arity < 0 ? r.int(6) : 0) : r.int(base + 4));
    const argv: Array<string | Buffer> = [r.chance(0.3) ? name[0].toUpperCase() : name[0], ...name.slice(1)];
    while (argv.length < count) argv.push(this.arg());
    return argv;
  }

  /** One piece of a stream: valid, inline, mutated, truncated, oversized or plain garbage. */
  piece(): Buffer {
    const r = this.rng;
    switch (r.int(9)) {
      case 0:
      case 1:
      case 2:
        return encodeCommand(this.validCommand());
      case 3:
        return this.inline();
      case 4:
        return this.mutate(encodeCommand(this.validCommand()));
      case 5: {
        const whole = encodeCommand(this.validCommand());
        return whole.subarray(0, r.int(whole.length));
      }
      case 6:
        return Buffer.from(
          r.pick([
            '*2147483647\r\n',
            '*1048577\r\n$4\r\nPING\r\n',
            `*2\r\n$3\r\nGET\r\n$${r.pick(['536870912', '536870913', '9223372036854775807', '-1', '1e3'])}\r\n`,
            '*-5\r\n',
            '*0\r\n',
            `*1\r\n${r.pick(['+', '-', ':', '%', '~', '_', '#', '\x00'])}PING\r\n`,
            `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${r.int(200000)}\r\n`,
          ]),
          'latin1',
        );
      case 7:
        return r.bytes(r.int(300));
      default:
        return Buffer.from(
          r.pick(['\r\n', '\n', '\r', '*', '$', '*1\r\n', '"', "'", 'POST /', 'QUIT\r\n']),
          'latin1',
        );
    }
  }

  private inline(): Buffer {
    const r = this.rng;
    const words = this.validCommand().map((a) => {
      const s = typeof a === 'string' ? a : a.toString('latin1');
      const quote = r.int(4);
      if (quote === 0) return `"${s.replace(/["\\]/g, '\\$&')}${r.chance(0.1) ? '\\x4' : ''}"`;
      if (quote === 1) return `'${s}'`;
      return s.replace(/[\s"'\r\n]/g, '_');
    });
    return Buffer.from(`${words.join(r.pick([' ', '  ', '\t']))}${r.pick(['\r\n', '\n'])}`, 'latin1');
  }

  private mutate(b: Buffer): Buffer {
    const r = this.rng;
    const out = Buffer.from(b);
    const edits = 1 + r.int(4);
    let result = out;
    for (let i = 0; i < edits && result.length > 0; i++) {
      const at = r.int(result.length);
      const op = r.int(3);
      if (op === 0) result[at] = r.int(256);
      else if (op === 1) result = Buffer.concat([result.subarray(0, at), result.subarray(at + 1)]);
      else result = Buffer.concat([result.subarray(0, at), r.bytes(1 + r.int(4)), result.subarray(at)]);
    }
    return result;
  }

  /** A whole connection's input, at most about `budget` bytes. */
  stream(budget: number): Buffer {
    const parts: Buffer[] = [];
    let size = 0;
    while (size < budget) {
      const p = this.piece();
      parts.push(p);
      size += p.length;
    }
    return Buffer.concat(parts);
  }
}

/** Sends the stream in random chunks, drains replies, half-closes, and waits for the close. */
function fuzzConnection(port: number, stream: Buffer, rng: Rng): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    // Blocked commands (BLPOP …) may keep the server from closing; give up after a while.
    const timer = setTimeout(finish, 2000);
    socket.on('data', () => {});
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('connect', async () => {
      for (let i = 0; i < stream.length && !socket.destroyed; ) {
        const n = 1 + rng.int(rng.chance(0.2) ? 8 : 4096);
        socket.write(stream.subarray(i, i + n));
        i += n;
        if (rng.chance(0.1)) await new Promise((r) => setImmediate(r));
      }
      if (!socket.destroyed) socket.end();
    });
  });
}

/** Runs waves of fuzzing connections against port for about `ms`. Returns streams sent. */
async function fuzz(port: number, seed: number, ms: number): Promise<number> {
  const rng = new Rng(seed);
  const fuzzer = new Fuzzer(rng);
  assert.ok(fuzzer.commandCount > 10, 'the command table has commands to fuzz');
  const deadline = Date.now() + ms;
  let streams = 0;
  while (Date.now() < deadline) {
    const wave: Promise<void>[] = [];
    for (let i = 0; i < CONNECTIONS; i++) {
      wave.push(fuzzConnection(port, fuzzer.stream(rng.int(20_000)), rng));
      streams++;
    }
    await Promise.all(wave);
  }
  return streams;
}

async function assertHealthy(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    assert.equal(await c.callRaw('PING'), '+PONG\r\n');
    assert.equal(await c.callRaw(['SET', 'after-fuzz', 'ok']), '+OK\r\n');
    assert.equal(await c.callRaw(['GET', 'after-fuzz']), '$2\r\nok\r\n');
  } finally {
    c.close();
  }
}

describe('fuzz: random and mutated RESP streams', () => {
  let ts: RunningServer;
  let proc: ProcessServer;
  const logLines: string[] = [];
  before(async () => {
    [ts, proc] = await Promise.all([
      startTsredis({ log: (line) => logLines.push(line) }),
      startTsredisProcess(),
    ]);
  });
  after(() => Promise.all([ts.stop(), proc.stop()]));

  test(`in-process server survives (seed ${SEED})`, async () => {
    const streams = await fuzz(ts.port, SEED, PHASE_MS);
    assert.ok(streams >= CONNECTIONS);
    await assertHealthy(ts.port);
    const thrown = logLines.filter((l) => l.includes('Error executing'));
    assert.equal(ts.server.stats.unexpectedErrors, 0, `handlers threw:\n${thrown.join('\n')}`);
  });

  test(`tsredis-server process survives (seed ${SEED + 1})`, async () => {
    await fuzz(proc.port, SEED + 1, PHASE_MS);
    await assertHealthy(proc.port);
    assert.equal(proc.proc.exitCode, null, 'still running');
    const thrown = proc
      .output()
      .split('\n')
      .filter((l) => l.includes('Error executing'));
    assert.deepEqual(thrown, [], 'no handler threw');
  });
});
