/**
 * `tsredis up` end to end: the seed's walkthrough (master + 2 replicas from seed-shaped config files,
 * INFO shows both replicas online, `set master liuwei` read back on both replicas), add-replica,
 * status, down (no process, no pidfile), the foreground mode stopped by Ctrl-C, edits respected.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { cmd, info } from '../support/replication.js';
import { CLI_BIN, DIST } from '../support/servers.js';
import { waitFor } from '../support/tcp-proxy.js';
import {
  Folders,
  freePortRange,
  hasStackTrace,
  isAlive,
  pidsIn,
  spawnTsredis,
  tsredis,
} from '../support/topology-support.js';

const run = promisify(execFile);
const folders = new Folders();
after(() => folders.cleanup());

const cli = async (port: number, ...args: string[]) =>
  (await run(process.execPath, [CLI_BIN, '-p', String(port), '--no-raw', ...args])).stdout;

test('the seed walkthrough through tsredis up: master + 2 replicas, connected_slaves:2, liuwei everywhere', async () => {
  const dir = folders.make();
  const base = await freePortRange(6);
  const r = await tsredis(['up', '--dir', dir, '--port', String(base), '--detach']);
  assert.equal(r.code, 0, r.stdout + r.stderr);

  // Config files in the seed's shape, one per node.
  const master = readFileSync(join(dir, 'redis-master.conf'), 'utf8');
  const replica1 = readFileSync(join(dir, 'redis-replica1.conf'), 'utf8');
  assert.ok(existsSync(join(dir, 'redis-replica2.conf')));
  assert.match(master, /^daemonize yes$/m);
  assert.match(master, new RegExp(`^pidfile ${join(dir, 'master.pid')}$`, 'm'));
  assert.match(master, new RegExp(`^logfile ${join(dir, 'master.log')}$`, 'm'));
  assert.match(master, /^dir .+data\/master$/m);
  assert.match(master, /^bind 127\.0\.0\.1/m);
  assert.doesNotMatch(master, /^replicaof/m);
  assert.match(replica1, new RegExp(`^replicaof 127\\.0\\.0\\.1 ${base}$`, 'm'));

  // What up printed: the verification, the table and the commands to connect.
  assert.match(r.stdout, /verified: SET tsredis-up:verify on master, GET on replica1, replica2/);
  assert.match(r.stdout, /NODE +ROLE +ADDRESS +LINK +OFFSET +LAG +KEYS/);
  assert.match(
    r.stdout,
    new RegExp(`replica1 +replica +127\\.0\\.0\\.1:\\d+ +up -> 127\\.0\\.0\\.1:${base}`),
  );
  assert.match(r.stdout, new RegExp(`tsredis-cli(\\.js)? -p ${base} +# master`));

  const repl = await info(base);
  assert.equal(repl.get('role'), 'master');
  assert.equal(repl.get('connected_slaves'), '2');
  assert.match(repl.get('slave0') ?? '', /state=online/);
  assert.match(repl.get('slave1') ?? '', /state=online/);

  assert.equal(await cli(base, 'set', 'master', 'liuwei'), 'OK\n');
  assert.equal(await cli(base, 'get', 'master'), '"liuwei"\n');
  const replicaPorts = [1, 2].map((i) =>
    Number(/^port (\d+)$/m.exec(readFileSync(join(dir, `redis-replica${i}.conf`), 'utf8'))![1]),
  );
  for (const port of replicaPorts) {
    await waitFor(`get master on ${port}`, async () => (await cli(port, 'get', 'master')) === '"liuwei"\n');
  }

  // add-replica (the seed's "one more container"), then status shows 3 online.
  const add = await tsredis(['add-replica', '--dir', dir]);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  assert.match(
    readFileSync(join(dir, 'redis-replica3.conf'), 'utf8'),
    new RegExp(`^replicaof 127\\.0\\.0\\.1 ${base}$`, 'm'),
  );
  const st = await tsredis(['status', '--dir', dir, '--json']);
  assert.equal(st.code, 0, st.stdout + st.stderr);
  const status = JSON.parse(st.stdout) as {
    healthy: boolean;
    nodes: Array<{ name: string; role: string; link: string }>;
  };
  assert.equal(status.healthy, true);
  assert.deepEqual(
    status.nodes.filter((n) => n.role === 'replica' && n.link === 'up').map((n) => n.name),
    ['replica1', 'replica2', 'replica3'],
  );
  assert.equal((await info(base)).get('connected_slaves'), '3');
  const replica3Port = Number(
    /^port (\d+)$/m.exec(readFileSync(join(dir, 'redis-replica3.conf'), 'utf8'))![1],
  );
  assert.equal(await cmd(replica3Port, 'GET', 'master'), 'liuwei');

  // down: no process and no pidfile left.
  const pids = pidsIn(dir);
  assert.equal(pids.length, 4);
  const down = await tsredis(['down', '--dir', dir]);
  assert.equal(down.code, 0, down.stdout + down.stderr);
  for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still alive`);
  assert.deepEqual(pidsIn(dir), []);
  // status now says so, with a non-zero exit code.
  const st2 = await tsredis(['status', '--dir', dir]);
  assert.equal(st2.code, 1);
  assert.match(st2.stdout, /master +DOWN/);
});

test('status exits non-zero when a node is down or a link is broken; remove-replica; logs', async () => {
  const dir = folders.make();
  const base = await freePortRange(4);
  const r = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '2', '--detach']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // Break replica2's link: point it at a port where nothing listens.
  const replica2Port = Number(
    /^port (\d+)$/m.exec(readFileSync(join(dir, 'redis-replica2.conf'), 'utf8'))![1],
  );
  assert.equal(await cmd(replica2Port, 'REPLICAOF', '127.0.0.1', String(base + 3)), 'OK');
  const st = await tsredis(['status', '--dir', dir]);
  assert.equal(st.code, 1, st.stdout);
  assert.match(st.stdout, /replica2 +replica .* down -> 127\.0\.0\.1:\d+/);
  assert.match(st.stdout, /! replica2: link down/);

  const logs = await tsredis(['logs', 'replica2', '--dir', dir, '-n', '200']);
  assert.equal(logs.code, 0);
  assert.match(logs.stdout, /Connecting to MASTER 127\.0\.0\.1:\d+/);
  const all = await tsredis(['logs', '--dir', dir, '-n', '3']);
  assert.match(all.stdout, /^master +\| /m);
  assert.match(all.stdout, /^replica1 +\| /m);

  const rm = await tsredis(['remove-replica', 'replica2', '--dir', dir]);
  assert.equal(rm.code, 0, rm.stdout + rm.stderr);
  assert.equal(existsSync(join(dir, 'redis-replica2.conf')), false);
  assert.equal(existsSync(join(dir, 'replica2.pid')), false);
  const st2 = await tsredis(['status', '--dir', dir]);
  assert.equal(st2.code, 0, st2.stdout);
  assert.doesNotMatch(st2.stdout, /replica2/);
  const noMaster = await tsredis(['remove-replica', 'master', '--dir', dir]);
  assert.equal(noMaster.code, 1);
  assert.match(noMaster.stderr, /is a master: run 'tsredis failover' first/);
});

test('foreground: live status, Ctrl-C stops every node; a second up reuses the edited config files', async () => {
  const dir = folders.make();
  const base = await freePortRange(5);
  const fg = spawnTsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '1']);
  await waitFor(
    'the foreground status line',
    async () => /Ctrl-C stops all nodes[\s\S]*\] master master/.test(fg.output()),
    30000,
  );
  const pids = pidsIn(dir);
  assert.equal(pids.length, 2);
  fg.proc.kill('SIGINT');
  assert.equal(await fg.exited, 0, fg.output());
  assert.match(fg.output(), /All nodes stopped\./);
  for (const pid of pids) assert.equal(isAlive(pid), false);
  assert.deepEqual(pidsIn(dir), []);

  // The user edits replica1's file (another port, a directive of their own): up respects it.
  const file = join(dir, 'redis-replica1.conf');
  const newPort = base + 4;
  writeFileSync(
    file,
    `${readFileSync(file, 'utf8').replace(/^port \d+$/m, `port ${newPort}`)}# mine\nreplica-priority 42\n`,
  );
  const again = await tsredis(['up', '--dir', dir, '--detach']);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /reusing redis-master\.conf, redis-replica1\.conf as they are/);
  assert.equal(await cmd(newPort, 'CONFIG', 'GET', 'replica-priority'), 'replica-priority\n42');
  assert.equal((await info(newPort)).get('master_link_status'), 'up');
  assert.match(readFileSync(file, 'utf8'), /# mine\nreplica-priority 42\n$/);
});

test('readable errors without stack traces: port in use, binary missing, bad config', async () => {
  const base = await freePortRange(4);
  // Port in use: something else listens on the master's port.
  const blocker = await new Promise<Server>((resolve) => {
    const s = createServer();
    s.listen(base, '127.0.0.1', () => resolve(s));
  });
  try {
    const r = await tsredis(['up', '--dir', folders.make(), '--port', String(base), '--detach']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`port ${base} is already in use by another program`));
    assert.equal(hasStackTrace(r.stdout + r.stderr), false, r.stderr);
  } finally {
    blocker.close();
  }

  // A missing engine binary.
  const dir2 = folders.make();
  const missing = await tsredis([
    'up',
    '--dir',
    dir2,
    '--port',
    String(base),
    '--engine',
    'redis-server-not-installed',
  ]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /redis-server-not-installed is not installed \(not found on PATH\)/);
  assert.equal(hasStackTrace(missing.stderr), false);
  const missingPath = await tsredis(['up', '--dir', dir2, '--engine', '/nonexistent/redis-server']);
  assert.match(missingPath.stderr, /engine binary \/nonexistent\/redis-server does not exist/);
  assert.deepEqual(pidsIn(dir2), []);

  // A bad config file: the master starts, the broken replica is reported with Redis's words, and the
  // foreground run stops what it started.
  const dir3 = folders.make();
  const ok = await tsredis(['up', '--dir', dir3, '--port', String(base), '--replicas', '1', '--detach']);
  assert.equal(ok.code, 0, ok.stderr);
  await tsredis(['down', '--dir', dir3]);
  const file = join(dir3, 'redis-replica1.conf');
  writeFileSync(file, `${readFileSync(file, 'utf8')}appendfsync sometimes\n`);
  const bad = await tsredis(['up', '--dir', dir3]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /redis-replica1\.conf is not a valid configuration for tsredis:/);
  assert.match(bad.stderr, /'appendfsync sometimes'/);
  assert.equal(hasStackTrace(bad.stderr), false, bad.stderr);
  assert.match(bad.stdout, /stopping the nodes this run started/);
  assert.deepEqual(pidsIn(dir3), []);

  // Unknown options and commands are explained too.
  const unknown = await tsredis(['up', '--replica', '3']);
  assert.match(
    unknown.stderr,
    /^tsredis up: unknown option --replica \(see 'tsredis help' for the options of up\)$/m,
  );
  assert.doesNotMatch(unknown.stderr, /tsredis up: tsredis up/);
  const noTopology = await tsredis(['status', '--dir', folders.make()]);
  assert.equal(noTopology.code, 1);
  assert.match(noTopology.stderr, /no topology in .*Start one with 'tsredis up'/);
});

// `npm start` builds (incrementally) into dist/, so it runs only from that build (as in CI).
const fromMainBuild = basename(DIST) === 'dist';

test('npm start: builds if needed, brings the seed topology up, Ctrl-C stops it', {
  skip: fromMainBuild ? false : 'runs from the dist/ build only (npm start compiles into dist/)',
}, async () => {
  const dir = folders.make();
  const base = await freePortRange(4);
  // Its own process group, signalled as a whole: what Ctrl-C in a terminal does.
  const npm = spawn('npm', ['start', '--silent', '--', '--dir', dir, '--port', String(base)], {
    cwd: join(DIST, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  folders.track(npm.pid!);
  let out = '';
  npm.stdout.on('data', (b: Buffer) => (out += b.toString()));
  npm.stderr.on('data', (b: Buffer) => (out += b.toString()));
  // 'close', not 'exit': the output's last lines are read by then.
  const exited = new Promise<string>((resolve) =>
    npm.once('close', (code, signal) => resolve(`${code ?? signal}`)),
  );
  await waitFor('npm start to bring the topology up', async () => /Ctrl-C stops all nodes/.test(out), 120000);
  assert.match(out, /verified: SET tsredis-up:verify on master, GET on replica1, replica2/);
  assert.equal((await info(base)).get('connected_slaves'), '2');
  const pids = pidsIn(dir);
  process.kill(-npm.pid!, 'SIGINT');
  // npm itself ends by the signal it got (as after Ctrl-C in a terminal), once its child is done.
  assert.match(await exited, /^(0|SIGINT)$/, out);
  assert.match(out, /All nodes stopped\./);
  for (const pid of pids) assert.equal(isAlive(pid), false);
});
