/**
 * CLIENT KILL of the master link on a replica (TYPE master, or ID of the flags=M client): the link
 * drops, the replica reconnects at once and resumes with a partial resync. Run with every engine
 * pairing; what each pairing shows must be what redis-server replicating from redis-server shows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  cmd,
  type Engine,
  info,
  nodesOfThisFile,
  syncStats,
  waitReplicaCaughtUp,
} from '../support/replication.js';
import { skipWithoutRedis } from '../support/servers.js';
import { waitFor } from '../support/tcp-proxy.js';

const node = nodesOfThisFile();

/** The replica's CLIENT LIST line of its master link (flags=M), or undefined. */
async function masterLine(replicaPort: number): Promise<string | undefined> {
  const list = await cmd(replicaPort, 'CLIENT', 'LIST');
  return list.split('\n').find((l) => / flags=M /.test(l));
}

interface Outcome {
  killed: string;
  flagsM: boolean;
  fullSyncs: number;
  partialSyncs: number;
  valueAfter: string;
  /** After the partial resync the cached master comes back: the same client id (Redis 7.0). */
  sameMasterClient: boolean;
}

async function killMasterLink(
  masterEngine: Engine,
  replicaEngine: Engine,
  by: 'type' | 'id',
): Promise<Outcome> {
  const master = await node(masterEngine);
  const replica = await node(replicaEngine, ['--replicaof', '127.0.0.1', String(master.port)]);
  await cmd(master.port, 'SET', 'before', '1');
  await waitReplicaCaughtUp(master.port, replica.port);
  const line = await masterLine(replica.port);
  const id = /^id=(\d+) /.exec(line ?? '')?.[1] ?? '0';
  const killed =
    by === 'type'
      ? await cmd(replica.port, 'CLIENT', 'KILL', 'TYPE', 'master')
      : await cmd(replica.port, 'CLIENT', 'KILL', 'ID', id);
  await waitFor(
    'the replica resumed with a partial resync',
    async () => (await syncStats(master.port)).partial >= 1,
    20000,
  );
  await cmd(master.port, 'SET', 'after', 'resumed');
  await waitReplicaCaughtUp(master.port, replica.port);
  const stats = await syncStats(master.port);
  const again = await masterLine(replica.port);
  return {
    killed,
    flagsM: line !== undefined,
    fullSyncs: stats.full,
    partialSyncs: stats.partial,
    valueAfter: await cmd(replica.port, 'GET', 'after'),
    sameMasterClient: again?.startsWith(`id=${id} `) === true,
  };
}

describe('CLIENT KILL of the master link: differential', { skip: skipWithoutRedis() }, () => {
  const expected: Partial<Record<'type' | 'id', Outcome>> = {};
  for (const by of ['type', 'id'] as const) {
    test(`redis-server → redis-server, by ${by} (the reference)`, async () => {
      expected[by] = await killMasterLink('redis', 'redis', by);
      assert.deepEqual(expected[by], {
        killed: '1',
        flagsM: true,
        fullSyncs: 1,
        partialSyncs: 1,
        valueAfter: 'resumed',
        sameMasterClient: true,
      });
    });
    for (const [m, r] of [
      ['tsredis', 'tsredis'],
      ['redis', 'tsredis'],
      ['tsredis', 'redis'],
    ] as const) {
      test(`${m} → ${r}, by ${by}: the link drops and resumes partially`, async () => {
        assert.deepEqual(await killMasterLink(m, r, by), expected[by]);
      });
    }
  }

  test('the replica logs the lost link and the partial resynchronization', async () => {
    const master = await node('tsredis');
    const replica = await node('tsredis', ['--replicaof', '127.0.0.1', String(master.port)]);
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.equal(await cmd(replica.port, 'CLIENT', 'KILL', 'TYPE', 'master'), '1');
    await replica.waitForOutput(/Successful partial resynchronization with master\./, 20000);
    const log = replica.output();
    for (const line of [
      'Connection with master lost.',
      'Caching the disconnected master state.',
      'Trying a partial resynchronization',
      'Successful partial resynchronization with master.',
    ]) {
      assert.ok(log.includes(line), `missing "${line}" in the replica's log`);
    }
    assert.equal((await info(replica.port)).get('master_link_status'), 'up');
  });
});
