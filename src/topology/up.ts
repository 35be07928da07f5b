/**
 * `tsredis up` and `tsredis add-replica`: config files in the seed's shape, the master started first,
 * then the replicas, every link waited for until in sync, then the seed's check (a key written on the
 * master, read back on every replica), a table, and the commands to connect.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { formatAddress, NodeClient, NodeError } from './client.js';
import { connectCommands, selfCommand } from './commands-text.js';
import { UserError } from './errors.js';
import { masterOf, startOrder } from './graph.js';
import { verify, waitInSync } from './in-sync.js';
import {
  type Engine,
  engineKind,
  resolveEngine,
  runningKind,
  sleep,
  startNode,
  stopNode,
} from './processes.js';
import { collectStatus, renderTable, statusLine } from './status.js';
import { type NodeConf, nextFreePort, portIsFree, Workspace, type WorkspaceState } from './workspace.js';

export interface UpOptions {
  dir: string;
  /**
   * Replicas to have: missing ones are created; a folder with more keeps (and starts) them all.
   * null: every replica the folder has (2 for a new folder, like the seed).
   */
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
  if (opts.replicas !== null && replicas.length > opts.replicas) {
    // The folder is the truth (as for --port): every node it has is started, none is deleted.
    out(
      `  note: ${ws.dir} has ${replicas.length} replicas (${replicas.map((r) => r.name).join(', ')}); --replicas ${opts.replicas} removes none, so all are started. Remove one with '${selfCommand('remove-replica [NODE]', ws)}'.\n`,
    );
  }
  const taken = new Set(ws.nodes().map((c) => c.port));
  let next = Math.max(...taken) + 1;
  for (let i = replicas.length; i < wanted; i++) {
    const port = await nextFreePort(next, taken);
    taken.add(port);
    next = port + 1;
    const conf = ws.writeNodeConf(nextReplicaName(ws), port, { host: '127.0.0.1', port: master.port });
    created.push(conf.file);
  }
  return { confs: startOrder(ws.nodes()), created };
}

export function nextReplicaName(ws: Workspace): string {
  const used = new Set(ws.nodes().map((c) => c.name));
  let i = 1;
  while (used.has(`replica${i}`)) i++;
  return `replica${i}`;
}

/** The engine name for a node: the options, else what the folder used last time, else tsredis. */
function engineNameFor(
  conf: NodeConf,
  opts: UpOptions,
  state: WorkspaceState,
): { name: string; asked: boolean } {
  const asked = (conf.replicaof === null ? opts.masterEngine : opts.replicaEngine) ?? opts.engine;
  return { name: asked ?? state.engines[conf.name] ?? 'tsredis', asked: asked !== null };
}

/** Checks every engine this run may use before anything is written (a typo fails at once). */
function checkEngines(ws: Workspace, opts: UpOptions): void {
  for (const name of [opts.engine, opts.masterEngine, opts.replicaEngine]) {
    if (name !== null) resolveEngine(name);
  }
  const state = ws.readState();
  for (const c of ws.nodes()) resolveEngine(engineNameFor(c, opts, state).name);
}

interface ChosenEngine {
  engine: Engine;
  /** Given on the command line for this node (not just remembered by the folder). */
  asked: boolean;
}

function chooseEngines(ws: Workspace, confs: NodeConf[], opts: UpOptions): Map<string, ChosenEngine> {
  const state = ws.readState();
  const engines = new Map<string, ChosenEngine>();
  for (const c of confs) {
    const { name, asked } = engineNameFor(c, opts, state);
    engines.set(c.name, { engine: resolveEngine(name), asked });
  }
  return engines;
}

/** What a run has launched so far: an interrupted start-up stops exactly these. */
interface Launches {
  /** Every node whose process this run spawned (the one being launched included). */
  launched: NodeConf[];
  /** The start in progress, settled (never rejecting) once it is done either way. */
  inflight: Promise<void> | null;
  aborted: boolean;
}

class Aborted extends Error {}

/** Starts nodes in order, recording each in `track` as it is launched. */
async function startAll(
  ws: Workspace,
  confs: NodeConf[],
  engines: Map<string, ChosenEngine>,
  track: Launches,
): Promise<void> {
  for (const conf of confs) {
    if (track.aborted) throw new Aborted('interrupted');
    const { engine, asked } = engines.get(conf.name)!;
    const starting = startNode(conf, engine, ws.dir, undefined, () => track.launched.push(conf));
    track.inflight = starting.then(
      () => undefined,
      () => undefined,
    );
    const r = await starting;
    track.inflight = null;
    const role = conf.replicaof === null ? 'master' : `replica of ${formatAddress(conf.replicaof)}`;
    if (r.alreadyRunning) {
      out(`  ✓ ${conf.name} already running (pid ${r.pid}) on ${formatAddress(conf)} (${role})\n`);
      const kind = await runningKind(conf);
      if (asked && kind !== null && kind !== engineKind(engine.name)) {
        out(
          `  ! ${conf.name} runs ${kind}, not ${engine.name}: it keeps running as it is. To switch, stop it first ('${selfCommand('down', ws)}').\n`,
        );
      }
    } else {
      // Only a node really started with an engine is remembered as running that engine.
      const state = ws.readState();
      state.engines[conf.name] = engine.name;
      ws.writeState(state);
      out(`  ✓ started ${conf.name} (${engine.name}, pid ${r.pid}) on ${formatAddress(conf)} (${role})\n`);
    }
  }
}

/** Stops nodes, replicas before the masters they replicate from. */
export async function stopAll(confs: NodeConf[]): Promise<void> {
  for (const c of [...startOrder(confs)].reverse()) {
    const r = await stopNode(c);
    out(`  ✓ ${c.name} ${r === 'stopped' ? 'stopped' : 'was not running'}\n`);
  }
}

/** The exit code of a process ended by a signal (130 for SIGINT, 143 for SIGTERM). */
function signalExitCode(signal: string): number {
  return 128 + (constants.signals[signal as NodeJS.Signals] ?? 2);
}

/** Never settles: what the main flow awaits while a signal handler stops the nodes and exits. */
const forever = () => new Promise<never>(() => {});

export async function up(opts: UpOptions): Promise<number> {
  const ws = new Workspace(opts.dir);
  // Before anything is created: an engine typo leaves no trace.
  checkEngines(ws, opts);
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
  const track: Launches = { launched: [], inflight: null, aborted: false };
  let stopping = false;
  const abort = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    track.aborted = true;
    out(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping the nodes this run started\n`);
    // The node being launched may not have written its pidfile yet: let its start settle first.
    if (track.inflight !== null) await Promise.race([track.inflight, sleep(15000)]);
    await stopAll(track.launched);
    process.exit(signalExitCode(signal));
  };
  const onSignal = (s: NodeJS.Signals) => void abort(s);
  if (!opts.detach) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let dashboard: { close(): void } | null = null;
  try {
    await startAll(ws, confs, engines, track);
    if (stopping) return await forever();
    await waitInSync(ws, replicas, opts.timeoutMs);
    if (stopping) return await forever();
    out(`  ✓ ${await verify(confs)}\n`);
    if (stopping) return await forever();
    const status = await collectStatus(ws);
    out(`\n${renderTable(status)}\nConnect (redis-cli works too):\n${connectCommands(confs)}\n\n`);
    // Inside the try: a dashboard that cannot start stops what this run started, like any failure.
    dashboard = opts.onReady !== undefined ? await opts.onReady(ws) : null;
    if (stopping) return await forever();
  } catch (e) {
    if (stopping) return await forever();
    const started = track.launched;
    if (!opts.detach && started.length > 0) {
      out('  stopping the nodes this run started:\n');
      await stopAll(started);
    } else if (opts.detach && started.length > 0) {
      out(`  nodes left running for inspection; stop them with '${selfCommand('down', ws)}'\n`);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (opts.detach) {
    out(`Nodes keep running. Status: '${selfCommand('status', ws)}'. Stop: '${selfCommand('down', ws)}'.\n`);
    dashboard?.close();
    return 0;
  }
  return foreground(ws, confs, dashboard);
}

/**
 * Keeps a live status line until Ctrl-C (or SIGTERM), then stops every node of the folder as it is
 * then (replicas added meanwhile by add-replica in another shell included), replicas first.
 */
function foreground(ws: Workspace, confs: NodeConf[], dashboard: { close(): void } | null): Promise<number> {
  const tty = process.stdout.isTTY === true;
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
    let timer: NodeJS.Timeout | undefined;
    let stopping = false;
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      dashboard?.close();
      if (tty) out('\r\x1b[K');
      out(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping all nodes\n`);
      let now: NodeConf[];
      try {
        // The folder's nodes now, plus any of ours whose file went away meanwhile.
        now = ws.nodes();
        for (const c of confs) if (!now.some((n) => n.file === c.file)) now.push(c);
      } catch {
        now = confs;
      }
      try {
        await stopAll(now);
      } catch (e) {
        process.stderr.write(`tsredis up: could not stop every node: ${(e as Error).message}\n`);
        resolve(1);
        return;
      }
      out('All nodes stopped.\n');
      resolve(0);
    };
    // Listening before the line that invites Ctrl-C: a signal with no listener kills the process
    // without stopping the nodes.
    process.on('SIGINT', (s) => void stop(s));
    process.on('SIGTERM', (s) => void stop(s));
    process.on('SIGHUP', (s) => void stop(s));
    out(
      `Running in the foreground: Ctrl-C stops all nodes (or start with --detach to leave them running).\n`,
    );
    timer = setInterval(() => void tick(), 1000);
    void tick();
  });
}

/** Whether a node answers at all (an error reply such as -NOAUTH counts: something serves there). */
async function answers(conf: NodeConf): Promise<NodeError | null> {
  try {
    const c = await NodeClient.open(conf, 2000, { password: conf.requirepass || undefined });
    try {
      await c.call(['PING']);
      return null;
    } finally {
      c.close();
    }
  } catch (e) {
    if (e instanceof NodeError) return e;
    throw e;
  }
}

function lastLines(file: string, n: number): string {
  try {
    return readFileSync(file, 'latin1').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
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
  const engineName = opts.engine ?? ws.engineOf(confs.find((c) => c.replicaof !== null)?.name ?? master.name);
  const engine = resolveEngine(engineName);
  // A replica of a master that is down would never sync: say so before writing anything.
  const down = await answers(master);
  if (down !== null) {
    throw new UserError(
      `${master.name} (${formatAddress(master)}) does not answer (${down.message}): start it first ('${selfCommand('up', ws)}'), then add the replica.`,
    );
  }
  const taken = new Set(confs.map((c) => c.port));
  let port: number;
  if (opts.port !== null) {
    if (taken.has(opts.port) || !(await portIsFree(opts.port)))
      throw new UserError(`port ${opts.port} is already in use.`);
    port = opts.port;
  } else {
    port = await nextFreePort(Math.max(...taken) + 1, taken);
  }
  const name = nextReplicaName(ws);
  const conf = ws.writeNodeConf(name, port, { host: master.host, port: master.port });
  out(
    `tsredis add-replica: ${name} on ${formatAddress(conf)}, replica of ${master.name}\n  ✓ wrote ${conf.file}\n`,
  );
  // A replica that cannot start or sync is taken away again: no half-added node is left behind.
  const undo = async () => {
    const log = conf.logfile !== '' ? lastLines(conf.logfile, 10) : '';
    await stopNode(conf);
    ws.removeNodeFiles(conf);
    out(`  ✗ ${name} stopped and removed again (its config file, data and log deleted)\n`);
    return log;
  };
  let started = false;
  try {
    const r = await startNode(conf, engine, ws.dir, undefined, () => {
      started = true;
    });
    const state = ws.readState();
    state.engines[name] = engineName;
    ws.writeState(state);
    out(`  ✓ started ${name} (${engine.name}, pid ${r.pid})\n`);
    await waitInSync(
      ws,
      [conf],
      opts.timeoutMs,
      `${name} is removed again; fix the cause (see '${selfCommand('doctor', ws)}'), then run add-replica again.`,
    );
  } catch (e) {
    if (started) {
      const log = await undo();
      if (e instanceof UserError && log !== '') {
        throw new UserError(`${e.message}\nLast lines of ${name}'s log:\n${log.replace(/^/gm, '    ')}`);
      }
    } else {
      ws.removeNodeFiles(conf);
    }
    throw e;
  }
  out(`  ✓ ${await verify(ws.nodes())}\n\n`);
  const status = await collectStatus(ws);
  out(`${renderTable(status)}\nConnect:\n${connectCommands([conf])}\n`);
  return status.healthy ? 0 : 1;
}
