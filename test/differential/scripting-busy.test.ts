/**
 * A script past busy-reply-threshold, against redis-server 7.0.15: other clients get -BUSY (but
 * SCRIPT KILL, MULTI and SHUTDOWN NOSAVE run), SCRIPT KILL stops a script that has not written and
 * its caller gets Redis's error, a script that wrote is UNKILLABLE, SHUTDOWN without NOSAVE is
 * refused and SHUTDOWN NOSAVE stops the server. The first reply on the other connection comes once
 * the threshold has passed, on both servers: no sleeping in the test.
 */
import { after, before, describe, test } from 'node:test';
import { DiffPair } from '../support/diff.js';
import type { Reply } from '../support/raw-client.js';
import { skipWithoutRedis } from '../support/servers.js';

const config = { 'busy-reply-threshold': '100' };

/**
 * The first command after a script sent without waiting may be served before the script starts
 * (the server reads the other connection first): its reply is not compared; the next is surely
 * served after.
 */
const FIRST_AFTER_SCRIPT = { cmd: 'PING', compare: 'ignore' } as const;

/** FUNCTION STATS of a running function: the same bytes but for how long it has run. */
function sameButDuration(redis: Reply, ts: Reply): string | null {
  const strip = (r: Reply) => r.raw.toString('latin1').replace(/(duration_ms\r\n:)\d+/, '$1N');
  return strip(redis) === strip(ts) ? null : `${strip(redis)} vs ${strip(ts)}`;
}

describe('busy scripts: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({ config });
  });
  after(() => pair.stop());

  test('BUSY for others, SCRIPT KILL stops a script that has not written', () =>
    pair.run([
      'SET x 1',
      { cmd: ['EVAL', 'local n = 0 while true do n = n + 1 end', '0'], conn: 2, noWait: true },
      FIRST_AFTER_SCRIPT,
      'PING',
      'GET x',
      'SET x 2',
      'SHUTDOWN',
      'CLIENT ID',
      'MULTI',
      'GET x',
      'DISCARD',
      'SCRIPT KILL',
      { read: 2 },
      'GET x',
      'SCRIPT KILL',
      { cmd: 'EVAL "return 1" 0', conn: 2 },
    ]));

  test('a loop inside pcall is killed too: the kill error cannot be caught for good', () =>
    pair.run([
      {
        cmd: ['EVAL', "for i = 1, 3 do pcall(function() while true do end end) end return 'caught'", '0'],
        conn: 2,
        noWait: true,
      },
      FIRST_AFTER_SCRIPT,
      'PING',
      'SCRIPT KILL',
      { read: 2 },
    ]));

  test('a busy function: BUSY names FUNCTION KILL, SCRIPT KILL refuses it, FUNCTION STATS shows it', () =>
    pair.run([
      ['FUNCTION', 'FLUSH'],
      [
        'FUNCTION',
        'LOAD',
        "#!lua name=busy\nredis.register_function('spin', function(keys, args) while true do end end)",
      ],
      { cmd: ['FCALL', 'spin', '1', 'k', 'arg'], conn: 2, noWait: true },
      FIRST_AFTER_SCRIPT,
      'PING',
      'SHUTDOWN',
      'SCRIPT KILL',
      { cmd: 'FUNCTION STATS', compare: sameButDuration },
      { cmd: ['EVAL', 'return 1', '0'] },
      'FUNCTION KILL',
      { read: 2 },
      'FUNCTION STATS',
      'FUNCTION KILL',
      ['FUNCTION', 'FLUSH'],
    ]));

  test('a busy EVAL script: FUNCTION KILL refuses it with the SCRIPT KILL text', () =>
    pair.run([
      { cmd: ['EVAL', 'while true do end', '0'], conn: 2, noWait: true },
      FIRST_AFTER_SCRIPT,
      'PING',
      'FUNCTION KILL',
      'FUNCTION STATS',
      'SCRIPT KILL',
      { read: 2 },
    ]));

  test('a script that wrote is UNKILLABLE; SHUTDOWN NOSAVE stops the server', async () => {
    const doomed = await DiffPair.start({ config });
    try {
      await doomed.run([
        { cmd: ['EVAL', "redis.call('SET', 'w', '1') while true do end", '0'], conn: 2, noWait: true },
        FIRST_AFTER_SCRIPT,
        'PING',
        'SCRIPT KILL',
        'SHUTDOWN NOSAVE',
        { read: 2 },
      ]);
    } finally {
      await doomed.stop().catch(() => {});
    }
  });
});
