/**
 * Waiting until replicas are in sync (with a line that says what each one is doing) and the seed's
 * check: a key written on each master read back on every replica below it.
 */
import { randomBytes } from 'node:crypto';
import { NodeClient, replyText } from './client.js';
import { selfCommand } from './commands-text.js';
import { UserError } from './errors.js';
import { rootOf } from './graph.js';
import { sleep } from './processes.js';
import { Progress } from './progress.js';
import { collectStatus, humanBytes, type NodeStatus, renderTable } from './status.js';
import type { NodeConf, Workspace } from './workspace.js';

/** Below this a sync is too small to be worth showing byte counts (unless it lasts a second). */
const SHOW_SYNC_BYTES = 64 * 1024;

/**
 * The waiting line. `syncingSince`: when each replica was first seen receiving its data set; a
 * tiny sync is shown as linking (no "receiving the data set, 0 B" flashing by).
 */
export function syncMessage(
  waiting: NodeStatus[],
  syncingSince: Map<string, number> = new Map(),
  now = Date.now(),
): { message: string; key: string } {
  const showBytes = (s: NodeStatus) =>
    s.sync !== null && (s.sync.read >= SHOW_SYNC_BYTES || now - (syncingSince.get(s.name) ?? now) >= 1000);
  const parts = waiting.map((s) => {
    if (!s.running) return `${s.name}: not answering`;
    if (s.sync !== null && showBytes(s)) {
      const total =
        s.sync.total > 0
          ? ` of ${humanBytes(s.sync.total)} (${Math.floor((s.sync.read / s.sync.total) * 100)}%)`
          : '';
      return `${s.name}: receiving the data set, ${humanBytes(s.sync.read)}${total}`;
    }
    if (s.sync !== null) return `${s.name}: linking to ${s.masterAddress}`;
    if (s.link === 'up') return `${s.name}: catching up, ${humanBytes(s.lagBytes ?? 0)} behind`;
    return `${s.name}: ${s.linkReason ? `connecting to ${s.masterAddress} (${s.linkReason})` : `linking to ${s.masterAddress}`}`;
  });
  const phase = (s: NodeStatus) =>
    !s.running ? 'down' : showBytes(s) ? 'receiving' : s.link === 'up' ? 'up' : 'linking';
  const key = waiting.map((s) => `${s.name}:${phase(s)}`).join(' ');
  return { message: `waiting for ${parts.join('; ')}`, key };
}

/**
 * Waits until every given replica's link is up and it applied its master's whole stream. `hint`
 * ends the time-out message (default: how to get an explanation and the logs).
 */
export async function waitInSync(
  ws: Workspace,
  replicas: NodeConf[],
  timeoutMs: number,
  hint?: string,
): Promise<void> {
  if (replicas.length === 0) return;
  const progress = new Progress();
  const names = new Set(replicas.map((r) => r.name));
  const syncingSince = new Map<string, number>();
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
        `replicas not in sync after ${Math.round(timeoutMs / 1000)} s:\n${renderTable(status)}${hint ?? `Run '${selfCommand('doctor', ws)}' for an explanation, '${selfCommand('logs', ws)}' for the logs.`}`,
      );
    }
    const dead = mine.find((s) => !s.running && s.pid === null);
    if (dead !== undefined) {
      progress.clear();
      throw new UserError(
        `${dead.name} stopped while syncing: see '${selfCommand(`logs ${dead.name}`, ws)}'.`,
      );
    }
    const now = Date.now();
    for (const s of mine) {
      if (s.sync === null) syncingSince.delete(s.name);
      else if (!syncingSince.has(s.name)) syncingSince.set(s.name, now);
    }
    const { message, key } = syncMessage(waiting, syncingSince, now);
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
