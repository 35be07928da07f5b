/** Starting servers for tests: tsredis in-process or as a process, and the real redis-server. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningServer, type StartOptions, startServer } from '../../src/index.js';
import { heapFlag, planHeap } from '../../src/lib/heap-plan.js';

/** dist/ root of the compiled project (tests run from dist/test). */
export const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVER_BIN = join(DIST, 'src', 'bin', 'tsredis-server.js');
export const CLI_BIN = join(DIST, 'src', 'bin', 'tsredis-cli.js');
export const TSREDIS_BIN = join(DIST, 'src', 'bin', 'tsredis.js');

export function freePort(): Promise<number> {
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

export function tempDir(prefix = 'tsredis-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

let redisPath: string | null | undefined;

/** Path of Debian's redis-server, or null when not installed. */
export function findRedisServer(): string | null {
  if (redisPath !== undefined) return redisPath;
  try {
    redisPath = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    redisPath = null;
  }
  return redisPath;
}

export function findTool(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * For node:test's `skip` option: a reason to skip when real Redis is missing. In CI (CI=true) a
 * missing redis-server is an error, never a silent skip.
 */
export function skipWithoutRedis(): string | false {
  if (findRedisServer() !== null) return false;
  if (process.env.CI === 'true') throw new Error('redis-server is required in CI but was not found');
  const reason = 'redis-server not installed: differential/interop test skipped';
  process.stderr.write(`# SKIP ${reason}\n`);
  return reason;
}

export interface ProcessServer {
  port: number;
  proc: ChildProcess;
  dir: string;
  output: () => string;
  /** Resolves once the output so far matches (log lines come through a pipe, after the reply). */
  waitForOutput(pattern: RegExp, timeoutMs?: number | null): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * node flags for a tsredis-server: the heap it would choose itself, given up front so the process
 * spawned is the server (pid, RSS, signals) rather than the launcher that relaunches it (test/process/heap.test.ts).
 */
export const NODE_FLAGS = [heapFlag(planHeap(0))];

/** Spawns a server process and resolves once it logs "Ready to accept connections". */
export async function spawnServer(
  bin: string,
  args: string[],
  options: { port?: number; dir?: string; readyPattern?: RegExp; cwd?: string; nodeFlags?: string[] } = {},
): Promise<ProcessServer> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? tempDir();
  const isNode = bin.endsWith('.js');
  const fullArgs = [...args];
  if (!args.includes('--port')) fullArgs.push('--port', String(port));
  const proc = spawn(
    isNode ? process.execPath : bin,
    isNode ? [...(options.nodeFlags ?? NODE_FLAGS), bin, ...fullArgs] : fullArgs,
    {
      cwd: options.cwd ?? dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const outputSeen = new EventEmitter();
  const onData = (chunk: Buffer) => {
    out += chunk.toString('latin1');
    outputSeen.emit('data');
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const waitForOutput = (pattern: RegExp, timeoutMs: number | null = 20000, what = String(pattern)) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(out)) return resolve();
      const done = (error?: Error) => {
        clearTimeout(timer);
        outputSeen.off('data', check);
        proc.off('close', onExit);
        if (error === undefined) resolve();
        else reject(error);
      };
      const check = () => {
        if (pattern.test(out)) done();
      };
      const onExit = (code: number | null) =>
        done(new Error(`server exited with ${code} before ${what}:\n${out}`));
      // No timeout for start-up (a big load may take long): the process exiting ends the wait.
      const timer =
        timeoutMs === null
          ? undefined
          : setTimeout(() => done(new Error(`timed out waiting for ${what} in:\n${out}`)), timeoutMs);
      outputSeen.on('data', check);
      proc.once('close', onExit);
    });
  await waitForOutput(options.readyPattern ?? /Ready to accept connections/, null, 'ready');
  // 'close', not 'exit': it comes after the last output has been read from the pipes.
  const exited = new Promise<number | null>((resolve) => proc.once('close', (code) => resolve(code)));
  return {
    port,
    proc,
    dir,
    output: () => out,
    waitForOutput,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const code = await exited;
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** A real redis-server 7.0 on a free port, persistence off. */
export async function startRedis(extraArgs: string[] = []): Promise<ProcessServer> {
  const bin = findRedisServer();
  if (bin === null) throw new Error('redis-server not installed');
  return spawnServer(bin, ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs]);
}

/** tsredis-server as a process on a free port. */
export async function startTsredisProcess(extraArgs: string[] = []): Promise<ProcessServer> {
  return spawnServer(SERVER_BIN, ['--bind', '127.0.0.1', '--save', '', ...extraArgs]);
}

/** tsredis in this process (fast; for most protocol and command tests). */
export function startTsredis(options: StartOptions = {}): Promise<RunningServer> {
  return startServer(options);
}
