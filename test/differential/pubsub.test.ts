import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../../src/index.js';
import { DiffPair } from '../support/diff.js';
import { RawClient } from '../support/raw-client.js';
import { skipWithoutRedis, startTsredis } from '../support/servers.js';

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
    pair.run([
      'PUBSUB HELP',
      'PUBSUB',
      'PUBSUB FOO',
      'PUBLISH a',
      'SUBSCRIBE',
      'PUBSUB CHANNELS a b',
      'PUBSUB SHARDCHANNELS a b',
      'SPUBLISH x',
      'SSUBSCRIBE',
    ]));

  test('sharded pub/sub: SSUBSCRIBE, SPUBLISH, SUNSUBSCRIBE, PUBSUB SHARD*, subscribe mode', () =>
    pair.run([
      { cmd: 'SSUBSCRIBE a b', conn: 2 },
      { read: 2 },
      { cmd: 'SUBSCRIBE c', conn: 2 },
      // Shard channels count apart from channels, but keep the client in subscribe mode.
      { cmd: 'UNSUBSCRIBE', conn: 2 },
      { cmd: 'PING', conn: 2 },
      { cmd: 'CLIENT INFO', conn: 2 },
      'SPUBLISH a hello',
      { read: 2 },
      'PUBLISH a not-to-shard-subscribers',
      'SPUBLISH nobody x',
      { cmd: 'PUBSUB SHARDCHANNELS', compare: 'unordered' },
      'PUBSUB SHARDCHANNELS a*',
      'PUBSUB SHARDNUMSUB a b z',
      'PUBSUB SHARDNUMSUB',
      'PUBSUB CHANNELS',
      { cmd: 'SUNSUBSCRIBE a', conn: 2 },
      { cmd: 'SUNSUBSCRIBE', conn: 2 },
      { cmd: 'PING', conn: 2 },
      { cmd: 'SUNSUBSCRIBE', conn: 2 },
      'PUBSUB SHARDNUMSUB a b',
      'MULTI',
      'SSUBSCRIBE x',
      'SUBSCRIBE y',
      'EXEC',
    ]));

  test('sharded pub/sub in RESP3', () =>
    pair.run([
      { cmd: 'HELLO 3', compare: 'type' },
      'SSUBSCRIBE q',
      'SPUBLISH q hi',
      { read: 1 },
      'PUBSUB SHARDNUMSUB q',
      'SUNSUBSCRIBE q r',
      { read: 1 },
    ]));

  test('pub/sub replies reach a client under CLIENT REPLY OFF and SKIP; other replies do not', () =>
    pair.run([
      { cmd: 'CLIENT REPLY OFF', conn: 2, noWait: true },
      { cmd: 'GET k', conn: 2, noWait: true },
      { cmd: 'SUBSCRIBE c1 c2', conn: 2 },
      { read: 2 },
      'PUBLISH c2 m',
      { read: 2 },
      { cmd: 'PING', conn: 2, noWait: true },
      { cmd: 'UNSUBSCRIBE c1', conn: 2 },
      { cmd: 'CLIENT REPLY SKIP', noWait: true },
      'SSUBSCRIBE s',
      'PING',
      { cmd: 'CLIENT REPLY SKIP', noWait: true },
      { cmd: 'SUNSUBSCRIBE s', compare: 'exact' },
      'PING',
    ]));
});

describe('client-output-buffer-limit for pub/sub and normal clients', () => {
  test('a subscriber that does not read is closed at the pubsub hard limit; others go on', async () => {
    const logs: string[] = [];
    const srv = await startTsredis({
      config: { 'client-output-buffer-limit': 'pubsub 1mb 512kb 60' },
      log: (l) => logs.push(l),
    });
    try {
      const sub = await RawClient.connect(srv.port);
      await sub.call('SUBSCRIBE flood');
      sub.socket.pause();
      const pub = await RawClient.connect(srv.port);
      const message = 'x'.repeat(64 * 1024);
      let receivers = 1;
      for (let i = 0; i < 400 && receivers === 1; i++) {
        const r = await pub.call(['PUBLISH', 'flood', message]);
        receivers = Number((r.value as { value: unknown }).value);
      }
      assert.equal(receivers, 0, 'the subscriber was disconnected');
      const closing =
        /Client id=\d+ addr=\S+ .* flags=P .* scheduled to be closed ASAP for overcoming of output buffer limits\./;
      assert.ok(
        logs.some((l) => closing.test(l)),
        logs.join(''),
      );
      assert.equal(await pub.callRaw('PING'), '+PONG\r\n');
      pub.close();
      sub.close();
    } finally {
      await srv.stop();
    }
  });

  test('normal clients are closed at the normal limit when one is configured', async () => {
    let closing: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      closing = resolve;
    });
    const srv = await startTsredis({
      config: { 'client-output-buffer-limit': 'normal 256kb 0 0' },
      log: (l) => {
        if (l.includes('flags=N') && l.includes('overcoming of output buffer limits')) closing();
      },
    });
    try {
      const c = await RawClient.connect(srv.port);
      await c.call(['SET', 'big', 'y'.repeat(100 * 1024)]);
      c.socket.pause();
      // More than the kernel's socket buffers absorb, so replies queue in the server.
      for (let i = 0; i < 300; i++) c.send('GET big');
      await closed;
      c.socket.resume();
      await c.waitClosed();
      const other = await RawClient.connect(srv.port);
      assert.equal(await other.callRaw('PING'), '+PONG\r\n');
      other.close();
    } finally {
      await srv.stop();
    }
  });
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
