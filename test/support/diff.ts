/**
 * The differential harness: one script of commands runs against tsredis and a real redis-server
 * 7.0, and the raw RESP replies must be byte-identical, except where a step names one of the few
 * legitimate differences (unordered collections, replies that depend on time or identity).
 */
import assert from 'node:assert/strict';
import { type RunningServer, startServer } from '../../src/index.js';
import type { RespValue } from '../../src/protocol/resp-reader.js';
import { escapeBytes, RawClient, type Reply } from './raw-client.js';
import { type ProcessServer, startRedis } from './servers.js';

/**
 * exact: same bytes. unordered: same elements in any order (top-level array/set/map).
 * type: same RESP type (e.g. both errors, both integers). ignore: only run it.
 * A function gets both replies and returns a complaint or null.
 */
export type Compare =
  | 'exact'
  | 'unordered'
  | 'type'
  | 'ignore'
  | ((redis: Reply, ts: Reply) => string | null);

export type Step =
  | string
  | string[]
  | {
      cmd: string | string[];
      compare?: Compare;
      /** Run on a second connection (blocking commands, WATCH from another client). */
      conn?: 1 | 2;
      /** Send without waiting for the reply (it is read by a later `read` step). */
      noWait?: boolean;
      /** How long to wait for each server's reply (default 5 s): for replies of millions of elements. */
      timeoutMs?: number;
    }
  | { read: 1 | 2; compare?: Compare }
  | { raw: string; compare?: Compare; replies?: number; conn?: 1 | 2 };

/**
 * Idle seconds come from a clock of 1 s resolution: a second may tick on one server and not the
 * other between the write and the read, so integer replies may differ by one.
 */
export function withinASecond(redis: Reply, ts: Reply): string | null {
  const [a, b] = [redis.raw.toString(), ts.raw.toString()];
  const idle = (r: string) => (/^:\d+\r\n$/.test(r) ? Number(r.slice(1, -2)) : Number.NaN);
  return Math.abs(idle(a) - idle(b)) <= 1 ? null : `idle times ${a.trim()} vs ${b.trim()}`;
}

/** Serializes a reply with type tags; unordered sorts the top-level elements. */
export function canonical(v: RespValue, unordered = false): string {
  switch (v.type) {
    case 'bulk':
    case 'verbatim':
      return `$${v.value.toString('latin1')}`;
    case 'array':
    case 'set':
    case 'push': {
      const items = v.value.map((x) => canonical(x));
      if (unordered) items.sort();
      return `${v.type}[${items.join(',')}]`;
    }
    case 'map':
    case 'attribute': {
      const pairs: string[] = [];
      for (let i = 0; i < v.value.length; i += 2)
        pairs.push(`${canonical(v.value[i])}=>${canonical(v.value[i + 1])}`);
      if (unordered) pairs.sort();
      return `${v.type}{${pairs.join(',')}}`;
    }
    case 'null':
      return 'null';
    case 'integer':
      return `:${v.value}`;
    case 'bool':
      return `#${v.value}`;
    default:
      return `${v.type}:${(v as { value: string }).value}`;
  }
}

function complaint(compare: Compare, redis: Reply, ts: Reply): string | null {
  if (compare === 'ignore') return null;
  if (typeof compare === 'function') return compare(redis, ts);
  if (compare === 'type') return redis.value.type === ts.value.type ? null : 'different reply types';
  if (compare === 'unordered') {
    return canonical(redis.value, true) === canonical(ts.value, true) ? null : 'different elements';
  }
  return redis.raw.equals(ts.raw) ? null : 'different bytes';
}

export class DiffPair {
  private constructor(
    readonly redis: ProcessServer,
    readonly ts: RunningServer,
  ) {}

  static async start(
    options: { redisArgs?: string[]; config?: Record<string, string> } = {},
  ): Promise<DiffPair> {
    const redisArgs = [...(options.redisArgs ?? [])];
    for (const [k, v] of Object.entries(options.config ?? {})) redisArgs.push(`--${k}`, v);
    const [redis, ts] = await Promise.all([startRedis(redisArgs), startServer({ config: options.config })]);
    return new DiffPair(redis, ts);
  }

  async stop(): Promise<void> {
    await Promise.all([this.redis.stop(), this.ts.stop()]);
  }

  /**
   * Runs the steps on fresh connections to both servers (after FLUSHALL) and fails with a listing
   * of every step whose replies differ.
   */
  async run(steps: Step[]): Promise<void> {
    const conns = await Promise.all([
      RawClient.connect(this.redis.port),
      RawClient.connect(this.ts.port),
      RawClient.connect(this.redis.port),
      RawClient.connect(this.ts.port),
    ]);
    const [r1, t1, r2, t2] = conns;
    const problems: string[] = [];
    try {
      await Promise.all([r1.call('FLUSHALL'), t1.call('FLUSHALL')]);
      for (const [i, step] of steps.entries()) {
        const s = typeof step === 'string' || Array.isArray(step) ? { cmd: step } : step;
        const second = 'conn' in s && s.conn === 2;
        const [r, t] = second ? [r2, t2] : [r1, t1];
        let label: string;
        let replies = 1;
        if ('read' in s) {
          label = `(read reply on connection ${s.read})`;
          const [rr, tt] = s.read === 2 ? [r2, t2] : [r1, t1];
          await this.compareReplies(rr, tt, s.compare ?? 'exact', `${i}: ${label}`, problems);
          continue;
        }
        if ('raw' in s) {
          label = `raw ${escapeBytes(s.raw)}`;
          r.write(s.raw);
          t.write(s.raw);
          replies = s.replies ?? 1;
        } else {
          label = typeof s.cmd === 'string' ? s.cmd : s.cmd.map((a) => escapeBytes(a)).join(' ');
          r.send(s.cmd);
          t.send(s.cmd);
          if (s.noWait) continue;
        }
        const timeoutMs = 'timeoutMs' in s ? s.timeoutMs : undefined;
        for (let k = 0; k < replies; k++) {
          await this.compareReplies(r, t, s.compare ?? 'exact', `${i}: ${label}`, problems, timeoutMs);
        }
      }
    } finally {
      for (const c of conns) c.close();
    }
    if (problems.length > 0) assert.fail(`replies differ from redis-server 7.0:\n${problems.join('\n')}`);
  }

  private async compareReplies(
    r: RawClient,
    t: RawClient,
    compare: Compare,
    label: string,
    problems: string[],
    timeoutMs?: number,
  ): Promise<void> {
    const [redisReply, tsReply] = await Promise.all([
      r.read(timeoutMs).catch((e: Error) => e),
      t.read(timeoutMs).catch((e: Error) => e),
    ]);
    if (redisReply instanceof Error || tsReply instanceof Error) {
      const what = (x: Reply | Error) => (x instanceof Error ? `<${x.message}>` : escapeBytes(x.raw));
      if (!(redisReply instanceof Error && tsReply instanceof Error)) {
        problems.push(`  ${label}\n    redis:   ${what(redisReply)}\n    tsredis: ${what(tsReply)}`);
      }
      return;
    }
    const why = complaint(compare, redisReply, tsReply);
    if (why !== null) {
      problems.push(
        `  ${label}  (${why})\n    redis:   ${escapeBytes(redisReply.raw)}\n    tsredis: ${escapeBytes(tsReply.raw)}`,
      );
    }
  }
}
