/**
 * kill -9 at the worst moments: during a BGSAVE (the previous snapshot survives intact), during an
 * AOF rewrite, and under write load with appendfsync always (every acknowledged write is there
 * after restart) and everysec (at most about a second of acknowledged writes may be lost).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  checkRdb,
  cmd,
  datasetCommands,
  dumpAll,
  freshDir,
  loadDataset,
  pipeline,
  startTsredisIn,
} from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import type { ProcessServer } from '../support/servers.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(prefix: string): string {
  const d = freshDir(prefix);
  dirs.push(d);
  return d;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function info(c: RawClient): Promise<string> {
  return (await cmd(c, 'INFO', 'persistence')) as string;
}

/**
 * Writes SET w:<i> <i> one at a time (each acknowledged before the next) until stopped; returns
 * the acknowledgement time of each write.
 */
function writeLoad(c: RawClient): { stop: () => Promise<number[]> } {
  const acked: number[] = [];
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      try {
        const reply = await c.callRaw(['SET', `w:${i}`, String(i)]);
        if (reply !== '+OK\r\n') break;
        acked.push(Date.now());
      } catch {
        break;
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return acked;
    },
  };
}

async function restartAndCount(
  d: string,
  args: string[],
  n: number,
): Promise<{ present: boolean[]; server: ProcessServer }> {
  const s = await startTsredisIn(d, args);
  const c = await RawClient.connect(s.port);
  const present: boolean[] = [];
  for (let i = 0; i < n; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, n - i) }, (_, k) => ['EXISTS', `w:${i + k}`]);
    for (const r of await pipeline(c, batch)) present.push(r === 1);
  }
  c.close();
  return { present, server: s };
}

describe('crash safety (kill -9)', () => {
  test('during a BGSAVE: the previous dump.rdb stays intact and loads', async (t) => {
    const d = dir('crash-bgsave');
    const s = await startTsredisIn(d);
    const c = await RawClient.connect(s.port);
    // On a failure too: an open connection would keep the test file from ever ending.
    t.after(async () => {
      c.close();
      await s.stop('SIGKILL');
    });
    await loadDataset(c, datasetCommands(41, 0.2));
    assert.equal(await cmd(c, 'SAVE'), 'OK');
    const saved = await dumpAll(c, 6);
    await pipeline(
      c,
      Array.from({ length: 2000 }, (_, i) => ['SET', `extra:${i}`, 'x'.repeat(100)]),
    );
    await cmd(c, 'CONFIG', 'SET', 'rdb-key-save-delay', '2000');
    assert.equal(await cmd(c, 'BGSAVE'), 'Background saving started');
    await until(async () => /current_save_keys_processed:[1-9]\d{2,}/.test(await info(c)));
    assert.ok(existsSync(join(d, `temp-bgsave-${s.proc.pid}.rdb`)), 'the save writes a temp file');
    c.close();
    await s.stop('SIGKILL');
    assert.equal(checkRdb(join(d, 'dump.rdb')).code, 0);
    const s2 = await startTsredisIn(d);
    const c2 = await RawClient.connect(s2.port);
    try {
      assert.deepEqual(await dumpAll(c2, 6), saved);
    } finally {
      c2.close();
      await s2.stop('SIGKILL');
    }
  });

  test('during an AOF rewrite: nothing acknowledged is lost, before or during the rewrite', async (t) => {
    const d = dir('crash-aofrw');
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    const s = await startTsredisIn(d, args);
    const c = await RawClient.connect(s.port);
    t.after(async () => {
      c.close();
      await s.stop('SIGKILL');
    });
    await loadDataset(c, datasetCommands(42, 0.2));
    // 20 ms a key: the rewrite lasts long enough to be seen and crashed into on a loaded machine.
    await cmd(c, 'CONFIG', 'SET', 'rdb-key-save-delay', '20000');
    assert.equal(await cmd(c, 'BGREWRITEAOF'), 'Background append only file rewriting started');
    await until(async () => /aof_rewrite_in_progress:1/.test(await info(c)));
    await pipeline(c, [
      ['SET', 'during', 'rewrite'],
      ['DEL', 's:0:3'],
      ['RPUSH', 'lbig:0', 'appended'],
    ]);
    const expected = await dumpAll(c, 6);
    assert.match(await info(c), /aof_rewrite_in_progress:1/);
    c.close();
    await s.stop('SIGKILL');
    assert.ok(readdirSync(join(d, 'appendonlydir')).includes('appendonly.aof.2.incr.aof'));
    const s2 = await startTsredisIn(d, args);
    const c2 = await RawClient.connect(s2.port);
    try {
      assert.deepEqual(await dumpAll(c2, 6), expected);
    } finally {
      c2.close();
      await s2.stop('SIGKILL');
    }
  });

  test('appendfsync always: every acknowledged write survives kill -9 under load', async () => {
    const d = dir('crash-always');
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    const s = await startTsredisIn(d, args);
    const c = await RawClient.connect(s.port);
    const load = writeLoad(c);
    await new Promise((r) => setTimeout(r, 700));
    await s.stop('SIGKILL');
    const acked = await load.stop();
    c.close();
    assert.ok(acked.length > 50, `only ${acked.length} writes`);
    const { present, server } = await restartAndCount(d, args, acked.length);
    await server.stop('SIGKILL');
    const missing = present.map((p, i) => (p ? -1 : i)).filter((i) => i >= 0);
    assert.deepEqual(missing, []);
  });

  test('appendfsync everysec: at most about one second of acknowledged writes is lost', async () => {
    const d = dir('crash-everysec');
    const args = ['--appendonly', 'yes', '--appendfsync', 'everysec'];
    const s = await startTsredisIn(d, args);
    const c = await RawClient.connect(s.port);
    const load = writeLoad(c);
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = Date.now();
    await s.stop('SIGKILL');
    const acked = await load.stop();
    c.close();
    const { present, server } = await restartAndCount(d, args, acked.length);
    await server.stop('SIGKILL');
    const lost = present.map((p, i) => (p ? -1 : i)).filter((i) => i >= 0);
    for (const i of lost)
      assert.ok(
        killedAt - acked[i] <= 1500,
        `write ${i} acknowledged ${killedAt - acked[i]} ms before the kill was lost`,
      );
    // Written (not yet fsynced) data survives a process kill: nothing should be missing at all.
    assert.equal(lost.length, 0);
  });
});
