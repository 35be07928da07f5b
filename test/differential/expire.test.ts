import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PropagatedOp } from '../../src/core/events.js';
import { type Clock, ManualClock, startServer } from '../../src/index.js';
import { DiffPair, type Step } from '../support/diff.js';
import { PropagationDiff, sameCommand, type TappedCommand } from '../support/propagation-diff.js';
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

/** Integer replies that may differ by a little (times computed by each server from its own clock). */
const near =
  (tolerance: number) =>
  (redis: Reply, ts: Reply): string | null => {
    if (redis.value.type !== 'integer' || ts.value.type !== 'integer') {
      return redis.raw.equals(ts.raw) ? null : 'different replies';
    }
    const d = redis.value.value - ts.value.value;
    return d <= BigInt(tolerance) && d >= -BigInt(tolerance) ? null : `differ by ${d}`;
  };

const approx = (cmd: string, tolerance = 2000): Step => ({ cmd, compare: near(tolerance) });

describe('expire: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({ config: { 'enable-debug-command': 'yes' } });
  });
  after(() => pair.stop());

  test('EXPIRE with NX, XX, GT, LT; TTL and PERSIST', () =>
    pair.run([
      'SET k v',
      ttl('k'),
      'PTTL k',
      'EXPIRETIME k',
      'PEXPIRETIME k',
      'EXPIRE k 100',
      ttl('k'),
      approx('PTTL k'),
      approx('EXPIRETIME k', 2),
      approx('PEXPIRETIME k'),
      'EXPIRE k 100 NX',
      'EXPIRE k 200 XX',
      ttl('k'),
      'EXPIRE k 50 GT',
      'EXPIRE k 300 GT',
      ttl('k'),
      'EXPIRE k 400 LT',
      'EXPIRE k 100 LT',
      ttl('k'),
      'EXPIRE k 100 lt',
      'EXPIRE k 90 xx LT',
      'EXPIRE k 95 gt xx',
      ttl('k'),
      'PERSIST k',
      'PERSIST k',
      ttl('k'),
      'EXPIRE k 100 XX',
      'EXPIRE k 100 GT',
      'EXPIRE k 100 LT',
      ttl('k'),
      'PERSIST k',
      'EXPIRE k 100 NX',
      'EXPIRE k 100 NX',
      ttl('k'),
      'PEXPIRE k 50000',
      ttl('k'),
      'EXPIRE nosuch 10',
      'EXPIRE nosuch 10 XX',
      'PERSIST nosuch',
      ttl('nosuch'),
      'PTTL nosuch',
      'EXPIRETIME nosuch',
      'PEXPIRETIME nosuch',
    ]));

  test('absolute times and rounding', () =>
    pair.run([
      'SET k v',
      'EXPIREAT k 4102444800',
      'EXPIRETIME k',
      'PEXPIRETIME k',
      'PEXPIREAT k 4102444800123',
      'PEXPIRETIME k',
      'EXPIRETIME k',
      'PEXPIREAT k 4102444800499',
      'EXPIRETIME k',
      'PEXPIREAT k 4102444800500',
      'EXPIRETIME k',
      'EXPIREAT k 4102444800 GT',
      'EXPIREAT k 4102444801 GT',
      'PEXPIRETIME k',
      'PEXPIREAT k 4102444800999 LT',
      'PEXPIRETIME k',
    ]));

  test('times in the past delete the key', () =>
    pair.run([
      'SET k v',
      'EXPIRE k -1',
      'EXISTS k',
      'SET k v',
      'EXPIRE k 0',
      'EXISTS k',
      'SET k v',
      'PEXPIRE k 0',
      'EXISTS k',
      'SET k v',
      'EXPIREAT k 1',
      'EXISTS k',
      'SET k v',
      'PEXPIREAT k 1',
      'GET k',
      'SET k v',
      'EXPIREAT k 0',
      'EXISTS k',
      'SET k v',
      'PEXPIREAT k -9223372036854770000',
      ttl('k'),
      'SET k v',
      'EXPIREAT k -9223372036854775',
      'EXISTS k',
      'SET k v EX 100',
      'EXPIRE k -5 LT',
      'EXISTS k',
      'SET k v EX 100',
      'EXPIRE k -5 GT',
      'EXISTS k',
      'DBSIZE',
    ]));

  test('huge values: overflow errors and exact int64 times', () =>
    pair.run([
      'SET foo bar',
      'EXPIRE foo 9223370399119966',
      'EXPIRE foo 9223372036854776',
      'EXPIRE foo 10000000000000000',
      'EXPIRE foo 18446744073709561',
      'EXPIRE foo -9223372036854776',
      'EXPIRE foo 9223372036854775',
      'PEXPIRE foo 9223372036854770000',
      'PEXPIRE foo 9223372036854775807',
      'EXPIREAT foo 9223372036854776',
      'EXPIREAT foo -9223372036854776',
      ttl('foo'),
      'PEXPIREAT foo 9223372036854770000',
      'PEXPIRETIME foo',
      'EXPIRETIME foo',
      approx('TTL foo', 2),
      approx('PTTL foo'),
      'EXPIREAT foo 9223372036854775',
      'PEXPIRETIME foo',
      'PEXPIREAT foo 9223372036854775807',
      'PEXPIRETIME foo',
      'EXPIRETIME foo',
      'PEXPIREAT foo 9223372036854775806 GT',
      'PEXPIREAT foo 9223372036854775806 LT',
      'PEXPIRETIME foo',
      'PEXPIREAT foo 9223372036854775807 LT',
      'PEXPIREAT foo 9223372036854775807 GT',
      'PEXPIRETIME foo',
      'PEXPIREAT foo 9007199254740993',
      'PEXPIRETIME foo',
      'PEXPIREAT foo 9007199254740993 GT',
      'PEXPIREAT foo 9007199254740994 GT',
      'PEXPIRETIME foo',
      'PERSIST foo',
      ttl('foo'),
    ]));

  test('option and argument errors', () =>
    pair.run([
      'SET k v',
      'EXPIRE k 10 NX XX',
      'EXPIRE k 10 NX GT',
      'EXPIRE k 10 NX LT',
      'EXPIRE k 10 GT LT',
      'EXPIRE k 10 XX GT LT',
      'EXPIRE k 10 FOO',
      'EXPIRE k abc FOO',
      'EXPIRE k abc',
      'EXPIRE k 1.5',
      'EXPIRE k " 1"',
      'EXPIRE k +1',
      'EXPIRE k 01',
      'EXPIRE k ""',
      'EXPIRE nosuch abc',
      ['EXPIRE', 'k', '10', 'a\x00b'],
      ['EXPIRE', 'k', '10', 'a\r\nb'],
      'EXPIRE k 10 NX NX',
      'PEXPIRE k 10 bogus',
      'EXPIREAT k x',
      'PEXPIREAT k 1 GT LT',
      ttl('k'),
      'EXPIRE',
      'EXPIRE k',
      'PEXPIRE k',
      'EXPIREAT k',
      'PEXPIREAT k',
      'TTL',
      'TTL a b',
      'PTTL',
      'EXPIRETIME',
      'PEXPIRETIME a b',
      'PERSIST',
      'PERSIST a b',
    ]));

  test('lazy expiry on access, KEYS skips, SCAN and RANDOMKEY expire', () =>
    pair.run([
      'DEBUG SET-ACTIVE-EXPIRE 0',
      'SET a 1 PX 5',
      'SET b 2 PX 5',
      'SET c 3 PX 5',
      'SET d 4 PX 5',
      'SET e 5 PX 5',
      'SET f 6 PX 5',
      'SET live v',
      'DEBUG SLEEP 0.02',
      'DBSIZE',
      'GET a',
      'DBSIZE',
      'KEYS *',
      'DBSIZE',
      'EXISTS b',
      ttl('c'),
      'DBSIZE',
      'EXPIRE d 100',
      'PERSIST e',
      'DEL f',
      'DBSIZE',
      'SET g 7 PX 5',
      'SET h 8 PX 5',
      'DEBUG SLEEP 0.02',
      { cmd: 'SCAN 0', compare: 'unordered' },
      'DBSIZE',
      'SET i 9 PX 5',
      'DEBUG SLEEP 0.02',
      'RENAME i j',
      'SET x 1 PX 5',
      'DEBUG SLEEP 0.02',
      'COPY x y',
      'MOVE x 1',
      'SET x 2 KEEPTTL',
      ttl('x'),
      'SET y 1 PX 5',
      'SET z 1 PX 5',
      'DEL live x',
      'DEBUG SLEEP 0.02',
      'RANDOMKEY',
      'DBSIZE',
      'DEBUG SET-ACTIVE-EXPIRE 1',
    ]));

  test('a key expired by another client fails a WATCH', () =>
    pair.run([
      'DEBUG SET-ACTIVE-EXPIRE 0',
      // Long enough that WATCH comes before the expiry even on a loaded machine (a key already
      // expired when watched does not fail the EXEC).
      'SET k v PX 200',
      'WATCH k',
      'DEBUG SLEEP 0.3',
      { cmd: 'GET k', conn: 2 },
      'MULTI',
      'PING',
      'EXEC',
      'DEBUG SET-ACTIVE-EXPIRE 1',
    ]));
});

describe('expire: keyspace notifications match redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({
      config: { 'notify-keyspace-events': 'KEA', 'enable-debug-command': 'yes' },
    });
  });
  after(() => pair.stop());

  const events = (n: number): Step[] => Array.from({ length: n }, (): Step => ({ read: 2 }));

  test('expire, persist, del (time in the past) and expired events', () =>
    pair.run([
      'DEBUG SET-ACTIVE-EXPIRE 0',
      { cmd: 'PSUBSCRIBE __key*__:*', conn: 2 },
      'SET k v',
      ...events(2),
      'EXPIRE k 100',
      ...events(2),
      'EXPIRE k 10 GT',
      'PERSIST k',
      ...events(2),
      'PERSIST k',
      'EXPIRE k -1',
      ...events(2),
      'SET k v PX 5',
      ...events(4),
      'DEBUG SLEEP 0.02',
      'GET k',
      ...events(2),
      'SET e v PX 5',
      ...events(4),
      'DEBUG SLEEP 0.02',
      'SET e v2',
      ...events(4),
      'SET z v',
      ...events(2),
      'DEBUG SET-ACTIVE-EXPIRE 1',
      { cmd: 'PUNSUBSCRIBE', conn: 2 },
    ]));

  test('keymiss events from EXISTS, TYPE, TTL, TOUCH, COPY', async () => {
    const p = await DiffPair.start({ config: { 'notify-keyspace-events': 'KEm' } });
    try {
      await p.run([
        { cmd: 'PSUBSCRIBE __key*__:*', conn: 2 },
        'EXISTS nosuch',
        ...events(2),
        'TYPE nosuch2',
        ...events(2),
        ttl('nosuch3'),
        ...events(2),
        'TOUCH nosuch4',
        ...events(2),
        'COPY nosuch5 x',
        ...events(2),
        'OBJECT ENCODING nosuch6',
        'SET present v',
        'EXISTS present',
        'TOUCH nosuch7',
        ...events(2),
        { cmd: 'PUNSUBSCRIBE', conn: 2 },
      ]);
    } finally {
      await p.stop();
    }
  });
});

describe('expire and keys: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let diff: PropagationDiff;
  before(async () => {
    diff = await PropagationDiff.start({ config: { 'enable-debug-command': 'yes' } });
  });
  after(() => diff.stop());

  /** Runs the script on both servers and compares what each propagated (db and command). */
  async function propagates(steps: Step[]): Promise<void> {
    const recorded = await diff.record(steps);
    // DiffPair.run starts with a FLUSHALL on each server.
    const redis = recorded.redis.filter((c, i) => i > 0 || c.argv[0] !== 'FLUSHALL');
    const ts = recorded.ts.filter((c, i) => i > 0 || c.argv[0] !== 'FLUSHALL');
    const show = (list: TappedCommand[]) => list.map((c) => `${c.db}: ${c.argv.join(' ')}`);
    const same =
      redis.length === ts.length &&
      redis.every((c, i) => c.db === ts[i].db && sameCommand(c.argv, ts[i].argv));
    assert.ok(
      same,
      `propagated commands differ\nredis:\n  ${show(redis).join('\n  ')}\ntsredis:\n  ${show(ts).join('\n  ')}`,
    );
  }

  test('EXPIRE family becomes PEXPIREAT with an absolute time; past times become DEL', () =>
    propagates([
      'SET k v',
      'EXPIRE k 100',
      'PEXPIRE k 100000',
      'EXPIREAT k 4102444800',
      'PEXPIREAT k 4102444800123',
      'pexpireat k 4102444800124',
      'EXPIRE k 100 XX',
      'EXPIRE k 50 GT',
      'EXPIRE k 5000 gt',
      'EXPIRE nosuch 100',
      'PERSIST k',
      'PERSIST k',
      ttl('k'),
      'EXPIRE k -1',
      'SET k v',
      'PEXPIREAT k 1',
      'SET k v',
      'EXPIRE k 10 FOO',
    ]));

  test('UNLINK instead of DEL with lazyfree-lazy-expire', () =>
    propagates([
      'CONFIG SET lazyfree-lazy-expire yes',
      'SET k v',
      'EXPIRE k 0',
      'SET k v PX 5',
      'DEBUG SET-ACTIVE-EXPIRE 0',
      'DEBUG SLEEP 0.02',
      'GET k',
      'DEBUG SET-ACTIVE-EXPIRE 1',
      'CONFIG SET lazyfree-lazy-expire no',
    ]));

  test('lazy expiry: DEL before a read, in MULTI/EXEC with a write', () =>
    propagates([
      'DEBUG SET-ACTIVE-EXPIRE 0',
      'SET a v PX 5',
      'SET b v PX 5',
      'SET c v PX 5',
      'DEBUG SLEEP 0.02',
      'GET a',
      'SET b v2',
      'EXPIRE c 100',
      'DEBUG SET-ACTIVE-EXPIRE 1',
    ]));

  test('generic key commands', () =>
    propagates([
      'MSET a 1 b 2 c 3',
      'DEL a nosuch',
      'DEL nosuch',
      'UNLINK b',
      'EXISTS c',
      'TOUCH c',
      'RENAME c d',
      'RENAME d d',
      'RENAMENX d d',
      'SET e 1',
      'RENAMENX d e',
      'MOVE d 3',
      'SET f 1 EX 100',
      'COPY f g',
      'COPY f g',
      'COPY f g DB 4 REPLACE',
      'SWAPDB 0 1',
      'SWAPDB 1 0',
      'FLUSHDB',
      'FLUSHDB',
      'FLUSHALL ASYNC',
      'FLUSHDB BOGUS',
    ]));
});

/** Heap in use after a full collection (gc exposed at run time for this measurement). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

/** A clock that moves forward by `step` ms every time it is read. */
class SteppingClock implements Clock {
  constructor(
    public time: number,
    private readonly step: number,
  ) {}
  now(): number {
    this.time += this.step;
    return this.time;
  }
}

describe('expire: time snapshots and the active cycle (tsredis, injected clock)', () => {
  test('a key expires strictly after its time; TTL rounds like Redis', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const srv = await startServer({ clock });
    const c = await RawClient.connect(srv.port);
    try {
      await c.call('SET k v PX 1499');
      assert.equal(await c.callRaw('TTL k'), ':1\r\n');
      await c.call('SET k v PX 1500');
      assert.equal(await c.callRaw('TTL k'), ':2\r\n');
      assert.equal(await c.callRaw('PTTL k'), ':1500\r\n');
      assert.equal(await c.callRaw('PEXPIRETIME k'), `:${clock.time + 1500}\r\n`);
      clock.advance(1500);
      assert.equal(await c.callRaw('PTTL k'), ':0\r\n');
      assert.equal(await c.callRaw('TTL k'), ':0\r\n');
      assert.equal(await c.callRaw('GET k'), '$1\r\nv\r\n');
      clock.advance(1);
      assert.equal(await c.callRaw('GET k'), '$-1\r\n');
      assert.equal(srv.server.keyspace.expiredKeys, 1);
      assert.equal(await c.callRaw('DBSIZE'), ':0\r\n');
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('EXPIRE computes from the command time; EXPIRE at now deletes', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const srv = await startServer({ clock });
    const c = await RawClient.connect(srv.port);
    try {
      await c.call('SET k v');
      await c.call('EXPIRE k 10');
      assert.equal(await c.callRaw('PEXPIRETIME k'), `:${clock.time + 10_000}\r\n`);
      assert.equal(await c.callRaw(`PEXPIREAT k ${clock.time + 1}`), ':1\r\n');
      assert.equal(await c.callRaw('EXISTS k'), ':1\r\n');
      assert.equal(await c.callRaw(`PEXPIREAT k ${clock.time}`), ':1\r\n');
      assert.equal(await c.callRaw('EXISTS k'), ':0\r\n');
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('commands inside EXEC share one time snapshot', async () => {
    const clock = new SteppingClock(1_700_000_000_000, 10);
    const srv = await startServer({ clock });
    const c = await RawClient.connect(srv.port);
    try {
      await c.call('MULTI');
      await c.call('SET k v PX 15');
      for (let i = 0; i < 5; i++) await c.call('GET k');
      const exec = await c.callRaw('EXEC');
      assert.equal(exec, `*6\r\n+OK\r\n${'$1\r\nv\r\n'.repeat(5)}`);
      // Outside a transaction every command takes its own snapshot: 10ms later it is gone.
      await c.call('SET k v PX 15');
      await c.call('GET k');
      assert.equal(await c.callRaw('GET k'), '$-1\r\n');
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('the active cycle reclaims expired keys without access, and can be disabled', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const srv = await startServer({ clock, config: { 'enable-debug-command': 'yes' } });
    const c = await RawClient.connect(srv.port);
    const ks = srv.server.keyspace;
    const db = ks.dbs[0];
    try {
      // 20000 volatile keys with distinct 1 KB values (flat strings, as the parser makes them), and
      // 20000 persistent ones.
      const raw = Buffer.alloc(1024, 'x');
      ks.tick();
      for (let i = 0; i < 20_000; i++) {
        raw.latin1Write(String(i), 0);
        db.set(`v:${i}`, raw.latin1Slice(0, 1024));
        db.setExpire(`v:${i}`, clock.time + 1000);
        db.set(`p:${i}`, 'x');
      }
      assert.equal(db.size, 40_000);
      const bucketsBefore = db.expires.bucketCount;

      // Before the TTL nothing goes; the cycle samples TTLs for avg_ttl.
      assert.equal(ks.activeExpireCycle('slow'), 0);
      assert.ok(db.avgTtl > 900 && db.avgTtl <= 1000, `avg_ttl ${db.avgTtl}`);

      await c.call('DEBUG SET-ACTIVE-EXPIRE 0');
      clock.advance(1001);
      assert.equal(ks.activeExpireCycle('slow'), 0);
      assert.equal(db.size, 40_000);
      // Values live in the keyspace's string arena: a freed one returns its cell there.
      const heapBefore = heapAfterGc() + db.data.packedBytes;
      await c.call('DEBUG SET-ACTIVE-EXPIRE 1');

      let cycles = 0;
      while (db.expiresCount > 0 && cycles < 10_000) {
        ks.activeExpireCycle('slow');
        cycles++;
      }
      assert.equal(db.expiresCount, 0);
      assert.equal(db.size, 20_000);
      assert.equal(ks.expiredKeys, 20_000);
      assert.equal(db.avgTtl, 0);
      assert.ok(ks.expiredStalePerc > 0);
      assert.ok(db.expires.bucketCount < bucketsBefore, 'the expires table shrank');
      // Nothing references the expired values any more: about 20 MB come back.
      const freed = heapBefore - heapAfterGc() - db.data.packedBytes;
      assert.ok(freed > 15_000_000, `freed ${freed} bytes`);
      assert.equal(await c.callRaw('DBSIZE'), ':20000\r\n');
      assert.equal(await c.callRaw('GET p:1'), '$1\r\nx\r\n');
    } finally {
      c.close();
      await srv.stop();
    }
  });

  test('the server cron runs the active cycle, notifying and propagating each expired key', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const srv = await startServer({ clock, config: { hz: '100', 'notify-keyspace-events': 'Ex' } });
    const sub = await RawClient.connect(srv.port);
    const c = await RawClient.connect(srv.port);
    const ops: PropagatedOp[][] = [];
    srv.server.events.onPropagate({ active: () => true, feed: (batch) => ops.push(batch) });
    try {
      await sub.call('PSUBSCRIBE __keyevent@*__:expired');
      await c.call('SET k v PX 100');
      await c.call('SELECT 2');
      await c.call('SET k2 v PX 100');
      ops.length = 0;
      clock.advance(200);
      // No command touches the keys: the cron (every 10ms at hz 100) expires them.
      const events: string[] = [];
      for (let i = 0; i < 2; i++) {
        const parts = ((await sub.read()).value as { value: Array<{ value: Buffer }> }).value;
        events.push(`${parts[2].value.toString()} ${parts[3].value.toString()}`);
      }
      assert.deepEqual(events.sort(), ['__keyevent@0__:expired k', '__keyevent@2__:expired k2']);
      const propagated = ops.map((batch) => batch.map((op) => `${op.db} ${op.argv.join(' ')}`).join(' | '));
      assert.deepEqual(propagated.sort(), ['0 DEL k', '2 DEL k2']);
      assert.equal(srv.server.keyspace.keyCount, 0);
    } finally {
      sub.close();
      c.close();
      await srv.stop();
    }
  });
});
