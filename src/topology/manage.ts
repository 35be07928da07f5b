/** `tsredis status`, `down`, `remove-replica` and `logs` on a working folder. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { UserError } from './errors.js';
import { masterOf } from './graph.js';
import { livePid, sleep, stopNode } from './processes.js';
import { collectStatus, renderTable } from './status.js';
import { stopAll } from './up.js';
import { type NodeConf, Workspace } from './workspace.js';

const out = (text: string) => process.stdout.write(text);

/** `status [--watch] [--json]`: exit code 1 when a node is down or a link is broken. */
export async function status(
  dir: string,
  opts: { watch: boolean; json: boolean; intervalMs: number },
): Promise<number> {
  const ws = new Workspace(dir);
  ws.requireNodes();
  const show = async () => {
    const s = await collectStatus(ws);
    if (opts.json) out(`${JSON.stringify(s, null, opts.watch ? 0 : 2)}\n`);
    else out(`${renderTable(s)}${s.healthy ? '' : '\n'}`);
    return s.healthy;
  };
  if (!opts.watch) return (await show()) ? 0 : 1;
  let healthy = true;
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  while (!stop) {
    if (process.stdout.isTTY === true && !opts.json) out('\x1b[H\x1b[2J');
    if (!opts.json) out(`${new Date().toLocaleTimeString()}  ${ws.dir}  (Ctrl-C to quit)\n`);
    healthy = await show();
    const until = Date.now() + opts.intervalMs;
    while (!stop && Date.now() < until) await sleep(50);
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return healthy ? 0 : 1;
}

/** `down`: stops every node of the folder; no process and no pidfile are left. */
export async function down(dir: string): Promise<number> {
  const ws = new Workspace(dir);
  const confs = ws.requireNodes();
  out(`tsredis down: ${ws.dir}\n`);
  await stopAll(confs);
  const left = confs.filter((c) => livePid(c) !== null || (c.pidfile !== '' && existsSync(c.pidfile)));
  if (left.length > 0) {
    throw new UserError(`could not stop ${left.map((c) => c.name).join(', ')}: see their pidfiles`);
  }
  return 0;
}

/** `remove-replica [name]`: stops a replica (the last one by default) and deletes its files. */
export async function removeReplica(dir: string, name: string | null): Promise<number> {
  const ws = new Workspace(dir);
  const confs = ws.requireNodes();
  const replicas = confs.filter((c) => c.replicaof !== null);
  const target = name !== null ? ws.node(name) : replicas[replicas.length - 1];
  if (target === undefined) throw new UserError(`${ws.dir} has no replica to remove`);
  if (target.replicaof === null) {
    throw new UserError(`${target.name} is a master: run 'tsredis failover' first to make it a replica`);
  }
  const below = confs.filter((c) => masterOf(c, confs) === target);
  if (below.length > 0) {
    throw new UserError(
      `${below.map((c) => c.name).join(', ')} replicate(s) from ${target.name}: point them elsewhere first`,
    );
  }
  await stopNode(target);
  ws.removeNodeFiles(target);
  out(`tsredis remove-replica: ${target.name} stopped, its config file, data and log removed\n`);
  return 0;
}

/** `logs [node] [-n N] [-f]`: the nodes' log files, each line prefixed by the node's name. */
export async function logs(
  dir: string,
  name: string | null,
  opts: { lines: number; follow: boolean },
): Promise<number> {
  const ws = new Workspace(dir);
  const confs = name !== null ? [ws.node(name)] : ws.requireNodes();
  const withLog = confs.filter((c) => c.logfile !== '');
  if (withLog.length === 0)
    throw new UserError(`no logfile is configured for ${confs.map((c) => c.name).join(', ')}`);
  const width = Math.max(...withLog.map((c) => c.name.length));
  const prefix = (c: NodeConf) => (confs.length > 1 ? `${c.name.padEnd(width)} | ` : '');
  const sizes = new Map<string, number>();
  for (const c of withLog) {
    if (!existsSync(c.logfile)) {
      out(`${prefix(c)}(no log yet at ${c.logfile})\n`);
      sizes.set(c.name, 0);
      continue;
    }
    const text = readFileSync(c.logfile, 'latin1');
    sizes.set(c.name, Buffer.byteLength(text, 'latin1'));
    const lines = text.trimEnd().split('\n').slice(-opts.lines);
    for (const l of lines) out(`${prefix(c)}${l}\n`);
  }
  if (!opts.follow) return 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (const c of withLog) {
        if (!existsSync(c.logfile)) continue;
        const size = statSync(c.logfile).size;
        const from = sizes.get(c.name) ?? 0;
        if (size <= from) continue;
        const chunk = readFileSync(c.logfile).subarray(from, size).toString('latin1');
        sizes.set(c.name, size);
        for (const l of chunk.replace(/\n$/, '').split('\n')) out(`${prefix(c)}${l}\n`);
      }
    }, 300);
    const end = () => {
      clearInterval(timer);
      resolve();
    };
    process.once('SIGINT', end);
    process.once('SIGTERM', end);
  });
  return 0;
}
