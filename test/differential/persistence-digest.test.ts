/**
 * DEBUG DIGEST / DEBUG DIGEST-VALUE against redis-server 7.0.15: the same commands on both servers
 * give byte-identical digests for every type and encoding (int/embstr/raw strings and in-place
 * modified ones, listpack and quicklist lists, intsets and hashtable sets, listpack and hashtable
 * hashes, listpack and skiplist sorted sets with special scores, TTLs, several dbs). The
 * replication and persistence tests rely on it to compare data sets across servers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { datasetCommands, loadDataset } from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import { type ProcessServer, skipWithoutRedis, startRedis, startTsredisProcess } from '../support/servers.js';

const ZERO = '0'.repeat(40);

describe('DEBUG DIGEST is byte-identical to redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  const servers: ProcessServer[] = [];
  let redis: RawClient;
  let ts: RawClient;
  before(async () => {
    const args = ['--enable-debug-command', 'yes'];
    const [r, t] = await Promise.all([startRedis(args), startTsredisProcess(args)]);
    servers.push(r, t);
    [redis, ts] = await Promise.all([RawClient.connect(r.port), RawClient.connect(t.port)]);
  });
  after(async () => {
    redis?.close();
    ts?.close();
    for (const s of servers) await s.stop();
  });

  /** Runs the commands on both servers (same replies required), then compares the digests. */
  async function both(commands: string[][], keys: string[] = []): Promise<string> {
    for (const c of commands) {
      const [a, b] = await Promise.all([redis.call(c), ts.call(c)]);
      assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'), c.join(' '));
    }
    const [a, b] = await Promise.all([redis.callRaw('DEBUG DIGEST'), ts.callRaw('DEBUG DIGEST')]);
    assert.equal(b, a, `DEBUG DIGEST after ${commands.map((c) => c[0]).join(' ')}`);
    if (keys.length > 0) {
      const argv = ['DEBUG', 'DIGEST-VALUE', ...keys];
      const [x, y] = await Promise.all([redis.call(argv), ts.call(argv)]);
      assert.equal(y.raw.toString('latin1'), x.raw.toString('latin1'), `DIGEST-VALUE ${keys.join(' ')}`);
    }
    return a.slice(1, -2);
  }

  test('empty data set, missing keys, no keys', async () => {
    assert.equal(await both([['FLUSHALL']], ['nope']), ZERO);
    const [a, b] = await Promise.all([redis.callRaw('DEBUG DIGEST-VALUE'), ts.callRaw('DEBUG DIGEST-VALUE')]);
    assert.equal(b, a);
    assert.equal(b, '*0\r\n');
  });

  test('strings: int, embstr, raw, binary, modified in place, INCRBYFLOAT, TTL', async () => {
    await both(
      [
        ['SET', 'int', '12345'],
        ['SET', 'neg', '-9223372036854775808'],
        ['SET', 'embstr', 'hello world'],
        ['SET', 'raw', 'r'.repeat(100)],
        ['SET', 'bin', '\x00\x01\xff\r\n'],
        ['SET', 'empty', ''],
        ['APPEND', 'appended', 'abc'],
        ['APPEND', 'appended', 'def'],
        ['SETRANGE', 'ranged', '5', 'xyz'],
        ['SETBIT', 'bits', '100', '1'],
        ['INCRBYFLOAT', 'float', '1.5'],
        ['INCRBYFLOAT', 'float', '0.25'],
        ['SET', 'ttl', 'v', 'EX', '1000'],
      ],
      ['int', 'neg', 'embstr', 'raw', 'bin', 'empty', 'appended', 'ranged', 'bits', 'float', 'ttl'],
    );
  });

  test('lists, sets, hashes, sorted sets in each encoding', async () => {
    const many = (n: number, f: (i: number) => string[]) => Array.from({ length: n }, (_, i) => f(i)).flat();
    await both(
      [
        ['RPUSH', 'l:small', 'a', '1', 'b', '-5', ''],
        ['RPUSH', 'l:big', ...many(2000, (i) => [i % 3 === 0 ? String(i) : `item-${i}`])],
        ['LPUSH', 'l:big', 'head'],
        ['SADD', 's:intset', '1', '-3', '100000', '9223372036854775807'],
        ['SADD', 's:strings', 'a', 'b', 'c'],
        ['SADD', 's:big', ...many(1000, (i) => [`m${i}`])],
        ['HSET', 'h:lp', 'f1', '1', 'f2', 'two', 'f3', ''],
        ['HSET', 'h:ht', ...many(600, (i) => [`field${i}`, String(i)])],
        ['HSET', 'h:long', 'f', 'x'.repeat(100)],
        ['ZADD', 'z:lp', '1', 'one', '2.5', 'two', '-0.1', 'neg', '100', '100'],
        ['ZADD', 'z:sl', ...many(300, (i) => [String(i / 7), `member:${i}`])],
        [
          'ZADD',
          'z:special',
          'inf',
          'pinf',
          '-inf',
          'ninf',
          '0.1',
          'tenth',
          '1e300',
          'huge',
          '-0',
          'negzero',
        ],
        ['ZADD', 'z:special-sl', 'inf', 'pinf', '-inf', 'ninf', '1e-300', 'tiny', '3', 'x'.repeat(100)],
        ['PEXPIRE', 'h:ht', '100000000'],
      ],
      ['l:small', 'l:big', 's:intset', 's:strings', 's:big', 'h:lp', 'h:ht', 'z:lp', 'z:sl', 'z:special'],
    );
  });

  test('the same keys in other dbs change the digest; SWAPDB and MOVE are followed', async () => {
    const d0 = await both([
      ['SELECT', '3'],
      ['SET', 'int', '12345'],
      ['SELECT', '0'],
    ]);
    const d1 = await both([['SWAPDB', '0', '3']]);
    assert.notEqual(d1, d0);
    await both([
      ['SWAPDB', '0', '3'],
      ['MOVE', 'l:small', '7'],
    ]);
  });

  test('the data set of every type and encoding from persistence-helpers', async () => {
    await Promise.all([redis.call(['FLUSHALL']), ts.call(['FLUSHALL'])]);
    await Promise.all([loadDataset(redis, datasetCommands(31)), loadDataset(ts, datasetCommands(31))]);
    const digest = await both([], ['lbig:0', 'hbig:1', 'zbig:5', 'sibig:0', 'ssbig:1', 'zspecial:0']);
    assert.notEqual(digest, ZERO);
  });
});
