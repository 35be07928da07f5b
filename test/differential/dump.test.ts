/**
 * DUMP and RESTORE: byte-identical payloads where Redis's encoding is deterministic, every error
 * text, the options (REPLACE, ABSTTL, IDLETIME, FREQ), the golden payloads captured from
 * redis-server 7.0.15, and payloads crossing between the two servers in both directions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { PropagatedOp } from '../../src/core/events.js';
import { startServer } from '../../src/index.js';
import { Crc64 } from '../../src/lib/crc64.js';
import { DiffPair, type Step, withinASecond } from '../support/diff.js';
import { cmd, datasetCommands, dumpAll, loadDataset } from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import { DIST, skipWithoutRedis } from '../support/servers.js';

const GOLDEN = join(DIST, '..', 'test', 'fixtures', 'dump');

interface GoldenPayload {
  key: string;
  type: string;
  encoding: string;
  payload: string;
}

function goldenPayloads(): GoldenPayload[] {
  return readFileSync(join(GOLDEN, 'dump.txt'), 'latin1')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [key, type, encoding, hex] = l.split('\t');
      return { key, type, encoding, payload: Buffer.from(hex, 'hex').toString('latin1') };
    });
}

/** A payload with its CRC fixed up after an edit (to reach the parser behind the checksum). */
function withCrc(body: Buffer): string {
  const footer = Buffer.alloc(10);
  footer.writeUInt16LE(10, 0);
  const crc = new Crc64().update(Buffer.concat([body, footer.subarray(0, 2)])).digest();
  return Buffer.concat([body, footer.subarray(0, 2), crc]).toString('latin1');
}

describe('DUMP / RESTORE: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('DUMP bytes equal Redis for every deterministic encoding', () =>
    pair.run([
      'SET str hello',
      'SET int 12345',
      'SET neg -1',
      'SET big 2147483648',
      'SET i64 9223372036854775807',
      'SET empty ""',
      ['SET', 'bin', 'a\x00b\xffc\r\n'],
      ['SET', 'long', Array.from({ length: 300 }, (_, i) => String.fromCharCode(i % 251)).join('')],
      'RPUSH list a b c 1 -1 12345 ""',
      'SADD intset 1 2 3 -100 70000 5000000000',
      'HSET hash f1 v1 f2 2 f3 -3',
      'ZADD zlp 1 a 2.5 b -3 c 1e300 d inf e',
      'DUMP str',
      'DUMP int',
      'DUMP neg',
      'DUMP big',
      'DUMP i64',
      'DUMP empty',
      'DUMP bin',
      'DUMP long',
      'DUMP list',
      'DUMP intset',
      'DUMP hash',
      'DUMP zlp',
      'DUMP missing',
      'SET app 12',
      'APPEND app 3',
      'DUMP app',
      'SETRANGE app 20 x',
      'DUMP app',
      'DUMP',
      'DUMP a b',
      'CONFIG SET zset-max-listpack-entries 2',
      'ZADD zsl 1 a 2 b 3 c 0.1 d -inf e',
      'DUMP zsl',
      'CONFIG SET zset-max-listpack-entries 128',
    ]));

  test('RESTORE errors: arity, options, BUSYKEY, TTL, checksum, version, bad data', async () => {
    const good = goldenPayloads().find((g) => g.key === 'str:embstr')!.payload;
    const flipped = `${good.slice(0, -1)}${String.fromCharCode(good.charCodeAt(good.length - 1) ^ 1)}`;
    const newer = Buffer.from(good, 'latin1');
    newer.writeUInt16LE(11, newer.length - 10);
    const steps: Step[] = [
      'RESTORE k 0',
      ['RESTORE', 'k', '0', good, 'BOGUS'],
      ['RESTORE', 'k', '0', good, 'IDLETIME'],
      ['RESTORE', 'k', '0', good, 'IDLETIME', 'abc'],
      ['RESTORE', 'k', '0', good, 'IDLETIME', '-1'],
      ['RESTORE', 'k', '0', good, 'FREQ', '256'],
      ['RESTORE', 'k', '0', good, 'FREQ', '-1'],
      ['RESTORE', 'k', '0', good, 'FREQ', 'x'],
      ['RESTORE', 'k', '0', good, 'IDLETIME', '10', 'FREQ', '5'],
      ['RESTORE', 'k', '0', good, 'FREQ', '5', 'IDLETIME', '10'],
      ['RESTORE', 'k', 'abc', good],
      ['RESTORE', 'k', '-1', good],
      ['RESTORE', 'k', '0', flipped],
      ['RESTORE', 'k', '0', newer.toString('latin1')],
      ['RESTORE', 'k', '0', `${good.slice(0, -8)}${'\x00'.repeat(8)}`],
      ['RESTORE', 'k', '0', 'short'],
      ['RESTORE', 'k', '0', ''],
      ['RESTORE', 'k', '0', withCrc(Buffer.from([99, 1, 2, 3]))],
      ['RESTORE', 'k', '0', withCrc(Buffer.from([0, 0x40]))],
      ['RESTORE', 'k', '0', withCrc(Buffer.from([18, 0]))],
      ['RESTORE', 'k', '0', withCrc(Buffer.from([2, 2, 1, 0x61, 1, 0x61]))],
      ['RESTORE', 'k', '0', good],
      'GET k',
      ['RESTORE', 'k', '0', good],
      ['RESTORE', 'k', 'abc', good],
      ['RESTORE', 'k', '0', good, 'REPLACE'],
      'GET k',
      'SET other x',
      ['RESTORE', 'other', '-5', good, 'REPLACE'],
    ];
    await pair.run(steps);
  });

  test('RESTORE options: TTL, ABSTTL, REPLACE, IDLETIME, FREQ, already expired', async () => {
    const good = goldenPayloads().find((g) => g.key === 'str:embstr')!.payload;
    const pttl = (min: number, max: number) => ({
      cmd: 'PTTL t',
      compare: (_r: unknown, t: { value: { type: string; value: unknown } }) => {
        const v = Number(t.value.value);
        return v >= min && v <= max ? null : `PTTL ${v} not in [${min}, ${max}]`;
      },
    });
    await pair.run([
      ['RESTORE', 't', '100000', good],
      pttl(99000, 100000) as Step,
      'GET t',
      ['RESTORE', 'abs', '4102444800123', good, 'ABSTTL'],
      'PEXPIRETIME abs',
      ['RESTORE', 'past', '1000', good, 'ABSTTL'],
      'EXISTS past',
      'SET rep x',
      ['RESTORE', 'rep', '1', good, 'ABSTTL', 'REPLACE'],
      'EXISTS rep',
      ['RESTORE', 'idle', '0', good, 'IDLETIME', '1000'],
      { cmd: 'OBJECT IDLETIME idle', compare: withinASecond },
      ['RESTORE', 'idle2', '0', good, 'IDLETIME', '0', 'REPLACE', 'ABSTTL'],
      { cmd: 'OBJECT IDLETIME idle2', compare: withinASecond },
      'CONFIG SET maxmemory-policy allkeys-lfu',
      ['RESTORE', 'freq', '0', good, 'FREQ', '100'],
      'OBJECT FREQ freq',
      ['RESTORE', 'freq2', '0', good, 'IDLETIME', '7'],
      'OBJECT FREQ freq2',
      'CONFIG SET maxmemory-policy noeviction',
    ]);
  });

  test('every golden payload restores to the same value as in Redis', async () => {
    const steps: Step[] = [];
    for (const g of goldenPayloads()) {
      const key = `r:${g.key}`;
      steps.push(['RESTORE', key, '0', g.payload], ['TYPE', key], ['OBJECT', 'ENCODING', key]);
      if (g.type === 'string') steps.push(['GET', key]);
      else if (g.type === 'list') steps.push(['LRANGE', key, '0', '-1']);
      else if (g.type === 'set') steps.push({ cmd: ['SMEMBERS', key], compare: 'unordered' });
      else if (g.type === 'hash') steps.push({ cmd: ['HGETALL', key], compare: 'unordered' });
      else if (g.type === 'zset') steps.push(['ZRANGE', key, '0', '-1', 'WITHSCORES']);
      else if (g.type === 'stream') steps.push(['XINFO', 'STREAM', key, 'FULL'], ['DUMP', key]);
    }
    await pair.run(steps);
  });

  test('payloads cross both ways: DUMP on one server, RESTORE on the other, same data', async () => {
    const [r, t] = await Promise.all([RawClient.connect(pair.redis.port), RawClient.connect(pair.ts.port)]);
    try {
      for (const c of [r, t]) await cmd(c, 'FLUSHALL');
      const commands = datasetCommands(7, 0.1).filter((a) => a[0] !== 'SELECT');
      await loadDataset(r, commands);
      await loadDataset(t, commands);
      const keys = ((await cmd(r, 'KEYS', '*')) as string[]).sort();
      for (const [from, to] of [
        [r, t],
        [t, r],
      ]) {
        for (const key of keys) {
          const payload = (await from.call(['DUMP', key])).value;
          assert.equal(payload.type, 'bulk');
          const reply = await to.callRaw([
            'RESTORE',
            key,
            '0',
            (payload as { value: Buffer }).value,
            'REPLACE',
          ]);
          assert.equal(reply, '+OK\r\n', key);
        }
      }
      for (const c of [r, t]) await cmd(c, 'PERSIST', 'none');
      const [dr, dt] = [await dumpAll(r, 1), await dumpAll(t, 1)];
      // RESTORE without TTL drops expiries on both sides alike.
      assert.deepEqual(dt, dr);
    } finally {
      r.close();
      t.close();
    }
  });
});

describe('DUMP / RESTORE in tsredis', () => {
  test('RESTORE with a relative TTL propagates as an absolute one (ABSTTL)', async () => {
    const srv = await startServer();
    const ops: PropagatedOp[][] = [];
    srv.server.events.onPropagate({ active: () => true, feed: (o) => ops.push(o) });
    const c = await RawClient.connect(srv.port);
    try {
      await cmd(c, 'SET', 'src', 'value');
      const payload = (await c.call(['DUMP', 'src'])).value as { value: Buffer };
      const before = Date.now();
      assert.equal(await cmd(c, 'RESTORE', 'dst', '5000', payload.value), 'OK');
      const last = ops[ops.length - 1][0].argv;
      assert.equal(last[0], 'RESTORE');
      assert.equal(last[last.length - 1], 'ABSTTL');
      const when = Number(last[2]);
      assert.ok(when >= before + 4900 && when <= Date.now() + 5000, `absolute TTL ${when}`);
      await cmd(c, 'SET', 'gone', 'x');
      assert.equal(await cmd(c, 'RESTORE', 'gone', '1', payload.value, 'ABSTTL', 'REPLACE'), 'OK');
      assert.deepEqual(ops[ops.length - 1][0].argv, ['DEL', 'gone']);
      assert.equal(await cmd(c, 'EXISTS', 'gone'), 0);
    } finally {
      c.close();
      await srv.stop();
    }
  });
});
