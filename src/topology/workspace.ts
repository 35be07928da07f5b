/**
 * The working folder of a topology: one config file per node in the seed's shape
 * (`redis-master.conf`, `redis-replica1.conf` …), each node's data dir, pidfile and logfile, and a
 * small state file naming the engine of each node. The config files are the truth: `up` reuses them
 * as the user left them, and every other subcommand reads them.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { splitArgs } from '../protocol/split-args.js';
import type { Address } from './client.js';
import { errnoText, makeDirs, UserError } from './errors.js';

export const DEFAULT_DIR = 'tsredis-up';
const STATE_FILE = 'tsredis-up.json';
const CONF_PATTERN = /^redis-(.+)\.conf$/;

export interface NodeConf {
  name: string;
  /** Absolute path of the node's config file. */
  file: string;
  port: number;
  bind: string[];
  /** Where to reach the node from this machine. */
  host: string;
  pidfile: string;
  logfile: string;
  dir: string;
  replicaof: Address | null;
  requirepass: string;
  masterauth: string;
  masteruser: string;
}

export interface WorkspaceState {
  engines: Record<string, string>;
}

export class Workspace {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  exists(): boolean {
    return existsSync(this.dir);
  }

  ensure(): void {
    try {
      makeDirs(this.dir);
    } catch (e) {
      throw new UserError(`the working folder (--dir): ${(e as Error).message}`);
    }
    // The folder ignores itself, so `npm start` in a git checkout leaves `git status` clean.
    const ignore = join(this.dir, '.gitignore');
    try {
      if (!existsSync(ignore)) writeFileSync(ignore, '# written by tsredis up\n*\n');
    } catch (e) {
      throw new UserError(`cannot write in the working folder ${this.dir}: ${errnoText(e)}`);
    }
  }

  confPath(name: string): string {
    return join(this.dir, `redis-${name}.conf`);
  }

  /** Every node's config, the master(s) first, then replicas in natural order. */
  nodes(): NodeConf[] {
    if (!this.exists()) return [];
    let entries: string[];
    try {
      if (!statSync(this.dir).isDirectory()) {
        throw new UserError(`the working folder (--dir): ${this.dir} is a file, not a folder`);
      }
      entries = readdirSync(this.dir);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`cannot read the working folder ${this.dir}: ${errnoText(e)}`);
    }
    const out: NodeConf[] = [];
    for (const entry of entries) {
      const m = CONF_PATTERN.exec(entry);
      if (m !== null) out.push(readNodeConf(m[1], join(this.dir, entry), this.dir));
    }
    return out.sort(byRoleThenName);
  }

  /** The nodes, or a plain error when the folder holds no topology. */
  requireNodes(): NodeConf[] {
    const nodes = this.nodes();
    if (nodes.length === 0) {
      throw new UserError(
        `no topology in ${this.dir} (no redis-*.conf files). Start one with 'tsredis up' (or pass --dir).`,
      );
    }
    return nodes;
  }

  node(name: string): NodeConf {
    const found = this.nodes().find((n) => n.name === name);
    if (found === undefined) {
      const names = this.nodes().map((n) => n.name);
      throw new UserError(`no node named '${name}' in ${this.dir} (nodes: ${names.join(', ') || 'none'})`);
    }
    return found;
  }

  readState(): WorkspaceState {
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, STATE_FILE), 'utf8')) as Partial<WorkspaceState>;
      return { engines: parsed.engines ?? {} };
    } catch {
      return { engines: {} };
    }
  }

  writeState(state: WorkspaceState): void {
    writeFileSync(join(this.dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  }

  engineOf(name: string): string {
    return this.readState().engines[name] ?? 'tsredis';
  }

  /** Writes a new node's config file in the seed's shape. */
  writeNodeConf(name: string, port: number, replicaof: Address | null): NodeConf {
    this.ensure();
    const file = this.confPath(name);
    try {
      writeFileSync(file, seedShapedConf(name, port, replicaof, this.dir));
    } catch (e) {
      throw new UserError(`cannot write ${file}: ${errnoText(e)}`);
    }
    return readNodeConf(name, file, this.dir);
  }

  /** Deletes a (stopped) node's config file, pidfile, log, data dir and its line in the state file. */
  removeNodeFiles(conf: NodeConf): void {
    for (const path of [conf.file, conf.pidfile, conf.logfile]) {
      if (path !== '') rmSync(path, { force: true });
    }
    if (conf.dir.startsWith(`${this.dir}/`)) rmSync(conf.dir, { recursive: true, force: true });
    const state = this.readState();
    if (conf.name in state.engines) {
      delete state.engines[conf.name];
      this.writeState(state);
    }
  }
}

function byRoleThenName(a: NodeConf, b: NodeConf): number {
  const ra = a.replicaof === null ? 0 : 1;
  const rb = b.replicaof === null ? 0 : 1;
  if (ra !== rb) return ra - rb;
  return a.name.localeCompare(b.name, 'en', { numeric: true });
}

/** A node's config file as `tsredis up` writes it: the seed's directives, with why each is there. */
export function seedShapedConf(name: string, port: number, replicaof: Address | null, dir: string): string {
  const lines = [
    `# redis-${name}.conf: written by 'tsredis up'. Edit freely: 'tsredis up' reuses this file as it is.`,
    "# The seed's shape: daemonize yes, a pidfile, and on replicas `replicaof <master> <port>`",
    '# (`slaveof` is the older name of the same directive).',
    `port ${port}`,
    '# Every node of this topology runs on this machine, so loopback is reachable for the replicas.',
    "# Replicas on other hosts or containers cannot reach a master bound like this (the seed's pitfall):",
    "# there, use 'bind 0.0.0.0' and set requirepass here plus masterauth on the replicas.",
    'bind 127.0.0.1 -::1',
    'protected-mode yes',
    'daemonize yes',
    `pidfile ${join(dir, `${name}.pid`)}`,
    `logfile ${join(dir, `${name}.log`)}`,
    `dir ${join(dir, 'data', name)}`,
    '# Start a full sync at once instead of waiting 5 s for more replicas to join it.',
    'repl-diskless-sync-delay 0',
  ];
  if (replicaof !== null) lines.push(`replicaof ${replicaof.host} ${replicaof.port}`);
  return `${lines.join('\n')}\n`;
}

/** Reads the directives `tsredis up` cares about; the last occurrence wins, as in Redis. */
export function readNodeConf(name: string, file: string, workspaceDir: string): NodeConf {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const d = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const args = splitArgs(line);
    if (args === null || args.length === 0) continue;
    let key = args[0].toLowerCase();
    if (key === 'slaveof') key = 'replicaof';
    d.set(key, args.slice(1));
  }
  const one = (k: string, fallback: string) => d.get(k)?.[0] ?? fallback;
  const port = portNumber(one('port', '6379'), file, 'port');
  const bind = d.get('bind') ?? [];
  const dir = resolve(workspaceDir, one('dir', '.'));
  const rof = d.get('replicaof');
  const replicaof =
    rof !== undefined && rof.length === 2 && rof[0].toLowerCase() !== 'no'
      ? { host: rof[0], port: portNumber(rof[1], file, `replicaof ${rof[0]}`) }
      : null;
  const pidfile = one('pidfile', '');
  const logfile = one('logfile', '');
  return {
    name,
    file,
    port,
    bind,
    host: connectHost(bind),
    pidfile: pidfile === '' ? '' : resolve(dir, pidfile),
    logfile: logfile === '' ? '' : resolve(dir, logfile),
    dir,
    replicaof,
    requirepass: one('requirepass', ''),
    masterauth: one('masterauth', ''),
    masteruser: one('masteruser', ''),
  };
}

/** A port number from a config file, or a plain error naming the file and the line. */
function portNumber(text: string, file: string, directive: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new UserError(
      `${file}: '${directive} ${text}' is not a port number (a whole number from 1 to 65535): fix the line and run the command again.`,
    );
  }
  return n;
}

/** The address to reach a node by from this machine, given its `bind` line. */
function connectHost(bind: string[]): string {
  const usable = bind.map((b) => b.replace(/^-/, '')).filter((b) => b !== '*' && b !== '::*');
  if (bind.length === 0 || usable.length === 0) return '127.0.0.1';
  if (usable.includes('0.0.0.0') || usable.includes('127.0.0.1')) return '127.0.0.1';
  if (usable.includes('::') || usable.includes('::1')) return '::1';
  return usable[0];
}

/**
 * Rewrites only the replicaof/slaveof lines of a config file (removing them for a master), keeping
 * every other line and comment the user wrote.
 */
export function setReplicaof(file: string, master: Address | null): void {
  const lines = readFileSync(file, 'latin1').split('\n');
  const out: string[] = [];
  let inserted = false;
  const directive = master === null ? null : `replicaof ${master.host} ${master.port}`;
  for (const line of lines) {
    if (/^\s*(replicaof|slaveof)\s/i.test(line)) {
      if (!inserted && directive !== null) out.push(directive);
      inserted = true;
      continue;
    }
    out.push(line);
  }
  if (!inserted && directive !== null) {
    if (out.length > 0 && out[out.length - 1] === '') out.splice(out.length - 1, 0, directive);
    else out.push(directive);
  }
  writeFileSync(file, out.join('\n'), 'latin1');
}

/** True when nothing listens on host:port (we can bind it ourselves). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => done(true)));
  });
}

/** The first free port from `start` on, skipping `taken`. */
export async function nextFreePort(start: number, taken: Set<number>, host = '127.0.0.1'): Promise<number> {
  for (let port = start; port <= 65535; port++) {
    if (taken.has(port) || port === 6379) continue;
    if (await portIsFree(port, host)) return port;
  }
  throw new UserError(`no free port from ${start} up`);
}
