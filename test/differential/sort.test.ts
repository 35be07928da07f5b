/**
 * SORT and SORT_RO against redis-server 7.0: numeric and ALPHA order, BY (nosort, hash fields),
 * GET, LIMIT, STORE and what it propagates, errors, and a random comparison over lists, sets and
 * sorted sets.
 */
import { after, before, describe, test } from 'node:test';
import { DiffPair, type Step } from '../support/diff.js';
import { assertSameEvents } from '../support/keyspace-events.js';
import { PropagationDiff } from '../support/propagation-diff.js';
import { seeded } from '../support/seeded.js';
import { skipWithoutRedis } from '../support/servers.js';

const SETUP: Step[] = [
  'RPUSH l 3 1 2 10 -5 1.5 2 1e3 0x10 inf -inf',
  ['RPUSH', 'words', 'banana', 'Apple', 'apple', 'cherry', '10', '9', '', 'b\x00z', 'b\x00a', 'b'],
  'SADD s 5 3 9 1 100 -2',
  'SADD ints 3 1 2',
  'ZADD z 1 c 2 a 3 b 4 e 5 d',
  'MSET w_3 c w_1 a w_2 b w_10 z w_-5 y w_1.5 q n_3 30 n_1 -1 n_2 x2',
  'HSET h_1 f 9 g x',
  'HSET h_2 f 8',
  'HSET h_3 f 7',
  'SET str hello',
  'HSET hash a 1',
];

describe('SORT: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('numeric and ALPHA order, ASC/DESC, LIMIT', () =>
    pair.run([
      ...SETUP,
      'SORT l',
      'SORT l DESC',
      'SORT l LIMIT 0 3',
      'SORT l LIMIT 2 100',
      'SORT l LIMIT -5 3',
      'SORT l LIMIT 3 -1',
      'SORT l LIMIT 100 5',
      'SORT l LIMIT 1 0',
      'SORT words ALPHA',
      'SORT words ALPHA DESC LIMIT 1 4',
      'SORT words',
      'SORT s',
      'SORT s DESC',
      'SORT s ALPHA',
      'SORT ints',
      'SORT z',
      'SORT z ALPHA DESC',
      'SORT missing',
      'SORT missing ALPHA LIMIT 0 10',
      'SORT_RO l DESC LIMIT 1 2',
      'SORT_RO words ALPHA',
      'OBJECT ENCODING z',
    ]));

  test('BY patterns, nosort, hash fields, GET', () =>
    pair.run([
      ...SETUP,
      'SORT l BY w_* ALPHA',
      'SORT l BY w_* ALPHA DESC',
      'SORT l BY n_*',
      'SORT ints BY n_*',
      'SORT ints BY h_*->f',
      'SORT ints BY h_*->g ALPHA',
      'SORT ints BY h_*-> ALPHA',
      'SORT ints BY nosort',
      'SORT l BY nosort',
      'SORT l BY nosort DESC',
      'SORT l BY nosort LIMIT 2 3',
      'SORT l BY nosort DESC LIMIT 2 3',
      'SORT z BY nosort',
      'SORT z BY nosort DESC LIMIT 1 2',
      'SORT z BY nosort LIMIT 3 10',
      'SORT ints GET #',
      'SORT ints GET w_* GET # GET h_*->f GET missing_* GET nostar',
      'SORT ints BY w_* ALPHA GET h_*->f GET n_*',
      'SORT l BY w_* ALPHA LIMIT 1 3 GET # GET w_*',
      'SORT ints BY nosort GET h_*->f',
      'SORT ints GET hash->a',
      'SORT ints BY str',
      'SORT ints BY hash->a',
      'SORT_RO ints BY w_* ALPHA GET #',
    ]));

  test('STORE: a list, the count, the destination replaced or deleted', () =>
    pair.run([
      ...SETUP,
      'SORT l STORE dst',
      'LRANGE dst 0 -1',
      'OBJECT ENCODING dst',
      'SET dst2 x EX 100',
      'SORT ints GET w_* GET missing_* STORE dst2',
      'LRANGE dst2 0 -1',
      'TTL dst2',
      'SORT s BY nosort STORE dst3',
      'LRANGE dst3 0 -1',
      'SORT s BY nosort DESC LIMIT 1 2 STORE dst3',
      'LRANGE dst3 0 -1',
      'SORT missing STORE dst',
      'EXISTS dst',
      'SORT missing STORE nothing',
      'SORT l LIMIT 0 0 STORE dst2',
      'EXISTS dst2',
      'SORT_RO l STORE dst',
      'SORT words ALPHA STORE dst4',
      'LRANGE dst4 0 -1',
    ]));

  test('errors: wrong types, syntax, LIMIT, non-numeric scores', () =>
    pair.run([
      ...SETUP,
      'SORT str',
      'SORT hash',
      'SORT words',
      'SORT l BY w_*',
      'SORT l LIMIT',
      'SORT l LIMIT 1',
      'SORT l LIMIT a 1',
      'SORT l LIMIT 1 b',
      'SORT l NOPE',
      'SORT l BY',
      'SORT l GET',
      'SORT l STORE',
      'SORT',
      'SORT_RO',
      'SORT_RO l STORE x',
      // Leading spaces, an empty string and bytes after a NUL are numbers to strtod.
      'RPUSH ok 1 " 2" ""',
      'SORT ok',
      ['RPUSH', 'nulls', '1\x00x', '2\x00', '10'],
      'SORT nulls',
      'RPUSH trailing 1 "3 "',
      'SORT trailing',
      'RPUSH blank 1 " "',
      'SORT blank',
      'RPUSH nan 1 nan',
      'SORT nan',
      // Last: Redis never clears errno, so after an ERANGE every later numeric SORT fails too.
      'RPUSH range 1 1e400',
      'SORT range',
      'SORT nulls ALPHA',
    ]));

  test('random lists, sets and sorted sets: the same order and the same GETs', async () => {
    const rand = seeded(99);
    const steps: Step[] = [];
    const num = () => {
      const r = rand();
      if (r < 0.6) return String(Math.floor(rand() * 200) - 100);
      if (r < 0.9) return (rand() * 1000 - 500).toFixed(Math.floor(rand() * 4));
      return ['1e5', '-0', '0', '.5', '5.', '+7'][Math.floor(rand() * 6)];
    };
    const word = () => {
      let s = '';
      const n = 1 + Math.floor(rand() * 6);
      for (let i = 0; i < n; i++) s += String.fromCharCode(32 + Math.floor(rand() * 95));
      return s;
    };
    for (let round = 0; round < 30; round++) {
      steps.push('FLUSHALL');
      const n = 1 + Math.floor(rand() * 40);
      const nums = Array.from({ length: n }, num);
      const words = Array.from({ length: n }, word);
      steps.push(['RPUSH', 'ln', ...nums], ['RPUSH', 'lw', ...words], ['SADD', 'sn', ...nums]);
      steps.push(['ZADD', 'zw', ...words.flatMap((w) => [String(Math.floor(rand() * 10)), w])]);
      for (const x of nums.slice(0, 10))
        steps.push(['SET', `by_${x}`, num()], ['HSET', `h_${x}`, 'f', word()]);
      const limit =
        rand() < 0.5 ? [] : ['LIMIT', String(Math.floor(rand() * n)), String(Math.floor(rand() * n))];
      const dir = rand() < 0.5 ? 'ASC' : 'DESC';
      steps.push(
        ['SORT', 'ln', dir, ...limit],
        ['SORT', 'lw', 'ALPHA', dir, ...limit],
        ['SORT', 'sn', dir, ...limit],
        ['SORT', 'zw', 'ALPHA', dir, ...limit],
        ['SORT', 'zw', 'BY', 'nosort', dir, ...limit],
        ['SORT', 'ln', 'BY', 'by_*', dir, 'GET', '#', 'GET', 'h_*->f'],
        ['SORT', 'ln', 'BY', 'nosort', dir, ...limit, 'GET', 'by_*'],
        ['SORT', 'sn', 'ALPHA', 'STORE', 'out', ...limit],
        ['LRANGE', 'out', '0', '-1'],
      );
    }
    await pair.run(steps);
  });

  test('keyspace events: sortstore, del of an emptied destination', async () => {
    const script = ['RPUSH l 2 1', 'SORT l STORE d', 'SORT missing STORE d', 'SORT missing STORE d'];
    await assertSameEvents(pair.redis.port, pair.ts.port, script, 'KEA');
  });
});

describe('SORT: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let diff: PropagationDiff;
  before(async () => {
    diff = await PropagationDiff.start();
  });
  after(() => diff.stop());

  test('SORT … STORE is propagated as sent; reads and no-op STOREs are not', async () => {
    await diff.assertSame([
      'RPUSH l 3 1 2',
      'SADD s b a c',
      'SORT l',
      'SORT l STORE d',
      'SORT s BY nosort STORE d2',
      'SORT missing STORE nothing',
      'SORT missing STORE d',
      'SORT_RO l',
    ]);
  });
});
