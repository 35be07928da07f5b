/**
 * A tsredis master's scripts reach its replicas as their effects: a real redis-server 7.0 replica
 * and a tsredis replica end with the master's data (DEBUG DIGEST equal on all three), including
 * writes of scripts that failed midway, SELECT inside scripts, redis.set_repl(REPL_AOF) writes
 * (which stay on the master only), random commands (SPOP, SRANDMEMBER into a key) and EVAL in MULTI.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RawClient } from '../support/raw-client.js';
import { cmd, digest, nodesOfThisFile, waitInSync } from '../support/replication.js';
import { skipWithoutRedis } from '../support/servers.js';

const node = nodesOfThisFile();

const SCRIPTS: string[][] = [
  ['EVAL', "for i = 1, 50 do redis.call('SET', 'k' .. i, i) end return 1", '0'],
  ['EVAL', "redis.call('SADD', 's', 'a', 'b', 'c', 'd') return redis.call('SPOP', 's')", '0'],
  ['EVAL', "redis.call('INCRBYFLOAT', 'f', '2.5') return redis.call('SET', 'e', 'v', 'EX', '1000')", '0'],
  ['EVAL', "redis.call('HSET', 'h', 'x', '1') redis.call('LPUSH', 'h', 'oops')", '0'],
  ['EVAL', "redis.call('SELECT', '3') redis.call('SET', 'in3', 'v') return 1", '0'],
  ['EVAL', "redis.set_repl(redis.REPL_AOF) redis.call('SET', 'master-only', '1') return 1", '0'],
  ['EVAL', "redis.call('DEL', 'master-only') return 1", '0'],
  ['EVAL', "return redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])", '1', 'z\u0000bin', '1.5', 'm\u00ff'],
  ['MULTI'],
  ['EVAL', "redis.call('RPUSH', 'l', 'a', 'b') return redis.call('LPOP', 'l')", '0'],
  ['SET', 'after', 'x'],
  ['EXEC'],
];

describe('scripts replicated from a tsredis master', { skip: skipWithoutRedis() }, () => {
  test('a redis-server replica and a tsredis replica converge with the master', async () => {
    const args = ['--enable-debug-command', 'yes'];
    const master = await node('tsredis', args);
    const replicas = [await node('redis', args), await node('tsredis', args)];
    for (const r of replicas)
      assert.equal(await cmd(r.port, 'REPLICAOF', '127.0.0.1', String(master.port)), 'OK');
    await waitInSync(master.port, 2);
    const c = await RawClient.connect(master.port);
    try {
      for (const argv of SCRIPTS) await c.call(argv);
    } finally {
      c.close();
    }
    await waitInSync(master.port, 2);
    const expected = await digest(master.port);
    for (const r of replicas) assert.equal(await digest(r.port), expected, `replica ${r.port}`);
    // The REPL_AOF write stayed on the master; its DEL reached everyone (a no-op there).
    assert.equal(await cmd(replicas[0].port, 'GET', 'k50'), '50');
    assert.equal(await cmd(replicas[1].port, 'HGET', 'h', 'x'), '1');
  });
});
