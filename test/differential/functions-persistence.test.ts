/**
 * Functions libraries outlive the process and reach replicas as Redis 7.0's do: FUNCTION2 records in
 * the RDB (a redis-server 7.0.15 RDB loads into tsredis and a tsredis RDB into redis-server), FUNCTION
 * LOAD in the AOF and its rewrite, DEBUG RELOAD, a full sync (libraries loaded before the replica
 * came) and the FUNCTION commands replicated as they run, with FCALL's writes as their effects.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
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
import { cmd, digest, nodesOfThisFile, waitInSync } from '../support/replication.js';
import { skipWithoutRedis } from '../support/servers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'rdb');
const node = nodesOfThisFile();
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(prefix: string): string {
  const d = freshDir(prefix);
  dirs.push(d);
  return d;
}

const lib = (name: string, fn: string, body: string) =>
  `#!lua name=${name}\nredis.register_function('${fn}', function(keys, args) ${body} end)`;

/** The libraries a server has: name → code, from FUNCTION LIST WITHCODE. */
async function libraries(port: number): Promise<Map<string, string>> {
  const c = await RawClient.connect(port);
  try {
    const listing = plain((await c.call(['FUNCTION', 'LIST', 'WITHCODE'])).value) as unknown[][];
    const out = new Map<string, string>();
    for (const fields of listing) {
      out.set(
        String(fields[fields.indexOf('library_name') + 1]),
        String(fields[fields.indexOf('library_code') + 1]),
      );
    }
    return out;
  } finally {
    c.close();
  }
}

function sorted(m: Map<string, string>): string[] {
  return [...m.entries()].map(([k, v]) => `${k}=${v}`).sort();
}

describe('Functions in files and on replicas', { skip: skipWithoutRedis() }, () => {
  test("redis-server 7.0's RDB with libraries loads into tsredis, and tsredis's RDB back into redis-server", async () => {
    const d = dir('fn-rdb');
    copyFileSync(join(FIXTURES, 'function.rdb'), join(d, 'dump.rdb'));
    const ts = await startTsredisIn(d);
    try {
      assert.deepEqual([...(await libraries(ts.port)).keys()].sort(), ['mylib', 'otherlib']);
      assert.equal(await cmd(ts.port, 'FCALL', 'myfunc', '0', 'echo-me'), 'echo-me');
      assert.equal(await cmd(ts.port, 'FCALL_RO', 'myro', '1', 'after:function'), 'ok');
      assert.equal(await cmd(ts.port, 'FCALL', 'hello', '0'), 'hello');
      assert.equal(await cmd(ts.port, 'FUNCTION', 'LOAD', lib('third', 'f3', 'return 3')), 'third');
      assert.equal(await cmd(ts.port, 'SAVE'), 'OK');
    } finally {
      await ts.stop();
    }
    const check = checkRdb(join(d, 'dump.rdb'));
    assert.equal(check.code, 0, check.output);
    const redis = await startRedisIn(d);
    try {
      assert.deepEqual([...(await libraries(redis.port)).keys()].sort(), ['mylib', 'otherlib', 'third']);
      assert.equal(await cmd(redis.port, 'FCALL', 'f3', '0'), '3');
      assert.equal(await cmd(redis.port, 'FCALL', 'myfunc', '0', 'x'), 'x');
    } finally {
      await redis.stop();
    }
  });

  test('DEBUG RELOAD puts back the saved libraries only', async () => {
    const d = dir('fn-reload');
    const ts = await startTsredisIn(d, ['--enable-debug-command', 'yes']);
    try {
      await cmd(ts.port, 'FUNCTION', 'LOAD', lib('saved', 'f1', 'return 1'));
      assert.equal(await cmd(ts.port, 'SAVE'), 'OK');
      await cmd(ts.port, 'FUNCTION', 'DELETE', 'saved');
      await cmd(ts.port, 'FUNCTION', 'LOAD', lib('unsaved', 'f2', 'return 2'));
      assert.equal(await cmd(ts.port, 'DEBUG', 'RELOAD', 'NOSAVE'), 'OK');
      assert.deepEqual([...(await libraries(ts.port)).keys()], ['saved']);
      assert.equal(await cmd(ts.port, 'FCALL', 'f1', '0'), '1');
      assert.equal(await cmd(ts.port, 'DEBUG', 'RELOAD'), 'OK');
      assert.equal(await cmd(ts.port, 'FCALL', 'f1', '0'), '1');
      assert.equal(await cmd(ts.port, 'INFO', 'memory').then((s) => /number_of_libraries:1\r/.test(s)), true);
    } finally {
      await ts.stop();
    }
  });

  test('the AOF keeps FUNCTION LOAD/DELETE and its rewrite the libraries; a restart runs them again', async () => {
    const d = dir('fn-aof');
    const args = ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no'];
    let ts = await startTsredisIn(d, args);
    try {
      await cmd(ts.port, 'FUNCTION', 'LOAD', lib('a1', 'fa', "return redis.call('INCR', keys[1])"));
      await cmd(ts.port, 'FUNCTION', 'LOAD', lib('gone', 'fg', 'return 0'));
      await cmd(ts.port, 'FUNCTION', 'DELETE', 'gone');
      assert.equal(await cmd(ts.port, 'FCALL', 'fa', '1', 'n'), '1');
    } finally {
      await ts.stop();
    }
    ts = await startTsredisIn(d, args);
    try {
      assert.deepEqual([...(await libraries(ts.port)).keys()], ['a1']);
      assert.equal(await cmd(ts.port, 'FCALL', 'fa', '1', 'n'), '2');
      await rewriteAof(ts.port);
    } finally {
      await ts.stop();
    }
    const base = readFileSync(join(d, 'appendonlydir', 'appendonly.aof.2.base.aof'), 'latin1');
    assert.match(base, /\$8\r\nFUNCTION\r\n\$4\r\nLOAD\r\n/);
    // The rewritten AOF loads into redis-server 7.0 as well.
    const redis = await startRedisIn(d, ['--appendonly', 'yes']);
    try {
      assert.equal(await cmd(redis.port, 'FCALL', 'fa', '1', 'n'), '3');
    } finally {
      await redis.stop();
    }
  });

  test('replicas get the libraries by full sync and the FUNCTION commands as they run', async () => {
    const args = ['--enable-debug-command', 'yes'];
    const master = await node('tsredis', args);
    await cmd(
      master.port,
      'FUNCTION',
      'LOAD',
      lib('early', 'fe', "return redis.call('SET', keys[1], args[1])"),
    );
    await cmd(master.port, 'FCALL', 'fe', '1', 'k-early', 'v');
    const replicas = [await node('redis', args), await node('tsredis', args)];
    for (const r of replicas)
      assert.equal(await cmd(r.port, 'REPLICAOF', '127.0.0.1', String(master.port)), 'OK');
    await waitInSync(master.port, 2);
    const c = await RawClient.connect(master.port);
    try {
      for (const argv of [
        [
          'FUNCTION',
          'LOAD',
          lib('late', 'fl', "redis.call('LPUSH', keys[1], args[1]) return redis.call('LLEN', keys[1])"),
        ],
        ['FCALL', 'fl', '1', 'list', 'a\u0000b'],
        ['FUNCTION', 'LOAD', lib('doomed', 'fd', 'return 1')],
        ['FUNCTION', 'DELETE', 'doomed'],
        [
          'FUNCTION',
          'LOAD',
          'REPLACE',
          lib('early', 'fe', "return redis.call('SET', keys[1], args[1] .. '!')"),
        ],
        ['FCALL', 'fe', '1', 'k-late', 'w'],
      ])
        await c.call(argv);
    } finally {
      c.close();
    }
    await waitInSync(master.port, 2);
    const expected = sorted(await libraries(master.port));
    assert.equal(expected.length, 2);
    for (const r of replicas) {
      assert.deepEqual(sorted(await libraries(r.port)), expected, `libraries of replica ${r.port}`);
      assert.equal(await cmd(r.port, 'GET', 'k-late'), 'w!');
    }
    const d = await digest(master.port);
    for (const r of replicas) assert.equal(await digest(r.port), d, `digest of replica ${r.port}`);
    // FUNCTION FLUSH reaches them too.
    await cmd(master.port, 'FUNCTION', 'FLUSH');
    await waitInSync(master.port, 2);
    for (const r of replicas) assert.equal((await libraries(r.port)).size, 0);
  });

  test("a tsredis replica of a redis-server master loads the master's libraries in the full sync", async () => {
    const master = await node('redis');
    await cmd(master.port, 'FUNCTION', 'LOAD', lib('frommaster', 'fm', 'return 42'));
    const replicas = [await node('redis'), await node('tsredis')];
    for (const r of replicas) {
      // Libraries of its own go: the replica takes the master's set.
      await cmd(r.port, 'FUNCTION', 'LOAD', lib('local', 'fx', 'return 0'));
      assert.equal(await cmd(r.port, 'REPLICAOF', '127.0.0.1', String(master.port)), 'OK');
    }
    await waitInSync(master.port, 2);
    const [redisReplica, tsReplica] = replicas.map((r) => r.port);
    assert.deepEqual([...(await libraries(tsReplica)).keys()], ['frommaster']);
    assert.deepEqual([...(await libraries(redisReplica)).keys()], ['frommaster']);
    // A function that may write is refused on a read-only replica, as there.
    for (const argv of [
      ['FCALL', 'fm', '0'],
      ['FCALL_RO', 'fm', '0'],
    ])
      assert.equal(await cmd(tsReplica, ...argv), await cmd(redisReplica, ...argv));
  });
});
