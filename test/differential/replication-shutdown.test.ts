/**
 * shutdown-timeout: a master that shuts down waits (writes paused) for its replicas to
 * acknowledge the whole stream, at most shutdown-timeout seconds, then names the lagging ones —
 * so writes acknowledged to clients are not lost with it. Log lines compared with redis-server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RawClient } from '../support/raw-client.js';
import { type Engine, startNode, waitInSync } from '../support/replication.js';
import { ReplicationTap } from '../support/replication-tap.js';
import { skipWithoutRedis } from '../support/servers.js';

const ENGINES: Engine[] = ['redis', 'tsredis'];

/** The shutdown's log lines from "User requested shutdown" on, numbers and addresses masked. */
function shutdownLines(output: string): string[] {
  const lines = output.split('\n');
  const from = lines.findIndex((l) => l.includes('User requested shutdown'));
  return lines
    .slice(from)
    .filter((l) => /replica|Waiting|shutdown|abort/i.test(l))
    .map((l) =>
      l
        .replace(/^\d+:[A-Z] \d\d \w{3} \d{4} [\d:.]+ /, '')
        .replace(/\d+\.\d+\.\d+\.\d+:\d+/g, 'ADDR')
        .replace(/\d+/g, 'N'),
    );
}

describe('shutdown waits for lagging replicas (shutdown-timeout), differential', {
  skip: skipWithoutRedis(),
}, () => {
  test('a replica that never acknowledges: writes pause, the wait ends at the timeout, it is named', async () => {
    const seen = new Map<Engine, string[]>();
    for (const engine of ENGINES) {
      const master = await startNode(engine, ['--shutdown-timeout', '1']);
      const tap = await ReplicationTap.connect(master.port);
      const c = await RawClient.connect(master.port);
      assert.equal(await c.callRaw('SET k v'), '+OK\r\n');
      await tap.waitForKey('k');
      const started = Date.now();
      c.send('SHUTDOWN NOSAVE');
      await master.waitForOutput(/Waiting for replicas before shutting down/);
      // Writes wait meanwhile (a second connection's SET gets no reply until the end).
      const writer = await RawClient.connect(master.port);
      writer.send('SET other 1');
      await assert.rejects(writer.read(300), /timeout/);
      assert.equal(await master.stop(), 0);
      const took = Date.now() - started;
      assert.ok(took >= 900 && took < 5000, `${engine} shut down after ${took} ms`);
      seen.set(engine, shutdownLines(master.output()));
      writer.close();
      c.close();
    }
    assert.deepEqual(seen.get('tsredis'), seen.get('redis'));
    assert.ok(
      seen
        .get('tsredis')!
        .some((l) =>
          /^# Lagging replica \S+ reported offset N behind master, lag=N, state=online\.$/.test(l),
        ),
    );
    assert.ok(seen.get('tsredis')!.includes('* N of N replicas are in sync when shutting down.'));
  });

  test('SHUTDOWN NOW and shutdown-timeout 0 do not wait', async () => {
    for (const engine of ENGINES) {
      for (const [args, command] of [
        [['--shutdown-timeout', '10'], 'SHUTDOWN NOSAVE NOW'],
        [['--shutdown-timeout', '0'], 'SHUTDOWN NOSAVE'],
      ] as const) {
        const master = await startNode(engine, [...args]);
        const tap = await ReplicationTap.connect(master.port);
        const c = await RawClient.connect(master.port);
        await c.callRaw('SET k v');
        await tap.waitForKey('k');
        const started = Date.now();
        c.send(command);
        assert.equal(await master.stop(), 0);
        assert.ok(Date.now() - started < 2000, `${engine} ${command} waited`);
        assert.doesNotMatch(master.output(), /Waiting for replicas/);
        c.close();
      }
    }
  });

  test('SHUTDOWN ABORT ends the wait: writes go on, the server keeps serving', async () => {
    const seen = new Map<Engine, string[]>();
    for (const engine of ENGINES) {
      const master = await startNode(engine, ['--shutdown-timeout', '30']);
      const tap = await ReplicationTap.connect(master.port);
      const a = await RawClient.connect(master.port);
      const b = await RawClient.connect(master.port);
      await a.callRaw('SET k v');
      await tap.waitForKey('k');
      a.send('SHUTDOWN NOSAVE');
      await master.waitForOutput(/Waiting for replicas before shutting down/);
      assert.equal(await b.callRaw('SHUTDOWN ABORT'), '+OK\r\n');
      assert.equal((await a.read()).raw.toString(), '-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
      assert.equal(await b.callRaw('SET after abort'), '+OK\r\n');
      seen.set(engine, shutdownLines(master.output()));
      a.close();
      b.close();
      await master.stop('SIGKILL');
    }
    assert.deepEqual(seen.get('tsredis'), seen.get('redis'));
  });

  test('replicas in sync: the shutdown goes at once and says so', async () => {
    for (const engine of ENGINES) {
      const master = await startNode(engine, ['--shutdown-timeout', '10']);
      const replica = await startNode(engine, ['--replicaof', '127.0.0.1', String(master.port)]);
      const c = await RawClient.connect(master.port);
      await c.callRaw('SET k v');
      await waitInSync(master.port, 1);
      const started = Date.now();
      c.send('SHUTDOWN NOSAVE');
      assert.equal(await master.stop(), 0);
      assert.ok(Date.now() - started < 3000);
      assert.match(master.output(), /\* 1 of 1 replicas are in sync when shutting down\./);
      c.close();
      await replica.stop();
    }
  });
});
