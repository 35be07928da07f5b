/** Collecting keyspace notifications from one server, for tests that compare them with Redis's. */
import assert from 'node:assert/strict';
import type { RespValue } from '../../src/protocol/resp-reader.js';
import { escapeBytes, RawClient } from './raw-client.js';

const SENTINEL = '__keyevent@0__:sentinel';

/**
 * Runs the commands on one server with notify-keyspace-events set to `flags` and returns
 * "event key" (the key escaped) for each __keyevent@0__ notification, in order.
 */
export async function keyspaceEvents(
  port: number,
  commands: Array<string | string[]>,
  flags: string,
): Promise<string[]> {
  const sub = await RawClient.connect(port);
  const cmd = await RawClient.connect(port);
  try {
    await cmd.call('FLUSHALL');
    await cmd.call(['CONFIG', 'SET', 'notify-keyspace-events', flags]);
    await sub.call('PSUBSCRIBE __keyevent@0__:*');
    for (const c of commands) await cmd.call(c);
    await cmd.call(`PUBLISH ${SENTINEL} end`);
    const seen: string[] = [];
    for (;;) {
      const msg = (await sub.read()).value;
      const parts = (msg as { value: RespValue[] }).value.map((p) =>
        p.type === 'bulk' ? p.value.toString('latin1') : '',
      );
      if (parts[2] === SENTINEL) break;
      seen.push(`${parts[2].slice('__keyevent@0__:'.length)} ${escapeBytes(parts[3])}`);
    }
    return seen;
  } finally {
    await cmd.call('CONFIG SET notify-keyspace-events ""');
    sub.close();
    cmd.close();
  }
}

/** Fails unless both servers notify the same events, in the same order, for the commands. */
export async function assertSameEvents(
  redisPort: number,
  tsPort: number,
  commands: Array<string | string[]>,
  flags: string,
): Promise<void> {
  const [redis, ts] = await Promise.all([
    keyspaceEvents(redisPort, commands, flags),
    keyspaceEvents(tsPort, commands, flags),
  ]);
  assert.deepEqual(ts, redis);
}
