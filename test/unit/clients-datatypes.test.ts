/**
 * The issue-3 data structures through real clients: ioredis and node-redis (RESP2 and RESP3),
 * with pub/sub (including RESP3 push messages and keyspace notifications), a blocking pop woken
 * by another connection, transactions and the collection commands applications use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { RunningServer } from '../../src/index.js';
import { startTsredis } from '../support/servers.js';

let server: RunningServer;
before(async () => {
  server = await startTsredis({ config: { 'notify-keyspace-events': 'KEA' } });
});
after(() => server.stop());

function once<T>(register: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise((resolve) => register(resolve));
}

describe('ioredis', () => {
  let a: Redis;
  let b: Redis;
  before(() => {
    a = new Redis({ port: server.port, host: '127.0.0.1' });
    b = new Redis({ port: server.port, host: '127.0.0.1' });
  });
  after(() => {
    a.disconnect();
    b.disconnect();
  });

  test('pub/sub: channel and pattern messages, then back to normal mode', async () => {
    const sub = a.duplicate();
    await sub.subscribe('news');
    await sub.psubscribe('n*');
    const got = once<string[]>((resolve) => {
      const seen: string[] = [];
      const done = () => seen.length === 2 && resolve(seen.sort());
      sub.on('message', (ch, msg) => {
        seen.push(`message ${ch} ${msg}`);
        done();
      });
      sub.on('pmessage', (p, ch, msg) => {
        seen.push(`pmessage ${p} ${ch} ${msg}`);
        done();
      });
    });
    assert.equal(await b.publish('news', 'hello'), 2);
    assert.deepEqual(await got, ['message news hello', 'pmessage n* news hello']);
    await sub.unsubscribe('news');
    await sub.punsubscribe('n*');
    assert.equal(await sub.ping(), 'PONG');
    sub.disconnect();
  });

  test('keyspace notifications for an expiry', async () => {
    const sub = a.duplicate();
    await sub.subscribe('__keyevent@0__:expired');
    const expired = once<string>((resolve) => sub.on('message', (_ch, key) => resolve(key)));
    await b.set('short-lived', 'x', 'PX', 20);
    assert.equal(await expired, 'short-lived');
    sub.disconnect();
  });

  test('a BLPOP is served by a push from another connection; MULTI/EXEC', async () => {
    const blocked = a.blpop('jobs', 0);
    await b.rpush('jobs', 'job-1');
    assert.deepEqual(await blocked, ['jobs', 'job-1']);
    const results = await b.multi().incr('n').lpush('l', 'x').hset('h', 'f', 'v').zadd('z', 1, 'm').exec();
    assert.deepEqual(results, [
      [null, 1],
      [null, 1],
      [null, 1],
      [null, 1],
    ]);
  });

  test('hashes, sets and sorted sets', async () => {
    await a.hset('user:1', { name: 'ada', visits: '1' });
    assert.equal(await a.hincrby('user:1', 'visits', 2), 3);
    assert.deepEqual(await a.hgetall('user:1'), { name: 'ada', visits: '3' });
    await a.sadd('tags', 'a', 'b', 'c');
    assert.deepEqual((await a.smembers('tags')).sort(), ['a', 'b', 'c']);
    await a.zadd('board', 10, 'x', 30, 'y', 20, 'z');
    assert.deepEqual(await a.zrevrange('board', 0, -1, 'WITHSCORES'), ['y', '30', 'z', '20', 'x', '10']);
    assert.equal(await a.zscore('board', 'z'), '20');
  });
});

for (const RESP of [2, 3] as const) {
  describe(`node-redis RESP${RESP}`, () => {
    let c: ReturnType<typeof createClient>;
    before(async () => {
      c = createClient({ socket: { host: '127.0.0.1', port: server.port }, RESP });
      await c.connect();
    });
    after(async () => {
      await c.quit();
    });

    test('pub/sub messages (RESP3: push frames on the same connection style)', async () => {
      const sub = c.duplicate();
      await sub.connect();
      const got = once<string>((resolve) => {
        void sub.subscribe('ch', (message) => resolve(message));
      });
      await waitForSubscribers(c, 'ch');
      assert.equal(await c.publish('ch', 'payload'), 1);
      assert.equal(await got, 'payload');
      await sub.quit();
    });

    test('collections and a blocking pop', async () => {
      await c.del(['q', 'h2', 'z2', 's2']);
      const popper = c.duplicate();
      await popper.connect();
      const popped = popper.blPop('q', 0);
      await c.rPush('q', 'v');
      assert.deepEqual(await popped, { key: 'q', element: 'v' });
      await popper.quit();
      await c.hSet('h2', { a: '1', b: '2' });
      assert.deepEqual({ ...(await c.hGetAll('h2')) }, { a: '1', b: '2' });
      await c.zAdd('z2', [
        { score: 1.5, value: 'one' },
        { score: 2.5, value: 'two' },
      ]);
      assert.equal(Number(await c.zScore('z2', 'two')), 2.5);
      assert.equal(await c.sAdd('s2', ['x', 'y']), 2);
      assert.equal(await c.sCard('s2'), 2);
    });
  });
}

async function waitForSubscribers(
  c: { pubSubNumSub(ch: string): Promise<Record<string, number>> },
  channel: string,
) {
  for (;;) {
    const n = await c.pubSubNumSub(channel);
    if (Object.values(n)[0] >= 1) return;
  }
}
