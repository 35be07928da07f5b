/** The state of every node of a working folder, as one table (or JSON) a person can read. */
import {
  type Address,
  formatAddress,
  type Info,
  keyCount,
  NodeClient,
  NodeError,
  replicaLines,
} from './client.js';
import { engineKind, findNodePid } from './processes.js';
import type { NodeConf, Workspace } from './workspace.js';

export interface NodeStatus {
  name: string;
  engine: string;
  address: string;
  /** Configured role (from the config file) and the role the node reports. */
  configuredRole: 'master' | 'replica';
  role: 'master' | 'replica' | '-';
  running: boolean;
  pid: number | null;
  /** For replicas: up, down, sync (receiving the RDB) or '-' for masters. */
  link: 'up' | 'down' | 'sync' | '-';
  linkReason: string;
  masterAddress: string;
  /** Replication offset (master_repl_offset on a master, slave_repl_offset on a replica). */
  offset: number;
  /** Bytes behind its master, and seconds since its last acknowledgement as the master sees it. */
  lagBytes: number | null;
  lagSeconds: number | null;
  keys: number;
  opsPerSec: number;
  usedMemory: number;
  connectedReplicas: number;
  sync: { read: number; total: number } | null;
  problem: string;
}

export interface TopologyStatus {
  dir: string;
  nodes: NodeStatus[];
  healthy: boolean;
}

async function nodeInfo(conf: NodeConf): Promise<Info | NodeError> {
  try {
    const c = await NodeClient.open({ host: conf.host, port: conf.port }, 1500, {
      password: conf.requirepass || undefined,
    });
    try {
      return await c.info('all');
    } finally {
      c.close();
    }
  } catch (e) {
    if (e instanceof NodeError) return e;
    throw e;
  }
}

/** Whether an address (a replicaof target, a master_host) names this node of ours. */
export function sameNode(addr: Address, conf: NodeConf): boolean {
  if (addr.port !== conf.port) return false;
  const local = /^(127\.|localhost$|::1$|0\.0\.0\.0$)/;
  return addr.host === conf.host || (local.test(addr.host) && local.test(conf.host));
}

export async function collectStatus(ws: Workspace): Promise<TopologyStatus> {
  const confs = ws.requireNodes();
  const state = ws.readState();
  const infos = await Promise.all(confs.map(nodeInfo));
  const pids = await Promise.all(confs.map(findNodePid));
  const nodes: NodeStatus[] = confs.map((conf, i) => {
    const info = infos[i];
    const s: NodeStatus = {
      name: conf.name,
      engine: state.engines[conf.name] ?? 'tsredis',
      address: formatAddress({ host: conf.host, port: conf.port }),
      configuredRole: conf.replicaof === null ? 'master' : 'replica',
      role: '-',
      running: false,
      pid: pids[i],
      link: conf.replicaof === null ? '-' : 'down',
      linkReason: '',
      masterAddress: conf.replicaof === null ? '' : formatAddress(conf.replicaof),
      offset: 0,
      lagBytes: null,
      lagSeconds: null,
      keys: 0,
      opsPerSec: 0,
      usedMemory: 0,
      connectedReplicas: 0,
      sync: null,
      problem: '',
    };
    if (info instanceof NodeError) {
      s.problem = pids[i] === null ? 'not running' : `running (pid ${pids[i]}) but ${info.message}`;
      return s;
    }
    s.running = true;
    // What runs, not what the folder remembers: INFO has `tsredis_version` on tsredis only.
    if (info.has('tsredis_version')) s.engine = 'tsredis';
    else if (engineKind(s.engine) === 'tsredis') s.engine = 'redis-server';
    s.role = info.get('role') === 'slave' ? 'replica' : 'master';
    s.keys = keyCount(info);
    s.opsPerSec = Number(info.get('instantaneous_ops_per_sec') ?? 0);
    s.usedMemory = Number(info.get('used_memory') ?? 0);
    s.connectedReplicas = Number(info.get('connected_slaves') ?? 0);
    if (s.role === 'replica') {
      s.offset = Number(info.get('slave_repl_offset') ?? 0);
      s.masterAddress = `${info.get('master_host')}:${info.get('master_port')}`;
      const inProgress = info.get('master_sync_in_progress') === '1';
      s.link = info.get('master_link_status') === 'up' ? 'up' : inProgress ? 'sync' : 'down';
      s.linkReason = info.get('master_link_down_reason') ?? '';
      if (inProgress) {
        s.sync = {
          read: Number(info.get('master_sync_read_bytes') ?? 0),
          total: Number(info.get('master_sync_total_bytes') ?? -1),
        };
      }
    } else {
      s.offset = Number(info.get('master_repl_offset') ?? 0);
    }
    return s;
  });
  // Lag: each replica against the node it replicates from (when that node is one of ours).
  nodes.forEach((s, i) => {
    const conf = confs[i];
    const info = infos[i];
    if (s.role !== 'replica' || info instanceof NodeError) return;
    const masterAddr = { host: info.get('master_host') ?? '', port: Number(info.get('master_port')) };
    const mi = confs.findIndex((c) => sameNode(masterAddr, c));
    const minfo = mi >= 0 ? infos[mi] : null;
    if (minfo === null || minfo instanceof NodeError) return;
    const masterOffset = Number(minfo.get('master_repl_offset') ?? 0);
    if (s.link === 'up') s.lagBytes = Math.max(0, masterOffset - s.offset);
    const line = replicaLines(minfo).find((r) => r.port === conf.port);
    if (line !== undefined && line.state === 'online') s.lagSeconds = line.lag;
  });
  for (const s of nodes) {
    if (!s.running) continue;
    if (s.configuredRole === 'replica' && s.role === 'master') {
      s.problem = `runs as a master although its config file says replicaof ${s.masterAddress}`;
    } else if (s.role === 'replica' && s.link !== 'up') {
      s.problem =
        s.link === 'sync'
          ? 'receiving the data set from its master'
          : `link down${s.linkReason ? `: ${s.linkReason}` : ''}`;
    }
  }
  const healthy = nodes.every((s) => s.running && s.problem === '');
  return { dir: ws.dir, nodes, healthy };
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

function lagText(s: NodeStatus): string {
  if (s.role !== 'replica') return '-';
  if (s.lagBytes === null) return '?';
  return s.lagSeconds === null ? humanBytes(s.lagBytes) : `${humanBytes(s.lagBytes)} (${s.lagSeconds}s)`;
}

/** The status table: node, role, address, link status, offset, lag, keys (and engine, pid). */
export function renderTable(status: TopologyStatus): string {
  const header = ['NODE', 'ROLE', 'ADDRESS', 'LINK', 'OFFSET', 'LAG', 'KEYS', 'MEMORY', 'ENGINE', 'PID'];
  const rows = status.nodes.map((s) => [
    s.name,
    s.running ? s.role : 'DOWN',
    s.address,
    s.role === 'replica'
      ? `${s.link} -> ${s.masterAddress}`
      : s.running
        ? `${s.connectedReplicas} replica(s)`
        : '-',
    s.running ? String(s.offset) : '-',
    s.running ? lagText(s) : '-',
    s.running ? String(s.keys) : '-',
    s.running ? humanBytes(s.usedMemory) : '-',
    s.engine,
    s.pid === null ? '-' : String(s.pid),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [line(header), ...rows.map(line)];
  const problems = status.nodes.filter((s) => s.problem !== '').map((s) => `  ! ${s.name}: ${s.problem}`);
  if (problems.length > 0) out.push('', ...problems);
  return `${out.join('\n')}\n`;
}

/** One line for the live display while `up` stays in the foreground. */
export function statusLine(status: TopologyStatus): string {
  return status.nodes
    .map((s) => {
      if (!s.running) return `${s.name} DOWN`;
      if (s.role === 'master') return `${s.name} master ${s.opsPerSec} ops/s ${humanBytes(s.usedMemory)}`;
      return `${s.name} ${s.link}${s.lagBytes !== null ? ` lag ${humanBytes(s.lagBytes)}` : ''}`;
    })
    .join(' | ');
}
