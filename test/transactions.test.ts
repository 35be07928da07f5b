import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock, startServer } from '../src/index.js';
import { DiffPair } from './support/diff.js';
import { RawClient } from './support/raw-client.js';
import { skipWithoutRedis } from './support/servers.js';

describe('MULTI/EXEC/WATCH: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('queued replies and EXEC results, runtime errors inside EXEC', () =>
    pair.run(['MULTI', 'SET txk x', 'INCR txk', 'GET txk', 'EXEC', 'GET txk']));

  test('queuing errors abort with EXECABORT', () =>
    pair.run(['MULTI', 'SET a 1', 'FOOBAR', 'GET', 'EXEC', 'GET a']));

  test('misuse: EXEC/DISCARD without MULTI, nested MULTI, WATCH inside MULTI', () =>
    pair.run(['EXEC', 'DISCARD', 'MULTI', 'MULTI', 'WATCH x', 'DISCARD', 'DISCARD']));

  test('WATCH: a change by another client makes EXEC return a null array', () =>
    pair.run([
      'WATCH wk',
      'MULTI',
      'SET wk 1',
      { cmd: 'SET wk changed-by-other-client', conn: 2 },
      'EXEC',
      'GET wk',
    ]));

  test('WATCH: own change before MULTI, UNWATCH, FLUSHALL and untouched keys', () =>
    pair.run([
      'WATCH a',
      'SET a 1',
      'MULTI',
      'GET a',
      'EXEC',
      'WATCH a',
      'UNWATCH',
      { cmd: 'SET a 2', conn: 2 },
      'MULTI',
      'GET a',
      'EXEC',
      'WATCH b',
      { cmd: 'FLUSHALL', conn: 2 },
      'MULTI',
      'PING',
      'EXEC',
      'SET c 1',
      'WATCH c',
      { cmd: 'FLUSHDB', conn: 2 },
      'MULTI',
      'PING',
      'EXEC',
      'WATCH nothing',
      'MULTI',
      'PING',
      'EXEC',
    ]));

  test('RESP3 EXEC replies and null', () =>
    pair.run([
      { cmd: 'HELLO 3', compare: 'type' },
      'MULTI',
      'SET k v',
      'GET k',
      'EXEC',
      'WATCH k',
      { cmd: 'SET k 2', conn: 2 },
      'MULTI',
      'EXEC',
    ]));
});

test('WATCH: a key that expires after WATCH aborts EXEC (Redis 7.0), one already expired does not', async () => {
  const clock = new ManualClock();
  const srv = await startServer({ clock });
  const c = await RawClient.connect(srv.port);
  try {
    await c.call('SET e 1 PX 100');
    await c.call('WATCH e');
    clock.advance(200);
    await c.call('MULTI');
    await c.call('PING');
    assert.equal(await c.callRaw('EXEC'), '*-1\r\n');
    await c.call('WATCH gone');
    await c.call('MULTI');
    await c.call('PING');
    assert.equal(await c.callRaw('EXEC'), '*1\r\n+PONG\r\n');
  } finally {
    c.close();
    await srv.stop();
  }
});
