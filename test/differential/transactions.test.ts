import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock, startServer } from '../../src/index.js';
import { DiffPair } from '../support/diff.js';
import { RawClient, type Reply } from '../support/raw-client.js';
import { skipWithoutRedis } from '../support/servers.js';

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

  // Redis's rejectCommand: a rejected EXEC is an EXECABORT that discards the transaction (and the
  // WATCHes), with the reason's own code kept and a plain ERR's "ERR " dropped.
  test('EXEC with a wrong number of arguments aborts and discards MULTI', () =>
    pair.run([
      'MULTI',
      'SET a 1',
      'EXEC foo',
      'EXEC',
      'GET a',
      'EXEC foo bar',
      'WATCH w',
      'EXEC foo',
      { cmd: 'SET w 1', conn: 2 },
      'MULTI',
      'PING',
      'EXEC',
      'MULTI',
      'DISCARD x',
      'EXEC',
    ]));

  test('EXEC rejected in subscribe mode and without authentication', () =>
    pair.run([
      'SUBSCRIBE ch',
      'EXEC',
      'EXEC foo',
      'UNSUBSCRIBE',
      'EXEC',
      'CONFIG SET requirepass pw',
      'RESET',
      'EXEC',
      'EXEC x',
      'MULTI',
      'AUTH pw',
      'MULTI',
      'EXEC',
      'CONFIG SET requirepass ""',
    ]));

  test('EXEC rejected by READONLY, MASTERDOWN and NOREPLICAS', () =>
    pair.run([
      'MULTI',
      'SET x 1',
      { cmd: 'REPLICAOF 127.0.0.1 1', conn: 2 },
      'EXEC',
      'EXEC',
      'MULTI',
      'GET x',
      { cmd: 'CONFIG SET replica-serve-stale-data no', conn: 2 },
      'EXEC',
      'MULTI',
      'PING',
      'EXEC',
      { cmd: 'CONFIG SET replica-serve-stale-data yes', conn: 2 },
      { cmd: 'REPLICAOF NO ONE', conn: 2 },
      'MULTI',
      'SET x 1',
      { cmd: 'CONFIG SET min-replicas-to-write 1', conn: 2 },
      'EXEC',
      { cmd: 'CONFIG SET min-replicas-to-write 0', conn: 2 },
      'GET x',
    ]));

  test('OOM: EXEC of a queued denyoom command aborts; inside MULTI every command is refused', () =>
    pair.run([
      'MULTI',
      'SET x 1',
      { cmd: 'CONFIG SET maxmemory 1', conn: 2 },
      'EXEC',
      'EXEC',
      'MULTI',
      'GET x',
      'PING',
      'DEL x',
      'EXEC',
      'MULTI',
      'DISCARD',
      { cmd: 'CONFIG SET maxmemory 0', conn: 2 },
      'MULTI',
      'GET x',
      { cmd: 'CONFIG SET maxmemory 1', conn: 2 },
      'EXEC',
      { cmd: 'CONFIG SET maxmemory 0', conn: 2 },
      'GET x',
    ]));

  test('MONITOR sees the EXEC of an aborted transaction', () =>
    pair.run([
      { cmd: 'MONITOR', conn: 2 },
      'MULTI',
      'SET a 1',
      'EXEC foo',
      { read: 2, compare: sameMonitorLine },
      { read: 2, compare: sameMonitorLine },
    ]));
});

/** MONITOR lines without their timestamp and client address. */
function sameMonitorLine(redis: Reply, ts: Reply): string | null {
  const strip = (r: Reply) => r.raw.toString('latin1').replace(/^\+\d+\.\d+ \[\d+ [^\]]+\] /, '');
  return strip(redis) === strip(ts) ? null : 'different monitor lines';
}

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

describe('WATCH and keys already expired at WATCH time: differential', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({ config: { 'enable-debug-command': 'yes' } });
  });
  after(() => pair.stop());

  // Active expiry off, so an expired key stays in the db until something touches it; DEBUG SLEEP
  // lets the server's clock pass the TTL.
  const expiredKey = (key: string, conn: 1 | 2 = 1) => [
    { cmd: 'DEBUG SET-ACTIVE-EXPIRE 0', conn },
    { cmd: `SET ${key} v PX 1`, conn },
    { cmd: 'DEBUG SLEEP 0.01', conn },
  ];
  const execPing = ['MULTI', 'PING', 'EXEC'];

  test('DEL, FLUSHDB and FLUSHALL of an expired watched key leave EXEC alone', () =>
    pair.run([
      ...expiredKey('k'),
      'WATCH k',
      { cmd: 'DEL k', conn: 2 },
      ...execPing,
      ...expiredKey('k'),
      'WATCH k',
      { cmd: 'FLUSHDB', conn: 2 },
      ...execPing,
      ...expiredKey('k'),
      'WATCH k',
      { cmd: 'FLUSHALL', conn: 2 },
      ...execPing,
      'DEBUG SET-ACTIVE-EXPIRE 1',
    ]));

  test('writing an expired watched key aborts EXEC', () =>
    pair.run([
      ...expiredKey('k'),
      'WATCH k',
      { cmd: 'SET k new', conn: 2 },
      ...execPing,
      'GET k',
      'DEBUG SET-ACTIVE-EXPIRE 1',
    ]));

  test('SWAPDB: an expired key swapped away or in stays a non-change; a live key swapped in is one', () =>
    pair.run([
      ...expiredKey('k'),
      'WATCH k',
      { cmd: 'SWAPDB 0 1', conn: 2 },
      ...execPing,
      { cmd: 'FLUSHALL', conn: 2 },
      { cmd: 'SELECT 1', conn: 2 },
      ...expiredKey('m', 2),
      'WATCH m',
      { cmd: 'SWAPDB 0 1', conn: 2 },
      ...execPing,
      { cmd: 'FLUSHALL', conn: 2 },
      { cmd: 'SET live 1', conn: 2 },
      ...expiredKey('live'),
      'WATCH live',
      { cmd: 'SWAPDB 0 1', conn: 2 },
      ...execPing,
      'DEBUG SET-ACTIVE-EXPIRE 1',
    ]));
});
