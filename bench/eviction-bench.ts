/**
 * Writes past maxmemory (issue 23): each engine runs with `maxmemory` and allkeys-lru, is filled
 * to the limit with new keys, then redis-benchmark SETs more new keys, so nearly every write
 * evicts one. The figure is SET req/s while evicting; the servers alternate, fresh each round.
 */
import { infoNumber } from './loader.js';
import { runRedisBenchmark } from './redis-benchmark.js';
import { startRedis, startTsredis, type Target } from './servers.js';

export interface EvictionOptions {
  benchBin: string;
  rounds: number;
  /** maxmemory, in config syntax. */
  maxmemory: string;
  /** SETs of new keys that fill the server to its limit (not measured). */
  fillRequests: number;
  /** Measured SETs per pipeline depth. */
  requests: Record<number, number>;
  nodeArgs: string[];
}

export interface EvictionSample {
  rps: number;
  cpuMicrosPerRequest: number;
  evicted: number;
}

/** samples[pipeline][engine] */
export type EvictionResult = Map<number, Map<string, EvictionSample[]>>;

const KEYSPACE = 1_000_000_000;

async function evictedKeys(target: Target): Promise<number> {
  return (await infoNumber(target.port, 'stats', 'evicted_keys')) ?? 0;
}

async function runOne(
  opts: EvictionOptions,
  engine: string,
  pipeline: number,
  requests: number,
): Promise<EvictionSample> {
  const serverArgs = ['--maxmemory', opts.maxmemory, '--maxmemory-policy', 'allkeys-lru'];
  const target =
    engine === 'tsredis'
      ? await startTsredis({ nodeArgs: opts.nodeArgs, serverArgs })
      : await startRedis({ serverArgs });
  try {
    const run = { port: target.port, test: 'set', clients: 50, pipeline, keyspace: KEYSPACE };
    await runRedisBenchmark(opts.benchBin, { ...run, pipeline: 16, requests: opts.fillRequests });
    const before = await evictedKeys(target);
    const cpuBefore = target.cpuMicros();
    const result = await runRedisBenchmark(opts.benchBin, { ...run, requests });
    const cpuMicrosPerRequest = (target.cpuMicros() - cpuBefore) / requests;
    return { rps: result.rps, cpuMicrosPerRequest, evicted: (await evictedKeys(target)) - before };
  } finally {
    await target.stop();
  }
}

export async function runEvictionBench(opts: EvictionOptions): Promise<EvictionResult> {
  const result: EvictionResult = new Map();
  let turn = 0;
  for (let round = 1; round <= opts.rounds; round++) {
    for (const [depth, requests] of Object.entries(opts.requests)) {
      const pipeline = Number(depth);
      const engines = turn++ % 2 === 0 ? ['tsredis', 'redis'] : ['redis', 'tsredis'];
      for (const engine of engines) {
        const sample = await runOne(opts, engine, pipeline, requests);
        const byEngine = result.get(pipeline) ?? new Map<string, EvictionSample[]>();
        byEngine.set(engine, [...(byEngine.get(engine) ?? []), sample]);
        result.set(pipeline, byEngine);
        process.stderr.write(
          `  round ${round} SET past maxmemory -P ${String(pipeline).padEnd(3)} ${engine.padEnd(8)} ` +
            `${Math.round(sample.rps).toLocaleString('en-US').padStart(10)} req/s ` +
            `${sample.cpuMicrosPerRequest.toFixed(2).padStart(7)} µs cpu/req, ${sample.evicted.toLocaleString('en-US')} evicted\n`,
        );
      }
    }
  }
  return result;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median req/s per engine and their ratio, per pipeline depth. */
export interface EvictionSummary {
  pipeline: number;
  tsredis: number;
  redis: number;
  ratio: number;
  tsredisCpu: number;
  redisCpu: number;
  evicted: number;
}

export function summarizeEviction(result: EvictionResult): EvictionSummary[] {
  return [...result.entries()].map(([pipeline, byEngine]) => {
    const med = (engine: string, f: (s: EvictionSample) => number) =>
      median((byEngine.get(engine) ?? []).map(f));
    const rps = (engine: string) => med(engine, (s) => s.rps);
    return {
      pipeline,
      tsredis: rps('tsredis'),
      redis: rps('redis'),
      ratio: rps('tsredis') / rps('redis'),
      tsredisCpu: med('tsredis', (s) => s.cpuMicrosPerRequest),
      redisCpu: med('redis', (s) => s.cpuMicrosPerRequest),
      evicted: med('tsredis', (s) => s.evicted),
    };
  });
}
