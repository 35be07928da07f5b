/**
 * What string and bitmap commands propagate to replicas and the AOF, compared with the
 * replication stream of a real redis-server 7.0 (read through a raw SYNC connection).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DiffPair, type Step } from './support/diff.js';
import { RawClient } from './support/raw-client.js';
import { ReplicationTap } from './support/replication-tap.js';
import { skipWithoutRedis } from './support/servers.js';

const MARKER_DB = 9;

/** Absolute ms times computed from "now" differ between the servers by a little. */
function sameCommand(redis: string[], ts: string[]): boolean {
  if (redis.length !== ts.length) return false;
  return redis.every((a, i) => {
    if (a === ts[i]) return true;
    const x = Number(a);
    const y = Number(ts[i]);
    return x > 1e12 && y > 1e12 && Math.abs(x - y) < 5000;
  });
}

describe('strings: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  let tap: ReplicationTap;
  let marker: RawClient;
  let markers = 0;
  const tsOps: string[][] = [];

  before(async () => {
    pair = await DiffPair.start({ redisArgs: ['--repl-diskless-sync', 'no'] });
    pair.ts.server.propagationListeners.push((ops) => {
      for (const op of ops) if (op.db === 0) tsOps.push(op.argv);
    });
    tap = await ReplicationTap.connect(pair.redis.port, MARKER_DB);
    marker = await RawClient.connect(pair.redis.port);
    await marker.call(`SELECT ${MARKER_DB}`);
  });
  after(async () => {
    tap.close();
    marker.close();
    await pair.stop();
  });

  /** Runs the script on both servers and compares what each propagated. */
  async function propagates(steps: Step[]): Promise<void> {
    await marker.call(`SET marker ${markers}`);
    await tap.waitMarkers(++markers);
    tap.commands.length = 0;
    tsOps.length = 0;
    await pair.run(steps);
    await marker.call(`SET marker ${markers}`);
    await tap.waitMarkers(++markers);
    const redis = tap.argvs().map((c) => c.join(' '));
    const ts = tsOps.map((c) => c.join(' '));
    const same = redis.length === ts.length && tap.argvs().every((c, i) => sameCommand(c, tsOps[i]));
    assert.ok(
      same,
      `propagated commands differ\nredis:\n  ${redis.join('\n  ')}\ntsredis:\n  ${ts.join('\n  ')}`,
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
      'SET past2 v PXAT 1',
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
