/**
 * The live dashboard: a small page on localhost fed by server-sent events. Each second it reads every
 * node (INFO), and pushes one snapshot: the topology (master, replicas, chains), each link's state,
 * offsets and lag, ops/s and memory; the page keeps a chart of the last minutes.
 */
import { createServer, type ServerResponse } from 'node:http';
import { type Address, formatAddress, keyCount, replicaLines } from './client.js';
import { DASHBOARD_PAGE } from './dashboard-page.js';
import { addressKey, masterAddress, type NodeView, Topology } from './discover.js';
import { UserError } from './errors.js';
import { intOption, parseAddress, parseOptions } from './options.js';
import { DEFAULT_DIR, Workspace } from './workspace.js';

export interface DashNode {
  id: string;
  name: string;
  address: string;
  up: boolean;
  error: string | null;
  role: 'master' | 'replica' | '-';
  engine: string;
  /** id of the node it replicates from (may be a node that does not answer). */
  master: string | null;
  link: 'up' | 'down' | 'sync' | null;
  linkReason: string;
  offset: number;
  lagBytes: number | null;
  lagSeconds: number | null;
  opsPerSec: number;
  usedMemory: number;
  keys: number;
  connectedReplicas: number;
}

export interface Snapshot {
  time: number;
  nodes: DashNode[];
}

export interface DashboardSource {
  workspace?: Workspace;
  addresses?: Address[];
  password?: string;
  port: number;
  /** Snapshots kept for the charts (one a second). */
  historySize?: number;
  intervalMs?: number;
  /** The option that sets `port`, for the message when it is taken ('--port', '--dashboard-port'). */
  portOption?: string;
}

function toDashNode(v: NodeView, topo: Topology): DashNode {
  const info = v.info;
  const base: DashNode = {
    id: v.key,
    name: v.name,
    address: formatAddress(v.address),
    up: info !== null,
    error: v.error?.message ?? null,
    role: '-',
    engine: '',
    master: null,
    link: null,
    linkReason: '',
    offset: 0,
    lagBytes: null,
    lagSeconds: null,
    opsPerSec: 0,
    usedMemory: 0,
    keys: 0,
    connectedReplicas: 0,
  };
  if (info === null) return base;
  const ma = masterAddress(v);
  const ts = info.get('tsredis_version');
  base.engine = ts !== undefined ? `tsredis ${ts}` : `redis ${info.get('redis_version') ?? ''}`;
  base.role = ma === null ? 'master' : 'replica';
  base.opsPerSec = Number(info.get('instantaneous_ops_per_sec') ?? 0);
  base.usedMemory = Number(info.get('used_memory') ?? 0);
  base.keys = keyCount(info);
  base.connectedReplicas = Number(info.get('connected_slaves') ?? 0);
  if (ma === null) {
    base.offset = Number(info.get('master_repl_offset') ?? 0);
    return base;
  }
  base.offset = Number(info.get('slave_repl_offset') ?? 0);
  const mv = topo.byKey.get(addressKey(ma));
  base.master = mv !== undefined ? topo.canonical(mv).key : addressKey(ma);
  base.link =
    info.get('master_link_status') === 'up'
      ? 'up'
      : info.get('master_sync_in_progress') === '1'
        ? 'sync'
        : 'down';
  base.linkReason = info.get('master_link_down_reason') ?? '';
  const minfo = mv !== undefined ? topo.canonical(mv).info : null;
  if (minfo !== null && base.link === 'up') {
    base.lagBytes = Math.max(0, Number(minfo.get('master_repl_offset') ?? 0) - base.offset);
    const port = Number(info.get('tcp_port') ?? v.address.port);
    const line = replicaLines(minfo).find((l) => l.port === port);
    if (line !== undefined) base.lagSeconds = line.lag;
  }
  return base;
}

/** Reads the whole topology once. Nodes seen before stay listed (as down) if they stop answering. */
export class Sampler {
  private readonly known = new Map<string, Address>();
  private readonly names = new Map<string, string>();

  constructor(private readonly source: DashboardSource) {
    for (const a of source.addresses ?? []) this.known.set(addressKey(a), a);
  }

  async snapshot(): Promise<Snapshot> {
    const ws = this.source.workspace;
    const passwords = new Map<string, string>();
    if (ws !== undefined) {
      for (const c of ws.nodes()) {
        const key = addressKey(c);
        this.known.set(key, { host: c.host, port: c.port });
        this.names.set(key, c.name);
        if (c.requirepass) passwords.set(key, c.requirepass);
      }
    }
    const topo = new Topology({
      creds: { password: this.source.password },
      credsFor: (a) => ({ password: passwords.get(addressKey(a)) ?? this.source.password }),
      names: (a) => this.names.get(addressKey(a)),
      timeoutMs: 800,
      maxNodes: 64,
      withConfig: false,
    });
    await topo.discover([...this.known.values()]);
    for (const [key, v] of topo.byKey) if (v.info !== null) this.known.set(key, v.address);
    const views = [...topo.byKey.values()].filter(
      (v, i, all) => v.info === null || all.findIndex((x) => x.info !== null && x.runId === v.runId) === i,
    );
    return { time: Date.now(), nodes: views.map((v) => toDashNode(v, topo)) };
  }
}

export interface Dashboard {
  url: string;
  port: number;
  close(): void;
}

export async function startDashboard(source: DashboardSource): Promise<Dashboard> {
  const sampler = new Sampler(source);
  const history: Snapshot[] = [];
  const historySize = source.historySize ?? 600;
  const clients = new Set<ServerResponse>();
  let latest: Snapshot | null = null;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(DASHBOARD_PAGE);
    } else if (path === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`retry: 1000\nevent: history\ndata: ${JSON.stringify(history)}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    } else if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else if (path === '/api/snapshot') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(latest));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  // Listen first: a port already taken fails here, before any timer or connection exists.
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new UserError(
          e.code === 'EADDRINUSE'
            ? `dashboard port ${source.port} is already in use: choose another with ${source.portOption ?? '--port'}`
            : e.code === 'EACCES'
              ? `dashboard port ${source.port} needs privileges: choose another with ${source.portOption ?? '--port'}`
              : e.message,
        ),
      ),
    );
    server.listen(source.port, '127.0.0.1', () => resolve());
  });
  let timer: NodeJS.Timeout | undefined;
  const close = () => {
    clearInterval(timer);
    for (const c of clients) c.end();
    server.close();
    server.closeAllConnections();
  };
  try {
    latest = await sampler.snapshot();
  } catch (e) {
    close();
    throw e;
  }
  history.push(latest);
  let busy = false;
  timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      latest = await sampler.snapshot();
      history.push(latest);
      if (history.length > historySize) history.shift();
      const frame = `event: snapshot\ndata: ${JSON.stringify(latest)}\n\n`;
      for (const c of clients) c.write(frame);
    } catch {
      // The folder changed under us (a config file being rewritten …): the next tick tries again.
    } finally {
      busy = false;
    }
  }, source.intervalMs ?? 1000);
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : source.port;
  return { url: `http://127.0.0.1:${port}/`, port, close };
}

/** `tsredis dashboard [host:port ...] [--port P]`: serves until Ctrl-C. */
export async function dashboardCommand(args: string[]): Promise<number> {
  const o = parseOptions(args, { values: ['dir', 'port', 'pass'], aliases: { a: 'pass' } }, 'dashboard');
  const addresses = o.positional.map(parseAddress);
  let workspace: Workspace | undefined;
  if (addresses.length === 0) {
    workspace = new Workspace(o.values.get('dir') ?? DEFAULT_DIR);
    workspace.requireNodes();
  }
  const d = await startDashboard({
    workspace,
    addresses,
    password: o.values.get('pass'),
    port: intOption(o, 'port', 0),
  });
  process.stdout.write(`Dashboard: ${d.url}  (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  d.close();
  return 0;
}
