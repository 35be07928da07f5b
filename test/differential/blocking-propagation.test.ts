/**
 * What list commands, blocking ones included, propagate to replicas and the AOF, compared with
 * the replication stream of a real redis-server 7.0 (read through a raw SYNC connection).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type BStep, runBlockingScript } from '../support/blocking-script.js';
import { DiffPair } from '../support/diff.js';
import { ReplicationTap } from '../support/replication-tap.js';
import { skipWithoutRedis } from '../support/servers.js';

const MARKER = '__end_of_script__';

describe('lists: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  let tap: ReplicationTap;
  const tsCommands: string[][] = [];

  before(async () => {
    pair = await DiffPair.start({
      redisArgs: ['--repl-diskless-sync', 'no'],
      config: { 'enable-debug-command': 'yes' },
    });
    pair.ts.server.events.onPropagate({
      active: () => true,
      feed: (ops) => {
        for (const op of ops) if (op.argv[0].toUpperCase() !== 'SELECT') tsCommands.push(op.argv);
      },
    });
    tap = await ReplicationTap.connect(pair.redis.port);
  });
  after(async () => {
    tap.close();
    await pair.stop();
  });

  async function compare(steps: BStep[]): Promise<void> {
    tap.commands.length = 0;
    tsCommands.length = 0;
    await runBlockingScript(pair, [...steps, `SET ${MARKER} 1`]);
    await tap.waitForKey(MARKER);
    assert.ok(tap.argvs().length > 3, 'the replication stream was read');
    // Absolute expiry times differ by the milliseconds between the two servers' runs.
    const untimed = (argv: string[]) => (/^pexpireat$/i.test(argv[0]) ? [argv[0], argv[1], '<ms>'] : argv);
    assert.deepEqual(tsCommands.map(untimed), tap.argvs().map(untimed));
  }

  test('a key expired by the time its blocked client is served: the client stays blocked, the DEL propagates', () =>
    compare([
      { cmd: 'BLPOP ek 0', conn: 2, noWait: true },
      { blocked: 1 },
      'MULTI',
      'RPUSH ek a',
      'PEXPIRE ek 20',
      'DEBUG SLEEP 0.05',
      'EXEC',
      { blocked: 1 },
      'EXISTS ek',
      'RPUSH ek b',
      { read: 2 },
      'SET other 1',
      'SWAPDB 0 1',
      'SWAPDB 1 0',
    ]));

  test('served blocking pops propagate as their non-blocking forms', () =>
    compare([
      { cmd: 'BLPOP q 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH q a b',
      { read: 2 },
      { cmd: 'BRPOP q9 q 0', conn: 2 },
      { cmd: 'BLMPOP 0 1 q2 RIGHT COUNT 5', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH q2 x y z',
      { read: 2 },
      { cmd: 'BLMPOP 0 1 q3 left', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH q3 x y z',
      { read: 2 },
      { cmd: 'BLMOVE s d left RIGHT 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH s 1 2',
      { read: 2 },
      { cmd: 'BRPOPLPUSH s2 d 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH s2 v',
      { read: 2 },
      { cmd: 'BLPOP m 0', conn: 2, noWait: true },
      { blocked: 1 },
      'MULTI',
      'RPUSH m a',
      'RPUSH m b',
      'EXEC',
      { read: 2 },
    ]));

  test('blocking commands that need not wait are rewritten', () =>
    compare([
      'RPUSH q a b c d e',
      'BLPOP q 0',
      'BRPOP q 0',
      'BLMPOP 0 1 q LEFT COUNT 10',
      'RPUSH s a b c',
      'BLMOVE s d Left right 0',
      'BRPOPLPUSH s d 0',
      'BLMPOP 0 2 nope s right',
      'MULTI',
      'BLPOP none 0',
      'BLPOP d 0',
      'EXEC',
    ]));

  test('list writes propagate only when they change something', () =>
    compare([
      'RPUSH l a b c d',
      'LTRIM l 0 -1',
      'LTRIM l 1 -1',
      'LREM l 0 nope',
      'LREM l 1 b',
      'LINSERT l BEFORE nope x',
      'LINSERT l AFTER c x',
      'LPUSHX missing a',
      'RPUSHX l z',
      'LSET l 0 first',
      'LMPOP 1 l RIGHT COUNT 2',
      'LMOVE l l LEFT RIGHT',
      'LPOP l 0',
      'RPOP l',
      'LPOP l 5',
    ]));
});
