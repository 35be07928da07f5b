/**
 * COMMAND, SLOWLOG, LATENCY, MONITOR, ROLE, TIME, LASTSAVE, MEMORY and DEBUG against redis-server
 * 7.0: exact replies where they are deterministic, masked comparisons where they hold times,
 * addresses or sizes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RespReader, type RespValue } from '../../src/protocol/resp-reader.js';
import { canonical, DiffPair, type Step } from '../support/diff.js';
import { RawClient, type Reply } from '../support/raw-client.js';
import { DIST, skipWithoutRedis, startRedis, startTsredis } from '../support/servers.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'info');

function str(v: RespValue): string {
  const x = v as { type: string; value: unknown };
  if (Buffer.isBuffer(x.value)) return x.value.toString('latin1');
  return String(x.value);
}

function items(r: Reply): RespValue[] {
  return (r.value as { value: RespValue[] }).value;
}

/** Names in a COMMAND LIST reply. */
function names(r: Reply): string[] {
  return items(r).map(str);
}

/** tsredis lists a subset of Redis's commands: exactly those of Redis's list that it implements. */
function subsetOf(implemented: Set<string>) {
  return (redis: Reply, ts: Reply): string | null => {
    if (redis.value.type === 'error' || ts.value.type === 'error') {
      return redis.raw.equals(ts.raw) ? null : 'different errors';
    }
    const expected = names(redis)
      .filter((n) => implemented.has(n))
      .sort();
    const actual = names(ts).sort();
    return JSON.stringify(expected) === JSON.stringify(actual) ? null : `${expected} vs ${actual}`;
  };
}

describe('COMMAND: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  let implemented: string[];
  before(async () => {
    pair = await DiffPair.start();
    const c = await RawClient.connect(pair.ts.port);
    implemented = names(await c.call('COMMAND LIST'));
    c.close();
  });
  after(() => pair.stop());

  /** Leaf commands: plain commands and subcommands (containers list only what tsredis has). */
  const leaves = () =>
    implemented.filter((n) => n.includes('|') || !implemented.some((m) => m.startsWith(`${n}|`)));

  test('COMMAND INFO and COMMAND DOCS of every implemented command, RESP2 and RESP3', async () => {
    const steps: Step[] = [];
    for (const proto of ['2', '3']) {
      steps.push({ cmd: `HELLO ${proto}`, compare: 'type' });
      for (const name of leaves()) steps.push(['COMMAND', 'INFO', name], ['COMMAND', 'DOCS', name]);
    }
    await pair.run(steps);
  });

  test('COMMAND lists every implemented command as Redis describes it (golden capture)', async () => {
    const reader = new RespReader();
    reader.append(readFileSync(join(FIXTURES, 'command.resp.txt')));
    const golden = new Map<string, string>();
    for (const entry of (reader.next() as { value: RespValue[] }).value) {
      golden.set(str((entry as { value: RespValue[] }).value[0]), canonical(entry));
    }
    const c = await RawClient.connect(pair.ts.port);
    const all = items(await c.call('COMMAND'));
    assert.equal(await c.callRaw('COMMAND COUNT'), `:${all.length}\r\n`);
    const top = implemented.filter((n) => !n.includes('|'));
    assert.equal(all.length, top.length);
    for (const entry of all) {
      const name = str((entry as { value: RespValue[] }).value[0]);
      assert.ok(golden.has(name), `${name} is a Redis command`);
      if (!leaves().includes(name)) continue;
      assert.equal(canonical(entry), golden.get(name), `COMMAND entry of ${name}`);
    }
    c.close();
  });

  test('COMMAND LIST filters, INFO/DOCS of unknown names, errors and HELP', () => {
    const set = new Set(implemented);
    return pair.run([
      { cmd: 'COMMAND LIST', compare: subsetOf(set) },
      { cmd: 'COMMAND LIST FILTERBY PATTERN *get*', compare: subsetOf(set) },
      { cmd: 'COMMAND LIST FILTERBY PATTERN CLIENT*', compare: subsetOf(set) },
      { cmd: 'COMMAND LIST FILTERBY ACLCAT string', compare: subsetOf(set) },
      { cmd: 'COMMAND LIST FILTERBY ACLCAT KEYSPACE', compare: subsetOf(set) },
      'COMMAND LIST FILTERBY ACLCAT nosuch',
      'COMMAND LIST FILTERBY MODULE x',
      'COMMAND LIST FILTERBY foo bar',
      'COMMAND LIST FILTERBY',
      'COMMAND LIST foo',
      'COMMAND LIST FILTERBY PATTERN a extra',
      'COMMAND INFO nosuch',
      'COMMAND INFO get nosuch config|nosuch get|x a|b|c',
      'COMMAND DOCS nosuch',
      'COMMAND DOCS nosuch get',
      'COMMAND COUNT x',
      'COMMAND NOSUCH',
      'COMMAND HELP',
      'COMMAND HELP x',
      { cmd: 'HELLO 3', compare: 'type' },
      'COMMAND INFO nosuch get',
      'COMMAND DOCS nosuch get',
    ]);
  });

  test('COMMAND GETKEYS and GETKEYSANDFLAGS', () =>
    pair.run([
      'COMMAND GETKEYS',
      'COMMAND GETKEYS get',
      'COMMAND GETKEYS get a b',
      'COMMAND GETKEYS nosuch a',
      'COMMAND GETKEYS ping x',
      'COMMAND GETKEYS config get x',
      'COMMAND GETKEYS config nosuch x',
      'COMMAND GETKEYS get k',
      'COMMAND GETKEYS set k v get',
      'COMMAND GETKEYSANDFLAGS set k v get',
      'COMMAND GETKEYSANDFLAGS set k v nx',
      'COMMAND GETKEYS mset a 1 b 2',
      'COMMAND GETKEYSANDFLAGS mset a 1 b 2',
      'COMMAND GETKEYS del a b c',
      'COMMAND GETKEYSANDFLAGS bitfield k get u8 0',
      'COMMAND GETKEYSANDFLAGS bitfield k incrby u8 0 1',
      'COMMAND GETKEYSANDFLAGS bitop and d a b',
      'COMMAND GETKEYSANDFLAGS object encoding k',
      'COMMAND GETKEYSANDFLAGS memory usage k',
      'COMMAND GETKEYS rename a b',
      { cmd: 'HELLO 3', compare: 'type' },
      'COMMAND GETKEYSANDFLAGS copy a b',
      'COMMAND GETKEYSANDFLAGS getex k',
    ]));
});

/** Slowlog entries with time, duration and client port masked. */
function maskSlowlog(r: Reply): string {
  return canonical(r.value)
    .replace(/array\[:(\d+),:\d+,:\d+,/g, 'array[:$1,T,D,')
    .replace(/127\.0\.0\.1:\d+/g, 'ADDR');
}

const sameSlowlog = (a: Reply, b: Reply) =>
  maskSlowlog(a) === maskSlowlog(b) ? null : `${maskSlowlog(a)}\nvs\n${maskSlowlog(b)}`;

/** Masks numbers in a LATENCY DOCTOR / LATEST reply (times and durations differ). */
function maskNumbers(r: Reply): string {
  return canonical(r.value).replace(/\d+(\.\d+)?/g, 'N');
}

const sameShape = (a: Reply, b: Reply) =>
  maskNumbers(a) === maskNumbers(b) ? null : `${maskNumbers(a)}\nvs\n${maskNumbers(b)}`;

describe('SLOWLOG, LATENCY, ROLE, TIME, LASTSAVE, MEMORY, DEBUG: differential', {
  skip: skipWithoutRedis(),
}, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({ config: { 'enable-debug-command': 'yes' } });
  });
  after(() => pair.stop());

  test('SLOWLOG', () => {
    const manyArgs = ['RPUSH', 'k', ...Array.from({ length: 40 }, (_, i) => `v${i}`)];
    return pair.run([
      'SLOWLOG GET x',
      'SLOWLOG GET -2',
      'SLOWLOG GET 1 2',
      'SLOWLOG LEN x',
      'SLOWLOG NOSUCH',
      'SLOWLOG HELP',
      'SLOWLOG RESET',
      'CONFIG SET slowlog-log-slower-than 0',
      'SLOWLOG RESET',
      'CLIENT SETNAME me',
      ['SET', 'k', 'x'.repeat(200)],
      ['MSET', ...Array.from({ length: 40 }, (_, i) => `k${i}`)],
      ['ECHO', 'bin\x00\xff'],
      // Secrets are redacted, as Redis's redactClientCommandArgument does.
      'AUTH secret',
      'AUTH someone secret',
      'HELLO 2 AUTH default secret',
      'CONFIG SET masterauth secret maxmemory-samples 5',
      'CONFIG SET masterauth ""',
      { cmd: 'SLOWLOG GET', compare: sameSlowlog },
      { cmd: 'SLOWLOG GET 2', compare: sameSlowlog },
      { cmd: 'SLOWLOG GET 0', compare: sameSlowlog },
      { cmd: 'SLOWLOG GET -1', compare: sameSlowlog },
      'SLOWLOG LEN',
      'CONFIG SET slowlog-max-len 2',
      'PING',
      'SLOWLOG LEN',
      'CONFIG SET slowlog-log-slower-than -1',
      'SLOWLOG RESET',
      'PING',
      'SLOWLOG LEN',
      'CONFIG SET slowlog-log-slower-than 10000',
      'CONFIG SET slowlog-max-len 128',
      { cmd: manyArgs, compare: 'ignore' },
    ]);
  });

  test('LATENCY', () =>
    pair.run([
      'LATENCY LATEST',
      'LATENCY HISTORY command',
      'LATENCY HISTORY',
      'LATENCY RESET',
      'LATENCY RESET a b',
      'LATENCY DOCTOR',
      'LATENCY NOSUCH',
      'LATENCY HELP',
      'LATENCY HISTOGRAM nosuch',
      // High enough that no other command of this script crosses it on a loaded machine (an
      // extra sample in one server's history would make the shapes differ).
      'CONFIG SET latency-monitor-threshold 20',
      'LATENCY DOCTOR',
      'DEBUG SLEEP 0.05',
      { cmd: 'LATENCY LATEST', compare: sameShape },
      { cmd: 'LATENCY HISTORY command', compare: sameShape },
      { cmd: 'LATENCY GRAPH command', compare: sameShape },
      'LATENCY GRAPH nosuch',
      'LATENCY GRAPH',
      { cmd: 'LATENCY DOCTOR', compare: sameShape },
      'CONFIG SET slowlog-log-slower-than 0',
      { cmd: 'LATENCY DOCTOR', compare: sameShape },
      'CONFIG SET slowlog-log-slower-than -1',
      { cmd: 'LATENCY DOCTOR', compare: sameShape },
      'CONFIG SET slowlog-log-slower-than 10000',
      { cmd: 'HELLO 3', compare: 'type' },
      { cmd: 'LATENCY DOCTOR', compare: sameShape },
      { cmd: 'LATENCY HISTOGRAM debug', compare: sameShape },
      'LATENCY RESET command nosuch',
      'LATENCY LATEST',
      'CONFIG SET latency-monitor-threshold 0',
      'LATENCY DOCTOR',
    ]));

  test('ROLE, TIME, LASTSAVE', () =>
    pair.run([
      'ROLE',
      'ROLE x',
      { cmd: 'TIME', compare: 'type' },
      'TIME x',
      { cmd: 'LASTSAVE', compare: 'type' },
      'LASTSAVE x',
    ]));

  test('MEMORY USAGE, DOCTOR, HELP, errors', () =>
    pair.run([
      'SET int 1',
      'SET bigint 123456789',
      'SET short hello',
      ['SET', 'k'.repeat(40), 'v'.repeat(44)],
      ['SET', 'raw', 'r'.repeat(45)],
      ['SET', 'raw2', 'r'.repeat(300)],
      ['SET', 'raw3', 'r'.repeat(70000)],
      'MEMORY USAGE int',
      'MEMORY USAGE bigint',
      'MEMORY USAGE short',
      ['MEMORY', 'USAGE', 'k'.repeat(40)],
      'MEMORY USAGE raw',
      'MEMORY USAGE raw2',
      'MEMORY USAGE raw3',
      'MEMORY USAGE int SAMPLES 0',
      'MEMORY USAGE nokey',
      'MEMORY USAGE int SAMPLES',
      'MEMORY USAGE int SAMPLES x',
      'MEMORY USAGE int SAMPLES -1',
      'MEMORY USAGE int foo 1',
      'MEMORY USAGE',
      'MEMORY NOSUCH',
      'MEMORY HELP',
      'FLUSHALL',
      'MEMORY DOCTOR',
      { cmd: 'HELLO 3', compare: 'type' },
      'MEMORY DOCTOR',
      { cmd: 'MEMORY STATS', compare: sameKeys },
    ]));

  test('DEBUG', () =>
    pair.run([
      'DEBUG',
      'DEBUG nosuch',
      'DEBUG HELP',
      'DEBUG HELP x',
      'DEBUG SLEEP',
      'DEBUG SLEEP 0',
      'DEBUG SLEEP abc',
      'DEBUG SLEEP 0 1',
      'SET a 1',
      'SET b 12345',
      'SET c 123456789012',
      'SET d hello',
      'SET e 012',
      'SET f -5',
      ['SET', 'g', 'x'.repeat(20)],
      ['SET', 'h', '1234567890'.repeat(5)],
      ['SET', 'i', 'q8Zr3mW1xTk0pLs9vBn2cY7uHd4fJg6e'],
      'APPEND j abc',
      'HSET hh f v',
      'SADD si 1 2 3',
      'SADD ss a b',
      'ZADD zz 1 a',
      ...['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'hh', 'si', 'ss', 'zz'].map((k) => ({
        cmd: `DEBUG OBJECT ${k}`,
        compare: sameDebugObject,
      })),
      'DEBUG OBJECT nokey',
      'DEBUG OBJECT',
      'DEBUG SET-ACTIVE-EXPIRE',
      'DEBUG SET-ACTIVE-EXPIRE 0',
      'DEBUG SET-ACTIVE-EXPIRE 1',
      'DEBUG ERROR foo',
      'DEBUG ERROR "MYERR something bad"',
      'DEBUG ERROR',
      'DEBUG LOG hello',
      'DEBUG POPULATE x',
      'DEBUG POPULATE -1',
      'DEBUG POPULATE 3',
      'DEBUG POPULATE 2 pfx 10',
      'DEBUG POPULATE 2 pfx 3',
      'DEBUG POPULATE 1 zz 3',
      'DEBUG POPULATE 2 big 100',
      'GET big:1',
      'OBJECT ENCODING big:1',
      'STRLEN big:0',
      'DEBUG POPULATE 1 k -5',
      'DEBUG POPULATE 1 k 1 extra',
      'DBSIZE',
      'GET key:2',
      'GET pfx:1',
      'GET zz:0',
      ...[
        'string',
        'integer',
        'double',
        'bignum',
        'null',
        'array',
        'set',
        'map',
        'attrib',
        'push',
        'verbatim',
        'true',
        'false',
        'foo',
      ].map((t) => `DEBUG PROTOCOL ${t}`),
      { cmd: 'HELLO 3', compare: 'type' },
      ...[
        'string',
        'double',
        'bignum',
        'null',
        'set',
        'map',
        'attrib',
        'push',
        'verbatim',
        'true',
        'false',
      ].map((t) => `DEBUG PROTOCOL ${t}`),
      'INFO errorstats',
    ]));

  test('SHUTDOWN argument errors', () =>
    pair.run([
      'SHUTDOWN ABORT',
      'SHUTDOWN NOSAVE SAVE',
      'SHUTDOWN ABORT NOW',
      'SHUTDOWN ABORT FORCE',
      'SHUTDOWN SAVE ABORT',
      'SHUTDOWN foo',
      'SHUTDOWN NOW foo',
      'MULTI',
      'SHUTDOWN',
      'DISCARD',
    ]));
});

/** MEMORY STATS: same field names in the same order (values are this process's own). */
function sameKeys(a: Reply, b: Reply): string | null {
  const keys = (r: Reply) =>
    items(r)
      .filter((_, i) => i % 2 === 0)
      .map(str)
      .join(',');
  return keys(a) === keys(b) ? null : `${keys(a)}\nvs\n${keys(b)}`;
}

function maskDebugObject(r: Reply): string {
  return str(r.value)
    .replace(/at:0x[0-9a-f]+/, 'at:ADDR')
    .replace(/lru:\d+ lru_seconds_idle:\d+/, 'lru:L idle:I');
}

const sameDebugObject = (a: Reply, b: Reply) =>
  maskDebugObject(a) === maskDebugObject(b) && a.value.type === b.value.type
    ? null
    : `${maskDebugObject(a)} vs ${maskDebugObject(b)}`;

describe('DEBUG is refused unless enable-debug-command allows it', { skip: skipWithoutRedis() }, () => {
  test('same error as redis with the default configuration', async () => {
    const [redis, ts] = await Promise.all([startRedis(), startTsredis()]);
    try {
      for (const port of [redis.port, ts.port]) {
        const c = await RawClient.connect(port);
        assert.equal(
          await c.callRaw('DEBUG HELP'),
          '-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n',
        );
        assert.equal(await c.callRaw('DEBUG'), "-ERR wrong number of arguments for 'debug' command\r\n");
        assert.match(
          await c.callRaw('INFO commandstats'),
          /cmdstat_debug:calls=0,usec=0,usec_per_call=0\.00,rejected_calls=2,failed_calls=0/,
        );
        c.close();
      }
    } finally {
      await Promise.all([redis.stop(), ts.stop()]);
    }
  });
});

/** MONITOR lines with the timestamp and client port masked. */
function maskMonitor(r: Reply): string {
  return str(r.value)
    .replace(/^\d+\.\d{6} /, 'T ')
    .replace(/127\.0\.0\.1:\d+/, 'ADDR');
}

describe('MONITOR: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('what is fed, in which order and format', async () => {
    const sequence: Array<string | string[]> = [
      'SET k v',
      'GET k',
      'SELECT 3',
      ['SET', 'a"b\x01\\\n', ''],
      'CLIENT ID',
      'CONFIG GET port',
      'NOSUCHCOMMAND',
      'GET',
      'EXEC',
      'MULTI',
      'SET x 1',
      'INCR x',
      'EXEC',
      'DEBUG SLEEP 0',
      'SELECT 0',
      // Secrets are redacted (the arguments a handler consumed), also when the call fails.
      'AUTH secret',
      'AUTH someone secret',
      'AUTH a b c',
      'HELLO 2 AUTH default secret SETNAME n',
      'HELLO 2 AUTH default',
      'PING',
    ];
    const feeds: string[][] = [];
    for (const port of [pair.redis.port, pair.ts.port]) {
      const m = await RawClient.connect(port);
      const c = await RawClient.connect(port);
      assert.equal(await m.callRaw('MONITOR'), '+OK\r\n');
      // A second MONITOR gets no reply at all: the PING reply comes next.
      m.send('MONITOR');
      for (const cmd of sequence) await c.call(cmd);
      const lines: string[] = [];
      for (;;) {
        const line = maskMonitor(await m.read());
        lines.push(line);
        if (line.endsWith('"PING"')) break;
      }
      feeds.push(lines);
      m.close();
      c.close();
    }
    assert.deepEqual(feeds[1], feeds[0]);
  });

  test('MONITOR inside MULTI/EXEC is refused', () => pair.run(['MULTI', 'MONITOR', 'EXEC']));
});

describe('LATENCY GRAPH rendering', () => {
  test('bars and vertical labels as Redis draws them', async () => {
    const { sparkline } = await import('../../src/commands/latency.js');
    // Captured from redis-server 7.0: samples of 24, 5, 20 and 12 ms.
    const samples = [
      { value: 24, label: '23m' },
      { value: 5, label: '3s' },
      { value: 20, label: '2s' },
      { value: 12, label: '0s' },
    ];
    assert.equal(sparkline(samples), '# _ \n| | \n| |o\n|_||\n    \n2320\n3sss\nm   \n');
    const many = Array.from({ length: 81 }, (_, i) => ({ value: i, label: `${i}s` }));
    const blocks = sparkline(many).split('\n\n');
    assert.equal(blocks.length, 2, 'a new block after 80 columns');
    assert.equal(blocks[1], '#\n|\n|\n|\n \n8\n0\ns\n');
  });
});
