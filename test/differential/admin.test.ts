/**
 * SHUTDOWN: a tsredis-server process exits with code 0 and Redis's log lines; the shutdown hooks
 * persistence and replication register can refuse it (FORCE overrides), and SHUTDOWN ABORT cancels
 * a shutdown whose hooks are still running.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ShutdownOptions } from '../../src/core/context.js';
import { RawClient } from '../support/raw-client.js';
import { DIST, skipWithoutRedis, startRedis, startTsredis, startTsredisProcess } from '../support/servers.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'info');

/** Log lines from "User requested shutdown" on, with pid and time masked. */
function shutdownLines(log: string): string[] {
  const lines = log
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\d+:([A-Z]) \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} /, 'PID:$1 TIME '));
  return lines.slice(lines.findIndex((l) => l.includes('User requested shutdown')));
}

describe('SHUTDOWN', () => {
  test('a tsredis-server process exits with code 0 after the same log lines as redis', async () => {
    const srv = await startTsredisProcess();
    const exited = new Promise<number | null>((resolve) => srv.proc.once('exit', (code) => resolve(code)));
    const c = await RawClient.connect(srv.port);
    c.send('SHUTDOWN');
    // Like Redis, no reply: the connection just closes.
    await assert.rejects(c.read(), /connection closed/);
    assert.equal(await exited, 0);
    const golden = shutdownLines(
      readFileSync(join(FIXTURES, 'log-start-stop-nologo.txt'), 'latin1').replace(/^\[.*\]$/gm, ''),
    );
    assert.deepEqual(shutdownLines(srv.output()), golden);
    await srv.stop();
  });

  test('redis also closes the connection without a reply', { skip: skipWithoutRedis() }, async () => {
    const redis = await startRedis();
    const exited = new Promise<number | null>((resolve) => redis.proc.once('exit', (code) => resolve(code)));
    const c = await RawClient.connect(redis.port);
    c.send('SHUTDOWN NOSAVE NOW');
    await assert.rejects(c.read(), /connection closed/);
    assert.equal(await exited, 0);
    await redis.stop();
  });

  test('hooks receive the options and can refuse; FORCE overrides them', async () => {
    const srv = await startTsredis();
    const seen: ShutdownOptions[] = [];
    srv.server.events.onShutdown('persistence', (options) => {
      seen.push(options);
      return false;
    });
    const c = await RawClient.connect(srv.port);
    assert.equal(await c.callRaw('SHUTDOWN'), '-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
    assert.equal(await c.callRaw('SHUTDOWN NOSAVE NOW'), '-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
    assert.equal(await c.callRaw('PING'), '+PONG\r\n');
    assert.deepEqual(seen, [
      { save: null, now: false, force: false },
      { save: false, now: true, force: false },
    ]);
    c.send('SHUTDOWN SAVE FORCE');
    await assert.rejects(c.read(), /connection closed/);
    assert.deepEqual(seen[2], { save: true, now: false, force: true });
    await assert.rejects(RawClient.connect(srv.port));
  });

  test('SHUTDOWN ABORT cancels a shutdown whose hooks are still running', async () => {
    const lines: string[] = [];
    const srv = await startTsredis({ log: (line) => lines.push(line) });
    let finish: (ok: boolean) => void = () => {};
    const remove = srv.server.events.onShutdown(
      'persistence',
      () => new Promise<boolean>((resolve) => (finish = resolve)),
    );
    const a = await RawClient.connect(srv.port);
    const b = await RawClient.connect(srv.port);
    a.send('SHUTDOWN');
    assert.equal(await b.callRaw('PING'), '+PONG\r\n');
    assert.equal(await b.callRaw('SHUTDOWN ABORT'), '+OK\r\n');
    assert.equal((await a.read()).raw.toString(), '-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
    finish(true);
    assert.equal(await a.callRaw('PING'), '+PONG\r\n');
    assert.equal(await b.callRaw('SHUTDOWN ABORT'), '-ERR No shutdown in progress.\r\n');
    assert.ok(lines.some((l) => l.includes('* Shutdown manually aborted.')));
    a.close();
    b.close();
    remove();
    await srv.stop();
  });
});
