/**
 * Starting and stopping node processes from their config files. Nodes daemonize themselves (the
 * seed's `daemonize yes`), so they outlive the command that started them and are found again
 * through their pidfiles; a node whose file says `daemonize no` is started detached, the same way.
 * Every failure is turned into plain words.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeClient, NodeError } from './client.js';
import { makeDirs, UserError } from './errors.js';
import { type NodeConf, portIsFree } from './workspace.js';

export interface Engine {
  /** What the user asked for: 'tsredis', 'redis-server' or a path. */
  name: string;
  command: string;
  prefixArgs: string[];
}

const HERE = dirname(fileURLToPath(import.meta.url));
export const TSREDIS_SERVER_JS = join(HERE, '..', 'bin', 'tsredis-server.js');
export const TSREDIS_CLI_JS = join(HERE, '..', 'bin', 'tsredis-cli.js');

function onPath(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Resolves an engine name to a command, or explains why it cannot run. */
export function resolveEngine(name: string): Engine {
  if (name === 'tsredis' || name === 'tsredis-server') {
    return { name: 'tsredis', command: process.execPath, prefixArgs: [TSREDIS_SERVER_JS] };
  }
  if (name.includes('/')) {
    if (!existsSync(name)) throw new UserError(`engine binary ${name} does not exist`);
    return { name, command: name, prefixArgs: [] };
  }
  const path = onPath(name);
  if (path === null) {
    throw new UserError(
      `${name} is not installed (not found on PATH). Install it (Debian/Ubuntu: 'apt-get install redis-server'), pass its path with --engine /path/to/${name}, or use --engine tsredis.`,
    );
  }
  return { name, command: path, prefixArgs: [] };
}

/** The pid in a node's pidfile when that process is alive, else null. */
export function livePid(conf: NodeConf): number | null {
  if (conf.pidfile === '') return null;
  let pid: number;
  try {
    pid = Number(readFileSync(conf.pidfile, 'utf8').trim());
  } catch {
    // No pidfile, or the node removed it as it exited (a signal to the group reaches it too).
    return null;
  }
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
}

/** Whether the process runs (a zombie waiting for init to reap it has exited: it counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // No /proc (not Linux) or the process is gone meanwhile.
    return !existsSync('/proc/self');
  }
}

/** Removes a pidfile whose process is gone (a crash or a kill -9 leaves one behind). */
export function removeStalePidfile(conf: NodeConf): void {
  if (conf.pidfile !== '' && existsSync(conf.pidfile) && livePid(conf) === null) {
    try {
      unlinkSync(conf.pidfile);
    } catch {
      // Someone else removed it.
    }
  }
}

/** Which kind of server an engine name stands for ('tsredis', or a Redis build). */
export function engineKind(name: string): 'tsredis' | 'redis-server' {
  return name === 'tsredis' || basename(name).startsWith('tsredis') ? 'tsredis' : 'redis-server';
}

interface Answer {
  pid: number;
  configFile: string;
  /** The engine the node reports (INFO server has `tsredis_version` on tsredis only). */
  kind: 'tsredis' | 'redis-server';
}

/** The node's process id as the node itself reports it, or null if nothing answers there. */
async function answeringPid(conf: NodeConf): Promise<Answer | null> {
  try {
    const c = await NodeClient.open({ host: conf.host, port: conf.port }, 1000, {
      password: conf.requirepass || undefined,
    });
    try {
      const info = await c.info('server');
      return {
        pid: Number(info.get('process_id')),
        configFile: info.get('config_file') ?? '',
        kind: info.has('tsredis_version') ? 'tsredis' : 'redis-server',
      };
    } finally {
      c.close();
    }
  } catch {
    return null;
  }
}

/** The engine a node answering on its port runs, or null when nothing answers. */
export async function runningKind(conf: NodeConf): Promise<'tsredis' | 'redis-server' | null> {
  return (await answeringPid(conf))?.kind ?? null;
}

/** Our node's pid: from its pidfile, or from the process listening on its port with its config file. */
export async function findNodePid(conf: NodeConf): Promise<number | null> {
  const fromFile = livePid(conf);
  if (fromFile !== null) return fromFile;
  const answering = await answeringPid(conf);
  return answering !== null && answering.configFile === conf.file ? answering.pid : null;
}

function logSize(conf: NodeConf): number {
  return conf.logfile !== '' && existsSync(conf.logfile) ? statSync(conf.logfile).size : 0;
}

/** The last lines the node logged since `from` (a byte offset: older runs' lines are not this run's). */
function lastLogLines(conf: NodeConf, from: number, n = 8): string {
  if (conf.logfile === '' || !existsSync(conf.logfile)) return '';
  const text = readFileSync(conf.logfile).subarray(from).toString('latin1');
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}

/** Known start-up failures in the log, said plainly; null when none is recognised. */
function explainLog(conf: NodeConf, log: string): string | null {
  if (/Address already in use/i.test(log)) {
    return `port ${conf.port} is already in use by another program. Stop it, or change 'port' in ${conf.file} (a new topology: 'tsredis up --port N').`;
  }
  if (/Cannot assign requested address|Could not create server TCP listening socket/i.test(log)) {
    return `${conf.name} cannot listen on '${conf.bind.join(' ')}' (an address this machine does not have?). Fix 'bind' in ${conf.file}.`;
  }
  if (/Permission denied/i.test(log)) {
    return `${conf.name} lacks a permission (see the log below): check the paths of dir/pidfile/logfile in ${conf.file}.`;
  }
  return null;
}

export interface StartResult {
  pid: number;
  alreadyRunning: boolean;
}

/**
 * Starts one node from its config file and returns once it answers PING (or explains why not).
 * `onLaunch` is called just before the process is spawned (not for a node already running), so a
 * caller interrupted meanwhile knows this node may be coming up and must be stopped.
 */
export async function startNode(
  conf: NodeConf,
  engine: Engine,
  cwd: string,
  timeoutMs = 60000,
  onLaunch?: () => void,
): Promise<StartResult> {
  const running = await findNodePid(conf);
  if (running !== null) return { pid: running, alreadyRunning: true };
  removeStalePidfile(conf);
  const hosts = conf.bind.length > 0 ? conf.bind.map((b) => b.replace(/^-/, '')) : ['0.0.0.0'];
  const checkHost = hosts.includes('0.0.0.0') || hosts.includes('*') ? '0.0.0.0' : conf.host;
  if (!(await portIsFree(conf.port, checkHost))) {
    throw new UserError(
      `port ${conf.port} (${conf.name}) is already in use by another program. Stop it, or change 'port' in ${conf.file}${conf.replicaof === null ? " (a new topology: 'tsredis up --port N')" : ''}.`,
    );
  }
  try {
    makeDirs(conf.dir);
  } catch (e) {
    throw new UserError(`${conf.name}'s data folder ('dir' in ${conf.file}): ${(e as Error).message}`);
  }
  const logFrom = logSize(conf);
  const deadline = Date.now() + timeoutMs;
  onLaunch?.();
  const launched = await runLauncher(conf, engine, cwd, deadline);
  if (launched.code !== 0) {
    const log = lastLogLines(conf, logFrom);
    const why = explainLog(conf, `${launched.output}\n${log}`);
    const configError = /FATAL CONFIG FILE ERROR|Bad directive|wrong number of arguments|argument/i.test(
      launched.output,
    );
    const head =
      why ??
      (configError
        ? `${conf.file} is not a valid configuration for ${engine.name}:`
        : `${conf.name} failed to start (${engine.name} exited with code ${launched.code}):`);
    const details = [launched.output.trim(), why === null ? log : ''].filter((s) => s !== '').join('\n');
    throw new UserError(details === '' ? head : `${head}\n${indent(details)}`);
  }
  const pid = await waitUntilAnswering(conf, engine, deadline, logFrom);
  // A node in the foreground (`daemonize no`) is our detached child: make sure `down` finds it.
  if (launched.foreground && conf.pidfile !== '' && !existsSync(conf.pidfile)) {
    try {
      writeFileSync(conf.pidfile, `${pid}\n`);
    } catch {
      // `down` still finds it by the config file it reports in INFO.
    }
  }
  return { pid, alreadyRunning: false };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

interface Launched {
  code: number;
  output: string;
  /** The launcher itself is the node (it answered before exiting: `daemonize no`). */
  foreground: boolean;
}

/**
 * Runs `<engine> <conf>` detached, its output going to a scratch file (not a pipe, so a node that
 * stays in the foreground never writes into a pipe nobody reads once we are gone). Done when the
 * launcher exits (`daemonize yes`: the node is started or failed) or when the node answers on its
 * port (`daemonize no`: the launcher is the node and keeps running), whichever comes first.
 */
async function runLauncher(conf: NodeConf, engine: Engine, cwd: string, deadline: number): Promise<Launched> {
  const scratch = mkdtempSync(join(tmpdir(), 'tsredis-launch-'));
  const outFile = join(scratch, 'output');
  const fd = openSync(outFile, 'w');
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(engine.command, [...engine.prefixArgs, conf.file], {
      cwd,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  const output = () => {
    try {
      return readFileSync(outFile, 'utf8');
    } catch {
      return '';
    }
  };
  let ended: { code: number } | { error: NodeJS.ErrnoException } | null = null;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => {
      ended = { error: e };
      resolve();
    });
    child.once('exit', (code) => {
      ended ??= { code: code ?? 1 };
      resolve();
    });
  });
  try {
    while (ended === null && Date.now() < deadline) {
      const answer = await answeringPid(conf);
      if (answer !== null && (answer.pid === child.pid || answer.configFile === conf.file)) {
        if (ended === null) {
          // It serves from the foreground (or is a daemon about to detach): leave it running.
          child.unref();
          return { code: 0, output: output(), foreground: answer.pid === child.pid };
        }
        break;
      }
      await Promise.race([exited, sleep(100)]);
    }
    const end = ended as { code: number } | { error: NodeJS.ErrnoException } | null;
    if (end === null) {
      // Neither exited nor answering in time: waitUntilAnswering reports it with the log.
      child.unref();
      return { code: 0, output: output(), foreground: false };
    }
    if ('error' in end) {
      throw new UserError(
        `cannot run ${engine.command}: ${end.error.code === 'ENOENT' ? 'not found' : end.error.message}`,
      );
    }
    return { code: end.code, output: output(), foreground: false };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function waitUntilAnswering(
  conf: NodeConf,
  engine: Engine,
  deadline: number,
  logFrom: number,
): Promise<number> {
  for (;;) {
    const answering = await answeringPid(conf);
    const pidNow = livePid(conf);
    if (answering !== null && (pidNow === null || answering.pid === pidNow)) return answering.pid;
    if (Date.now() > deadline || (pidNow === null && conf.pidfile !== '' && existsSync(conf.pidfile))) {
      break;
    }
    // redis-server daemonizes before listening: its failure shows only in the log.
    const log = lastLogLines(conf, logFrom, 20);
    const why = explainLog(conf, log);
    if (
      why !== null &&
      pidNow === null &&
      /Address already in use|Cannot assign|Permission denied/i.test(log)
    ) {
      throw new UserError(why);
    }
    await sleep(100);
  }
  const log = lastLogLines(conf, logFrom);
  throw new UserError(
    `${conf.name} (${engine.name}) did not come up on ${conf.host}:${conf.port}.${log === '' ? '' : ` Last lines of ${conf.logfile}:\n${indent(log)}`}`,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Stops a node (SIGTERM, then SIGKILL after the grace period) and leaves no pidfile behind. */
export async function stopNode(conf: NodeConf, graceMs = 15000): Promise<'stopped' | 'not-running'> {
  const pid = await findNodePid(conf);
  if (pid === null) {
    removeStalePidfile(conf);
    return 'not-running';
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
    while (isAlive(pid)) await sleep(20);
  }
  removeStalePidfile(conf);
  return 'stopped';
}

export { NodeError };
