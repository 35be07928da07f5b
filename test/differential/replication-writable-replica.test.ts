/**
 * A writable replica (replica-read-only no): keys its own clients give a TTL expire on the replica
 * (Redis's expireSlaveKeys), keys from the master wait for the master's DEL, and no expired key is
 * ever returned. Both engines, as master and replica, against redis-server → redis-server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cmd, type Engine, info, nodesOfThisFile, waitReplicaCaughtUp } from '../support/replication.js';
import { skipWithoutRedis } from '../support/servers.js';
import { waitFor } from '../support/tcp-proxy.js';

const node = nodesOfThisFile();

async function writableReplica(masterEngine: Engine, replicaEngine: Engine) {
  const master = await node(masterEngine, ['--enable-debug-command', 'yes']);
  const replica = await node(replicaEngine, [
    ...['--replicaof', '127.0.0.1', String(master.port)],
    ...['--replica-read-only', 'no', '--enable-debug-command', 'yes'],
  ]);
  // The master does not expire its keys (nor send their DELs) during the test.
  await cmd(master.port, 'DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  await cmd(master.port, 'SET', 'from-master', 'v', 'PX', '100');
  await waitReplicaCaughtUp(master.port, replica.port);
  const setOnReplica = await cmd(replica.port, 'SET', 'local', 'v', 'PX', '100');
  await cmd(replica.port, 'SET', 'local-forever', 'v');
  await cmd(replica.port, 'SET', 'local-expire', 'v');
  await cmd(replica.port, 'PEXPIRE', 'local-expire', '100');
  // Both TTLs pass on the replica's clock; its cron then removes only its own keys.
  await cmd(replica.port, 'DEBUG', 'SLEEP', '0.2');
  await waitFor('the replica expired its own keys', async () => (await cmd(replica.port, 'DBSIZE')) === '2');
  return {
    setOnReplica,
    dbsize: await cmd(replica.port, 'DBSIZE'),
    expiredKeys: (await info(replica.port, 'stats')).get('expired_keys'),
    getFromMaster: await cmd(replica.port, 'GET', 'from-master'),
    getLocal: await cmd(replica.port, 'GET', 'local'),
    existsForever: await cmd(replica.port, 'EXISTS', 'local-forever'),
    keys: (await cmd(replica.port, 'KEYS', '*')).split('\n').sort().join(','),
  };
}

describe('a writable replica expires the keys its clients wrote: differential', {
  skip: skipWithoutRedis(),
}, () => {
  let reference: Awaited<ReturnType<typeof writableReplica>> | undefined;
  test('redis-server → redis-server (the reference)', async () => {
    reference = await writableReplica('redis', 'redis');
  });
  for (const [m, r] of [
    ['tsredis', 'tsredis'],
    ['redis', 'tsredis'],
  ] as const) {
    test(`${m} → ${r}`, async () => {
      assert.ok(reference !== undefined, 'the reference run failed');
      assert.deepEqual(await writableReplica(m, r), reference);
    });
  }
});
