/**
 * `tsredis failover`: promote a replica and re-point the others at it. With the master up this is
 * Redis's FAILOVER (writes paused until the target has the whole stream, so no acknowledged write is
 * lost; WAIT first makes every replica hold what was acknowledged); with the master down (or
 * --force) the most up-to-date replica gets REPLICAOF NO ONE. Config files follow the new roles.
 */
import { formatAddress, type Info, NodeClient, NodeError, replicaLines } from './client.js';
import { UserError } from './errors.js';
import { masterOf } from './graph.js';
import { verify, waitInSync } from './in-sync.js';
import { sleep } from './processes.js';
import { collectStatus, renderTable } from './status.js';
import { type NodeConf, setReplicaof, Workspace } from './workspace.js';

const out = (text: string) => process.stdout.write(text);

async function infoOf(conf: NodeConf): Promise<Info | null> {
  try {
    const c = await NodeClient.open(conf, 1500, { password: conf.requirepass || undefined });
    try {
      return await c.info('replication');
    } finally {
      c.close();
    }
  } catch (e) {
    if (e instanceof NodeError) return null;
    throw e;
  }
}

async function run(conf: NodeConf, argv: string[], timeoutMs = 5000): Promise<string> {
  const c = await NodeClient.open(conf, 2000, { password: conf.requirepass || undefined });
  try {
    return await c.text(argv, timeoutMs);
  } finally {
    c.close();
  }
}

export async function failover(
  dir: string,
  opts: { to: string | null; force: boolean; timeoutMs: number },
): Promise<number> {
  const ws = new Workspace(dir);
  const confs = ws.requireNodes();
  const master = confs.find((c) => c.replicaof === null);
  if (master === undefined) throw new UserError(`no master in ${ws.dir}`);
  const replicas = confs.filter((c) => masterOf(c, confs) === master);
  if (replicas.length === 0) throw new UserError(`${master.name} has no replica to promote`);
  const masterInfo = await infoOf(master);
  const masterUp = masterInfo !== null && masterInfo.get('role') === 'master';
  const infos = await Promise.all(replicas.map(infoOf));
  let target: NodeConf;
  if (opts.to !== null) {
    const t = replicas.find((r) => r.name === opts.to);
    if (t === undefined) {
      throw new UserError(
        `'${opts.to}' is not a replica of ${master.name} (replicas: ${replicas.map((r) => r.name).join(', ')})`,
      );
    }
    target = t;
  } else {
    // The most up-to-date replica that answers.
    let best = -1;
    target = replicas[0];
    replicas.forEach((r, i) => {
      const offset = Number(infos[i]?.get('slave_repl_offset') ?? -1);
      if (infos[i] !== null && offset > best) {
        best = offset;
        target = r;
      }
    });
  }
  const targetInfo = infos[replicas.indexOf(target)];
  if (targetInfo === null) throw new UserError(`${target.name} is not running: choose another with --to`);
  out(
    `tsredis failover: promoting ${target.name} (${formatAddress(target)}), ${master.name} ${masterUp ? 'is up' : 'is down'}\n`,
  );

  if (masterUp && !opts.force) {
    const acked = await run(master, ['WAIT', String(replicas.length), '5000'], 7000);
    out(`  ✓ WAIT: ${acked} of ${replicas.length} replica(s) acknowledged every write so far\n`);
    const line = replicaLines(masterInfo).find((l) => l.port === target.port && l.state === 'online');
    if (line === undefined)
      throw new UserError(`${master.name} does not list ${target.name} as an online replica`);
    await run(master, ['FAILOVER', 'TO', line.ip, String(line.port), 'TIMEOUT', String(opts.timeoutMs)]);
    out(
      `  ✓ FAILOVER TO ${line.ip} ${line.port}: ${master.name} pauses writes until ${target.name} has them all\n`,
    );
    await waitForSwap(master, target, opts.timeoutMs + 5000);
    out(`  ✓ ${target.name} is the master, ${master.name} replicates from it\n`);
  } else {
    await run(target, ['REPLICAOF', 'NO', 'ONE']);
    out(`  ✓ REPLICAOF NO ONE on ${target.name} (at offset ${targetInfo.get('slave_repl_offset')})\n`);
    if (masterUp) await run(master, ['REPLICAOF', target.host, String(target.port)]);
  }
  const others = replicas.filter((r) => r !== target);
  for (const r of others) {
    if ((await infoOf(r)) === null) {
      out(`  ! ${r.name} is not running: its config file now points at ${target.name}\n`);
      continue;
    }
    await run(r, ['REPLICAOF', target.host, String(target.port)]);
    out(`  ✓ ${r.name}: REPLICAOF ${target.host} ${target.port}\n`);
  }
  // The config files follow, so a restart keeps the new roles (only replicaof lines change).
  setReplicaof(target.file, null);
  for (const r of [master, ...others]) setReplicaof(r.file, { host: target.host, port: target.port });
  out(
    `  ✓ updated replicaof in ${[target, master, ...others].map((c) => c.file.slice(ws.dir.length + 1)).join(', ')}\n`,
  );
  const after = ws.nodes();
  const running: NodeConf[] = [];
  for (const c of after.filter((c) => c.replicaof !== null)) if ((await infoOf(c)) !== null) running.push(c);
  await waitInSync(ws, running, opts.timeoutMs);
  const acked = await run(target, ['WAIT', String(running.length), '5000'], 7000);
  out(`  ✓ WAIT on ${target.name}: ${acked} of ${running.length} replica(s) in sync\n`);
  const checked = after.filter((c) => running.includes(c) || c.replicaof === null);
  out(`  ✓ ${await verify(checked)}\n\n`);
  const status = await collectStatus(ws);
  out(renderTable(status));
  return 0;
}

/** Waits until the old master reports itself a replica of the target and the target a master. */
async function waitForSwap(oldMaster: NodeConf, target: NodeConf, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [m, t] = await Promise.all([infoOf(oldMaster), infoOf(target)]);
    if (
      m?.get('role') === 'slave' &&
      t?.get('role') === 'master' &&
      m.get('master_failover_state') === 'no-failover'
    ) {
      return;
    }
    if (Date.now() > deadline) {
      await run(oldMaster, ['FAILOVER', 'ABORT']).catch(() => '');
      throw new UserError(
        `the failover did not complete in time (${oldMaster.name}: role ${m?.get('role')}, state ${m?.get('master_failover_state')}); aborted`,
      );
    }
    await sleep(100);
  }
}
