import { after, before, describe, test } from 'node:test';
import { DiffPair, type Step } from '../support/diff.js';
import { skipWithoutRedis } from '../support/servers.js';

const HELLO3: Step = { cmd: 'HELLO 3', compare: 'ignore' };
const HELLO2: Step = { cmd: 'HELLO 2', compare: 'ignore' };

/** The same range queries against a key; run once per encoding. */
function rangeQueries(k: string): Step[] {
  return [
    `ZRANGE ${k} 0 -1`,
    `ZRANGE ${k} 0 -1 WITHSCORES`,
    `ZRANGE ${k} 2 4 withscores`,
    `ZRANGE ${k} -3 -1`,
    `ZRANGE ${k} -100 1`,
    `ZRANGE ${k} 5 2`,
    `ZRANGE ${k} 100 200`,
    `ZRANGE ${k} 0 9223372036854775807`,
    `ZRANGE ${k} -9223372036854775808 0`,
    `ZRANGE ${k} 0 -1 REV`,
    `ZRANGE ${k} 1 3 REV WITHSCORES`,
    `ZREVRANGE ${k} 0 2 WITHSCORES`,
    `ZREVRANGE ${k} -2 -1`,
    `ZRANGE ${k} 2 5 BYSCORE`,
    `ZRANGE ${k} (2 (5 BYSCORE WITHSCORES`,
    `ZRANGE ${k} -inf +inf BYSCORE`,
    `ZRANGE ${k} (-inf (+inf BYSCORE`,
    `ZRANGE ${k} 5 2 BYSCORE REV`,
    `ZRANGE ${k} +inf -inf BYSCORE REV LIMIT 1 2`,
    `ZRANGE ${k} -inf +inf BYSCORE LIMIT 2 3`,
    `ZRANGE ${k} -inf +inf BYSCORE LIMIT 2 -1`,
    `ZRANGE ${k} -inf +inf BYSCORE LIMIT 2 0`,
    `ZRANGE ${k} -inf +inf BYSCORE LIMIT -1 5`,
    `ZRANGE ${k} -inf +inf BYSCORE LIMIT 100 5`,
    `ZRANGE ${k} -inf +inf BYSCORE LIMIT 0 1 LIMIT 1 1`,
    `ZRANGE ${k} 3 3 BYSCORE`,
    `ZRANGE ${k} (3 3 BYSCORE`,
    `ZRANGE ${k} 4 3 BYSCORE`,
    `ZRANGEBYSCORE ${k} 2 5`,
    `ZRANGEBYSCORE ${k} 2 5 WITHSCORES LIMIT 1 2`,
    `ZRANGEBYSCORE ${k} -inf inf`,
    `ZRANGEBYSCORE ${k} (1.5 5.5`,
    `ZRANGEBYSCORE ${k} " 2" 5`,
    `ZRANGEBYSCORE ${k} 2 "5 "`,
    `ZRANGEBYSCORE ${k} "" 2`,
    `ZRANGEBYSCORE ${k} ( 2`,
    `ZRANGEBYSCORE ${k} 0x2 5`,
    `ZRANGEBYSCORE ${k} 2e0 5E0`,
    `ZRANGEBYSCORE ${k} 1e400 2`,
    `ZRANGEBYSCORE ${k} -1e400 2`,
    `ZRANGEBYSCORE ${k} nan 2`,
    `ZRANGEBYSCORE ${k} 1 abc`,
    `ZRANGEBYSCORE ${k} [1 2`,
    `ZRANGEBYSCORE ${k} 1 2 REV`,
    `ZRANGEBYSCORE ${k} 1 2 BYSCORE`,
    `ZRANGEBYSCORE ${k} 1 2 LIMIT 1`,
    `ZREVRANGEBYSCORE ${k} 5 2`,
    `ZREVRANGEBYSCORE ${k} 2 5`,
    `ZREVRANGEBYSCORE ${k} +inf -inf WITHSCORES LIMIT 1 3`,
    `ZREVRANGEBYSCORE ${k} (5 (2`,
    `ZCOUNT ${k} 2 5`,
    `ZCOUNT ${k} (2 (5`,
    `ZCOUNT ${k} -inf +inf`,
    `ZCOUNT ${k} 5 2`,
    `ZCOUNT ${k} 100 200`,
    `ZCOUNT ${k} x 1`,
  ];
}

function lexQueries(k: string): Step[] {
  return [
    `ZRANGEBYLEX ${k} - +`,
    `ZRANGEBYLEX ${k} [b [d`,
    `ZRANGEBYLEX ${k} (b (d`,
    `ZRANGEBYLEX ${k} [b (b`,
    `ZRANGEBYLEX ${k} [b [b`,
    `ZRANGEBYLEX ${k} (b [b`,
    `ZRANGEBYLEX ${k} - [c`,
    `ZRANGEBYLEX ${k} [c +`,
    `ZRANGEBYLEX ${k} + -`,
    `ZRANGEBYLEX ${k} [ +`,
    `ZRANGEBYLEX ${k} - +  LIMIT 1 2`,
    `ZRANGEBYLEX ${k} - + LIMIT 1 -1`,
    `ZRANGEBYLEX ${k} - + LIMIT -1 1`,
    `ZRANGEBYLEX ${k} - + WITHSCORES`,
    `ZRANGEBYLEX ${k} b d`,
    `ZRANGEBYLEX ${k} -a +`,
    `ZRANGEBYLEX ${k} - ++`,
    `ZRANGEBYLEX ${k} "" +`,
    `ZREVRANGEBYLEX ${k} + -`,
    `ZREVRANGEBYLEX ${k} [d [b`,
    `ZREVRANGEBYLEX ${k} (d - LIMIT 0 2`,
    `ZREVRANGEBYLEX ${k} [b [d`,
    `ZRANGE ${k} [b [d BYLEX`,
    `ZRANGE ${k} [d [b BYLEX REV`,
    `ZRANGE ${k} - + BYLEX LIMIT 1 1`,
    `ZRANGE ${k} - + BYLEX WITHSCORES`,
    `ZRANGE ${k} - + BYLEX BYSCORE`,
    `ZRANGE ${k} 0 1 LIMIT 0 1`,
    `ZRANGE ${k} 0 1 REV REV`,
    `ZRANGE ${k} 0 1 FOO`,
    `ZRANGE ${k} 0 1 LIMIT 0`,
    `ZRANGE ${k} 0 1 LIMIT x 1 BYSCORE`,
    `ZRANGE ${k} a b`,
    `ZRANGE ${k} 0 b`,
    `ZREVRANGE ${k} 0 1 REV`,
    `ZREVRANGE ${k} 0 1 BYSCORE`,
    `ZLEXCOUNT ${k} - +`,
    `ZLEXCOUNT ${k} [b (d`,
    `ZLEXCOUNT ${k} + -`,
    `ZLEXCOUNT ${k} b d`,
    `ZLEXCOUNT nokey - +`,
  ];
}

const SCORED = 'ZADD z 1 a 2 b 2 bb 3 c 4 d 5 e 5.5 f 6 g -inf ninf +inf pinf';
const LEX = 'ZADD l 0 a 0 b 0 ba 0 c 0 d 0 e';

describe('sorted set ranges: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('rank and score ranges on a listpack', () =>
    pair.run([SCORED, 'OBJECT ENCODING z', ...rangeQueries('z'), ...rangeQueries('nokey')]));

  test('lex ranges on a listpack', () =>
    pair.run([
      LEX,
      ...lexQueries('l'),
      ['ZADD', 'b', '0', '\x00', '0', '\xff', '0', 'A'],
      ['ZRANGEBYLEX', 'b', '[\x00', '+'],
      ['ZRANGEBYLEX', 'b', '(A', '[\xff'],
    ]));

  test('the same ranges on a skiplist', async () => {
    try {
      await pair.run([
        'CONFIG SET zset-max-listpack-entries 0',
        SCORED,
        LEX,
        'OBJECT ENCODING z',
        'OBJECT ENCODING l',
        ...rangeQueries('z'),
        ...lexQueries('l'),
      ]);
    } finally {
      await pair.run(['CONFIG SET zset-max-listpack-entries 128']);
    }
  });

  test('RESP3 WITHSCORES pairs', () =>
    pair.run([
      HELLO3,
      SCORED,
      'ZRANGE z 0 2 WITHSCORES',
      'ZRANGE z 0 2',
      'ZRANGEBYSCORE z 1 3 WITHSCORES',
      'ZREVRANGE z 0 1 WITHSCORES',
      'ZRANGE nokey 0 -1 WITHSCORES',
      'ZSCORE z a',
      'ZMSCORE z a nope pinf',
      'ZINCRBY z 1 a',
      'ZADD z INCR 1 a',
      'ZADD z INCR NX 1 a',
      HELLO2,
    ]));

  test('ZRANGESTORE', () =>
    pair.run([
      SCORED,
      'ZRANGESTORE d z 0 2',
      'ZRANGE d 0 -1 WITHSCORES',
      'ZRANGESTORE d z 2 4 BYSCORE',
      'ZRANGE d 0 -1 WITHSCORES',
      'ZRANGESTORE d z 4 2 BYSCORE REV LIMIT 1 1',
      'ZRANGE d 0 -1 WITHSCORES',
      'ZRANGESTORE d z [a [c BYLEX',
      'ZRANGE d 0 -1 WITHSCORES',
      'ZRANGESTORE d z 0 -1 WITHSCORES',
      'ZRANGESTORE d z 0 1 LIMIT 0 1',
      'ZRANGESTORE d z 5 1',
      'EXISTS d',
      'ZRANGESTORE d z 5 1',
      'ZRANGESTORE d nokey 0 -1',
      'SET str x',
      'EXPIRE str 100',
      'ZRANGESTORE str z 0 0',
      'TYPE str',
      'TTL str',
      'ZRANGESTORE str nokey 0 -1',
      'EXISTS str',
      'ZRANGESTORE z z 1 2',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZRANGESTORE d z x 1',
      'ZRANGESTORE d z',
    ]));

  test('ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX', async () => {
    const script = (): Step[] => [
      SCORED,
      'ZREMRANGEBYRANK z 0 0',
      'ZREMRANGEBYRANK z -2 -1',
      'ZREMRANGEBYRANK z 5 1',
      'ZREMRANGEBYRANK z 100 200',
      'ZREMRANGEBYRANK z x 1',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZREMRANGEBYSCORE z (2 3',
      'ZREMRANGEBYSCORE z 10 1',
      'ZREMRANGEBYSCORE z x 1',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZREMRANGEBYSCORE z -inf +inf',
      'EXISTS z',
      'ZREMRANGEBYSCORE nokey -inf +inf',
      'ZREMRANGEBYRANK nokey 0 -1',
      'ZREMRANGEBYLEX nokey - +',
      LEX,
      'ZREMRANGEBYLEX l [b (c',
      'ZREMRANGEBYLEX l (d +',
      'ZREMRANGEBYLEX l b c',
      'ZREMRANGEBYLEX l + -',
      'ZRANGE l 0 -1',
      'ZREMRANGEBYLEX l - +',
      'EXISTS l',
      SCORED,
      'ZREMRANGEBYRANK z 0 -1',
      'EXISTS z',
    ];
    await pair.run(script());
    try {
      await pair.run(['CONFIG SET zset-max-listpack-entries 0', ...script()]);
    } finally {
      await pair.run(['CONFIG SET zset-max-listpack-entries 128']);
    }
  });
});
