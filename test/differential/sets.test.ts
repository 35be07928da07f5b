import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { items, randomShape, sameScanItems, text } from '../support/collections-support.js';
import { DiffPair, type Step } from '../support/diff.js';
import { RawClient } from '../support/raw-client.js';
import { skipWithoutRedis } from '../support/servers.js';

function saddRange(key: string, from: number, to: number, prefix = ''): string[] {
  const argv = ['SADD', key];
  for (let i = from; i < to; i++) argv.push(`${prefix}${i}`);
  return argv;
}

const HELLO3: Step = { cmd: 'HELLO 3', compare: 'ignore' };
const HELLO2: Step = { cmd: 'HELLO 2', compare: 'ignore' };

describe('sets: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS on intsets (sorted)', () =>
    pair.run([
      'SADD s 5 3 -1 9223372036854775807 -9223372036854775808 0 3',
      'SMEMBERS s',
      'SCARD s',
      'SISMEMBER s 3',
      'SISMEMBER s 4',
      'SISMEMBER s 03',
      'SISMEMBER s +3',
      'SISMEMBER nokey 3',
      'SMISMEMBER s 3 4 -1 x',
      'SMISMEMBER nokey a b',
      'SREM s 3 4 x',
      'SREM nokey a',
      'SMEMBERS s',
      'SMEMBERS nokey',
      'SCARD nokey',
      'SADD s 9223372036854775808',
      'OBJECT ENCODING s',
      { cmd: 'SMEMBERS s', compare: 'unordered' },
      'SADD t 1 2 3',
      'SREM t 1 2 3 4',
      'EXISTS t',
      'SADD t',
      'SREM t',
      'SMISMEMBER t',
      ['SADD', 'bin', 'a\x00b', '\xff', ''],
      ['SISMEMBER', 'bin', 'a\x00b'],
      ['SISMEMBER', 'bin', ''],
      { cmd: ['SMEMBERS', 'bin'], compare: 'unordered' },
    ]));

  test('encodings: intset while canonical integers and <= set-max-intset-entries', () =>
    pair.run([
      'SADD i 1 2 3',
      'OBJECT ENCODING i',
      'SADD s a',
      'OBJECT ENCODING s',
      'SADD lead 01',
      'OBJECT ENCODING lead',
      'SADD neg0 -0',
      'OBJECT ENCODING neg0',
      'SADD sp " 1"',
      'OBJECT ENCODING sp',
      'SADD mixed 1 a',
      'OBJECT ENCODING mixed',
      'SREM mixed a',
      'OBJECT ENCODING mixed',
      saddRange('big', 0, 512),
      'OBJECT ENCODING big',
      'SMEMBERS big',
      'SADD big 100',
      'OBJECT ENCODING big',
      'SADD big 512',
      'OBJECT ENCODING big',
      'SREM big 512 511',
      'OBJECT ENCODING big',
      'SCARD big',
    ]));

  test('set-max-intset-entries follows CONFIG SET', async () => {
    try {
      await pair.run([
        'CONFIG SET set-max-intset-entries 2',
        'SADD s 1 2',
        'OBJECT ENCODING s',
        'SADD s 3',
        'OBJECT ENCODING s',
        'CONFIG SET set-max-intset-entries 0',
        'SADD z 1',
        'OBJECT ENCODING z',
        'SINTERSTORE dst s',
        'OBJECT ENCODING dst',
      ]);
    } finally {
      await pair.run(['CONFIG SET set-max-intset-entries 512']);
    }
  });

  test('WRONGTYPE and argument errors', () =>
    pair.run([
      'SET str v',
      'SADD str a',
      'SREM str a',
      'SCARD str',
      'SISMEMBER str a',
      'SMISMEMBER str a',
      'SMEMBERS str',
      'SPOP str',
      'SPOP str 2',
      'SPOP str -1',
      'SPOP str x',
      'SRANDMEMBER str',
      'SRANDMEMBER str 2',
      'SRANDMEMBER str x',
      'SMOVE str s a',
      'SADD s a',
      'SMOVE s str a',
      'SMOVE nokey str a',
      'SMOVE s str zz',
      'SINTER s str',
      'SINTER nokey str',
      'SINTERSTORE d s str',
      'SINTERCARD 2 s str',
      'SUNION s str',
      'SUNIONSTORE d str',
      'SDIFF s str',
      'SDIFF nokey str',
      'SDIFFSTORE d s str',
      'SSCAN str 0',
      'SPOP s 1 2',
      'SRANDMEMBER s 1 2',
      'SPOP s -1',
      'SPOP s 1.5',
      'SRANDMEMBER s -9223372036854775808',
      'SRANDMEMBER s 9223372036854775808',
      'SINTERCARD 0 s',
      'SINTERCARD -1 s',
      'SINTERCARD x s',
      'SINTERCARD 2 s',
      'SINTERCARD 1 s LIMIT',
      'SINTERCARD 1 s LIMIT -1',
      'SINTERCARD 1 s LIMIT x',
      'SINTERCARD 1 s FOO 1',
      'SINTERCARD 1 s LIMIT 1 LIMIT 2',
      'EXISTS d',
    ]));

  test('SMOVE', () =>
    pair.run([
      'SADD a 1 2 x',
      'SADD b 3',
      'SMOVE a b 1',
      'SMOVE a b 1',
      'SMOVE a b x',
      { cmd: 'SMEMBERS b', compare: 'unordered' },
      'OBJECT ENCODING b',
      'SMOVE a a 2',
      'SMOVE a a 9',
      'SMOVE a c 2',
      'EXISTS a',
      'SMEMBERS c',
      'OBJECT ENCODING c',
      'SMOVE nokey c 2',
      'SADD d 5',
      'SMOVE d c 5',
      'SMOVE c d 5',
      'SMEMBERS c',
      'SMEMBERS d',
      'SADD e w',
      'SMOVE e f w',
      'OBJECT ENCODING f',
    ]));

  test('SINTER, SUNION, SDIFF and their STORE forms on intsets', () =>
    pair.run([
      'SADD a 1 2 3 4 5',
      'SADD b 4 5 6 7',
      'SADD c 5 4 8',
      'SINTER a b c',
      'SINTER a',
      'SINTER a nokey',
      'SINTER nokey',
      'SINTER a a',
      'SUNION a b c',
      'SUNION a nokey',
      'SUNION nokey',
      'SDIFF a b',
      'SDIFF a b c',
      'SDIFF a nokey',
      'SDIFF nokey a',
      'SDIFF a a',
      'SDIFF a c a',
      'SINTERCARD 3 a b c',
      'SINTERCARD 2 a b LIMIT 1',
      'SINTERCARD 1 a LIMIT 0',
      'SINTERCARD 1 a LIMIT 3',
      'SINTERCARD 2 a nokey',
      'SINTERSTORE d a b',
      'SMEMBERS d',
      'OBJECT ENCODING d',
      'SUNIONSTORE d a b c',
      'SMEMBERS d',
      'SDIFFSTORE d a b',
      'SMEMBERS d',
      'SET strdst x',
      'EXPIRE strdst 100',
      'SUNIONSTORE strdst a',
      'TYPE strdst',
      'TTL strdst',
      'SINTERSTORE d a nokey',
      'EXISTS d',
      'SINTERSTORE d a nokey',
      'SDIFFSTORE d a a',
      'SUNIONSTORE d nokey',
      'SADD d 1',
      'SDIFFSTORE d a a',
      'EXISTS d',
      'SADD m 1 a',
      'SINTER m a',
      'SINTERSTORE d m a',
      'OBJECT ENCODING d',
      'SMEMBERS d',
      { cmd: 'SUNION m a', compare: 'unordered' },
      'SUNIONSTORE u m a',
      'OBJECT ENCODING u',
      'SREM u a',
      'SDIFFSTORE d u b',
      'OBJECT ENCODING d',
      'SMEMBERS d',
    ]));

  test('set operations on hashtable sets', () =>
    pair.run([
      'SADD a x y z 1',
      'SADD b y z w',
      { cmd: 'SINTER a b', compare: 'unordered' },
      { cmd: 'SUNION a b', compare: 'unordered' },
      { cmd: 'SDIFF a b', compare: 'unordered' },
      { cmd: 'SDIFF b a', compare: 'unordered' },
      'SINTERCARD 2 a b',
      'SINTERSTORE d a b',
      { cmd: 'SMEMBERS d', compare: 'unordered' },
      'SUNIONSTORE d a b',
      'SCARD d',
      saddRange('big', 0, 600),
      'SADD small 5 50 500 5000',
      'SINTER small big',
      'SINTERSTORE d2 big small',
      'OBJECT ENCODING d2',
      'SMEMBERS d2',
      'SDIFF small big',
      'SUNIONSTORE d3 big small',
      'SCARD d3',
      'OBJECT ENCODING d3',
    ]));

  test('RESP3 set replies', () =>
    pair.run([
      HELLO3,
      'SADD s 3 1 2',
      'SMEMBERS s',
      'SMEMBERS nokey',
      'SINTER s nokey',
      'SUNION s nokey',
      'SDIFF s nokey',
      'SDIFF nokey s',
      'SRANDMEMBER s 10',
      'SRANDMEMBER s 0',
      'SRANDMEMBER nokey 3',
      'SRANDMEMBER nokey',
      'SPOP nokey',
      'SPOP nokey 3',
      'SPOP s 0',
      'SSCAN s 0',
      'SMISMEMBER s 1 9',
      'SPOP s 10',
      'EXISTS s',
      HELLO2,
    ]));

  test('SRANDMEMBER and SPOP', async () => {
    const small = new Map(['1', '2', '3', '4', '5'].map((m) => [m, '']));
    const words = new Map(['a', 'b', 'c', 'd', 'e'].map((m) => [m, '']));
    const big = new Map(Array.from({ length: 600 }, (_, i) => [`m${i}`, '']));
    const steps: Step[] = ['SADD i 1 2 3 4 5', 'SADD w a b c d e', saddRange('big', 0, 600, 'm')];
    for (const [key, m] of [
      ['i', small],
      ['w', words],
      ['big', big],
    ] as const) {
      steps.push(
        { cmd: `SRANDMEMBER ${key}`, compare: randomShape(m) },
        { cmd: `SRANDMEMBER ${key} 1`, compare: randomShape(m) },
        { cmd: `SRANDMEMBER ${key} 3`, compare: randomShape(m, { distinct: true }) },
        { cmd: `SRANDMEMBER ${key} 4`, compare: randomShape(m, { distinct: true }) },
        { cmd: `SRANDMEMBER ${key} 150`, compare: randomShape(m, { distinct: true }) },
        { cmd: `SRANDMEMBER ${key} 450`, compare: randomShape(m, { distinct: true }) },
        { cmd: `SRANDMEMBER ${key} -30`, compare: randomShape(m) },
        HELLO3,
        { cmd: `SRANDMEMBER ${key} 3`, compare: randomShape(m, { distinct: true }) },
        { cmd: `SPOP ${key} 2`, compare: randomShape(m, { distinct: true }) },
        HELLO2,
        { cmd: `SPOP ${key}`, compare: randomShape(m) },
        { cmd: `SPOP ${key} 1`, compare: randomShape(m) },
        `SCARD ${key}`,
        { cmd: `SPOP ${key} 2`, compare: randomShape(m, { distinct: true }) },
        `SCARD ${key}`,
      );
    }
    steps.push(
      'SADD whole 3 1 2',
      'SPOP whole 3',
      'EXISTS whole',
      'SADD whole 3 1 2',
      'SPOP whole 100',
      'SADD one x',
      'SPOP one',
      'EXISTS one',
      { cmd: 'SPOP big 590', compare: randomShape(big, { distinct: true }) },
      'SCARD big',
      { cmd: 'SPOP big 50', compare: randomShape(big, { distinct: true }) },
      'EXISTS big',
    );
    await pair.run(steps);
  });

  test('SSCAN', () =>
    pair.run([
      'SADD i 10 2 33 4',
      'SSCAN i 0',
      'SSCAN i 99',
      'SSCAN i 0 MATCH 3*',
      'SSCAN i 0 COUNT 1',
      'SSCAN i 0 COUNT 0',
      'SSCAN i 0 MATCH',
      'SSCAN i 0 NOPE x',
      'SSCAN i abc',
      'SSCAN nokey 0',
      'SSCAN nokey 0 BAD',
      'SADD one x',
      'SSCAN one 0',
      'SSCAN one 0 MATCH y',
      'SADD ht a b c 1 2',
      { cmd: 'SSCAN ht 0 COUNT 100', compare: sameScanItems(false) },
      { cmd: 'SSCAN ht 0 COUNT 100 MATCH [a1]', compare: sameScanItems(false) },
    ]));

  test('SSCAN over a hashtable set returns every member', async () => {
    const client = await RawClient.connect(pair.ts.port);
    try {
      await client.call('FLUSHALL');
      await client.call(saddRange('s', 0, 2000, 'm'));
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const [next, elems] = items((await client.call(['SSCAN', 's', cursor, 'COUNT', '7'])).value);
        cursor = text(next);
        for (const e of items(elems)) seen.add(text(e));
        // Members removed during the scan must not break the guarantee for the others.
        if (seen.size > 500 && seen.size < 520) await client.call(saddRange('s', 2000, 2100, 'm'));
      } while (cursor !== '0');
      for (let i = 0; i < 2000; i++) assert.ok(seen.has(`m${i}`), `m${i} never returned`);
    } finally {
      client.close();
    }
  });
});
