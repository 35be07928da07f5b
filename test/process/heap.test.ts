/**
 * The V8 heap: tsredis-server chooses its limit (relaunching itself with it), and the limit's
 * ceiling behaves as Redis's maxmemory instead of killing the process. Servers here run with a
 * small --max-old-space-size so the ceiling is reached in seconds.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { availableMemory, planHeap } from '../../src/lib/heap-plan.js';
import { RawClient } from '../support/raw-client.js';
import { freePort, type ProcessServer, SERVER_BIN, spawnServer, tempDir } from '../support/servers.js';
import { waitFor } from '../support/tcp-proxy.js';
import { isAlive } from '../support/topology-support.js';

const MB = 1024 * 1024;
const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

function infoField(info: string, name: string): string {
  const m = new RegExp(`^${name}:(.*)\\r$`, 'm').exec(info);
  assert.ok(m !== null, `INFO has ${name}`);
  return m[1];
}

/** tsredis-server started as a user would (no node flags), its configuration on stdin. */
async function startPlain(): Promise<{ launcher: ChildProcess; port: number; output: () => string }> {
  const port = await freePort();
  const dir = tempDir();
  const launcher = spawn(process.execPath, [SERVER_BIN, '-'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  launcher.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  launcher.stderr!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  launcher.stdin!.end(`port ${port}\nbind 127.0.0.1\nsave ""\ndir ${dir}\n`);
  await waitFor('ready', async () => /Ready to accept connections/.test(out));
  return { launcher, port, output: () => out };
}

async function serverPid(port: number): Promise<number> {
  const c = await RawClient.connect(port);
  const info = await c.callRaw('INFO server');
  c.close();
  return Number(infoField(info, 'process_id'));
}

describe('the heap limit is chosen at start-up', () => {
  test('without node flags tsredis-server relaunches itself with the planned heap; SIGTERM ends both', async () => {
    const { launcher, port, output } = await startPlain();
    const c = await RawClient.connect(port);
    const memory = await c.callRaw('INFO memory');
    c.close();
    const plan = planHeap(0);
    assert.equal(infoField(memory, 'heap_limit_source'), availableMemory().source);
    // heap_size_limit is the old space plus the young generation.
    assert.ok(Number(infoField(memory, 'heap_limit')) >= plan.oldSpaceMb * MB, memory);
    assert.match(output(), new RegExp(`Heap limit \\d+ MB \\(${plan.source}\\)`));
    const pid = await serverPid(port);
    assert.notEqual(pid, launcher.pid);
    assert.ok(isAlive(pid));
    const exited = new Promise<number | null>((r) => launcher.once('exit', (code) => r(code)));
    launcher.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(!isAlive(pid), 'the server exited before its launcher');
    assert.match(output(), /Received SIGTERM scheduling shutdown/);
  });

  test('a SIGKILLed launcher takes the server with it', async () => {
    const { launcher, port } = await startPlain();
    const pid = await serverPid(port);
    launcher.kill('SIGKILL');
    await waitFor('the server to end', async () => !isAlive(pid), 5000);
  });

  test('the plan: three quarters of the memory, or what maxmemory needs', () => {
    const machine = { bytes: 24 * 1024 * MB, source: 'machine' as const };
    assert.deepEqual(planHeap(0, machine), { oldSpaceMb: 18 * 1024, source: 'machine' });
    assert.deepEqual(planHeap(0, { bytes: 2048 * MB, source: 'cgroup' }), {
      oldSpaceMb: 1536,
      source: 'cgroup',
    });
    assert.deepEqual(planHeap(8 * 1024 * MB, machine), { oldSpaceMb: 12 * 1024 + 512, source: 'maxmemory' });
    // Never below Node's own default, never above the machine's share.
    assert.ok(planHeap(100 * MB, machine).oldSpaceMb >= 2048);
    assert.equal(planHeap(64 * 1024 * MB, machine).oldSpaceMb, 18 * 1024);
  });
});

describe('at the heap ceiling the server refuses writes instead of dying', () => {
  const servers: ProcessServer[] = [];
  after(() => Promise.all(servers.map((s) => s.stop())));

  async function small(args: string[] = [], dir = tempDir()): Promise<ProcessServer> {
    const s = await spawnServer(
      SERVER_BIN,
      ['--bind', '127.0.0.1', '--save', '', '--enable-debug-command', 'yes', '--dir', dir, ...args],
      {
        dir,
        nodeFlags: ['--max-old-space-size=160'],
      },
    );
    servers.push(s);
    return s;
  }

  /**
   * SETs of 1 KB values in pipelined batches until a whole batch is refused: then the keys, not
   * garbage a collection would free, fill the heap. Returns the keys written.
   */
  async function fillUntilOom(c: RawClient): Promise<number> {
    const value = 'v'.repeat(1024);
    let written = 0;
    for (let batch = 0; batch < 1000; batch++) {
      for (let i = 0; i < 1000; i++) c.send(['SET', `k:${batch}:${i}`, value]);
      let refused = 0;
      for (let i = 0; i < 1000; i++) {
        const raw = (await c.read(30_000)).raw.toString('latin1');
        if (raw === OOM) refused++;
        else assert.equal(raw, '+OK\r\n');
      }
      written += 1000 - refused;
      if (refused === 1000) return written;
    }
    throw new Error('never refused');
  }

  test('-OOM for writes; reads, deletes, INFO and FLUSHALL work; writes come back', async () => {
    const s = await small();
    const c = await RawClient.connect(s.port);
    const written = await fillUntilOom(c);
    assert.ok(written > 10_000, `wrote ${written}`);
    assert.equal(await c.callRaw('SET another x'), OOM);
    assert.equal(await c.callRaw('GET k:0:0'), `$1024\r\n${'v'.repeat(1024)}\r\n`);
    assert.equal(await c.callRaw('DEL k:0:1'), ':1\r\n');
    assert.match(
      await c.callRaw("EVAL \"return redis.call('SET', 'x', 1)\" 0"),
      /^-OOM command not allowed when used memory > 'maxmemory'\. script: /,
    );
    assert.match(await c.callRaw('INFO memory'), /heap_oom:1\r\n/);
    await s.waitForOutput(/WARNING: the heap is near its limit/);
    // One more command creating data without end stops at the ceiling too.
    assert.equal(await c.callRaw('DEBUG POPULATE 100000000 other 10'), OOM);
    // A bulk bigger than the room left is refused before it is buffered; others are served.
    const big = await RawClient.connect(s.port);
    big.send(['SET', 'big', Buffer.alloc(80 * MB, 'b')]);
    assert.equal((await big.read(30_000)).raw.toString('latin1'), OOM);
    assert.equal(await c.callRaw('PING'), '+PONG\r\n');
    big.close();
    assert.equal(await c.callRaw('FLUSHALL'), '+OK\r\n');
    await waitFor(
      'writes accepted again',
      async () => (await c.callRaw('SET after 1')) === '+OK\r\n',
      10_000,
    );
    await s.waitForOutput(/The heap is below its ceiling again/);
    assert.match(await c.callRaw('INFO memory'), /heap_oom:0\r\n/);
    c.close();
  });

  /** A server with a normal heap holding ~250 MB of 1 KB strings, stopped (its files kept) unless asked. */
  async function roomyWithData(args: string[], dir: string, keep = false): Promise<ProcessServer> {
    const roomy = await spawnServer(
      SERVER_BIN,
      ['--bind', '127.0.0.1', '--save', '', '--dir', dir, ...args],
      {
        dir,
      },
    );
    const c = await RawClient.connect(roomy.port);
    const value = 'w'.repeat(1024);
    for (let batch = 0; batch < 250; batch++) {
      for (let i = 0; i < 1000; i++) c.send(['SET', `k:${batch}:${i}`, value]);
      for (let i = 0; i < 1000; i++) await c.read(30_000);
    }
    c.close();
    if (!keep) await roomy.stop();
    return roomy;
  }

  const tooBig = (e: Error) =>
    /server exited with 1 before ready/.test(e.message) &&
    /Not enough memory to hold the data set: the heap reached its ceiling/.test(e.message) &&
    !/Ready to accept connections/.test(e.message);

  test('an RDB bigger than the heap: start-up fails with a clear message, exit code 1', async () => {
    const dir = tempDir();
    await roomyWithData(['--save', '3600 1'], dir);
    await assert.rejects(small([], dir), tooBig);
  });

  test('an AOF bigger than the heap: the same', async () => {
    const dir = tempDir();
    await roomyWithData(['--appendonly', 'yes', '--appendfsync', 'no'], dir);
    await assert.rejects(small(['--appendonly', 'yes'], dir), tooBig);
  });

  test("a replica whose heap cannot hold its master's data set: the sync fails, logged, nothing half-loaded", async () => {
    const master = await roomyWithData(['--repl-diskless-sync-delay', '0'], tempDir(), true);
    servers.push(master);
    const replica = await small();
    const c = await RawClient.connect(replica.port);
    assert.equal(await c.callRaw(`REPLICAOF 127.0.0.1 ${master.port}`), '+OK\r\n');
    await replica.waitForOutput(/Not enough memory to hold the data set/, 60_000);
    assert.equal(await c.callRaw('PING'), '+PONG\r\n');
    assert.equal(await c.callRaw('DBSIZE'), ':0\r\n');
    assert.match(await c.callRaw('INFO replication'), /master_link_status:down/);
    assert.equal(await c.callRaw('REPLICAOF NO ONE'), '+OK\r\n');
    c.close();
  });
});
