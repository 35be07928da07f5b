/**
 * Interoperability with redis-server 7.0 in both directions: full sync of every data type, the
 * live stream, and a partial resync after the link is cut (through a proxy), plus a mixed chain
 * redis -> tsredis -> redis converging to identical data.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  cmd,
  digest,
  type Engine,
  info,
  startNode,
  waitReplicaCaughtUp,
  writeDataset,
} from './support/replication.js';
import type { ProcessServer } from './support/servers.js';
import { skipWithoutRedis } from './support/servers.js';
import { TcpProxy, waitFor } from './support/tcp-proxy.js';

const started: Array<ProcessServer | TcpProxy> = [];
after(async () => {
  for (const s of started.reverse()) {
    if (s instanceof TcpProxy) await s.close();
    else await s.stop();
  }
});

async function node(engine: Engine, args: string[] = []): Promise<ProcessServer> {
  const s = await startNode(engine, args);
  started.push(s);
  return s;
}

async function proxy(port: number): Promise<TcpProxy> {
  const p = await TcpProxy.start(port);
  started.push(p);
  return p;
}

for (const [masterEngine, replicaEngine] of [
  ['redis', 'tsredis'],
  ['tsredis', 'redis'],
] as const) {
  describe(`${replicaEngine} replica of a ${masterEngine} master`, { skip: skipWithoutRedis() }, () => {
    for (const diskless of ['no', 'yes']) {
      test(`full sync (repl-diskless-sync ${diskless}), live stream, partial resync after a cut`, async () => {
        const master = await node(masterEngine, ['--repl-diskless-sync', diskless]);
        await writeDataset(master.port, 'before');
        const link = await proxy(master.port);
        const replica = await node(replicaEngine, ['--replicaof', '127.0.0.1', String(link.port)]);
        await waitReplicaCaughtUp(master.port, replica.port);
        assert.equal(await digest(replica.port), await digest(master.port), 'after the full sync');

        await writeDataset(master.port, 'live', 50);
        await cmd(master.port, 'EXPIRE', 'live:s:1', '500');
        await cmd(master.port, 'DEL', 'before:s:2');
        await waitReplicaCaughtUp(master.port, replica.port);
        assert.equal(await digest(replica.port), await digest(master.port), 'after the live stream');

        const partialBefore = Number((await info(master.port, 'stats')).get('sync_partial_ok'));
        link.refuse(true);
        link.cut();
        await waitFor(
          'replica notices the cut',
          async () => (await info(replica.port)).get('master_link_status') === 'down',
        );
        await writeDataset(master.port, 'during', 20);
        link.refuse(false);
        await waitReplicaCaughtUp(master.port, replica.port);
        assert.equal(Number((await info(master.port, 'stats')).get('sync_partial_ok')), partialBefore + 1);
        assert.equal(await digest(replica.port), await digest(master.port), 'after the partial resync');
        assert.equal(
          await cmd(replica.port, 'SET', 'x', '1'),
          "ERR:READONLY You can't write against a read only replica.",
        );
      });
    }
  });
}

describe('mixed chain redis -> tsredis -> redis', { skip: skipWithoutRedis() }, () => {
  test('every node converges to the same data, offsets line up', async () => {
    const top = await node('redis');
    await writeDataset(top.port, 'a');
    const middle = await node('tsredis', ['--replicaof', '127.0.0.1', String(top.port)]);
    const bottom = await node('redis', ['--replicaof', '127.0.0.1', String(middle.port)]);
    await waitReplicaCaughtUp(top.port, middle.port);
    await waitReplicaCaughtUp(middle.port, bottom.port);
    await writeDataset(top.port, 'b', 40);
    await waitReplicaCaughtUp(top.port, middle.port);
    await waitReplicaCaughtUp(middle.port, bottom.port);
    const want = await digest(top.port);
    assert.equal(await digest(middle.port), want);
    assert.equal(await digest(bottom.port), want);
    // PSYNC2: the chain shares one replication id and offset.
    const [t, m, b] = await Promise.all([info(top.port), info(middle.port), info(bottom.port)]);
    assert.equal(m.get('master_replid'), t.get('master_replid'));
    assert.equal(b.get('master_replid'), t.get('master_replid'));
    assert.equal(b.get('master_repl_offset'), t.get('master_repl_offset'));
  });
});
