/**
 * Seeded random command sequences on sorted sets, replayed on tsredis and redis-server 7.0: sorted
 * set replies are deterministic, so every reply must match byte for byte, on both encodings and
 * across conversions. This is what exercises the skip list's spans and range deletions.
 */
import { after, before, describe, test } from 'node:test';
import { DiffPair, type Step } from '../support/diff.js';
import { seeded } from '../support/seeded.js';
import { skipWithoutRedis } from '../support/servers.js';

/**
 * With `lexKey`, lex range commands go to that key only, which holds score 0 everywhere: on a
 * skip list with mixed scores Redis's lex results depend on the random node levels.
 */
function script(seed: number, steps: number, keys: string[], lexKey?: string): Step[] {
  const rnd = seeded(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const member = () => pick(['a', 'b', 'c', 'd', 'aa', 'ab', 'ba', '', 'zz']) + String(int(40));
  const score = () => pick(['0', '1', '2', '2.5', '-1', '3', '10', '-inf', '+inf', String(int(100) - 50)]);
  const bound = () => pick(['-inf', '+inf', '(', '']) + (rnd() < 0.5 ? String(int(12) - 3) : '');
  const lex = () => pick(['-', '+', `[${member()}`, `(${member()}`, `[${pick(['a', 'b', 'c'])}`]);
  const rank = () => String(int(60) - 30);
  const out: Step[] = [];
  for (let i = 0; i < steps; i++) {
    const k = pick(keys);
    const lk = lexKey ?? k;
    if (lexKey !== undefined && rnd() < 0.15) {
      out.push(['ZADD', lexKey, '0', member(), '0', member()]);
      continue;
    }
    const r = int(22);
    if (r < 6) {
      const argv = ['ZADD', k];
      for (const opt of ['NX', 'XX', 'GT', 'LT', 'CH']) if (rnd() < 0.1) argv.push(opt);
      for (let n = 1 + int(4); n > 0; n--) argv.push(score(), member());
      out.push(argv);
    } else if (r === 6) out.push(['ZINCRBY', k, score(), member()]);
    else if (r === 7) out.push(['ZREM', k, member(), member()]);
    else if (r === 8)
      out.push([
        'ZRANGE',
        k,
        rank(),
        rank(),
        ...(rnd() < 0.5 ? ['WITHSCORES'] : []),
        ...(rnd() < 0.3 ? ['REV'] : []),
      ]);
    else if (r === 9) {
      const argv = ['ZRANGE', k, bound(), bound(), 'BYSCORE'];
      if (rnd() < 0.4) argv.push('REV');
      if (rnd() < 0.4) argv.push('LIMIT', String(int(6) - 1), String(int(8) - 2));
      if (rnd() < 0.5) argv.push('WITHSCORES');
      out.push(argv);
    } else if (r === 10) {
      const argv = ['ZRANGE', lk, lex(), lex(), 'BYLEX'];
      if (rnd() < 0.4) argv.push('REV');
      if (rnd() < 0.4) argv.push('LIMIT', String(int(6)), String(int(8) - 2));
      out.push(argv);
    } else if (r === 11) out.push([pick(['ZRANK', 'ZREVRANK']), k, member()]);
    else if (r === 12) out.push(['ZCOUNT', k, bound(), bound()]);
    else if (r === 13) out.push(['ZLEXCOUNT', lk, lex(), lex()]);
    else if (r === 14 && rnd() < 0.3) out.push(['ZREMRANGEBYRANK', k, rank(), rank()]);
    else if (r === 15 && rnd() < 0.3) out.push(['ZREMRANGEBYSCORE', k, bound(), bound()]);
    else if (r === 16 && rnd() < 0.3) out.push(['ZREMRANGEBYLEX', lk, lex(), lex()]);
    else if (r === 17 && rnd() < 0.3) out.push([pick(['ZPOPMIN', 'ZPOPMAX']), k, String(int(3))]);
    else if (r === 18) out.push(['ZMSCORE', k, member(), member()]);
    else if (r === 19) out.push(['ZRANGESTORE', pick(keys), k, rank(), rank()]);
    else if (r === 20)
      out.push([pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']), pick(keys), '2', k, pick(keys)]);
    else out.push(['ZCARD', k]);
  }
  for (const k of lexKey === undefined ? keys : [...keys, lexKey])
    out.push(['ZRANGE', k, '0', '-1', 'WITHSCORES']);
  return out;
}

describe('sorted sets: randomized differential runs', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('listpack-sized sets', () => pair.run(script(1, 1500, ['z1', 'z2'])));

  test('skiplists from the start (zset-max-listpack-entries 0)', async () => {
    try {
      await pair.run(['CONFIG SET zset-max-listpack-entries 0', ...script(2, 1500, ['z1', 'z2'], 'L')]);
    } finally {
      await pair.run(['CONFIG SET zset-max-listpack-entries 128']);
    }
  });

  test('conversions at a small threshold (zset-max-listpack-entries 16)', async () => {
    try {
      await pair.run([
        'CONFIG SET zset-max-listpack-entries 16',
        ...script(3, 1500, ['z1', 'z2', 'z3'], 'L'),
        'OBJECT ENCODING z1',
        'OBJECT ENCODING z2',
        'OBJECT ENCODING L',
      ]);
    } finally {
      await pair.run(['CONFIG SET zset-max-listpack-entries 128']);
    }
  });
});
