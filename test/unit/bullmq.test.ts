/**
 * BullMQ (installed from npm) against a tsredis server, end to end: its Lua scripts move jobs
 * between lists, sorted sets and hashes, and write every state change to the queue's event
 * stream, which QueueEvents reads with XREAD BLOCK. Jobs added, processed by a Worker, retried
 * after a failure, delayed, and each completion heard by a QueueEvents listener.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Job, Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { RunningServer } from '../../src/index.js';
import { startTsredis } from '../support/servers.js';

let server: RunningServer;
let connection: { host: string; port: number };
before(async () => {
  server = await startTsredis();
  connection = { host: '127.0.0.1', port: server.port };
});
after(async () => {
  await server.stop();
});

describe('BullMQ on tsredis', () => {
  test('a worker processes jobs; QueueEvents hears each completion through the event stream', async () => {
    const queue = new Queue('mail', { connection });
    const events = new QueueEvents('mail', { connection });
    const worker = new Worker('mail', async (job: Job) => ({ sent: job.data.to.toUpperCase() }), {
      connection,
      concurrency: 4,
    });
    try {
      await events.waitUntilReady();
      const n = 20;
      const completed = new Map<string, string>();
      const allHeard = new Promise<void>((resolve) => {
        events.on('completed', ({ jobId, returnvalue }) => {
          completed.set(jobId, typeof returnvalue === 'string' ? returnvalue : JSON.stringify(returnvalue));
          if (completed.size === n) resolve();
        });
      });
      const jobs = await queue.addBulk(
        Array.from({ length: n }, (_, i) => ({ name: 'send', data: { to: `user${i}@example.com` } })),
      );
      await allHeard;
      for (const job of jobs)
        assert.deepEqual(JSON.parse(completed.get(job.id as string) as string), {
          sent: job.data.to.toUpperCase(),
        });
      const counts = await queue.getJobCounts('completed', 'waiting', 'active', 'failed');
      assert.deepEqual(counts, { completed: n, waiting: 0, active: 0, failed: 0 });
      // The event stream is a real stream: trimmed by BullMQ with XADD MAXLEN ~.
      const client = new Redis(connection);
      try {
        assert.equal(await client.type('bull:mail:events'), 'stream');
        assert.ok((await client.xlen('bull:mail:events')) > 0);
      } finally {
        client.disconnect();
      }
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  test('a failing job is retried with backoff, then completes; a delayed job waits its delay', async () => {
    const queue = new Queue('flaky', { connection });
    const events = new QueueEvents('flaky', { connection });
    let attempts = 0;
    const worker = new Worker(
      'flaky',
      async (job: Job) => {
        if (job.name === 'retry' && ++attempts < 3) throw new Error(`attempt ${attempts} fails`);
        return job.name;
      },
      { connection },
    );
    try {
      await events.waitUntilReady();
      const failed: string[] = [];
      events.on('failed', ({ failedReason }) => failed.push(failedReason));
      const retry = await queue.add('retry', {}, { attempts: 5, backoff: { type: 'fixed', delay: 20 } });
      assert.equal(await retry.waitUntilFinished(events, 10_000), 'retry');
      assert.deepEqual(failed, []);
      assert.equal(attempts, 3);
      const startedAt = Date.now();
      const delayed = await queue.add('later', {}, { delay: 300 });
      assert.equal(await queue.getJobState(delayed.id as string), 'delayed');
      assert.equal(await delayed.waitUntilFinished(events, 10_000), 'later');
      assert.ok(Date.now() - startedAt >= 300, 'not processed before its delay');
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
