/**
 * Client-side caching against redis-server 7.0: CLIENT TRACKING in every mode, with RESP3 pushes
 * and the RESP2 redirect channel, the invalidation of every write path, CLIENT CACHING, the
 * tracking table's limit, and node-redis's client-side cache end to end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BasicClientSideCache, createClient } from 'redis';
import { DiffPair, type Step } from '../support/diff.js';
import { RawClient, type Reply } from '../support/raw-client.js';
import { skipWithoutRedis, startTsredis } from '../support/servers.js';

/** The payload of a non-null reply. */
function payload(r: Reply): unknown {
  return (r.value as { value?: unknown }).value;
}

/** A read of the push (or reply) that arrives on connection 1 after another connection's write. */
const push: Step = { read: 1 };

describe('CLIENT TRACKING: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('default mode: reads tracked, one invalidation per change, then forgotten', () =>
    pair.run([
      'HELLO 3',
      'CLIENT TRACKING ON',
      'SET a 1',
      'GET a',
      'MGET b c',
      { cmd: 'SET a 2', conn: 2 },
      push,
      { cmd: 'SET a 3', conn: 2 },
      { cmd: 'DEL b c', conn: 2 },
      push,
      push,
      'GET a',
      // The client's own write: the push comes after its reply.
      'SET a 4',
      push,
      'HGETALL h',
      'MULTI',
      'HSET h f v',
      'GET a',
      'EXEC',
      push,
      { cmd: 'INCR a', conn: 2 },
      push,
      'CLIENT TRACKINGINFO',
      'CLIENT GETREDIR',
      'CLIENT TRACKING OFF',
      'CLIENT TRACKINGINFO',
      'CLIENT GETREDIR',
    ]));

  test('NOLOOP, OPTIN / OPTOUT with CLIENT CACHING', () =>
    pair.run([
      'HELLO 3',
      'CLIENT TRACKING ON NOLOOP',
      'GET k',
      'SET k 1',
      { cmd: 'SET k 2', conn: 2 },
      'GET k',
      { cmd: 'SET k 3', conn: 2 },
      push,
      'CLIENT TRACKING OFF',
      'CLIENT TRACKING ON OPTIN',
      'GET x',
      { cmd: 'SET x 1', conn: 2 },
      'CLIENT CACHING YES',
      'CLIENT TRACKINGINFO',
      'GET y',
      'GET z',
      { cmd: 'SET z 1', conn: 2 },
      { cmd: 'SET y 1', conn: 2 },
      push,
      'CLIENT CACHING NO',
      'CLIENT TRACKING ON OPTOUT',
      'CLIENT TRACKING OFF',
      'CLIENT TRACKING ON OPTOUT',
      'CLIENT CACHING NO',
      'GET p',
      'GET q',
      { cmd: 'MSET p 1 q 1', conn: 2 },
      push,
      'CLIENT CACHING YES',
      'CLIENT CACHING maybe',
      'CLIENT TRACKING OFF',
      'CLIENT CACHING YES',
    ]));

  test('BCAST with prefixes: keys of a turn in one message, NOLOOP', () =>
    pair.run([
      'HELLO 3',
      'CLIENT TRACKING ON BCAST PREFIX user: PREFIX item:',
      'CLIENT TRACKINGINFO',
      { cmd: 'MSET user:2 a user:1 b other x item:9 c', conn: 2 },
      push,
      push,
      'CLIENT TRACKING ON BCAST PREFIX us',
      'CLIENT TRACKING ON BCAST PREFIX a PREFIX ab',
      'CLIENT TRACKING ON BCAST PREFIX zz',
      'CLIENT TRACKINGINFO',
      'CLIENT TRACKING OFF',
      'CLIENT TRACKING ON BCAST NOLOOP',
      'SET mine 1',
      { cmd: 'SET theirs 1', conn: 2 },
      push,
      'CLIENT TRACKING ON',
      'CLIENT TRACKING OFF',
      'CLIENT TRACKING ON PREFIX a',
      'CLIENT TRACKING ON BCAST OPTIN',
      'CLIENT TRACKING ON OPTIN OPTOUT',
      'CLIENT TRACKING ON REDIRECT 999999',
      'CLIENT TRACKING ON REDIRECT abc',
      'CLIENT TRACKING ON NOPE',
      'CLIENT TRACKING MAYBE',
      'CLIENT TRACKING',
      'CLIENT CACHING',
    ]));

  test('FLUSHDB and FLUSHALL send a null invalidation; expired and evicted keys are invalidated', () =>
    pair.run([
      'HELLO 3',
      'CLIENT TRACKING ON',
      'GET f',
      { cmd: 'FLUSHDB', conn: 2 },
      push,
      { cmd: 'SET f 1', conn: 2 },
      'GET f',
      'FLUSHALL',
      push,
      // Long enough that GET still finds it on a loaded machine.
      'SET e 1 PX 400',
      'GET e',
      { cmd: 'DEBUG SLEEP 0.5', conn: 2 },
      { cmd: 'GET e', conn: 2 },
      push,
      'SET s 1',
      'GET s',
      { cmd: 'SWAPDB 0 1', conn: 2 },
      { cmd: 'SWAPDB 0 1', conn: 2 },
      { cmd: 'SET s 2', conn: 2 },
      push,
      'HELLO 2',
      'CLIENT TRACKING ON',
      'GET r',
      { cmd: 'SET r 1', conn: 2 },
      'PING',
    ]));

  test('a script reads for its caller; RESET turns tracking off', () =>
    pair.run([
      'HELLO 3',
      'CLIENT TRACKING ON',
      'EVAL "return redis.call(\'GET\', KEYS[1])" 1 s1',
      { cmd: 'SET s1 x', conn: 2 },
      push,
      'EVAL_RO "return redis.call(\'GET\', KEYS[1])" 1 s2',
      { cmd: 'SET s2 x', conn: 2 },
      push,
      'RESET',
      'CLIENT TRACKINGINFO',
    ]));
});

describe('CLIENT TRACKING REDIRECT like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  /** Runs the scenario on one server and returns every byte each connection received, in order. */
  async function scenario(port: number, redirectResp: 2 | 3): Promise<string[]> {
    const tracker = await RawClient.connect(port);
    const sink = await RawClient.connect(port);
    const writer = await RawClient.connect(port);
    const seen: string[] = [];
    const call = async (c: RawClient, argv: string[]) =>
      seen.push((await c.call(argv)).raw.toString('latin1'));
    try {
      if (redirectResp === 3) await call(sink, ['HELLO', '3']).then(() => seen.pop());
      const sinkId = String(payload(await sink.call(['CLIENT', 'ID'])));
      if (redirectResp === 2) await call(sink, ['SUBSCRIBE', '__redis__:invalidate']);
      await call(tracker, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', sinkId]);
      await call(tracker, ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', sinkId, 'REDIRECT', sinkId]);
      seen.push(
        String(payload(await tracker.call(['CLIENT', 'GETREDIR']))) === sinkId ? 'getredir ok' : 'bad',
      );
      await call(tracker, ['GET', 'k']);
      await call(writer, ['SET', 'k', '1']);
      seen.push((await sink.read()).raw.toString('latin1'));
      await call(tracker, ['GET', 'k']);
      await call(writer, ['FLUSHALL']);
      seen.push((await sink.read()).raw.toString('latin1'));
      // The redirect target goes away: a RESP3 tracker is told once per invalidation, flag R.
      await call(tracker, ['HELLO', '3']).then(() => seen.pop());
      await call(tracker, ['GET', 'k']);
      sink.close();
      await call(writer, ['PING']);
      await call(writer, ['SET', 'k', '2']);
      seen.push((await tracker.read()).raw.toString('latin1'));
      const list = payload(await tracker.call(['CLIENT', 'INFO'])) as Buffer;
      seen.push(/flags=(\S+)/.exec(list.toString())?.[1] ?? '?');
      await call(tracker, ['CLIENT', 'TRACKINGINFO']);
      return seen;
    } finally {
      tracker.close();
      writer.close();
    }
  }

  for (const resp of [2, 3] as const) {
    test(`to a RESP${resp} connection`, async () => {
      const [redis, ts] = await Promise.all([scenario(pair.redis.port, resp), scenario(pair.ts.port, resp)]);
      assert.deepEqual(
        ts.map((s) => s.replace(/:\d+\r\n$/, ':<id>\r\n')),
        redis.map((s) => s.replace(/:\d+\r\n$/, ':<id>\r\n')),
      );
    });
  }
});

describe('tracking-table-max-keys and INFO', () => {
  test('the table stays within the limit; dropped keys are invalidated', async () => {
    const server = await startTsredis({ config: { 'tracking-table-max-keys': '10' } });
    const c = await RawClient.connect(server.port);
    try {
      await c.call(['HELLO', '3']);
      await c.call(['CLIENT', 'TRACKING', 'ON']);
      await c.call(['MGET', ...Array.from({ length: 50 }, (_, i) => `k${i}`)]);
      let invalidated = 0;
      /** A command's reply, counting the invalidation pushes that arrive before it. */
      const reply = async (argv: string[]): Promise<string> => {
        c.send(argv);
        for (;;) {
          const r = await c.read();
          if (r.value.type !== 'push') return (payload(r) as Buffer).toString();
          invalidated++;
        }
      };
      await reply(['PING']);
      const stats = await reply(['INFO', 'stats']);
      assert.ok(Number(/tracking_total_keys:(\d+)/.exec(stats)?.[1]) <= 10, stats);
      assert.match(stats, /tracking_total_items:\d+/);
      assert.ok(invalidated >= 40, `${invalidated} dropped keys invalidated`);
      assert.match(await reply(['INFO', 'clients']), /tracking_clients:1/);
    } finally {
      c.close();
      await server.stop();
    }
  });
});

describe('node-redis client-side cache against tsredis', () => {
  test('a cached GET is invalidated by another client’s write', async () => {
    const server = await startTsredis();
    const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
    const reader = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: 3, clientSideCache: cache });
    const writer = createClient({ url: `redis://127.0.0.1:${server.port}` });
    try {
      await Promise.all([reader.connect(), writer.connect()]);
      await writer.set('cached', 'one');
      assert.equal(await reader.get('cached'), 'one');
      assert.equal(await reader.get('cached'), 'one');
      assert.equal(cache.stats().hitCount, 1, 'the second GET came from the cache');
      const invalidated = new Promise<void>((resolve) => cache.once('invalidate', () => resolve()));
      await writer.set('cached', 'two');
      await invalidated;
      assert.equal(await reader.get('cached'), 'two');
    } finally {
      await Promise.allSettled([reader.quit(), writer.quit()]);
      await server.stop();
    }
  });
});
