/** Helpers for the tsredis-cli tests: running the cli (and redis-cli), golden files, a pseudo-terminal. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RawClient } from './raw-client.js';
import { CLI_BIN, DIST, findTool } from './servers.js';

export const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'cli');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Kill the process after this long (for endless modes like --stat). */
  killAfterMs?: number;
}

/** Runs a program to completion without blocking this process's event loop (servers may run in-process). */
export function run(bin: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    const timer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGTERM'), options.killAfterMs);
    child.on('close', (code) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('latin1'),
        stderr: Buffer.concat(err).toString('latin1'),
        code,
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

export function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [CLI_BIN, ...args], options);
}

const REDIS_CLI = findTool('redis-cli');

export function hasRedisCli(): boolean {
  return REDIS_CLI !== null;
}

export function runRedisCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  if (REDIS_CLI === null) throw new Error('redis-cli not installed');
  return run(REDIS_CLI, args, options);
}

export interface Golden {
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** For pty captures: what the terminal showed. */
  pty: string;
  stdinLines: string[];
}

/** Parses one golden capture (see test/fixtures/cli/INDEX.txt for the format). */
export function golden(name: string): Golden {
  const text = readFileSync(join(FIXTURES, name)).toString('latin1');
  const section = (marker: string): string => {
    const start = text.indexOf(`=== ${marker} ===\n`);
    if (start < 0) return '';
    const from = start + marker.length + 9;
    const end = text.indexOf('\n=== ', from - 1);
    return text.slice(from, end + 1);
  };
  const header = text.slice(0, text.indexOf('=== '));
  const stdinLines = [...header.matchAll(/^# {3}(.*)$/gm)].map((m) => m[1]);
  return {
    command: /^# command: (.*)$/m.exec(header)?.[1] ?? '',
    exitCode: Number(/^# exit code: (\d+)/m.exec(header)?.[1] ?? -1),
    stdout: section('stdout'),
    stderr: section('stderr'),
    pty: section('pty output'),
    stdinLines,
  };
}

/** The data the golden captures were taken with (see INDEX.txt). */
export async function loadGoldenData(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  const commands: string[][] = [
    ['FLUSHALL'],
    ['SET', 'str', 'hello world'],
    ['SET', 'counter', '41'],
    ['SET', 'special', 'line1\nline2 "quoted" tab\there \x00\xff end'],
    ['HSET', 'h', 'field1', 'value1', 'field2', 'value 2', 'num', '3'],
    ['ZADD', 'z', '1', 'one', '2.5', 'two-and-half', '-inf', 'minus-inf', '0.1', 'point-one'],
    ['SADD', 's', 'a', 'b', 'c'],
    ['RPUSH', 'l', 'x', 'y', 'z'],
  ];
  for (const cmd of commands) await c.call(cmd);
  c.close();
}

/** A process under a pseudo-terminal (util-linux `script`), driven line by line like a user. */
export class Pty {
  private out = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(command: string, env: NodeJS.ProcessEnv = {}) {
    // `exec`: no shell stays between script and the program. A shell that does not exec its last
    // command (dash) would die of the Ctrl-C the tests type, and script would report 130.
    this.child = spawn('script', ['-qefc', `exec ${command}`, '/dev/null'], {
      env: { ...process.env, TERM: 'dumb', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (c: Buffer) => {
      this.out += c.toString('latin1');
    });
    this.child.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  static available(): boolean {
    return findTool('script') !== null;
  }

  /** Everything the terminal showed so far, with the pty's \r\n turned into \n. */
  get output(): string {
    return this.out.replace(/\r\n/g, '\n');
  }

  /** Waits until the output (from `from` on) matches. */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.output.slice(from);
      if (pattern.test(seen)) return seen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got:\n${seen}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Types a line and returns the output position where its echo starts. */
  type(line: string): number {
    const at = this.output.length;
    this.child.stdin!.write(`${line}\r`);
    return at;
  }

  /** Types a line and waits for the next prompt after it; returns what was printed in between. */
  async command(line: string, prompt = /> $/): Promise<string> {
    const at = this.type(line);
    const seen = await this.waitFor(new RegExp(`^${escapeRegExp(line)}\\n[^]*${prompt.source}`), at);
    return seen.slice(line.length + 1);
  }

  sendRaw(bytes: string): void {
    this.child.stdin!.write(bytes);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
