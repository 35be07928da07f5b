/**
 * Keyspace notifications of the hash, set and sorted set commands (events, their order, 'new' and
 * 'del'), compared with redis-server 7.0: both servers run the same script while a subscriber
 * collects every __keyevent@0__ message up to a sentinel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DiffPair } from '../support/diff.js';
import { keyspaceEvents } from '../support/keyspace-events.js';
import { skipWithoutRedis } from '../support/servers.js';

describe('hashes, sets, sorted sets: keyspace notifications like redis-server 7.0', {
  skip: skipWithoutRedis(),
}, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  async function sameEvents(commands: string[]): Promise<void> {
    const redis = await keyspaceEvents(pair.redis.port, commands, 'KEAn');
    const ts = await keyspaceEvents(pair.ts.port, commands, 'KEAn');
    assert.deepEqual(ts, redis);
    assert.ok(redis.length > 0);
  }

  test('hash events', () =>
    sameEvents([
      'HSET h a 1',
      'HSET h a 1',
      'HSETNX h a 2',
      'HSETNX h b 2',
      'HMSET h c 3',
      'HINCRBY h n 1',
      'HINCRBYFLOAT h f 1.5',
      'HINCRBY h a x',
      'HDEL h zz',
      'HDEL h a b c',
      'HDEL h n f',
      'HINCRBY fresh n 1',
    ]));

  test('set events', () =>
    sameEvents([
      'SADD s 1 2 3',
      'SADD s 1',
      'SREM s 9',
      'SREM s 1',
      'SPOP s',
      'SADD p 1 2 3',
      'SPOP p 2',
      'SPOP p 5',
      'SADD a x y',
      'SMOVE a b x',
      'SMOVE a b y',
      'SADD c 1',
      'SADD d 1',
      'SMOVE c d 1',
      'SADD x 1 2',
      'SADD y 2 3',
      'SINTERSTORE i x y',
      'SUNIONSTORE i x y',
      'SDIFFSTORE i x y',
      'SINTERSTORE i x nokey',
      'SINTERSTORE i x nokey',
    ]));

  test('sorted set events', () =>
    sameEvents([
      'ZADD z 1 a 2 b 3 c 4 d 5 e',
      'ZADD z 1 a',
      'ZADD z NX 1 a',
      'ZADD z 9 a',
      'ZINCRBY z 1 a',
      'ZADD z INCR 1 b',
      'ZREM z nope',
      'ZREM z e',
      'ZPOPMIN z',
      'ZPOPMAX z 1',
      'ZMPOP 1 z MIN',
      'ZADD y 1 a 2 b 3 c 4 d',
      'ZREMRANGEBYRANK y 0 0',
      'ZREMRANGEBYSCORE y 2 2',
      'ZREMRANGEBYLEX y [c [c',
      'ZREMRANGEBYLEX y - +',
      'ZADD w 1 a 2 b',
      'ZRANGESTORE r w 0 -1',
      'ZUNIONSTORE u 1 w',
      'ZINTERSTORE u 2 w nokey',
      'ZDIFFSTORE u 1 w',
      'BZPOPMIN w 0',
      'BZMPOP 0 1 w MAX COUNT 5',
    ]));
});
