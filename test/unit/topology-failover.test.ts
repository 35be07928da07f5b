/**
 * `tsredis failover`: with the master up (FAILOVER, writes paused until the target has them), every
 * write the old master acknowledged while a client kept writing is on the new master and every
 * replica; with the master killed, the most up-to-date replica is promoted (REPLICAOF NO ONE).
 * Config files follow the new roles.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RawClient } from '../support/raw-client.js';
import { cmd, info, waitInSync } from '../support/replication.js';
import { waitFor } from '../support/tcp-proxy.js';
import { Folders, freePortRange, isAlive, spawnTsredis, tsredis } from '../support/topology-support.js';

const folders = new Folders();
after(() => folders.cleanup());

const portOf = (dir: string, name: string) =>
  Number(/^port (\d+)$/m.exec(readFileSync(join(dir, `redis-${name}.conf`), 'utf8'))![1]);

/** Writes SET w:<i> <i> one at a time until stopped or refused; returns the acknowledged i's. */
function writer(port: number): { stop: () => Promise<number[]>; count: () => number } {
  const acked: number[] = [];
  let stopped = false;
  const done = (async () => {
    const c = await RawClient.connect(port);
    try {
      for (let i = 0; !stopped; i++) {
        let r: Awaited<ReturnType<RawClient['call']>>;
        try {
          r = await c.call(['SET', `w:${i}`, String(i)]);
        } catch {
          return;
        }
        if (r.value.type === 'simple' && r.value.value === 'OK') acked.push(i);
        else return; // -READONLY once the old master became a replica
      }
    } finally {
      c.close();
    }
  })();
  return {
    count: () => acked.length,
    stop: async () => {
      stopped = true;
      await done;
      return acked;
    },
  };
}

test('failover with writes going on: no acknowledged write lost, the others re-pointed, files updated', async () => {
  const dir = folders.make();
  const base = await freePortRange(5);
  const upr = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '2', '--detach']);
  assert.equal(upr.code, 0, upr.stdout + upr.stderr);
  const w = writer(base);
  await waitFor('writes flowing', async () => w.count() > 200);
  const fo = spawnTsredis(['failover', '--dir', dir, '--to', 'replica2']);
  assert.equal(await fo.exited, 0, fo.output());
  const acked = await w.stop();
  assert.ok(acked.length > 200);
  assert.match(fo.output(), /FAILOVER TO 127\.0\.0\.1 \d+/);
  assert.match(fo.output(), /replica1: REPLICAOF 127\.0\.0\.1 \d+/);

  const newMaster = portOf(dir, 'replica2');
  assert.equal((await info(newMaster)).get('role'), 'master');
  assert.equal((await info(base)).get('role'), 'slave');
  assert.equal((await info(base)).get('master_port'), String(newMaster));
  assert.equal((await info(portOf(dir, 'replica1'))).get('master_port'), String(newMaster));
  await waitInSync(newMaster, 2);
  for (const port of [newMaster, base, portOf(dir, 'replica1')]) {
    const c = await RawClient.connect(port);
    try {
      // Every acknowledged write, on every node (pipelined, checked in order).
      for (const i of acked) c.send(['GET', `w:${i}`]);
      for (const i of acked) {
        const r = await c.read();
        assert.equal(
          r.value.type === 'bulk' ? r.value.value.toString() : null,
          String(i),
          `w:${i} on ${port}`,
        );
      }
    } finally {
      c.close();
    }
  }
  // The config files follow: replica2 is the master, the others replicate it.
  assert.doesNotMatch(readFileSync(join(dir, 'redis-replica2.conf'), 'utf8'), /^replicaof/m);
  for (const name of ['master', 'replica1']) {
    assert.match(
      readFileSync(join(dir, `redis-${name}.conf`), 'utf8'),
      new RegExp(`^replicaof 127\\.0\\.0\\.1 ${newMaster}$`, 'm'),
    );
  }
  const st = await tsredis(['status', '--dir', dir]);
  assert.equal(st.code, 0, st.stdout);
  assert.match(st.stdout, /replica2 +master/);
  assert.match(st.stdout, /master +replica .* up -> /);

  // The master dies: failover promotes the most up-to-date replica with REPLICAOF NO ONE.
  assert.equal(await cmd(newMaster, 'SET', 'before-crash', 'kept'), 'OK');
  assert.equal(await cmd(newMaster, 'WAIT', '2', '5000'), '2');
  const pid = Number(readFileSync(join(dir, 'replica2.pid'), 'utf8'));
  process.kill(pid, 'SIGKILL');
  await waitFor('the master to die', async () => !isAlive(pid));
  const forced = await tsredis(['failover', '--dir', dir]);
  assert.equal(forced.code, 0, forced.stdout + forced.stderr);
  assert.match(forced.stdout, /replica2 is down/);
  assert.match(forced.stdout, /REPLICAOF NO ONE on (master|replica1)/);
  const promoted = /promoting (\w+)/.exec(forced.stdout)![1];
  const promotedPort = portOf(dir, promoted);
  assert.equal((await info(promotedPort)).get('role'), 'master');
  assert.equal(await cmd(promotedPort, 'GET', 'before-crash'), 'kept');
  const other = promoted === 'master' ? 'replica1' : 'master';
  await waitFor(
    'the other replica re-pointed',
    async () => (await info(portOf(dir, other))).get('master_link_status') === 'up',
  );
  assert.equal(await cmd(portOf(dir, other), 'GET', 'before-crash'), 'kept');
  // The dead node's file now points at the new master, so restarting it cannot split the brain.
  assert.match(
    readFileSync(join(dir, 'redis-replica2.conf'), 'utf8'),
    new RegExp(`^replicaof 127\\.0\\.0\\.1 ${promotedPort}$`, 'm'),
  );
  const again = await tsredis(['up', '--dir', dir, '--detach']);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.equal((await info(portOf(dir, 'replica2'))).get('role'), 'slave');
  assert.equal(await cmd(portOf(dir, 'replica2'), 'GET', 'before-crash'), 'kept');
});
