/**
 * keymiss notifications and keyspace_hits/keyspace_misses for every read command, against
 * redis-server 7.0: Redis's lookupKeyRead emits `keymiss` (flag m), lookupKeyWrite does not.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DiffPair } from '../support/diff.js';
import { RawClient } from '../support/raw-client.js';
import { skipWithoutRedis } from '../support/servers.js';

/** Read (and a few write) commands on keys that do not exist; `m` stands for the missing keys. */
const COMMANDS = [
  'GET m1',
  'MGET m1 m2',
  'STRLEN m1',
  'GETRANGE m1 0 1',
  'SUBSTR m1 0 1',
  'GETEX m1',
  'GETDEL m1',
  'LCS m1 m2',
  'BITCOUNT m1',
  'BITPOS m1 1',
  'GETBIT m1 3',
  'BITFIELD_RO m1 GET u8 0',
  'BITFIELD m1 GET u8 0',
  'BITOP AND dst m1 m2',
  'HGET m1 f',
  'HMGET m1 f g',
  'HLEN m1',
  'HSTRLEN m1 f',
  'HEXISTS m1 f',
  'HKEYS m1',
  'HVALS m1',
  'HGETALL m1',
  'HRANDFIELD m1',
  'HSCAN m1 0',
  'SCARD m1',
  'SISMEMBER m1 a',
  'SMISMEMBER m1 a b',
  'SMEMBERS m1',
  'SRANDMEMBER m1',
  'SSCAN m1 0',
  'SINTER m1 m2',
  'SINTERCARD 2 m1 m2',
  'SUNION m1 m2',
  'SDIFF m1 m2',
  'SINTERSTORE dst m1 m2',
  'SUNIONSTORE dst m1 m2',
  'SDIFFSTORE dst m1 m2',
  'ZCARD m1',
  'ZSCORE m1 a',
  'ZMSCORE m1 a b',
  'ZRANK m1 a',
  'ZREVRANK m1 a',
  'ZRANGE m1 0 -1',
  'ZRANGEBYSCORE m1 0 1',
  'ZREVRANGEBYSCORE m1 1 0',
  'ZRANGEBYLEX m1 - +',
  'ZREVRANGE m1 0 -1',
  'ZCOUNT m1 0 1',
  'ZLEXCOUNT m1 - +',
  'ZRANDMEMBER m1',
  'ZSCAN m1 0',
  'ZUNION 2 m1 m2',
  'ZINTER 2 m1 m2',
  'ZDIFF 2 m1 m2',
  'ZINTERCARD 2 m1 m2',
  'ZUNIONSTORE dst 2 m1 m2',
  'ZINTERSTORE dst 2 m1 m2',
  'ZDIFFSTORE dst 2 m1 m2',
  'ZRANGESTORE dst m1 0 -1',
  'LLEN m1',
  'LRANGE m1 0 -1',
  'LINDEX m1 0',
  'LPOS m1 a',
  'LPOP m1',
  'RPOPLPUSH m1 m2',
  'LMPOP 2 m1 m2 LEFT',
  'ZPOPMIN m1',
  'SPOP m1',
  'INCR w1',
  'APPEND w2 x',
  'HINCRBY w3 f 1',
  'EXISTS m1',
  'TYPE m1',
  'TTL m1',
  'DUMP m1',
  'OBJECT ENCODING m1',
  'MEMORY USAGE m1',
  'RENAME m1 m2',
  'COPY m1 m2',
  'DEL m1',
];

/** The keymiss events one command causes, read up to a marker message published after it. */
async function keymissEvents(c: RawClient, sub: RawClient, cmd: string): Promise<string[]> {
  await c.call(cmd);
  await c.call(['PUBLISH', 'marker', cmd]);
  const seen: string[] = [];
  for (;;) {
    const v = (await sub.read()).value as { value: Array<{ value: Buffer }> };
    const parts = v.value.map((p) => p.value.toString('latin1'));
    if (parts[0] === 'message') return seen;
    seen.push(`${parts[2]} ${parts[3]}`);
  }
}

function stat(info: string, name: string): string {
  return new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? '?';
}

describe('keymiss events and hit/miss counters: differential', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({ config: { 'notify-keyspace-events': 'Em' } });
  });
  after(() => pair.stop());

  test('every read command on a missing key', async () => {
    const results: Array<Map<string, string>> = [];
    for (const port of [pair.redis.port, pair.ts.port]) {
      const c = await RawClient.connect(port);
      const sub = await RawClient.connect(port);
      try {
        await c.call('FLUSHALL');
        await c.call('CONFIG RESETSTAT');
        await sub.call('SUBSCRIBE marker');
        await sub.call('PSUBSCRIBE __keyevent@0__:keymiss');
        const byCommand = new Map<string, string>();
        for (const cmd of COMMANDS) {
          await c.call('FLUSHALL');
          const events = await keymissEvents(c, sub, cmd);
          const info = (await c.call('INFO stats')).value as { value: Buffer };
          const text = info.value.toString('latin1');
          const counters = `hits=${stat(text, 'keyspace_hits')} misses=${stat(text, 'keyspace_misses')}`;
          byCommand.set(cmd, `${events.join(', ')} | ${counters}`);
          await c.call('CONFIG RESETSTAT');
        }
        results.push(byCommand);
      } finally {
        c.close();
        sub.close();
      }
    }
    const [redis, ts] = results;
    const differences = COMMANDS.filter((cmd) => redis.get(cmd) !== ts.get(cmd)).map(
      (cmd) => `${cmd}\n  redis:   ${redis.get(cmd)}\n  tsredis: ${ts.get(cmd)}`,
    );
    assert.deepEqual(differences, []);
    // The test could fail: GET on a missing key does emit the event.
    assert.match(redis.get('GET m1')!, /keymiss m1/);
  });
});
