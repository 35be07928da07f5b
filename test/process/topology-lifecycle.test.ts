/**
 * `tsredis up` start and stop edge cases: Ctrl-C in the middle of the start-up, replicas added by
 * another shell while up runs in the foreground, a config file edited to `daemonize no`, add-replica
 * against a master that is down or a replica that never syncs, `--replicas N` on a folder that has
 * more, and the ENGINE column telling what really runs.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cmd, info } from '../support/replication.js';
import { findTool, TSREDIS_BIN } from '../support/servers.js';
import { waitFor } from '../support/tcp-proxy.js';
import {
  Folders,
  freePortRange,
  hasStackTrace,
  isAlive,
  pidsIn,
  portsIn,
  processesUsing,
  spawnTsredis,
  tsredis,
} from '../support/topology-support.js';

const folders = new Folders();
after(() => folders.cleanup());

const portOf = (dir: string, name: string) =>
  Number(/^port (\d+)$/m.exec(readFileSync(join(dir, `redis-${name}.conf`), 'utf8'))![1]);

/** Whether anything answers PING on the port. */
async function answers(port: number): Promise<boolean> {
  try {
    return (await cmd(port, 'PING')) === 'PONG';
  } catch {
    return false;
  }
}

/** How `tsredis` names itself in the hints it prints (tsredis on the PATH, else node + script). */
const SELF = findTool('tsredis') !== null ? 'tsredis' : `node ${TSREDIS_BIN}`;

test('Ctrl-C right after "started master" stops the master and the replica being launched', async () => {
  const dir = folders.make();
  const base = await freePortRange(4);
  const fg = spawnTsredis(['up', '--dir', dir, '--port', String(base)]);
  folders.track(fg.proc.pid!);
  await waitFor('the master started', async () => /✓ started master/.test(fg.output()), 30000);
  const masterPid = Number(/started master \(tsredis, pid (\d+)\)/.exec(fg.output())![1]);
  fg.proc.kill('SIGINT');
  assert.equal(await fg.exited, 130, fg.output());
  // Nothing this run launched is left: no pidfile, no process using the folder, no port answering.
  assert.equal(isAlive(masterPid), false, `the master was left running:\n${fg.output()}`);
  assert.deepEqual(pidsIn(dir), []);
  assert.deepEqual(processesUsing(dir), []);
  for (const port of portsIn(dir)) assert.equal(await answers(port), false, `port ${port} answers`);
  assert.match(fg.output(), /Ctrl-C: stopping the nodes this run started/);
  assert.match(fg.output(), /✓ master stopped/);
});

test('foreground Ctrl-C also stops a replica added meanwhile from another shell', async () => {
  const dir = folders.make();
  const base = await freePortRange(4);
  const fg = spawnTsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '1']);
  folders.track(fg.proc.pid!);
  await waitFor('the foreground', async () => /Ctrl-C stops all nodes/.test(fg.output()), 30000);
  const add = await tsredis(['add-replica', '--dir', dir]);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  const pids = pidsIn(dir);
  assert.equal(pids.length, 3);
  fg.proc.kill('SIGINT');
  assert.equal(await fg.exited, 0, fg.output());
  assert.match(fg.output(), /✓ replica2 stopped/);
  assert.match(fg.output(), /All nodes stopped\./);
  for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
  assert.deepEqual(pidsIn(dir), []);
});

test("a config file edited to 'daemonize no' starts at once, survives up --detach, and down stops it", async () => {
  const dir = folders.make();
  const base = await freePortRange(3);
  const first = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '1', '--detach']);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.equal((await tsredis(['down', '--dir', dir])).code, 0);
  const file = join(dir, 'redis-master.conf');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^daemonize yes$/m, 'daemonize no'));
  const started = Date.now();
  // Before the fix this took the launcher's 60 s time-out: 30 s ends it as a hang.
  const r = await tsredis(['up', '--dir', dir, '--detach'], 30000);
  assert.equal(r.signal, null, `up hung:\n${r.stdout}${r.stderr}`);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(Date.now() - started < 20000, `up took ${Date.now() - started} ms`);
  // The node outlived the command that started it, and its pid is known.
  assert.equal(await answers(base), true);
  assert.equal((await info(base)).get('connected_slaves'), '1');
  const pid = Number(readFileSync(join(dir, 'master.pid'), 'utf8'));
  assert.equal(Number((await info(base, 'server')).get('process_id')), pid);
  const st = await tsredis(['status', '--dir', dir]);
  assert.equal(st.code, 0, st.stdout);
  const down = await tsredis(['down', '--dir', dir]);
  assert.equal(down.code, 0, down.stdout + down.stderr);
  await waitFor('the foreground master gone', async () => !isAlive(pid));
  assert.deepEqual(pidsIn(dir), []);
  assert.equal(await answers(base), false);
});

test('add-replica: a master that is down fails before anything is written; a replica that cannot sync is removed', async () => {
  const dir = folders.make();
  const base = await freePortRange(3);
  const r = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '0', '--detach']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((await tsredis(['down', '--dir', dir])).code, 0);

  const before = readdirSync(dir).sort();
  const noMaster = await tsredis(['add-replica', '--dir', dir]);
  assert.equal(noMaster.code, 1);
  assert.match(
    noMaster.stderr,
    new RegExp(
      `^tsredis add-replica: master \\(127\\.0\\.0\\.1:${base}\\) does not answer \\(nothing listens at 127\\.0\\.0\\.1:${base} \\(connection refused\\)\\): start it first`,
      'm',
    ),
  );
  assert.equal(hasStackTrace(noMaster.stderr), false, noMaster.stderr);
  assert.deepEqual(readdirSync(dir).sort(), before, 'nothing written');

  // The master runs but requires a password the new replica does not have: it never syncs.
  const again = await tsredis(['up', '--dir', dir, '--detach']);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.equal(await cmd(base, 'CONFIG', 'SET', 'requirepass', 'secret'), 'OK');
  const add = await tsredis(['add-replica', '--dir', dir, '--timeout', '1']);
  assert.equal(add.code, 1, add.stdout + add.stderr);
  assert.match(add.stderr, /replicas not in sync after 1 s:/);
  assert.ok(
    add.stderr.includes(`replica1 is removed again; fix the cause (see '${SELF} doctor --dir ${dir}')`),
    add.stderr,
  );
  assert.match(add.stderr, /Last lines of replica1's log:\n {4}/);
  assert.match(add.stdout, /✗ replica1 stopped and removed again/);
  assert.equal(hasStackTrace(add.stderr), false, add.stderr);
  assert.equal(existsSync(join(dir, 'redis-replica1.conf')), false);
  assert.equal(existsSync(join(dir, 'replica1.log')), false);
  assert.equal(existsSync(join(dir, 'data', 'replica1')), false);
  assert.equal('replica1' in JSON.parse(readFileSync(join(dir, 'tsredis-up.json'), 'utf8')).engines, false);
  const masterPid = Number(readFileSync(join(dir, 'master.pid'), 'utf8'));
  assert.deepEqual(pidsIn(dir), [masterPid]);
  assert.deepEqual(processesUsing(dir), [masterPid]);
});

test('--replicas 1 on a folder with 2 replicas: a note, and every node of the folder started', async () => {
  const dir = folders.make();
  const base = await freePortRange(4);
  const r = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '2', '--detach']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((await tsredis(['down', '--dir', dir])).code, 0);
  const one = await tsredis(['up', '--dir', dir, '--replicas', '1', '--detach']);
  assert.equal(one.code, 0, one.stdout + one.stderr);
  assert.match(
    one.stdout,
    /note: .* has 2 replicas \(replica1, replica2\); --replicas 1 removes none, so all are started\. Remove one with '.*remove-replica \[NODE\]/,
  );
  assert.match(one.stdout, /a master \+ 2 replica\(s\)/);
  const st = await tsredis(['status', '--dir', dir]);
  assert.equal(st.code, 0, st.stdout);
  assert.match(st.stdout, /replica2 +replica .* up -> /);
});

test('ENGINE in status is what the node reports, not what the folder remembers', async () => {
  const dir = folders.make();
  const base = await freePortRange(2);
  const r = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '0', '--detach']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const stateFile = join(dir, 'tsredis-up.json');
  writeFileSync(stateFile, JSON.stringify({ engines: { master: 'redis-server' } }));
  const st = await tsredis(['status', '--dir', dir, '--json']);
  const status = JSON.parse(st.stdout) as { nodes: Array<{ name: string; engine: string }> };
  assert.equal(status.nodes.find((n) => n.name === 'master')?.engine, 'tsredis');
  assert.equal(portOf(dir, 'master'), base);
});
