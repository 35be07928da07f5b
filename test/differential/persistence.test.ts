/**
 * RDB persistence in tsredis: the fork-less snapshot stays point-in-time consistent under every kind
 * of concurrent write, SAVE / BGSAVE / LASTSAVE / save points / INFO, MISCONF (compared with
 * redis-server), SHUTDOWN saving and start-up loading with Redis's log lines, FLUSHALL, DEBUG
 * RELOAD's implementation, LOADING, and corrupt files refused with a clear error and exit code 1.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { dumpPayload } from '../../src/commands/dump.js';
import { startServer } from '../../src/index.js';
import type { ChunkSink } from '../../src/persistence/snapshot.js';
import { type RdbEntry, readRdb } from '../../src/rdb/reader.js';
import { DEFAULT_LIMITS, toStoreValue, writeEntry } from '../../src/rdb/value-codec.js';
import { RdbWriter } from '../../src/rdb/writer.js';
import type { Value } from '../../src/store/values.js';
import {
  checkRdb,
  cmd,
  datasetCommands,
  dumpAll,
  freshDir,
  loadDataset,
  pipeline,
  pipelineRaw,
  rng,
  startRedisIn,
  startTsredisIn,
} from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import {
  DIST,
  freePort,
  type ProcessServer,
  SERVER_BIN,
  skipWithoutRedis,
  spawnServer,
  startRedis,
  startTsredisProcess,
} from '../support/servers.js';
import { waitFor } from '../support/tcp-proxy.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'persistence');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(prefix: string): string {
  const d = freshDir(prefix);
  dirs.push(d);
  return d;
}

/** Collects a snapshot's bytes in memory. */
class MemorySink implements ChunkSink {
  readonly chunks: Buffer[] = [];
  write(chunks: Buffer[]): boolean {
    this.chunks.push(...chunks);
    return true;
  }
  drain(): Promise<void> {
    return Promise.resolve();
  }
  finish(): Promise<void> {
    return Promise.resolve();
  }
  abort(): void {}
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Every key of every db as "db key ttl payload-hex" (values through the DUMP encoding). */
function stateOf(server: import('../../src/server/server.js').Server): Set<string> {
  const out = new Set<string>();
  for (const db of server.keyspace.dbs) {
    for (const key of db.data.keyList()) {
      const value = db.data.get(key) as Value;
      out.add(
        `${db.id} ${key} ${db.getExpire(key) ?? -1} ${dumpPayload(value, false, { num: () => Number.NaN }).toString('hex')}`,
      );
    }
  }
  return out;
}

function stateOfRdb(buf: Buffer): Set<string> {
  const out = new Set<string>();
  readRdb(buf, {
    entry: (e: RdbEntry) => {
      const value = toStoreValue(e.value, DEFAULT_LIMITS)!;
      const line = `${e.db} ${e.key} ${e.expireMs} ${dumpPayload(value, false, { num: () => Number.NaN }).toString('hex')}`;
      assert.ok(!out.has(line), `duplicate entry ${e.db} ${e.key}`);
      out.add(line);
    },
  });
  return out;
}

describe('fork-less snapshot', () => {
  test('a snapshot holds exactly the data at its start while every kind of write goes on', async () => {
    const srv = await startServer({ config: { 'rdb-key-save-delay': '20', 'list-max-listpack-size': '4' } });
    const c = await RawClient.connect(srv.port);
    try {
      await loadDataset(c, datasetCommands(11, 0.6));
      for (let db = 2; db < 4; db++) {
        await cmd(c, 'SELECT', String(db));
        await pipeline(
          c,
          Array.from({ length: 300 }, (_, i) => ['SET', `d${db}:${i}`, `v${i}`]),
        );
      }
      await cmd(c, 'SELECT', '0');
      const expected = stateOf(srv.server);
      const sink = new MemorySink();
      const runner = srv.node.persistence.startSnapshot({ sink });
      let finished = false;
      void runner.done.then(() => (finished = true));
      const r = rng(5);
      const keys = [...expected].map((l) => l.split(' ')).filter((p) => p[0] === '0' || p[0] === '1');
      let rounds = 0;
      while (!finished) {
        const batch: string[][] = [];
        for (let i = 0; i < 40; i++) {
          const [db, key] = keys[Math.floor(r() * keys.length)];
          batch.push(['SELECT', db]);
          const op = Math.floor(r() * 14);
          if (op === 0) batch.push(['SET', key, `changed-${rounds}`]);
          else if (op === 1) batch.push(['DEL', key]);
          else if (op === 2) batch.push(['APPEND', key, 'more']);
          else if (op === 3) batch.push(['RPUSH', key, 'x', 'y']);
          else if (op === 4) batch.push(['HSET', key, 'nf', 'nv']);
          else if (op === 5) batch.push(['SADD', key, 'new-member', '12']);
          else if (op === 6) batch.push(['ZADD', key, '7', 'zm']);
          else if (op === 7) batch.push(['PEXPIRE', key, '100000']);
          else if (op === 8) batch.push(['PERSIST', key]);
          else if (op === 9) batch.push(['RENAME', key, `renamed:${rounds}:${i}`]);
          else if (op === 10) batch.push(['MOVE', key, db === '0' ? '1' : '0']);
          else if (op === 11) batch.push(['COPY', key, `copied:${rounds}:${i}`, 'DB', '1', 'REPLACE']);
          else if (op === 12) batch.push(['SET', `created:${rounds}:${i}`, 'new']);
          else batch.push(['SETRANGE', key, '2', 'zz']);
        }
        if (rounds === 3) batch.push(['SWAPDB', '2', '3']);
        if (rounds === 5) batch.push(['SELECT', '2'], ['FLUSHDB']);
        batch.push(['SELECT', '0']);
        await pipelineRaw(c, batch);
        rounds++;
      }
      const outcome = await runner.done;
      assert.ok(outcome.ok, String(outcome.error));
      assert.ok(rounds > 10, `writes should interleave with the snapshot (only ${rounds} rounds)`);
      assert.ok(outcome.keysCopiedOnWrite > 0, 'some keys were saved ahead of the walk');
      assert.ok(outcome.longestSliceMs < 50, `longest slice ${outcome.longestSliceMs} ms`);
      const got = stateOfRdb(sink.bytes);
      const missing = [...expected].filter((l) => !got.has(l));
      const extra = [...got].filter((l) => !expected.has(l));
      assert.deepEqual(
        { missing: missing.slice(0, 5), extra: extra.slice(0, 5) },
        { missing: [], extra: [] },
      );
    } finally {
      c.close();
      await srv.stop();
    }
  });
});

describe('SAVE, BGSAVE, LASTSAVE, INFO persistence', () => {
  test('replies and state as Redis gives them', async () => {
    const d = dir('save');
    const logs: string[] = [];
    const srv = await startServer({
      config: { dir: d, 'rdb-key-save-delay': '200' },
      log: (l) => logs.push(l),
    });
    const c = await RawClient.connect(srv.port);
    try {
      await pipeline(
        c,
        Array.from({ length: 200 }, (_, i) => ['SET', `k${i}`, `v${i}`]),
      );
      assert.equal(await c.callRaw('BGSAVE foo'), '-ERR syntax error\r\n');
      assert.equal(await c.callRaw('BGSAVE SCHEDULE extra'), '-ERR syntax error\r\n');
      assert.equal(await c.callRaw('BGSAVE'), '+Background saving started\r\n');
      assert.equal(await c.callRaw('BGSAVE'), '-ERR Background save already in progress\r\n');
      assert.equal(await c.callRaw('SAVE'), '-ERR Background save already in progress\r\n');
      assert.equal(await c.callRaw('BGREWRITEAOF'), '+Background append only file rewriting scheduled\r\n');
      let info = (await cmd(c, 'INFO', 'persistence')) as string;
      assert.match(info, /rdb_bgsave_in_progress:1/);
      assert.match(info, /rdb_current_bgsave_time_sec:0/);
      assert.match(info, /current_save_keys_total:200/);
      assert.match(info, /aof_rewrite_scheduled:1/);
      while (/rdb_bgsave_in_progress:1/.test((await cmd(c, 'INFO', 'persistence')) as string)) {
        await new Promise((r) => setTimeout(r, 20));
      }
      info = (await cmd(c, 'INFO', 'persistence')) as string;
      assert.match(info, /rdb_last_bgsave_status:ok/);
      assert.match(info, /rdb_changes_since_last_save:0/);
      assert.match(info, /rdb_saves:1/);
      assert.ok(logs.some((l) => /\* Background saving started by pid \d+/.test(l)));
      assert.ok(logs.some((l) => / \* DB saved on disk/.test(l)));
      assert.ok(logs.some((l) => / \* Background saving terminated with success/.test(l)));
      const check = checkRdb(join(d, 'dump.rdb'));
      assert.match(check.output, /200 keys read/);
      assert.equal(await c.callRaw('SET k0 changed'), '+OK\r\n');
      const before = Number(await cmd(c, 'LASTSAVE'));
      assert.equal(await c.callRaw('SAVE'), '+OK\r\n');
      assert.ok(Number(await cmd(c, 'LASTSAVE')) >= before);
      assert.match((await cmd(c, 'INFO', 'persistence')) as string, /rdb_changes_since_last_save:0/);
      assert.match((await cmd(c, 'INFO', 'persistence')) as string, /rdb_saves:2/);
      assert.equal(existsSync(join(d, `temp-${process.pid}.rdb`)), false);
      // Scheduled inside MULTI, as Redis does in EXEC.
      await cmd(c, 'MULTI');
      await cmd(c, 'BGSAVE');
      assert.deepEqual(await cmd(c, 'EXEC'), ['Background saving scheduled']);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('INFO persistence lists the fields of redis-server 7.0, in order', {
    skip: skipWithoutRedis(),
  }, async () => {
    const d = dir('info');
    const redis = await startRedisIn(d);
    const srv = await startServer({ config: { dir: dir('info-ts') } });
    const [r, t] = await Promise.all([RawClient.connect(redis.port), RawClient.connect(srv.port)]);
    try {
      const names = async (c: RawClient) =>
        ((await cmd(c, 'INFO', 'persistence')) as string)
          .split('\r\n')
          .filter((l) => l.includes(':'))
          .map((l) => l.split(':')[0]);
      assert.deepEqual(await names(t), await names(r));
      await cmd(r, 'CONFIG', 'SET', 'appendonly', 'yes');
      await cmd(t, 'CONFIG', 'SET', 'appendonly', 'yes');
      await new Promise((res) => setTimeout(res, 300));
      assert.deepEqual(await names(t), await names(r));
    } finally {
      r.close();
      t.close();
      await srv.stop();
      await redis.stop();
    }
  });

  test('save points start a background save', async () => {
    const d = dir('savepoint');
    const logs: string[] = [];
    const srv = await startServer({ config: `dir ${d}\nsave 1 2\nhz 50`, log: (l) => logs.push(l) });
    const c = await RawClient.connect(srv.port);
    try {
      await cmd(c, 'SET', 'a', '1');
      await cmd(c, 'SET', 'b', '2');
      const deadline = Date.now() + 5000;
      while (
        !logs.some((l) => /Background saving terminated with success/.test(l)) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(
        logs.some((l) => / \* 2 changes in 1 seconds\. Saving\.\.\./.test(l)),
        logs.join(''),
      );
      assert.match(checkRdb(join(d, 'dump.rdb')).output, /2 keys read/);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('FLUSHALL with save points writes an empty RDB', async () => {
    const d = dir('flushall');
    const srv = await startServer({ config: `dir ${d}\nsave 3600 1` });
    const c = await RawClient.connect(srv.port);
    try {
      await cmd(c, 'SET', 'a', '1');
      assert.equal(await cmd(c, 'FLUSHALL'), 'OK');
      let keys = 0;
      readRdb(readFileSync(join(d, 'dump.rdb')), { entry: () => keys++ });
      assert.equal(keys, 0);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('FLUSHALL and the dirty counter, with and without save points: differential', {
    skip: skipWithoutRedis(),
  }, async () => {
    const changes = async (port: number) => {
      const c = await RawClient.connect(port);
      try {
        const out: string[] = [];
        for (const argv of [['SET', 'a', '1'], ['SET', 'b', '2'], ['FLUSHALL'], ['FLUSHALL']]) {
          await cmd(c, ...argv);
          out.push(
            /rdb_changes_since_last_save:(\d+)/.exec((await cmd(c, 'INFO', 'persistence')) as string)![1],
          );
        }
        return out.join(' ');
      } finally {
        c.close();
      }
    };
    for (const save of ['', '3600 1']) {
      const redis = await startRedis(['--save', save]);
      const ts = await startTsredisProcess(['--save', save]);
      try {
        assert.equal(await changes(ts.port), await changes(redis.port), `save "${save}"`);
      } finally {
        await Promise.all([redis.stop(), ts.stop()]);
      }
    }
  });

  test("DEBUG RELOAD's implementation saves, empties and loads back", async () => {
    const d = dir('reload');
    const logs: string[] = [];
    const srv = await startServer({ config: { dir: d }, log: (l) => logs.push(l) });
    const c = await RawClient.connect(srv.port);
    try {
      await loadDataset(c, datasetCommands(21, 0.05));
      const before = await dumpAll(c, 8);
      const p = srv.server.persistence;
      assert.equal(
        p.debugReload(['BOGUS']),
        'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.',
      );
      assert.equal(p.debugReload([]), null);
      assert.deepEqual(await dumpAll(c, 8), before);
      assert.ok(logs.some((l) => /# DB reloaded by DEBUG RELOAD/.test(l)));
      await cmd(c, 'SET', 'extra', 'x');
      assert.equal(p.debugReload(['NOSAVE']), null);
      assert.equal(await cmd(c, 'EXISTS', 'extra'), 0);
      await cmd(c, 'SET', 'extra', 'x');
      assert.equal(
        p.debugReload(['NOSAVE', 'NOFLUSH']),
        'ERR Error trying to load the RDB dump, check server logs.',
      );
      assert.ok(logs.some((l) => /RDB has duplicated key/.test(l)));
      assert.equal(p.debugReload(['NOSAVE', 'NOFLUSH', 'MERGE']), null);
      assert.equal(await cmd(c, 'EXISTS', 'extra'), 1);
      const reply = await c.callRaw('DEBUG RELOAD');
      if (
        !reply.startsWith('-ERR unknown subcommand') &&
        !reply.startsWith('-ERR DEBUG command not allowed')
      ) {
        assert.equal(reply, '+OK\r\n');
      }
    } finally {
      c.close();
      await srv.stop();
    }
  });
});

describe('MISCONF when background saves fail', { skip: skipWithoutRedis() }, () => {
  test('replies match redis-server byte for byte', async () => {
    const results: string[][] = [];
    for (const start of [
      (d: string) => startRedisIn(d, ['--save', '3600', '1']),
      (d: string) => startTsredisIn(d, ['--save', '3600', '1']),
    ]) {
      const d = dir('misconf');
      const s = await start(d);
      const c = await RawClient.connect(s.port);
      try {
        await cmd(c, 'SET', 'a', '1');
        rmSync(d, { recursive: true, force: true });
        const out = [await c.callRaw('BGSAVE')];
        while (/rdb_bgsave_in_progress:1/.test((await cmd(c, 'INFO', 'persistence')) as string)) {
          await new Promise((r) => setTimeout(r, 20));
        }
        for (const line of [
          'SET a 2',
          'PING',
          'GET a',
          'MULTI',
          'SET a 3',
          'EXEC',
          'INCR n',
          'CONFIG SET stop-writes-on-bgsave-error no',
          'SET a 4',
          'CONFIG SET stop-writes-on-bgsave-error yes',
          'CONFIG SET save ""',
          'SET a 5',
          'SAVE',
        ]) {
          out.push(await c.callRaw(line));
        }
        const info = (await cmd(c, 'INFO', 'persistence')) as string;
        out.push(/rdb_last_bgsave_status:\w+/.exec(info)![0]);
        results.push(out);
      } finally {
        c.close();
        await s.stop('SIGKILL');
      }
    }
    assert.deepEqual(results[1], results[0]);
    assert.match(results[0][1], /^-MISCONF Redis is configured to save RDB snapshots/);
  });
});

/** A log without pids, times, ports and sizes, for comparing line sequences. */
function normalized(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^\d+:[CMS] /.test(l) && !/WARNING Memory overcommit|Directives accepted/.test(l))
    .map((l) =>
      l
        .replace(/^\d+:([CMS]) \d+ \w+ \d+ [\d:.]+ /, 'PID:$1 TIME ')
        .replace(/pid=\d+/, 'pid=N')
        .replace(/port=\d+/, 'port=N')
        .replace(/\d+\.\d+ (seconds|Mb)/, 'X $1')
        .replace(/RDB age \d+ seconds/, 'RDB age N seconds'),
    );
}

describe('start-up and shutdown (processes)', () => {
  test('SHUTDOWN with save points saves and logs as Redis; the next start loads it with its lines', async () => {
    const d = dir('shutdown');
    const port = await freePort();
    const s1 = await startTsredisIn(d, ['--save', '3600', '1', '--port', String(port)]);
    const c1 = await RawClient.connect(port);
    await cmd(c1, 'SET', 'foo', 'bar');
    c1.send('SHUTDOWN');
    await c1.waitClosed();
    assert.equal(await s1.stop(), 0);
    const golden1 = normalized(readFileSync(join(FIXTURES, 'log-shutdown-with-save.txt'), 'latin1'));
    assert.deepEqual(normalized(s1.output()).slice(-4), golden1.slice(-4));
    assert.ok(golden1.slice(-4)[1].includes('Saving the final RDB snapshot before exiting.'));

    const s2 = await startTsredisIn(d, ['--save', '', '--port', String(port)]);
    const c2 = await RawClient.connect(port);
    try {
      assert.equal(await cmd(c2, 'GET', 'foo'), 'bar');
      const golden2 = normalized(readFileSync(join(FIXTURES, 'log-startup-loads-rdb.txt'), 'latin1'));
      const from = golden2.findIndex((l) => l.includes('Loading RDB produced'));
      const ours = normalized(s2.output());
      const at = ours.findIndex((l) => l.includes('Loading RDB produced'));
      assert.deepEqual(ours.slice(at, at + 6), golden2.slice(from, from + 6));
      assert.match((await cmd(c2, 'INFO', 'persistence')) as string, /rdb_last_load_keys_loaded:1\r\n/);
    } finally {
      c2.close();
      await s2.stop();
    }
  });

  test('SIGTERM saves when save points exist; a failed save refuses SHUTDOWN, NOSAVE still works', async () => {
    const d = dir('sigterm');
    const s = await startTsredisIn(d, ['--save', '3600', '1']);
    const c = await RawClient.connect(s.port);
    await cmd(c, 'SET', 'k', 'v');
    c.close();
    assert.equal(await s.stop('SIGTERM'), 0);
    assert.match(checkRdb(join(d, 'dump.rdb')).output, /1 keys read/);

    const d2 = dir('noshutdown');
    const s2 = await startTsredisIn(d2, ['--save', '3600', '1']);
    const c2 = await RawClient.connect(s2.port);
    try {
      await cmd(c2, 'SET', 'k', 'v');
      rmSync(d2, { recursive: true, force: true });
      assert.equal(await c2.callRaw('SHUTDOWN'), '-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
      // The log arrives through a pipe: it may come after the reply.
      await waitFor('the refusal in the log', async () =>
        /# Error trying to save the DB, can't exit\./.test(s2.output()),
      );
      assert.equal(await cmd(c2, 'GET', 'k'), 'v');
      c2.send('SHUTDOWN NOSAVE');
      await c2.waitClosed();
    } finally {
      c2.close();
      // A failure above leaves a server that refuses SIGTERM (its save fails): never hang on it.
      await s2.stop('SIGKILL');
    }
  });

  test('keys that expired while the server was down are dropped at load', async () => {
    const d = dir('expired');
    const w = new RdbWriter(true, true);
    w.header();
    w.aux('redis-ver', '7.0.15');
    w.selectDb(0);
    w.resizeDb(3, 2);
    writeEntry(w, 'past1', 'x', Date.now() - 10000, null, DEFAULT_LIMITS);
    writeEntry(w, 'past2', 'y', 1000, null, DEFAULT_LIMITS);
    writeEntry(w, 'live', 'z', undefined, null, DEFAULT_LIMITS);
    w.end();
    writeFileSync(join(d, 'dump.rdb'), Buffer.concat(w.take()));
    const s = await startTsredisIn(d);
    const c = await RawClient.connect(s.port);
    try {
      assert.match(s.output(), /Done loading RDB, keys loaded: 1, keys expired: 2\./);
      assert.deepEqual(await cmd(c, 'KEYS', '*'), ['live']);
      assert.match((await cmd(c, 'INFO', 'persistence')) as string, /rdb_last_load_keys_expired:2\r\n/);
    } finally {
      c.close();
      await s.stop();
    }
  });

  test('while a large file loads, commands get -LOADING and INFO shows the progress', async () => {
    const d = dir('loading');
    const w = new RdbWriter(true, true);
    w.header();
    w.selectDb(0);
    for (let i = 0; i < 3000; i++) writeEntry(w, `k${i}`, `v${i}`, undefined, null, DEFAULT_LIMITS);
    w.end();
    writeFileSync(join(d, 'dump.rdb'), Buffer.concat(w.take()));
    const s = await spawnServer(
      SERVER_BIN,
      ['--bind', '127.0.0.1', '--save', '', '--dir', d, '--key-load-delay', '500'],
      {
        dir: d,
        cwd: d,
        readyPattern: /Running mode|Server initialized/,
      },
    );
    const c = await RawClient.connect(s.port);
    try {
      assert.equal(await c.callRaw('GET k1'), '-LOADING Redis is loading the dataset in memory\r\n');
      const info = (await cmd(c, 'INFO', 'persistence')) as string;
      assert.match(info, /loading:1\r\n/);
      assert.match(info, /loading_total_bytes:\d+\r\n/);
      assert.match(info, /loading_loaded_perc:[\d.]+\r\n/);
      await s.waitForOutput(/Ready to accept connections/, null);
      assert.equal(await cmd(c, 'GET', 'k2999'), 'v2999');
      assert.match((await cmd(c, 'INFO', 'persistence')) as string, /loading:0\r\n/);
    } finally {
      c.close();
      await s.stop();
    }
  });

  /** An RDB whose stream key holds a node that is not a listpack (its byte count is wrong). */
  function corruptStreamRdb(): Buffer {
    const w = new RdbWriter(false);
    w.header();
    w.selectDb(0);
    w.byte(19); // RDB_TYPE_STREAM_LISTPACKS_2
    w.string('broken');
    w.length(1);
    w.string(Buffer.alloc(16));
    w.string(Buffer.from([0x20, 0, 0, 0, 3, 0, 1, 1, 0, 1, 1, 1, 0xff]));
    w.end();
    return Buffer.concat(w.take());
  }

  describe('a corrupt file stops the server with a clear error and exit code 1', () => {
    const goldenRdb = readFileSync(join(DIST, '..', 'test', 'fixtures', 'rdb', 'hash_hashtable.rdb'));
    const cases: Array<[string, Buffer, RegExp]> = [
      [
        'bad checksum',
        Buffer.concat([goldenRdb.subarray(0, -1), Buffer.from([goldenRdb[goldenRdb.length - 1] ^ 0xff])]),
        /# Wrong RDB checksum expected: \([0-9a-f]+\) but got \([0-9a-f]+\)\. Aborting now\./,
      ],
      [
        'truncated',
        goldenRdb.subarray(0, 200),
        /# Short read or OOM loading DB\. Unrecoverable error, aborting now\./,
      ],
      [
        'garbage',
        Buffer.from('this is not an RDB file at all, just text'),
        /# Wrong signature trying to load DB from file/,
      ],
      [
        'a module key',
        readFileSync(join(DIST, '..', 'test', 'fixtures', 'rdb', 'module_key.rdb')),
        /module data I can't load: no matching module type 'mymodtype' \(key 'modkey'/,
      ],
      ['a stream listpack that is not one', corruptStreamRdb(), /Stream listpack integrity check failed\./],
    ];
    for (const [name, bytes, message] of cases) {
      test(name, async () => {
        const d = dir('corrupt');
        writeFileSync(join(d, 'dump.rdb'), bytes);
        let out = '';
        await assert.rejects(
          startTsredisIn(d).then((s: ProcessServer) => s.stop()),
          (e: Error) => {
            out = e.message;
            return /server exited with 1 before ready/.test(e.message);
          },
        );
        assert.match(out, message);
        assert.doesNotMatch(out, /Ready to accept connections/);
      });
    }
  });

  test('a truncated file written by tsredis is refused too (no partial load)', async () => {
    const d = dir('trunc2');
    const s = await startTsredisIn(d);
    const c = await RawClient.connect(s.port);
    await loadDataset(c, datasetCommands(31, 0.05));
    await cmd(c, 'SAVE');
    c.close();
    await s.stop();
    const size = readFileSync(join(d, 'dump.rdb')).length;
    truncateSync(join(d, 'dump.rdb'), Math.floor(size / 2));
    await assert.rejects(startTsredisIn(d), /Terminating server after rdb file reading failure/);
  });
});
