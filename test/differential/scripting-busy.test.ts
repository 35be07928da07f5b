/**
 * A script past busy-reply-threshold, against redis-server 7.0.15: other clients get -BUSY (but
 * SCRIPT KILL, MULTI and SHUTDOWN NOSAVE run), SCRIPT KILL stops a script that has not written and
 * its caller gets Redis's error, a script that wrote is UNKILLABLE, SHUTDOWN without NOSAVE is
 * refused and SHUTDOWN NOSAVE stops the server. The first reply on the other connection comes once
 * the threshold has passed, on both servers: no sleeping in the test.
 */
import { after, before, describe, test } from 'node:test';
import { DiffPair } from '../support/diff.js';
import { skipWithoutRedis } from '../support/servers.js';

const config = { 'busy-reply-threshold': '100' };

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
      'PING',
      'SCRIPT KILL',
      { read: 2 },
    ]));

  test('a script that wrote is UNKILLABLE; SHUTDOWN NOSAVE stops the server', async () => {
    const doomed = await DiffPair.start({ config });
    try {
      await doomed.run([
        { cmd: ['EVAL', "redis.call('SET', 'w', '1') while true do end", '0'], conn: 2, noWait: true },
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
