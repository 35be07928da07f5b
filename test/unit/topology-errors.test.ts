/**
 * Expected failures of the `tsredis` launcher in plain words, never a stack trace: a bad port line
 * in a config file, --dir naming a file or a folder that cannot be made (/proc), an engine typo
 * (caught before any file is written), unknown options, the errno errors nothing else explains; and
 * the wording of the progress and connect lines. (compose/k8s output paths: compose.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connectCommands } from '../../src/topology/commands-text.js';
import { syncMessage } from '../../src/topology/in-sync.js';
import type { NodeStatus } from '../../src/topology/status.js';
import type { NodeConf } from '../../src/topology/workspace.js';
import {
  Folders,
  freePortRange,
  hasStackTrace,
  pidsIn,
  type RunResult,
  tsredis,
} from '../support/topology-support.js';

const folders = new Folders();
after(() => folders.cleanup());

/** A failure: exit code 1, one plain message on stderr, no stack trace, no hang. */
function assertPlain(r: RunResult, message: RegExp): void {
  assert.equal(r.signal, null, `hung:\n${r.stdout}${r.stderr}`);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, message);
  assert.equal(hasStackTrace(r.stdout + r.stderr), false, r.stderr);
}

test("a config file saying 'port abc': the file and the line, no ERR_SOCKET_BAD_PORT", async () => {
  const dir = folders.make();
  const base = await freePortRange(2);
  const r = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '0', '--detach']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((await tsredis(['down', '--dir', dir])).code, 0);
  const file = join(dir, 'redis-master.conf');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^port \d+$/m, 'port abc'));
  const message = new RegExp(
    `^tsredis (up|status): ${file.replace(/[.]/g, '\\.')}: 'port abc' is not a port number \\(a whole number from 1 to 65535\\)`,
    'm',
  );
  assertPlain(await tsredis(['up', '--dir', dir, '--detach']), message);
  assertPlain(await tsredis(['status', '--dir', dir]), message);
  assert.deepEqual(pidsIn(dir), []);
});

test('--dir naming a file, or a path through a file: plain words for every command', async () => {
  const dir = folders.make();
  const file = join(dir, 'not-a-folder');
  writeFileSync(file, 'x\n');
  const isFile = new RegExp(`the working folder \\(--dir\\): ${file} is a file, not a folder`);
  assertPlain(await tsredis(['up', '--dir', file, '--detach']), isFile);
  assertPlain(await tsredis(['status', '--dir', file]), isFile);
  assertPlain(await tsredis(['down', '--dir', file]), isFile);
  assertPlain(
    await tsredis(['up', '--dir', join(file, 'sub'), '--detach']),
    new RegExp(`cannot create ${join(file, 'sub')}: ${file} is a file, not a folder`),
  );
  assertPlain(
    await tsredis(['up', '--dir', '/proc/tsredis-no-such-dir', '--detach'], 20000),
    /the working folder \(--dir\): cannot create \/proc\/tsredis-no-such-dir: \/proc does not accept new folders/,
  );
});

test('unknown options and missing values: one prefix, one line', async () => {
  const bogus = await tsredis(['up', '--bogus']);
  assertPlain(bogus, /^tsredis up: unknown option --bogus \(see 'tsredis help' for the options of up\)$/m);
  assert.doesNotMatch(bogus.stderr, /tsredis up: tsredis up/);
  assertPlain(await tsredis(['status', '--interval']), /^tsredis status: option --interval needs a value$/m);
});

test('an engine typo fails before any file is written', async () => {
  const dir = folders.make();
  for (const args of [
    ['--engine', 'redis-servr'],
    ['--replica-engine', 'redis-servr'],
    ['--master-engine', '/nonexistent/redis-server'],
  ]) {
    assertPlain(
      await tsredis(['up', '--dir', dir, ...args, '--detach']),
      /redis-servr is not installed|engine binary \/nonexistent\/redis-server does not exist/,
    );
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.conf')),
      [],
      `no config file written for ${args.join(' ')}`,
    );
  }
});

test('an errno error nothing else explains is one plain line (and the started nodes are stopped)', async () => {
  const dir = folders.make();
  const base = await freePortRange(2);
  // The state file is a folder: writing it fails with EISDIR once the master has started.
  mkdirSync(join(dir, 'tsredis-up.json'));
  const r = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '0']);
  assertPlain(
    r,
    new RegExp(
      `^tsredis up: cannot open ${dir}/tsredis-up\\.json: it is a folder, not a file \\(EISDIR\\)$`,
      'm',
    ),
  );
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stdout, /stopping the nodes this run started/);
  assert.deepEqual(pidsIn(dir), []);
});

function replicaStatus(over: Partial<NodeStatus>): NodeStatus {
  return {
    name: 'replica1',
    engine: 'tsredis',
    address: '127.0.0.1:6381',
    configuredRole: 'replica',
    role: 'replica',
    running: true,
    pid: 1,
    link: 'sync',
    linkReason: '',
    masterAddress: '127.0.0.1:6380',
    offset: 0,
    lagBytes: null,
    lagSeconds: null,
    keys: 0,
    opsPerSec: 0,
    usedMemory: 0,
    connectedReplicas: 0,
    sync: { read: 0, total: -1 },
    problem: '',
    ...over,
  };
}

test('progress: a tiny sync is not shown as "receiving the data set, 0 B"; a large one is', () => {
  const now = 1_000_000;
  const since = new Map([['replica1', now - 200]]);
  const tiny = syncMessage([replicaStatus({})], since, now);
  assert.equal(tiny.message, 'waiting for replica1: linking to 127.0.0.1:6380');
  // The same line (the same key) as while connecting: nothing new is printed in a pipe.
  const connecting = syncMessage([replicaStatus({ link: 'down', sync: null })], new Map(), now);
  assert.equal(connecting.key, tiny.key);
  const large = syncMessage([replicaStatus({ sync: { read: 3 << 20, total: 6 << 20 } })], since, now);
  assert.equal(large.message, 'waiting for replica1: receiving the data set, 3.0 MB of 6.0 MB (50%)');
  const slow = syncMessage([replicaStatus({ sync: { read: 100, total: -1 } })], since, now + 1000);
  assert.equal(slow.message, 'waiting for replica1: receiving the data set, 100 B');
});

test('connect lines say each role once', () => {
  const conf = (name: string, port: number, replicaof: number | null) =>
    ({
      name,
      port,
      host: '127.0.0.1',
      replicaof: replicaof === null ? null : { host: '127.0.0.1', port: replicaof },
    }) as NodeConf;
  const text = connectCommands([conf('master', 6380, null), conf('replica1', 6381, 6380)]);
  assert.match(text, /-p 6380 +# master: writes go here$/m);
  assert.match(text, /-p 6381 +# replica1: read-only replica of 127\.0\.0\.1:6380$/m);
  assert.doesNotMatch(text, /master, the master/);
  // After a failover the master may be called replica2: then the line says it is the master.
  assert.match(connectCommands([conf('replica2', 6382, null)]), /# replica2: the master, writes go here$/m);
});
