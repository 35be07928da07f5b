/** CONFIG GET / SET / RESETSTAT / REWRITE / HELP against redis-server 7.0, and what CONFIG SET changes live. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RespValue } from '../../src/protocol/resp-reader.js';
import { DiffPair, type Step } from '../support/diff.js';
import { RawClient, type Reply } from '../support/raw-client.js';
import {
  findRedisServer,
  freePort,
  SERVER_BIN,
  skipWithoutRedis,
  spawnServer,
  startTsredis,
  tempDir,
} from '../support/servers.js';

/** CONFIG GET's reply as [name, value] pairs. */
function pairs(r: Reply): Map<string, string> {
  const v = r.value as { value: RespValue[] };
  const out = new Map<string, string>();
  for (let i = 0; i < v.value.length; i += 2) {
    out.set(
      (v.value[i] as { value: Buffer }).value.toString('latin1'),
      (v.value[i + 1] as { value: Buffer }).value.toString('latin1'),
    );
  }
  return out;
}

/** Same pairs in any order, ignoring values that depend on the run (ports, paths). */
function samePairs(...ignore: string[]) {
  return (redis: Reply, ts: Reply): string | null => {
    const a = pairs(redis);
    const b = pairs(ts);
    for (const k of ignore) {
      if (a.has(k) !== b.has(k)) return `${k} present in only one`;
      a.delete(k);
      b.delete(k);
    }
    const diff = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
    return diff.length === 0 ? null : `differ: ${diff.map((k) => `${k}=${a.get(k)}|${b.get(k)}`).join(', ')}`;
  };
}

/** A port somebody else holds, for "Unable to listen on this port". */
function holdPort(): Promise<{ port: number; server: NetServer }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ port: typeof a === 'object' && a !== null ? a.port : 0, server });
    });
  });
}

describe('CONFIG: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('CONFIG GET * (every directive and alias, same values)', () =>
    pair.run([{ cmd: 'CONFIG GET *', compare: samePairs('port', 'dir') }]));

  test('CONFIG GET patterns, several arguments, aliases, case, hidden directives', () =>
    pair.run([
      'CONFIG GET maxmemory',
      'CONFIG GET MaxMemory',
      { cmd: 'CONFIG GET maxmemory*', compare: samePairs() },
      { cmd: 'CONFIG GET *slave*', compare: samePairs() },
      { cmd: 'CONFIG GET *max*entries* hz timeout', compare: samePairs() },
      { cmd: 'CONFIG GET hz hz HZ', compare: samePairs() },
      { cmd: 'CONFIG GET slaveof replicaof', compare: samePairs() },
      { cmd: 'CONFIG GET [ab]ind* ?z', compare: samePairs() },
      'CONFIG GET nosuchthing',
      'CONFIG GET rdb-key-save-delay',
      'CONFIG GET rdb-key-*',
      'CONFIG GET use-exit-on-panic',
      { cmd: 'CONFIG GET bind unixsocket* save client-output-buffer-limit', compare: samePairs() },
      'CONFIG GET',
    ]));

  test('CONFIG SET errors', () =>
    pair.run([
      'CONFIG SET',
      'CONFIG SET timeout',
      'CONFIG SET timeout 1 hz',
      'CONFIG SET nosuchparam 1',
      'CONFIG SET timeout 1 nonex 2 daemonize yes',
      'CONFIG SET daemonize yes nonex 2',
      'CONFIG SET timeout abc daemonize yes',
      'CONFIG SET timeout 1 timeout 2',
      'CONFIG SET timeout 1 TIMEOUT 2',
      'CONFIG SET maxmemory-policy bogus',
      'CONFIG SET MAXMEMORY-POLICY bogus',
      'CONFIG SET slave-read-only maybe',
      'CONFIG SET port 65536',
      'CONFIG SET port "1 2"',
      'CONFIG SET timeout +5',
      'CONFIG SET timeout 05',
      'CONFIG SET timeout -0',
      'CONFIG SET timeout " 5"',
      'CONFIG SET timeout 99999999999999999999',
      'CONFIG SET maxclients 0',
      'CONFIG SET maxmemory 10XB',
      'CONFIG SET maxmemory -1',
      'CONFIG SET maxmemory 1.5mb',
      'CONFIG SET proto-max-bulk-len 1kb',
      'CONFIG SET maxmemory-clients 101%',
      'CONFIG SET maxmemory-clients -5%',
      'CONFIG SET save 100',
      'CONFIG SET save "0 1"',
      'CONFIG SET save "10 -1"',
      'CONFIG SET save abc',
      'CONFIG SET save "10  1"',
      'CONFIG SET bind "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"',
      'CONFIG SET client-output-buffer-limit "normal 1 2"',
      'CONFIG SET client-output-buffer-limit "master 1 2 3"',
      'CONFIG SET client-output-buffer-limit "normal 1 2 -3"',
      'CONFIG SET client-output-buffer-limit "normal 1 2x 3"',
      'CONFIG SET oom-score-adj-values "1 2"',
      'CONFIG SET notify-keyspace-events q',
      'CONFIG SET loglevel nothing',
      'CONFIG SET shutdown-on-sigint ""',
      'CONFIG SET shutdown-on-sigint "now  force"',
      'CONFIG SET latency-tracking-info-percentiles "50 x"',
      'CONFIG SET latency-tracking-info-percentiles 101',
      'CONFIG SET proc-title-template "{bad}"',
      'CONFIG SET proc-title-template " "',
      'CONFIG SET cluster-announce-hostname a_b',
      'CONFIG SET dbfilename a/b',
      'CONFIG SET dir /tmp',
      'CONFIG SET appendfilename x',
      'CONFIG SET replicaof "a b"',
      'CONFIG SET slaveof "no one"',
      'CONFIG SET unixsocketperm 777',
      'CONFIG SET databases 2',
      'CONFIG SET unixsocket /tmp/x',
      'CONFIG SET always-show-logo yes',
      'CONFIG SET maxmemory 1gb maxmemory-policy bogus',
      'CONFIG GET maxmemory',
      'CONFIG SET maxmemory 1gb timeout 5 hz x',
      'CONFIG GET maxmemory',
      'CONFIG GET timeout',
    ]));

  test('CONFIG SET then CONFIG GET: formatting of every kind of value', () =>
    pair.run([
      ...[
        ['maxmemory', '1gb'],
        ['maxmemory', '1G'],
        ['maxmemory', '5B'],
        ['maxmemory', '05'],
        ['maxmemory', '99999999999999999999'],
        ['maxmemory', '18446744073709551615kb'],
        ['maxmemory', '0'],
        ['maxmemory-clients', '0%'],
        ['maxmemory-clients', '0'],
        ['notify-keyspace-events', 'KEA'],
        ['notify-keyspace-events', 'nK'],
        ['notify-keyspace-events', 'g$lshzxetdn'],
        ['notify-keyspace-events', 'Ex'],
        ['notify-keyspace-events', 'Am'],
        ['notify-keyspace-events', ''],
        ['shutdown-on-sigint', 'nosave now'],
        ['shutdown-on-sigint', 'default now'],
        ['shutdown-on-sigint', 'NOW'],
        ['shutdown-on-sigint', 'default'],
        ['latency-tracking-info-percentiles', '1e1 1.5'],
        ['latency-tracking-info-percentiles', ''],
        ['latency-tracking-info-percentiles', '33.333333333'],
        ['latency-tracking-info-percentiles', '50 99 99.9'],
        ['oom-score-adj', 'relative'],
        ['oom-score-adj', 'absolute'],
        ['oom-score-adj', 'no'],
        ['oom-score-adj-values', '100 50 20'],
        ['oom-score-adj-values', '1 2 3000'],
        ['oom-score-adj-values', '0 200 800'],
        ['client-output-buffer-limit', 'replica 1kb 2mb 3 normal 1 2 3'],
        ['client-output-buffer-limit', 'normal 0 0 0 slave 256mb 64mb 60'],
        ['save', '10 1 20 2'],
        ['save', ''],
        ['hz', '1000'],
        ['hz', '0'],
        ['hz', '10'],
        ['appendfsync', 'ALWAYS'],
        ['appendfsync', 'everysec'],
        ['activerehashing', 'NO'],
        ['activerehashing', 'yes'],
        ['list-max-ziplist-size', '-3'],
        ['list-max-listpack-size', '-2'],
        ['hash-max-ziplist-value', '1kb'],
        ['hash-max-listpack-value', '64'],
        ['slowlog-log-slower-than', '-1'],
        ['slowlog-log-slower-than', '10000'],
        ['cluster-announce-hostname', 'a.b-c'],
        ['cluster-announce-hostname', ''],
        ['masterauth', 'x y'],
        ['masterauth', ''],
      ].flatMap(([k, v]): Step[] => [
        ['CONFIG', 'SET', k, v],
        ['CONFIG', 'GET', k],
      ]),
      { cmd: 'CONFIG GET slave-read-only', compare: 'exact' },
      'CONFIG SET slave-read-only yes replica-read-only no',
      'CONFIG GET slave-read-only',
      'CONFIG SET replica-read-only yes',
    ]));

  test('CONFIG HELP, RESETSTAT, REWRITE without a file, arity, RESP3 map', () =>
    pair.run([
      'CONFIG HELP',
      'CONFIG help',
      'CONFIG HELP extra',
      'CONFIG RESETSTAT',
      'CONFIG RESETSTAT now',
      'CONFIG REWRITE',
      'CONFIG NOSUCH',
      'CONFIG',
      { cmd: 'HELLO 3', compare: 'ignore' },
      'CONFIG GET maxclients',
      { cmd: 'CONFIG GET timeout hz', compare: 'unordered' },
      'CONFIG SET timeout abc',
      { cmd: 'HELLO 2', compare: 'ignore' },
    ]));

  test('CONFIG SET port to a port in use fails and keeps the old one', async () => {
    const held = await holdPort();
    try {
      await pair.run([`CONFIG SET port ${held.port}`, 'PING']);
    } finally {
      held.server.close();
    }
  });

  test('notify-keyspace-events and proto-max-bulk-len take effect', () =>
    pair.run([
      'CONFIG SET notify-keyspace-events E$',
      { cmd: 'SUBSCRIBE __keyevent@0__:set', conn: 2 },
      'SET k v',
      { read: 2 },
      'CONFIG SET notify-keyspace-events ""',
      'SET k v2',
      { cmd: 'UNSUBSCRIBE', conn: 2 },
      'CONFIG SET proto-max-bulk-len 1mb',
      { raw: '*2\r\n$4\r\nECHO\r\n$1048577\r\n' },
      'CONFIG SET proto-max-bulk-len 512mb',
    ]));
});

describe('CONFIG SET effects on a running tsredis', () => {
  test('port: re-listens at once; the old port closes', async () => {
    const srv = await startTsredis();
    const c = await RawClient.connect(srv.port);
    try {
      const port = await freePort();
      assert.equal(await c.callRaw(`CONFIG SET port ${port}`), '+OK\r\n');
      const moved = await RawClient.connect(port);
      assert.equal(await moved.callRaw('PING'), '+PONG\r\n');
      assert.equal(
        await moved.callRaw('CONFIG GET port'),
        `*2\r\n$4\r\nport\r\n$${String(port).length}\r\n${port}\r\n`,
      );
      moved.close();
      await assert.rejects(RawClient.connect(srv.port));
      // The client that asked keeps its connection.
      assert.equal(await c.callRaw('PING'), '+PONG\r\n');
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('port: pipelined commands wait for the CONFIG SET reply', async () => {
    const srv = await startTsredis();
    const c = await RawClient.connect(srv.port);
    try {
      const port = await freePort();
      c.write(`CONFIG SET port ${port}\r\nPING\r\nCONFIG GET port\r\n`);
      assert.equal((await c.read()).raw.toString(), '+OK\r\n');
      assert.equal((await c.read()).raw.toString(), '+PONG\r\n');
      assert.match((await c.read()).raw.toString(), new RegExp(`\\$${String(port).length}\r\n${port}\r\n$`));
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('port inside MULTI/EXEC: replies in the EXEC array, re-listens right after', async () => {
    const srv = await startTsredis();
    const c = await RawClient.connect(srv.port);
    try {
      const port = await freePort();
      assert.equal(await c.callRaw('MULTI'), '+OK\r\n');
      assert.equal(await c.callRaw(`CONFIG SET port ${port}`), '+QUEUED\r\n');
      assert.equal(await c.callRaw('PING'), '+QUEUED\r\n');
      assert.equal(await c.callRaw('EXEC'), '*2\r\n+OK\r\n+PONG\r\n');
      let moved: RawClient | null = null;
      for (let i = 0; i < 50 && moved === null; i++) {
        moved = await RawClient.connect(port).catch(() => null);
        if (moved === null) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(moved);
      assert.equal(await moved.callRaw('PING'), '+PONG\r\n');
      moved.close();
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('bind: listens on the new addresses only', async () => {
    const srv = await startTsredis();
    const c = await RawClient.connect(srv.port);
    try {
      assert.equal(await c.callRaw('CONFIG SET bind 127.0.0.2'), '+OK\r\n');
      const other = await RawClient.connect(srv.port, '127.0.0.2');
      other.close();
      await assert.rejects(RawClient.connect(srv.port, '127.0.0.1'));
      assert.equal(await c.callRaw('CONFIG SET bind "127.0.0.1 -::1"'), '+OK\r\n');
      const back = await RawClient.connect(srv.port, '127.0.0.1');
      back.close();
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('maxclients: the next client is refused with Redis error (golden §48)', async () => {
    const srv = await startTsredis();
    const c = await RawClient.connect(srv.port);
    try {
      assert.equal(await c.callRaw('CONFIG SET maxclients 1'), '+OK\r\n');
      const second = await RawClient.connect(srv.port);
      second.send('PING');
      assert.equal((await second.read()).raw.toString(), '-ERR max number of clients reached\r\n');
      await second.waitClosed();
      assert.equal(await c.callRaw('CONFIG SET maxclients 10'), '+OK\r\n');
      const third = await RawClient.connect(srv.port);
      assert.equal(await third.callRaw('PING'), '+PONG\r\n');
      third.close();
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('timeout: an idle client is closed, a busy one is not', async () => {
    const srv = await startTsredis();
    const admin = await RawClient.connect(srv.port);
    try {
      assert.equal(await admin.callRaw('CONFIG SET timeout 1'), '+OK\r\n');
      const idle = await RawClient.connect(srv.port);
      assert.equal(await idle.callRaw('PING'), '+PONG\r\n');
      const subscriber = await RawClient.connect(srv.port);
      await subscriber.call('SUBSCRIBE ch');
      await idle.waitClosed(5000);
      assert.equal(subscriber.closed, false);
      subscriber.close();
    } finally {
      admin.close();
      await srv.stop();
    }
  });

  test('requirepass: clients connecting afterwards must AUTH (golden §22-23)', async () => {
    const srv = await startTsredis();
    const c = await RawClient.connect(srv.port);
    try {
      assert.equal(await c.callRaw('CONFIG SET requirepass secret'), '+OK\r\n');
      assert.equal(await c.callRaw('PING'), '+PONG\r\n');
      const fresh = await RawClient.connect(srv.port);
      assert.equal(await fresh.callRaw('GET k'), '-NOAUTH Authentication required.\r\n');
      assert.equal(
        await fresh.callRaw('AUTH wrong'),
        '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
      );
      assert.equal(await fresh.callRaw('AUTH secret'), '+OK\r\n');
      assert.equal(await fresh.callRaw('GET k'), '$-1\r\n');
      const other = await RawClient.connect(srv.port);
      assert.equal(await other.callRaw('PING'), '-NOAUTH Authentication required.\r\n');
      assert.equal(await c.callRaw('CONFIG SET requirepass ""'), '+OK\r\n');
      // Without a password the default user is "nopass": everybody is in.
      assert.equal(await other.callRaw('PING'), '+PONG\r\n');
      fresh.close();
      other.close();
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('hz, loglevel, client-query-buffer-limit reach the server', async () => {
    const lines: string[] = [];
    const srv = await startTsredis({ log: (l) => lines.push(l) });
    const c = await RawClient.connect(srv.port);
    try {
      assert.equal(await c.callRaw('CONFIG SET hz 100 loglevel verbose'), '+OK\r\n');
      assert.equal(srv.server.keyspace.hz, 100);
      assert.equal(srv.server.logger.level, 'verbose');
      assert.equal(await c.callRaw('CONFIG SET client-query-buffer-limit 1mb'), '+OK\r\n');
      assert.equal(srv.server.parserLimits.maxQueryBuffer, 1048576);
      const big = await RawClient.connect(srv.port);
      big.write(`*2\r\n$4\r\nECHO\r\n$2000000\r\n${'x'.repeat(1100000)}`);
      await big.waitClosed();
      assert.ok(
        // As Redis: the client's CLIENT LIST line and the start of its query buffer (the big bulk).
        lines.some((l) =>
          /Closing client that reached max query buffer length: id=\d+ addr=\S+ .* cmd=NULL .* \(qbuf initial bytes: "x{64}"\)/.test(
            l,
          ),
        ),
        lines.join(''),
      );
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('RESETSTAT zeroes command and error statistics', async () => {
    const srv = await startTsredis();
    const c = await RawClient.connect(srv.port);
    try {
      await c.call('SET a 1');
      await c.call('GET');
      await c.call('INCR a x');
      assert.ok(srv.server.stats.totalCommands > 0);
      assert.equal(await c.callRaw('CONFIG RESETSTAT'), '+OK\r\n');
      const set = srv.server.commands.lookup('set')!;
      assert.equal(set.calls, 0);
      assert.equal(srv.server.stats.totalErrorReplies, 0);
      assert.equal(srv.server.stats.errors.size, 0);
      assert.equal(srv.server.commands.lookup('config')!.subcommands!.get('resetstat')!.calls, 1);
    } finally {
      c.close();
      await srv.stop();
    }
  });
});

describe('CONFIG REWRITE: same file as redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  const CONF = [
    '# A config file with comments, repeated and aliased directives',
    'bind 127.0.0.1',
    '',
    '# snapshots',
    'save 900 1',
    'save 300 10',
    'slave-read-only yes',
    'timeout 5',
    '   maxmemory   100mb   ',
    'rename-command FLUSHALL ""',
    'include INCLUDED',
    'notify-keyspace-events ""',
    'hz 10',
    'client-output-buffer-limit pubsub 32mb 8mb 60',
    'list-max-ziplist-entries 5',
    'appendonly no',
    '',
  ].join('\n');

  /** Starts a server on a copy of CONF in its own directory. */
  async function startWithFile(bin: string) {
    const dir = tempDir();
    writeFileSync(join(dir, 'inc.conf'), 'maxclients 100\n');
    const file = join(dir, 'redis.conf');
    writeFileSync(file, CONF.replace('INCLUDED', join(dir, 'inc.conf')));
    const srv = await spawnServer(bin, [file, '--save', '', '--dir', dir], { dir });
    return { srv, dir, file };
  }

  /** The rewritten file with the run-specific lines normalized and the appended part sorted. */
  function normalized(text: string, dir: string): string {
    const body = text.replaceAll(dir, 'DIR').replace(/^port \d+$/m, 'port PORT');
    const [head, tail] = body.split('# Generated by CONFIG REWRITE\n');
    return tail === undefined
      ? head
      : `${head}# Generated by CONFIG REWRITE\n${tail.split('\n').sort().join('\n')}`;
  }

  test('in-place updates, blanked repeats, comments, appended section', async () => {
    const redis = await startWithFile(findRedisServer()!);
    const ts = await startWithFile(SERVER_BIN);
    try {
      const steps = [
        'CONFIG SET timeout 0',
        'CONFIG SET maxmemory 2gb',
        'CONFIG SET save "100 1"',
        'CONFIG SET maxmemory-policy allkeys-lru',
        'CONFIG SET notify-keyspace-events KEA',
        'CONFIG SET hash-max-listpack-value 1024',
        'CONFIG SET client-output-buffer-limit "normal 1mb 2mb 3"',
        'CONFIG SET requirepass "se cr\\"et"',
        'CONFIG REWRITE',
      ];
      for (const s of [redis, ts]) {
        const c = await RawClient.connect(s.srv.port);
        for (const step of steps) assert.equal(await c.callRaw(step), '+OK\r\n', step);
        c.close();
      }
      const a = normalized(readFileSync(redis.file, 'latin1'), redis.dir);
      const b = normalized(readFileSync(ts.file, 'latin1'), ts.dir);
      assert.equal(b, a);
      assert.match(b, /^# \?\?\? list-max-ziplist-entries 5$/m);
    } finally {
      await redis.srv.stop();
      await ts.srv.stop();
      rmSync(redis.dir, { recursive: true, force: true });
      rmSync(ts.dir, { recursive: true, force: true });
    }
  });

  test('a file that is gone is created again; errors are reported', async () => {
    const ts = await startWithFile(SERVER_BIN);
    try {
      const c = await RawClient.connect(ts.srv.port);
      rmSync(ts.file);
      assert.equal(await c.callRaw('CONFIG REWRITE'), '+OK\r\n');
      assert.match(readFileSync(ts.file, 'latin1'), /^# Generated by CONFIG REWRITE\n/);
      rmSync(ts.file);
      mkdirSync(ts.file);
      assert.equal(await c.callRaw('CONFIG REWRITE'), '-ERR Rewriting config file: Is a directory\r\n');
      c.close();
      await ts.srv.waitForOutput(/# CONFIG REWRITE failed: Is a directory/);
      assert.match(ts.srv.output(), /# CONFIG REWRITE executed with success\./);
    } finally {
      await ts.srv.stop();
      rmSync(ts.dir, { recursive: true, force: true });
    }
  });
});
