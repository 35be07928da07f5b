/** Benchmark targets: tsredis-server and redis-server as processes, with their CPU time and RSS. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { heapFlag, planHeap } from '../src/lib/heap-plan.js';

/** dist/ root: this file runs as dist/bench/servers.js. */
const DIST = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TSREDIS_SERVER_BIN = join(DIST, 'src', 'bin', 'tsredis-server.js');

/** Kernel clock ticks per second for /proc/<pid>/stat times (getconf CLK_TCK). */
const CLOCK_TICKS = readClockTicks();

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

export function findTool(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
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

export interface Target {
  /** "tsredis" or "redis": the column label. */
  readonly name: string;
  readonly port: number;
  /** The TLS port (0: none). */
  readonly tlsPort: number;
  readonly pid: number;
  /** User + system CPU time of the server process so far, in microseconds. */
  cpuMicros(): number;
  /** Resident set size in bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

export interface TargetOptions {
  /** Extra node flags for tsredis (e.g. --cpu-prof --cpu-prof-dir=...). */
  nodeArgs?: string[];
  /** Extra server arguments (e.g. --repl-diskless-sync-delay 0), for either engine. */
  serverArgs?: string[];
  /** The working directory (its dump.rdb is loaded at start), kept at stop; default: a fresh one, removed. */
  dir?: string;
  /** A TLS port beside the plain one, with this certificate (signed by ca, which also checks clients). */
  tls?: { ca: string; cert: string; key: string };
}

/**
 * node flags for a tsredis-server: the heap it would choose for itself, given up front so the
 * measured pid is the server's own (without it, tsredis-server relaunches itself in a child).
 */
export const TSREDIS_NODE_FLAGS = [heapFlag(planHeap(0))];

/** Both servers get persistence off and loopback only, so they do the same work. */
const COMMON_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];

export async function startTsredis(options: TargetOptions = {}): Promise<Target> {
  return startTarget(
    'tsredis',
    process.execPath,
    [
      ...TSREDIS_NODE_FLAGS,
      ...(options.nodeArgs ?? []),
      TSREDIS_SERVER_BIN,
      ...COMMON_ARGS,
      ...(options.serverArgs ?? []),
    ],
    options,
  );
}

export async function startRedis(options: TargetOptions = {}): Promise<Target> {
  const bin = findTool('redis-server');
  if (bin === null) throw new Error('redis-server not found (apt-get install redis-server)');
  return startTarget('redis', bin, [...COMMON_ARGS, ...(options.serverArgs ?? [])], options);
}

async function startTarget(
  name: string,
  bin: string,
  args: string[],
  options: TargetOptions,
): Promise<Target> {
  const keptDir = options.dir;
  const port = await freePort();
  const tlsPort = options.tls === undefined ? 0 : await freePort();
  const tlsArgs =
    options.tls === undefined
      ? []
      : [
          '--tls-port',
          String(tlsPort),
          '--tls-cert-file',
          options.tls.cert,
          '--tls-key-file',
          options.tls.key,
          '--tls-ca-cert-file',
          options.tls.ca,
        ];
  const dir = keptDir ?? mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const proc = spawn(bin, [...args, ...tlsArgs, '--port', String(port)], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitReady(proc);
  const pid = proc.pid!;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    name,
    port,
    tlsPort,
    pid,
    cpuMicros: () => readCpuMicros(pid),
    rssBytes: () => readRssBytes(pid),
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
      if (keptDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function waitReady(proc: ChildProcess): Promise<void> {
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString('latin1');
      if (/Ready to accept connections/.test(out)) {
        // Keep draining the pipes so a chatty server never blocks on a full pipe.
        proc.stdout!.removeListener('data', onData);
        proc.stderr!.removeListener('data', onData);
        proc.stdout!.resume();
        proc.stderr!.resume();
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`server exited with ${code} before ready:\n${out}`)));
  });
}

/** utime + stime (fields 14 and 15 of /proc/<pid>/stat) in microseconds. */
function readCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may contain spaces; fields are counted after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / CLOCK_TICKS) * 1e6;
}

function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m === null ? 0 : Number(m[1]) * 1024;
}
