/**
 * Interoperability with redis-server 7.0 in both directions: full sync of a data set with every
 * type and encoding (intsets, hashtable hashes, skiplist sorted sets, multi-node quicklists, large
 * and binary values, TTLs, several dbs), the live stream, and a partial resync after the link is
 * cut (through a proxy), plus a mixed chain redis -> tsredis -> redis converging to identical data.
 * Convergence is checked key by key and with DEBUG DIGEST (Redis's SHA1 of the whole data set,
 * which tsredis computes identically).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { datasetCommands, dumpAll, loadDataset, serverDigest } from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import {
  cmd,
  type Engine,
  info,
  startNode,
  waitReplicaCaughtUp,
  writeDataset,
} from '../support/replication.js';
import type { ProcessServer } from '../support/servers.js';
import { skipWithoutRedis } from '../support/servers.js';
import { TcpProxy, waitFor } from '../support/tcp-proxy.js';

const started: Array<ProcessServer | TcpProxy> = [];
after(async () => {
  for (const s of started.reverse()) {
    if (s instanceof TcpProxy) await s.close();
    else await s.stop();
  }
});

async function node(engine: Engine, args: string[] = []): Promise<ProcessServer> {
  const s = await startNode(engine, ['--enable-debug-command', 'yes', ...args]);
  started.push(s);
  return s;
}

/** Writes persistence-helpers' data set of every type and encoding. */
async function writeEveryEncoding(port: number, seed: number, scale = 1): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    await loadDataset(c, datasetCommands(seed, scale));
  } finally {
    c.close();
  }
}

/** Every key of the dbs the data sets use: type, encoding, expiry and value (binary-safe). */
async function dump(port: number): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    return await dumpAll(c, 8);
  } finally {
    c.close();
  }
}

/** Same data key by key (encodings included) and the same DEBUG DIGEST. */
async function assertSameData(a: number, b: number, what: string): Promise<void> {
  assert.deepEqual(await dump(b), await dump(a), `${what}: keys and values`);
  assert.equal(await serverDigest(b), await serverDigest(a), `${what}: DEBUG DIGEST`);
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
        await writeEveryEncoding(master.port, 11);
        await writeDataset(master.port, 'before');
        const link = await proxy(master.port);
        const replica = await node(replicaEngine, ['--replicaof', '127.0.0.1', String(link.port)]);
        await waitReplicaCaughtUp(master.port, replica.port);
        await assertSameData(master.port, replica.port, 'after the full sync');

        // The live stream builds (and converts) every encoding too.
        await writeEveryEncoding(master.port, 12, 0.5);
        await writeDataset(master.port, 'live', 50);
        await cmd(master.port, 'EXPIRE', 'live:s:1', '500');
        await cmd(master.port, 'DEL', 'before:s:2');
        await waitReplicaCaughtUp(master.port, replica.port);
        await assertSameData(master.port, replica.port, 'after the live stream');

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
        await assertSameData(master.port, replica.port, 'after the partial resync');
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
    await writeEveryEncoding(top.port, 21, 0.5);
    await writeDataset(top.port, 'a');
    const middle = await node('tsredis', ['--replicaof', '127.0.0.1', String(top.port)]);
    const bottom = await node('redis', ['--replicaof', '127.0.0.1', String(middle.port)]);
    await waitReplicaCaughtUp(top.port, middle.port);
    await waitReplicaCaughtUp(middle.port, bottom.port);
    await writeDataset(top.port, 'b', 40);
    await waitReplicaCaughtUp(top.port, middle.port);
    await waitReplicaCaughtUp(middle.port, bottom.port);
    const want = await dump(top.port);
    assert.deepEqual(await dump(middle.port), want);
    assert.deepEqual(await dump(bottom.port), want);
    const sha = await serverDigest(top.port);
    assert.notEqual(sha, '0'.repeat(40));
    assert.equal(await serverDigest(middle.port), sha, 'DEBUG DIGEST of the tsredis middle node');
    assert.equal(await serverDigest(bottom.port), sha, 'DEBUG DIGEST of the redis bottom node');
    // PSYNC2: the chain shares one replication id and offset.
    const [t, m, b] = await Promise.all([info(top.port), info(middle.port), info(bottom.port)]);
    assert.equal(m.get('master_replid'), t.get('master_replid'));
    assert.equal(b.get('master_replid'), t.get('master_replid'));
    assert.equal(b.get('master_repl_offset'), t.get('master_repl_offset'));
  });
});
