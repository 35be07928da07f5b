import { after, before, describe, test } from 'node:test';
import { type ReplyMap, runBlockingScript as run } from '../support/blocking-script.js';
import { DiffPair } from '../support/diff.js';
import { skipWithoutRedis } from '../support/servers.js';

/** The command names of a SLOWLOG GET reply, newest first. */
const slowlogNames: ReplyMap = (raw) =>
  [...raw.matchAll(/\*\d+\r\n\$\d+\r\n([a-zA-Z]+)\r\n/g)].map((m) => m[1].toLowerCase()).join(',');

/** cmdstat_<name>:calls=N for the given commands. */
const callCounts =
  (...names: string[]): ReplyMap =>
  (raw) =>
    names.map((n) => new RegExp(`cmdstat_${n}:calls=\\d+`).exec(raw)?.[0] ?? `${n}:none`).join(' ');

describe('blocking list commands: differential against redis-server 7.0', {
  skip: skipWithoutRedis(),
}, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('BLPOP and BRPOP are served by a push from another connection', () =>
    run(pair, [
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH k a b c',
      { read: 2 },
      { blocked: 0 },
      'LRANGE k 0 -1',
      { cmd: 'BRPOP missing k2 0', conn: 2, noWait: true },
      { blocked: 1 },
      'LPUSH k2 x y',
      { read: 2 },
      'LRANGE k2 0 -1',
      { cmd: 'BLPOP dup dup 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH dup 1',
      { read: 2 },
      'EXISTS dup',
    ]));

  test('waiters are served first blocked, first served', () =>
    run(pair, [
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      { cmd: 'BRPOP k other 0', conn: 3, noWait: true },
      { blocked: 2 },
      'RPUSH k only',
      { read: 2 },
      { silent: 3 },
      { blocked: 1 },
      'RPUSH k a b c',
      { read: 3 },
      'LRANGE k 0 -1',
      { cmd: 'BLPOP q 0', conn: 2, noWait: true },
      { blocked: 1 },
      { cmd: 'BLPOP q 0', conn: 3, noWait: true },
      { blocked: 2 },
      'RPUSH q 1 2 3',
      { read: 2 },
      { read: 3 },
      'LRANGE q 0 -1',
    ]));

  test('timeouts reply a null array, in RESP2 and RESP3', () =>
    run(pair, [
      { cmd: 'BLPOP k 0.05', conn: 2 },
      { cmd: 'BRPOP k 0.01', conn: 2 },
      { cmd: 'BLMOVE k d LEFT LEFT 0.01', conn: 2 },
      { cmd: 'BRPOPLPUSH k d 0.01', conn: 2 },
      { cmd: 'BLMPOP 0.01 1 k LEFT', conn: 2 },
      { cmd: 'BLPOP k 0.0001', conn: 2 },
      { cmd: 'BLPOP k 1e-400', conn: 2 },
      { cmd: 'HELLO 3', conn: 2, ignore: true },
      { cmd: 'BLPOP k 0.01', conn: 2 },
      { cmd: 'BLMOVE k d LEFT LEFT 0.01', conn: 2 },
      { cmd: 'BLMPOP 0.01 1 k LEFT COUNT 2', conn: 2 },
      'EXISTS k d',
    ]));

  test('timeouts in seconds that wait forever', () =>
    run(pair, [
      { cmd: 'BLPOP k -0.001', conn: 2, noWait: true },
      { cmd: 'BLPOP k -0', conn: 3, noWait: true },
      { blocked: 2 },
      'RPUSH k a b',
      { read: 2 },
      { read: 3 },
      { cmd: 'BLPOP k 9223372036854775', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH k c',
      { read: 2 },
    ]));

  test('BLMOVE and BRPOPLPUSH are served and feed the next waiter', () =>
    run(pair, [
      { cmd: 'BLMOVE src dst LEFT RIGHT 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH src a b',
      { read: 2 },
      'LRANGE src 0 -1',
      'LRANGE dst 0 -1',
      'DEL src dst',
      { cmd: 'BRPOPLPUSH src dst 0', conn: 2, noWait: true },
      { blocked: 1 },
      { cmd: 'BLPOP dst 0', conn: 3, noWait: true },
      { blocked: 2 },
      'RPUSH src x y',
      { read: 2 },
      { read: 3 },
      'LRANGE src 0 -1',
      'EXISTS dst',
      { cmd: 'BLMOVE r r LEFT RIGHT 0', conn: 2, noWait: true },
      { blocked: 1 },
      { cmd: 'BLPOP r 0', conn: 3, noWait: true },
      { blocked: 2 },
      'RPUSH r only',
      { read: 2 },
      { read: 3 },
      'EXISTS r',
    ]));

  test('BLMOVE whose destination holds another type gets WRONGTYPE', () =>
    run(pair, [
      'SET dst string',
      { cmd: 'BLMOVE src dst LEFT LEFT 0', conn: 2, noWait: true },
      { blocked: 1 },
      { cmd: 'BLPOP src 0', conn: 3, noWait: true },
      { blocked: 2 },
      'RPUSH src a',
      { read: 2 },
      { read: 3 },
      'EXISTS src',
      'GET dst',
    ]));

  test('BLMPOP is served with COUNT from the side asked', () =>
    run(pair, [
      { cmd: 'BLMPOP 0 2 a b RIGHT COUNT 2', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH b 1 2 3',
      { read: 2 },
      'LRANGE b 0 -1',
      { cmd: 'BLMPOP 0 1 b LEFT COUNT 5', conn: 2, noWait: true },
      { blocked: 0 },
      { read: 2 },
      { cmd: 'BLMPOP 0 1 c LEFT', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH c x y',
      { read: 2 },
      'LRANGE c 0 -1',
    ]));

  test('a push inside MULTI serves waiters after EXEC', () =>
    run(pair, [
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'MULTI',
      'RPUSH k a b',
      'LRANGE k 0 -1',
      'EXEC',
      { read: 2 },
      'LRANGE k 0 -1',
      'DEL k',
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'MULTI',
      'RPUSH k a',
      'LPOP k',
      'EXEC',
      { silent: 2 },
      { blocked: 1 },
      'RPUSH k later',
      { read: 2 },
    ]));

  test('blocking commands inside MULTI do not block', () =>
    run(pair, [
      'MULTI',
      'BLPOP empty 0',
      'BRPOP empty 0',
      'BLMOVE empty x LEFT LEFT 0',
      'BRPOPLPUSH empty x 0',
      'BLMPOP 0 1 empty LEFT',
      'RPUSH full a b c d',
      'BLPOP full 0',
      'BLMOVE full x RIGHT LEFT 0',
      'BLMPOP 0 1 full LEFT COUNT 5',
      'EXEC',
      'EXISTS x full',
      { cmd: 'HELLO 3', ignore: true },
      'MULTI',
      'BLPOP empty 0',
      'BLMOVE empty x LEFT LEFT 0',
      'EXEC',
    ]));

  test('a waited-on key deleted or given another type leaves the waiter blocked', () =>
    run(pair, [
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'MULTI',
      'RPUSH k a',
      'DEL k',
      'EXEC',
      'SET k string',
      'MULTI',
      'DEL k',
      'RPUSH k b',
      'DEL k',
      'SET k other',
      'EXEC',
      'HSET h f v',
      'RENAME h k',
      { silent: 2 },
      { blocked: 1 },
      'DEL k',
      'RPUSH k c',
      { read: 2 },
      'EXISTS k',
    ]));

  test('CLIENT UNBLOCK with TIMEOUT and ERROR', () =>
    run(pair, [
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'CLIENT UNBLOCK {id2}',
      { read: 2 },
      { blocked: 0 },
      'CLIENT UNBLOCK {id2}',
      { cmd: 'BLMOVE k d LEFT LEFT 0', conn: 2, noWait: true },
      { blocked: 1 },
      'CLIENT UNBLOCK {id2} timeout',
      { read: 2 },
      { cmd: 'BLMPOP 0 1 k RIGHT', conn: 2, noWait: true },
      { blocked: 1 },
      'CLIENT UNBLOCK {id2} ERROR',
      { read: 2 },
      'CLIENT UNBLOCK {id3} ERROR',
      'CLIENT UNBLOCK 999999',
      'CLIENT UNBLOCK {id2} BAD',
      'CLIENT UNBLOCK abc',
      'CLIENT UNBLOCK abc bad',
      'CLIENT UNBLOCK 1 2 3',
      'CLIENT UNBLOCK',
      { cmd: 'PING', conn: 2 },
    ]));

  test('commands pipelined after a blocking command run once it is served', () =>
    run(pair, [
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { cmd: 'RPUSH k mine', conn: 2, noWait: true },
      { cmd: 'LLEN k', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH k theirs',
      { read: 2 },
      { read: 2 },
      { read: 2 },
      'LRANGE k 0 -1',
    ]));

  test('a client that disconnects while blocked is forgotten', () =>
    run(pair, [
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      { close: 2 },
      { blocked: 0 },
      { cmd: 'BLPOP k 0', conn: 3, noWait: true },
      { blocked: 1 },
      'RPUSH k a b',
      { read: 3 },
      'LRANGE k 0 -1',
    ]));

  test('waiters only see keys of their own database', () =>
    run(pair, [
      { cmd: 'SELECT 1', conn: 2 },
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH k in-db0',
      { silent: 2 },
      'SELECT 1',
      'RPUSH k in-db1',
      { read: 2 },
      'EXISTS k',
      'SELECT 0',
      'LRANGE k 0 -1',
    ]));

  test('keyspace events of a served BLPOP and BLMOVE', () =>
    run(pair, [
      'CONFIG SET notify-keyspace-events KEA',
      { cmd: 'PSUBSCRIBE __keyevent*', conn: 3 },
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH k a',
      { read: 2 },
      { read: 3 },
      { read: 3 },
      { read: 3 },
      { cmd: 'BLMOVE s d LEFT RIGHT 0', conn: 2, noWait: true },
      { blocked: 1 },
      'LPUSH s x',
      { read: 2 },
      { read: 3 },
      { read: 3 },
      { read: 3 },
      { read: 3 },
      'CONFIG SET notify-keyspace-events ""',
      { silent: 3 },
    ]));

  test('a blocked command is counted when called and logged to the slowlog when unblocked', () =>
    run(pair, [
      'CONFIG SET slowlog-log-slower-than 0',
      'CONFIG RESETSTAT',
      'SLOWLOG RESET',
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      { cmd: 'INFO commandstats', map: callCounts('blpop') },
      'RPUSH k a',
      { read: 2 },
      { cmd: 'BLMOVE k d LEFT LEFT 0.01', conn: 2 },
      { cmd: 'INFO commandstats', map: callCounts('blpop', 'blmove', 'rpush') },
      { cmd: 'SLOWLOG GET', map: slowlogNames },
      'CONFIG SET slowlog-log-slower-than 10000',
    ]));

  test('served replies in RESP3', () =>
    run(pair, [
      { cmd: 'HELLO 3', conn: 2, ignore: true },
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH k a',
      { read: 2 },
      { cmd: 'BLMPOP 0 1 k LEFT COUNT 3', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH k a b',
      { read: 2 },
      { cmd: 'BLMOVE k d LEFT LEFT 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH k c',
      { read: 2 },
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'CLIENT UNBLOCK {id2}',
      { read: 2 },
    ]));

  // RENAME, MOVE, COPY and SWAPDB create keys like Redis's dbAdd and wake waiters.
  test('keys created by RENAME, MOVE, COPY and SWAPDB serve waiters', () =>
    run(pair, [
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH tmp a',
      'RENAME tmp k',
      { read: 2 },
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH src b',
      'COPY src k',
      { read: 2 },
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'SELECT 1',
      'RPUSH k c',
      'MOVE k 0',
      { read: 2 },
      { cmd: 'SELECT 1', conn: 2 },
      { cmd: 'BLPOP k 0', conn: 2, noWait: true },
      { blocked: 1 },
      'SELECT 0',
      'RPUSH k d',
      'SWAPDB 0 1',
      { read: 2 },
    ]));
});
