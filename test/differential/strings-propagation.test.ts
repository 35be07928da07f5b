/**
 * What string and bitmap commands propagate to replicas and the AOF, compared with the
 * replication stream of a real redis-server 7.0 (read through a raw SYNC connection).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Step } from '../support/diff.js';
import { PropagationDiff, sameCommand } from '../support/propagation-diff.js';
import { skipWithoutRedis } from '../support/servers.js';

describe('strings: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let diff: PropagationDiff;
  before(async () => {
    diff = await PropagationDiff.start();
  });
  after(() => diff.stop());

  /**
   * Runs the script on both servers and compares what each propagated to db 0. When redis-server's
   * active expiry cycle happens to run between two pipelined commands, it propagates the expired
   * key's DEL on its own instead of inside the next command's MULTI/EXEC: both are Redis's
   * behaviour, so a MULTI/EXEC that redis-server did not send is then compared without its wrapper.
   */
  async function propagates(steps: Step[]): Promise<void> {
    const { redis, ts } = await diff.record(steps);
    const r = redis.filter((c) => c.db === 0).map((c) => c.argv);
    let t = ts.filter((c) => c.db === 0).map((c) => c.argv);
    const alike = (a: string[][], b: string[][]) =>
      a.length === b.length && a.every((c, i) => sameCommand(c, b[i]));
    if (!alike(r, t) && !r.some((c) => c[0] === 'MULTI'))
      t = t.filter((c) => c[0] !== 'MULTI' && c[0] !== 'EXEC');
    const same = alike(r, t);
    assert.ok(
      same,
      `propagated commands differ\nredis:\n  ${r.map((c) => c.join(' ')).join('\n  ')}\ntsredis:\n  ${t.map((c) => c.join(' ')).join('\n  ')}`,
    );
  }

  test('SET family rewrites', () =>
    propagates([
      'SET a 1',
      'SET a 2 EX 100',
      'SET a 3 PX 100000',
      'SET a 4 EXAT 4102444800',
      'SET a 5 PXAT 4102444800123',
      'SET a 6 GET',
      'SET a 7 GET get XX',
      'SET a 8 GET EX 100',
      'SET a 9 NX',
      'SET a 10 KEEPTTL',
      'SET b 1 XX',
      'SETEX c 100 v',
      'PSETEX c 100000 v',
      'SETNX c v',
      'SETNX d v',
      'MSET e 1 f 2',
      'MSETNX e 1 g 2',
      'MSETNX g 1 h 2',
      'SET a v EX 0',
      'SET past v EXAT 1',
      'GET past',
      // Sent together, so no expiry cycle runs between them: the second SET finds the key expired
      // and propagates its DEL with itself, in MULTI/EXEC.
      { cmd: 'SET past2 v PXAT 1', noWait: true },
      'SET past2 w',
    ]));

  test('GETSET, GETDEL, GETEX rewrites', () =>
    propagates([
      'SET k v',
      'GETSET k w',
      'GETSET nk w',
      'GETEX k',
      'GETEX k EX 100',
      'GETEX k PX 100000',
      'GETEX k EXAT 4102444800',
      'GETEX k PXAT 4102444800123',
      'GETEX k PERSIST',
      'GETEX k PERSIST',
      'GETEX missing EX 100',
      'GETEX k EXAT 1',
      'SET k v',
      'GETDEL k',
      'GETDEL k',
    ]));

  test('INCRBYFLOAT becomes SET KEEPTTL; in-place writes propagate as is', () =>
    propagates([
      'INCRBYFLOAT f 1.5',
      'INCRBYFLOAT f 0.1',
      'INCRBYFLOAT f abc',
      'INCR n',
      'INCRBY n 5',
      'DECRBY n 2',
      'APPEND s abc',
      'SETRANGE s 1 x',
      'SETRANGE s 1 ""',
      'SETRANGE missing 1 ""',
      'SETBIT b 3 1',
      'SETBIT b 3 1',
      'SETBIT b 3 0',
      'SETBIT b 100 0',
      'BITOP NOT d b',
      'BITOP AND d missing',
      'BITOP AND d missing',
      'BITFIELD bf SET u8 0 1 GET u8 0',
      'BITFIELD bf GET u8 0',
      'BITFIELD bf OVERFLOW FAIL INCRBY u2 0 9',
      'BITFIELD bf SET u8 0 1',
      'BITFIELD bf SET u8 0 1 INCRBY u8 0 0',
      'BITFIELD bf SET u8 0 1 INCRBY u8 0 1',
      'BITFIELD bf SET u8 16 0',
      'BITFIELD bf2 OVERFLOW FAIL SET u8 0 1000',
      'BITFIELD bf3 SET u8 0 0',
      'BITFIELD bf3 OVERFLOW WRAP SET i8 0 256',
      'BITFIELD_RO bf GET u8 0',
    ]));
});
