/**
 * Scale benchmark (`npm run bench -- --only scale`, or alone: node dist/bench/scale-bench.js
 * [--sizes 1000000,10000000,30000000]): for each size, each server in turn (the order alternating)
 * is filled with that many keys of 100-byte values, then
 *   - RSS and used_memory growth per key;
 *   - the latency a PING prober sees (one PING every millisecond on its own connection) while
 *     redis-benchmark -t set -r <size> -P 16 -n 5000000 overwrites the keys: p50, p99, p99.9, max;
 *   - SAVE time, start-up load time of that file, and a full sync of an empty replica.
 * Ratios are tsredis / redis (lower is better for every row).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BenchConnection, benchKey, infoNumber, loadPipelined } from './loader.js';
import { formatFigure, printRatioRows, type RatioRow } from './ratio-table.js';
import { findTool, startRedis, startTsredis, type Target } from './servers.js';

const VALUE_100 = 'v'.repeat(100);
const LOAD_REQUESTS = 5_000_000;
const MASTER_ARGS = ['--repl-diskless-sync-delay', '0'];

export interface ScaleResult {
  name: string;
  keys: number;
  fillMs: number;
  rssPerKey: number;
  usedPerKey: number;
  ping: { p50: number; p99: number; p999: number; max: number; samples: number };
  loadSeconds: number;
  saveMs: number;
  startupLoadMs: number;
  fullSyncMs: number;
}

type Kind = 'tsredis' | 'redis';

function start(kind: Kind, dir: string, serverArgs: string[] = []): Promise<Target> {
  return kind === 'tsredis' ? startTsredis({ dir, serverArgs }) : startRedis({ dir, serverArgs });
}

async function call(port: number, args: string[]): Promise<string> {
  const c = await BenchConnection.open(port);
  try {
    const v = await c.call(args);
    if (v === undefined) return '';
    if (v.type === 'error') throw new Error(`${args.join(' ')}: ${v.value}`);
    return v.type === 'bulk' ? v.value.toString('latin1') : String((v as { value: unknown }).value);
  } finally {
    c.close();
  }
}

/** A PING every millisecond on one connection until stopped: the round trips, sorted. */
function prober(port: number): { stop: () => Promise<number[]> } {
  let running = true;
  const done = (async () => {
    const c = await BenchConnection.open(port);
    const rtts: number[] = [];
    while (running) {
      const t0 = performance.now();
      await c.call(['PING']);
      rtts.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 1));
    }
    c.close();
    return rtts.sort((a, b) => a - b);
  })();
  return {
    stop: () => {
      running = false;
      return done;
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function runSetLoad(bin: string, port: number, keys: number): Promise<void> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-t', 'set', '-r', String(keys), '-d', '100'];
  args.push('-P', '16', '-n', String(LOAD_REQUESTS), '-q');
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: 'ignore' });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-benchmark exited ${code}`))));
  });
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

async function measure(kind: Kind, keys: number, benchBin: string): Promise<ScaleResult> {
  const dir = mkdtempSync(join(tmpdir(), `bench-scale-${kind}-`));
  const replicaDir = mkdtempSync(join(tmpdir(), `bench-scale-${kind}-replica-`));
  try {
    let server = await start(kind, dir, MASTER_ARGS);
    const rss0 = server.rssBytes();
    const used0 = (await infoNumber(server.port, 'memory', 'used_memory')) ?? 0;
    let t0 = performance.now();
    await loadPipelined(server.port, keys, (i) => ['SET', benchKey(i), VALUE_100]);
    const fillMs = performance.now() - t0;
    const rssPerKey = (server.rssBytes() - rss0) / keys;
    const usedPerKey = (((await infoNumber(server.port, 'memory', 'used_memory')) ?? 0) - used0) / keys;
    process.stderr.write(
      `  ${kind}: ${keys.toLocaleString('en-US')} keys in ${(fillMs / 1000).toFixed(1)} s\n`,
    );

    const probe = prober(server.port);
    t0 = performance.now();
    await runSetLoad(benchBin, server.port, keys);
    const loadSeconds = (performance.now() - t0) / 1000;
    const rtts = await probe.stop();

    t0 = performance.now();
    await call(server.port, ['SAVE']);
    const saveMs = performance.now() - t0;

    // Full sync of an empty replica (diskless, as 7.0's default, without the wait for more replicas).
    const replica = await start(kind, replicaDir);
    t0 = performance.now();
    await call(replica.port, ['REPLICAOF', '127.0.0.1', String(server.port)]);
    await waitFor(async () => {
      const info = await call(replica.port, ['INFO', 'replication']);
      return /master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info);
    });
    const fullSyncMs = performance.now() - t0;
    await replica.stop();

    await server.stop();
    t0 = performance.now();
    server = await start(kind, dir, MASTER_ARGS);
    const startupLoadMs = performance.now() - t0;
    await server.stop();
    return {
      name: kind,
      keys,
      fillMs,
      rssPerKey,
      usedPerKey,
      ping: {
        p50: percentile(rtts, 0.5),
        p99: percentile(rtts, 0.99),
        p999: percentile(rtts, 0.999),
        max: rtts[rtts.length - 1] ?? Number.NaN,
        samples: rtts.length,
      },
      loadSeconds,
      saveMs,
      startupLoadMs,
      fullSyncMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(replicaDir, { recursive: true, force: true });
  }
}

export async function runScaleBench(sizes: number[]): Promise<ScaleResult[]> {
  const benchBin = findTool('redis-benchmark');
  if (benchBin === null) throw new Error('redis-benchmark not found (apt-get install redis-tools)');
  const results: ScaleResult[] = [];
  for (const [i, keys] of sizes.entries()) {
    const order: Kind[] = i % 2 === 0 ? ['tsredis', 'redis'] : ['redis', 'tsredis'];
    for (const kind of order) results.push(await measure(kind, keys, benchBin));
  }
  return results;
}

export function printScale(results: ScaleResult[]): void {
  const fmt = formatFigure;
  const sizes = [...new Set(results.map((r) => r.keys))];
  for (const keys of sizes) {
    const ts = results.find((r) => r.keys === keys && r.name === 'tsredis')!;
    const rd = results.find((r) => r.keys === keys && r.name === 'redis')!;
    console.log(
      `\nScale: ${fmt(keys)} keys of 100 bytes; PING every ms during redis-benchmark SET -P 16 -n ${fmt(LOAD_REQUESTS)} -r ${fmt(keys)} (${fmt(ts.loadSeconds, 1)} s / ${fmt(rd.loadSeconds, 1)} s)`,
    );
    const rows: RatioRow[] = [
      ['RSS growth per key (B)', ts.rssPerKey, rd.rssPerKey, 0],
      ['used_memory growth per key (B)', ts.usedPerKey, rd.usedPerKey, 0],
      ['fill, pipelined SETs (ms)', ts.fillMs, rd.fillMs, 0],
      ['PING p50 (ms)', ts.ping.p50, rd.ping.p50, 2],
      ['PING p99 (ms)', ts.ping.p99, rd.ping.p99, 2],
      ['PING p99.9 (ms)', ts.ping.p999, rd.ping.p999, 2],
      ['PING max (ms)', ts.ping.max, rd.ping.max, 1],
      ['SET load duration (s)', ts.loadSeconds, rd.loadSeconds, 1],
      ['SAVE (ms)', ts.saveMs, rd.saveMs, 0],
      ['start-up load, start to ready (ms)', ts.startupLoadMs, rd.startupLoadMs, 0],
      ['full sync of an empty replica (ms)', ts.fullSyncMs, rd.fullSyncMs, 0],
    ];
    printRatioRows(rows);
  }
}

export const DEFAULT_SCALE_SIZES = [1_000_000, 10_000_000, 30_000_000];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--sizes');
  const sizes = i > 0 ? process.argv[i + 1].split(',').map(Number) : DEFAULT_SCALE_SIZES;
  runScaleBench(sizes)
    .then(printScale)
    .catch((e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 1;
    });
}
