/**
 * What the hash, set and sorted set commands propagate to replicas and the AOF, compared with the
 * replication stream of a real redis-server 7.0 (read through a raw SYNC connection). Random pops
 * (SPOP with a count) are compared with their members masked.
 */
import { after, before, describe, test } from 'node:test';
import type { Step } from '../support/diff.js';
import { PropagationDiff } from '../support/propagation-diff.js';
import { skipWithoutRedis } from '../support/servers.js';

describe('hashes, sets, sorted sets: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let diff: PropagationDiff;
  before(async () => {
    diff = await PropagationDiff.start();
  });
  after(() => diff.stop());

  /** Runs the script on both servers and compares what each propagated to db 0 (after `mask`). */
  const propagates = (steps: Step[], mask?: (argv: string[]) => string[]) => diff.assertSame(steps, mask);

  test('hashes: HINCRBYFLOAT becomes HSET, no-ops are not propagated', () =>
    propagates([
      'HSET h a 1 b 2',
      'HMSET h c 3',
      'HSETNX h a 9',
      'HSETNX h d 4',
      'HINCRBY h a 5',
      'HINCRBYFLOAT h b 0.1',
      'HINCRBYFLOAT h new 1e3',
      'HINCRBYFLOAT h c abc',
      'HDEL h nope',
      'HDEL h a b',
      'HDEL h c d new',
      'HGET h a',
    ]));

  test('sets: SPOP becomes SREM or DEL, SMOVE and STORE forms', () =>
    propagates([
      'SADD s 1 2 3',
      'SADD s 1',
      'SREM s 9',
      'SREM s 1',
      'SADD one x',
      'SPOP one',
      'SADD whole a b',
      { cmd: 'SPOP whole 5', compare: 'unordered' },
      'SPOP nokey 2',
      'SPOP s 0',
      'SADD a 1 2',
      'SMOVE a b 1',
      'SMOVE a b 9',
      'SMOVE a a 2',
      'SMOVE a b 2',
      'SADD x 1 2 3',
      'SADD y 2 3 4',
      'SINTERSTORE d x y',
      'SUNIONSTORE d x y',
      'SDIFFSTORE d x y',
      'SINTERSTORE d x nokey',
      'SINTERSTORE d x nokey',
      'SINTERCARD 2 x y',
    ]));

  test('sets: SPOP with a count propagates one SREM per member', () =>
    propagates(
      [
        'SADD big 1 2 3 4 5 6 7 8 9 10',
        { cmd: 'SPOP big 3', compare: 'type' },
        { cmd: 'SPOP big', compare: 'type' },
        { cmd: 'SPOP big 5', compare: 'type' },
        'SCARD big',
      ],
      (argv) => (argv[0] === 'SREM' ? ['SREM', argv[1], '?'] : argv),
    ));

  test('sorted sets: pops become ZPOPMIN/ZPOPMAX, no-ops are not propagated', () =>
    propagates([
      'ZADD z 1 a 2 b 3 c 4 d 5 e 6 f',
      'ZADD z NX 9 a',
      'ZADD z XX 9 nope',
      'ZADD z 1 a',
      'ZINCRBY z 0.5 a',
      'ZADD z INCR 1 b',
      'ZREM z nope',
      'ZREM z f',
      'ZPOPMIN z',
      'ZPOPMAX z 1',
      'ZMPOP 1 z MIN',
      'ZMPOP 2 nokey z MAX COUNT 1',
      'ZADD z 1 a 2 b 3 c',
      'BZPOPMIN z 0',
      'BZPOPMAX nokey z 0',
      'BZMPOP 0 1 z MIN COUNT 7',
      'ZADD z 1 a 2 b 3 c 4 d',
      'ZREMRANGEBYRANK z 0 0',
      'ZREMRANGEBYSCORE z 3 3',
      'ZREMRANGEBYLEX z [d [d',
      'ZREMRANGEBYSCORE z 100 200',
      'ZRANGESTORE d z 0 -1',
      'ZRANGESTORE d nokey 0 -1',
      'ZRANGESTORE d nokey 0 -1',
      'ZADD w 1 x',
      'ZUNIONSTORE u 2 z w',
      'ZINTERSTORE u 2 z w',
      'ZDIFFSTORE u 2 z w',
    ]));

  test('sorted sets: a served blocked pop propagates after the write that served it', () =>
    propagates([
      { cmd: 'BZPOPMIN k 0', conn: 2, noWait: true },
      'ZADD k 1 a 2 b',
      { read: 2 },
      { cmd: 'BZMPOP 0 1 k2 MAX COUNT 3', conn: 2, noWait: true },
      'ZADD k2 1 a 2 b',
      { read: 2 },
    ]));
});
