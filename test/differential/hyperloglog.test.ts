/**
 * HyperLogLog against redis-server 7.0: the same register bytes (GET of the key) after random adds
 * and merges in both encodings, the same estimates, errors, PFDEBUG, and what is propagated.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DiffPair, type Step } from '../support/diff.js';
import { assertSameEvents } from '../support/keyspace-events.js';
import { PropagationDiff } from '../support/propagation-diff.js';
import { RawClient } from '../support/raw-client.js';
import { cmd, digest, nodesOfThisFile, waitReplicaCaughtUp } from '../support/replication.js';
import { seeded } from '../support/seeded.js';
import { skipWithoutRedis } from '../support/servers.js';

/** Elements of every length the hash's tail handles (0–20 bytes), binary and text. */
function element(rand: () => number): string {
  const n = Math.floor(rand() * 21);
  let s = '';
  const binary = rand() < 0.3;
  for (let i = 0; i < n; i++)
    s += String.fromCharCode(binary ? Math.floor(rand() * 256) : 97 + Math.floor(rand() * 26));
  return s;
}

/** A hand-made HLL string: header with the given encoding, then the given bytes. */
function hll(encoding: number, body: number[], card = [0, 0, 0, 0, 0, 0, 0, 0]): string {
  return String.fromCharCode(0x48, 0x59, 0x4c, 0x4c, encoding, 0, 0, 0, ...card, ...body);
}

describe('HyperLogLog: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('PFADD, PFCOUNT, the sparse bytes and the cached cardinality', () =>
    pair.run([
      'PFADD h',
      'GET h',
      'PFCOUNT h',
      'GET h',
      'PFADD h a b c',
      'PFADD h a',
      'GET h',
      'PFCOUNT h',
      'GET h',
      'PFCOUNT h',
      [
        'PFADD',
        'bin',
        '',
        '\x00',
        '\x00\x00',
        '\xff\xfe\xfd',
        'abcdefgh',
        'abcdefghi',
        '1234567',
        '123456789012345',
      ],
      'GET bin',
      'PFCOUNT bin',
      'PFCOUNT missing',
      'PFCOUNT missing h bin',
      'PFCOUNT h bin h',
      'OBJECT ENCODING h',
      'TYPE h',
      'PFDEBUG ENCODING h',
      'PFDEBUG DECODE h',
      'STRLEN h',
      'MEMORY USAGE h',
      'MEMORY USAGE bin',
    ]));

  test('errors: wrong types, strings that are not HLLs, arity', () =>
    pair.run([
      'RPUSH list a',
      'PFADD list a',
      'PFCOUNT list',
      'PFCOUNT h list',
      'PFMERGE list h',
      'PFMERGE h list',
      'SET str hello',
      'PFADD str a',
      'PFCOUNT str',
      'PFMERGE dst str',
      'SET int 12345678901234567',
      'PFADD int a',
      ['SET', 'short', 'HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'],
      'PFADD short a',
      ['SET', 'badenc', hll(2, [0x7f, 0xff])],
      'PFCOUNT badenc',
      ['SET', 'magic', `HYLX${hll(1, [0x7f, 0xff]).slice(4)}`],
      'PFCOUNT magic',
      ['SET', 'denseshort', hll(0, new Array(12287).fill(0))],
      'PFCOUNT denseshort',
      'PFADD',
      'PFCOUNT',
      'PFMERGE',
      'PFDEBUG',
      'PFDEBUG GETREG',
      'PFSELFTEST extra',
      'GET str',
      'GET list',
    ]));

  test('corrupt sparse HLLs answer INVALIDOBJ and never crash', () =>
    pair.run([
      // Covers only 100 registers.
      ['SET', 'short', hll(1, [0x40, 0x63], [0, 0, 0, 0, 0, 0, 0, 0x80])],
      'PFCOUNT short',
      'PFADD short a b c d e f g',
      'GET short',
      'PFCOUNT short other',
      'PFMERGE dst short',
      'PFDEBUG GETREG short',
      'PFDEBUG TODENSE short',
      'PFDEBUG DECODE short',
      // Covers too many registers.
      ['SET', 'long', hll(1, [0x7f, 0xff, 0x7f, 0xff, 0xff], [0, 0, 0, 0, 0, 0, 0, 0x80])],
      'PFCOUNT long',
      'PFADD long a b c',
      'PFMERGE dst long',
      // A VAL run crossing the end.
      ['SET', 'over', hll(1, [0x7f, 0xfe, 0x83], [0, 0, 0, 0, 0, 0, 0, 0x80])],
      'PFCOUNT over',
      'PFCOUNT over over',
      'PFDEBUG TODENSE over',
      // An empty body, and a stale cache over a valid body.
      ['SET', 'empty', hll(1, [], [0, 0, 0, 0, 0, 0, 0, 0x80])],
      'PFCOUNT empty',
      'PFADD empty a',
      ['SET', 'cached', hll(1, [0x7f, 0xff], [42, 0, 0, 0, 0, 0, 0, 0])],
      'PFCOUNT cached',
      ['SET', 'huge', hll(1, [0x7f, 0xff], [1, 2, 3, 4, 5, 6, 7, 0x7f])],
      'PFCOUNT huge',
      // Dense registers no hash can produce: every register 63.
      ['SET', 'max', hll(0, new Array(12288).fill(0xff), [0, 0, 0, 0, 0, 0, 0, 0x80])],
      'PFCOUNT max',
      'PFCOUNT max',
      'GET max',
      'PFCOUNT max h',
      'PFADD max a',
      'PING',
    ]));

  test('random adds past the sparse limit, merges and unions: same bytes and estimates', async () => {
    const rand = seeded(20261207);
    const keys = ['a', 'b', 'c', 'd'];
    const steps: Step[] = [];
    for (let round = 0; round < 120; round++) {
      const key = keys[Math.floor(rand() * keys.length)];
      const r = rand();
      if (r < 0.55) {
        const n = rand() < 0.2 ? 200 + Math.floor(rand() * 800) : 1 + Math.floor(rand() * 30);
        const argv = ['PFADD', key];
        for (let i = 0; i < n; i++) argv.push(element(rand));
        steps.push(argv);
      } else if (r < 0.7) {
        steps.push(['PFCOUNT', key]);
      } else if (r < 0.8) {
        steps.push(['PFCOUNT', ...keys.filter(() => rand() < 0.6), key]);
      } else if (r < 0.9) {
        steps.push(['PFMERGE', key, ...keys.filter((k) => k !== key && rand() < 0.5)]);
      } else {
        steps.push(['PFDEBUG', 'ENCODING', key]);
      }
      steps.push(['GET', key]);
    }
    for (const k of keys) steps.push(['PFCOUNT', k], ['GET', k], ['MEMORY', 'USAGE', k]);
    steps.push(['PFCOUNT', ...keys]);
    await pair.run(steps);
  });

  test('hll-sparse-max-bytes decides when the sparse form turns dense', async () => {
    const rand = seeded(7);
    const steps: Step[] = ['CONFIG SET hll-sparse-max-bytes 60'];
    for (let i = 0; i < 40; i++)
      steps.push(['PFADD', 'k', element(rand)], ['PFDEBUG', 'ENCODING', 'k'], ['GET', 'k']);
    steps.push('CONFIG SET hll-sparse-max-bytes 0', 'PFADD z x', 'PFDEBUG ENCODING z', 'GET z');
    steps.push('CONFIG SET hll-sparse-max-bytes 3000');
    await pair.run(steps);
  });

  test('a large union: dense and sparse sources, missing keys, the destination among them', async () => {
    const steps: Step[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const argv = ['PFADD', 'big'];
      for (let i = 0; i < 1000; i++) argv.push(`member:${batch}:${i}`);
      steps.push(argv);
    }
    steps.push(
      'PFADD small x y z',
      'PFADD tiny q',
      'PFCOUNT big',
      'PFDEBUG ENCODING big',
      'PFMERGE small small tiny nokey',
      'GET small',
      'PFMERGE small big',
      'PFDEBUG ENCODING small',
      'GET small',
      'PFCOUNT small',
      'PFMERGE fresh tiny',
      'GET fresh',
      'PFMERGE fresh2',
      'GET fresh2',
      'PFCOUNT big small tiny nokey',
    );
    await pair.run(steps);
  });

  test('PFDEBUG GETREG, DECODE, ENCODING, TODENSE and its errors', () =>
    pair.run([
      'PFADD h a b c d e f g h i j',
      'PFDEBUG DECODE h',
      'PFDEBUG ENCODING h',
      'PFDEBUG TODENSE h',
      'PFDEBUG TODENSE h',
      'PFDEBUG ENCODING h',
      'PFDEBUG DECODE h',
      'GET h',
      'PFDEBUG GETREG h',
      'PFADD s a',
      'PFDEBUG GETREG s',
      'PFDEBUG ENCODING s',
      'PFDEBUG GETREG nokey',
      'PFDEBUG NOPE h',
      'PFDEBUG NOPE nokey',
      'PFDEBUG GETREG h extra',
      'PFDEBUG decode h extra',
      'SET str x',
      'PFDEBUG GETREG str',
    ]));

  test('PFSELFTEST', () => pair.run(['PFSELFTEST']));

  test('keyspace events: pfadd for PFADD and PFMERGE, nothing for a PFADD that changes nothing', async () => {
    const script = ['PFADD h a b', 'PFADD h a', 'PFCOUNT h', 'PFMERGE m h', 'PFDEBUG TODENSE m', 'PFADD e'];
    await assertSameEvents(pair.redis.port, pair.ts.port, script, 'KEA');
  });
});

describe('HyperLogLog: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let diff: PropagationDiff;
  before(async () => {
    diff = await PropagationDiff.start();
  });
  after(() => diff.stop());

  test('PFCOUNT that refreshes the cache, PFDEBUG conversions, no-op PFADDs', async () => {
    await diff.assertSame([
      'PFADD h a b c',
      'PFADD h a',
      'PFCOUNT h',
      'PFCOUNT h',
      'PFCOUNT h nokey',
      'PFMERGE m h',
      'PFDEBUG TODENSE m',
      'PFDEBUG TODENSE m',
      'PFDEBUG GETREG h',
      'PFDEBUG ENCODING h',
      'PFCOUNT nokey',
    ]);
  });
});

describe('HyperLogLog: the same bytes through DUMP/RESTORE, RDB and replication', {
  skip: skipWithoutRedis(),
}, () => {
  const node = nodesOfThisFile();

  /** A sparse, a dense and a merged HLL on the server at port. */
  async function writeHlls(port: number): Promise<void> {
    const c = await RawClient.connect(port);
    try {
      await c.call(['PFADD', 'sparse', 'a', 'b', '\x00\xff']);
      for (let batch = 0; batch < 5; batch++) {
        await c.call(['PFADD', 'dense', ...Array.from({ length: 1000 }, (_, i) => `e:${batch}:${i}`)]);
      }
      await c.call(['PFMERGE', 'merged', 'sparse', 'dense']);
      await c.call(['PFCOUNT', 'dense']);
      await c.call(['PFCOUNT', 'sparse']);
    } finally {
      c.close();
    }
  }

  /** Each HLL's bytes, then its count (which refreshes a stale cache: GET it again after). */
  async function values(port: number): Promise<string[]> {
    const out: string[] = [];
    for (const k of ['sparse', 'dense', 'merged']) {
      out.push(await cmd(port, 'GET', k), await cmd(port, 'PFCOUNT', k), await cmd(port, 'GET', k));
    }
    return out;
  }

  test('DUMP payloads restore on the other server with the same bytes', async () => {
    const [redis, ts] = await Promise.all([node('redis'), node('tsredis')]);
    await writeHlls(redis.port);
    await writeHlls(ts.port);
    assert.deepEqual(await values(ts.port), await values(redis.port));
    for (const [from, to] of [
      [redis, ts],
      [ts, redis],
    ]) {
      for (const k of ['sparse', 'dense', 'merged']) {
        const dump = await RawClient.connect(from.port);
        const payload = (await dump.call(['DUMP', k])).value as { value: Buffer };
        dump.close();
        const restore = await RawClient.connect(to.port);
        const r = await restore.call(['RESTORE', k, '0', payload.value.toString('latin1'), 'REPLACE']);
        restore.close();
        assert.equal(r.value.type, 'simple', `RESTORE of ${k}`);
      }
      assert.deepEqual(await values(to.port), await values(from.port));
    }
  });

  test('a tsredis replica of a redis-server master, and the RDB it is sent, hold the same bytes', async () => {
    const master = await node('redis');
    const replica = await node('tsredis', ['--replicaof', '127.0.0.1', String(master.port)]);
    await writeHlls(master.port);
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.deepEqual(await values(replica.port), await values(master.port));
    // The full sync's RDB: a second replica started after the writes.
    const late = await node('tsredis', ['--replicaof', '127.0.0.1', String(master.port)]);
    await waitReplicaCaughtUp(master.port, late.port);
    assert.equal(await digest(late.port), await digest(master.port));
  });

  test('a redis-server replica of a tsredis master holds the same bytes', async () => {
    const master = await node('tsredis');
    const replica = await node('redis', ['--replicaof', '127.0.0.1', String(master.port)]);
    await waitReplicaCaughtUp(master.port, replica.port);
    await writeHlls(master.port);
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.equal(await digest(replica.port), await digest(master.port));
    assert.equal(await cmd(replica.port, 'DEBUG', 'DIGEST'), await cmd(master.port, 'DEBUG', 'DIGEST'));
  });
});
