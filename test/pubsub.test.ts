import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../src/index.js';
import { DiffPair } from './support/diff.js';
import { RawClient } from './support/raw-client.js';
import { skipWithoutRedis } from './support/servers.js';

describe('pub/sub: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('SUBSCRIBE, PUBLISH, message delivery, UNSUBSCRIBE', () =>
    pair.run([
      { cmd: 'SUBSCRIBE ch1 ch2', conn: 2 },
      { read: 2 },
      'PUBLISH ch1 hello',
      { read: 2 },
      'PUBLISH nobody x',
      { cmd: 'UNSUBSCRIBE ch1', conn: 2 },
      'PUBLISH ch1 again',
      'PUBSUB NUMSUB ch1 ch2 ch3',
      'PUBSUB CHANNELS',
      'PUBSUB CHANNELS ch*',
      { cmd: 'UNSUBSCRIBE', conn: 2 },
      { cmd: 'UNSUBSCRIBE', conn: 2 },
    ]));

  test('PSUBSCRIBE and pmessage, PUBSUB NUMPAT', () =>
    pair.run([
      { cmd: 'PSUBSCRIBE news.* x?', conn: 2 },
      { read: 2 },
      'PUBSUB NUMPAT',
      'PUBLISH news.today hi',
      { read: 2 },
      { cmd: 'PUNSUBSCRIBE', conn: 2 },
      { read: 2 },
      { cmd: 'PUNSUBSCRIBE', conn: 2 },
    ]));

  test('RESP2 subscribe-mode restrictions; PING in subscribe mode', () =>
    pair.run(['SUBSCRIBE ch', 'GET k', 'PING', 'PING hi', 'SET k v', 'QUIT']));

  test('RESP3: push messages and commands allowed while subscribed', () =>
    pair.run([
      { cmd: 'HELLO 3', compare: 'type' },
      'SUBSCRIBE ch',
      'GET k',
      'PING',
      { cmd: 'PUBLISH ch m', conn: 2 },
      { read: 1 },
      'PUBSUB NUMSUB ch',
      'UNSUBSCRIBE ch',
    ]));

  test('PUBSUB HELP and errors', () =>
    pair.run(['PUBSUB HELP', 'PUBSUB', 'PUBSUB FOO', 'PUBLISH a', 'SUBSCRIBE']));
});

describe('keyspace notifications', () => {
  test('K and E events for a SET, DEL and expiry', async () => {
    const srv = await startServer({ config: { 'notify-keyspace-events': 'KEA' } });
    const sub = await RawClient.connect(srv.port);
    const c = await RawClient.connect(srv.port);
    try {
      await sub.call('PSUBSCRIBE __key*@0__:*');
      await c.call('SET k v');
      const events: string[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await sub.read();
        const parts = (r.value as { value: Array<{ value: Buffer }> }).value.map((x) => x.value.toString());
        events.push(`${parts[2]} ${parts[3]}`);
      }
      assert.deepEqual(events.sort(), ['__keyevent@0__:set k', '__keyspace@0__:k set']);
    } finally {
      sub.close();
      c.close();
      await srv.stop();
    }
  });
});
