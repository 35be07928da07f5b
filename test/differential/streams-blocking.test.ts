/**
 * XREAD BLOCK and XREADGROUP BLOCK against redis-server 7.0: served by XADD in blocking order,
 * only once the stream passed the id waited for, ended by a destroyed group, a deleted or retyped
 * key (XREADGROUP only), FLUSHALL, kept across DEBUG RELOAD, timeouts, MULTI and scripts.
 */
import { after, before, describe, test } from 'node:test';
import { DiffPair, type Step } from '../support/diff.js';
import { skipWithoutRedis } from '../support/servers.js';

/** conn 2 blocks (its reply is read later with `served`). */
const blocked = (cmd: string): Step => ({ cmd, conn: 2, noWait: true });
const served: Step = { read: 2 };

describe('XREAD and XREADGROUP with BLOCK: differential against redis-server 7.0', {
  skip: skipWithoutRedis(),
}, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('XREAD BLOCK is served by the next XADD past its id, with COUNT', () =>
    pair.run([
      'XADD s 1-1 a 1',
      blocked('XREAD BLOCK 0 STREAMS s $'),
      'XADD s 2-1 b 2',
      served,
      blocked('XREAD BLOCK 0 COUNT 1 STREAMS nokey s 0-0 5-0'),
      'XADD s 3-1 c 3',
      'XADD s 5-1 d 4',
      served,
      blocked('XREAD BLOCK 0 STREAMS s2 0'),
      'XADD s2 MAXLEN 0 1-1 x y',
      'XADD s2 2-1 x y',
      served,
      blocked('XREAD BLOCK 0 STREAMS a b $ $'),
      'XADD b 1-1 f v',
      served,
    ]));

  test('XREADGROUP BLOCK: new entries become pending for the consumer; NOACK', () =>
    pair.run([
      'XGROUP CREATE s g $ MKSTREAM',
      blocked('XREADGROUP GROUP g alice BLOCK 0 STREAMS s >'),
      'XADD s 1-1 f v',
      served,
      'XPENDING s g',
      blocked('XREADGROUP GROUP g bob NOACK BLOCK 0 COUNT 5 STREAMS s >'),
      'XADD s 2-1 f v',
      served,
      'XPENDING s g',
      'XINFO GROUPS s',
      { cmd: 'XINFO CONSUMERS s g', compare: 'type' },
    ]));

  test('waiters on one key are served in blocking order; a waiter past the end stays blocked', () =>
    pair.run([
      'XADD s 5-1 a 1',
      { cmd: 'XREAD BLOCK 0 STREAMS s 9-0', conn: 2, noWait: true },
      'XADD s 6-1 b 2',
      'XADD s 9-1 c 3',
      served,
    ]));

  test('a destroyed group ends XREADGROUP with NOGROUP; deletion, SET, FLUSHALL and expiry with UNBLOCKED', () =>
    pair.run([
      'XGROUP CREATE s g $ MKSTREAM',
      blocked('XREADGROUP GROUP g c BLOCK 0 STREAMS s >'),
      'XGROUP DESTROY s g',
      served,
      'XGROUP CREATE s g $',
      blocked('XREADGROUP GROUP g c BLOCK 0 STREAMS s >'),
      'DEL s',
      served,
      'XGROUP CREATE s g $ MKSTREAM',
      blocked('XREADGROUP GROUP g c BLOCK 0 STREAMS s >'),
      'SET s x',
      served,
      'DEL s',
      'XGROUP CREATE s g $ MKSTREAM',
      blocked('XREADGROUP GROUP g c BLOCK 0 STREAMS s >'),
      'FLUSHALL',
      served,
      // Expired by the active expiry cycle, with no command to follow: the block ends all the same.
      'XGROUP CREATE s g $ MKSTREAM',
      'PEXPIRE s 50',
      blocked('XREADGROUP GROUP g c BLOCK 0 STREAMS s >'),
      served,
    ]));

  test('XREAD keeps waiting when its key is deleted or retyped, and across DEBUG RELOAD', () =>
    pair.run([
      'XADD s 1-1 a 1',
      blocked('XREAD BLOCK 0 STREAMS s $'),
      'DEL s',
      'SET s x',
      'DEL s',
      'XADD s 2-1 b 2',
      served,
      'XGROUP CREATE s g $',
      blocked('XREADGROUP GROUP g c BLOCK 0 STREAMS s >'),
      'DEBUG RELOAD',
      'XADD s 3-1 c 3',
      served,
    ]));

  test('timeouts, CLIENT UNBLOCK, MULTI and bad timeouts', () =>
    pair.run([
      { cmd: 'XREAD BLOCK 30 STREAMS s $', conn: 2 },
      { cmd: 'XREAD BLOCK 30 STREAMS s 0', conn: 2 },
      { cmd: 'XGROUP CREATE s g $ MKSTREAM' },
      { cmd: 'XREADGROUP GROUP g c BLOCK 30 STREAMS s >', conn: 2 },
      'XREAD BLOCK -1 STREAMS s $',
      'XREAD BLOCK abc STREAMS s $',
      'XREAD BLOCK 1.5 STREAMS s $',
      'MULTI',
      'XREAD BLOCK 0 STREAMS s $',
      'XREADGROUP GROUP g c BLOCK 0 STREAMS s >',
      'EXEC',
      { cmd: 'HELLO 3', conn: 2, compare: 'ignore' },
      { cmd: 'XREAD BLOCK 30 STREAMS s $', conn: 2 },
      blocked('XREAD BLOCK 0 STREAMS s $'),
      'XADD s 1-1 f v',
      served,
      { cmd: 'HELLO 2', conn: 2, compare: 'ignore' },
      { cmd: ['EVAL', "return redis.pcall('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')", '0'] },
      { cmd: ['EVAL', "return redis.pcall('xread', 'block', '0', 'STREAMS', 's', '0')", '0'] },
    ]));
});
