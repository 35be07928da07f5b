import { after, before, describe, test } from 'node:test';
import { DiffPair, type Step } from '../support/diff.js';
import { skipWithoutRedis } from '../support/servers.js';

/** conn 2 blocks (reply read later with `read`). */
const blocked = (cmd: string): Step => ({ cmd, conn: 2, noWait: true });
const served: Step = { read: 2 };

describe('BZPOPMIN, BZPOPMAX, BZMPOP: differential against redis-server 7.0', {
  skip: skipWithoutRedis(),
}, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('immediate pops when a key has elements', () =>
    pair.run([
      'ZADD z 1 a 2 b 3 c',
      'BZPOPMIN nokey z 0',
      'BZPOPMAX z 0',
      'BZMPOP 0 2 nokey z MIN',
      'BZMPOP 0 1 z MAX COUNT 5',
      'EXISTS z',
      'ZADD z 1.5 a',
      { cmd: 'HELLO 3', compare: 'ignore' },
      'BZPOPMIN z 1',
      'ZADD z 1 a 2 b',
      'BZMPOP 1 1 z MIN COUNT 1',
      'BZMPOP 1 1 z MAX',
      { cmd: 'HELLO 2', compare: 'ignore' },
    ]));

  test('argument errors, WRONGTYPE, and no blocking inside MULTI', () =>
    pair.run([
      'SET str v',
      'BZPOPMIN str 0',
      'BZPOPMIN nokey str 0',
      'BZPOPMIN z -1',
      'BZPOPMIN z abc',
      'BZPOPMIN z 1e400',
      'BZPOPMAX z',
      'BZMPOP 0 0 z MIN',
      'BZMPOP x 1 z MIN',
      'BZMPOP -1 1 z MIN',
      'BZMPOP 0 1 z',
      'BZMPOP 0 1 z MIN COUNT 0',
      'BZMPOP 0 x z MIN',
      'BZMPOP 0 1 str MIN',
      'BZMPOP',
      'MULTI',
      'BZPOPMIN nokey 0',
      'BZMPOP 0 1 nokey MAX',
      'EXEC',
      'BZPOPMIN nokey 0.01',
      'BZMPOP 0.01 1 nokey MAX',
    ]));

  test('a blocked client is served by ZADD, ZINCRBY and STORE commands', () =>
    pair.run([
      blocked('BZPOPMIN k1 k2 0'),
      'ZADD k2 2 b 1 a',
      served,
      'ZRANGE k2 0 -1 WITHSCORES',
      blocked('BZPOPMAX k3 0'),
      'ZINCRBY k3 5 m',
      served,
      'EXISTS k3',
      blocked('BZMPOP 0 2 k4 k5 MAX COUNT 10'),
      'ZADD src 1 x 2 y 3 z',
      'ZUNIONSTORE k5 1 src',
      served,
      'EXISTS k5',
      blocked('BZMPOP 0 1 k6 MIN'),
      'ZRANGESTORE k6 src 0 1',
      served,
      'ZRANGE k6 0 -1',
      blocked('BZPOPMIN k7 0'),
      'LPUSH k7 x',
      'DEL k7',
      'ZADD k7 9 late',
      served,
      blocked('BZPOPMIN k8 0'),
      'MULTI',
      'ZADD k8 1 a',
      'ZREM k8 a',
      'ZADD k8 2 b',
      'EXEC',
      served,
      'EXISTS k8',
    ]));

  test('RESP3 clients get their shapes when served', () =>
    pair.run([
      { cmd: 'HELLO 3', conn: 2, compare: 'ignore' },
      blocked('BZPOPMIN k 0'),
      'ZADD k 1.5 a 2 b',
      served,
      blocked('BZMPOP 0 1 k MAX COUNT 3'),
      'ZADD k 3 c',
      served,
      { cmd: 'HELLO 2', conn: 2, compare: 'ignore' },
    ]));

  test('timeouts answer a null array', () =>
    pair.run([
      { cmd: 'BZPOPMIN k 0.05', conn: 2 },
      { cmd: 'BZMPOP 0.05 1 k MIN', conn: 2 },
      { cmd: 'HELLO 3', conn: 2, compare: 'ignore' },
      { cmd: 'BZPOPMAX k 0.05', conn: 2 },
    ]));
});
