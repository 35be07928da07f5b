/**
 * The Redis 7.0 multi-part AOF: directories written by redis-server load in tsredis and the other
 * way round, base files with and without RDB preamble, BGREWRITEAOF and automatic rewrites, turning
 * appendonly on at runtime, old single-file AOFs, a torn last command (aof-load-truncated, with the
 * same log lines and truncation offset as Redis), and the errors that stop the server.
 */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeCommand } from '../../src/protocol/resp-reader.js';
import {
  cmd,
  datasetCommands,
  dumpAll,
  freshDir,
  loadDataset,
  pipeline,
  startRedisIn,
  startTsredisIn,
} from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import { type ProcessServer, skipWithoutRedis } from '../support/servers.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dir(prefix: string): string {
  const d = freshDir(prefix);
  dirs.push(d);
  return d;
}

const AOF = ['--appendonly', 'yes'];

/** Writes that exercise the incremental file: SELECT, MULTI/EXEC, rewritten expiries, deletes. */
const LATER_WRITES: string[][] = [
  ['SET', 'later', 'x', 'EX', '100000'],
  ['SELECT', '3'],
  ['MULTI'],
  ['INCR', 'counter'],
  ['RPUSH', 'l3', 'a', 'b'],
  ['EXEC'],
  ['SELECT', '0'],
  ['DEL', 's:0:1'],
  ['HSET', 'hbig:0', 'extra', 'field'],
  ['ZADD', 'zbig:0', '1.5', 'new'],
  ['SADD', 'si:0:1', 'notanumber'],
  ['APPEND', 's:0:2', 'tail'],
  ['SETRANGE', 'bin', '3', 'xyz'],
];

async function waitRewrite(c: RawClient): Promise<string> {
  for (;;) {
    const info = (await cmd(c, 'INFO', 'persistence')) as string;
    if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) return info;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function populate(c: RawClient, seed: number): Promise<void> {
  await loadDataset(c, datasetCommands(seed, 0.15));
  await pipeline(c, LATER_WRITES);
}

async function snapshotOf(s: Promise<ProcessServer>): Promise<{ data: string[]; log: string }> {
  const server = await s;
  const c = await RawClient.connect(server.port);
  try {
    return { data: await dumpAll(c, 6), log: server.output() };
  } finally {
    c.close();
    await server.stop('SIGKILL');
  }
}

describe('AOF interoperability with redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  for (const preamble of ['yes', 'no']) {
    test(`a redis-server AOF directory (aof-use-rdb-preamble ${preamble}, after a rewrite) loads in tsredis`, async () => {
      const d = dir('aof-in');
      const args = [...AOF, '--aof-use-rdb-preamble', preamble];
      const redis = await startRedisIn(d, args);
      const c = await RawClient.connect(redis.port);
      await populate(c, 1);
      assert.equal(await cmd(c, 'BGREWRITEAOF'), 'Background append only file rewriting started');
      await waitRewrite(c);
      await pipeline(c, LATER_WRITES);
      const expected = await dumpAll(c, 6);
      c.close();
      await redis.stop('SIGKILL');
      const ours = await snapshotOf(startTsredisIn(d, args));
      assert.deepEqual(ours.data, expected);
      assert.match(ours.log, /DB loaded from base file appendonly\.aof\.2\.base\.(rdb|aof): [\d.]+ seconds/);
      assert.match(ours.log, /DB loaded from incr file appendonly\.aof\.2\.incr\.aof: [\d.]+ seconds/);
      assert.match(ours.log, /DB loaded from append only file: [\d.]+ seconds/);
      assert.match(ours.log, /Opening AOF incr file appendonly\.aof\.2\.incr\.aof on server start/);
    });

    test(`a tsredis AOF directory (aof-use-rdb-preamble ${preamble}) loads in redis-server`, async () => {
      const d = dir('aof-out');
      const args = [...AOF, '--aof-use-rdb-preamble', preamble];
      const ts = await startTsredisIn(d, args);
      const c = await RawClient.connect(ts.port);
      await populate(c, 2);
      assert.equal(await cmd(c, 'BGREWRITEAOF'), 'Background append only file rewriting started');
      await waitRewrite(c);
      await pipeline(c, LATER_WRITES);
      const expected = await dumpAll(c, 6);
      c.close();
      await ts.stop('SIGKILL');
      const files = readdirSync(join(d, 'appendonlydir')).sort();
      assert.deepEqual(files, [
        `appendonly.aof.2.base.${preamble === 'yes' ? 'rdb' : 'aof'}`,
        'appendonly.aof.2.incr.aof',
        'appendonly.aof.manifest',
      ]);
      assert.equal(
        readFileSync(join(d, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1'),
        `file appendonly.aof.2.base.${preamble === 'yes' ? 'rdb' : 'aof'} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n`,
      );
      const theirs = await snapshotOf(startRedisIn(d, args));
      assert.deepEqual(theirs.data, expected);
      // And back: tsredis reads what it wrote.
      const again = await snapshotOf(startTsredisIn(d, args));
      assert.deepEqual(again.data, expected);
    });
  }

  test('the same torn last command: same warnings, same truncation offset, same data as Redis', async () => {
    const results: Array<{ lines: string[]; size: number; data: string[] }> = [];
    const base = dir('torn-src');
    const ts = await startTsredisIn(base, AOF);
    const c = await RawClient.connect(ts.port);
    await pipeline(c, [
      ['SET', 'a', '1'],
      ['RPUSH', 'l', 'x', 'y'],
      ['SET', 'b', '2'],
    ]);
    c.close();
    await ts.stop('SIGKILL');
    const incr = join('appendonlydir', 'appendonly.aof.1.incr.aof');
    const full = statSync(join(base, incr)).size;
    for (const start of [startRedisIn, startTsredisIn]) {
      const d = dir('torn');
      cpSync(base, d, { recursive: true });
      truncateSync(join(d, incr), full - 5);
      const s = await start(d, AOF);
      const conn = await RawClient.connect(s.port);
      const data = await dumpAll(conn, 1);
      conn.close();
      await s.stop('SIGKILL');
      const lines = s
        .output()
        .split('\n')
        .filter((l) => /!!!|loaded anyway/.test(l))
        .map((l) => l.replace(/^\d+:M [^#]*# /, ''));
      results.push({ lines, size: statSync(join(d, incr)).size, data });
    }
    assert.equal(results[0].lines.length, 3);
    assert.deepEqual(results[1], results[0]);
  });
});

describe('aof-timestamp-enabled: differential', { skip: skipWithoutRedis() }, () => {
  test('#TS: lines open the base (AOF format) and each second of writes in the incr file; loading skips them', async () => {
    const args = [...AOF, '--aof-use-rdb-preamble', 'no', '--aof-timestamp-enabled', 'yes'];
    /** The files' lines with every number of a #TS: line masked, and the data after a restart. */
    const outcome = async (start: (d: string, a: string[]) => Promise<ProcessServer>) => {
      const d = dir('aof-ts');
      const server = await start(d, args);
      const c = await RawClient.connect(server.port);
      await cmd(c, 'SET', 'a', '1');
      // The next second's writes get a line of their own.
      const second = async () => ((await cmd(c, 'TIME')) as string[])[0];
      const first = await second();
      while ((await second()) === first);
      await cmd(c, 'RPUSH', 'l', 'x', 'y');
      c.close();
      // SIGTERM: the AOF is flushed (everysec may postpone a write past a SIGKILL).
      await server.stop('SIGTERM');
      const files = readdirSync(join(d, 'appendonlydir')).sort();
      // The first writes share the base's second or not, depending on timing: a #TS: line at the
      // very start of the incr file is left out.
      const text = (name: string) =>
        readFileSync(join(d, 'appendonlydir', name), 'latin1')
          .replace(/^#TS:\d+\r\n(?=\*2\r\n\$6\r\nSELECT)/, name.includes('.incr.') ? '' : '$&')
          .replace(/#TS:\d+\r\n/g, '#TS:<now>\r\n');
      const base = files.find((f) => f.includes('.base.'))!;
      const incr = files.find((f) => f.includes('.incr.'))!;
      const again = await snapshotOf(start(d, args));
      return { files, base: text(base), incr: text(incr), data: again.data };
    };
    const ours = await outcome(startTsredisIn);
    const theirs = await outcome(startRedisIn);
    assert.match(theirs.base, /^#TS:<now>\r\n/);
    assert.match(theirs.incr, /\r\n#TS:<now>\r\n\*4\r\n\$5\r\nRPUSH/);
    assert.deepEqual(ours, theirs);
  });
});

describe('AOF in tsredis', () => {
  test('appendonly turned on at runtime: WAIT_REWRITE, base + incr files, everything reloads', async () => {
    const d = dir('aof-runtime');
    const s = await startTsredisIn(d);
    const c = await RawClient.connect(s.port);
    await populate(c, 3);
    assert.equal(await cmd(c, 'CONFIG', 'SET', 'appendonly', 'yes'), 'OK');
    await pipeline(c, LATER_WRITES);
    const info = await waitRewrite(c);
    assert.match(info, /aof_enabled:1/);
    assert.match(info, /aof_last_bgrewrite_status:ok/);
    await pipeline(c, [['SET', 'after-rewrite', 'yes']]);
    const expected = await dumpAll(c, 6);
    c.close();
    await s.stop('SIGKILL');
    assert.match(
      s.output(),
      /Successfully renamed the temporary AOF incr file temp-appendonly\.aof\.incr into appendonly\.aof\.1\.incr\.aof/,
    );
    const back = await snapshotOf(startTsredisIn(d, AOF));
    assert.deepEqual(back.data, expected);
  });

  test('automatic rewrite on growth; history files removed; CONFIG SET appendonly no stops appending', async () => {
    const d = dir('aof-auto');
    const s = await startTsredisIn(d, [
      ...AOF,
      '--auto-aof-rewrite-min-size',
      '4096',
      '--auto-aof-rewrite-percentage',
      '100',
      '--hz',
      '50',
    ]);
    const c = await RawClient.connect(s.port);
    try {
      for (let round = 0; round < 20 && !/Starting automatic rewriting/.test(s.output()); round++) {
        await pipeline(
          c,
          Array.from({ length: 100 }, (_, i) => ['SET', `k${i}`, 'v'.repeat(50)]),
        );
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(s.output(), /\* Starting automatic rewriting of AOF on \d+% growth/);
      const info = await waitRewrite(c);
      assert.match(info, /aof_rewrites:[1-9]/);
      await s.waitForOutput(/Removing the history file appendonly\.aof\.1\.incr\.aof in the background/);
      assert.equal(await cmd(c, 'CONFIG', 'SET', 'appendonly', 'no'), 'OK');
      assert.match((await cmd(c, 'INFO', 'persistence')) as string, /aof_enabled:0/);
      const files = readdirSync(join(d, 'appendonlydir'));
      const incr = files.find((f) => f.endsWith('.incr.aof'))!;
      const size = statSync(join(d, 'appendonlydir', incr)).size;
      await cmd(c, 'SET', 'not-logged', 'x');
      assert.equal(statSync(join(d, 'appendonlydir', incr)).size, size);
    } finally {
      c.close();
      await s.stop('SIGKILL');
    }
  });

  test('an old single-file AOF in dir is migrated into the directory and loaded', async () => {
    const d = dir('aof-old');
    const commands = [
      ['SELECT', '0'],
      ['SET', 'old', 'style'],
      ['RPUSH', 'list', 'a', 'b'],
    ];
    writeFileSync(join(d, 'appendonly.aof'), Buffer.concat(commands.map((a) => encodeCommand(a))));
    const back = await snapshotOf(startTsredisIn(d, AOF));
    assert.match(
      back.log,
      /Successfully migrated an old-style AOF file \(appendonly\.aof\) into the AOF directory \(appendonlydir\)\./,
    );
    assert.equal(back.data.length, 2);
    assert.equal(
      readFileSync(join(d, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1').split('\n')[0],
      'file appendonly.aof seq 1 type b',
    );
  });

  describe('files Redis would refuse stop the server (exit code 1)', () => {
    const cases: Array<[string, (d: string) => void, string[], RegExp]> = [
      [
        'a torn last command with aof-load-truncated no',
        (d) => truncateSync(join(d, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 20),
        ['--aof-load-truncated', 'no'],
        /Unexpected end of file reading the append only file appendonly\.aof\.1\.incr\.aof\. You can: 1\) Make a backup/,
      ],
      [
        'garbage in the incremental file',
        (d) => writeFileSync(join(d, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'hello world\r\n'),
        [],
        /Bad file format reading the append only file appendonly\.aof\.1\.incr\.aof: make a backup/,
      ],
      [
        'an unknown command',
        (d) =>
          writeFileSync(
            join(d, 'appendonlydir', 'appendonly.aof.1.incr.aof'),
            encodeCommand(['NOSUCHCMD', 'x']),
          ),
        [],
        /Unknown command 'NOSUCHCMD' reading the append only file appendonly\.aof\.1\.incr\.aof/,
      ],
      [
        'a bad manifest',
        (d) => writeFileSync(join(d, 'appendonlydir', 'appendonly.aof.manifest'), 'file x seq 1\n'),
        [],
        /\*\*\* FATAL AOF MANIFEST FILE ERROR \*\*\*[\s\S]*Invalid AOF manifest file format/,
      ],
      [
        'a corrupt RDB base',
        (d) => {
          const p = join(d, 'appendonlydir', 'appendonly.aof.1.base.rdb');
          const b = readFileSync(p);
          b[b.length - 3] ^= 0xff;
          writeFileSync(p, b);
        },
        [],
        /Error reading the RDB base file appendonly\.aof\.1\.base\.rdb, AOF loading aborted/,
      ],
    ];
    for (const [name, damage, args, message] of cases) {
      test(name, async () => {
        const d = dir('aof-bad');
        const s = await startTsredisIn(d, AOF);
        const c = await RawClient.connect(s.port);
        await pipeline(c, [
          ['SET', 'a', '1'],
          ['SET', 'b', '2'],
        ]);
        c.close();
        await s.stop('SIGKILL');
        damage(d);
        await assert.rejects(startTsredisIn(d, [...AOF, ...args]), (e: Error) => {
          assert.match(e.message, /server exited with 1 before ready/);
          assert.match(e.message, message);
          return true;
        });
      });
    }
  });
});
