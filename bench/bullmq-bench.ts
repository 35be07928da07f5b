/**
 * BullMQ jobs per second (issue 16; part of `npm run bench`, alone: `--only bullmq`): a queue
 * filled with addBulk, then one Worker (concurrency 50) runs no-op jobs until all completed, as
 * BullMQ's own scripts move each job (waiting → active → completed, events to the stream). The
 * engines alternate round by round.
 */
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import type { Target } from './servers.js';

export interface JobsSample {
  jobsPerSecond: number;
  cpuMicrosPerJob: number;
}

export async function runBullmqRound(target: Target, jobs: number): Promise<JobsSample> {
  const connection = { host: '127.0.0.1', port: target.port };
  const name = `bench-${Date.now()}`;
  const queue = new Queue(name, { connection });
  try {
    for (let i = 0; i < jobs; i += 1000) {
      const n = Math.min(1000, jobs - i);
      await queue.addBulk(Array.from({ length: n }, (_, k) => ({ name: 'job', data: { n: i + k } })));
    }
    const cpu0 = target.cpuMicros();
    const t0 = performance.now();
    let done = 0;
    const finished = new Promise<void>((resolve) => {
      const worker = new Worker(name, async () => 'ok', { connection, concurrency: 50 });
      worker.on('completed', () => {
        if (++done === jobs) {
          resolve();
          void worker.close();
        }
      });
    });
    await finished;
    const seconds = (performance.now() - t0) / 1000;
    return { jobsPerSecond: jobs / seconds, cpuMicrosPerJob: (target.cpuMicros() - cpu0) / jobs };
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}
