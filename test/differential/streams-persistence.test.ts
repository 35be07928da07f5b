/**
 * Streams outlive the process and reach replicas as Redis 7.0's do: RDB_TYPE_STREAM_LISTPACKS_2
 * both ways (redis-server's golden file into tsredis, tsredis's SAVE into redis-server, the same
 * DEBUG DIGEST and XINFO STREAM FULL), the AOF and its rewrite (loaded by redis-server too), and
 * replication of a workload of readers, acks, claims and trims to a tsredis and a redis-server
 * replica of either kind of master, with groups and pending lists equal.
 */
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  checkRdb,
  freshDir,
  plain,
  rewriteAof,
  startRedisIn,
  startTsredisIn,
} from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import { cmd, digest, type Engine, nodesOfThisFile, waitInSync } from '../support/replication.js';
import { skipWithoutRedis } from '../support/servers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'rdb');
const node = nodesOfThisFile();
/** Small nodes, on every server (the node layout is each server's own, from its configuration). */
const SMALL_NODES = ['--stream-node-max-entries', '4'];
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(prefix: string): string {
  const d = freshDir(prefix);
  dirs.push(d);
  return d;
}

/** XINFO STREAM FULL of every stream key given, as comparable JSON. */
async function streamState(port: number, keys: string[], masked: Set<string> | null = null): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    const out: unknown[] = [];
    for (const key of keys) {
      const full = plain((await c.call(['XINFO', 'STREAM', key, 'FULL', 'COUNT', '0'])).value);
      out.push(masked === null ? full : mask(full, masked));
    }
    return JSON.stringify(out);
  } finally {
    c.close();
  }
}

/**
 * seen-time is the replica's own clock (a consumer looked up on apply); entries-read and lag are
 * not propagated by Redis 7.0's group reads (only NOACK ones send XGROUP SETID … ENTRIESREAD), so
 * a replica's may differ from its master's: masked where a master is compared with its replica.
 */
const MASKED = new Set(['seen-time']);
const MASKED_ON_REPLICAS = new Set(['seen-time', 'entries-read', 'lag']);
function mask(v: unknown, keys: Set<string>, parentKey = ''): unknown {
  if (!Array.isArray(v)) return keys.has(parentKey) ? '<masked>' : v;
  return v.map((x, i) => mask(x, keys, i > 0 && typeof v[i - 1] === 'string' ? (v[i - 1] as string) : ''));
}

/** A workload of writers, group readers, acks, claims, deletions and trims over two streams. */
async function workload(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const steps: string[][] = [
      ['XGROUP', 'CREATE', 'events', 'g1', '$', 'MKSTREAM'],
      ['XGROUP', 'CREATE', 'events', 'g2', '0'],
    ];
    for (let i = 1; i <= 40; i++) {
      const fields =
        i % 3 === 0 ? ['kind', 'click', 'x', String(i)] : ['kind', 'view', 'page', `/p/${i}\u0000\u00ff`];
      steps.push(['XADD', 'events', `${1000 + i}-${i % 2}`, ...fields]);
      if (i % 5 === 0)
        steps.push(['XREADGROUP', 'GROUP', 'g1', `c${i % 3}`, 'COUNT', '3', 'STREAMS', 'events', '>']);
      if (i % 7 === 0)
        steps.push(['XREADGROUP', 'GROUP', 'g2', 'solo', 'NOACK', 'COUNT', '2', 'STREAMS', 'events', '>']);
    }
    steps.push(
      ['XACK', 'events', 'g1', '1001-1', '1002-0', '1003-1'],
      ['XDEL', 'events', '1004-0', '1006-0'],
      ['XCLAIM', 'events', 'g1', 'thief', '0', '1005-1', '1007-1', 'RETRYCOUNT', '9'],
      ['XCLAIM', 'events', 'g1', 'thief', '0', '1004-0', 'JUSTID'],
      ['XAUTOCLAIM', 'events', 'g1', 'auto', '0', '0', 'COUNT', '3'],
      ['XAUTOCLAIM', 'events', 'g1', 'auto', '0', '0', 'COUNT', '50', 'JUSTID'],
      ['XTRIM', 'events', 'MAXLEN', '~', '20'],
      ['XADD', 'events', 'MINID', '1010', '2000-0', 'kind', 'late'],
      ['XGROUP', 'SETID', 'events', 'g2', '1015-0', 'ENTRIESREAD', '5'],
      ['XREADGROUP', 'GROUP', 'g2', 'solo', 'STREAMS', 'events', '>'],
      ['XGROUP', 'CREATECONSUMER', 'events', 'g2', 'idle-one'],
      ['XGROUP', 'DELCONSUMER', 'events', 'g1', 'c0'],
      ['XGROUP', 'CREATE', 'other', 'doomed', '$', 'MKSTREAM'],
      ['XADD', 'other', '5-5', 'a', 'b'],
      ['XGROUP', 'DESTROY', 'other', 'doomed'],
      ['XSETID', 'other', '9-9', 'ENTRIESADDED', '12', 'MAXDELETEDID', '4-0'],
      ['XADD', 'empty', 'MAXLEN', '0', '1-1', 'f', 'v'],
    );
    for (const argv of steps) await c.call(argv);
  } finally {
    c.close();
  }
}

const KEYS = ['events', 'other', 'empty'];

describe('Streams in files and on replicas', { skip: skipWithoutRedis() }, () => {
  test("redis-server 7.0's RDB with streams loads into tsredis, and tsredis's RDB back into redis-server", async () => {
    const d = dir('stream-rdb');
    copyFileSync(join(FIXTURES, 'stream.rdb'), join(d, 'dump.rdb'));
    const redis0 = await startRedisIn(d);
    const fromRedis = await streamState(redis0.port, ['stream:s', 'stream:empty']);
    const redisDigest = await digest(redis0.port);
    await redis0.stop();
    const ts = await startTsredisIn(d);
    try {
      assert.equal(await streamState(ts.port, ['stream:s', 'stream:empty']), fromRedis);
      assert.equal(await digest(ts.port), redisDigest);
      await workload(ts.port);
      assert.equal(await cmd(ts.port, 'SAVE'), 'OK');
    } finally {
      await ts.stop();
    }
    const check = checkRdb(join(d, 'dump.rdb'));
    assert.equal(check.code, 0, check.output);
    const ts2 = await startTsredisIn(d);
    const ours = await streamState(ts2.port, [...KEYS, 'stream:s']);
    const ourDigest = await digest(ts2.port);
    await ts2.stop();
    const redis = await startRedisIn(d);
    try {
      assert.equal(await streamState(redis.port, [...KEYS, 'stream:s']), ours);
      assert.equal(await digest(redis.port), ourDigest);
    } finally {
      await redis.stop();
    }
  });

  test('the AOF and its rewrite keep entries, ids, groups and pending lists; redis-server loads both', async () => {
    const d = dir('stream-aof');
    const args = ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no', ...SMALL_NODES];
    let ts = await startTsredisIn(d, args);
    let live: string;
    let sum: string;
    try {
      await workload(ts.port);
      live = await streamState(ts.port, KEYS, MASKED_ON_REPLICAS);
      sum = await digest(ts.port);
    } finally {
      await ts.stop();
    }
    // A replay holds what a replica would: the same as live but for entries-read (see MASKED_ON_REPLICAS).
    let replayed: string;
    const redis1 = await startRedisIn(d, ['--appendonly', 'yes', ...SMALL_NODES]);
    try {
      replayed = await streamState(redis1.port, KEYS, MASKED);
      assert.equal(
        await streamState(redis1.port, KEYS, MASKED_ON_REPLICAS),
        live,
        'redis-server replaying our AOF',
      );
      assert.equal(await digest(redis1.port), sum);
    } finally {
      await redis1.stop();
    }
    ts = await startTsredisIn(d, args);
    try {
      assert.equal(
        await streamState(ts.port, KEYS, MASKED),
        replayed,
        'tsredis replaying its AOF, as redis-server did',
      );
      await rewriteAof(ts.port);
    } finally {
      await ts.stop();
    }
    // The rewrite claims pending entries back with XCLAIM … FORCE, which skips entries that were
    // deleted or trimmed meanwhile (Redis 7.0 does the same): compare both servers on the new file.
    let rewritten: string;
    ts = await startTsredisIn(d, args);
    try {
      rewritten = await streamState(ts.port, KEYS, MASKED);
      assert.notEqual(rewritten, replayed);
    } finally {
      await ts.stop();
    }
    const redis2 = await startRedisIn(d, ['--appendonly', 'yes', ...SMALL_NODES]);
    try {
      assert.equal(
        await streamState(redis2.port, KEYS, MASKED),
        rewritten,
        'redis-server loading the rewritten AOF',
      );
      assert.equal(await digest(redis2.port), sum);
    } finally {
      await redis2.stop();
    }
  });

  for (const masterEngine of ['tsredis', 'redis'] as Engine[]) {
    test(`a ${masterEngine} master's stream workload reaches a tsredis and a redis-server replica alike`, async () => {
      const master = await node(masterEngine, SMALL_NODES);
      // Some of it before the replicas come (full sync), the rest streamed.
      await workload(master.port);
      const replicas = [await node('redis'), await node('tsredis')];
      for (const r of replicas)
        assert.equal(await cmd(r.port, 'REPLICAOF', '127.0.0.1', String(master.port)), 'OK');
      await waitInSync(master.port, 2);
      const c = await RawClient.connect(master.port);
      try {
        for (const argv of [
          ['XADD', 'events', '3000-0', 'kind', 'streamed'],
          ['XREADGROUP', 'GROUP', 'g1', 'c9', 'STREAMS', 'events', '>'],
          ['XREADGROUP', 'GROUP', 'g2', 'fresh', 'NOACK', 'STREAMS', 'events', '>'],
          ['XCLAIM', 'events', 'g1', 'c1', '0', '3000-0', 'LASTID', '3000-0'],
          ['XAUTOCLAIM', 'events', 'g1', 'c2', '0', '0'],
          ['XACK', 'events', 'g1', '3000-0'],
          ['XTRIM', 'events', 'MINID', '1030'],
          ['XADD', 'events', 'MAXLEN', '~', '5', '*', 'kind', 'auto'],
        ])
          await c.call(argv);
      } finally {
        c.close();
      }
      await waitInSync(master.port, 2);
      const [redisReplica, tsReplica] = replicas.map((r) => r.port);
      assert.equal(
        await streamState(tsReplica, KEYS, MASKED),
        await streamState(redisReplica, KEYS, MASKED),
        'the tsredis replica holds what the redis-server replica holds',
      );
      const want = await streamState(master.port, KEYS, MASKED_ON_REPLICAS);
      const sum = await digest(master.port);
      for (const r of replicas) {
        assert.equal(
          await streamState(r.port, KEYS, MASKED_ON_REPLICAS),
          want,
          `streams of replica ${r.port}`,
        );
        assert.equal(await digest(r.port), sum, `digest of replica ${r.port}`);
      }
    });
  }
});
