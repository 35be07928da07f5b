import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock, startServer } from '../../src/index.js';
import type { RespValue } from '../../src/protocol/resp-reader.js';
import { Keyspace, LRU_CLOCK_MAX } from '../../src/store/keyspace.js';
import { DiffPair, type Step, withinASecond } from '../support/diff.js';
import { RawClient, type Reply } from '../support/raw-client.js';
import { skipWithoutRedis } from '../support/servers.js';

/**
 * TTL replies: negative ones (-1, -2) must match exactly; remaining seconds may differ by one when
 * a second boundary passes between the two servers (they round (ms + 500) / 1000).
 */
function ttl(key: string): Step {
  return {
    cmd: `TTL ${key}`,
    compare: (redis: Reply, ts: Reply) => {
      if (redis.raw.equals(ts.raw)) return null;
      if (redis.value.type !== 'integer' || ts.value.type !== 'integer') return 'different replies';
      const [a, b] = [redis.value.value, ts.value.value];
      return a >= 0n && b >= 0n && (a - b === 1n || b - a === 1n) ? null : 'different TTLs';
    },
  };
}

/** The text of a bulk/simple reply element. */
function text(v: RespValue): string {
  return (v as { value: Buffer | string }).value.toString();
}

/** SCAN replies match when both iterations are finished (cursor 0) with the same keys, in any order. */
function sameFinalScan(redis: Reply, ts: Reply): string | null {
  const parts = (r: Reply) => {
    const [cursor, keys] = (r.value as { value: RespValue[] }).value;
    return { cursor: text(cursor), keys: (keys as { value: RespValue[] }).value.map(text).sort() };
  };
  if (redis.value.type !== 'array' || ts.value.type !== 'array') {
    return redis.raw.equals(ts.raw) ? null : 'different replies';
  }
  const a = parts(redis);
  const b = parts(ts);
  if (a.cursor !== '0' || b.cursor !== '0') return `unfinished scan (redis ${a.cursor}, tsredis ${b.cursor})`;
  return JSON.stringify(a.keys) === JSON.stringify(b.keys) ? null : 'different keys';
}

/** Iterates SCAN to the end with the given options and returns the keys seen (with duplicates). */
async function scanAll(c: RawClient, options: string[] = []): Promise<string[]> {
  const seen: string[] = [];
  let cursor = '0';
  do {
    const r = await c.call(['SCAN', cursor, ...options]);
    const [next, keys] = (r.value as { value: RespValue[] }).value;
    cursor = text(next);
    for (const k of (keys as { value: RespValue[] }).value) seen.push(text(k));
  } while (cursor !== '0');
  return seen;
}

const scanStep = (cmd: string): Step => ({ cmd, compare: sameFinalScan });

/** Compares only the named fields of an INFO reply. */
const infoFields =
  (...names: string[]) =>
  (redis: Reply, ts: Reply): string | null => {
    const pick = (r: Reply) => {
      const body = r.raw.toString('latin1');
      // avg_ttl depends on when each server's expire cycle last sampled: not compared.
      const field = (n: string) => new RegExp(`^${n}:(.*)\r$`, 'm').exec(body)?.[1] ?? '<missing>';
      return names.map((n) => field(n).replace(/,avg_ttl=\d+/, '')).join(' ');
    };
    const [a, b] = [pick(redis), pick(ts)];
    return a === b ? null : `redis ${a} / tsredis ${b}`;
  };
const unordered = (cmd: string | string[]): Step => ({ cmd, compare: 'unordered' });

describe('keys: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('DEL, UNLINK, EXISTS (duplicates count), TOUCH, TYPE, DBSIZE', () =>
    pair.run([
      'MSET a 1 b 2 c 3',
      'EXISTS a a b nosuch',
      'DBSIZE',
      'DEL a nosuch a',
      'UNLINK b c d',
      'EXISTS a b c',
      'DBSIZE',
      'SET s v',
      'TYPE s',
      'TYPE nosuch',
      'TOUCH s s nosuch',
      ['SET', '', 'empty key'],
      ['EXISTS', ''],
      ['TYPE', ''],
      ['DEL', ''],
      ['SET', 'bin\x00\xff', 'v'],
      ['EXISTS', 'bin\x00\xff', 'bin\x00'],
      'DEL',
      'UNLINK',
      'EXISTS',
      'TOUCH',
      'TYPE',
      'TYPE a b',
      'DBSIZE x',
    ]));

  test('RENAME and RENAMENX: same key, TTL carried over, overwrite, errors', () =>
    pair.run([
      'SET a 1',
      'RENAME a b',
      'GET a',
      'GET b',
      'RENAME nosuch x',
      'RENAMENX nosuch x',
      'RENAME nosuch nosuch',
      'RENAMENX nosuch nosuch',
      'RENAME b b',
      'RENAMENX b b',
      'GET b',
      'SET c 3',
      'RENAMENX b c',
      'RENAMENX b d',
      'GET d',
      'SET t v EX 100',
      'RENAME t t2',
      ttl('t'),
      ttl('t2'),
      'SET w v',
      'RENAME t2 w',
      ttl('w'),
      'SET x y',
      'EXPIRE x 500',
      'SET p q',
      'RENAME p x',
      ttl('x'),
      'GET x',
      ['SET', 'k\x00\xfe', 'bin'],
      ['RENAME', 'k\x00\xfe', 'k\x00\xff'],
      ['GET', 'k\x00\xff'],
      'RENAME a',
      'RENAMENX a',
      'RENAME a b c',
    ]));

  test('KEYS with Redis glob rules', () =>
    pair.run([
      'MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 h-llo 6 h]llo 7 h^llo 8 "h\\\\llo" 9 "h*llo" 10 "h?llo" 11',
      ['SET', '', 'empty'],
      ['SET', 'h\x80llo', 'high'],
      ['SET', 'h\xffllo', 'high2'],
      'MSET a b ab c abc d aXbXc e "a[b" f',
      unordered('KEYS *'),
      unordered('KEYS h?llo'),
      unordered('KEYS h*llo'),
      unordered('KEYS h[ae]llo'),
      unordered('KEYS h[^e]llo'),
      unordered('KEYS h[a-b]llo'),
      unordered('KEYS h[b-a]llo'),
      unordered('KEYS h[-]llo'),
      unordered('KEYS h[]]llo'),
      unordered('KEYS h[\\]]llo'),
      unordered('KEYS h[\\^]llo'),
      unordered('KEYS h\\*llo'),
      unordered('KEYS h\\?llo'),
      unordered('KEYS h\\\\llo'),
      unordered('KEYS h[\\\\]llo'),
      unordered('KEYS **llo'),
      unordered('KEYS *l*l*o*'),
      unordered('KEYS a*b*c'),
      unordered('KEYS a[b'),
      unordered('KEYS a['),
      unordered('KEYS a[^'),
      unordered('KEYS [abc'),
      unordered('KEYS *['),
      unordered('KEYS \\'),
      unordered('KEYS a\\'),
      unordered('KEYS [a-'),
      unordered('KEYS [^a-z]*'),
      unordered('KEYS ?'),
      unordered('KEYS ??'),
      unordered(['KEYS', '']),
      unordered(['KEYS', 'h[\x80-\xff]llo']),
      unordered(['KEYS', 'h[\xff-\x80]llo']),
      unordered(['KEYS', 'h[a-\xff]llo']),
      unordered(['KEYS', 'h[\x01-z]llo']),
      unordered('KEYS nomatch*'),
      'KEYS',
      'KEYS a b',
    ]));

  test('KEYS: abusive patterns end quickly', () =>
    pair.run([
      `SET ${'a'.repeat(60)} v`,
      unordered(`KEYS ${'a*'.repeat(30)}b`),
      unordered(`KEYS ${'*a'.repeat(40)}`),
      unordered(`KEYS ${'?*'.repeat(50)}`),
    ]));

  test('SCAN options and errors', () =>
    pair.run([
      'MSET k1 a k2 b k3 c other d',
      scanStep('SCAN 0'),
      scanStep('SCAN 0 COUNT 100'),
      scanStep('SCAN 0 MATCH k*'),
      scanStep('SCAN 0 match k* count 1000'),
      scanStep('SCAN 0 MATCH *'),
      scanStep('SCAN 0 TYPE string'),
      scanStep('SCAN 0 TYPE STRING'),
      scanStep('SCAN 0 TYPE list'),
      scanStep('SCAN 0 TYPE nosuchtype'),
      scanStep('SCAN 0 TYPE string MATCH o*'),
      scanStep('SCAN 0 COUNT 5 COUNT 1000'),
      scanStep(`SCAN 0 COUNT 9223372036854775807`),
      scanStep('SCAN ""'),
      scanStep('SCAN +0'),
      scanStep('SCAN -0'),
      // Valid cursors (where an iteration resumes depends on the hash function: compare the kind).
      { cmd: 'SCAN 18446744073709551615', compare: 'type' },
      { cmd: 'SCAN -18446744073709551615', compare: 'type' },
      'SCAN 18446744073709551616',
      'SCAN -18446744073709551616',
      'SCAN abc',
      'SCAN " 0"',
      'SCAN "0 "',
      'SCAN 0x1',
      'SCAN -',
      'SCAN +',
      'SCAN 0 COUNT 0',
      'SCAN 0 COUNT -1',
      'SCAN 0 COUNT abc',
      'SCAN 0 COUNT',
      'SCAN 0 MATCH',
      'SCAN 0 TYPE',
      'SCAN 0 FOO bar',
      'SCAN',
      'FLUSHALL',
      'SCAN 0',
      'SCAN 12345',
    ]));

  test('RANDOMKEY', () => pair.run(['RANDOMKEY', 'SET only v', 'RANDOMKEY', 'RANDOMKEY x']));

  test('OBJECT ENCODING, REFCOUNT, IDLETIME, FREQ, HELP', () =>
    pair.run([
      'SET int 12345',
      'SET small 99',
      'SET big 9223372036854775807',
      'SET neg -5',
      'SET notint 012',
      'SET toolong 92233720368547758070',
      `SET emb ${'x'.repeat(44)}`,
      `SET raw ${'x'.repeat(45)}`,
      'OBJECT ENCODING int',
      'OBJECT ENCODING big',
      'OBJECT ENCODING neg',
      'OBJECT ENCODING notint',
      'OBJECT ENCODING toolong',
      'OBJECT ENCODING emb',
      'OBJECT ENCODING raw',
      'OBJECT ENCODING nosuch',
      'OBJECT REFCOUNT small',
      'OBJECT REFCOUNT int',
      'OBJECT REFCOUNT neg',
      'OBJECT REFCOUNT emb',
      'SET edge 9999',
      'OBJECT REFCOUNT edge',
      'SET edge 10000',
      'OBJECT REFCOUNT edge',
      'OBJECT REFCOUNT nosuch',
      { cmd: 'OBJECT IDLETIME int', compare: withinASecond },
      'OBJECT IDLETIME nosuch',
      'OBJECT FREQ int',
      'OBJECT FREQ nosuch',
      'OBJECT HELP',
      'OBJECT help',
      'OBJECT',
      'OBJECT ENCODING',
      'OBJECT ENCODING a b',
      'OBJECT HELP x',
      'OBJECT bogus k',
    ]));

  test('OBJECT FREQ and IDLETIME under an LFU policy', () =>
    pair.run([
      'CONFIG SET maxmemory-policy allkeys-lfu',
      'SET k v',
      'OBJECT FREQ k',
      'GET k',
      'OBJECT FREQ k',
      'OBJECT IDLETIME k',
      'OBJECT FREQ nosuch',
      'CONFIG SET maxmemory-policy noeviction',
      'OBJECT FREQ k',
    ]));

  test('FLUSHDB and FLUSHALL options', () =>
    pair.run([
      'MSET a 1 b 2',
      'SELECT 1',
      'SET c 3',
      'FLUSHDB',
      'DBSIZE',
      'SELECT 0',
      'DBSIZE',
      'FLUSHDB ASYNC',
      'DBSIZE',
      'SET a 1',
      'FLUSHDB sync',
      'FLUSHDB BOGUS',
      'FLUSHDB SYNC ASYNC',
      'SET a 1',
      'SELECT 2',
      'SET b 1',
      'FLUSHALL async',
      'DBSIZE',
      'SELECT 0',
      'DBSIZE',
      'FLUSHALL SYNC',
      'FLUSHALL nope',
      'FLUSHALL SYNC x',
    ]));

  test('SWAPDB', () =>
    pair.run([
      'SET a db0',
      'SELECT 1',
      'SET b db1',
      'SET t v EX 100',
      'SWAPDB 0 1',
      'GET a',
      'GET b',
      ttl('t'),
      'SELECT 0',
      'GET b',
      ttl('t'),
      'SWAPDB 1 1',
      'SWAPDB 0 16',
      'SWAPDB -1 0',
      'SWAPDB x 0',
      'SWAPDB 0 x',
      'SWAPDB 4294967296 0',
      'SWAPDB 0 4294967296',
      'SWAPDB 0',
    ]));

  test('SWAPDB serves clients blocked on a key that now exists', () =>
    pair.run([
      { cmd: 'BLPOP q 0', conn: 2, noWait: true },
      'SELECT 1',
      'RPUSH q x',
      'SWAPDB 0 1',
      { read: 2 },
      'SELECT 0',
      'EXISTS q',
      'SELECT 1',
      'EXISTS q',
    ]));

  test('MOVE', () =>
    pair.run([
      'SET k v EX 100',
      'MOVE k 1',
      'EXISTS k',
      'MOVE k 1',
      'SELECT 1',
      'GET k',
      ttl('k'),
      'SET other 1',
      'SELECT 0',
      'SET other 0',
      'MOVE other 1',
      'GET other',
      'MOVE nosuch 1',
      'MOVE other 0',
      'MOVE other 16',
      'MOVE other -1',
      'MOVE other abc',
      'MOVE other 4294967296',
      'MOVE other 1.5',
      'MOVE other',
    ]));

  test('COPY with DB and REPLACE', () =>
    pair.run([
      'SET src hello EX 100',
      'COPY src dst',
      'GET dst',
      ttl('dst'),
      'COPY src dst',
      'SET src2 world',
      'COPY src2 dst REPLACE',
      'GET dst',
      ttl('dst'),
      'COPY src dst DB 2',
      'SELECT 2',
      'GET dst',
      ttl('dst'),
      'SELECT 0',
      'COPY src src',
      'COPY src src DB 0',
      'COPY src src DB 1',
      'COPY nosuch x',
      'COPY src x DB 16',
      'COPY src x DB -1',
      'COPY src x DB abc',
      'COPY src x DB 4294967296',
      'COPY src x DB',
      'COPY src x REPLACE REPLACE',
      'COPY src x BOGUS',
      'COPY src',
      `SET num 42`,
      'COPY num num2',
      'OBJECT ENCODING num2',
      'APPEND num2 x',
      'COPY num2 num3',
      'GET num3',
      'APPEND num3 y',
      'GET num2',
      'GET num3',
    ]));

  test('SWAPDB, FLUSHDB, FLUSHALL, MOVE, COPY and RENAME touch WATCHed keys', () => {
    const exec: Step[] = ['MULTI', 'PING', 'EXEC'];
    return pair.run([
      'SET w 1',
      'WATCH w',
      { cmd: 'SWAPDB 0 1', conn: 2 },
      ...exec,
      'WATCH absent',
      { cmd: 'SWAPDB 0 1', conn: 2 },
      ...exec,
      'SELECT 1',
      'SET y 1',
      'SELECT 0',
      'WATCH y',
      { cmd: 'SWAPDB 0 1', conn: 2 },
      ...exec,
      'GET y',
      'WATCH y',
      { cmd: 'FLUSHDB', conn: 2 },
      ...exec,
      'WATCH gone',
      { cmd: 'FLUSHALL', conn: 2 },
      ...exec,
      'SET m 1',
      'WATCH m',
      { cmd: 'MOVE m 2', conn: 2 },
      ...exec,
      'SET c 1',
      'WATCH d',
      { cmd: 'COPY c d', conn: 2 },
      ...exec,
      'WATCH c',
      { cmd: 'RENAME c e', conn: 2 },
      ...exec,
      'WATCH e',
      { cmd: 'EXPIRE e 100', conn: 2 },
      ...exec,
      'WATCH e',
      { cmd: 'PERSIST e', conn: 2 },
      ...exec,
      'WATCH e',
      { cmd: 'PERSIST e', conn: 2 },
      ...exec,
    ]);
  });

  test('keyspace hits and misses are counted like Redis', () =>
    pair.run([
      'CONFIG RESETSTAT',
      'SET a 1',
      'SET t v EX 100',
      'EXISTS a nosuch a',
      'TYPE a',
      'TYPE nosuch',
      'TOUCH a nosuch',
      ttl('a'),
      'PTTL nosuch',
      'EXPIRETIME t',
      'OBJECT ENCODING a',
      'OBJECT REFCOUNT nosuch',
      'COPY a b',
      'COPY nosuch c',
      'RENAME b c',
      'MOVE c 1',
      'EXPIRE a 100',
      'PERSIST a',
      'DEL a nosuch',
      'KEYS *',
      'SCAN 0 TYPE string',
      'RANDOMKEY',
      { cmd: 'INFO stats', compare: infoFields('keyspace_hits', 'keyspace_misses', 'expired_keys') },
      { cmd: 'INFO keyspace', compare: infoFields('db0', 'db1') },
    ]));

  test('every value type: TYPE, OBJECT ENCODING, SCAN TYPE, deep COPY, RENAME, MOVE', () =>
    pair.run([
      'RPUSH l a b',
      'HSET h f v',
      'SADD s a b',
      'SADD si 1 2 3',
      'ZADD z 1 a 2 b',
      'SET str v',
      'TYPE l',
      'TYPE h',
      'TYPE s',
      'TYPE z',
      'OBJECT ENCODING l',
      'OBJECT ENCODING h',
      'OBJECT ENCODING s',
      'OBJECT ENCODING si',
      'OBJECT ENCODING z',
      'OBJECT REFCOUNT l',
      scanStep('SCAN 0 TYPE list'),
      scanStep('SCAN 0 TYPE hash'),
      scanStep('SCAN 0 TYPE set'),
      scanStep('SCAN 0 TYPE zset'),
      scanStep('SCAN 0 TYPE string'),
      'COPY l l2',
      'RPUSH l2 c',
      'LRANGE l 0 -1',
      'LRANGE l2 0 -1',
      'COPY h h2',
      'HSET h2 g w',
      unordered('HGETALL h'),
      unordered('HGETALL h2'),
      'COPY s s2',
      'SREM s2 a',
      unordered('SMEMBERS s'),
      unordered('SMEMBERS s2'),
      'COPY si si2 DB 3',
      'COPY z z2',
      'ZADD z2 5 a',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZRANGE z2 0 -1 WITHSCORES',
      'COPY str l REPLACE',
      'TYPE l',
      'RENAME h2 z',
      'TYPE z',
      'MOVE s2 2',
      'SELECT 2',
      'TYPE s2',
      'SELECT 3',
      'OBJECT ENCODING si2',
      unordered('SMEMBERS si2'),
    ]));

  test('SELECT', () => pair.run(['SELECT 15', 'SELECT 16', 'SELECT -1', 'SELECT abc', 'SELECT 0', 'SELECT']));
});

describe('keys: keyspace notifications match redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({ config: { 'notify-keyspace-events': 'KEA' } });
  });
  after(() => pair.stop());

  /** Runs cmd on connection 1 and compares the next `events` messages seen by the subscriber. */
  const withEvents = (cmd: string, events: number): Step[] => [
    cmd,
    ...Array.from({ length: events }, (): Step => ({ read: 2 })),
  ];

  test('generic events: del, rename_from/to, move_from/to, copy_to, expire, persist', () =>
    pair.run([
      { cmd: 'PSUBSCRIBE __key*__:*', conn: 2 },
      'SET a 1',
      { read: 2 },
      { read: 2 },
      ...withEvents('DEL a nosuch', 2),
      'SET b 1',
      { read: 2 },
      { read: 2 },
      ...withEvents('RENAME b c', 4),
      ...withEvents('MOVE c 3', 4),
      'SELECT 3',
      ...withEvents('COPY c d DB 0', 2),
      ...withEvents('EXPIRE c 100', 2),
      ...withEvents('PERSIST c', 2),
      ...withEvents('EXPIRE c 0', 2),
      'EXISTS c',
      'SELECT 0',
      ...withEvents('FLUSHALL', 0),
      'SET z 1',
      { read: 2 },
      { read: 2 },
      { cmd: 'PUNSUBSCRIBE', conn: 2 },
    ]));
});

describe('keys: the new-key event matches redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  test('n: keys created by SET, RENAME, COPY, MOVE, not overwrites', async () => {
    const pair = await DiffPair.start({ config: { 'notify-keyspace-events': 'KEn' } });
    const events = (n: number): Step[] => Array.from({ length: n }, (): Step => ({ read: 2 }));
    try {
      await pair.run([
        { cmd: 'PSUBSCRIBE __key*__:*', conn: 2 },
        'SET a 1',
        ...events(2),
        'SET a 2',
        'RENAME a b',
        ...events(2),
        'SET x 1',
        ...events(2),
        'RENAME x b',
        ...events(2),
        'COPY b c',
        ...events(2),
        'MOVE c 1',
        ...events(2),
        'EXPIRE b 100',
        'DEL b',
        'SET z 1',
        ...events(2),
        { cmd: 'PUNSUBSCRIBE', conn: 2 },
      ]);
    } finally {
      await pair.stop();
    }
  });
});

describe('keys: SCAN guarantees against a growing and shrinking keyspace', () => {
  test('every key present for the whole iteration is returned (tsredis, 5000 keys)', async () => {
    const { startTsredis } = await import('../support/servers.js');
    const srv = await startTsredis();
    const c = await RawClient.connect(srv.port);
    try {
      const stable = Array.from({ length: 5000 }, (_, i) => `stable:${i}`);
      for (let i = 0; i < stable.length; i += 500)
        await c.call(['MSET', ...stable.slice(i, i + 500).flatMap((k) => [k, 'v'])]);
      for (let i = 0; i < 20000; i += 1000) {
        await c.call(['MSET', ...Array.from({ length: 1000 }, (_, j) => [`doomed:${i + j}`, 'v']).flat()]);
      }
      const seen = new Set<string>();
      let cursor = '0';
      let step = 0;
      let added = 0;
      let removed = 0;
      do {
        const r = await c.call(['SCAN', cursor, 'COUNT', '50']);
        const [next, keys] = (r.value as { value: RespValue[] }).value;
        cursor = text(next);
        for (const k of (keys as { value: RespValue[] }).value) seen.add(text(k));
        // First shrink the table a lot, then grow it a lot, while the iteration is under way.
        if (step < 40 && removed < 20000) {
          await c.call(['DEL', ...Array.from({ length: 500 }, (_, j) => `doomed:${removed + j}`)]);
          removed += 500;
        } else if (step < 80) {
          await c.call(['MSET', ...Array.from({ length: 1000 }, (_, j) => [`new:${added + j}`, 'v']).flat()]);
          added += 1000;
        }
        step++;
      } while (cursor !== '0');
      for (const k of stable) assert.ok(seen.has(k), `missed ${k}`);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('a full SCAN with MATCH and TYPE returns the same keys as redis-server', {
    skip: skipWithoutRedis(),
  }, async () => {
    const pair = await DiffPair.start();
    const r = await RawClient.connect(pair.redis.port);
    const t = await RawClient.connect(pair.ts.port);
    try {
      for (const c of [r, t]) {
        await c.call('FLUSHALL');
        await c.call(['MSET', ...Array.from({ length: 3000 }, (_, i) => [`key:${i}`, String(i)]).flat()]);
        await c.call(['MSET', ...Array.from({ length: 500 }, (_, i) => [`other:${i}`, 'x']).flat()]);
      }
      for (const options of [
        [],
        ['MATCH', 'key:1*'],
        ['COUNT', '7', 'MATCH', '*:[0-4]'],
        ['TYPE', 'string'],
      ]) {
        const [a, b] = await Promise.all([scanAll(r, options), scanAll(t, options)]);
        assert.deepEqual([...new Set(b)].sort(), [...new Set(a)].sort(), `SCAN ${options.join(' ')}`);
      }
    } finally {
      r.close();
      t.close();
      await pair.stop();
    }
  });
});

describe('keys: OBJECT IDLETIME and FREQ with an injected clock (tsredis)', () => {
  test('IDLETIME counts from the last touching access', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const srv = await startServer({ clock });
    const c = await RawClient.connect(srv.port);
    const idle = (key: string) => c.callRaw(['OBJECT', 'IDLETIME', key]);
    try {
      await c.call('SET k v');
      assert.equal(await idle('k'), ':0\r\n');
      clock.advance(10_000);
      assert.equal(await idle('k'), ':10\r\n');
      // Lookups without touch: EXISTS, TYPE, TTL, OBJECT, KEYS, SCAN.
      for (const cmd of [
        'EXISTS k',
        'TYPE k',
        'TTL k',
        'OBJECT ENCODING k',
        'KEYS *',
        'SCAN 0 TYPE string',
      ]) {
        await c.call(cmd);
      }
      assert.equal(await idle('k'), ':10\r\n');
      await c.call('GET k');
      assert.equal(await idle('k'), ':0\r\n');
      clock.advance(5_000);
      await c.call('TOUCH k');
      assert.equal(await idle('k'), ':0\r\n');
      clock.advance(3_000);
      await c.call('RENAME k k2');
      assert.equal(await idle('k2'), ':0\r\n');
      clock.advance(4_000);
      await c.call('EXPIRE k2 1000');
      assert.equal(await idle('k2'), ':0\r\n');
      clock.advance(4_000);
      await c.call('COPY k2 k3');
      assert.equal(await idle('k3'), ':0\r\n');
      await c.call('SELECT 1');
      clock.advance(7_000);
      assert.equal(await idle('k2'), '$-1\r\n');
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('LFU: initial counter 5, logarithmic increments, decay per lfu-decay-time minutes', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const srv = await startServer({
      clock,
      config: { 'maxmemory-policy': 'allkeys-lfu', 'lfu-log-factor': '0' },
    });
    const c = await RawClient.connect(srv.port);
    const freq = () => c.callRaw('OBJECT FREQ k');
    try {
      await c.call('SET k v');
      assert.equal(await freq(), ':5\r\n');
      // With lfu-log-factor 0 every access counts.
      for (let i = 0; i < 5; i++) await c.call('GET k');
      assert.equal(await freq(), ':10\r\n');
      await c.call('SET k v2');
      assert.equal(await freq(), ':11\r\n');
      clock.advance(3 * 60_000);
      assert.equal(await freq(), ':8\r\n');
      await c.call('CONFIG SET lfu-decay-time 0');
      assert.equal(await freq(), ':11\r\n');
      await c.call('CONFIG SET lfu-decay-time 2');
      assert.equal(await freq(), ':10\r\n');
      await c.call('CONFIG SET lfu-log-factor 10');
      await c.call('CONFIG SET lfu-decay-time 1');
      // At counter c > 5 an access increments with probability 1 / ((c - 5) * 10 + 1): rarely.
      await c.call('SET k3 v');
      for (let i = 0; i < 200; i++) await c.call('GET k3');
      const n = Number((await c.callRaw('OBJECT FREQ k3')).slice(1));
      // Expected about 11 (the increments are random); a linear counter would be at 205.
      assert.ok(n >= 6 && n <= 20, `counter ${n}`);
      assert.match(await c.callRaw('OBJECT IDLETIME k'), /^-ERR An LFU maxmemory policy is selected/);
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('the 24-bit LRU clock wraps around', () => {
    const ks = new Keyspace(1, new ManualClock(5_000));
    assert.equal(ks.lruClock, 5);
    assert.equal(ks.idleMs(2), 3_000);
    // Stamped just before the clock wrapped: (5 + MAX - stamp) seconds ago.
    assert.equal(ks.idleMs(LRU_CLOCK_MAX - 1), 6_000);
  });
});
