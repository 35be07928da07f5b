/**
 * `tsredis up --engine redis-server` (and mixed engines) runs the same seed-shaped files with real
 * Redis; progress is shown while a replica receives a large data set.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RawClient } from '../support/raw-client.js';
import { cmd, info, waitInSync } from '../support/replication.js';
import { skipWithoutRedis } from '../support/servers.js';
import { Folders, freePortRange, pidsIn, tsredis } from '../support/topology-support.js';

const folders = new Folders();
after(() => folders.cleanup());

const portOf = (dir: string, name: string) =>
  Number(/^port (\d+)$/m.exec(readFileSync(join(dir, `redis-${name}.conf`), 'utf8'))![1]);

test('--engine redis-server: the seed topology with real Redis', { skip: skipWithoutRedis() }, async () => {
  const dir = folders.make();
  const base = await freePortRange(4);
  const r = await tsredis([
    'up',
    '--dir',
    dir,
    '--port',
    String(base),
    '--engine',
    'redis-server',
    '--detach',
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /started master \(redis-server, pid \d+\)/);
  const server = await info(base, 'server');
  assert.equal(server.get('tsredis_version'), undefined, 'a real redis-server');
  assert.equal(server.get('config_file'), join(dir, 'redis-master.conf'));
  assert.equal((await info(base)).get('connected_slaves'), '2');
  assert.equal(await cmd(base, 'SET', 'master', 'liuwei'), 'OK');
  await waitInSync(base, 2);
  assert.equal(await cmd(portOf(dir, 'replica1'), 'GET', 'master'), 'liuwei');
  assert.equal(await cmd(portOf(dir, 'replica2'), 'GET', 'master'), 'liuwei');
  // add-replica keeps the folder's engine.
  const add = await tsredis(['add-replica', '--dir', dir]);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  assert.equal((await info(portOf(dir, 'replica3'), 'server')).get('tsredis_version'), undefined);
  const down = await tsredis(['down', '--dir', dir]);
  assert.equal(down.code, 0, down.stdout + down.stderr);
  assert.deepEqual(pidsIn(dir), []);
});

test('mixed engines: a redis-server master with tsredis replicas, and the reverse', {
  skip: skipWithoutRedis(),
}, async () => {
  const dir = folders.make();
  const base = await freePortRange(3);
  const r = await tsredis([
    'up',
    ...['--dir', dir, '--port', String(base), '--replicas', '1'],
    ...['--master-engine', 'redis-server', '--replica-engine', 'tsredis', '--detach'],
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((await info(base, 'server')).get('tsredis_version'), undefined);
  assert.notEqual((await info(portOf(dir, 'replica1'), 'server')).get('tsredis_version'), undefined);
  assert.match(r.stdout, /master +master .* redis-server/);
  assert.match(r.stdout, /replica1 +replica .* up -> .* tsredis/);
  await tsredis(['down', '--dir', dir]);

  const r2 = await tsredis([
    'up',
    '--dir',
    dir,
    '--master-engine',
    'tsredis',
    '--replica-engine',
    'redis-server',
    '--detach',
  ]);
  assert.equal(r2.code, 0, r2.stdout + r2.stderr);
  assert.notEqual((await info(base, 'server')).get('tsredis_version'), undefined);
  assert.equal((await info(portOf(dir, 'replica1'), 'server')).get('tsredis_version'), undefined);
  assert.equal((await info(base)).get('connected_slaves'), '1');
});

test('progress while a replica receives a large data set', async () => {
  const dir = folders.make();
  const base = await freePortRange(3);
  const r = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '0', '--detach']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const c = await RawClient.connect(base);
  for (let b = 0; b < 300; b++) {
    const argv = ['MSET'];
    for (let i = 0; i < 100; i++) argv.push(`key:${b * 100 + i}`, 'v'.repeat(200));
    c.send(argv);
  }
  for (let b = 0; b < 300; b++) await c.read();
  c.close();
  // Slow the master's snapshot down (rdb-key-save-delay: µs per key) so the transfer takes ~2 s.
  assert.equal(await cmd(base, 'CONFIG', 'SET', 'rdb-key-save-delay', '70'), 'OK');
  const add = await tsredis(['add-replica', '--dir', dir]);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  assert.match(add.stdout, /… waiting for replica1: receiving the data set, \d+(\.\d)? (KB|MB)/);
  assert.match(add.stdout, /✓ replica1 linked and in sync/);
  assert.equal((await info(portOf(dir, 'replica1'), 'keyspace')).get('db0')?.startsWith('keys=30000,'), true);
});

test('--engine redis-server on a folder whose tsredis master runs: a warning, and ENGINE stays tsredis', {
  skip: skipWithoutRedis(),
}, async () => {
  const dir = folders.make();
  const base = await freePortRange(3);
  const r = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '0', '--detach']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const again = await tsredis(['up', '--dir', dir, '--engine', 'redis-server', '--detach']);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /✓ master already running/);
  assert.match(
    again.stdout,
    /! master runs tsredis, not redis-server: it keeps running as it is\. To switch, stop it first \('.*down.*'\)/,
  );
  // The folder does not claim an engine that is not running, and the table says what runs.
  const state = JSON.parse(readFileSync(join(dir, 'tsredis-up.json'), 'utf8')) as {
    engines: Record<string, string>;
  };
  assert.equal(state.engines.master, 'tsredis');
  assert.match(again.stdout, /master +master .* tsredis +\d+/);
  const st = await tsredis(['status', '--dir', dir, '--json']);
  const status = JSON.parse(st.stdout) as { nodes: Array<{ name: string; engine: string }> };
  assert.equal(status.nodes[0].engine, 'tsredis');
  // Stopped and started again, the node runs the engine asked for, and the table follows.
  assert.equal((await tsredis(['down', '--dir', dir])).code, 0);
  const switched = await tsredis(['up', '--dir', dir, '--engine', 'redis-server', '--detach']);
  assert.equal(switched.code, 0, switched.stdout + switched.stderr);
  assert.equal((await info(base, 'server')).get('tsredis_version'), undefined);
  assert.match(switched.stdout, /master +master .* redis-server +\d+/);
});
