/**
 * `tsredis doctor`: connects to a topology (tsredis or real Redis) and explains, in plain words and
 * with the fix, what keeps it from replicating well: the seed's `bind 127.0.0.1` pitfall, protected
 * mode refusing replicas, a wrong masterauth, a replica of itself or a loop, an unreachable master,
 * a backlog too small for the write rate, replicas lagging.
 */
import {
  type Address,
  type Credentials,
  formatAddress,
  NodeClient,
  NodeError,
  replicaLines,
} from './client.js';
import { addressKey, masterAddress, type NodeView, Topology } from './discover.js';
import { UserError } from './errors.js';
import { intOption, parseAddress, parseOptions } from './options.js';
import { sleep } from './processes.js';
import { humanBytes } from './status.js';
import { DEFAULT_DIR, Workspace } from './workspace.js';

export type FindingId =
  | 'unreachable-node'
  | 'bind'
  | 'protected-mode'
  | 'masterauth'
  | 'self'
  | 'loop'
  | 'master-unreachable'
  | 'link-down'
  | 'backlog'
  | 'lag'
  | 'loopback-only'
  | 'protected-mode-exposed';

export interface Finding {
  id: FindingId;
  level: 'problem' | 'warning' | 'note';
  node: string;
  title: string;
  explanation: string;
  fix: string;
}

export interface DoctorOptions {
  addresses: Address[];
  creds: Credentials;
  credsFor?: (a: Address) => Credentials;
  names?: (a: Address) => string | undefined;
  /** How long to watch the masters' offsets for the write rate and lag (0: skip). */
  sampleMs: number;
  /** A replica whose last acknowledgement is this old (seconds) is lagging. */
  maxLagSeconds: number;
  /** The backlog should hold at least this many seconds of writes. */
  minBacklogSeconds: number;
  timeoutMs: number;
}

export interface DoctorReport {
  nodes: Array<{ name: string; address: string; role: string; engine: string; error: string | null }>;
  findings: Finding[];
  writeRates: Record<string, number>;
}

/** A replica further behind than this at both ends of the sample is lagging. */
const LAG_BYTES = 1024 * 1024;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
const isWildcard = (b: string) => b === '*' || b === '0.0.0.0' || b === '::' || b === '::*';

function binds(v: NodeView): string[] | null {
  const raw = v.config.get('bind');
  if (raw === null || raw === undefined) return null;
  return raw
    .split(' ')
    .filter((b) => b !== '')
    .map((b) => b.replace(/^-/, ''));
}

function engineOf(v: NodeView): string {
  if (v.info === null) return '?';
  const ts = v.info.get('tsredis_version');
  return ts !== undefined ? `tsredis ${ts}` : `redis ${v.info.get('redis_version') ?? '?'}`;
}

/** Whether `host` is an address the node listens on, per its bind list. */
function listensOn(b: string[], host: string): boolean {
  if (b.length === 0 || b.some(isWildcard)) return true;
  if (host === 'localhost') return b.includes('127.0.0.1') || b.includes('::1');
  return b.includes(host);
}

async function authWorks(
  master: Address,
  user: string,
  password: string,
  timeoutMs: number,
): Promise<string | null> {
  try {
    const c = await NodeClient.open(master, timeoutMs);
    try {
      const r = await c.call(user !== '' ? ['AUTH', user, password] : ['AUTH', password]);
      return r.type === 'error' ? r.value : null;
    } finally {
      c.close();
    }
  } catch (e) {
    return e instanceof NodeError ? e.message : String(e);
  }
}

export async function doctor(opts: DoctorOptions): Promise<DoctorReport> {
  const topo = new Topology({
    creds: opts.creds,
    credsFor: opts.credsFor,
    names: opts.names,
    timeoutMs: opts.timeoutMs,
    maxNodes: 64,
  });
  await topo.discover(opts.addresses);
  const findings: Finding[] = [];
  const add = (f: Finding) => findings.push(f);
  const nodes = topo.nodes();

  for (const v of topo.listed) {
    if (v.info !== null) continue;
    if (v.denied) {
      add({
        id: 'protected-mode',
        level: 'problem',
        node: v.name,
        title: 'protected mode refuses connections from this host',
        explanation: `${formatAddress(v.address)} answered -DENIED: it runs in protected mode (the default) with no password, so it only accepts clients and replicas connecting from 127.0.0.1 or ::1.`,
        fix: "Set a password ('requirepass' on the master, 'masterauth' on its replicas), or 'protected-mode no' if the network is trusted, then restart it (or CONFIG SET from the machine itself).",
      });
    } else if (!v.noauth) {
      add({
        id: 'unreachable-node',
        level: 'problem',
        node: v.name,
        title: 'cannot connect',
        explanation: v.error?.message ?? 'no answer',
        fix: 'Start the node, or check the address (host:port) given to doctor.',
      });
    } else {
      add({
        id: 'unreachable-node',
        level: 'problem',
        node: v.name,
        title: 'a password is required to inspect this node',
        explanation: v.error?.message ?? '',
        fix: 'Run doctor with -a PASSWORD (and --user NAME for an ACL user).',
      });
    }
  }

  const reportedLoops = new Set<string>();
  for (const r of nodes) {
    const mAddr = masterAddress(r);
    if (mAddr === null) continue;
    const linkUp = r.info!.get('master_link_status') === 'up';
    const reason = r.info!.get('master_link_down_reason') ?? '';
    const m = topo.canonical(await topo.get(mAddr));
    const where = formatAddress(mAddr);
    // A replica of itself, or a chain that comes back to where it started.
    if (m.info !== null && m.runId === r.runId) {
      add({
        id: 'self',
        level: 'problem',
        node: r.name,
        title: 'replicates from itself',
        explanation: `Its master is ${where}, which is this very node: it can never sync (a master must be connected to its own master to serve a sync).`,
        fix: `Point it at the real master: REPLICAOF <master-host> <master-port> (and fix 'replicaof' in its config file), or REPLICAOF NO ONE if it should be the master.`,
      });
      continue;
    }
    const chain = [r];
    let cur: NodeView = m;
    while (cur.info !== null && !chain.some((c) => c.runId === cur.runId)) {
      chain.push(cur);
      const next = masterAddress(cur);
      if (next === null) break;
      cur = topo.canonical(await topo.get(next));
    }
    if (cur.info !== null && cur.runId === r.runId && chain.length > 1) {
      const loopKey = chain
        .map((c) => c.runId)
        .sort()
        .join(',');
      if (!reportedLoops.has(loopKey)) {
        reportedLoops.add(loopKey);
        add({
          id: 'loop',
          level: 'problem',
          node: r.name,
          title: 'replication loop',
          explanation: `${[...chain, r].map((c) => c.name).join(' -> ')}: every node of the loop is a replica, none holds the data as a master, so none can serve a sync.`,
          fix: `Make one of them the master (REPLICAOF NO ONE on it, and remove 'replicaof' from its config file); the others keep replicating from it.`,
        });
      }
      continue;
    }
    if (linkUp) continue;
    if (m.info === null && !m.denied && !m.noauth) {
      // The seed's pitfall: a known node listens on that port, but not on the address replicas use.
      const owner = nodes.find((n) => {
        const port = Number(n.info!.get('tcp_port') ?? 0);
        const b = binds(n);
        return n !== r && port === mAddr.port && b !== null && !listensOn(b, mAddr.host);
      });
      if (owner !== undefined) {
        const b = binds(owner)!;
        add({
          id: 'bind',
          level: 'problem',
          node: r.name,
          title: `cannot reach its master: ${owner.name} listens only on ${b.join(' ')} (the 'bind 127.0.0.1' pitfall)`,
          explanation: `This replica connects to ${where}, but ${owner.name} is bound to ${b.join(' ')} only, so connections to ${mAddr.host} are refused (${m.error?.message ?? 'no answer'}). It is the seed's pitfall: with 'bind 127.0.0.1' in redis-master.conf a master accepts nothing from other hosts or containers, and connected_slaves stays 0.`,
          fix: `In ${owner.name}'s config file set 'bind 0.0.0.0' (or add ${mAddr.host} to its bind line) and restart it; on a network you do not trust also set 'requirepass' there and 'masterauth' on the replicas.`,
        });
      } else {
        add({
          id: 'master-unreachable',
          level: 'problem',
          node: r.name,
          title: `its master ${where} is unreachable`,
          explanation: `This replica replicates ${where}, and ${m.error?.message ?? 'nothing answers there'}.${reason ? ` The replica says: ${reason}.` : ''}`,
          fix: `Start the master, or point the replica at the right address: REPLICAOF <host> <port> and the 'replicaof' line of its config file. From another host or container, '${mAddr.host}' must be an address of the master's machine that the replica can reach.`,
        });
      }
      continue;
    }
    if (m.denied || /protected mode/i.test(reason)) {
      add(protectedModeFinding(r, m, where, 'it refuses this replica'));
      continue;
    }
    const needsPassword = m.noauth || (m.config.get('requirepass') ?? '') !== '';
    if (needsPassword || /masterauth|credentials|AUTH/i.test(reason)) {
      const masterauth = r.config.get('masterauth') ?? null;
      const masteruser = r.config.get('masteruser') ?? '';
      let why: string | null = null;
      if (masterauth === '' || masterauth === null) {
        why = masterauth === '' ? "it has no 'masterauth' set" : reason || 'the master requires a password';
      } else {
        const err = await authWorks(mAddr, masteruser, masterauth, opts.timeoutMs);
        if (err !== null) why = `the master rejects its masterauth: ${err}`;
      }
      if (why !== null) {
        add({
          id: 'masterauth',
          level: 'problem',
          node: r.name,
          title: 'wrong masterauth: the master refuses its password',
          explanation: `${where} requires a password, and ${why}. Without AUTH the master answers the sync handshake with -NOAUTH, so the link never comes up.`,
          fix: `Set 'masterauth' on ${r.name} to the master's 'requirepass' (CONFIG SET masterauth <password>, and in its config file; with ACL users also 'masteruser').`,
        });
        continue;
      }
    }
    const sourceAddr = r.config.get('bind-source-addr') ?? '';
    const masterOpen = m.config.get('protected-mode') === 'yes' && (m.config.get('requirepass') ?? '') === '';
    const replicaFromElsewhere =
      (sourceAddr !== '' && sourceAddr !== '127.0.0.1' && sourceAddr !== '::1') ||
      !LOOPBACK.test(r.address.host);
    if (masterOpen && replicaFromElsewhere) {
      add(
        protectedModeFinding(
          r,
          m,
          where,
          `the replica connects from ${sourceAddr || r.address.host}, not from 127.0.0.1`,
        ),
      );
      continue;
    }
    add({
      id: 'link-down',
      level: 'problem',
      node: r.name,
      title: `link to its master ${where} is down`,
      explanation:
        reason !== ''
          ? `The replica says: ${reason}.`
          : `The master answers this doctor, but the replica's link is down (real Redis does not say why in INFO: see the replica's log).`,
      fix: "Read the replica's log (tsredis logs NODE) for the handshake error; run doctor again once the master is up.",
    });
  }

  const masters = nodes.filter((n) => n.info!.get('role') === 'master');
  for (const m of masters) {
    const b = binds(m);
    const replicas = replicaLines(m.info!);
    if (b !== null && b.length > 0 && b.every((x) => LOOPBACK.test(x)) && replicas.length + 1 > 0) {
      add({
        id: 'loopback-only',
        level: 'note',
        node: m.name,
        title: `listens on loopback only (bind ${b.join(' ')})`,
        explanation:
          "Fine while every replica runs on this machine; replicas on other hosts or in containers could not connect (the seed's pitfall).",
        fix: "For replicas elsewhere: 'bind 0.0.0.0' plus 'requirepass'/'masterauth'.",
      });
    } else if (
      b !== null &&
      m.config.get('protected-mode') === 'yes' &&
      (m.config.get('requirepass') ?? '') === '' &&
      b.some((x) => !LOOPBACK.test(x))
    ) {
      add({
        id: 'protected-mode-exposed',
        level: 'warning',
        node: m.name,
        title: 'reachable from other hosts, but protected mode will refuse their replicas',
        explanation: `It listens on ${b.join(' ')} with protected mode on and no password: a replica connecting from anything but 127.0.0.1/::1 gets -DENIED.`,
        fix: "Set 'requirepass' here and 'masterauth' on the replicas (or 'protected-mode no' on a trusted private network).",
      });
    }
  }

  const writeRates: Record<string, number> = {};
  if (opts.sampleMs > 0 && masters.length > 0) {
    const t0 = Date.now();
    const before = await topo.resample(masters);
    await sleep(opts.sampleMs);
    const after = await topo.resample(masters);
    const seconds = (Date.now() - t0) / 1000;
    for (const m of masters) {
      const i0 = before.get(m.key);
      const i1 = after.get(m.key);
      if (i0 === undefined || i1 === undefined) continue;
      const rate = (Number(i1.get('master_repl_offset')) - Number(i0.get('master_repl_offset'))) / seconds;
      writeRates[m.name] = Math.round(rate);
      const backlog = Number(i1.get('repl_backlog_size') ?? m.config.get('repl-backlog-size') ?? 0);
      const hasReplicas = replicaLines(i1).length > 0 || Number(i1.get('connected_slaves') ?? 0) > 0;
      if (hasReplicas && rate > 1024 && backlog / rate < opts.minBacklogSeconds) {
        const suggest = Math.ceil((rate * opts.minBacklogSeconds * 2) / (1024 * 1024));
        add({
          id: 'backlog',
          level: 'problem',
          node: m.name,
          title: `replication backlog too small for the write rate (${humanBytes(backlog)} holds ${(backlog / rate).toFixed(1)} s of writes)`,
          explanation: `Writes arrive at about ${humanBytes(Math.round(rate))}/s, so the ${humanBytes(backlog)} backlog covers only ${(backlog / rate).toFixed(1)} s: a replica that disconnects for longer (a restart, a network blip) cannot resume with a partial resync and needs a full copy of the data set.`,
          fix: `Raise it to cover at least ${opts.minBacklogSeconds} s with room to spare: CONFIG SET repl-backlog-size ${suggest}mb (and 'repl-backlog-size ${suggest}mb' in the config file).`,
        });
      }
      const offset = Number(i1.get('master_repl_offset'));
      for (const line of replicaLines(i1)) {
        const behind = offset - line.offset;
        const was = replicaLines(i0).find((l) => l.ip === line.ip && l.port === line.port);
        const behindBefore = was === undefined ? 0 : Number(i0.get('master_repl_offset')) - was.offset;
        // Far behind at both ends of the sample, or no acknowledgement for maxLag seconds.
        const farBehind = behind > LAG_BYTES && behindBefore > LAG_BYTES;
        if (line.state === 'online' && (line.lag >= opts.maxLagSeconds || farBehind)) {
          const name =
            topo.byKey.get(addressKey({ host: line.ip, port: line.port }))?.name ?? `${line.ip}:${line.port}`;
          add({
            id: 'lag',
            level: 'problem',
            node: name,
            title: `lagging behind ${m.name}: last acknowledgement ${line.lag} s ago, ${humanBytes(Math.max(0, behind))} behind`,
            explanation: `The master's view: offset ${line.offset} of ${offset}. Reads from this replica return stale data, and WAIT / min-replicas-to-write count it out.`,
            fix: "Check the replica's host (CPU, disk, swap), the network between them, and slow commands on the replica (SLOWLOG GET); a replica that cannot keep up needs a bigger machine or fewer writes.",
          });
        }
      }
    }
  }

  const order = { problem: 0, warning: 1, note: 2 };
  findings.sort((a, b) => order[a.level] - order[b.level]);
  return {
    nodes: [...topo.listed, ...nodes.filter((n) => !topo.listed.includes(n))]
      .filter((v, i, all) => all.findIndex((x) => x.key === v.key) === i)
      .map((v) => ({
        name: v.name,
        address: formatAddress(v.address),
        role: v.info === null ? '-' : v.info.get('role') === 'slave' ? 'replica' : 'master',
        engine: engineOf(v),
        error: v.error?.message ?? null,
      })),
    findings,
    writeRates,
  };
}

function protectedModeFinding(r: NodeView, m: NodeView, where: string, how: string): Finding {
  return {
    id: 'protected-mode',
    level: 'problem',
    node: r.name,
    title: `protected mode on ${m.name} refuses this replica`,
    explanation: `${where} runs in protected mode (the default) with no password, so it answers -DENIED to every connection that does not come from 127.0.0.1 or ::1; ${how}.`,
    fix: `On ${m.name} set 'requirepass <password>' and on each replica 'masterauth <password>' (or 'protected-mode no' on a trusted private network), then restart the master or CONFIG SET it from its own machine.`,
  };
}

export function renderReport(report: DoctorReport): string {
  const lines: string[] = [];
  lines.push(`tsredis doctor: ${report.nodes.length} node(s)`);
  for (const n of report.nodes) {
    lines.push(
      `  ${n.name.padEnd(22)} ${n.address.padEnd(22)} ${n.role.padEnd(8)} ${n.error === null ? n.engine : `(${n.error})`}`,
    );
  }
  for (const [name, rate] of Object.entries(report.writeRates)) {
    lines.push(`  write rate on ${name}: ${humanBytes(rate)}/s of replication stream`);
  }
  lines.push('');
  const mark = { problem: '✗ PROBLEM', warning: '! WARNING', note: '· note' };
  for (const f of report.findings) {
    lines.push(`${mark[f.level]} [${f.node}] ${f.title}`);
    lines.push(`    Why: ${f.explanation}`);
    lines.push(`    Fix: ${f.fix}`);
    lines.push('');
  }
  const problems = report.findings.filter((f) => f.level === 'problem').length;
  const warnings = report.findings.filter((f) => f.level === 'warning').length;
  lines.push(
    problems + warnings === 0
      ? 'No problems found: every link is up.'
      : `${problems} problem(s), ${warnings} warning(s).`,
  );
  return `${lines.join('\n')}\n`;
}

function sampleOption(text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds > 600) {
    throw new UserError(`--sample takes seconds from 0 to 600 (got '${text}')`);
  }
  return Math.round(seconds * 1000);
}

export async function doctorCommand(args: string[]): Promise<number> {
  const o = parseOptions(
    args,
    {
      values: ['dir', 'pass', 'user', 'sample', 'max-lag', 'min-backlog-seconds', 'timeout'],
      flags: ['json'],
      aliases: { a: 'pass' },
    },
    'doctor',
  );
  const creds: Credentials = { user: o.values.get('user'), password: o.values.get('pass') };
  let addresses = o.positional.map(parseAddress);
  let credsFor: ((a: Address) => Credentials) | undefined;
  let names: ((a: Address) => string | undefined) | undefined;
  if (addresses.length === 0) {
    const ws = new Workspace(o.values.get('dir') ?? DEFAULT_DIR);
    const confs = ws.nodes();
    if (confs.length === 0) {
      throw new UserError(
        `give the nodes to check (host:port ...), or run it where 'tsredis up' ran (--dir; no topology in ${ws.dir})`,
      );
    }
    addresses = confs.map((c) => ({ host: c.host, port: c.port }));
    const byKey = new Map(confs.map((c) => [addressKey(c), c]));
    names = (a) => byKey.get(addressKey(a))?.name;
    credsFor = (a) => {
      const c = byKey.get(addressKey(a));
      return c?.requirepass ? { password: c.requirepass } : creds;
    };
  }
  const report = await doctor({
    addresses,
    creds,
    credsFor,
    names,
    sampleMs: sampleOption(o.values.get('sample') ?? '1'),
    maxLagSeconds: intOption(o, 'max-lag', 5, 1, 86400),
    minBacklogSeconds: intOption(o, 'min-backlog-seconds', 60, 1, 86400),
    timeoutMs: intOption(o, 'timeout', 2, 1, 600) * 1000,
  });
  process.stdout.write(o.flags.has('json') ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  return report.findings.some((f) => f.level === 'problem') ? 1 : 0;
}
