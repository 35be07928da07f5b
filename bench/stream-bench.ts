/**
 * Stream consumer loop (part of `npm run bench`; alone: `node dist/bench/bench.js --only streams`):
 * a stream of 5-field events, a consumer group, and consumers that each loop XREADGROUP COUNT 10
 * then XACK of what they got, until the stream is drained. Entries per second and server CPU per
 * entry, the engines alternating round by round.
 */
import { performance } from 'node:perf_hooks';
import type { RespValue } from '../src/protocol/resp-reader.js';
import { BenchConnection, loadPipelined } from './loader.js';
import type { Target } from './servers.js';

export interface ConsumerLoopSample {
  entriesPerSecond: number;
  cpuMicrosPerEntry: number;
}

const KEY = 'bench:consumer-loop';

/** The five fields of a benchmark event (issue 17's memory and loop workload). */
export function eventFields(i: number): string[] {
  return [
    'type',
    'page_view',
    'user',
    `user:${i % 10_000}`,
    'path',
    `/p/${i % 997}`,
    'ms',
    String(i),
    'ok',
    '1',
  ];
}

function ids(reply: RespValue | undefined): string[] {
  // [[key, [[id, fields], …]]]
  if (reply?.type !== 'array' || reply.value.length === 0) return [];
  const stream = reply.value[0];
  if (stream.type !== 'array') return [];
  const entries = stream.value[1];
  if (entries?.type !== 'array') return [];
  return entries.value.map((e) =>
    e.type === 'array' && e.value[0].type === 'bulk' ? e.value[0].value.toString() : '',
  );
}

async function consume(port: number, name: string): Promise<number> {
  const c = await BenchConnection.open(port);
  let n = 0;
  try {
    for (;;) {
      const got = ids(await c.call(['XREADGROUP', 'GROUP', 'g', name, 'COUNT', '10', 'STREAMS', KEY, '>']));
      if (got.length === 0) return n;
      await c.call(['XACK', KEY, 'g', ...got]);
      n += got.length;
    }
  } finally {
    c.close();
  }
}

/** One round on one server: load, create the group, drain with `consumers` loops. */
export async function runConsumerLoop(
  target: Target,
  entries: number,
  consumers: number,
): Promise<ConsumerLoopSample> {
  const ctl = await BenchConnection.open(target.port);
  try {
    await ctl.call(['DEL', KEY]);
    await loadPipelined(target.port, entries, (i) => ['XADD', KEY, `${i + 1}-0`, ...eventFields(i)]);
    await ctl.call(['XGROUP', 'CREATE', KEY, 'g', '0']);
    const cpu0 = target.cpuMicros();
    const t0 = performance.now();
    const counts = await Promise.all(
      Array.from({ length: consumers }, (_, i) => consume(target.port, `c${i}`)),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = target.cpuMicros() - cpu0;
    const done = counts.reduce((a, b) => a + b, 0);
    if (done !== entries) throw new Error(`${target.name}: consumed ${done} of ${entries} entries`);
    await ctl.call(['DEL', KEY]);
    return { entriesPerSecond: done / seconds, cpuMicrosPerEntry: cpu / done };
  } finally {
    ctl.close();
  }
}
