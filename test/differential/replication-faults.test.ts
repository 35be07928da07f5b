/**
 * Fault injection between replica and master (a proxy that cuts, refuses, stalls and throttles), a
 * master killed under write load, a link throttled and stalled under concurrent writes, and a
 * replica too slow for its output buffer limit.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { dumpAll, rng, serverDigest } from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import {
  cmd,
  digest,
  info,
  startNode,
  syncStats,
  waitInSync,
  waitReplicaCaughtUp,
  writeDataset,
} from '../support/replication.js';
import {
  freePort,
  type ProcessServer,
  SERVER_BIN,
  skipWithoutRedis,
  spawnServer,
  tempDir,
} from '../support/servers.js';
import { TcpProxy, waitFor } from '../support/tcp-proxy.js';

const started: Array<ProcessServer | TcpProxy> = [];
after(async () => {
  for (const s of started.reverse()) {
    if (s instanceof TcpProxy) await s.close();
    else await s.stop('SIGKILL');
  }
});

async function node(args: string[] = []): Promise<ProcessServer> {
  const s = await startNode('tsredis', args);
  started.push(s);
  return s;
}

async function proxyTo(port: number): Promise<TcpProxy> {
  const p = await TcpProxy.start(port);
  started.push(p);
  return p;
}

test('a cut covered by the backlog resyncs partially; one beyond it needs a full resync', async () => {
  const master = await node(['--repl-backlog-size', '16384', '--repl-diskless-sync', 'no']);
  const link = await proxyTo(master.port);
  const replica = await node(['--replicaof', '127.0.0.1', String(link.port)]);
  await waitReplicaCaughtUp(master.port, replica.port);
  const before = await syncStats(master.port);

  link.refuse(true);
  link.cut();
  await cmd(master.port, 'SET', 'small-gap', 'x');
  link.refuse(false);
  await waitReplicaCaughtUp(master.port, replica.port);
  let now = await syncStats(master.port);
  assert.deepEqual(now, { full: before.full, partial: before.partial + 1 });

  link.refuse(true);
  link.cut();
  await writeDataset(master.port, 'big-gap', 300); // far more than 16 KB of stream
  link.refuse(false);
  await waitReplicaCaughtUp(master.port, replica.port);
  now = await syncStats(master.port);
  assert.equal(now.full, before.full + 1);
  assert.equal(await digest(replica.port), await digest(master.port));
});

test('a stalled link catches up without any resync once traffic flows again', async () => {
  const master = await node();
  const link = await proxyTo(master.port);
  const replica = await node(['--replicaof', '127.0.0.1', String(link.port)]);
  await waitReplicaCaughtUp(master.port, replica.port);
  const before = await syncStats(master.port);
  link.stall(true);
  await writeDataset(master.port, 'stalled', 50);
  link.stall(false);
  await waitReplicaCaughtUp(master.port, replica.port);
  assert.deepEqual(await syncStats(master.port), before);
  assert.equal(await digest(replica.port), await digest(master.port));
});

test('a throttled, stalled, then throttled link under concurrent writes: the replica converges, no resync', async () => {
  const debug = ['--enable-debug-command', 'yes'];
  const master = await node([...debug, '--repl-backlog-size', '16mb']);
  const link = await proxyTo(master.port);
  const replica = await node([...debug, '--replicaof', '127.0.0.1', String(link.port)]);
  await waitReplicaCaughtUp(master.port, replica.port);
  const before = await syncStats(master.port);
  const lag = async () => {
    const [m, r] = await Promise.all([info(master.port), info(replica.port)]);
    return Number(m.get('master_repl_offset')) - Number(r.get('slave_repl_offset'));
  };

  // Writers: two connections, every type, overwrites, deletes, TTLs, several dbs.
  let stop = false;
  let written = 0;
  const writer = async (seed: number) => {
    const r = rng(seed);
    const c = await RawClient.connect(master.port);
    try {
      while (!stop) {
        const batch: string[][] = [];
        for (let i = 0; i < 50; i++) {
          const k = Math.floor(r() * 300);
          const v = 'x'.repeat(Math.floor(r() * 200));
          switch (Math.floor(r() * 8)) {
            case 0:
              batch.push(['SET', `s:${k}`, v]);
              break;
            case 1:
              batch.push(['INCRBY', `n:${k % 10}`, String(k)]);
              break;
            case 2:
              batch.push(['RPUSH', `l:${k % 20}`, v, String(k)]);
              break;
            case 3:
              batch.push(['HSET', `h:${k % 15}`, `f${k}`, v]);
              break;
            case 4:
              batch.push(['ZADD', `z:${k % 15}`, String(r() * 100), `m${k}`]);
              break;
            case 5:
              batch.push(['SADD', `set:${k % 15}`, String(k), `m${k}`]);
              break;
            case 6:
              batch.push(['DEL', `s:${(k + 1) % 300}`]);
              break;
            default:
              batch.push(['SELECT', String(k % 3)], ['SET', `db:${k}`, v, 'EX', '1000'], ['SELECT', '0']);
          }
        }
        for (const cmdArgs of batch) c.send(cmdArgs);
        for (let i = 0; i < batch.length; i++) await c.read(30000);
        written += batch.length;
      }
    } finally {
      c.close();
    }
  };
  const writers = [writer(1), writer(2)];

  link.slow(32 * 1024);
  await waitFor('the replica falls behind the throttled link', async () => (await lag()) > 256 * 1024);
  link.stall(true);
  const atStall = written;
  await waitFor('writes go on while the link is stalled', async () => written > atStall + 10000);
  link.slow(256 * 1024);
  link.stall(false);
  const atResume = written;
  await waitFor('writes go on over the throttled link', async () => written > atResume + 10000);
  stop = true;
  await Promise.all(writers);
  link.slow(0);
  await waitReplicaCaughtUp(master.port, replica.port, 60000);

  assert.deepEqual(await syncStats(master.port), before, 'neither a full nor a partial resync');
  const [mc, rc] = await Promise.all([RawClient.connect(master.port), RawClient.connect(replica.port)]);
  try {
    assert.deepEqual(await dumpAll(rc, 3), await dumpAll(mc, 3));
  } finally {
    mc.close();
    rc.close();
  }
  assert.equal(await serverDigest(replica.port), await serverDigest(master.port));
});

test('master killed under load: writes acknowledged by WAIT 2 survive a promotion', async () => {
  const master = await node();
  const r1 = await node(['--replicaof', '127.0.0.1', String(master.port)]);
  const r2 = await node(['--replicaof', '127.0.0.1', String(master.port)]);
  await waitInSync(master.port, 2);
  const writer = await RawClient.connect(master.port);
  const acknowledged: string[] = [];
  let stop = false;
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      try {
        await writer.call(['SET', `k${i}`, String(i)]);
        const r = await writer.call(['WAIT', '2', '1000']);
        if (r.value.type === 'integer' && r.value.value === 2n) acknowledged.push(`k${i}`);
      } catch {
        return;
      }
    }
  })();
  await waitFor('some acknowledged writes', async () => acknowledged.length >= 50);
  master.proc.kill('SIGKILL');
  stop = true;
  await load;
  writer.close();

  assert.equal(await cmd(r1.port, 'REPLICAOF', 'NO', 'ONE'), 'OK');
  assert.equal(await cmd(r2.port, 'REPLICAOF', '127.0.0.1', String(r1.port)), 'OK');
  await waitReplicaCaughtUp(r1.port, r2.port);
  // PSYNC2: r2 continued from the promoted replica's history instead of a full resync.
  assert.equal((await syncStats(r1.port)).full, 0);
  for (const key of acknowledged) {
    assert.notEqual(await cmd(r1.port, 'GET', key), '(nil)', `${key} lost on the new master`);
  }
  assert.equal(await digest(r2.port), await digest(r1.port));
  assert.equal((await info(r1.port)).get('role'), 'master');
});

test('a replica too slow for client-output-buffer-limit is disconnected, then resyncs', async () => {
  const master = await node([
    '--client-output-buffer-limit',
    'replica 1mb 256kb 1',
    '--repl-backlog-size',
    '65536',
  ]);
  const link = await proxyTo(master.port);
  const replica = await node(['--replicaof', '127.0.0.1', String(link.port)]);
  await waitReplicaCaughtUp(master.port, replica.port);
  link.stall(true);
  const big = 'v'.repeat(64 * 1024);
  const c = await RawClient.connect(master.port);
  for (let i = 0; i < 200; i++) c.send(['SET', `big${i % 20}`, big]); // ~13 MB of stream
  for (let i = 0; i < 200; i++) await c.read();
  c.close();
  await waitFor(
    'the master drops the slow replica',
    async () => (await info(master.port)).get('connected_slaves') === '0',
  );
  await master.waitForOutput(/overcoming of output buffer limits/);
  link.stall(false);
  await waitReplicaCaughtUp(master.port, replica.port);
  assert.equal(await digest(replica.port), await digest(master.port));
});

for (const masterEngine of ['tsredis', 'redis'] as const) {
  test(`a tsredis replica restarted from its own RDB resumes with a partial resync (${masterEngine} master)`, {
    skip: masterEngine === 'redis' ? skipWithoutRedis() : false,
  }, async () => {
    const master = await startNode(masterEngine);
    started.push(master);
    const dir = tempDir('tsredis-restart-');
    const replicaArgs = ['--save', '3600 1', '--dir', dir, '--replicaof', '127.0.0.1', String(master.port)];
    const port = await freePort();
    let replica = await spawnServer(SERVER_BIN, ['--bind', '127.0.0.1', ...replicaArgs], { dir, port });
    await writeDataset(master.port, 'r', 50);
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.equal(await replica.stop('SIGTERM'), 0); // saves the RDB with repl-id / repl-offset
    await cmd(master.port, 'SET', 'while-down', '1');
    const before = await syncStats(master.port);
    replica = await spawnServer(SERVER_BIN, ['--bind', '127.0.0.1', ...replicaArgs], { dir, port });
    started.push(replica);
    await waitReplicaCaughtUp(master.port, replica.port);
    const after = await syncStats(master.port);
    assert.deepEqual(after, { full: before.full, partial: before.partial + 1 });
    assert.equal(await digest(replica.port), await digest(master.port));
  });
}
