/**
 * Persistence benchmark (part of `npm run bench`, or alone: node dist/bench/persistence-bench.js
 * [--keys N]): both servers load N keys (default 1,000,000) of 100-byte values, then
 *   - SAVE: time and file size;
 *   - start-up load of that file: time to "Ready to accept connections" and the logged load time;
 *   - BGSAVE while redis-benchmark runs SET/GET: the longest stall a PING prober sees, and the
 *     benchmark's throughput during the save next to the same run without a save.
 * Ratios are tsredis / redis (for times and sizes, lower is better).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BenchConnection, benchKey, loadPipelined } from './loader.js';
import { formatFigure, printRatioRows, type RatioRow } from './ratio-table.js';
import { findTool, TSREDIS_NODE_FLAGS, TSREDIS_SERVER_BIN } from './servers.js';

const VALUE_100 = 'v'.repeat(100);

interface Proc {
  port: number;
  proc: ChildProcess;
  output: () => string;
  readyMs: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a server in `dir` (its dump.rdb is loaded); resolves when it accepts connections. */
async function startIn(kind: 'tsredis' | 'redis', dir: string): Promise<Proc> {
  const port = await freePort();
  const common = [
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--port',
    String(port),
  ];
  const [bin, args] =
    kind === 'tsredis'
      ? [process.execPath, [...TSREDIS_NODE_FLAGS, TSREDIS_SERVER_BIN, ...common]]
      : [findTool('redis-server')!, common];
  const started = performance.now();
  const proc = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString('latin1');
      if (/Ready to accept connections/.test(out)) resolve();
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`${kind} exited with ${code}:\n${out}`)));
  });
  return {
    port,
    proc,
    output: () => out,
    readyMs: performance.now() - started,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

async function command(port: number, args: string[]): Promise<string> {
  const c = await BenchConnection.open(port);
  try {
    const v = await c.call(args);
    if (v === undefined) return '';
    return v.type === 'bulk' ? v.value.toString('latin1') : String((v as { value: unknown }).value);
  } finally {
    c.close();
  }
}

/** Sequential PINGs until stopped: the longest round trip is the longest event-loop stall seen. */
function prober(port: number): { stop: () => Promise<number> } {
  let running = true;
  const done = (async () => {
    const c = await BenchConnection.open(port);
    let worst = 0;
    while (running) {
      const t0 = performance.now();
      await c.call(['PING']);
      worst = Math.max(worst, performance.now() - t0);
    }
    c.close();
    return worst;
  })();
  return {
    stop: async () => {
      running = false;
      return done;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function totalCommands(port: number): Promise<number> {
  const info = await command(port, ['INFO', 'stats']);
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

async function waitBgsave(port: number): Promise<void> {
  for (;;) {
    const info = await command(port, ['INFO', 'persistence']);
    if (/rdb_bgsave_in_progress:0/.test(info)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface PersistenceResult {
  name: string;
  keys: number;
  saveMs: number;
  fileBytes: number;
  loadReadyMs: number;
  loadLoggedMs: number;
  bgsaveMs: number;
  bgsaveWorstPingMs: number;
  idleWorstPingMs: number;
  rpsAlone: number;
  rpsDuringBgsave: number;
}

async function measure(
  kind: 'tsredis' | 'redis',
  keys: number,
  benchBin: string | null,
): Promise<PersistenceResult> {
  const dir = mkdtempSync(join(tmpdir(), `bench-persist-${kind}-`));
  try {
    let s = await startIn(kind, dir);
    await loadPipelined(s.port, keys, (i) => ['SET', benchKey(i), VALUE_100]);
    process.stderr.write(`  ${kind}: ${keys.toLocaleString('en-US')} keys loaded\n`);
    let t0 = performance.now();
    await command(s.port, ['SAVE']);
    const saveMs = performance.now() - t0;
    const fileBytes = statSync(join(dir, 'dump.rdb')).size;
    // redis-benchmark SETs over the same keys the whole time; a window without a save, then the
    // BGSAVE: commands per second from total_commands_processed, stalls from a PING prober.
    const load =
      benchBin === null
        ? null
        : spawn(
            benchBin,
            [
              '-h',
              '127.0.0.1',
              '-p',
              String(s.port),
              '-t',
              'set',
              '-c',
              '50',
              '-n',
              '100000000',
              '-r',
              String(keys),
              '-d',
              '100',
              '-q',
            ],
            { stdio: 'ignore' },
          );
    await sleep(1000);
    let probe = prober(s.port);
    let c0 = await totalCommands(s.port);
    t0 = performance.now();
    await sleep(2000);
    const rpsAlone = ((await totalCommands(s.port)) - c0) / ((performance.now() - t0) / 1000);
    const idleWorstPingMs = await probe.stop();
    probe = prober(s.port);
    c0 = await totalCommands(s.port);
    t0 = performance.now();
    await command(s.port, ['BGSAVE']);
    await waitBgsave(s.port);
    const bgsaveMs = performance.now() - t0;
    const rpsDuringBgsave = ((await totalCommands(s.port)) - c0) / (bgsaveMs / 1000);
    const bgsaveWorstPingMs = await probe.stop();
    load?.kill('SIGKILL');
    await s.stop();
    // Start-up load of the file.
    s = await startIn(kind, dir);
    const loadReadyMs = s.readyMs;
    const logged = /DB loaded from disk: ([\d.]+) seconds/.exec(s.output());
    await s.stop();
    return {
      name: kind,
      keys,
      saveMs,
      fileBytes,
      loadReadyMs,
      loadLoggedMs: logged === null ? Number.NaN : Number(logged[1]) * 1000,
      bgsaveMs,
      bgsaveWorstPingMs,
      idleWorstPingMs,
      rpsAlone,
      rpsDuringBgsave,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runPersistenceBench(keys: number): Promise<PersistenceResult[]> {
  const benchBin = findTool('redis-benchmark');
  const results: PersistenceResult[] = [];
  for (const kind of ['tsredis', 'redis'] as const) results.push(await measure(kind, keys, benchBin));
  return results;
}

export function printPersistence(results: PersistenceResult[]): void {
  const [ts, rd] = results;
  const fmt = formatFigure;
  console.log(`\nPersistence: ${fmt(ts.keys)} keys of 100 bytes`);
  const rows: RatioRow[] = [
    ['SAVE time (ms)', ts.saveMs, rd.saveMs, 0],
    ['RDB file size (bytes)', ts.fileBytes, rd.fileBytes, 0],
    ['load at start-up, logged (ms)', ts.loadLoggedMs, rd.loadLoggedMs, 0],
    ['start to ready, incl. load (ms)', ts.loadReadyMs, rd.loadReadyMs, 0],
    ['BGSAVE duration (ms)', ts.bgsaveMs, rd.bgsaveMs, 0],
    ['longest PING stall under load, BGSAVE (ms)', ts.bgsaveWorstPingMs, rd.bgsaveWorstPingMs, 1],
    ['longest PING stall under load, no save (ms)', ts.idleWorstPingMs, rd.idleWorstPingMs, 1],
    ['commands/s, redis-benchmark SET -c 50, no save', ts.rpsAlone, rd.rpsAlone, 0],
    ['commands/s, same, during BGSAVE', ts.rpsDuringBgsave, rd.rpsDuringBgsave, 0],
  ];
  printRatioRows(rows);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--keys');
  const keys = i > 0 ? Number(process.argv[i + 1]) : 1_000_000;
  runPersistenceBench(keys)
    .then(printPersistence)
    .catch((e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exitCode = 1;
    });
}
