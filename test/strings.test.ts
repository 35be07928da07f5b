import { after, before, describe, test } from 'node:test';
import { DiffPair } from './support/diff.js';
import { skipWithoutRedis } from './support/servers.js';

describe('strings: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('SET and GET with options', () =>
    pair.run([
      'SET k v',
      'GET k',
      'GET missing',
      'SET k v2 NX',
      'SET k v3 XX',
      'SET k v4 XX NX',
      'SET k v EX 0',
      'SET k v PX -5',
      'SET k v EX abc',
      'SET k v BOGUS',
      'SET k v GET',
      'SET nokey v GET',
      'SET k v KEEPTTL EX 10',
      'SET k v EX',
      ['SET', 'bin\x00\xffkey', '\x00\x01\x02\xfe'],
      ['GET', 'bin\x00\xffkey'],
      'GET',
      'SET k',
    ]));

  test('INCR family and overflow', () =>
    pair.run([
      'INCR n',
      'INCRBY n 10',
      'DECR n',
      'DECRBY n -5',
      'SET big 9223372036854775807',
      'INCR big',
      'SET small -9223372036854775808',
      'DECR small',
      'DECRBY n -9223372036854775808',
      'SET s abc',
      'INCR s',
      'INCRBY n abc',
      'SET lead 01',
      'INCR lead',
      'SET sp " 1"',
      'INCR sp',
    ]));

  test('MSET, MGET, APPEND, STRLEN, SETNX', () =>
    pair.run([
      'MSET a 1 b 2',
      'MGET a b c',
      'MSET a',
      'MSETNX a 1 z 2',
      'MSETNX y 1 z 2',
      'APPEND a xyz',
      'GET a',
      'STRLEN a',
      'STRLEN nope',
      'SETNX a 5',
      'SETNX q 5',
    ]));
});
