/** Helpers for the `tsredis` topology tests: run the command, find free port ranges, clean up every node. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TSREDIS_BIN, tempDir } from './servers.js';
import { waitFor } from './tcp-proxy.js';

const execFileP = promisify(execFile);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended it: 'SIGTERM' when it outlived timeoutMs (a hang), else null. */
  signal: string | null;
}

/** Runs `tsredis <args>` to completion (killed after timeoutMs: see `signal`). */
export async function tsredis(args: string[], timeoutMs = 60000): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileP(process.execPath, [TSREDIS_BIN, ...args], {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr, signal: null };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string; signal?: string | null };
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
      signal: err.signal ?? null,
    };
  }
}

/** Starts `tsredis <args>` in the background; output accumulates in `output()`. */
export function spawnTsredis(args: string[]): {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const proc = spawn(process.execPath, [TSREDIS_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)));
  });
}

// Below Linux's ephemeral range (32768+), where other tests' servers get their ports.
let nextBase = 20000 + Math.floor(Math.random() * 10000);

/** `count` consecutive free ports (never 6379). */
export async function freePortRange(count: number): Promise<number> {
  for (;;) {
    const base = nextBase;
    nextBase += count + 7;
    if (nextBase > 32000) nextBase = 20000;
    if (base <= 6379 && base + count > 6379) continue;
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
}

/** Whether a process runs (a zombie, exited but not yet reaped by init, does not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return !existsSync('/proc/self');
  }
}

/** The pids in a folder's pidfiles. */
export function pidsIn(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pid'))
    .map((f) => Number(readFileSync(join(dir, f), 'utf8').trim()))
    .filter((p) => Number.isInteger(p) && p > 0);
}

/**
 * Processes (other than this one) whose command line names something in `dir`: a node started
 * from one of its config files, or a launcher still running. Linux only (empty without /proc).
 */
export function processesUsing(dir: string): number[] {
  if (!existsSync('/proc/self')) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(dir) && isAlive(Number(entry))) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** The folder's config files' `port` lines. */
export function portsIn(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => /^redis-.+\.conf$/.test(f))
    .map((f) => Number(/^port (\d+)$/m.exec(readFileSync(join(dir, f), 'utf8'))?.[1] ?? 0));
}

/** Working folders made by a test file, each stopped and removed by `cleanup()` (call it in after()). */
export class Folders {
  private readonly dirs: string[] = [];
  private readonly extraPids: number[] = [];

  make(prefix = 'tsredis-topo-'): string {
    const dir = tempDir(prefix);
    this.dirs.push(dir);
    return dir;
  }

  track(pid: number): void {
    this.extraPids.push(pid);
  }

  async cleanup(): Promise<void> {
    for (const dir of this.dirs) {
      const pids = pidsIn(dir);
      if (readdirSync(dir).some((f) => f.endsWith('.conf'))) await tsredis(['down', '--dir', dir], 60000);
      for (const pid of [...pids, ...pidsIn(dir)]) {
        if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      }
    }
    for (const pid of this.extraPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    for (const pid of [...this.extraPids]) await waitFor(`pid ${pid} gone`, async () => !isAlive(pid));
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** No line of a stack trace ("    at fn (file:line)") in the output. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+[:(]/m.test(text) || /\b(TypeError|ReferenceError|Error): .*\n\s+at /.test(text);
}
