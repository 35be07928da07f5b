/**
 * The seed document's walkthrough, end to end: three config files shaped like the seed's
 * (daemonize yes, pidfile, `slaveof <master-name> <port>`), master started first, then the
 * replicas; INFO on the master shows both replicas online; `set master liuwei` on the master
 * and `get master` on each replica answers "liuwei".
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { info, waitInSync } from '../support/replication.js';
import { CLI_BIN, findTool, freePort, SERVER_BIN, tempDir } from '../support/servers.js';
import { waitFor } from '../support/tcp-proxy.js';

const run = promisify(execFile);
const dir = tempDir('tsredis-seed-');
const pidfiles: string[] = [];

after(async () => {
  for (const pidfile of pidfiles) {
    if (!existsSync(pidfile)) continue;
    const pid = Number(readFileSync(pidfile, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    await waitFor(`process ${pid} to exit`, async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  }
  rmSync(dir, { recursive: true, force: true });
});

function seedConfig(name: string, port: number, masterPort: number | null): string {
  const nodeDir = join(dir, name);
  mkdirSync(nodeDir, { recursive: true });
  const pidfile = join(dir, `${name}.pid`);
  pidfiles.push(pidfile);
  const lines = [
    '# shaped like the seed: daemonize yes, pidfile, slaveof <master> <port>',
    `port ${port}`,
    'bind 127.0.0.1 -::1',
    'daemonize yes',
    `pidfile ${pidfile}`,
    `logfile ${join(dir, `${name}.log`)}`,
    `dir ${nodeDir}`,
    'save ""',
    'repl-diskless-sync-delay 0',
  ];
  // The seed's `slaveof master 6379` names the master by an alias; "localhost" resolves the same way.
  if (masterPort !== null) lines.push(`slaveof localhost ${masterPort}`);
  const file = join(dir, `redis-${name}.conf`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

test('seed walkthrough: master + 2 replicas from seed-shaped config files', async () => {
  const [mPort, s1Port, s2Port] = [await freePort(), await freePort(), await freePort()];
  const masterConf = seedConfig('master', mPort, null);
  const slave1Conf = seedConfig('slave1', s1Port, mPort);
  const slave2Conf = seedConfig('slave2', s2Port, mPort);

  // daemonize yes: each command returns once its server listens, like starting the seed's containers.
  await run(process.execPath, [SERVER_BIN, masterConf]);
  assert.ok(existsSync(pidfiles[0]), 'the master wrote its pidfile');
  await run(process.execPath, [SERVER_BIN, slave1Conf]);
  await run(process.execPath, [SERVER_BIN, slave2Conf]);

  await waitInSync(mPort, 2);
  const repl = await info(mPort);
  assert.equal(repl.get('role'), 'master');
  assert.equal(repl.get('connected_slaves'), '2');
  const slaves = [repl.get('slave0'), repl.get('slave1')].join(' ');
  assert.match(slaves, new RegExp(`port=${s1Port},state=online,offset=\\d+,lag=\\d+`));
  assert.match(slaves, new RegExp(`port=${s2Port},state=online,offset=\\d+,lag=\\d+`));
  assert.equal(repl.get('repl_backlog_active'), '1');
  assert.equal(repl.get('repl_backlog_size'), '1048576');
  assert.ok(repl.has('repl_backlog_first_byte_offset') && repl.has('repl_backlog_histlen'));

  const redisCli = findTool('redis-cli');
  const cli = (port: number, ...args: string[]) =>
    redisCli !== null
      ? run(redisCli, ['-p', String(port), ...args])
      : run(process.execPath, [CLI_BIN, '-p', String(port), ...args]);
  assert.equal((await cli(mPort, 'set', 'master', 'liuwei')).stdout, 'OK\n');
  for (const port of [s1Port, s2Port]) {
    await waitFor(
      `get master on ${port}`,
      async () => (await cli(port, 'get', 'master')).stdout === 'liuwei\n',
    );
    // And with our own cli, printed as the seed shows it on a terminal.
    const { stdout } = await run(process.execPath, [
      CLI_BIN,
      '-p',
      String(port),
      '--no-raw',
      'get',
      'master',
    ]);
    assert.equal(stdout, '"liuwei"\n');
  }
  const replica = await info(s1Port);
  assert.equal(replica.get('role'), 'slave');
  assert.equal(replica.get('master_link_status'), 'up');
  assert.equal(replica.get('master_host'), 'localhost');
});
