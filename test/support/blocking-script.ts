/**
 * A differential script runner for blocking commands: several connections per server, commands
 * sent without waiting, explicit reads, and a step that waits until both servers report a number
 * of blocked clients, so a push never races ahead of the BLPOP it should serve. Unlike DiffPair,
 * a reply that never comes is a failure on both sides.
 */
import assert from 'node:assert/strict';
import type { DiffPair } from './diff.js';
import { escapeBytes, RawClient, type Reply } from './raw-client.js';

export type Conn = 1 | 2 | 3;

/** Compares only what this extracts from each raw reply (for replies with times or addresses). */
export type ReplyMap = (raw: string) => string;

export type BStep =
  /** Runs on connection 1 and compares the reply. */
  | string
  /** {idN} in cmd becomes each server's own CLIENT ID of connection N. */
  | { cmd: string | string[]; conn?: Conn; noWait?: boolean; ignore?: boolean; map?: ReplyMap }
  | { read: Conn; ignore?: boolean }
  /** Waits until INFO clients shows exactly n blocked clients on both servers. */
  | { blocked: number }
  /** Closes a connection (a client disconnecting while blocked). */
  | { close: Conn }
  /** Asserts no reply is pending on a connection after the given quiet time. */
  | { silent: Conn; ms?: number };

interface Side {
  name: 'redis' | 'tsredis';
  conns: RawClient[];
  admin: RawClient;
  ids: number[];
}

async function openSide(name: Side['name'], port: number): Promise<Side> {
  const conns = await Promise.all([1, 2, 3].map(() => RawClient.connect(port)));
  const admin = await RawClient.connect(port);
  const ids: number[] = [];
  for (const c of conns) ids.push(Number((await c.callRaw('CLIENT ID')).slice(1, -2)));
  await conns[0].call('FLUSHALL');
  return { name, conns, admin, ids };
}

function substitute(cmd: string | string[], side: Side): string | string[] {
  const fill = (s: string) => s.replace(/\{id([123])\}/g, (_, n) => String(side.ids[Number(n) - 1]));
  return typeof cmd === 'string' ? fill(cmd) : cmd.map(fill);
}

async function blockedClients(side: Side): Promise<number> {
  const info = (await side.admin.call('INFO clients')).raw.toString('latin1');
  const m = /blocked_clients:(\d+)/.exec(info);
  return m === null ? -1 : Number(m[1]);
}

async function waitBlocked(side: Side, n: number): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const got = await blockedClients(side);
    if (got === n) return;
    if (Date.now() > deadline) throw new Error(`${side.name}: ${got} blocked clients, expected ${n}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function describeReply(r: Reply | Error): string {
  return r instanceof Error ? `<${r.message}>` : escapeBytes(r.raw);
}

/** Runs steps against both servers; fails listing every step whose replies differ. */
export async function runBlockingScript(pair: DiffPair, steps: BStep[]): Promise<void> {
  const sides = await Promise.all([openSide('redis', pair.redis.port), openSide('tsredis', pair.ts.port)]);
  const problems: string[] = [];
  const compare = async (label: string, conn: Conn, ignore: boolean, map?: ReplyMap) => {
    const [r, t] = await Promise.all(sides.map((s) => s.conns[conn - 1].read(3000).catch((e: Error) => e)));
    if (r instanceof Error || t instanceof Error) {
      problems.push(`  ${label}\n    redis:   ${describeReply(r)}\n    tsredis: ${describeReply(t)}`);
    } else if (map !== undefined) {
      const [mr, mt] = [map(r.raw.toString('latin1')), map(t.raw.toString('latin1'))];
      if (mr !== mt) problems.push(`  ${label}\n    redis:   ${mr}\n    tsredis: ${mt}`);
    } else if (!ignore && !r.raw.equals(t.raw)) {
      problems.push(`  ${label}\n    redis:   ${describeReply(r)}\n    tsredis: ${describeReply(t)}`);
    }
  };
  try {
    for (const [i, step] of steps.entries()) {
      const s = typeof step === 'string' ? { cmd: step } : step;
      if ('blocked' in s) {
        await Promise.all(sides.map((side) => waitBlocked(side, s.blocked)));
      } else if ('close' in s) {
        for (const side of sides) side.conns[s.close - 1].close();
      } else if ('silent' in s) {
        await new Promise((r) => setTimeout(r, s.ms ?? 50));
        for (const side of sides) {
          const pending = await side.conns[s.silent - 1].read(1).catch(() => null);
          if (pending !== null)
            problems.push(`  ${i}: ${side.name} replied on ${s.silent}: ${describeReply(pending)}`);
        }
      } else if ('read' in s) {
        await compare(`${i}: (read on connection ${s.read})`, s.read, s.ignore ?? false);
      } else {
        const conn = s.conn ?? 1;
        for (const side of sides) side.conns[conn - 1].send(substitute(s.cmd, side));
        if (s.noWait) continue;
        const text = typeof s.cmd === 'string' ? s.cmd : s.cmd.join(' ');
        await compare(`${i}: [${conn}] ${text}`, conn, s.ignore ?? false, s.map);
      }
    }
  } finally {
    for (const side of sides) {
      for (const c of side.conns) c.close();
      side.admin.close();
    }
  }
  if (problems.length > 0) assert.fail(`replies differ from redis-server 7.0:\n${problems.join('\n')}`);
}
