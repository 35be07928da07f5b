/**
 * RDB files move both ways between tsredis and redis-server 7.0.15: a generated data set with every
 * type and encoding (thousands of keys, large and small values, binary data, expiries, several
 * databases) saved by one server is loaded by the other with identical content, and
 * redis-check-rdb accepts what tsredis writes (SAVE and BGSAVE, with and without compression).
 */
import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import {
  checkRdb,
  cmd,
  datasetCommands,
  dumpAll,
  freshDir,
  loadDataset,
  pathIn,
  startRedisIn,
  startTsredisIn,
} from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import { DIST, type ProcessServer, skipWithoutRedis } from '../support/servers.js';

const skip = skipWithoutRedis();

async function withServer<T>(
  start: Promise<ProcessServer>,
  fn: (c: RawClient, s: ProcessServer) => Promise<T>,
): Promise<T> {
  const s = await start;
  const c = await RawClient.connect(s.port);
  try {
    return await fn(c, s);
  } finally {
    c.close();
    await s.stop('SIGKILL');
  }
}

async function waitBgsave(c: RawClient): Promise<void> {
  for (;;) {
    const info = (await cmd(c, 'INFO', 'persistence')) as string;
    if (/rdb_bgsave_in_progress:0/.test(info)) {
      assert.match(info, /rdb_last_bgsave_status:ok/);
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RDB interoperability with redis-server 7.0', { skip }, () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  for (const compression of ['yes', 'no']) {
    test(`tsredis SAVE (rdbcompression ${compression}) loads in redis-server with the same content; redis-check-rdb OK`, async () => {
      const dir = freshDir('rdb-out');
      dirs.push(dir);
      const args = ['--rdbcompression', compression, '--list-max-listpack-size', '5'];
      const expected = await withServer(startTsredisIn(dir, args), async (c) => {
        await loadDataset(c, datasetCommands(compression === 'yes' ? 1 : 2));
        assert.equal(await cmd(c, 'SAVE'), 'OK');
        return dumpAll(c, 8);
      });
      assert.ok(expected.length > 5000, `data set too small: ${expected.length}`);
      const check = checkRdb(pathIn(dir, 'dump.rdb'));
      assert.equal(check.code, 0, check.output);
      assert.match(check.output, /RDB looks OK/);
      assert.match(check.output, /Checksum OK/);
      const actual = await withServer(startRedisIn(dir, ['--list-max-listpack-size', '5']), (c) =>
        dumpAll(c, 8),
      );
      assert.deepEqual(actual, expected);
    });
  }

  test('a BGSAVE file is accepted by redis-check-rdb and redis-server', async () => {
    const dir = freshDir('rdb-bg');
    dirs.push(dir);
    const expected = await withServer(startTsredisIn(dir), async (c) => {
      await loadDataset(c, datasetCommands(3, 0.3));
      assert.equal(await cmd(c, 'BGSAVE'), 'Background saving started');
      await waitBgsave(c);
      return dumpAll(c, 8);
    });
    const check = checkRdb(pathIn(dir, 'dump.rdb'));
    assert.equal(check.code, 0, check.output);
    const actual = await withServer(startRedisIn(dir), (c) => dumpAll(c, 8));
    assert.deepEqual(actual, expected);
  });

  test('redis-server SAVE loads in tsredis with the same content and encodings', async () => {
    const dir = freshDir('rdb-in');
    dirs.push(dir);
    const expected = await withServer(startRedisIn(dir, ['--list-max-listpack-size', '4']), async (c) => {
      await loadDataset(c, datasetCommands(4));
      assert.equal(await cmd(c, 'SAVE'), 'OK');
      return dumpAll(c, 8);
    });
    const actual = await withServer(startTsredisIn(dir), async (c, s) => {
      assert.match(s.output(), /Loading RDB produced by version 7\.0\.15/);
      assert.match(s.output(), /Done loading RDB, keys loaded: \d+, keys expired: 0\./);
      return dumpAll(c, 8);
    });
    assert.deepEqual(actual, expected);
  });

  test('every golden RDB file from redis-server 7.0.15 loads at start-up', async () => {
    const dir = freshDir('rdb-golden');
    dirs.push(dir);
    const fixtures = pathIn(DIST, '..', 'test', 'fixtures', 'rdb');
    for (const name of [
      'multi_db',
      'list_compressed',
      'list_plain',
      'zset_skiplist',
      'hash_hashtable',
      'function',
      'stream',
    ]) {
      copyFileSync(pathIn(fixtures, `${name}.rdb`), pathIn(dir, 'dump.rdb'));
      const fromRedis = await withServer(startRedisIn(dir), (c) => dumpAll(c, 4));
      const fromUs = await withServer(startTsredisIn(dir), (c) => dumpAll(c, 4));
      assert.deepEqual(fromUs, fromRedis, name);
    }
  });
});
