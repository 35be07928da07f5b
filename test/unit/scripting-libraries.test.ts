/**
 * Libraries built on Redis scripting, installed from npm, against a tsredis server: redlock
 * (acquire, contention, extend, release: its Lua scripts compare and delete or extend the lock
 * value) and rate-limiter-flexible's RateLimiterRedis (its increment-with-expiry script).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import Redlock, { ExecutionError } from 'redlock';
import type { RunningServer } from '../../src/index.js';
import { startTsredis } from '../support/servers.js';

let server: RunningServer;
let redis: Redis;
before(async () => {
  server = await startTsredis();
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

describe('redlock', () => {
  test('acquire, contention, extend, release, and acquire again', async () => {
    const redlock = new Redlock([redis], { retryCount: 0 });
    const lock = await redlock.acquire(['locks:report'], 10_000);
    const value = await redis.get('locks:report');
    assert.equal(value, lock.value);
    await assert.rejects(redlock.acquire(['locks:report'], 10_000), ExecutionError);
    const extended = await lock.extend(20_000);
    const ttl = await redis.pttl('locks:report');
    assert.ok(ttl > 10_000 && ttl <= 20_000, `pttl ${ttl} after extending to 20 s`);
    await extended.release();
    assert.equal(await redis.exists('locks:report'), 0);
    const again = await redlock.acquire(['locks:report'], 1_000);
    await again.release();
  });

  test('a lock taken over by someone else is not released by its former holder', async () => {
    const redlock = new Redlock([redis], { retryCount: 0 });
    const lock = await redlock.acquire(['locks:job'], 10_000);
    await redis.set('locks:job', 'someone-else');
    await assert.rejects(lock.release(), ExecutionError);
    assert.equal(await redis.get('locks:job'), 'someone-else');
  });
});

describe('rate-limiter-flexible', () => {
  test('RateLimiterRedis: points consumed within the duration, then rejected with the time to wait', async () => {
    const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: 'rl', points: 3, duration: 10 });
    for (let i = 1; i <= 3; i++) {
      const res = await limiter.consume('client-1');
      assert.equal(res.remainingPoints, 3 - i);
    }
    const refused = await limiter.consume('client-1').then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(refused instanceof RateLimiterRes, `rejected with ${String(refused)}`);
    assert.equal(refused.remainingPoints, 0);
    assert.ok(refused.msBeforeNext > 0 && refused.msBeforeNext <= 10_000);
    const other = await limiter.consume('client-2');
    assert.equal(other.remainingPoints, 2);
    assert.ok((await redis.pttl('rl:client-1')) > 0);
  });
});
