/**
 * maxmemory: OOM refusals, eviction policies, `evicted` events and propagated deletions compared
 * with redis-server 7.0 where the outcome is deterministic (a maxmemory of 1 byte leaves nothing
 * to keep), then tsredis alone: memory stays bounded while filling, replicas follow, policies pick
 * the right keys, and the per-key memory estimate never drifts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock, type RunningServer, startServer } from '../../src/index.js';
import { evictionTimeLimitUs } from '../../src/server/evictor.js';
import type { Database } from '../../src/store/database.js';
import { expireBytes, keyBytes, storedStringBytes, valueBytes } from '../../src/store/memory-estimate.js';
import { DiffPair, type Step } from '../support/diff.js';
import { PropagationDiff, type TappedCommand } from '../support/propagation-diff.js';
import { RawClient, type Reply } from '../support/raw-client.js';
import { info, waitReplicaCaughtUp } from '../support/replication.js';
import { skipWithoutRedis } from '../support/servers.js';
import { waitFor } from '../support/tcp-proxy.js';

const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

/** Compares only the named fields of an INFO reply. */
function infoFields(...names: string[]) {
  return (redis: Reply, ts: Reply): string | null => {
    const pick = (r: Reply) => {
      const text = r.raw.toString('latin1');
      return names.map((n) => new RegExp(`^${n}:(.*)\r$`, 'm').exec(text)?.[1] ?? '<missing>').join(' ');
    };
    const a = pick(redis);
    const b = pick(ts);
    return a === b ? null : `redis: ${a} / tsredis: ${b}`;
  };
}

/** Steps that put a policy in place with a 1-byte limit, then restore the defaults. */
const tiny = (policy: string): Step[] => [`CONFIG SET maxmemory-policy ${policy}`, 'CONFIG SET maxmemory 1'];
const restore: Step[] = ['CONFIG SET maxmemory 0', 'CONFIG SET maxmemory-policy noeviction'];

describe('maxmemory: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('noeviction: denyoom commands get -OOM, reads, deletes and other writes still run', () =>
    pair.run([
      'SET a 1',
      'RPUSH l x y',
      'CONFIG SET maxmemory 1',
      'SET b 1',
      'INCR n',
      'SETNX a 2',
      'APPEND a x',
      'LPUSH l z',
      'HSET h f v',
      'GET a',
      'LRANGE l 0 -1',
      'EXISTS a b',
      'EXPIRE a 100',
      'PERSIST a',
      'LPOP l',
      'DEL a',
      'UNLINK l',
      'PING',
      'DBSIZE',
      ...restore,
      'SET b 1',
    ]));

  test('INFO memory: maxmemory, maxmemory_human, maxmemory_policy', () =>
    pair.run([
      { cmd: 'INFO memory', compare: infoFields('maxmemory', 'maxmemory_human', 'maxmemory_policy') },
      'CONFIG SET maxmemory 10mb',
      'CONFIG SET maxmemory-policy allkeys-lfu',
      { cmd: 'INFO memory', compare: infoFields('maxmemory', 'maxmemory_human', 'maxmemory_policy') },
      'CONFIG SET maxmemory 3gb',
      'CONFIG SET maxmemory-policy volatile-ttl',
      { cmd: 'INFO', compare: infoFields('maxmemory', 'maxmemory_human', 'maxmemory_policy') },
      { cmd: 'CONFIG GET maxmemory*', compare: 'unordered' },
      ...restore,
      { cmd: 'INFO memory', compare: infoFields('maxmemory', 'maxmemory_human', 'maxmemory_policy') },
    ]));

  for (const policy of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random']) {
    test(`${policy}: with nothing able to help, every key of every db is evicted, then -OOM`, () =>
      pair.run([
        'CONFIG RESETSTAT',
        'SET a 1',
        'SET b 2 EX 100',
        'RPUSH l x',
        'SELECT 1',
        'SET c 3',
        'SELECT 0',
        ...tiny(policy),
        'DBSIZE',
        'SELECT 1',
        'DBSIZE',
        'SELECT 0',
        'SET d 1',
        'GET a',
        { cmd: 'INFO stats', compare: infoFields('evicted_keys') },
        ...restore,
      ]));
  }

  for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
    test(`${policy}: only keys with a TTL are evicted`, () =>
      pair.run([
        'CONFIG RESETSTAT',
        'SET keep 1',
        'SET v1 1 EX 100',
        'SET v2 1 PX 200000',
        'HSET h f v',
        'EXPIRE h 300',
        ...tiny(policy),
        'DBSIZE',
        'GET keep',
        'TTL v1',
        'SET more 1',
        { cmd: 'INFO stats', compare: infoFields('evicted_keys', 'expired_keys') },
        ...restore,
        'DBSIZE',
      ]));
  }

  test('evicted keyspace events', () =>
    pair.run([
      { cmd: 'CONFIG SET notify-keyspace-events KEe', conn: 2 },
      { cmd: 'PSUBSCRIBE __key*__:*', conn: 2 },
      'SET k 1',
      ...tiny('allkeys-random'),
      { read: 2 },
      { read: 2 },
      ...restore,
      'CONFIG SET notify-keyspace-events ""',
    ]));

  test('an evicted WATCHed key makes EXEC fail', () =>
    pair.run([
      'SET w 1',
      'WATCH w',
      { cmd: 'CONFIG SET maxmemory-policy allkeys-random', conn: 2 },
      { cmd: 'CONFIG SET maxmemory 1', conn: 2 },
      { cmd: 'CONFIG SET maxmemory 0', conn: 2 },
      'MULTI',
      'PING',
      'EXEC',
      'CONFIG SET maxmemory-policy noeviction',
    ]));
});

describe('maxmemory: propagated deletions like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let diff: PropagationDiff;
  // The end of Redis's stream is marked in db 0: a marker db would lose its key to allkeys eviction.
  before(async () => {
    diff = await PropagationDiff.start({ markerDb: null });
  });
  after(() => diff.stop());

  /**
   * Runs the steps on both and compares the db 0 streams. Keys evicted by one loop may go in any
   * order (equal idle times), so runs of DEL/UNLINK compare as sets.
   */
  async function propagates(steps: Step[]): Promise<void> {
    const recorded = await diff.record(steps);
    const normalize = (ops: TappedCommand[]) => {
      const out: string[] = [];
      let run: string[] = [];
      const flush = () => {
        out.push(...run.sort());
        run = [];
      };
      for (const { db, argv } of ops) {
        if (db !== 0) continue;
        const text = argv.map((a) => (/^\d{13}$/.test(a) ? '<ms>' : a)).join(' ');
        if (/^(DEL|UNLINK)$/i.test(argv[0])) run.push(text);
        else {
          flush();
          out.push(text);
        }
      }
      flush();
      return out;
    };
    const redis = normalize(recorded.redis);
    const ts = normalize(recorded.ts);
    assert.deepEqual(
      ts,
      redis,
      `propagated commands differ\nredis:\n  ${redis.join('\n  ')}\ntsredis:\n  ${ts.join('\n  ')}`,
    );
  }

  test('one DEL per evicted key, not wrapped in MULTI, also when CONFIG SET maxmemory evicts', () =>
    propagates([
      'SET a 1',
      'SET b 1',
      'SET c 1 EX 100',
      ...tiny('allkeys-lru'),
      'DBSIZE',
      ...restore,
      'SET d 1',
      'SET e 1 EX 100',
      ...tiny('volatile-ttl'),
      'GET d',
      ...restore,
    ]));

  test('lazyfree-lazy-eviction propagates UNLINK', () =>
    propagates([
      'CONFIG SET lazyfree-lazy-eviction yes',
      'SET a 1',
      'SET b 1',
      ...tiny('allkeys-random'),
      ...restore,
      'CONFIG SET lazyfree-lazy-eviction no',
    ]));

  test('evictions triggered while a transaction is rejected', () =>
    propagates([
      'SET f 1 EX 100',
      'CONFIG SET maxmemory-policy volatile-ttl',
      'MULTI',
      'SET g 1',
      { cmd: 'CONFIG SET maxmemory 1', conn: 2 },
      'EXEC',
      ...restore,
    ]));
});

// --- tsredis alone ---

async function infoOf(port: number, section: string): Promise<Map<string, string>> {
  return info(port, section);
}

async function num(port: number, section: string, field: string): Promise<number> {
  return Number((await infoOf(port, section)).get(field));
}

/** Pipelines SETs of `size`-byte values for keys prefix:from..to-1; resolves when all replied. */
async function fill(c: RawClient, prefix: string, from: number, to: number, size: number): Promise<Reply[]> {
  const value = 'v'.repeat(size);
  for (let i = from; i < to; i++) c.send(['SET', `${prefix}:${i}`, value]);
  const replies: Reply[] = [];
  for (let i = from; i < to; i++) replies.push(await c.read());
  return replies;
}

test('allkeys-lru: filling keeps used_memory under maxmemory; events, DELs and a replica follow', async () => {
  const master = await startServer({
    config: {
      'maxmemory-policy': 'allkeys-lru',
      'notify-keyspace-events': 'Ee',
      'repl-diskless-sync-delay': '0',
    },
  });
  // The replica has a tiny limit of its own: replicas ignore maxmemory and follow the master.
  const replica = await startServer({
    config: `replicaof 127.0.0.1 ${master.port}\nmaxmemory 1\nmaxmemory-policy allkeys-lru`,
  });
  const c = await RawClient.connect(master.port);
  const sub = await RawClient.connect(master.port);
  let dels = 0;
  master.server.events.onPropagate({
    active: () => true,
    feed: (ops) => {
      for (const op of ops) if (op.argv[0] === 'DEL') dels++;
    },
  });
  try {
    await waitReplicaCaughtUp(master.port, replica.port);
    await sub.call('SUBSCRIBE __keyevent@0__:evicted');
    const base = await num(master.port, 'memory', 'used_memory');
    const limit = base + 4 * 1024 * 1024;
    assert.equal((await c.call(['CONFIG', 'SET', 'maxmemory', String(limit)])).raw.toString(), '+OK\r\n');
    let highest = 0;
    const total = 24_000;
    for (let from = 0; from < total; from += 1000) {
      const replies = await fill(c, 'key', from, from + 1000, 1000);
      assert.ok(
        replies.every((r) => r.raw.toString() === '+OK\r\n'),
        'every SET succeeds (keys are evicted instead)',
      );
      highest = Math.max(highest, await num(master.port, 'memory', 'used_memory'));
    }
    const mem = await infoOf(master.port, 'memory');
    const used = Number(mem.get('used_memory'));
    assert.equal(Number(mem.get('maxmemory')), limit);
    assert.equal(mem.get('maxmemory_policy'), 'allkeys-lru');
    assert.ok(used <= limit, `used_memory ${used} <= maxmemory ${limit}`);
    // A pipelined batch's query buffer counts too, for at most the 100 ms the sum is cached.
    assert.ok(highest <= limit + 1024 * 1024, `used_memory stayed near the limit (highest ${highest})`);
    assert.equal(
      Number(mem.get('used_memory_dataset')) + Number(mem.get('used_memory_overhead')),
      used,
      'dataset + overhead = used_memory',
    );
    const evicted = await num(master.port, 'stats', 'evicted_keys');
    const size = master.server.keyspace.dbs[0].size;
    assert.ok(evicted > 0, 'keys were evicted');
    assert.equal(size + evicted, total, 'every key is either there or evicted');
    assert.ok(size > 1000, `a few MB of keys remain (${size})`);
    assert.equal(dels, evicted, 'one propagated DEL per evicted key');
    // The subscriber got one `evicted` message per evicted key.
    let messages = 0;
    await waitFor('evicted notifications', async () => {
      while (messages < evicted) {
        const r = await sub.read(2000);
        assert.match(r.raw.toString(), /evicted/);
        messages++;
      }
      return true;
    });
    // The replica applied the DELs and evicted nothing itself.
    // (INFO connections count as clients' memory: the master may have evicted a few more since.)
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.equal(replica.server.keyspace.dbs[0].size, master.server.keyspace.dbs[0].size);
    assert.equal(await num(replica.port, 'stats', 'evicted_keys'), 0);
    assert.equal(await num(replica.port, 'memory', 'maxmemory'), 1);
    // The first keys written were the least recently used: gone on both.
    assert.equal(master.server.keyspace.dbs[0].exists('key:0'), false);
    assert.equal(replica.server.keyspace.dbs[0].exists('key:0'), false);
    assert.equal(replica.server.keyspace.dbs[0].exists(`key:${total - 1}`), true);
    // Reads on the replica are not refused for its own tiny limit.
    const rc = await RawClient.connect(replica.port);
    assert.equal((await rc.call(['GET', `key:${total - 1}`])).raw.toString().startsWith('$1000'), true);
    rc.close();
  } finally {
    c.close();
    sub.close();
    await replica.stop();
    await master.stop();
  }
});

/** A server with keys k0..k(n-1), then the given policy and a limit `free` bytes below its usage. */
async function overLimit(
  srv: RunningServer,
  policy: string,
  freeBytes: number,
): Promise<{ c: RawClient; evicted: () => string[] }> {
  const c = await RawClient.connect(srv.port);
  const gone: string[] = [];
  srv.server.events.onPropagate({
    active: () => true,
    feed: (ops) => {
      for (const op of ops) if (op.argv[0] === 'DEL') gone.push(op.argv[1]);
    },
  });
  await c.call(['CONFIG', 'SET', 'maxmemory-samples', '1000']);
  await c.call(['CONFIG', 'SET', 'maxmemory-policy', policy]);
  const used = srv.server.evictor.usedMemory(true);
  await c.call(['CONFIG', 'SET', 'maxmemory', String(used - freeBytes)]);
  return { c, evicted: () => gone };
}

test('volatile-ttl evicts the keys that expire soonest (sampling every key)', async () => {
  const srv = await startServer();
  const c = await RawClient.connect(srv.port);
  try {
    for (let i = 0; i < 50; i++)
      await c.call(['SET', `k${i}`, 'x'.repeat(100), 'EX', String(1000 + ((i * 37) % 50))]);
    for (let i = 0; i < 10; i++) await c.call(['SET', `p${i}`, 'x'.repeat(100)]);
    const { c: c2, evicted } = await overLimit(srv, 'volatile-ttl', 5 * 200);
    const gone = evicted();
    assert.ok(gone.length >= 5 && gone.length <= 7, `about 5 keys evicted (${gone.length})`);
    const ttlOf = (k: string) => 1000 + ((Number(k.slice(1)) * 37) % 50);
    assert.deepEqual(
      gone.map(ttlOf),
      gone.map((_, i) => 1000 + i),
      'soonest first',
    );
    c2.close();
  } finally {
    c.close();
    await srv.stop();
  }
});

test('allkeys-lru evicts idle keys first, allkeys-lfu rarely used ones', async () => {
  for (const policy of ['allkeys-lru', 'allkeys-lfu']) {
    const clock = new ManualClock();
    const srv = await startServer({ clock, config: { 'maxmemory-policy': policy } });
    const c = await RawClient.connect(srv.port);
    try {
      for (let i = 0; i < 40; i++) await c.call(['SET', `k${i}`, 'x'.repeat(100)]);
      clock.advance(120_000);
      // The even keys are used again (LRU: recent; LFU: counter above the initial 5).
      for (let i = 0; i < 40; i += 2) await c.call(['GET', `k${i}`]);
      const { c: c2, evicted } = await overLimit(srv, policy, 10 * 200);
      const gone = evicted();
      assert.ok(gone.length >= 10, `${policy}: keys evicted (${gone.length})`);
      assert.ok(
        gone.every((k) => Number(k.slice(1)) % 2 === 1),
        `${policy}: only unused keys evicted: ${gone.join(' ')}`,
      );
      c2.close();
    } finally {
      c.close();
      await srv.stop();
    }
  }
});

test('past the tenacity time budget evictions go on in the background; commands are not refused', async () => {
  assert.equal(evictionTimeLimitUs(0), 0);
  assert.equal(evictionTimeLimitUs(10), 500);
  assert.equal(evictionTimeLimitUs(11), 575);
  assert.equal(evictionTimeLimitUs(100), Number.POSITIVE_INFINITY);
  const srv = await startServer({
    config: { 'maxmemory-policy': 'allkeys-random', 'maxmemory-eviction-tenacity': '0' },
  });
  const c = await RawClient.connect(srv.port);
  try {
    await fill(c, 'key', 0, 5000, 200);
    const used = srv.server.evictor.usedMemory(true);
    const limit = used - 500 * 1024;
    // Tenacity 0: 16 keys per call, the rest between event-loop turns.
    // Both in one batch of input: the SET is judged before the background task could run.
    c.send(['CONFIG', 'SET', 'maxmemory', String(limit)]);
    c.send(['SET', 'new', 'v']);
    assert.equal((await c.read()).raw.toString(), '+OK\r\n');
    assert.equal((await c.read()).raw.toString(), '+OK\r\n', 'not -OOM while evictions are running');
    await waitFor('memory under the limit', async () => srv.server.evictor.bytesToFree() === 0);
    assert.ok((await num(srv.port, 'stats', 'evicted_keys')) > 16);
    assert.ok(srv.server.evictor.usedMemory() <= limit);
  } finally {
    c.close();
    await srv.stop();
  }
});

test('noeviction refuses writes at the limit; an estimate-based used_memory drops as keys go', async () => {
  const srv = await startServer();
  const c = await RawClient.connect(srv.port);
  try {
    await fill(c, 'key', 0, 1000, 1000);
    const used = srv.server.evictor.usedMemory(true);
    await c.call(['CONFIG', 'SET', 'maxmemory', String(used - 10_000)]);
    assert.equal(await c.callRaw(['SET', 'x', '1']), OOM);
    assert.equal(await c.callRaw(['GET', 'key:1']), `$1000\r\n${'v'.repeat(1000)}\r\n`);
    for (let i = 0; i < 20; i++) await c.call(['DEL', `key:${i}`]);
    assert.equal(await c.callRaw(['SET', 'x', '1']), '+OK\r\n');
    assert.ok(srv.server.evictor.usedMemory(true) < used - 10_000);
    assert.equal(await num(srv.port, 'stats', 'evicted_keys'), 0);
    const cmdstat = (await infoOf(srv.port, 'commandstats')).get('cmdstat_set') ?? '';
    assert.match(cmdstat, /rejected_calls=1,/);
  } finally {
    c.close();
    await srv.stop();
  }
});

/** What a db's usedBytes should be, recomputed from scratch (exact while collections stay small). */
function recount(db: Database): number {
  let n = 0;
  db.expires.forEach((key) => {
    n += expireBytes(key);
  });
  db.data.forEach((key, value) => {
    n += keyBytes(key) + (typeof value === 'string' ? storedStringBytes(value.length) : valueBytes(value));
  });
  return n;
}

test('the memory estimate follows every kind of write and returns to zero', async () => {
  const srv = await startServer();
  const c = await RawClient.connect(srv.port);
  const dbs = srv.server.keyspace.dbs;
  const check = (what: string) => {
    for (const db of dbs) assert.equal(db.usedBytes, recount(db), `${what}: db ${db.id}`);
  };
  const run = async (...cmds: string[][]) => {
    for (const argv of cmds) {
      const r = await c.call(argv);
      assert.notEqual(r.value.type, 'error', `${argv.join(' ')}: ${r.raw.toString()}`);
    }
  };
  try {
    await run(
      ['SET', 's', 'hello'],
      ['SET', 'n', '12345'],
      ['INCRBY', 'n', '10'],
      ['APPEND', 'm', 'abc'],
      ['APPEND', 'm', 'defgh'],
      ['SETRANGE', 'm', '20', 'x'],
      ['SETBIT', 'b', '100', '1'],
      ['RPUSH', 'l', 'a', 'bb', 'ccc'],
      ['LPUSH', 'l', 'zzzzzzzzzzzz'],
      ['LSET', 'l', '1', 'a-much-longer-element'],
      ['HSET', 'h', 'f1', 'v1', 'f2', 'value-two'],
      ['HSET', 'h', 'f1', 'a-longer-value-for-f1'],
      ['HINCRBY', 'h', 'cnt', '5'],
      ['SADD', 'ints', '1', '2', '3'],
      ['SADD', 'strs', 'x', 'yy', 'zzz'],
      ['ZADD', 'z', '1', 'one', '2', 'two'],
      ['ZINCRBY', 'z', '5', 'one'],
      ['SET', 't', 'v', 'EX', '100'],
      ['EXPIRE', 's', '100'],
      ['PERSIST', 's'],
      ['PEXPIRE', 'h', '100000'],
    );
    check('after writes');
    await run(
      ['RENAME', 'h', 'h2'],
      ['COPY', 'l', 'l2'],
      ['MOVE', 'strs', '1'],
      ['SWAPDB', '0', '2'],
      ['SELECT', '2'],
      ['LPOP', 'l'],
      ['HDEL', 'h2', 'f2'],
      ['SREM', 'ints', '2'],
      ['ZREM', 'z', 'two'],
      ['GETDEL', 's'],
      ['SET', 'm', 'replaced'],
      ['SUNIONSTORE', 'u', 'ints'],
    );
    check('after changes');
    // Deleting every key one by one takes back exactly what was added.
    for (const db of dbs) {
      await c.call(['SELECT', String(db.id)]);
      for (const key of db.data.keyList()) await c.call(['DEL', key]);
    }
    for (const db of dbs) assert.equal(db.usedBytes, 0, `db ${db.id} back to 0`);
    assert.equal(srv.server.keyspace.datasetBytes, 0);
    assert.equal(await num(srv.port, 'memory', 'used_memory_dataset'), 0);
  } finally {
    c.close();
    await srv.stop();
  }
});
