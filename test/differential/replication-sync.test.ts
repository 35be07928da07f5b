/**
 * Full syncs under stress: the replica output buffer limit counts the stream kept for a replica,
 * never the RDB being transferred; the master times out silent replicas (streaming, and stuck in a
 * diskless transfer) with Redis's log lines but not a replica busy loading; the received RDB goes
 * through temp-<unix-time>.<pid>.rdb (or straight to the parser with repl-diskless-load
 * on-empty-db / swapdb); a sync whose RDB cannot be loaded leaves no half-loaded data; errors the
 * master's commands get on the replica are logged as Redis logs them.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  checkRdb,
  datasetCommands,
  freshDir,
  loadDataset,
  serverDigest,
  startTsredisIn,
} from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import { buildModuleKeyRdb } from '../support/rdb-module-fixtures.js';
import { cmd, type Engine, info, startNode, syncStats, waitReplicaCaughtUp } from '../support/replication.js';
import { findTool, type ProcessServer, skipWithoutRedis } from '../support/servers.js';
import { TcpProxy, waitFor } from '../support/tcp-proxy.js';

const DEBUG = ['--enable-debug-command', 'yes'];
const started: Array<ProcessServer | TcpProxy> = [];
const dirs: string[] = [];
after(async () => {
  for (const s of started.reverse()) {
    if (s instanceof TcpProxy) await s.close();
    else await s.stop('SIGKILL');
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A master that answers the handshake and sends `rdb` as its full sync payload (for data only a
 * hand-built file can hold), to every replica that asks, as often as it asks.
 */
async function fakeMaster(rdb: Buffer): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      for (;;) {
        const m = /^\*(\d+)\r\n/.exec(pending);
        if (m === null) return;
        let at = m[0].length;
        const argv: string[] = [];
        for (let i = 0; i < Number(m[1]); i++) {
          const b = /^\$(\d+)\r\n/.exec(pending.slice(at));
          if (b === null || pending.length < at + b[0].length + Number(b[1]) + 2) return;
          argv.push(pending.slice(at + b[0].length, at + b[0].length + Number(b[1])));
          at += b[0].length + Number(b[1]) + 2;
        }
        pending = pending.slice(at);
        const name = argv[0].toUpperCase();
        if (name === 'PING') socket.write('+PONG\r\n');
        else if (name === 'PSYNC' || name === 'SYNC') {
          socket.write(`+FULLRESYNC ${'a'.repeat(40)} 0\r\n$${rdb.length}\r\n`);
          socket.write(rdb);
        } else if (!(name === 'REPLCONF' && argv[1]?.toUpperCase() === 'ACK')) socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function node(args: string[] = [], engine: Engine = 'tsredis'): Promise<ProcessServer> {
  const s = await startNode(engine, [...DEBUG, ...args]);
  started.push(s);
  return s;
}

async function proxyTo(port: number): Promise<TcpProxy> {
  const p = await TcpProxy.start(port);
  started.push(p);
  return p;
}

/** Waits until the master lists a replica in `state` (wait_bgsave, send_bulk, online). */
function replicaInState(master: number, state: string): Promise<boolean> {
  return waitFor(`a replica in state ${state}`, async () =>
    [...(await info(master)).entries()].some(
      ([k, v]) => /^slave\d+$/.test(k) && v.includes(`state=${state},`),
    ),
  );
}

/** Log lines of a server matching `re`. */
function lines(s: ProcessServer, re: RegExp): string[] {
  return s
    .output()
    .split('\n')
    .filter((l) => re.test(l));
}

/** Waits until the log of `s` has at least `count` lines matching `re` (logs come through a pipe). */
async function logged(s: ProcessServer, re: RegExp, count = 1): Promise<string[]> {
  return waitFor(`${count} log line(s) matching ${re}`, async () => {
    const found = lines(s, re);
    return found.length >= count ? found : null;
  });
}

/** ~20 MB of incompressible-enough data (rdbcompression no on the master makes it 20 MB on the wire). */
async function populate(port: number, keys = 20000, size = 1000): Promise<void> {
  assert.equal(await cmd(port, 'DEBUG', 'POPULATE', String(keys), 'big', String(size)), 'OK');
}

describe('client-output-buffer-limit replica and the RDB transfer', () => {
  for (const diskless of ['no', 'yes']) {
    test(`a slow replica is not dropped for a 20 MB RDB over a 2mb/1mb limit (repl-diskless-sync ${diskless})`, async () => {
      const master = await node([
        '--client-output-buffer-limit',
        'replica 2mb 1mb 1',
        '--repl-diskless-sync',
        diskless,
        '--rdbcompression',
        'no',
      ]);
      await populate(master.port);
      const link = await proxyTo(master.port);
      link.slow(6 * 1024 * 1024);
      const replica = await node(['--replicaof', '127.0.0.1', String(link.port)]);
      await replicaInState(master.port, diskless === 'yes' ? 'wait_bgsave' : 'send_bulk');
      // Some stream while the RDB is on its way: kept for the replica, well under the limits.
      for (let i = 0; i < 50; i++) await cmd(master.port, 'SET', `during:${i}`, 'x'.repeat(1000));
      await waitReplicaCaughtUp(master.port, replica.port, 60000);
      assert.deepEqual(lines(master, /overcoming of output buffer limits/), []);
      assert.equal((await syncStats(master.port)).full, 1, 'one full sync, no resync after a drop');
      assert.equal(await serverDigest(replica.port), await serverDigest(master.port));
    });
  }

  test('the stream accumulated during the transfer does count: over the hard limit the replica is dropped', async () => {
    const master = await node([
      '--client-output-buffer-limit',
      'replica 2mb 1mb 1',
      '--repl-diskless-sync',
      'no',
      '--rdbcompression',
      'no',
    ]);
    await populate(master.port, 8000);
    const link = await proxyTo(master.port);
    link.slow(1024 * 1024);
    const replica = await node(['--replicaof', '127.0.0.1', String(link.port)]);
    await replicaInState(master.port, 'send_bulk');
    const c = await RawClient.connect(master.port);
    for (let i = 0; i < 40; i++) c.send(['SET', `during:${i % 5}`, 'v'.repeat(100 * 1024)]); // 4 MB of stream
    for (let i = 0; i < 40; i++) await c.read();
    c.close();
    await waitFor(
      'the replica dropped',
      async () => lines(master, /overcoming of output buffer limits/).length > 0,
    );
    link.slow(0);
    await waitReplicaCaughtUp(master.port, replica.port, 60000);
    assert.equal(await serverDigest(replica.port), await serverDigest(master.port));
  });
});

describe('repl-timeout on the master', () => {
  test('an online replica that stops acknowledging is disconnected (streaming sync), then resumes', async () => {
    const master = await node(['--repl-timeout', '2']);
    const link = await proxyTo(master.port);
    const replica = await node(['--replicaof', '127.0.0.1', String(link.port)]);
    await waitReplicaCaughtUp(master.port, replica.port);
    link.stall(true);
    await waitFor(
      'the master times the replica out',
      async () =>
        lines(
          master,
          new RegExp(`Disconnecting timedout replica \\(streaming sync\\): 127\\.0\\.0\\.1:${replica.port}$`),
        ).length === 1,
    );
    assert.equal((await info(master.port)).get('connected_slaves'), '0');
    await cmd(master.port, 'SET', 'after-timeout', '1');
    link.stall(false);
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.equal(await cmd(replica.port, 'GET', 'after-timeout'), '1');
  });

  test('a replica stuck in a diskless transfer is disconnected (full sync), the others are not held up', async () => {
    const master = await node([
      '--repl-timeout',
      '2',
      '--repl-diskless-sync',
      'yes',
      '--repl-diskless-sync-delay',
      '2',
      '--rdbcompression',
      'no',
    ]);
    await populate(master.port);
    const link = await proxyTo(master.port);
    const replica = await node(['--replicaof', '127.0.0.1', String(link.port)]);
    // Stalled before the transfer starts: the socket fills up and stays full.
    await replicaInState(master.port, 'wait_bgsave');
    link.stall(true);
    await waitFor(
      'the master gives up on the stuck replica',
      async () =>
        lines(
          master,
          new RegExp(`Disconnecting timedout replica \\(full sync\\): 127\\.0\\.0\\.1:${replica.port}$`),
        ).length === 1,
      30000,
    );
    await waitFor(
      'the transfer aborted',
      async () => (await info(master.port, 'persistence')).get('rdb_bgsave_in_progress') === '0',
    );
    link.stall(false);
    await waitReplicaCaughtUp(master.port, replica.port, 60000);
    assert.equal(await serverDigest(replica.port), await serverDigest(master.port));
  });

  test('a replica slow to load its RDB is not timed out: it sends newlines while loading', async () => {
    const master = await node(['--repl-timeout', '2']);
    await populate(master.port, 6000, 10);
    // 1 ms per key: about 6 s of loading, three times the master's repl-timeout.
    const replica = await node(['--key-load-delay', '1000', '--replicaof', '127.0.0.1', String(master.port)]);
    await waitReplicaCaughtUp(master.port, replica.port, 60000);
    assert.deepEqual(lines(master, /Disconnecting timedout replica/), []);
    assert.equal((await syncStats(master.port)).full, 1);
  });
});

describe('receiving the RDB', () => {
  test('disk-based load: streamed to temp-<unix-time>.<pid>.rdb, renamed over dbfilename once loaded', async () => {
    const master = await node(['--repl-diskless-sync', 'no', '--rdbcompression', 'no']);
    const c = await RawClient.connect(master.port);
    await loadDataset(c, datasetCommands(3, 0.2));
    c.close();
    await populate(master.port, 4000);
    const link = await proxyTo(master.port);
    link.slow(1024 * 1024);
    const replica = await node(['--replicaof', '127.0.0.1', String(link.port)]);
    // While the payload arrives, it grows in the temp file; dbfilename is untouched until the end.
    const temp = await waitFor('the temp file', async () => {
      const r = await info(replica.port);
      if (Number(r.get('master_sync_read_bytes') ?? 0) < 500000) return null;
      return readdirSync(replica.dir).find((f) => /^temp-\d+\.\d+\.rdb$/.test(f)) ?? null;
    });
    const [, unixTime, pid] = /^temp-(\d+)\.(\d+)\.rdb$/.exec(temp)!;
    assert.equal(Number(pid), replica.proc.pid);
    assert.ok(Math.abs(Number(unixTime) - Date.now() / 1000) < 60);
    assert.equal(existsSync(join(replica.dir, 'dump.rdb')), false);
    link.slow(0);
    await waitReplicaCaughtUp(master.port, replica.port, 60000);
    assert.equal((await logged(replica, /receiving \d+ bytes from master to disk/)).length, 1);
    const files = readdirSync(replica.dir);
    assert.ok(files.includes('dump.rdb'), files.join(' '));
    assert.deepEqual(
      files.filter((f) => /^temp-/.test(f)),
      [],
    );
    if (findTool('redis-check-rdb') !== null) {
      const check = checkRdb(join(replica.dir, 'dump.rdb'));
      assert.equal(check.code, 0, check.output);
    }
    assert.equal(await serverDigest(replica.port), await serverDigest(master.port));
  });

  test('appendonly yes on the replica: the AOF restarts with a rewrite of the loaded data set', async () => {
    const master = await node(['--repl-diskless-sync', 'no']);
    const c = await RawClient.connect(master.port);
    await loadDataset(c, datasetCommands(4, 0.2));
    c.close();
    const dir = freshDir('repl-aof');
    dirs.push(dir);
    const args = [...DEBUG, '--appendonly', 'yes', '--repl-diskless-sync-delay', '0'];
    let replica = await startTsredisIn(dir, [...args, '--replicaof', '127.0.0.1', String(master.port)]);
    started.push(replica);
    await cmd(replica.port, 'SET', 'replica-only', 'gone after the sync');
    await waitReplicaCaughtUp(master.port, replica.port);
    await waitFor('the AOF rewritten after the sync', async () => {
      const p = await info(replica.port, 'persistence');
      return (
        p.get('aof_enabled') === '1' &&
        p.get('aof_rewrite_in_progress') === '0' &&
        p.get('aof_rewrite_scheduled') === '0' &&
        lines(replica, /Background AOF rewrite finished successfully/).length >= 1
      );
    });
    await cmd(master.port, 'SET', 'after-sync', 'streamed');
    await waitReplicaCaughtUp(master.port, replica.port);
    const want = await serverDigest(master.port);
    assert.equal(await replica.stop('SIGTERM'), 0);
    // Restarted alone (no replicaof): the AOF alone must hold the master's data set.
    replica = await startTsredisIn(dir, args);
    started.push(replica);
    assert.equal(await serverDigest(replica.port), want);
    assert.equal(await cmd(replica.port, 'EXISTS', 'replica-only'), '0');
  });

  for (const [masterMode, preamble] of [
    ['no', /receiving \d+ bytes from master to parser/],
    ['yes', /receiving streamed RDB from master with EOF to parser/],
  ] as const) {
    test(`repl-diskless-load on-empty-db: an empty replica parses from the socket (repl-diskless-sync ${masterMode})`, async () => {
      const master = await node(['--repl-diskless-sync', masterMode]);
      const c = await RawClient.connect(master.port);
      await loadDataset(c, datasetCommands(5, 0.2));
      c.close();
      const replica = await node([
        '--repl-diskless-load',
        'on-empty-db',
        '--replicaof',
        '127.0.0.1',
        String(master.port),
      ]);
      await waitReplicaCaughtUp(master.port, replica.port);
      assert.equal((await logged(replica, preamble)).length, 1, replica.output());
      assert.equal(existsSync(join(replica.dir, 'dump.rdb')), false, 'a diskless load writes no file');
      assert.equal(await serverDigest(replica.port), await serverDigest(master.port));
    });
  }

  test('repl-diskless-load on-empty-db with data: through the disk', async () => {
    const master = await node(['--repl-diskless-sync', 'yes']);
    await cmd(master.port, 'SET', 'k', 'master');
    const replica = await node(['--repl-diskless-load', 'on-empty-db']);
    await cmd(replica.port, 'SET', 'old', 'data');
    assert.equal(await cmd(replica.port, 'REPLICAOF', '127.0.0.1', String(master.port)), 'OK');
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.equal((await logged(replica, /receiving streamed RDB from master with EOF to disk/)).length, 1);
    assert.equal(await cmd(replica.port, 'GET', 'old'), '(nil)');
    assert.equal(await serverDigest(replica.port), await serverDigest(master.port));
  });

  for (const masterEngine of ['tsredis', 'redis'] as const) {
    test(`repl-diskless-load swapdb: loaded into temporary databases, then swapped (${masterEngine} master)`, {
      skip: masterEngine === 'redis' ? skipWithoutRedis() : false,
    }, async () => {
      const master = await node(['--repl-diskless-sync', 'yes'], masterEngine);
      const c = await RawClient.connect(master.port);
      await loadDataset(c, datasetCommands(9, 0.2));
      c.close();
      const replica = await node(['--repl-diskless-load', 'swapdb']);
      for (let i = 0; i < 100; i++) await cmd(replica.port, 'SET', `old:${i}`, 'x');
      assert.equal(await cmd(replica.port, 'REPLICAOF', '127.0.0.1', String(master.port)), 'OK');
      await waitReplicaCaughtUp(master.port, replica.port);
      assert.equal(
        (await logged(replica, /MASTER <-> REPLICA sync: Swapping active DB with loaded DB/)).length,
        1,
      );
      assert.equal(
        (await logged(replica, /MASTER <-> REPLICA sync: Discarding old DB in background/)).length,
        1,
      );
      assert.equal(lines(replica, /Flushing old data/).length, 0);
      assert.equal(await cmd(replica.port, 'EXISTS', 'old:1'), '0');
      assert.equal(await serverDigest(replica.port), await serverDigest(master.port));
      await cmd(master.port, 'SET', 'live', 'stream');
      await waitReplicaCaughtUp(master.port, replica.port);
      assert.equal(await cmd(replica.port, 'GET', 'live'), 'stream');
    });
  }
});

describe('a full sync whose RDB tsredis cannot load (a module key)', () => {
  for (const mode of ['disabled', 'on-empty-db', 'swapdb']) {
    test(`repl-diskless-load ${mode}: no half-loaded data is served`, async () => {
      const master = await fakeMaster(buildModuleKeyRdb(2000));
      after(() => master.close());
      const replica = await node(['--repl-diskless-load', mode]);
      const old = mode === 'on-empty-db' ? 0 : 50;
      for (let i = 0; i < old; i++) await cmd(replica.port, 'SET', `old:${i}`, 'x');
      assert.equal(await cmd(replica.port, 'REPLICAOF', '127.0.0.1', String(master.port)), 'OK');
      await replica.waitForOutput(/Failed trying to load the MASTER synchronization DB from (disk|socket)/);
      assert.match(
        replica.output(),
        /module data I can't load: no matching module type 'mymodtype' \(key 'modkey'/,
      );
      // swapdb keeps the data it had; otherwise the data set is emptied, never left half loaded.
      const want = mode === 'swapdb' ? String(old) : '0';
      await waitFor(`DBSIZE ${want}`, async () => (await cmd(replica.port, 'DBSIZE')) === want);
      if (mode === 'swapdb') {
        await logged(replica, /Discarding temporary DB in background/);
        assert.equal(await cmd(replica.port, 'GET', 'old:1'), 'x');
      } else {
        await logged(replica, /MASTER <-> REPLICA sync: Discarding the half-loaded data/);
      }
      const r = await info(replica.port);
      assert.equal(r.get('master_link_status'), 'down');
      assert.match(r.get('master_link_down_reason') ?? '', /could not be loaded/);
      // The previous dump file (if any) is not replaced by one that cannot be loaded.
      assert.deepEqual(
        readdirSync(replica.dir).filter((f) => /^temp-/.test(f)),
        [],
      );
    });
  }
});

describe('a transaction cut by a lost link (redis-server master, DEBUG REPLICATE)', {
  skip: skipWithoutRedis(),
}, () => {
  test('counts as applied only at its EXEC, like Redis: the partial resync replays it whole', async () => {
    const master = await node([], 'redis');
    const link = await proxyTo(master.port);
    const [redisReplica, replica] = await Promise.all([
      node(['--replicaof', '127.0.0.1', String(master.port)], 'redis'),
      node(['--replicaof', '127.0.0.1', String(link.port)]),
    ]);
    await cmd(master.port, 'SET', 'base', '1');
    await waitReplicaCaughtUp(master.port, redisReplica.port);
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.equal(await cmd(master.port, 'DEBUG', 'REPLICATE', 'MULTI'), 'OK');
    assert.equal(await cmd(master.port, 'DEBUG', 'REPLICATE', 'INCR', 'counter'), 'OK');
    const offsets = async (port: number) => {
      const [m, r] = await Promise.all([info(master.port), info(port)]);
      const read = r.get('slave_read_repl_offset');
      return read === m.get('master_repl_offset') ? Number(r.get('slave_repl_offset')) : null;
    };
    const atRedis = await waitFor('the redis replica read the MULTI', () => offsets(redisReplica.port));
    const atTsredis = await waitFor('the tsredis replica read the MULTI', () => offsets(replica.port));
    assert.equal(atTsredis, atRedis, 'the applied offset stops before MULTI, as on redis-server');
    assert.ok(atTsredis < Number((await info(master.port)).get('master_repl_offset')));
    const partial = (await syncStats(master.port)).partial;
    link.cut();
    await waitFor('the partial resync', async () => (await syncStats(master.port)).partial === partial + 1);
    assert.equal(await cmd(master.port, 'DEBUG', 'REPLICATE', 'EXEC'), 'OK');
    await waitReplicaCaughtUp(master.port, redisReplica.port);
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.equal(await cmd(redisReplica.port, 'GET', 'counter'), '1');
    assert.equal(await cmd(replica.port, 'GET', 'counter'), '1', 'the transaction applied once, whole');
    assert.equal(await serverDigest(replica.port), await serverDigest(redisReplica.port));
    assert.deepEqual(lines(replica, /== CRITICAL ==/), []);
  });
});

describe("errors the master's commands get on the replica", { skip: skipWithoutRedis() }, () => {
  test('an unknown command from a redis-server master (DEBUG REPLICATE): logged as Redis 7.0 logs it, throttled, stream goes on', async () => {
    const master = await node([], 'redis');
    const replica = await node(['--replicaof', '127.0.0.1', String(master.port)]);
    await waitReplicaCaughtUp(master.port, replica.port);
    await cmd(master.port, 'SET', 'marker', '1');
    await waitReplicaCaughtUp(master.port, replica.port);
    const c = await RawClient.connect(master.port);
    for (let i = 1; i <= 30; i++) c.send(['DEBUG', 'REPLICATE', 'NOSUCHCMD', 's', `m${i}`]);
    for (let i = 1; i <= 30; i++) await c.read();
    c.close();
    await cmd(master.port, 'SET', 'after', '2');
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.equal(await cmd(replica.port, 'GET', 'after'), '2', 'the stream goes on after the errors');
    const critical = await logged(
      replica,
      /== CRITICAL == This replica is sending an error to its master: /,
      10,
    );
    assert.match(
      critical[0],
      /# == CRITICAL == This replica is sending an error to its master: 'unknown command 'NOSUCHCMD', with args beginning with: 's' 'm1' ' after processing the command '<unknown>'$/,
    );
    const backlog = lines(replica, /Latest backlog is: /);
    assert.ok(backlog.length >= 1);
    // The bytes applied just before the failing command (sdscatrepr-quoted), here ending with the SET.
    assert.match(
      backlog[0],
      /Latest backlog is: '".*\$3\\r\\nSET\\r\\n\$6\\r\\nmarker\\r\\n\$1\\r\\n1\\r\\n(\*1\\r\\n\$4\\r\\n(PING|ping)\\r\\n)*"'$/,
    );
    // At most 10 such lines per second; the rest are summarized.
    assert.ok(critical.length >= 10 && critical.length < 30, `${critical.length} lines`);
    await replica.waitForOutput(/== CRITICAL == \d+ more errors were sent to the master within a second/);
    assert.equal((await info(replica.port, 'stats')).get('unexpected_error_replies'), '30');
  });

  test('the same lines as a redis-server replica for each kind of error (DEBUG REPLICATE on the master)', async () => {
    const master = await node([], 'redis');
    const [redisReplica, replica] = await Promise.all([
      node(['--replicaof', '127.0.0.1', String(master.port)], 'redis'),
      node(['--replicaof', '127.0.0.1', String(master.port)]),
    ]);
    // Both synced first: what follows is in both backlogs.
    await waitReplicaCaughtUp(master.port, redisReplica.port);
    await waitReplicaCaughtUp(master.port, replica.port);
    await cmd(master.port, 'SET', 'h', 'x');
    // More than the 256 bytes of backlog shown, so both replicas show the same ones.
    await cmd(master.port, 'SET', 'marker', 'm'.repeat(300));
    await waitReplicaCaughtUp(master.port, redisReplica.port);
    await waitReplicaCaughtUp(master.port, replica.port);
    const failing = [
      ['LPUSH', 'h', 'v'],
      ['SET', 'a', 'b', 'XX', 'NX'],
      ['INCR', 'h'],
      ['CONFIG', 'FOO'],
      ['HSET', 'h', 'a'],
      ['NOSUCHCMD', 'x', 'y'],
      ['MULTI'],
      ['LPUSH', 'h', 'v'],
      ['EXEC'],
    ];
    for (const argv of failing) assert.equal(await cmd(master.port, 'DEBUG', 'REPLICATE', ...argv), 'OK');
    await cmd(master.port, 'SET', 'done', '1');
    await waitReplicaCaughtUp(master.port, redisReplica.port);
    await waitReplicaCaughtUp(master.port, replica.port);
    const text = (s: ProcessServer) =>
      lines(s, /== CRITICAL == This replica|Latest backlog is/).map((l) => l.replace(/^.*? [#*] /, ''));
    const pattern = /== CRITICAL == This replica|Latest backlog is/;
    await logged(redisReplica, pattern, 14);
    await logged(replica, pattern, 14);
    const want = text(redisReplica);
    assert.equal(want.length, 14, want.join('\n'));
    assert.deepEqual(text(replica), want);
  });
});
