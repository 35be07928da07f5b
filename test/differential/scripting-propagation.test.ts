/**
 * What scripts propagate (Redis 7.0's effects replication: the commands a script ran, wrapped in
 * MULTI/EXEC when there are several; never the EVAL itself), compared with the replication stream
 * of a real redis-server 7.0. redis.set_repl chooses the targets: the stream read here is a
 * replica's, so REPL_AOF and REPL_NONE writes leave it out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Step } from '../support/diff.js';
import { PropagationDiff, sameCommand, type TappedCommand } from '../support/propagation-diff.js';
import { skipWithoutRedis } from '../support/servers.js';

describe('scripts: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let diff: PropagationDiff;
  before(async () => {
    diff = await PropagationDiff.start();
  });
  after(() => diff.stop());

  async function propagates(steps: Step[]): Promise<void> {
    const recorded = await diff.record(steps);
    const show = (list: TappedCommand[]) => list.map((c) => `${c.db}: ${c.argv.join(' ')}`);
    const same =
      recorded.redis.length === recorded.ts.length &&
      recorded.redis.every((c, i) => c.db === recorded.ts[i].db && sameCommand(c.argv, recorded.ts[i].argv));
    assert.ok(
      same,
      `propagated commands differ\nredis:\n  ${show(recorded.redis).join('\n  ')}\ntsredis:\n  ${show(recorded.ts).join('\n  ')}`,
    );
  }

  test('one write goes alone, several in MULTI/EXEC, reads and failed writes not at all', () =>
    propagates([
      ['EVAL', "return redis.call('SET', KEYS[1], ARGV[1])", '1', 'k', 'v'],
      ['EVAL', "redis.call('INCR', 'n') redis.call('INCR', 'n') return redis.call('GET', 'n')", '0'],
      ['EVAL', "return redis.call('GET', 'k')", '0'],
      ['EVAL_RO', "return redis.call('GET', 'k')", '0'],
      ['EVAL', "return redis.pcall('INCR', 'k')", '0'],
      ['EVAL', "redis.call('DEL', 'nokey') return 1", '0'],
    ]));

  test('rewrites inside scripts: SET EX becomes PXAT, INCRBYFLOAT becomes SET KEEPTTL', () =>
    propagates([
      ['EVAL', "return redis.call('SET', 'e', 'v', 'EX', '100')", '0'],
      ['EVAL', "return redis.call('INCRBYFLOAT', 'f', '1.5')", '0'],
      ['EVAL', "redis.call('EXPIRE', 'e', '50') return redis.call('TTL', 'e')", '0'],
    ]));

  test('a script that fails after writing keeps its writes (no rollback); SELECT moves its commands', () =>
    propagates([
      ['EVAL', "redis.call('SET', 'a', '1') error('stop')", '0'],
      ['EVAL', "redis.call('SET', 'a', '2') return redis.call('LPUSH', 'a', 'x')", '0'],
      ['EVAL', "redis.call('SELECT', '1') redis.call('SET', 'in1', 'v') return 1", '0'],
      [
        'EVAL',
        "redis.call('SET', 'in0', 'v') redis.call('SELECT', '2') redis.call('SET', 'in2', 'v') return 1",
        '0',
      ],
      'SET after-select x',
    ]));

  test('redis.set_repl: REPL_NONE and REPL_AOF writes do not reach replicas, REPL_REPLICA and REPL_ALL do', () =>
    propagates([
      ['EVAL', "redis.set_repl(redis.REPL_NONE) redis.call('SET', 'none', '1') return 1", '0'],
      ['EVAL', "redis.set_repl(redis.REPL_AOF) redis.call('SET', 'aof', '1') return 1", '0'],
      ['EVAL', "redis.set_repl(redis.REPL_REPLICA) redis.call('SET', 'replica', '1') return 1", '0'],
      [
        'EVAL',
        "redis.call('SET', 'x1', '1') redis.set_repl(redis.REPL_NONE) redis.call('SET', 'x2', '2') redis.set_repl(redis.REPL_ALL) redis.call('SET', 'x3', '3') return 1",
        '0',
      ],
      [
        'EVAL',
        "redis.set_repl(redis.REPL_AOF) redis.call('SET', 'y1', '1') redis.call('SET', 'y2', '2') return 1",
        '0',
      ],
      [
        'EVAL',
        "redis.call('SET', 'z1', '1') redis.set_repl(redis.REPL_AOF) redis.call('SET', 'z2', '2') return 1",
        '0',
      ],
    ]));

  test('EVAL inside MULTI: one transaction with the other commands', () =>
    propagates([
      'MULTI',
      ['EVAL', "redis.call('SET', 'm1', '1') return redis.call('SET', 'm2', '2')", '0'],
      'SET m3 3',
      ['EVAL', "return redis.call('GET', 'm1')", '0'],
      'EXEC',
    ]));
});
