/**
 * A chain master → replica → sub-replica when the middle replica's link to the master drops and
 * comes back: with the same history (partial resync) the sub-replica stays connected; when the
 * master's id changed (a full resync of the middle replica) the sub-replica is disconnected and
 * resyncs with the new id. Each engine pairing must show what a chain of redis-servers shows.
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

async function masterLinkId(port: number): Promise<string> {
  const line = (await cmd(port, 'CLIENT', 'LIST')).split('\n').find((l) => / flags=M /.test(l));
  return /^id=(\d+) /.exec(line ?? '')?.[1] ?? '';
}

async function chain(engines: [Engine, Engine, Engine]) {
  const top = await node(engines[0], ['--enable-debug-command', 'yes']);
  const middle = await node(engines[1], ['--replicaof', '127.0.0.1', String(top.port)]);
  const bottom = await node(engines[2], ['--replicaof', '127.0.0.1', String(middle.port)]);
  await cmd(top.port, 'SET', 'k', '1');
  await waitReplicaCaughtUp(top.port, middle.port);
  await waitReplicaCaughtUp(middle.port, bottom.port);
  const bottomLink = await masterLinkId(bottom.port);

  // Same history: the middle replica resumes, the bottom one is not disturbed.
  await cmd(middle.port, 'CLIENT', 'KILL', 'TYPE', 'master');
  await waitFor('middle resumed', async () => (await syncStats(top.port)).partial >= 1, 20000);
  await cmd(top.port, 'SET', 'k', '2');
  await waitReplicaCaughtUp(top.port, middle.port);
  await waitReplicaCaughtUp(middle.port, bottom.port);
  const afterPartial = {
    top: await syncStats(top.port),
    middle: await syncStats(middle.port),
    bottomKeptItsLink: (await masterLinkId(bottom.port)) === bottomLink,
    bottomValue: await cmd(bottom.port, 'GET', 'k'),
  };

  // A new id on the master: the middle replica needs a full sync, the bottom one follows.
  await cmd(top.port, 'DEBUG', 'CHANGE-REPL-ID');
  await cmd(middle.port, 'CLIENT', 'KILL', 'TYPE', 'master');
  await waitFor('middle fully resynced', async () => (await syncStats(top.port)).full >= 2, 20000);
  await cmd(top.port, 'SET', 'k', '3');
  await waitReplicaCaughtUp(top.port, middle.port);
  await waitReplicaCaughtUp(middle.port, bottom.port);
  const topId = (await info(top.port)).get('master_replid');
  return {
    afterPartial,
    afterFull: {
      top: await syncStats(top.port),
      // How the bottom replica resynced with the middle one.
      middle: await syncStats(middle.port),
      middleSameIdAsTop: (await info(middle.port)).get('master_replid') === topId,
      bottomSameIdAsTop: (await info(bottom.port)).get('master_replid') === topId,
      bottomValue: await cmd(bottom.port, 'GET', 'k'),
    },
  };
}

describe('a chained replica when its master reconnects: differential', { skip: skipWithoutRedis() }, () => {
  let reference: Awaited<ReturnType<typeof chain>> | undefined;
  test('redis → redis → redis (the reference)', async () => {
    reference = await chain(['redis', 'redis', 'redis']);
    assert.equal(reference.afterPartial.bottomKeptItsLink, true);
  });
  for (const engines of [
    ['tsredis', 'tsredis', 'tsredis'],
    ['redis', 'tsredis', 'tsredis'],
    ['redis', 'tsredis', 'redis'],
    ['tsredis', 'redis', 'tsredis'],
  ] as Array<[Engine, Engine, Engine]>) {
    test(engines.join(' → '), async () => {
      assert.ok(reference !== undefined, 'the reference run failed');
      assert.deepEqual(await chain(engines), reference);
    });
  }
});
