import { after, before, describe, test } from 'node:test';
import { randomShape, sameScanItems } from '../support/collections-support.js';
import { DiffPair, type Step } from '../support/diff.js';
import { skipWithoutRedis } from '../support/servers.js';

const HELLO3: Step = { cmd: 'HELLO 3', compare: 'ignore' };
const HELLO2: Step = { cmd: 'HELLO 2', compare: 'ignore' };

function zaddRange(key: string, from: number, to: number, prefix = 'm'): string[] {
  const argv = ['ZADD', key];
  for (let i = from; i < to; i++) argv.push(String(i), `${prefix}${i}`);
  return argv;
}

describe('sorted sets: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('ZADD, ZSCORE, ZMSCORE, ZCARD, ZRANK, ZREVRANK, ZREM', () =>
    pair.run([
      'ZADD z 1 a 2 b 3 c',
      'ZADD z 1.5 a 2 b',
      'ZCARD z',
      'ZCARD nokey',
      'ZSCORE z a',
      'ZSCORE z nope',
      'ZSCORE nokey a',
      'ZMSCORE z a b nope',
      'ZMSCORE nokey a b',
      'ZRANK z a',
      'ZRANK z c',
      'ZREVRANK z a',
      'ZRANK z nope',
      'ZRANK nokey a',
      'ZREVRANK nokey a',
      'ZRANK z a WITHSCORE',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZREM z a nope',
      'ZREM nokey a',
      'ZREM z b c',
      'EXISTS z',
      'ZADD z 0.1 x 1e300 y -5 w inf i -inf ni 0 zero -0 negzero',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZSCORE z negzero',
      'ZSCORE z x',
      'ZADD z 3.0000000000000004 p 1.7976931348623157e308 q 4.9e-324 r 0x10 h',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZADD z +inf pi -INF mi +5 plus .5 dot 5. dot5',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZADD z nan a',
      'ZADD z " 1" a',
      'ZADD z 1e400 a',
      'ZADD z 1e-400 a',
      'ZADD z 0e5 zero2',
      'ZADD z 1e-320 tiny',
      'ZSCORE z tiny',
      'ZADD z "" a',
      'ZADD z 1x a',
      'ZADD z',
      'ZADD z 1',
      'ZADD z 1 a 2',
      ['ZADD', 'bin', '1', 'a\x00b', '2', '\xff\xfe'],
      ['ZRANGE', 'bin', '0', '-1'],
      ['ZSCORE', 'bin', 'a\x00b'],
    ]));

  test('ZADD options and their incompatibilities', () =>
    pair.run([
      'ZADD z 1 a 2 b',
      'ZADD z NX 5 a 3 c',
      'ZADD z XX 5 a 4 d',
      'ZADD z XX NX 1 a',
      'ZADD z NX GT 1 a',
      'ZADD z NX LT 1 a',
      'ZADD z GT LT 1 a',
      'ZADD z GT 1 a',
      'ZADD z GT 10 a',
      'ZADD z LT 10 a',
      'ZADD z LT 0 a',
      'ZADD z GT CH 20 a 0 b 7 new',
      'ZADD z CH 20 a 1 b',
      'ZADD z CH ch Ch 21 a',
      'ZADD z XX GT CH 30 a',
      'ZADD z INCR 5 a',
      'ZADD z INCR 5 a 1 b',
      'ZADD z INCR NX 5 a',
      'ZADD z INCR XX 5 nope',
      'ZADD z INCR GT -1 a',
      'ZADD z INCR LT -1 a',
      'ZADD z INCR GT 1 brandnew',
      'ZADD z INCR XX 1 a',
      'ZADD z INCR -inf a',
      'ZADD z INCR inf a',
      'ZADD z INCR 1 a',
      'ZSCORE z a',
      'ZADD nokey XX 1 a',
      'EXISTS nokey',
      'ZADD nokey XX INCR 1 a',
      'ZADD z FOO 1 a',
      'ZADD z NX',
      'ZADD z 1 a NX',
      'ZADD z x a',
      'ZADD z 1 a x b',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZADD z 1 a 1 a 2 a',
      'ZSCORE z a',
      'ZADD z CH 2 a 2 a',
    ]));

  test('ZINCRBY', () =>
    pair.run([
      'ZINCRBY z 1 a',
      'ZINCRBY z 2.5 a',
      'ZINCRBY z -10 b',
      'ZINCRBY z x a',
      'ZINCRBY z nan a',
      'ZINCRBY z inf c',
      'ZINCRBY z -inf c',
      'ZINCRBY z 1 c',
      'ZINCRBY z NX a',
      'ZINCRBY z 1 a extra',
      'ZINCRBY z 1',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZINCRBY z 0.1 d',
      'ZINCRBY z 0.2 d',
      'ZSCORE z d',
    ]));

  test('WRONGTYPE', () =>
    pair.run([
      'SET s v',
      'ZADD s 1 a',
      'ZADD s XX 1 a',
      'ZADD s x a',
      'ZINCRBY s 1 a',
      'ZREM s a',
      'ZCARD s',
      'ZSCORE s a',
      'ZMSCORE s a',
      'ZRANK s a',
      'ZREVRANK s a',
      'ZRANGE s 0 -1',
      'ZRANGE s x y',
      'ZRANGESTORE d s 0 -1',
      'ZRANGEBYSCORE s 0 1',
      'ZRANGEBYLEX s - +',
      'ZCOUNT s 0 1',
      'ZLEXCOUNT s - +',
      'ZREMRANGEBYRANK s 0 1',
      'ZREMRANGEBYSCORE s 0 1',
      'ZREMRANGEBYLEX s - +',
      'ZPOPMIN s',
      'ZPOPMAX s 2',
      'ZMPOP 1 s MIN',
      'ZRANDMEMBER s',
      'ZRANDMEMBER s 2',
      'ZSCAN s 0',
      'ZUNION 1 s',
      'ZINTER 1 s',
      'ZDIFF 1 s',
      'ZUNIONSTORE d 1 s',
      'ZINTERCARD 1 s',
      'ZADD z 1 a',
      'ZRANGESTORE s z 0 -1',
      'TYPE s',
    ]));

  test('ZPOPMIN, ZPOPMAX, ZMPOP', () =>
    pair.run([
      'ZADD z 1 a 2 b 3 c 4 d 5 e',
      'ZPOPMIN z',
      'ZPOPMAX z',
      'ZPOPMIN z 2',
      'ZPOPMIN z 0',
      'ZPOPMIN z -1',
      'ZPOPMIN z x',
      'ZPOPMIN z 1 2',
      'ZPOPMIN nokey',
      'ZPOPMIN nokey 2',
      'ZPOPMAX z 10',
      'EXISTS z',
      'ZADD z 1 a 2 b 3 c',
      'ZADD y 10 x',
      'ZMPOP 2 nokey z MIN',
      'ZMPOP 2 nokey z MAX COUNT 5',
      'ZMPOP 2 z y MAX COUNT 5',
      'ZMPOP 2 nokey nokey2 MIN',
      'ZMPOP 0 z MIN',
      'ZMPOP -1 z MIN',
      'ZMPOP x z MIN',
      'ZMPOP 3 z MIN',
      'ZMPOP 1 z',
      'ZMPOP 1 z FOO',
      'ZMPOP 1 z MIN COUNT 0',
      'ZMPOP 1 z MIN COUNT -1',
      'ZMPOP 1 z MIN COUNT x',
      'ZMPOP 1 z MIN COUNT',
      'ZMPOP 1 z MIN COUNT 1 COUNT 2',
      'ZMPOP 1 z min count 1',
      HELLO3,
      'ZADD z 1 a 2 b 3 c',
      'ZPOPMIN z',
      'ZPOPMIN z 1',
      'ZPOPMAX z 0',
      'ZPOPMIN nokey',
      'ZPOPMIN nokey 1',
      'ZMPOP 1 nokey MIN',
      'ZMPOP 1 z MAX',
      'ZADD z 1.5 a inf b',
      'ZMPOP 1 z MIN COUNT 10',
      HELLO2,
    ]));

  test('encodings follow zset-max-listpack-entries (128) and -value (64)', () =>
    pair.run([
      zaddRange('z', 0, 128),
      'OBJECT ENCODING z',
      'ZADD z 1000 m5',
      'OBJECT ENCODING z',
      'ZADD z 128 m128',
      'OBJECT ENCODING z',
      'ZREM z m128 m127 m1',
      'OBJECT ENCODING z',
      'ZRANGE z 0 5 WITHSCORES',
      'ZRANGE z -5 -1 WITHSCORES',
      'ZRANK z m5',
      'ZREVRANK z m5',
      ['ZADD', 'long', '1', 'x'.repeat(64)],
      'OBJECT ENCODING long',
      ['ZADD', 'long2', '1', 'x'.repeat(65)],
      'OBJECT ENCODING long2',
      ['ZADD', 'late', '1', 'a', '2', 'x'.repeat(65)],
      'OBJECT ENCODING late',
      'ZADD dup 1 a 1 a 1 a',
      'OBJECT ENCODING dup',
      'ZINCRBY inc 1 a',
      'OBJECT ENCODING inc',
      zaddRange('big', 0, 200),
      'OBJECT ENCODING big',
      'ZRANGESTORE small big 0 9',
      'OBJECT ENCODING small',
      'ZRANGESTORE stillbig big 0 128',
      'OBJECT ENCODING stillbig',
      'ZRANGESTORE lp big 0 127',
      'OBJECT ENCODING lp',
      'ZUNIONSTORE u 1 small',
      'OBJECT ENCODING u',
      'ZINTERSTORE i 2 big big',
      'OBJECT ENCODING i',
      'ZDIFFSTORE d 2 big small',
      'OBJECT ENCODING d',
      'ZREMRANGEBYRANK big 0 150',
      'OBJECT ENCODING big',
      'ZUNIONSTORE u2 1 big',
      'OBJECT ENCODING u2',
    ]));

  test('thresholds follow CONFIG SET (and the ziplist aliases)', async () => {
    try {
      await pair.run([
        'CONFIG SET zset-max-listpack-entries 2',
        'ZADD z 1 a 2 b',
        'OBJECT ENCODING z',
        'ZADD z 3 c',
        'OBJECT ENCODING z',
        'CONFIG SET zset-max-ziplist-entries 0',
        'ZADD zero 1 a',
        'OBJECT ENCODING zero',
        'CONFIG SET zset-max-listpack-entries 128 zset-max-ziplist-value 3',
        'ZADD three 1 abc',
        'OBJECT ENCODING three',
        'ZADD four 1 abcd',
        'OBJECT ENCODING four',
        'ZADD four2 1 a 2 abcd',
        'OBJECT ENCODING four2',
        'ZUNIONSTORE u 2 three four',
        'OBJECT ENCODING u',
        'ZRANGESTORE r four2 0 0',
        'OBJECT ENCODING r',
      ]);
    } finally {
      await pair.run(['CONFIG SET zset-max-listpack-entries 128 zset-max-listpack-value 64']);
    }
  });

  test('ZRANDMEMBER', async () => {
    const small = new Map([
      ['a', '1'],
      ['b', '2.5'],
      ['c', '3'],
    ]);
    const big = new Map(Array.from({ length: 300 }, (_, i) => [`m${i}`, String(i)]));
    const steps: Step[] = [
      'ZADD z 1 a 2.5 b 3 c',
      zaddRange('big', 0, 300),
      'ZRANDMEMBER z 3',
      'ZRANDMEMBER z 3 WITHSCORES',
      'ZRANDMEMBER z 30 withscores',
      'ZRANDMEMBER z 0',
      'ZRANDMEMBER z x',
      'ZRANDMEMBER z 1 WITHSCORE',
      'ZRANDMEMBER z 1 WITHSCORES x',
      'ZRANDMEMBER z -9223372036854775808',
      'ZRANDMEMBER z -4611686018427387904 WITHSCORES',
      'ZRANDMEMBER z 4611686018427387904 WITHSCORES',
      'ZRANDMEMBER nokey',
      'ZRANDMEMBER nokey 3',
      'ZRANDMEMBER nokey -3 WITHSCORES',
      HELLO3,
      'ZRANDMEMBER z 3 WITHSCORES',
      'ZRANDMEMBER nokey',
      HELLO2,
    ];
    for (const [key, m] of [
      ['z', small],
      ['big', big],
    ] as const) {
      steps.push(
        { cmd: `ZRANDMEMBER ${key}`, compare: randomShape(m) },
        { cmd: `ZRANDMEMBER ${key} 1`, compare: randomShape(m) },
        {
          cmd: `ZRANDMEMBER ${key} 2 WITHSCORES`,
          compare: randomShape(m, { withValues: true, distinct: true }),
        },
        { cmd: `ZRANDMEMBER ${key} 50`, compare: randomShape(m, { distinct: true }) },
        {
          cmd: `ZRANDMEMBER ${key} 250 WITHSCORES`,
          compare: randomShape(m, { withValues: true, distinct: true }),
        },
        { cmd: `ZRANDMEMBER ${key} -10 WITHSCORES`, compare: randomShape(m, { withValues: true }) },
        HELLO3,
        { cmd: `ZRANDMEMBER ${key} -4 WITHSCORES`, compare: randomShape(m, { withValues: true }) },
        {
          cmd: `ZRANDMEMBER ${key} 2 WITHSCORES`,
          compare: randomShape(m, { withValues: true, distinct: true }),
        },
        HELLO2,
      );
    }
    await pair.run(steps);
  });

  test('ZSCAN', () =>
    pair.run([
      'ZADD z 1 a 2.5 b -inf c 1e100 d',
      'ZSCAN z 0',
      'ZSCAN z 5 MATCH [ab]',
      'ZSCAN z 0 COUNT 1',
      'ZSCAN z 0 COUNT 0',
      'ZSCAN z 0 MATCH',
      'ZSCAN z x',
      'ZSCAN nokey 0',
      HELLO3,
      'ZSCAN z 0',
      HELLO2,
      zaddRange('big', 0, 3),
      'ZADD big 0.1 m1',
      'ZSCAN big 0',
      zaddRange('sl', 0, 200),
      'ZADD sl 0.1 m1 -inf m2 1e300 m3 -0 m4',
      'OBJECT ENCODING sl',
      { cmd: 'ZSCAN sl 0 COUNT 1000', compare: sameScanItems(true) },
      { cmd: 'ZSCAN sl 0 COUNT 1000 MATCH m1*', compare: sameScanItems(true) },
    ]));
});
