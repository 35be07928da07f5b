/**
 * `npm run bench`: tsredis-server against redis-server, both as processes with persistence off.
 *
 * Throughput: redis-benchmark runs each test against each server in alternation for several
 * rounds; the table shows medians of requests/s and of server CPU time per request (from
 * /proc/<pid>/stat around each run). Memory: a bulk load into each server, then RSS and
 * used_memory growth per key.
 *
 * Replication (bench/replication-bench.ts): full sync time, lag and WAIT latency under load, and
 * master throughput with 0 versus 2 replicas, each engine replicating to itself.
 *
 * Eviction (bench/eviction-bench.ts): SET req/s of new keys past maxmemory (allkeys-lru), so that
 * nearly every write evicts a key.
 *
 * Options (or BENCH_<NAME> environment variables, e.g. BENCH_ROUNDS=1):
 *   --rounds N        rounds per test (default 3)
 *   --replication-rounds N  rounds of the 0-vs-2-replicas throughput runs (default 5, or --rounds)
 *   --scale F         multiply request and key counts (default 1; --quick is --scale 0.1 --rounds 1)
 *   --pipelines 1,16  pipeline depths to run
 *   --tests set,get   only these redis-benchmark tests
 *   --only A,B        only these suites: strings, acl, tls, datatypes, scripting, streams, streams-pipelined,
 *                     hyperloglog, geo (or
 *                     throughput for all of them; streams also runs the consumer loop), bullmq,
 *                     memory, persistence, replication, eviction
 *   --eviction-maxmemory M  maxmemory of the eviction runs (default 128mb)
 *   --scale-sizes A,B key counts of the scale suite (default 1e6,1e7,3e7 times --scale); that suite
 *                     (bench/scale-bench.ts) runs only when named: --only scale
 *   --no-memory       skip the memory scenarios;  --no-throughput  skip throughput
 *   --no-persistence  skip SAVE / load / BGSAVE (bench/persistence-bench.ts)
 *   --no-replication  skip the replication suite (bench/replication-bench.ts)
 *   --no-eviction     skip the eviction suite (bench/eviction-bench.ts)
 *   --profile DIR     run tsredis under node --cpu-prof, profile written to DIR on exit
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RespConnection } from '../src/protocol/resp-connection.js';
import { createCa, createCertificate } from '../src/topology/certificates.js';
import { type JobsSample, runBullmqRound } from './bullmq-bench.js';
import { type EvictionResult, runEvictionBench, summarizeEviction } from './eviction-bench.js';
import { loadPipelined, usedMemory } from './loader.js';
import { printPersistence, runPersistenceBench } from './persistence-bench.js';
import { type BenchmarkResult, type BenchTlsFiles, runRedisBenchmark } from './redis-benchmark.js';
import {
  printReplication,
  type ReplicationResult,
  runReplicationBench,
  summarize,
} from './replication-bench.js';
import { DEFAULT_SCALE_SIZES, printScale, runScaleBench } from './scale-bench.js';
import { findTool, startRedis, startTsredis, type Target } from './servers.js';
import { type ConsumerLoopSample, runConsumerLoop } from './stream-bench.js';
import { MEMORY_SCENARIOS, type MemoryScenario, THROUGHPUT_SUITES } from './suites.js';

interface Options {
  rounds: number;
  /** Rounds of the replication throughput runs (0 vs 2 replicas), whose drop is noisier. */
  replicationRounds: number;
  scale: number;
  pipelines: number[] | null;
  tests: string[] | null;
  /** Enabled suites: the throughput suite names, memory, persistence, replication. */
  suites: Set<string>;
  profileDir: string | null;
  evictionMaxmemory: string;
  /** Key counts of the scale suite (--scale-sizes). */
  scaleSizes: number[];
  /** The tls suite's certificate files, written at start when it runs. */
  tlsFiles?: BenchTlsFiles;
}

/** A CA, one certificate for both servers and redis-benchmark, in a temporary folder. */
function writeBenchCertificates(): BenchTlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tls-'));
  const ca = createCa('tsredis bench CA');
  const pair = createCertificate(ca, { commonName: 'bench', altNames: ['127.0.0.1', 'localhost'] });
  const files = { ca: join(dir, 'ca.crt'), cert: join(dir, 'bench.crt'), key: join(dir, 'bench.key') };
  writeFileSync(files.ca, ca.cert);
  writeFileSync(files.cert, pair.cert);
  writeFileSync(files.key, pair.key);
  return files;
}

const THROUGHPUT_NAMES = THROUGHPUT_SUITES.map((s) => s.name);
const ALL_SUITES = [
  ...THROUGHPUT_NAMES,
  'bullmq',
  'memory',
  'persistence',
  'replication',
  'eviction',
  'scale',
];
/** Run only when asked for (--only scale): it fills each server with up to 30 M keys. */
const ON_REQUEST = ['scale'];

/** Suite names from --only / --no-*; "throughput" stands for every throughput suite. */
function selectSuites(only: string[] | null, skipped: (name: string) => boolean): Set<string> {
  const expand = (name: string) => (name === 'throughput' ? THROUGHPUT_NAMES : [name]);
  const chosen =
    only === null ? ALL_SUITES.filter((name) => !ON_REQUEST.includes(name)) : only.flatMap(expand);
  for (const name of chosen) {
    if (!ALL_SUITES.includes(name)) throw new Error(`unknown suite ${name} (${ALL_SUITES.join(', ')})`);
  }
  return new Set(
    chosen.filter((name) => !skipped(name) && !(THROUGHPUT_NAMES.includes(name) && skipped('throughput'))),
  );
}

function parseOptions(argv: string[]): Options {
  const raw = new Map<string, string>();
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('BENCH_') && v !== undefined) raw.set(k.slice(6).toLowerCase().replace(/_/g, '-'), v);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) raw.set(a.slice(2, eq), a.slice(eq + 1));
    else if (a === '--quick' || a.startsWith('--no-')) raw.set(a.slice(2), 'yes');
    else raw.set(a.slice(2), argv[++i] ?? '');
  }
  const quick = raw.has('quick');
  const list = (k: string) =>
    raw.has(k)
      ? raw
          .get(k)!
          .split(',')
          .filter((s) => s !== '')
      : null;
  return {
    rounds: Number(raw.get('rounds') ?? (quick ? 1 : 3)),
    replicationRounds: Number(raw.get('replication-rounds') ?? raw.get('rounds') ?? (quick ? 1 : 5)),
    scale: Number(raw.get('scale') ?? (quick ? 0.1 : 1)),
    pipelines: list('pipelines')?.map(Number) ?? null,
    tests: list('tests'),
    suites: selectSuites(list('only'), (name) => raw.has(`no-${name}`)),
    profileDir: raw.get('profile') ?? null,
    evictionMaxmemory: raw.get('eviction-maxmemory') ?? '128mb',
    scaleSizes:
      list('scale-sizes')?.map(Number) ??
      DEFAULT_SCALE_SIZES.map((n) => Math.max(1000, Math.round(n * Number(raw.get('scale') ?? 1)))),
  };
}

interface Sample {
  rps: number;
  cpuMicrosPerRequest: number;
}

/** One table row: a test at a pipeline depth, samples per server name. */
interface Row {
  suite: string;
  label: string;
  pipeline: number;
  samples: Map<string, Sample[]>;
}

async function measure(bin: string, target: Target, run: Parameters<typeof runRedisBenchmark>[1]) {
  const cpuBefore = target.cpuMicros();
  const result: BenchmarkResult = await runRedisBenchmark(bin, run);
  const cpu = target.cpuMicros() - cpuBefore;
  // A command of its own is labelled by its name and the test's suffix (XRANGE 100, PFCOUNT 3), not its whole line.
  const suffix = run.command === undefined ? '' : run.test.split('_').slice(1).join(' ');
  const label = run.command === undefined ? result.label : `${run.command[0]}${suffix ? ` ${suffix}` : ''}`;
  return { label, sample: { rps: result.rps, cpuMicrosPerRequest: cpu / run.requests } };
}

/** Each enabled suite's set-up commands, on every server. */
async function setUpSuites(targets: Target[], opts: Options): Promise<void> {
  for (const suite of THROUGHPUT_SUITES) {
    if (!opts.suites.has(suite.name) || suite.setup === undefined) continue;
    for (const target of targets) {
      const conn = await RespConnection.open({ host: '127.0.0.1', port: target.port });
      try {
        for (const argv of suite.setup) await conn.call(argv);
      } finally {
        conn.close();
      }
    }
  }
}

async function runThroughput(bin: string, targets: Target[], opts: Options): Promise<Row[]> {
  await setUpSuites(targets, opts);
  const rows = new Map<string, Row>();
  const lastCpuPerRequest = new Map<string, number>();
  let turn = 0;
  for (let round = 1; round <= opts.rounds; round++) {
    for (const suite of THROUGHPUT_SUITES) {
      if (!opts.suites.has(suite.name)) continue;
      for (const [depth, baseRequests] of Object.entries(suite.requests)) {
        const pipeline = Number(depth);
        if (opts.pipelines !== null && !opts.pipelines.includes(pipeline)) continue;
        const requests = Math.max(1000, Math.round(baseRequests * opts.scale));
        for (const test of suite.tests) {
          if (opts.tests !== null && !opts.tests.includes(test)) continue;
          const prefillTest = suite.prefill?.[test];
          // Alternate which server goes first so drift (thermal, neighbours) hits both alike.
          const order = turn++ % 2 === 0 ? targets : [...targets].reverse();
          for (const target of order) {
            const { label, sample } = await measure(bin, target, {
              port: suite.tls ? target.tlsPort : target.port,
              tls: suite.tls ? opts.tlsFiles : undefined,
              test,
              clients: suite.clients,
              pipeline,
              requests,
              keyspace: suite.keyspace,
              command: suite.commands?.[test],
              auth: suite.auth,
            });
            // CPU of this test alone: take out the set-up pass, costed like its own test's run.
            lastCpuPerRequest.set(
              `${target.name}/${suite.name}/${test}/${pipeline}`,
              sample.cpuMicrosPerRequest,
            );
            if (prefillTest !== undefined) {
              const prefillCpu = lastCpuPerRequest.get(
                `${target.name}/${suite.name}/${prefillTest}/${pipeline}`,
              );
              if (prefillCpu !== undefined) sample.cpuMicrosPerRequest -= prefillCpu;
            }
            const key = `${suite.name}/${test}/${pipeline}`;
            let row = rows.get(key);
            if (row === undefined) {
              // The same tests as the strings suite, told apart by the suite's name.
              const shown = suite.auth !== undefined || suite.tls ? `${label} (${suite.name})` : label;
              row = { suite: suite.name, label: shown, pipeline, samples: new Map() };
              rows.set(key, row);
            }
            const list = row.samples.get(target.name) ?? [];
            list.push(sample);
            row.samples.set(target.name, list);
            process.stderr.write(
              `  round ${round} ${label.padEnd(16)} -P ${String(pipeline).padEnd(3)} ${target.name.padEnd(8)} ` +
                `${Math.round(sample.rps).toLocaleString('en-US').padStart(10)} req/s ` +
                `${sample.cpuMicrosPerRequest.toFixed(2).padStart(7)} µs cpu/req\n`,
            );
          }
        }
      }
    }
  }
  return [...rows.values()];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

function printThroughput(rows: Row[], opts: Options): void {
  console.log(
    `\nThroughput: median of ${opts.rounds} round(s), redis-benchmark -c 50, server CPU per request`,
  );
  printTable(
    ['test', '-P', 'tsredis req/s', 'redis req/s', 'ratio', 'tsredis µs/req', 'redis µs/req'],
    rows.map((row) => {
      const ts = row.samples.get('tsredis') ?? [];
      const rd = row.samples.get('redis') ?? [];
      const tsRps = median(ts.map((s) => s.rps));
      const rdRps = median(rd.map((s) => s.rps));
      return [
        row.label,
        String(row.pipeline),
        fmtInt(tsRps),
        fmtInt(rdRps),
        `${(tsRps / rdRps).toFixed(2)}x`,
        median(ts.map((s) => s.cpuMicrosPerRequest)).toFixed(2),
        median(rd.map((s) => s.cpuMicrosPerRequest)).toFixed(2),
      ];
    }),
  );
}

interface MemoryResult {
  scenario: string;
  target: string;
  rssPerItem: number;
  usedMemoryPerItem: number | null;
}

async function runMemory(
  targets: Target[],
  scenario: MemoryScenario,
  count: number,
): Promise<MemoryResult[]> {
  const out: MemoryResult[] = [];
  for (const target of targets) {
    const rssBefore = target.rssBytes();
    const usedBefore = await usedMemory(target.port);
    const started = Date.now();
    await loadPipelined(target.port, count, scenario.commandFor);
    const usedAfter = await usedMemory(target.port);
    const rssAfter = target.rssBytes();
    process.stderr.write(`  loaded ${fmtInt(count)} into ${target.name} in ${Date.now() - started} ms\n`);
    out.push({
      scenario: `${scenario.name}, ${fmtInt(count)} keys`,
      target: target.name,
      rssPerItem: (rssAfter - rssBefore) / count,
      usedMemoryPerItem: usedBefore !== null && usedAfter !== null ? (usedAfter - usedBefore) / count : null,
    });
  }
  return out;
}

function printMemory(results: MemoryResult[]): void {
  console.log('\nMemory: keys loaded by a pipelined writer, growth per key in bytes');
  const scenarios = [...new Set(results.map((r) => r.scenario))];
  const get = (s: string, t: string) => results.find((r) => r.scenario === s && r.target === t);
  const used = (r: MemoryResult | undefined) =>
    r === undefined ? '-' : r.usedMemoryPerItem === null ? 'n/a' : r.usedMemoryPerItem.toFixed(1);
  printTable(
    ['scenario', 'tsredis RSS', 'redis RSS', 'tsredis used_memory', 'redis used_memory'],
    scenarios.map((s) => [
      s,
      get(s, 'tsredis')?.rssPerItem.toFixed(1) ?? '-',
      get(s, 'redis')?.rssPerItem.toFixed(1) ?? '-',
      used(get(s, 'tsredis')),
      used(get(s, 'redis')),
    ]),
  );
  if (results.some((r) => r.target === 'tsredis' && r.usedMemoryPerItem === null)) {
    console.log('(tsredis does not report used_memory in INFO memory yet: compare the RSS columns)');
  }
}

/** One of the issues' targets and how this run fared against it. */
interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
}

/**
 * Issue 2: GET and SET ≥ 0.8x of Redis at -P 1, ≥ 0.5x at -P 16; issue 3: data types ≥ 0.7x at -P 1;
 * issue 16: EVALSHA and FCALL ≥ 0.7x at -P 1.
 */
function throughputChecks(rows: Row[]): TargetCheck[] {
  const goals: Record<string, Record<number, number>> = {
    SET: { 1: 0.8, 16: 0.5 },
    GET: { 1: 0.8, 16: 0.5 },
  };
  const out: TargetCheck[] = [];
  for (const row of rows) {
    // Issue 16: EVALSHA and FCALL of a one-call script ≥ 0.7x at -P 1.
    // Issue 17: the stream commands ≥ 0.8x at both depths; issue 18: PFADD, PFCOUNT, GEOADD, GEOSEARCH ≥ 0.8x.
    const goal =
      goals[row.label]?.[row.pipeline] ??
      (row.suite.startsWith('streams') || row.suite === 'hyperloglog' || row.suite === 'geo' ? 0.8 : null) ??
      ((row.suite === 'datatypes' || row.suite === 'scripting') && row.pipeline === 1 ? 0.7 : null);
    if (goal === null) continue;
    const rps = (name: string) => median((row.samples.get(name) ?? []).map((s) => s.rps));
    const ratio = rps('tsredis') / rps('redis');
    out.push({
      target: `${row.label} -P ${row.pipeline} req/s ≥ ${goal}x redis`,
      measured: `${ratio.toFixed(2)}x`,
      met: ratio >= goal,
    });
  }
  return out;
}

/**
 * Issue 20: a ~key:* ACL user (acl) and TLS (tls) keep at least 0.9x of the plain strings suite's
 * ratio to Redis for the same test and depth (each server against its own plain run).
 */
function securityChecks(rows: Row[]): TargetCheck[] {
  const ratioOf = (row: Row) => {
    const rps = (name: string) => median((row.samples.get(name) ?? []).map((s) => s.rps));
    return rps('tsredis') / rps('redis');
  };
  const out: TargetCheck[] = [];
  for (const row of rows) {
    if (row.suite !== 'acl' && row.suite !== 'tls') continue;
    const label = row.label.replace(/ \((acl|tls)\)$/, '');
    const plain = rows.find((r) => r.suite === 'strings' && r.label === label && r.pipeline === row.pipeline);
    if (plain === undefined) continue;
    const relative = ratioOf(row) / ratioOf(plain);
    out.push({
      target: `${row.label} -P ${row.pipeline}: ratio ≥ 0.9x the plain ratio`,
      measured: `${relative.toFixed(2)}x (${ratioOf(row).toFixed(2)} vs ${ratioOf(plain).toFixed(2)})`,
      met: relative >= 0.9,
    });
  }
  return out;
}

/** Issue 2: memory per key at most 2x Redis's. */
function memoryChecks(results: MemoryResult[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const scenario of new Set(results.map((r) => r.scenario))) {
    const ts = results.find((r) => r.scenario === scenario && r.target === 'tsredis');
    const rd = results.find((r) => r.scenario === scenario && r.target === 'redis');
    if (ts === undefined || rd === undefined) continue;
    const ratio = ts.rssPerItem / rd.rssPerItem;
    // Issue 2: a key ≤ 2x; issue 17: a stream entry ≤ 1.5x; issue 19: ≤ 1x for strings and small collections.
    const limit = MEMORY_SCENARIOS.find((s) => scenario.startsWith(`${s.name},`))?.limit ?? 2;
    out.push({
      target: `${scenario}: RSS per ${scenario.startsWith('streams') ? 'entry' : 'key'} ≤ ${limit}x redis`,
      measured: `${ratio.toFixed(2)}x`,
      met: ratio <= limit,
    });
  }
  return out;
}

/** Issue 5: full sync ≤ 2x Redis, p99 lag < 10 ms of writes, drop from 2 replicas ≤ Redis's drop. */
function replicationChecks(result: ReplicationResult): TargetCheck[] {
  const ts = summarize(result, 'tsredis');
  const rd = summarize(result, 'redis');
  const syncRatio = ts.fullSyncMs / rd.fullSyncMs;
  const out: TargetCheck[] = [
    {
      target: 'full sync time ≤ 2x redis',
      measured: `${syncRatio.toFixed(2)}x (${fmtInt(ts.fullSyncMs)} vs ${fmtInt(rd.fullSyncMs)} ms)`,
      met: syncRatio <= 2,
    },
    {
      target: 'p99 replication lag (ack offset) < 10 ms of writes',
      measured: `${ts.ackLagMs.p99.toFixed(2)} ms (redis ${rd.ackLagMs.p99.toFixed(2)} ms)`,
      met: ts.ackLagMs.p99 < 10,
    },
  ];
  for (const [p, a] of ts.throughput) {
    const b = rd.throughput.get(p)!;
    out.push({
      target: `SET -P ${p} with 2 replicas: drop ≤ redis's drop`,
      measured: `keeps ${(a.ratio * 100).toFixed(0)}% (redis ${(b.ratio * 100).toFixed(0)}%)`,
      met: a.ratio >= b.ratio,
    });
  }
  return out;
}

function printEviction(result: EvictionResult, maxmemory: string): void {
  console.log(
    `\nWrites past maxmemory ${maxmemory} (allkeys-lru, new keys): median SET req/s while evicting`,
  );
  printTable(
    ['-P', 'tsredis req/s', 'redis req/s', 'ratio', 'tsredis µs/req', 'redis µs/req', 'tsredis evicted/run'],
    summarizeEviction(result).map((r) => [
      String(r.pipeline),
      fmtInt(r.tsredis),
      fmtInt(r.redis),
      `${r.ratio.toFixed(2)}x`,
      r.tsredisCpu.toFixed(2),
      r.redisCpu.toFixed(2),
      fmtInt(r.evicted),
    ]),
  );
}

/** Issue 23: writes past maxmemory within 0.7x of Redis's throughput. */
function evictionChecks(result: EvictionResult): TargetCheck[] {
  return summarizeEviction(result).map((r) => ({
    target: `SET -P ${r.pipeline} past maxmemory ≥ 0.7x redis`,
    measured: `${r.ratio.toFixed(2)}x`,
    met: r.ratio >= 0.7,
  }));
}

/** BullMQ's jobs/s side by side; issue 16 asks for it measured (its script target is 0.7x). */
function printBullmq(samples: Map<string, JobsSample[]>, jobs: number): TargetCheck {
  const med = (name: string, f: (s: JobsSample) => number) => median((samples.get(name) ?? []).map(f));
  console.log(`\nBullMQ: ${fmtInt(jobs)} no-op jobs, one Worker, concurrency 50`);
  printTable(
    ['engine', 'jobs/s', 'CPU µs/job'],
    ['tsredis', 'redis'].map((n) => [
      n,
      fmtInt(Math.round(med(n, (s) => s.jobsPerSecond))),
      med(n, (s) => s.cpuMicrosPerJob).toFixed(1),
    ]),
  );
  const ratio = med('tsredis', (s) => s.jobsPerSecond) / med('redis', (s) => s.jobsPerSecond);
  return { target: 'BullMQ jobs/s ≥ 0.7x redis', measured: `${ratio.toFixed(2)}x`, met: ratio >= 0.7 };
}

/** The consumer loop's medians side by side; issue 17's target is 0.8x of Redis's entries/s. */
function printConsumerLoop(samples: Map<string, ConsumerLoopSample[]>, entries: number): TargetCheck {
  const med = (name: string, f: (s: ConsumerLoopSample) => number) =>
    median((samples.get(name) ?? []).map(f));
  console.log(
    `\nStream consumer loop: 10 consumers, XREADGROUP COUNT 10 + XACK, ${fmtInt(entries)} 5-field entries`,
  );
  printTable(
    ['engine', 'entries/s', 'CPU µs/entry'],
    ['tsredis', 'redis'].map((n) => [
      n,
      fmtInt(Math.round(med(n, (s) => s.entriesPerSecond))),
      med(n, (s) => s.cpuMicrosPerEntry).toFixed(2),
    ]),
  );
  const ratio = med('tsredis', (s) => s.entriesPerSecond) / med('redis', (s) => s.entriesPerSecond);
  return {
    target: 'stream consumer loop entries/s ≥ 0.8x redis',
    measured: `${ratio.toFixed(2)}x`,
    met: ratio >= 0.8,
  };
}

function printChecks(checks: TargetCheck[]): void {
  console.log('\nTargets (issues 2, 3, 5, 16, 17, 18, 19, 20, 23)');
  printTable(
    ['target', 'measured', 'status'],
    checks.map((c) => [c.target, c.measured, c.met ? 'met' : 'NOT MET']),
  );
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const bin = findTool('redis-benchmark');
  if (bin === null) throw new Error('redis-benchmark not found (apt-get install redis-tools)');
  const nodeArgs = opts.profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`];
  // The tls suite's certificates: a CA that signs both servers' and redis-benchmark's.
  if (opts.suites.has('tls')) opts.tlsFiles = writeBenchCertificates();
  const tls = opts.tlsFiles === undefined ? undefined : { ...opts.tlsFiles };
  const targets = await Promise.all([startTsredis({ nodeArgs, tls }), startRedis({ tls })]);
  const started = Date.now();
  try {
    console.log(
      `tsredis (node ${process.version}) vs ${findTool('redis-server')}; pids ${targets.map((t) => `${t.name}=${t.pid}`).join(' ')}`,
    );
    const checks: TargetCheck[] = [];
    if (THROUGHPUT_NAMES.some((name) => opts.suites.has(name))) {
      const rows = await runThroughput(bin, targets, opts);
      printThroughput(rows, opts);
      checks.push(...throughputChecks(rows), ...securityChecks(rows));
    }
    if (opts.suites.has('streams')) {
      const entries = Math.max(1000, Math.round(200_000 * opts.scale));
      const samples = new Map<string, ConsumerLoopSample[]>();
      for (let round = 0; round < opts.rounds; round++) {
        const order = round % 2 === 0 ? targets : [...targets].reverse();
        for (const target of order) {
          const list = samples.get(target.name) ?? [];
          list.push(await runConsumerLoop(target, entries, 10));
          samples.set(target.name, list);
        }
      }
      checks.push(printConsumerLoop(samples, entries));
    }
    if (opts.suites.has('bullmq')) {
      const jobs = Math.max(500, Math.round(20_000 * opts.scale));
      const samples = new Map<string, JobsSample[]>();
      for (let round = 0; round < opts.rounds; round++) {
        const order = round % 2 === 0 ? targets : [...targets].reverse();
        for (const target of order) {
          const list = samples.get(target.name) ?? [];
          list.push(await runBullmqRound(target, jobs));
          samples.set(target.name, list);
        }
      }
      checks.push(printBullmq(samples, jobs));
    }
    if (opts.suites.has('memory')) {
      const results: MemoryResult[] = [];
      for (const scenario of MEMORY_SCENARIOS) {
        const count = Math.max(1000, Math.round(scenario.count * opts.scale));
        // Fresh servers for each scenario: what a previous one left (and a GC reclaiming it) would
        // blur the growth measured.
        const fresh = await Promise.all([startTsredis({ nodeArgs }), startRedis()]);
        try {
          results.push(...(await runMemory(fresh, scenario, count)));
        } finally {
          await Promise.all(fresh.map((t) => t.stop()));
        }
      }
      printMemory(results);
      checks.push(...memoryChecks(results));
    }
    if (opts.suites.has('persistence'))
      printPersistence(await runPersistenceBench(Math.max(1000, Math.round(1_000_000 * opts.scale))));
    if (opts.suites.has('replication')) {
      const scaled = (n: number, min: number) => Math.max(min, Math.round(n * opts.scale));
      const requests: Record<number, number> = {};
      for (const [p, n] of [
        [16, 1_500_000],
        [1, 300_000],
      ]) {
        if (opts.pipelines === null || opts.pipelines.includes(p)) requests[p] = scaled(n, 1000);
      }
      const result = await runReplicationBench({
        benchBin: bin,
        rounds: opts.rounds,
        throughputRounds: opts.replicationRounds,
        keys: scaled(1_000_000, 1000),
        lagRequests: scaled(2_000_000, 10_000),
        requests,
        nodeArgs,
      });
      printReplication(result);
      checks.push(...replicationChecks(result));
    }
    if (opts.suites.has('eviction')) {
      const requests: Record<number, number> = {};
      for (const [p, n] of [
        [16, 1_500_000],
        [1, 300_000],
      ]) {
        if (opts.pipelines === null || opts.pipelines.includes(p))
          requests[p] = Math.max(1000, Math.round(n * opts.scale));
      }
      const result = await runEvictionBench({
        benchBin: bin,
        rounds: opts.rounds,
        maxmemory: opts.evictionMaxmemory,
        fillRequests: Math.max(1000, Math.round(1_500_000 * opts.scale)),
        requests,
        nodeArgs,
      });
      printEviction(result, opts.evictionMaxmemory);
      checks.push(...evictionChecks(result));
    }
    if (opts.suites.has('scale')) printScale(await runScaleBench(opts.scaleSizes));
    if (checks.length > 0) printChecks(checks);
    console.log(`\n(total ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
