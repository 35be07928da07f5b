/**
 * Replication benchmark (part of `npm run bench`; alone: `node dist/bench/bench.js --only replication`).
 * Each engine replicates to itself: a tsredis master with tsredis replicas, a redis-server master
 * with redis-server replicas. All run with Redis's default replication settings (diskless sync to
 * the replica socket, replica loads from disk) except repl-diskless-sync-delay 0, so a full sync
 * starts at once instead of waiting 5 s for more replicas.
 *   - throughput: redis-benchmark -t set at -P 16 and -P 1 against the master with 0 and with 2
 *     replicas attached (alternating which goes first), the drop ratio, master CPU per request;
 *   - lag: one replica attached, redis-benchmark -t set -P 16 while a sampler asks both servers for
 *     INFO replication every ~10 ms (master_repl_offset minus the replica's offset as the master
 *     last saw it acknowledged, slaveN offset=, and as the replica reports it, slave_repl_offset)
 *     and one client loops SET + WAIT 1 0 (WAIT alone returns at once: it waits for the offset of
 *     the client's own last write);
 *   - full sync: N keys of 100 bytes (random text, not compressible) in the master, an empty
 *     replica: REPLICAOF until its link is up, it is done loading, and its offset equals the master's.
 */
import { performance } from 'node:perf_hooks';
import { BenchConnection, benchKey, loadPipelined } from './loader.js';
import { runRedisBenchmark } from './redis-benchmark.js';
import { startRedis, startTsredis, type Target } from './servers.js';

export type Engine = 'tsredis' | 'redis';
const ENGINES: Engine[] = ['tsredis', 'redis'];

export interface ReplicationOptions {
  benchBin: string;
  rounds: number;
  /** Rounds of the throughput runs with 0 and 2 replicas. */
  throughputRounds: number;
  /** Keys of 100 bytes in the master for the full sync. */
  keys: number;
  /** redis-benchmark -n for the lag runs (at -P 16). */
  lagRequests: number;
  /** Pipeline depth → redis-benchmark -n for the throughput runs. */
  requests: Record<number, number>;
  /** Extra node flags for the tsredis processes (profiling). */
  nodeArgs: string[];
}

interface Server {
  target: Target;
  /** A connection for control commands and INFO sampling. */
  conn: BenchConnection;
}

interface Cluster {
  engine: Engine;
  master: Server;
  replicas: Server[];
}

interface ThroughputSample {
  rps: number;
  cpuMicrosPerRequest: number;
}

export interface EngineResult {
  fullSyncMs: number[];
  /** Master offset minus the acknowledged offset in the master's INFO (slave0 offset=), bytes. */
  ackLagBytes: number[];
  /** Master offset minus the replica's own slave_repl_offset, bytes (sampled at the same time). */
  replicaLagBytes: number[];
  waitMs: number[];
  /** Replication stream bytes per ms during the lag runs (master_repl_offset growth). */
  streamBytesPerMs: number[];
  lagRunRps: number[];
  /** `${pipeline}/${replicas}` → samples. */
  throughput: Map<string, ThroughputSample[]>;
  /** Problems seen (a replica dropped during a run, a partial instead of a full sync…). */
  notes: string[];
}

export interface ReplicationResult {
  keys: number;
  rounds: number;
  throughputRounds: number;
  lagRequests: number;
  pipelines: number[];
  engines: Record<Engine, EngineResult>;
}

const SERVER_ARGS = ['--repl-diskless-sync-delay', '0'];
/**
 * Values for the full sync: 100 bytes that LZF cannot shrink (slices of a random text), so the
 * RDB carries about 100 bytes per key like real data does, not a few bytes of a repeated letter.
 */
const VALUE_POOL = randomText(1 << 16);
const value100 = (i: number) => {
  const at = (i * 7919) % (VALUE_POOL.length - 100);
  return VALUE_POOL.slice(at, at + 100);
};

function randomText(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

async function startServer(engine: Engine, nodeArgs: string[]): Promise<Server> {
  const target =
    engine === 'tsredis'
      ? await startTsredis({ nodeArgs, serverArgs: SERVER_ARGS })
      : await startRedis({ serverArgs: SERVER_ARGS });
  return { target, conn: await BenchConnection.open(target.port) };
}

async function startCluster(engine: Engine, nodeArgs: string[]): Promise<Cluster> {
  const [master, ...replicas] = await Promise.all([0, 1, 2].map(() => startServer(engine, nodeArgs)));
  return { engine, master, replicas };
}

async function stopCluster(cluster: Cluster): Promise<void> {
  const all = [cluster.master, ...cluster.replicas];
  for (const s of all) s.conn.close();
  await Promise.all(all.map((s) => s.target.stop()));
}

async function call(server: Server, args: string[]): Promise<string> {
  const v = await server.conn.call(args);
  if (v === undefined) return '';
  if (v.type === 'error') throw new Error(`${args.join(' ')}: ${v.value}`);
  return v.type === 'bulk' ? v.value.toString('latin1') : String((v as { value: unknown }).value);
}

/** INFO <section> as field → value. */
async function info(server: Server, section: string): Promise<Map<string, string>> {
  const fields = new Map<string, string>();
  for (const line of (await call(server, ['INFO', section])).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

interface ReplicaEntry {
  state: string;
  offset: number;
}

/** The master's slaveN lines: "ip=…,port=…,state=online,offset=123,lag=0". */
function replicaEntries(masterInfo: Map<string, string>): ReplicaEntry[] {
  const out: ReplicaEntry[] = [];
  for (let i = 0; masterInfo.has(`slave${i}`); i++) {
    const parts = new Map(
      masterInfo
        .get(`slave${i}`)!
        .split(',')
        .map((kv) => kv.split('=') as [string, string]),
    );
    out.push({ state: parts.get('state') ?? '', offset: Number(parts.get('offset')) });
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `done` every ~10 ms; throws after `timeoutMs`. */
async function waitUntil(what: string, done: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Every replica's link is up and its applied offset has reached the master's; with `masterSide`,
 * the master also lists them all online (a diskless replica turns online at its first ACK).
 */
async function replicasCaughtUp(master: Server, replicas: Server[], masterSide = true): Promise<boolean> {
  const [m, ...rs] = await Promise.all([master, ...replicas].map((s) => info(s, 'replication')));
  const masterOffset = Number(m.get('master_repl_offset'));
  const online = replicaEntries(m).filter((e) => e.state === 'online').length;
  if (masterSide && online < replicas.length) return false;
  return rs.every(
    (r) => r.get('master_link_status') === 'up' && Number(r.get('slave_repl_offset')) >= masterOffset,
  );
}

/**
 * The end of a full sync: the replica took the master's replication id, its link is up, it is not
 * loading, and its offset reached the master's. (The id and loading checks matter: a replica may
 * report its link up while it still loads the RDB, with its old offset.)
 */
async function fullySynced(master: Server, replica: Server): Promise<boolean> {
  const [m, r] = await Promise.all([info(master, 'replication'), info(replica, 'replication')]);
  if (
    r.get('master_replid') !== m.get('master_replid') ||
    r.get('master_link_status') !== 'up' ||
    Number(r.get('slave_repl_offset')) < Number(m.get('master_repl_offset'))
  ) {
    return false;
  }
  return (await info(replica, 'persistence')).get('loading') === '0';
}

async function attach(cluster: Cluster, replicas: Server[]): Promise<void> {
  const port = String(cluster.master.target.port);
  for (const r of replicas) await call(r, ['REPLICAOF', '127.0.0.1', port]);
  await waitUntil(`${cluster.engine} replicas to sync`, () => replicasCaughtUp(cluster.master, replicas));
}

async function detachAll(cluster: Cluster): Promise<void> {
  for (const r of cluster.replicas) await call(r, ['REPLICAOF', 'NO', 'ONE']);
  await waitUntil(
    `${cluster.engine} master to drop its replicas`,
    async () => (await info(cluster.master, 'replication')).get('connected_slaves') === '0',
  );
}

/** How many replicas the master lists as online. */
async function onlineReplicas(master: Server): Promise<number> {
  return replicaEntries(await info(master, 'replication')).filter((e) => e.state === 'online').length;
}

// ---------------------------------------------------------------------------------------------
// Throughput with 0 and 2 replicas
// ---------------------------------------------------------------------------------------------

async function throughputRun(
  cluster: Cluster,
  opts: ReplicationOptions,
  result: EngineResult,
  round: number,
  replicaCount: number,
): Promise<void> {
  const replicas = cluster.replicas.slice(0, replicaCount);
  if (replicas.length > 0) await attach(cluster, replicas);
  for (const [depth, requests] of Object.entries(opts.requests)) {
    const pipeline = Number(depth);
    const syncsBefore = Number((await info(cluster.master, 'stats')).get('sync_full'));
    const cpuBefore = cluster.master.target.cpuMicros();
    const { rps } = await runRedisBenchmark(opts.benchBin, {
      port: cluster.master.target.port,
      test: 'set',
      clients: 50,
      pipeline,
      requests,
    });
    const cpuMicrosPerRequest = (cluster.master.target.cpuMicros() - cpuBefore) / requests;
    const key = `${pipeline}/${replicaCount}`;
    const list = result.throughput.get(key) ?? [];
    list.push({ rps, cpuMicrosPerRequest });
    result.throughput.set(key, list);
    process.stderr.write(
      `  round ${round} ${cluster.engine.padEnd(8)} SET -P ${String(pipeline).padEnd(3)} ${replicaCount} replicas ` +
        `${Math.round(rps).toLocaleString('en-US').padStart(10)} req/s ${cpuMicrosPerRequest.toFixed(2).padStart(6)} µs cpu/req\n`,
    );
    if (replicas.length > 0) {
      // A replica that fell behind past its output buffer limit is dropped and resyncs: say so.
      const online = await onlineReplicas(cluster.master);
      const syncs = Number((await info(cluster.master, 'stats')).get('sync_full')) - syncsBefore;
      if (online < replicas.length || syncs > 0) {
        result.notes.push(
          `${cluster.engine}: SET -P ${pipeline} with ${replicaCount} replicas: ${online} online after the run, ${syncs} full resyncs during it`,
        );
      }
      await waitUntil(`${cluster.engine} replicas to catch up`, () =>
        replicasCaughtUp(cluster.master, replicas),
      );
    }
  }
  if (replicas.length > 0) await detachAll(cluster);
}

// ---------------------------------------------------------------------------------------------
// Lag and WAIT latency under load
// ---------------------------------------------------------------------------------------------

interface OffsetSample {
  at: number;
  masterOffset: number;
  ackOffset: number;
  replicaOffset: number;
}

/** INFO replication from master and replica sent together every ~10 ms until `running()` is false. */
async function sampleOffsets(
  master: Server,
  replica: Server,
  running: () => boolean,
): Promise<OffsetSample[]> {
  const samples: OffsetSample[] = [];
  let next = performance.now();
  while (running()) {
    const [m, r] = await Promise.all([info(master, 'replication'), info(replica, 'replication')]);
    const at = performance.now();
    const ack = replicaEntries(m)[0];
    if (ack !== undefined && ack.state === 'online') {
      samples.push({
        at,
        masterOffset: Number(m.get('master_repl_offset')),
        ackOffset: ack.offset,
        replicaOffset: Number(r.get('slave_repl_offset')),
      });
    }
    next += 10;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    else next = performance.now();
  }
  return samples;
}

/** SET then WAIT 1 0, pipelined, in a loop: the time until the replica acknowledged that write. */
async function waitLoop(port: number, running: () => boolean): Promise<number[]> {
  const conn = await BenchConnection.open(port);
  const latencies: number[] = [];
  try {
    for (let i = 0; running(); i++) {
      const t0 = performance.now();
      conn.send(
        Buffer.from(
          `*3\r\n$3\r\nSET\r\n$10\r\nbench:wait\r\n$1\r\n${i % 10}\r\n*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n`,
        ),
        2,
      );
      await conn.drain();
      latencies.push(performance.now() - t0);
    }
    const problem = conn.errorSummary;
    if (problem !== null) throw new Error(`WAIT loop: ${problem}`);
  } finally {
    conn.close();
  }
  return latencies;
}

async function lagRun(
  cluster: Cluster,
  opts: ReplicationOptions,
  result: EngineResult,
  round: number,
): Promise<void> {
  const replica = cluster.replicas[0];
  await attach(cluster, [replica]);
  let running = true;
  const sampler = sampleOffsets(cluster.master, replica, () => running);
  const waiter = waitLoop(cluster.master.target.port, () => running);
  let rps: number;
  try {
    ({ rps } = await runRedisBenchmark(opts.benchBin, {
      port: cluster.master.target.port,
      test: 'set',
      clients: 50,
      pipeline: 16,
      requests: opts.lagRequests,
    }));
  } finally {
    running = false;
  }
  const [samples, waits] = await Promise.all([sampler, waiter]);
  if (samples.length >= 2) {
    const first = samples[0];
    const last = samples[samples.length - 1];
    result.streamBytesPerMs.push((last.masterOffset - first.masterOffset) / (last.at - first.at));
  }
  for (const s of samples) {
    result.ackLagBytes.push(Math.max(0, s.masterOffset - s.ackOffset));
    // Sent together, the replica may answer a moment after the master: clamp at zero.
    result.replicaLagBytes.push(Math.max(0, s.masterOffset - s.replicaOffset));
  }
  result.waitMs.push(...waits);
  result.lagRunRps.push(rps);
  process.stderr.write(
    `  round ${round} ${cluster.engine.padEnd(8)} lag run: ${Math.round(rps).toLocaleString('en-US')} req/s, ` +
      `${samples.length} offset samples, ${waits.length} WAITs\n`,
  );
  await waitUntil(`${cluster.engine} replica to catch up`, () => replicasCaughtUp(cluster.master, [replica]));
  await detachAll(cluster);
}

// ---------------------------------------------------------------------------------------------
// Full sync
// ---------------------------------------------------------------------------------------------

async function fullSync(cluster: Cluster, result: EngineResult, round: number): Promise<void> {
  const replica = cluster.replicas[0];
  const syncsBefore = Number((await info(cluster.master, 'stats')).get('sync_full'));
  const t0 = performance.now();
  await call(replica, ['REPLICAOF', '127.0.0.1', String(cluster.master.target.port)]);
  await waitUntil(`${cluster.engine} full sync`, () => fullySynced(cluster.master, replica));
  const ms = performance.now() - t0;
  const syncs = Number((await info(cluster.master, 'stats')).get('sync_full')) - syncsBefore;
  if (syncs !== 1)
    result.notes.push(`${cluster.engine}: full sync round ${round} counted ${syncs} full syncs`);
  result.fullSyncMs.push(ms);
  process.stderr.write(`  round ${round} ${cluster.engine.padEnd(8)} full sync ${ms.toFixed(0)} ms\n`);
  // Back to an empty replica for the next round (the flush is not timed).
  await detachAll(cluster);
  await call(replica, ['FLUSHALL']);
}

// ---------------------------------------------------------------------------------------------

function emptyResult(): EngineResult {
  return {
    fullSyncMs: [],
    ackLagBytes: [],
    replicaLagBytes: [],
    waitMs: [],
    streamBytesPerMs: [],
    lagRunRps: [],
    throughput: new Map(),
    notes: [],
  };
}

/** Engines in alternating order per round, so drift hits both alike. */
const orderFor = (round: number): Engine[] => (round % 2 === 1 ? ENGINES : [...ENGINES].reverse());

export async function runReplicationBench(opts: ReplicationOptions): Promise<ReplicationResult> {
  const clusters = new Map<Engine, Cluster>();
  const results: Record<Engine, EngineResult> = { tsredis: emptyResult(), redis: emptyResult() };
  try {
    for (const engine of ENGINES) clusters.set(engine, await startCluster(engine, opts.nodeArgs));
    for (let round = 1; round <= opts.throughputRounds; round++) {
      for (const engine of orderFor(round)) {
        const counts = round % 2 === 1 ? [0, 2] : [2, 0];
        for (const n of counts) await throughputRun(clusters.get(engine)!, opts, results[engine], round, n);
      }
    }
    for (let round = 1; round <= opts.rounds; round++) {
      for (const engine of orderFor(round)) await lagRun(clusters.get(engine)!, opts, results[engine], round);
    }
    for (const engine of ENGINES) {
      const cluster = clusters.get(engine)!;
      for (const s of [cluster.master, ...cluster.replicas]) await call(s, ['FLUSHALL']);
      const t0 = performance.now();
      await loadPipelined(cluster.master.target.port, opts.keys, (i) => ['SET', benchKey(i), value100(i)]);
      process.stderr.write(
        `  loaded ${opts.keys.toLocaleString('en-US')} keys into the ${engine} master in ${(performance.now() - t0).toFixed(0)} ms\n`,
      );
    }
    for (let round = 1; round <= opts.rounds; round++) {
      for (const engine of orderFor(round)) await fullSync(clusters.get(engine)!, results[engine], round);
    }
  } finally {
    await Promise.all([...clusters.values()].map(stopCluster));
  }
  return {
    keys: opts.keys,
    rounds: opts.rounds,
    throughputRounds: opts.throughputRounds,
    lagRequests: opts.lagRequests,
    pipelines: Object.keys(opts.requests).map(Number),
    engines: results,
  };
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

export function median(xs: number[]): number {
  return percentile(xs, 50);
}

/** Nearest-rank percentile; NaN for no samples. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  if (p === 50 && s.length % 2 === 0) return (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Derived figures the table and the target checks share. */
export interface ReplicationSummary {
  fullSyncMs: number;
  ackLagBytes: { p50: number; p99: number };
  ackLagMs: { p50: number; p99: number };
  replicaLagBytes: { p50: number; p99: number };
  replicaLagMs: { p50: number; p99: number };
  waitMs: { p50: number; p99: number };
  streamBytesPerMs: number;
  lagRunRps: number;
  /** pipeline → { rps0, rps2, drop (median over rounds of rps2 / rps0), cpu0, cpu2 } */
  throughput: Map<number, { rps0: number; rps2: number; ratio: number; cpu0: number; cpu2: number }>;
}

export function summarize(result: ReplicationResult, engine: Engine): ReplicationSummary {
  const r = result.engines[engine];
  const rate = median(r.streamBytesPerMs);
  const pair = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99) });
  const inMs = (b: { p50: number; p99: number }) => ({ p50: b.p50 / rate, p99: b.p99 / rate });
  const ackLagBytes = pair(r.ackLagBytes);
  const replicaLagBytes = pair(r.replicaLagBytes);
  const throughput = new Map<
    number,
    { rps0: number; rps2: number; ratio: number; cpu0: number; cpu2: number }
  >();
  for (const p of result.pipelines) {
    const zero = r.throughput.get(`${p}/0`) ?? [];
    const two = r.throughput.get(`${p}/2`) ?? [];
    // The drop is taken within each round, whose two runs are seconds apart, then the median
    // over rounds: the machine's speed drifts more between rounds than within one.
    const perRound = zero.slice(0, two.length).map((z, i) => two[i].rps / z.rps);
    throughput.set(p, {
      rps0: median(zero.map((s) => s.rps)),
      rps2: median(two.map((s) => s.rps)),
      ratio: median(perRound),
      cpu0: median(zero.map((s) => s.cpuMicrosPerRequest)),
      cpu2: median(two.map((s) => s.cpuMicrosPerRequest)),
    });
  }
  return {
    fullSyncMs: median(r.fullSyncMs),
    ackLagBytes,
    ackLagMs: inMs(ackLagBytes),
    replicaLagBytes,
    replicaLagMs: inMs(replicaLagBytes),
    waitMs: pair(r.waitMs),
    streamBytesPerMs: rate,
    lagRunRps: median(r.lagRunRps),
    throughput,
  };
}

export function printReplication(result: ReplicationResult): void {
  const ts = summarize(result, 'tsredis');
  const rd = summarize(result, 'redis');
  const fmt = (n: number, d = 0) =>
    Number.isNaN(n)
      ? 'n/a'
      : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}x` : '-');
  const n = (xs: number[]) => xs.length;
  console.log(
    `\nReplication: each engine to replicas of itself (repl-diskless-sync-delay 0), median of ${result.rounds} round(s) (throughput with 0 and 2 replicas: ${result.throughputRounds})`,
  );
  const rows: Array<[string, number, number, number]> = [
    [`full sync, ${fmt(result.keys)} keys of 100 random B (ms)`, ts.fullSyncMs, rd.fullSyncMs, 0],
    [`lag run: SET -P 16 -c 50, ${fmt(result.lagRequests)} req (req/s)`, ts.lagRunRps, rd.lagRunRps, 0],
    ['  replication stream (bytes/ms)', ts.streamBytesPerMs, rd.streamBytesPerMs, 0],
    ['  lag, master offset - ack offset, p50 (bytes)', ts.ackLagBytes.p50, rd.ackLagBytes.p50, 0],
    ['  lag, master offset - ack offset, p99 (bytes)', ts.ackLagBytes.p99, rd.ackLagBytes.p99, 0],
    ['  lag, same, p50 (ms of writes)', ts.ackLagMs.p50, rd.ackLagMs.p50, 2],
    ['  lag, same, p99 (ms of writes)', ts.ackLagMs.p99, rd.ackLagMs.p99, 2],
    [
      '  lag, master offset - slave_repl_offset, p50 (bytes)',
      ts.replicaLagBytes.p50,
      rd.replicaLagBytes.p50,
      0,
    ],
    [
      '  lag, master offset - slave_repl_offset, p99 (bytes)',
      ts.replicaLagBytes.p99,
      rd.replicaLagBytes.p99,
      0,
    ],
    ['  lag, same, p99 (ms of writes)', ts.replicaLagMs.p99, rd.replicaLagMs.p99, 2],
    ['  SET + WAIT 1 0 latency, p50 (ms)', ts.waitMs.p50, rd.waitMs.p50, 2],
    ['  SET + WAIT 1 0 latency, p99 (ms)', ts.waitMs.p99, rd.waitMs.p99, 2],
  ];
  for (const p of result.pipelines) {
    const a = ts.throughput.get(p)!;
    const b = rd.throughput.get(p)!;
    rows.push(
      [`master SET -P ${p}, 0 replicas (req/s)`, a.rps0, b.rps0, 0],
      [`master SET -P ${p}, 2 replicas (req/s)`, a.rps2, b.rps2, 0],
      ['  2 replicas / 0 replicas (median of rounds)', a.ratio, b.ratio, 2],
      ['  master CPU, 0 replicas (µs/req)', a.cpu0, b.cpu0, 2],
      ['  master CPU, 2 replicas (µs/req)', a.cpu2, b.cpu2, 2],
    );
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`${'measure'.padEnd(w)}  ${'tsredis'.padStart(12)}  ${'redis'.padStart(12)}  ratio`);
  console.log(`${'-'.repeat(w)}  ${'-'.repeat(12)}  ${'-'.repeat(12)}  -----`);
  for (const [label, a, b, d] of rows) {
    console.log(`${label.padEnd(w)}  ${fmt(a, d).padStart(12)}  ${fmt(b, d).padStart(12)}  ${ratio(a, b)}`);
  }
  const t = result.engines.tsredis;
  const r = result.engines.redis;
  console.log(
    `(samples: offsets ${n(t.ackLagBytes)} / ${n(r.ackLagBytes)}, WAITs ${n(t.waitMs)} / ${n(r.waitMs)}; ` +
      `ms of writes = bytes / stream bytes per ms)`,
  );
  for (const note of [...t.notes, ...r.notes]) console.log(`note: ${note}`);
}
