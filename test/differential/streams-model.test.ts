/**
 * Seeded random walks over two streams and their consumer groups, replayed step by step on
 * redis-server 7.0.15 and tsredis: XADD (explicit increasing ids, MAXLEN/MINID trimming with = and
 * ~, LIMIT), XDEL, XTRIM, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM, XGROUP SETID/CREATECONSUMER/
 * DELCONSUMER, XRANGE/XREVRANGE, XLEN, XINFO GROUPS (lag and entries-read), XPENDING. Every reply
 * must match byte for byte except numbers from the clock (delivery and seen times, idle times),
 * and at the end DEBUG DIGEST and XINFO STREAM FULL. A failure names the seed; run one seed with
 * STREAMS_MODEL_SEED=<n>.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DiffPair } from '../support/diff.js';
import { escapeBytes, RawClient, type Reply } from '../support/raw-client.js';
import { seeded } from '../support/seeded.js';
import { skipWithoutRedis } from '../support/servers.js';
import { clockTolerant } from '../support/stream-clock.js';

const KEYS = ['s1', 's2'];
const GROUPS = ['g1', 'g2'];
const CONSUMERS = ['c1', 'c2', 'c3'];
const FIELDS = ['a', 'b', 'c', 'name', 'n'];
/** A fixed delivery time for XCLAIM TIME: no reply depends on the clock. */
const FIXED_TIME = '1000000';

interface StreamTrack {
  /** The top id as redis-server reported it (XADD replies, XSETID). */
  ms: number;
  seq: number;
  /** Every id ever added, deleted or not: the pool for XDEL, XACK, XCLAIM and range bounds. */
  ids: string[];
}

/**
 * Generates one command at a time from the seed and the redis-server replies so far (the ids it
 * assigned), so the walk stays valid without a model of the server.
 */
class Walk {
  private readonly rnd: () => number;
  private readonly tracks = new Map<string, StreamTrack>();

  constructor(seed: number) {
    this.rnd = seeded(seed);
    for (const k of KEYS) this.tracks.set(k, { ms: 0, seq: 0, ids: [] });
  }

  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  private chance(p: number): boolean {
    return this.rnd() < p;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  /** A known id (or a near-miss of one), for XDEL/XACK/XCLAIM arguments. */
  private someId(key: string): string {
    const tr = this.tracks.get(key)!;
    if (tr.ids.length === 0 || this.chance(0.1)) return `${this.int(tr.ms + 3)}-${this.int(3)}`;
    return this.pick(tr.ids.slice(-40));
  }

  private bound(key: string, low: boolean): string {
    const r = this.int(10);
    if (r === 0) return low ? '-' : '+';
    const id = this.someId(key);
    if (r <= 2) return `(${id}`;
    if (r === 3) return id.split('-')[0];
    return id;
  }

  private fields(): string[] {
    const n = 1 + this.int(3);
    const out: string[] = [];
    const pool = this.chance(0.5) ? FIELDS.slice(0, n) : FIELDS;
    for (let i = 0; i < n; i++)
      out.push(this.pick(pool), this.chance(0.3) ? String(this.int(1000)) : `v${i}`);
    return out;
  }

  private trim(key: string, forXadd: boolean): string[] {
    const approx = this.pick(['', '=', '~']);
    const out = this.chance(0.6) ? ['MAXLEN'] : ['MINID'];
    if (approx !== '') out.push(approx);
    if (out[0] === 'MAXLEN') out.push(String(this.int(forXadd ? 12 : 8)));
    else out.push(this.chance(0.2) ? '0' : this.someId(key));
    if (approx === '~' && this.chance(0.3)) out.push('LIMIT', String(this.int(8)));
    return out;
  }

  /** The id for an XADD: increasing, as `<ms>-*`, or (rarely) one not above the top. */
  private newId(tr: StreamTrack): string {
    if (tr.ids.length > 0 && this.chance(0.04)) return this.pick(tr.ids);
    if (this.chance(0.15)) return `${tr.ms + this.int(2)}-*`;
    if (this.chance(0.5)) return `${tr.ms + 1 + this.int(3)}-${this.int(3)}`;
    return `${tr.ms}-${tr.seq + 1 + this.int(2)}`;
  }

  next(): string[] {
    const key = this.chance(0.75) ? 's1' : 's2';
    const tr = this.tracks.get(key)!;
    const group = this.pick(GROUPS);
    const consumer = this.pick(CONSUMERS);
    const r = this.int(100);
    if (r < 30) {
      const argv = ['XADD', key];
      if (this.chance(0.03)) argv.push('NOMKSTREAM');
      if (this.chance(0.25)) argv.push(...this.trim(key, true));
      argv.push(this.newId(tr), ...this.fields());
      return argv;
    }
    if (r < 36) return ['XDEL', key, ...Array.from({ length: 1 + this.int(3) }, () => this.someId(key))];
    if (r < 39) return ['XTRIM', key, ...this.trim(key, false)];
    if (r < 51) {
      const argv = ['XREADGROUP', 'GROUP', group, consumer];
      if (this.chance(0.5)) argv.push('COUNT', String(this.int(5)));
      if (this.chance(0.1)) argv.push('NOACK');
      const from = () => (this.chance(0.65) ? '>' : this.chance(0.6) ? '0' : this.someId(key));
      if (this.chance(0.15)) argv.push('STREAMS', 's1', 's2', from(), from());
      else argv.push('STREAMS', key, from());
      return argv;
    }
    if (r < 58)
      return ['XACK', key, group, ...Array.from({ length: 1 + this.int(3) }, () => this.someId(key))];
    if (r < 63) {
      const argv = ['XCLAIM', key, group, consumer, '0'];
      for (let n = 1 + this.int(3); n > 0; n--) argv.push(this.someId(key));
      if (this.chance(0.3)) argv.push('JUSTID');
      if (this.chance(0.2)) argv.push('FORCE');
      if (this.chance(0.2)) argv.push('RETRYCOUNT', String(this.int(5)));
      if (this.chance(0.2)) argv.push('TIME', FIXED_TIME);
      if (this.chance(0.1)) argv.push('LASTID', this.someId(key));
      return argv;
    }
    if (r < 67) {
      const argv = ['XAUTOCLAIM', key, group, consumer, '0', this.chance(0.5) ? '0' : this.bound(key, true)];
      if (this.chance(0.6)) argv.push('COUNT', String(1 + this.int(5)));
      if (this.chance(0.7)) argv.push('JUSTID');
      return argv;
    }
    if (r < 70) {
      const id = this.pick(['$', '0', this.someId(key)]);
      const argv = ['XGROUP', 'SETID', key, group, id];
      if (this.chance(0.3)) argv.push('ENTRIESREAD', String(this.int(tr.ids.length + 3)));
      return argv;
    }
    if (r < 72) return ['XGROUP', this.chance(0.5) ? 'CREATECONSUMER' : 'DELCONSUMER', key, group, consumer];
    if (r < 73) {
      const argv = ['XGROUP', 'CREATE', key, group, this.pick(['$', '0', this.someId(key)]), 'MKSTREAM'];
      if (this.chance(0.3)) argv.push('ENTRIESREAD', String(this.int(tr.ids.length + 2)));
      if (this.chance(0.3)) return ['XGROUP', 'DESTROY', key, group];
      return argv;
    }
    if (r < 74) {
      const argv = ['XSETID', key, `${tr.ms + this.int(3)}-${this.int(4)}`];
      if (this.chance(0.4)) argv.push('ENTRIESADDED', String(tr.ids.length + this.int(5)));
      if (this.chance(0.3)) argv.push('MAXDELETEDID', `${this.int(tr.ms + 1)}-0`);
      if (this.chance(0.1)) return ['DEL', key];
      return argv;
    }
    if (r < 82) {
      const rev = this.chance(0.4);
      const argv = rev
        ? ['XREVRANGE', key, this.bound(key, false), this.bound(key, true)]
        : ['XRANGE', key, this.bound(key, true), this.bound(key, false)];
      if (this.chance(0.4)) argv.push('COUNT', String(this.int(6)));
      return argv;
    }
    if (r < 84) return ['XLEN', key];
    if (r < 90) return ['XINFO', 'GROUPS', key];
    if (r < 94) return ['XPENDING', key, group];
    if (r < 96) return ['XINFO', 'STREAM', key];
    if (r < 98) return ['XREAD', 'COUNT', String(1 + this.int(4)), 'STREAMS', key, this.someId(key)];
    if (r < 99) return ['XPENDING', key, group, '-', '+', String(this.int(10)), consumer];
    return ['XINFO', 'CONSUMERS', key, group];
  }

  /** Learns the ids redis-server assigned (or set) from its reply to the last command. */
  observe(argv: string[], reply: Reply): void {
    const tr = this.tracks.get(argv[1]);
    if (tr === undefined) return;
    const ok = reply.value.type !== 'error';
    if (argv[0] === 'XADD' && ok && reply.value.type === 'bulk') {
      const id = reply.value.value.toString('latin1');
      const [ms, seq] = id.split('-').map(Number);
      Object.assign(tr, { ms, seq });
      tr.ids.push(id);
    } else if (argv[0] === 'XSETID' && ok) {
      const [ms, seq] = argv[2].split('-').map(Number);
      Object.assign(tr, { ms, seq });
    }
  }
}

const compareReplies = clockTolerant();

/** Opening steps: both streams exist with groups before the walk. */
const SETUP = [
  'XGROUP CREATE s1 g1 $ MKSTREAM',
  'XGROUP CREATE s1 g2 0',
  'XGROUP CREATE s2 g1 $ MKSTREAM',
  'XGROUP CREATE s2 g2 $',
];

/** The final state: digests, the whole streams with their groups and PELs, times masked. */
const FINAL = [
  'DEBUG DIGEST',
  'DEBUG DIGEST-VALUE s1 s2',
  'XINFO STREAM s1 FULL',
  'XINFO STREAM s2 FULL',
  'XPENDING s1 g1 - + 1000',
  'XPENDING s1 g2 - + 1000',
  'XRANGE s1 - +',
  'XRANGE s2 - +',
  'MEMORY USAGE s1',
];

async function runWalk(
  pair: DiffPair,
  seed: number,
  steps: number,
  nodeMaxEntries: number,
  resp: 2 | 3,
): Promise<void> {
  const [r, t] = await Promise.all([RawClient.connect(pair.redis.port), RawClient.connect(pair.ts.port)]);
  const problems: string[] = [];
  let total = 0;
  const log: string[] = [];
  const step = async (argv: string[], walk?: Walk) => {
    const [a, b] = [await r.call(argv), await t.call(argv)];
    walk?.observe(argv, a);
    const label = argv.map((x) => escapeBytes(x)).join(' ');
    log.push(label);
    const why = compareReplies(a, b);
    if (why === null) return;
    total++;
    if (problems.length < 8)
      problems.push(
        `  step ${log.length - 1}: ${label}  (${why})\n    redis:   ${escapeBytes(a.raw)}\n    tsredis: ${escapeBytes(b.raw)}`,
      );
  };
  try {
    for (const c of [r, t]) {
      await c.call('FLUSHALL');
      await c.call(['CONFIG', 'SET', 'stream-node-max-entries', String(nodeMaxEntries)]);
      if (resp === 3) await c.call('HELLO 3');
    }
    for (const c of SETUP) await step(c.split(' '));
    const walk = new Walk(seed);
    for (let i = 0; i < steps; i++) await step(walk.next(), walk);
    for (const c of FINAL) await step(c.split(' '));
  } finally {
    for (const c of [r, t]) {
      await c.call('CONFIG SET stream-node-max-entries 100').catch(() => undefined);
      c.close();
    }
  }
  if (total > 0) {
    const firstBad = Number(/step (\d+)/.exec(problems[0])?.[1] ?? 0);
    const before = log.slice(Math.max(0, firstBad - 12), firstBad).map((l) => `    ${l}`);
    assert.fail(
      `seed ${seed} (STREAMS_MODEL_SEED=${seed} STREAMS_MODEL_NODE_MAX=${nodeMaxEntries} ` +
        `STREAMS_MODEL_RESP=${resp}): ` +
        `${total} replies differ from redis-server 7.0, first ${problems.length}:\n${problems.join('\n')}\n` +
        `  the commands before step ${firstBad}:\n${before.join('\n')}`,
    );
  }
}

const envSeed = process.env.STREAMS_MODEL_SEED;
const STEPS = Number(process.env.STREAMS_MODEL_STEPS ?? 600);
/** [seed, stream-node-max-entries, protocol]. */
const SEEDS: Array<[number, number, 2 | 3]> = envSeed
  ? [
      [
        Number(envSeed),
        Number(process.env.STREAMS_MODEL_NODE_MAX ?? 4),
        process.env.STREAMS_MODEL_RESP === '3' ? 3 : 2,
      ],
    ]
  : [
      [1, 4, 2],
      [2, 3, 2],
      [3, 100, 2],
      [4, 5, 3],
    ];

describe('streams: randomized model walks against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({ config: { 'enable-debug-command': 'yes' } });
  });
  after(() => pair.stop());

  for (const [seed, nodeMax, resp] of SEEDS) {
    test(`seed ${seed}, ${STEPS} steps, stream-node-max-entries ${nodeMax}, RESP${resp}`, () =>
      runWalk(pair, seed, STEPS, nodeMax, resp));
  }
});
