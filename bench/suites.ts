/**
 * What the benchmark measures. Add a throughput suite for a new data type (lists, hashes …) or a
 * memory scenario here; bench.ts runs every entry against both servers the same way.
 */
import { createHash } from 'node:crypto';
import { benchKey } from './loader.js';
import { eventFields } from './stream-bench.js';

export interface ThroughputSuite {
  name: string;
  /** redis-benchmark -t names, run one at a time so CPU time can be attributed to each. */
  tests: string[];
  /** Pipeline depth (-P) → requests per run, chosen so one run lasts over a second. */
  requests: Record<number, number>;
  clients: number;
  /** -r keyspace for the tests (0: redis-benchmark's single default key). */
  keyspace?: number;
  /**
   * Tests whose run starts with a set-up pass of as many requests of another test of this suite
   * (lrange_100 runs "LPUSH (needed to benchmark LRANGE)" first): that test's CPU per request,
   * measured on the same server in the same round, is subtracted from this one's.
   */
  prefill?: Record<string, string>;
  /** Tests that are commands of their own (redis-benchmark's positional form), by test name. */
  commands?: Record<string, string[]>;
  /** Commands run on each server before the suite (SCRIPT LOAD of the script EVALSHA runs). */
  setup?: string[][];
  /** The ACL user redis-benchmark authenticates as (--user, -a). */
  auth?: readonly [string, string];
  /** Over each server's TLS port (redis-benchmark --tls, a client certificate). */
  tls?: boolean;
}

export interface MemoryScenario {
  name: string;
  /** Items loaded (the "per key" denominator). */
  count: number;
  /** The command that creates item i. */
  commandFor: (i: number) => string[];
  /** The target: RSS per item at most this many times Redis's (default 2, issue 2's). */
  limit?: number;
}

/** Ten [a(j), b(j)] pairs, flattened (the small collections of issue 19's memory target). */
function tenPairs(a: (j: number) => string, b: (j: number) => string): string[] {
  const out: string[] = [];
  for (let j = 0; j < 10; j++) out.push(a(j), b(j));
  return out;
}

/** Issue 16's script: one command, the key given as KEYS[1]. */
export const INCR_SCRIPT = "return redis.call('INCR', KEYS[1])";
const INCR_SCRIPT_SHA = createHash('sha1').update(INCR_SCRIPT).digest('hex');
/** The same as a Redis Function (FCALL bench_incr 1 key). */
export const INCR_LIBRARY =
  "#!lua name=bench\nredis.register_function('bench_incr', function(keys) return redis.call('INCR', keys[1]) end)";

export const THROUGHPUT_SUITES: ThroughputSuite[] = [
  {
    name: 'strings',
    tests: ['set', 'get', 'incr', 'mset'],
    requests: { 1: 150_000, 16: 1_500_000 },
    clients: 50,
  },
  {
    // Issue 20's target: a user limited to ~key:* keeps at least 0.9x of the strings suite's ratio.
    name: 'acl',
    tests: ['set', 'get'],
    requests: { 1: 150_000, 16: 1_500_000 },
    clients: 50,
    setup: [['ACL', 'SETUSER', 'bench', 'on', '>benchpw', '~key:*', '+@all']],
    auth: ['bench', 'benchpw'],
  },
  {
    // Issue 20's target: over TLS, at least 0.9x of the strings suite's ratio.
    name: 'tls',
    tests: ['set', 'get'],
    requests: { 1: 100_000, 16: 1_000_000 },
    clients: 50,
    tls: true,
  },
  {
    // Issue 3's target: at least 0.7x of Redis's requests/s at -P 1 for each.
    name: 'datatypes',
    tests: ['lpush', 'lpop', 'sadd', 'hset', 'zadd', 'lrange_100'],
    requests: { 1: 120_000 },
    clients: 50,
    prefill: { lrange_100: 'lpush' },
  },
  {
    // Issue 16's target: EVALSHA (and FCALL of the same) at least 0.7x of Redis's requests/s at -P 1.
    name: 'scripting',
    tests: ['evalsha', 'fcall'],
    commands: {
      evalsha: ['EVALSHA', INCR_SCRIPT_SHA, '1', 'counter:__rand_int__'],
      fcall: ['FCALL', 'bench_incr', '1', 'counter:__rand_int__'],
    },
    setup: [
      ['SCRIPT', 'LOAD', INCR_SCRIPT],
      ['FUNCTION', 'LOAD', 'REPLACE', INCR_LIBRARY],
    ],
    requests: { 1: 150_000, 16: 1_000_000 },
    clients: 50,
    keyspace: 100_000,
  },
  {
    // Issue 17's targets: at least 0.8x of Redis's requests/s. XREADGROUP (COUNT 1, new entries)
    // reads what XADD wrote in the same round; the consumer loop with XACK is stream-bench.ts.
    name: 'streams',
    tests: ['xadd', 'xrange_100', 'xreadgroup'],
    commands: {
      xadd: ['XADD', 'bench:stream', '*', 'field', 'value'],
      xrange_100: ['XRANGE', 'bench:stream', '-', '+', 'COUNT', '100'],
      xreadgroup: ['XREADGROUP', 'GROUP', 'bench', 'reader', 'COUNT', '1', 'STREAMS', 'bench:stream', '>'],
    },
    setup: [
      ['DEL', 'bench:stream'],
      ['XGROUP', 'CREATE', 'bench:stream', 'bench', '$', 'MKSTREAM'],
    ],
    requests: { 1: 100_000 },
    clients: 50,
  },
  {
    name: 'streams-pipelined',
    tests: ['xadd'],
    commands: { xadd: ['XADD', 'bench:stream:p', '*', 'field', 'value'] },
    requests: { 16: 1_000_000 },
    clients: 50,
  },
  {
    // Issue 18's target: at least 0.8x of Redis's requests/s. The keys are dense HLLs (set-up);
    // PFCOUNT mostly answers from the cached cardinality that PFADD invalidates.
    name: 'hyperloglog',
    tests: ['pfadd', 'pfcount', 'pfcount_3'],
    commands: {
      pfadd: ['PFADD', 'bench:hll', 'element:__rand_int__'],
      pfcount: ['PFCOUNT', 'bench:hll'],
      pfcount_3: ['PFCOUNT', 'bench:hll', 'bench:hll:2', 'bench:hll:3'],
    },
    setup: [
      ['DEL', 'bench:hll', 'bench:hll:2', 'bench:hll:3'],
      ...['bench:hll', 'bench:hll:2', 'bench:hll:3'].map((key) => [
        'PFADD',
        key,
        ...Array.from({ length: 5000 }, (_, i) => `${key}:${i}`),
      ]),
    ],
    requests: { 1: 150_000 },
    clients: 50,
    keyspace: 1_000_000,
  },
  {
    // Issue 18's target: at least 0.8x. 10,000 points spread over a 2° square around Palermo; the
    // search finds the few within 5 km of its centre.
    name: 'geo',
    tests: ['geoadd', 'geosearch'],
    commands: {
      geoadd: ['GEOADD', 'bench:geo:add', '13.361389', '38.115556', 'member:__rand_int__'],
      geosearch: ['GEOSEARCH', 'bench:geo', 'FROMLONLAT', '13.36', '38.11', 'BYRADIUS', '5', 'km', 'ASC'],
    },
    setup: [
      ['DEL', 'bench:geo', 'bench:geo:add'],
      ['GEOADD', 'bench:geo', ...Array.from({ length: 10_000 }, (_, i) => geoPoint(i)).flat()],
    ],
    requests: { 1: 150_000 },
    clients: 50,
    keyspace: 1_000_000,
  },
];

/** Point i of the GEO bench set: a fixed pseudo-random spread over 12.36..14.36, 37.11..39.11. */
function geoPoint(i: number): string[] {
  const lon = 12.36 + ((i * 7919) % 10_000) / 5000;
  const lat = 37.11 + ((i * 104_729) % 10_000) / 5000;
  return [lon.toFixed(6), lat.toFixed(6), `p${i}`];
}

const VALUE_100 = 'v'.repeat(100);

export const MEMORY_SCENARIOS: MemoryScenario[] = [
  {
    name: 'strings: 100-byte values',
    count: 1_000_000,
    commandFor: (i) => ['SET', benchKey(i), VALUE_100],
  },
  {
    // Issue 17: memory per entry of a 5-field event within 1.5x of Redis's.
    name: 'streams: 5-field events in one stream',
    count: 1_000_000,
    commandFor: (i) => ['XADD', 'bench:events', `${i + 1}-0`, ...eventFields(i)],
    limit: 1.5,
  },
  // Issue 19: memory per key no more than Redis's, for these too.
  {
    name: 'strings: 10-byte values',
    count: 1_000_000,
    commandFor: (i) => ['SET', benchKey(i), 'abcdefghij'],
    limit: 1,
  },
  {
    name: 'strings: integers',
    count: 1_000_000,
    commandFor: (i) => ['SET', benchKey(i), String(i * 7)],
    limit: 1,
  },
  {
    name: 'hashes of 10 fields',
    count: 1_000_000,
    commandFor: (i) => [
      'HSET',
      benchKey(i),
      ...tenPairs(
        (j) => `f${j}`,
        (j) => `v${j}-${i % 1000}`,
      ),
    ],
    limit: 1,
  },
  {
    name: 'sets of 10 members',
    count: 1_000_000,
    commandFor: (i) => [
      'SADD',
      benchKey(i),
      ...tenPairs(
        (j) => `m${j}-${i % 1000}`,
        (j) => `n${j}`,
      ),
    ],
    limit: 1,
  },
  {
    name: 'sorted sets of 10 members',
    count: 1_000_000,
    commandFor: (i) => [
      'ZADD',
      benchKey(i),
      ...tenPairs(
        (j) => String(j),
        (j) => `m${j}-${i % 1000}`,
      ),
    ],
    limit: 1,
  },
];
