import { after, before, describe, test } from 'node:test';
import { DiffPair, type Step } from '../support/diff.js';
import { skipWithoutRedis } from '../support/servers.js';

const HELLO3: Step = { cmd: 'HELLO 3', compare: 'ignore' };
const HELLO2: Step = { cmd: 'HELLO 2', compare: 'ignore' };

const SETUP: Step[] = [
  'ZADD a 1 x 2 y 3 z',
  'ZADD b 10 y 20 z 30 w',
  'ZADD c 100 z 0.5 x',
  'SADD s y z q',
  'ZADD inf inf x -inf y 0 z',
];

describe('sorted set operations: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('ZUNION, ZINTER, ZDIFF with WEIGHTS, AGGREGATE, WITHSCORES and set inputs', () =>
    pair.run([
      ...SETUP,
      'ZUNION 2 a b',
      'ZUNION 2 a b WITHSCORES',
      'ZUNION 3 a b c WITHSCORES',
      'ZUNION 2 a b WEIGHTS 2 0.5 WITHSCORES',
      'ZUNION 2 a b AGGREGATE MIN WITHSCORES',
      'ZUNION 2 a b AGGREGATE max WITHSCORES',
      'ZUNION 2 a b AGGREGATE SUM WEIGHTS 1 -1 WITHSCORES',
      'ZUNION 2 a s WITHSCORES',
      'ZUNION 1 s WITHSCORES',
      'ZUNION 2 a nokey WITHSCORES',
      'ZUNION 1 nokey',
      'ZUNION 2 a inf WITHSCORES',
      'ZUNION 2 inf inf WITHSCORES',
      'ZUNION 2 inf a WEIGHTS 0 1 WITHSCORES',
      'ZUNION 2 inf inf WEIGHTS 1 -1 WITHSCORES',
      'ZUNION 2 inf inf WEIGHTS 1 -1 AGGREGATE MIN WITHSCORES',
      'ZINTER 2 a b',
      'ZINTER 2 a b WITHSCORES',
      'ZINTER 3 a b c WITHSCORES',
      'ZINTER 2 a b WEIGHTS 2 3 AGGREGATE MAX WITHSCORES',
      'ZINTER 2 a s WITHSCORES',
      'ZINTER 2 s a WITHSCORES',
      'ZINTER 2 a nokey WITHSCORES',
      'ZINTER 2 a a WITHSCORES',
      'ZINTER 2 inf inf WEIGHTS 1 -1 WITHSCORES',
      'ZINTER 2 inf inf WEIGHTS 0 1 AGGREGATE MIN WITHSCORES',
      'ZINTER 2 inf inf WEIGHTS 1 0 AGGREGATE MAX WITHSCORES',
      'ZINTER 2 inf a WEIGHTS 0 1 WITHSCORES',
      'ZDIFF 2 a b',
      'ZDIFF 2 a b WITHSCORES',
      'ZDIFF 3 a b c WITHSCORES',
      'ZDIFF 2 b a WITHSCORES',
      'ZDIFF 2 a s WITHSCORES',
      'ZDIFF 1 s WITHSCORES',
      'ZDIFF 2 nokey a',
      'ZDIFF 2 a a',
      'ZDIFF 2 a nokey WITHSCORES',
      'ZINTERCARD 2 a b',
      'ZINTERCARD 3 a b c',
      'ZINTERCARD 2 a s',
      'ZINTERCARD 2 a b LIMIT 1',
      'ZINTERCARD 2 a b LIMIT 0',
      'ZINTERCARD 2 a nokey',
      HELLO3,
      'ZUNION 2 a b WITHSCORES',
      'ZINTER 2 a b',
      'ZDIFF 2 a b WITHSCORES',
      HELLO2,
    ]));

  test('argument errors', () =>
    pair.run([
      ...SETUP,
      'SET str v',
      'ZUNION 0 a',
      'ZUNION -1 a',
      'ZUNION x a',
      'ZUNION 3 a b',
      'ZUNION 2 a str',
      'ZUNION 2 a str WEIGHTS x y',
      'ZUNION 2 nokey str',
      'ZUNION 2 a b WEIGHTS 1',
      'ZUNION 2 a b WEIGHTS 1 x',
      'ZUNION 2 a b WEIGHTS 1 nan',
      'ZUNION 2 a b WEIGHTS 1 inf WITHSCORES',
      'ZUNION 2 a b AGGREGATE',
      'ZUNION 2 a b AGGREGATE AVG',
      'ZUNION 2 a b WITHSCORES WITHSCORES',
      'ZUNION 2 a b LIMIT 1',
      'ZUNION 2 a b FOO',
      'ZUNIONSTORE d 2 a b WITHSCORES',
      'ZDIFF 2 a b WEIGHTS 1 1',
      'ZDIFF 2 a b AGGREGATE MIN',
      'ZDIFFSTORE d 0 a',
      'ZINTERSTORE d 0 a',
      'ZINTERCARD 0 a',
      'ZINTERCARD -5 a',
      'ZINTERCARD x a',
      'ZINTERCARD 2 a',
      'ZINTERCARD 1 a LIMIT -1',
      'ZINTERCARD 1 a LIMIT x',
      'ZINTERCARD 1 a LIMIT',
      'ZINTERCARD 1 a WITHSCORES',
      'ZINTERCARD 1 a WEIGHTS 1',
      'ZINTERCARD 1 str',
      'ZUNION',
      'ZUNIONSTORE d',
    ]));

  test('STORE forms', () =>
    pair.run([
      ...SETUP,
      'ZUNIONSTORE d 2 a b',
      'ZRANGE d 0 -1 WITHSCORES',
      'OBJECT ENCODING d',
      'ZINTERSTORE d 2 a b WEIGHTS 1 2',
      'ZRANGE d 0 -1 WITHSCORES',
      'ZDIFFSTORE d 2 a b',
      'ZRANGE d 0 -1 WITHSCORES',
      'ZINTERSTORE d 2 a nokey',
      'EXISTS d',
      'ZINTERSTORE d 2 a nokey',
      'ZDIFFSTORE d 2 a a',
      'ZUNIONSTORE d 1 nokey',
      'SET str v',
      'EXPIRE str 100',
      'ZUNIONSTORE str 1 a',
      'TYPE str',
      'TTL str',
      'ZUNIONSTORE a 2 a b',
      'ZRANGE a 0 -1 WITHSCORES',
      'ZINTERSTORE s 2 s b',
      'TYPE s',
      'ZRANGE s 0 -1 WITHSCORES',
      ['ZADD', 'long', '1', 'x'.repeat(65)],
      'ZUNIONSTORE d 2 long a',
      'OBJECT ENCODING d',
      'ZDIFFSTORE d 2 long a',
      'OBJECT ENCODING d',
      'ZDIFFSTORE d 2 a long',
      'OBJECT ENCODING d',
    ]));

  test('inputs large enough to be skiplists and hashtables', () => {
    const za = ['ZADD', 'za'];
    const zb = ['ZADD', 'zb'];
    const sb = ['SADD', 'sb'];
    for (let i = 0; i < 300; i++) {
      za.push(String(i % 17), `m${i}`);
      if (i % 3 === 0) zb.push(String(i / 7), `m${i}`);
      if (i % 5 === 0) sb.push(`m${i}`);
    }
    return pair.run([
      za,
      zb,
      sb,
      'OBJECT ENCODING za',
      'ZUNION 3 za zb sb WITHSCORES',
      'ZINTER 3 za zb sb WEIGHTS 1 2 3 WITHSCORES',
      'ZDIFF 3 za zb sb WITHSCORES',
      'ZINTERCARD 2 za sb',
      'ZINTERCARD 2 za sb LIMIT 7',
      'ZUNIONSTORE u 3 za zb sb AGGREGATE MAX',
      'OBJECT ENCODING u',
      'ZRANGE u 0 -1 WITHSCORES',
      'ZINTERSTORE i 2 za sb',
      'OBJECT ENCODING i',
      'ZRANGE i 0 -1 WITHSCORES',
    ]);
  });
});
