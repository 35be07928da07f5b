/**
 * Finding a whole topology from a few addresses: each node's INFO and the configuration that matters
 * for replication, following replicas up to their masters and masters down to their replicas.
 * Shared by `doctor` and the dashboard; works the same against tsredis and redis-server.
 */
import {
  type Address,
  type Credentials,
  formatAddress,
  type Info,
  NodeClient,
  NodeError,
  parseInfo,
  replicaLines,
  replyText,
} from './client.js';

export const CONFIG_NAMES = [
  'bind',
  'port',
  'protected-mode',
  'requirepass',
  'masterauth',
  'masteruser',
  'repl-backlog-size',
  'bind-source-addr',
  'replica-announce-ip',
] as const;

export interface NodeView {
  address: Address;
  key: string;
  /** A name to show: the working folder's node name when known, else host:port. */
  name: string;
  info: Info | null;
  /** Why the node could not be read (connection error, DENIED, NOAUTH …). */
  error: NodeError | null;
  denied: boolean;
  noauth: boolean;
  config: Map<string, string | null>;
  runId: string;
}

export interface DiscoverOptions {
  creds: Credentials;
  /** Per-address credentials (a working folder knows each node's requirepass). */
  credsFor?: (addr: Address) => Credentials;
  names?: (addr: Address) => string | undefined;
  timeoutMs: number;
  /** Stop following links after this many nodes. */
  maxNodes: number;
  /** Read the replication-related config too (doctor needs it; the dashboard does not). */
  withConfig?: boolean;
}

export function addressKey(a: Address): string {
  const local = /^(localhost|127\.0\.0\.1|::1|0\.0\.0\.0)$/;
  return formatAddress({ host: local.test(a.host) ? '127.0.0.1' : a.host, port: a.port });
}

/** Reads one node: INFO all and the replication-related config; never throws for a node's failure. */
export async function probe(addr: Address, opts: DiscoverOptions): Promise<NodeView> {
  const view: NodeView = {
    address: addr,
    key: addressKey(addr),
    name: opts.names?.(addr) ?? formatAddress(addr),
    info: null,
    error: null,
    denied: false,
    noauth: false,
    config: new Map(),
    runId: '',
  };
  let c: NodeClient;
  try {
    c = await NodeClient.open(addr, opts.timeoutMs, opts.credsFor?.(addr) ?? opts.creds);
  } catch (e) {
    if (!(e instanceof NodeError)) throw e;
    view.error = e;
    return view;
  }
  try {
    const r = await c.call(['INFO', 'all']);
    if (r.type === 'error') {
      view.denied = r.value.startsWith('DENIED');
      view.noauth = r.value.startsWith('NOAUTH');
      view.error = new NodeError(
        view.denied
          ? `${formatAddress(addr)} refuses this client: protected mode (-DENIED)`
          : view.noauth
            ? `${formatAddress(addr)} requires a password (pass it with -a)`
            : `${formatAddress(addr)} answered INFO with: ${r.value}`,
        view.denied ? 'DENIED' : view.noauth ? 'NOAUTH' : 'REPLY',
      );
      return view;
    }
    view.info = parseInfo(replyText(r));
    view.runId = view.info.get('run_id') ?? '';
    if (opts.withConfig !== false) {
      for (const name of CONFIG_NAMES) view.config.set(name, await c.configGet(name));
    }
  } catch (e) {
    if (!(e instanceof NodeError)) throw e;
    view.error = e;
  } finally {
    c.close();
  }
  return view;
}

/** The address a replica replicates from. */
export function masterAddress(view: NodeView): Address | null {
  if (view.info?.get('role') !== 'slave') return null;
  return { host: view.info.get('master_host') ?? '', port: Number(view.info.get('master_port') ?? 0) };
}

export class Topology {
  /** Every probed address (several may reach the same node). */
  readonly byKey = new Map<string, NodeView>();
  /** The addresses the user named (or the working folder lists). */
  readonly listed: NodeView[] = [];

  constructor(readonly opts: DiscoverOptions) {}

  async get(addr: Address): Promise<NodeView> {
    const key = addressKey(addr);
    let v = this.byKey.get(key);
    if (v === undefined) {
      v = await probe(addr, this.opts);
      this.byKey.set(key, v);
    }
    return v;
  }

  /** Distinct nodes that answered, one view per run_id (the first address that reached it). */
  nodes(): NodeView[] {
    const seen = new Set<string>();
    const out: NodeView[] = [];
    for (const v of this.byKey.values()) {
      if (v.info === null) continue;
      if (seen.has(v.runId)) continue;
      seen.add(v.runId);
      out.push(v);
    }
    return out;
  }

  /** The node another address reaches, by run id (so 'localhost:p' and '127.0.0.1:p' are one node). */
  canonical(v: NodeView): NodeView {
    if (v.info === null) return v;
    return this.nodes().find((n) => n.runId === v.runId) ?? v;
  }

  async discover(start: Address[]): Promise<void> {
    const queue = [...start];
    for (const a of start) this.listed.push(await this.get(a));
    while (queue.length > 0 && this.byKey.size < this.opts.maxNodes) {
      const addr = queue.shift()!;
      const v = await this.get(addr);
      if (v.info === null) continue;
      const next: Address[] = [];
      const m = masterAddress(v);
      if (m !== null) next.push(m);
      for (const r of replicaLines(v.info)) next.push({ host: r.ip, port: r.port });
      for (const n of next) {
        if (!this.byKey.has(addressKey(n))) {
          await this.get(n);
          queue.push(n);
        }
      }
    }
  }

  /** Re-reads INFO replication of the given nodes (for rates and lag over a sampling period). */
  async resample(views: NodeView[]): Promise<Map<string, Info>> {
    const out = new Map<string, Info>();
    await Promise.all(
      views.map(async (v) => {
        try {
          const c = await NodeClient.open(
            v.address,
            this.opts.timeoutMs,
            this.opts.credsFor?.(v.address) ?? this.opts.creds,
          );
          try {
            out.set(v.key, await c.info('replication'));
          } finally {
            c.close();
          }
        } catch (e) {
          if (!(e instanceof NodeError)) throw e;
        }
      }),
    );
    return out;
  }
}
