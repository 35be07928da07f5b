/**
 * `tsredis up` and `tsredis add-replica`: config files in the seed's shape, the master started first,
 * then the replicas, every link waited for until in sync, then the seed's check (a key written on the
 * master, read back on every replica), a table, and the commands to connect.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { formatAddress, NodeClient, replyText } from './client.js';
import { UserError } from './errors.js';
import { type Engine, resolveEngine, sleep, startNode, stopNode, TSREDIS_CLI_JS } from './processes.js';
import { Progress } from './progress.js';
import { collectStatus, humanBytes, type NodeStatus, renderTable, sameNode, statusLine } from './status.js';
import { type NodeConf, nextFreePort, portIsFree, Workspace } from './workspace.js';

export interface UpOptions {
  dir: string;
  /** null: every replica the folder has (2 for a new folder, like the seed). */
  replicas: number | null;
  port: number | null;
  engine: string | null;
  masterEngine: string | null;
  replicaEngine: string | null;
  detach: boolean;
  timeoutMs: number;
  /** Called once the topology is verified, before the foreground loop (the dashboard starts here). */
  onReady?: (ws: Workspace) => Promise<{ close(): void } | null>;
}

const DEFAULT_REPLICAS = 2;
const DEFAULT_FIRST_PORT = 6380;
const out = (text: string) => process.stdout.write(text);

/** Orders nodes so that each one starts after the node it replicates from. */
export function startOrder(confs: NodeConf[]): NodeConf[] {
  const ordered: NodeConf[] = [];
  const pending = [...confs];
  while (pending.length > 0) {
    const i = pending.findIndex(
      (c) =>
        c.replicaof === null ||
        !confs.some((m) => m !== c && sameNode(c.replicaof!, m)) ||
        ordered.some((m) => sameNode(c.replicaof!, m)),
    );
    ordered.push(...pending.splice(Math.max(i, 0), 1));
  }
  return ordered;
}

/** The node a replica replicates from, when it is one of ours. */
export function masterOf(conf: NodeConf, confs: NodeConf[]): NodeConf | undefined {
  return conf.replicaof === null ? undefined : confs.find((m) => m !== conf && sameNode(conf.replicaof!, m));
}

/** Creates missing config files and picks the nodes this run brings up. */
async function prepare(ws: Workspace, opts: UpOptions): Promise<{ confs: NodeConf[]; created: string[] }> {
  const existing = ws.nodes();
  const created: string[] = [];
  let master = existing.find((c) => c.replicaof === null);
  if (existing.length > 0 && opts.port !== null && master !== undefined && master.port !== opts.port) {
    out(
      `  note: ${master.file} exists and says port ${master.port}; --port ${opts.port} is ignored (edit the file to change it).\n`,
    );
  }
  if (master === undefined) {
    if (existing.length > 0) {
      throw new UserError(
        `${ws.dir} has config files but none without 'replicaof': which node is the master? Remove 'replicaof' from one of them, or start over with an empty --dir.`,
      );
    }
    const port = opts.port ?? (await nextFreePort(DEFAULT_FIRST_PORT, new Set()));
    if (opts.port !== null && !(await portIsFree(port))) {
      throw new UserError(`port ${port} is already in use by another program: choose another with --port.`);
    }
    master = ws.writeNodeConf('master', port, null);
    created.push(master.file);
  }
  const replicas = ws.nodes().filter((c) => c.replicaof !== null);
  const wanted = opts.replicas ?? Math.max(replicas.length, existing.length === 0 ? DEFAULT_REPLICAS : 0);
  const taken = new Set(ws.nodes().map((c) => c.port));
  let next = Math.max(...taken) + 1;
  for (let i = replicas.length; i < wanted; i++) {
    const port = await nextFreePort(next, taken);
    taken.add(port);
    next = port + 1;
    const conf = ws.writeNodeConf(nextReplicaName(ws), port, { host: '127.0.0.1', port: master.port });
    created.push(conf.file);
  }
  const all = ws.nodes();
  const chosenReplicas = all.filter((c) => c.replicaof !== null).slice(0, wanted);
  const masters = all.filter((c) => c.replicaof === null);
  return { confs: startOrder([...masters, ...chosenReplicas]), created };
}

export function nextReplicaName(ws: Workspace): string {
  const used = new Set(ws.nodes().map((c) => c.name));
  let i = 1;
  while (used.has(`replica${i}`)) i++;
  return `replica${i}`;
}

/** Picks each node's engine from the options, else what the folder used last time, else tsredis. */
function chooseEngines(ws: Workspace, confs: NodeConf[], opts: UpOptions): Map<string, Engine> {
  const state = ws.readState();
  const engines = new Map<string, Engine>();
  for (const c of confs) {
    const asked = c.replicaof === null ? opts.masterEngine : opts.replicaEngine;
    const name = asked ?? opts.engine ?? state.engines[c.name] ?? 'tsredis';
    engines.set(c.name, resolveEngine(name));
    state.engines[c.name] = name;
  }
  ws.writeState(state);
  return engines;
}

/** Starts nodes in order; returns the names this run started (not those already running). */
async function startAll(ws: Workspace, confs: NodeConf[], engines: Map<string, Engine>): Promise<NodeConf[]> {
  const started: NodeConf[] = [];
  try {
    for (const conf of confs) {
      const engine = engines.get(conf.name)!;
      const r = await startNode(conf, engine, ws.dir);
      const role = conf.replicaof === null ? 'master' : `replica of ${formatAddress(conf.replicaof)}`;
      if (r.alreadyRunning) {
        out(`  ✓ ${conf.name} already running (pid ${r.pid}) on ${formatAddress(conf)} (${role})\n`);
      } else {
        started.push(conf);
        out(`  ✓ started ${conf.name} (${engine.name}, pid ${r.pid}) on ${formatAddress(conf)} (${role})\n`);
      }
    }
  } catch (e) {
    (e as { started?: NodeConf[] }).started = started;
    throw e;
  }
  return started;
}

function syncMessage(waiting: NodeStatus[]): { message: string; key: string } {
  const parts = waiting.map((s) => {
    if (!s.running) return `${s.name}: not answering`;
    if (s.sync !== null) {
      const total =
        s.sync.total > 0
          ? ` of ${humanBytes(s.sync.total)} (${Math.floor((s.sync.read / s.sync.total) * 100)}%)`
          : '';
      return `${s.name}: receiving the data set, ${humanBytes(s.sync.read)}${total}`;
    }
    if (s.link === 'up') return `${s.name}: catching up, ${humanBytes(s.lagBytes ?? 0)} behind`;
    return `${s.name}: connecting to ${s.masterAddress}${s.linkReason ? ` (${s.linkReason})` : ''}`;
  });
  const key = waiting.map((s) => `${s.name}:${s.running}:${s.sync !== null}:${s.link}`).join(' ');
  return { message: `waiting for ${parts.join('; ')}`, key };
}

/** Waits until every given replica's link is up and it applied its master's whole stream. */
export async function waitInSync(ws: Workspace, replicas: NodeConf[], timeoutMs: number): Promise<void> {
  if (replicas.length === 0) return;
  const progress = new Progress();
  const names = new Set(replicas.map((r) => r.name));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await collectStatus(ws);
    const mine = status.nodes.filter((s) => names.has(s.name));
    const waiting = mine.filter((s) => !(s.running && s.link === 'up' && s.lagBytes === 0));
    if (waiting.length === 0) {
      progress.done(`${mine.map((s) => s.name).join(', ')} linked and in sync`);
      return;
    }
    if (Date.now() > deadline) {
      progress.clear();
      throw new UserError(
        `replicas not in sync after ${Math.round(timeoutMs / 1000)} s:\n${renderTable(status)}Run 'tsredis doctor --dir ${ws.dir}' for an explanation, 'tsredis logs' for the logs.`,
      );
    }
    const dead = mine.find((s) => !s.running && s.pid === null);
    if (dead !== undefined) {
      progress.clear();
      throw new UserError(
        `${dead.name} stopped while syncing: see 'tsredis logs ${dead.name} --dir ${ws.dir}'.`,
      );
    }
    const { message, key } = syncMessage(waiting);
    progress.update(message, key);
    await sleep(200);
  }
}

/** The seed's check: a key written on each master is read back on every replica below it. */
export async function verify(confs: NodeConf[]): Promise<string> {
  const lines: string[] = [];
  for (const master of confs.filter((c) => c.replicaof === null)) {
    const below = confs.filter((c) => rootOf(c, confs) === master && c !== master);
    const key = 'tsredis-up:verify';
    const value = `written on ${master.name} at ${new Date().toISOString()} ${randomBytes(4).toString('hex')}`;
    const m = await NodeClient.open(master, 3000, { password: master.requirepass || undefined });
    try {
      await m.text(['SET', key, value]);
      await m.call(['WAIT', String(below.length), '5000'], 7000);
      for (const r of below) {
        const deadline = Date.now() + 5000;
        const rc = await NodeClient.open(r, 3000, { password: r.requirepass || undefined });
        try {
          for (;;) {
            const got = replyText(await rc.call(['GET', key]));
            if (got === value) break;
            if (Date.now() > deadline) {
              throw new UserError(
                `${r.name} did not get the key written on ${master.name} (GET ${key} -> '${got}')`,
              );
            }
            await sleep(50);
          }
        } finally {
          rc.close();
        }
      }
      await m.text(['DEL', key]);
      await m.call(['WAIT', String(below.length), '5000'], 7000);
    } finally {
      m.close();
    }
    const names = below.map((r) => r.name).join(', ');
    lines.push(
      below.length === 0
        ? `${master.name}: no replicas to check`
        : `verified: SET ${key} on ${master.name}, GET on ${names} returned the same value`,
    );
  }
  return lines.join('\n');
}

function rootOf(conf: NodeConf, confs: NodeConf[]): NodeConf {
  let cur = conf;
  const seen = new Set<NodeConf>();
  while (!seen.has(cur)) {
    seen.add(cur);
    const m = masterOf(cur, confs);
    if (m === undefined) return cur;
    cur = m;
  }
  return cur;
}

function onPath(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The commands to connect to each node. */
export function connectCommands(confs: NodeConf[]): string {
  const cli = onPath('tsredis-cli') ? 'tsredis-cli' : `node ${TSREDIS_CLI_JS}`;
  const rows = confs.map((c) => {
    const host = c.host === '127.0.0.1' ? '' : ` -h ${c.host}`;
    const role = c.replicaof === null ? 'the master: writes go here' : 'a replica: read-only';
    return [`${cli}${host} -p ${c.port}`, `# ${c.name}, ${role}`];
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([cmd, note]) => `  ${cmd.padEnd(w)}  ${note}`).join('\n');
}

/** How to run `tsredis …` again from here. */
export function selfCommand(sub: string, ws: Workspace): string {
  const dirArg = ws.dir === new Workspace('tsredis-up').dir ? '' : ` --dir ${ws.dir}`;
  const bin = onPath('tsredis') ? 'tsredis' : `node ${process.argv[1]}`;
  return `${bin} ${sub}${dirArg}`;
}

/** Stops nodes, replicas before the masters they replicate from. */
export async function stopAll(confs: NodeConf[]): Promise<void> {
  for (const c of [...startOrder(confs)].reverse()) {
    const r = await stopNode(c);
    out(`  ✓ ${c.name} ${r === 'stopped' ? 'stopped' : 'was not running'}\n`);
  }
}

export async function up(opts: UpOptions): Promise<number> {
  const ws = new Workspace(opts.dir);
  ws.ensure();
  const { confs, created } = await prepare(ws, opts);
  const replicas = confs.filter((c) => c.replicaof !== null);
  out(
    `tsredis up: ${confs.length - replicas.length === 1 ? 'a master' : 'masters'} + ${replicas.length} replica(s) in ${ws.dir}\n`,
  );
  if (created.length > 0) out(`  ✓ wrote ${created.map((f) => f.slice(ws.dir.length + 1)).join(', ')}\n`);
  const reused = confs.filter((c) => !created.includes(c.file));
  if (reused.length > 0)
    out(`  ✓ reusing ${reused.map((c) => c.file.slice(ws.dir.length + 1)).join(', ')} as they are\n`);
  for (const r of replicas) {
    if (masterOf(r, confs) === undefined) {
      out(`  ! ${r.name} replicates ${formatAddress(r.replicaof!)}, which is no node of this folder\n`);
    }
  }
  const engines = chooseEngines(ws, confs, opts);
  let started: NodeConf[] = [];
  let stopping = false;
  const abort = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    out(`\n${signal}: stopping the nodes this run started\n`);
    await stopAll(started);
    process.exit(130);
  };
  const onSignal = (s: NodeJS.Signals) => void abort(s);
  if (!opts.detach) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    started = await startAll(ws, confs, engines).catch((e) => {
      started = (e as { started?: NodeConf[] }).started ?? [];
      throw e;
    });
    await waitInSync(ws, replicas, opts.timeoutMs);
    out(`  ✓ ${await verify(confs)}\n`);
  } catch (e) {
    if (!opts.detach && started.length > 0 && !stopping) {
      out('  stopping the nodes this run started:\n');
      await stopAll(started);
    } else if (opts.detach && started.length > 0) {
      out(`  nodes left running for inspection; stop them with '${selfCommand('down', ws)}'\n`);
    }
    throw e;
  }
  const status = await collectStatus(ws);
  out(`\n${renderTable(status)}\nConnect (redis-cli works too):\n${connectCommands(confs)}\n\n`);
  const dashboard = opts.onReady !== undefined ? await opts.onReady(ws) : null;
  if (opts.detach) {
    out(`Nodes keep running. Status: '${selfCommand('status', ws)}'. Stop: '${selfCommand('down', ws)}'.\n`);
    dashboard?.close();
    return 0;
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return foreground(ws, confs, dashboard);
}

/** Keeps a live status line until Ctrl-C (or SIGTERM), then stops every node cleanly. */
function foreground(ws: Workspace, confs: NodeConf[], dashboard: { close(): void } | null): Promise<number> {
  const tty = process.stdout.isTTY === true;
  out(`Running in the foreground: Ctrl-C stops all nodes (or start with --detach to leave them running).\n`);
  return new Promise((resolve) => {
    let lastKey = '';
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const status = await collectStatus(ws);
        const line = statusLine(status);
        if (tty) {
          process.stdout.write(`\r\x1b[K${line}`.slice(0, (process.stdout.columns ?? 200) + 4));
        } else {
          const key = status.nodes.map((s) => `${s.name}:${s.running}:${s.link}`).join(' ');
          if (key !== lastKey) out(`[${new Date().toLocaleTimeString()}] ${line}\n`);
          lastKey = key;
        }
      } catch {
        // The next tick tries again.
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), 1000);
    void tick();
    let stopping = false;
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      dashboard?.close();
      if (tty) out('\r\x1b[K');
      out(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping all nodes\n`);
      await stopAll(confs);
      out('All nodes stopped.\n');
      resolve(0);
    };
    process.on('SIGINT', (s) => void stop(s));
    process.on('SIGTERM', (s) => void stop(s));
    process.on('SIGHUP', (s) => void stop(s));
  });
}

/** `tsredis add-replica`: one more replica of the master (the seed's "create one more container"). */
export async function addReplica(
  dir: string,
  opts: { port: number | null; engine: string | null; of: string | null; timeoutMs: number },
): Promise<number> {
  const ws = new Workspace(dir);
  const confs = ws.requireNodes();
  const master = opts.of !== null ? ws.node(opts.of) : confs.find((c) => c.replicaof === null);
  if (master === undefined) throw new UserError(`no master in ${ws.dir}`);
  const taken = new Set(confs.map((c) => c.port));
  let port: number;
  if (opts.port !== null) {
    if (taken.has(opts.port) || !(await portIsFree(opts.port)))
      throw new UserError(`port ${opts.port} is already in use.`);
    port = opts.port;
  } else {
    port = await nextFreePort(Math.max(...taken) + 1, taken);
  }
  const engineName = opts.engine ?? ws.engineOf(confs.find((c) => c.replicaof !== null)?.name ?? master.name);
  const engine = resolveEngine(engineName);
  const name = nextReplicaName(ws);
  const conf = ws.writeNodeConf(name, port, { host: master.host, port: master.port });
  const state = ws.readState();
  state.engines[name] = engineName;
  ws.writeState(state);
  out(
    `tsredis add-replica: ${name} on ${formatAddress(conf)}, replica of ${master.name}\n  ✓ wrote ${conf.file}\n`,
  );
  const r = await startNode(conf, engine, ws.dir);
  out(`  ✓ started ${name} (${engine.name}, pid ${r.pid})\n`);
  await waitInSync(ws, [conf], opts.timeoutMs);
  out(`  ✓ ${await verify(ws.nodes())}\n\n`);
  const status = await collectStatus(ws);
  out(`${renderTable(status)}\nConnect:\n${connectCommands([conf])}\n`);
  return status.healthy ? 0 : 1;
}
