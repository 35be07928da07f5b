import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { items, randomShape, sameScanItems, text } from '../support/collections-support.js';
import { DiffPair, type Step } from '../support/diff.js';
import { RawClient } from '../support/raw-client.js';
import { skipWithoutRedis } from '../support/servers.js';

const long = (n: number, c = 'x') => c.repeat(n);

/** HSET key f0 v0 f1 v1 … for n fields (fields named with a prefix and a number). */
function hsetMany(key: string, from: number, to: number, prefix = 'f'): string[] {
  const argv = ['HSET', key];
  for (let i = from; i < to; i++) argv.push(`${prefix}${i}`, `v${i}`);
  return argv;
}

describe('hashes: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('HSET, HGET, HMGET, HSETNX, HMSET, HLEN, HSTRLEN, HEXISTS', () =>
    pair.run([
      'HSET h a 1 b 2 c 3',
      'HSET h a 10 d 4',
      'HGET h a',
      'HGET h zz',
      'HGET nohash a',
      'HMGET h a b zz d',
      'HMGET nohash a b',
      'HSETNX h a 99',
      'HSETNX h e 5',
      'HSETNX newh f v',
      'HMSET h x 1 y 2',
      'HMSET h x',
      'HSET h x',
      'HSET h',
      'HLEN h',
      'HLEN nohash',
      'HSTRLEN h a',
      'HSTRLEN h zz',
      'HSTRLEN nohash a',
      'HEXISTS h a',
      'HEXISTS h zz',
      'HEXISTS nohash a',
      'HGETALL h',
      'HKEYS h',
      'HVALS h',
      'HGETALL nohash',
      'HKEYS nohash',
      'HVALS nohash',
      ['HSET', 'bin\x00key', 'f\x00\xff', 'v\r\n\x00'],
      ['HGET', 'bin\x00key', 'f\x00\xff'],
      ['HGETALL', 'bin\x00key'],
      'HSET h 12 -5 -0 007',
      'HGETALL h',
      'HSTRLEN h 12',
    ]));

  test('HDEL removes fields and the key when emptied', () =>
    pair.run([
      'HSET h a 1 b 2 c 3',
      'HDEL h a zz',
      'HDEL h zz',
      'HDEL nohash a',
      'HGETALL h',
      'HDEL h b c a',
      'EXISTS h',
      'HDEL h',
      'TYPE h',
    ]));

  test('WRONGTYPE on every hash command', () =>
    pair.run([
      'SET s v',
      'HSET s a 1',
      'HMSET s a 1',
      'HSETNX s a 1',
      'HGET s a',
      'HMGET s a',
      'HDEL s a',
      'HLEN s',
      'HSTRLEN s a',
      'HEXISTS s a',
      'HKEYS s',
      'HVALS s',
      'HGETALL s',
      'HINCRBY s a 1',
      'HINCRBYFLOAT s a 1',
      'HINCRBY s a x',
      'HINCRBYFLOAT s a x',
      'HRANDFIELD s',
      'HRANDFIELD s 2',
      'HRANDFIELD s 2 WITHVALUES',
      'HSCAN s 0',
      'HSCAN s x',
      'GET s',
    ]));

  test('HINCRBY and HINCRBYFLOAT', () =>
    pair.run([
      'HINCRBY h n 5',
      'HINCRBY h n -10',
      'HINCRBY h n x',
      'HINCRBY h n 1.5',
      'HINCRBY h n 9223372036854775808',
      'HSET h big 9223372036854775807 small -9223372036854775808 str abc fl 1.5 sp " 1"',
      'HINCRBY h big 1',
      'HINCRBY h small -1',
      'HINCRBY h big -1',
      'HINCRBY h str 1',
      'HINCRBY h fl 1',
      'HINCRBY h sp 1',
      'HINCRBYFLOAT h f 0.1',
      'HINCRBYFLOAT h f 0.2',
      'HINCRBYFLOAT h f 1e10',
      'HINCRBYFLOAT h f -1e10',
      'HINCRBYFLOAT h fl 2.5e3',
      'HINCRBYFLOAT h n 1',
      'HINCRBYFLOAT h str 1',
      'HINCRBYFLOAT h sp 1',
      'HINCRBYFLOAT h f inf',
      'HINCRBYFLOAT h f -inf',
      'HINCRBYFLOAT h f nan',
      'HINCRBYFLOAT h f abc',
      'HINCRBYFLOAT h f ""',
      'HINCRBYFLOAT h f 1e4000',
      'HINCRBYFLOAT h g 1e4000',
      'HINCRBYFLOAT h f 0x10',
      'HINCRBYFLOAT h z -0',
      'HSET h maxf 1e4932',
      'HINCRBYFLOAT h maxf 1e4932',
      'HINCRBYFLOAT h h1 1.5e300',
      'OBJECT ENCODING h',
      { cmd: 'HGETALL h', compare: 'unordered' },
      'HINCRBYFLOAT newkey f 3.0',
      'HGETALL newkey',
    ]));

  test('listpack order is insertion order, kept by updates and deletes', () =>
    pair.run([
      'HSET h z 1 a 2 m 3 b 4',
      'HSET h a 20',
      'HDEL h m',
      'HSET h m 30',
      'HKEYS h',
      'HVALS h',
      'HGETALL h',
      'HSCAN h 0',
      'HSCAN h 17',
      'HSCAN h 0 MATCH [ab]*',
      'HSCAN h 0 MATCH * COUNT 1',
      'HSCAN h 0 COUNT 0',
      'HSCAN h 0 COUNT -1',
      'HSCAN h 0 COUNT x',
      'HSCAN h 0 MATCH',
      'HSCAN h 0 TYPE string',
      'HSCAN h 0 BOGUS 1',
      'HSCAN h x',
      'HSCAN h -1',
      'HSCAN h 18446744073709551615',
      'HSCAN h 18446744073709551616',
      'HSCAN h " 1"',
      'HSCAN h +1',
      'HSCAN h ""',
      'HSCAN nohash 0',
      'HSCAN nohash 0 COUNT 0',
      'HSCAN nohash x',
    ]));

  test('RESP3 replies', () =>
    pair.run([
      { cmd: 'HELLO 3', compare: 'ignore' },
      'HSET h a 1 b 2',
      'HGETALL h',
      'HGETALL nohash',
      'HKEYS nohash',
      'HGET h nofield',
      'HMGET h a nofield',
      'HRANDFIELD nohash',
      'HRANDFIELD nohash 3',
      'HRANDFIELD h 5 WITHVALUES',
      'HRANDFIELD h 2 WITHVALUES',
      'HSCAN h 0',
      'HINCRBYFLOAT h a 1.5',
    ]));

  test('HRANDFIELD argument checks and whole-hash replies', () =>
    pair.run([
      'HSET h a 1 b 2 c 3',
      'HRANDFIELD h 3',
      'HRANDFIELD h 10',
      'HRANDFIELD h 10 WITHVALUES',
      'HRANDFIELD h 0',
      'HRANDFIELD h 0 WITHVALUES',
      'HRANDFIELD h x',
      'HRANDFIELD h 1.5',
      'HRANDFIELD h 2 WITHVALUE',
      'HRANDFIELD h 2 WITHVALUES x',
      'HRANDFIELD h x WITHVALUES',
      'HRANDFIELD h -9223372036854775808',
      'HRANDFIELD h 9223372036854775808',
      'HRANDFIELD h -4611686018427387904 WITHVALUES',
      'HRANDFIELD h 4611686018427387904 WITHVALUES',
      'HRANDFIELD h 4611686018427387903 WITHVALUES',
      'HRANDFIELD nohash',
      'HRANDFIELD nohash 5',
      'HRANDFIELD nohash -5 WITHVALUES',
    ]));

  test('HRANDFIELD random replies have the right shape and members', async () => {
    const small = new Map([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
    ]);
    const big = new Map<string, string>();
    for (let i = 0; i < 600; i++) big.set(`f${i}`, `v${i}`);
    const steps: Step[] = ['HSET h a 1 b 2 c 3 d 4', hsetMany('big', 0, 600)];
    for (const [key, m] of [
      ['h', small],
      ['big', big],
    ] as const) {
      steps.push(
        { cmd: `HRANDFIELD ${key}`, compare: randomShape(m) },
        { cmd: `HRANDFIELD ${key} 1`, compare: randomShape(m) },
        { cmd: `HRANDFIELD ${key} 2`, compare: randomShape(m, { distinct: true }) },
        {
          cmd: `HRANDFIELD ${key} 3 WITHVALUES`,
          compare: randomShape(m, { withValues: true, distinct: true }),
        },
        { cmd: `HRANDFIELD ${key} 150`, compare: randomShape(m, { distinct: true }) },
        {
          cmd: `HRANDFIELD ${key} 500 WITHVALUES`,
          compare: randomShape(m, { withValues: true, distinct: true }),
        },
        { cmd: `HRANDFIELD ${key} -20`, compare: randomShape(m) },
        { cmd: `HRANDFIELD ${key} -20 WITHVALUES`, compare: randomShape(m, { withValues: true }) },
        { cmd: 'HELLO 3', compare: 'ignore' },
        { cmd: `HRANDFIELD ${key} -5 WITHVALUES`, compare: randomShape(m, { withValues: true }) },
        {
          cmd: `HRANDFIELD ${key} 3 WITHVALUES`,
          compare: randomShape(m, { withValues: true, distinct: true }),
        },
        { cmd: 'HELLO 2', compare: 'ignore' },
      );
    }
    await pair.run(steps);
  });

  test('encoding follows hash-max-listpack-entries (512 by default) and -value (64)', () =>
    pair.run([
      hsetMany('h', 0, 512),
      'OBJECT ENCODING h',
      'HSET h f0 changed',
      'OBJECT ENCODING h',
      'HSET h f512 v',
      'OBJECT ENCODING h',
      'HDEL h f512 f511 f510',
      'OBJECT ENCODING h',
      'HLEN h',
      { cmd: 'HKEYS h', compare: 'unordered' },
      { cmd: 'HGETALL h', compare: 'unordered' },
      { cmd: 'HVALS h', compare: 'unordered' },
      ['HSET', 'v64', 'f', long(64)],
      'OBJECT ENCODING v64',
      ['HSET', 'v65', 'f', long(65)],
      'OBJECT ENCODING v65',
      ['HSET', 'f65', long(65), 'v'],
      'OBJECT ENCODING f65',
      ['HSET', 'late', 'a', '1', 'b', long(65)],
      'OBJECT ENCODING late',
      'HSET nx a 1',
      ['HSETNX', 'nx', 'a', long(65)],
      'OBJECT ENCODING nx',
      ['HSETNX', 'nx', 'b', long(65)],
      'OBJECT ENCODING nx',
      'HSET inc a 1',
      ['HINCRBY', 'inc', long(70), '1'],
      'OBJECT ENCODING inc',
      'HSET incf a 1',
      'HINCRBYFLOAT incf b 1e70',
      'OBJECT ENCODING incf',
      'HINCRBYFLOAT incf2 b 1e60',
      'OBJECT ENCODING incf2',
      { cmd: 'HSCAN v65 0 COUNT 100', compare: sameScanItems(true) },
      'HDEL v65 f',
      ['HSET', 'v65', 'a', '1'],
      'OBJECT ENCODING v65',
    ]));

  test('thresholds follow CONFIG SET, including the ziplist aliases', async () => {
    try {
      await pair.run([
        'CONFIG SET hash-max-listpack-entries 2',
        'HSET h a 1 b 2',
        'OBJECT ENCODING h',
        'HSET h c 3',
        'OBJECT ENCODING h',
        'CONFIG SET hash-max-ziplist-entries 0',
        'HSET zero a 1',
        'OBJECT ENCODING zero',
        'CONFIG SET hash-max-listpack-entries 128 hash-max-ziplist-value 3',
        'HSET three abc def',
        'OBJECT ENCODING three',
        'HSET four abcd e',
        'OBJECT ENCODING four',
        { cmd: 'CONFIG GET hash-max-*', compare: 'unordered' },
      ]);
    } finally {
      await pair.run(['CONFIG SET hash-max-listpack-entries 512 hash-max-listpack-value 64']);
    }
  });

  test('HSCAN over a hashtable returns every field exactly once', async () => {
    const client = await RawClient.connect(pair.ts.port);
    try {
      await client.call('FLUSHALL');
      await client.send(hsetMany('h', 0, 1000));
      await client.read();
      for (const count of [1, 10, 1000]) {
        const seen = new Map<string, string>();
        let cursor = '0';
        let rounds = 0;
        do {
          const reply = await client.call(['HSCAN', 'h', cursor, 'COUNT', String(count)]);
          const [next, elems] = items(reply.value);
          cursor = text(next);
          const flat = items(elems).map(text);
          for (let i = 0; i < flat.length; i += 2) {
            assert.ok(!seen.has(flat[i]) || seen.get(flat[i]) === flat[i + 1]);
            seen.set(flat[i], flat[i + 1]);
          }
          rounds++;
        } while (cursor !== '0');
        assert.equal(seen.size, 1000);
        assert.equal(seen.get('f123'), 'v123');
        if (count === 1) assert.ok(rounds > 100, `COUNT 1 took only ${rounds} rounds`);
      }
      const matched = await client.call(['HSCAN', 'h', '0', 'MATCH', 'f99*', 'COUNT', '100000']);
      const [, elems] = items(matched.value);
      assert.deepEqual(
        items(elems)
          .map(text)
          .filter((_, i) => i % 2 === 0)
          .sort(),
        ['f99', 'f990', 'f991', 'f992', 'f993', 'f994', 'f995', 'f996', 'f997', 'f998', 'f999'],
      );
    } finally {
      client.close();
    }
  });
});
