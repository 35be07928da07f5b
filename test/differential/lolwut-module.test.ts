/**
 * LOLWUT, MODULE and MEMORY MALLOC-STATS / PURGE against redis-server 7.0: the replies tools
 * probe (module lists, load errors and their log lines), and LOLWUT's art where it is not random.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DiffPair } from '../support/diff.js';
import { RawClient } from '../support/raw-client.js';
import { nodesOfThisFile } from '../support/replication.js';
import { skipWithoutRedis, tempDir } from '../support/servers.js';

describe('LOLWUT: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('the version line, VERSION parsing, and Schotter rows that are not random', () =>
    pair.run([
      'LOLWUT',
      'LOLWUT 10 20',
      'LOLWUT VERSION',
      'LOLWUT VERSION 7',
      'LOLWUT VERSION 4',
      'LOLWUT VERSION 56',
      'LOLWUT VERSION -1',
      'LOLWUT VERSION abc',
      'LOLWUT VERSION 5 abc',
      'LOLWUT VERSION 6 10 abc',
      // Rows 0 and 1 of squares are drawn without randomness.
      'LOLWUT VERSION 5 66 8 2',
      'LOLWUT VERSION 5 20 3 1',
      'LOLWUT VERSION 5 1 1 1',
      'LOLWUT VERSION 5 0 0 0',
      'LOLWUT VERSION 5 2000 300 2',
      'LOLWUT VERSION 5 7 13 2',
      'HELLO 3',
      'LOLWUT VERSION 5 30 5 2',
      'LOLWUT',
    ]));

  test('the random pieces have the same frame: size, characters, caption', async () => {
    const lines = async (port: number, argv: string[]) => {
      const c = await RawClient.connect(port);
      const r = (await c.call(argv)).value as { value: Buffer };
      c.close();
      return r.value.toString('utf8').split('\n');
    };
    for (const argv of [
      ['LOLWUT', 'VERSION', '5'],
      ['LOLWUT', 'VERSION', '5', '40', '6', '9'],
      ['LOLWUT', 'VERSION', '6'],
      ['LOLWUT', 'VERSION', '6', '33', '7'],
    ]) {
      const [redis, ts] = await Promise.all([lines(pair.redis.port, argv), lines(pair.ts.port, argv)]);
      assert.equal(ts.length, redis.length, argv.join(' '));
      assert.deepEqual(ts.slice(-3), redis.slice(-3), argv.join(' '));
      const shape = (l: string) =>
        l.replace(/\x1b\[0;(30;40|90;100|37;47|97;107)m \x1b\[0m/g, 'P').replace(/[\u2800-\u28ff]/g, 'B');
      assert.deepEqual(ts.slice(0, -3).map(shape), redis.slice(0, -3).map(shape), argv.join(' '));
    }
  });
});

describe('MODULE and MEMORY MALLOC-STATS / PURGE like a redis-server without modules', {
  skip: skipWithoutRedis(),
}, () => {
  const node = nodesOfThisFile();
  const dir = tempDir('tsredis-module-');
  const script = join(dir, 'script.so');
  const tiny = join(dir, 'tiny.so');
  const plain = join(dir, 'plain.so');
  const folder = join(dir, 'folder.so');
  writeFileSync(script, `#!/bin/sh\n${'echo not a module\n'.repeat(8)}`);
  chmodSync(script, 0o755);
  writeFileSync(tiny, 'ab');
  chmodSync(tiny, 0o755);
  writeFileSync(plain, 'x'.repeat(100));
  mkdirSync(folder);

  test('refused while enable-module-command is no; LIST and HELP still answer', async () => {
    const pair = await DiffPair.start();
    try {
      await pair.run([
        'MODULE LIST',
        'MODULE HELP',
        `MODULE LOAD ${script}`,
        `MODULE LOADEX ${script}`,
        'MODULE UNLOAD foo',
        'MODULE LOAD',
        'MODULE LIST extra',
        'MODULE NOPE',
        'MEMORY HELP',
        'MEMORY PURGE',
        'MEMORY PURGE extra',
        'MEMORY MALLOC-STATS extra',
        { cmd: 'MEMORY MALLOC-STATS', compare: 'type' },
      ]);
    } finally {
      await pair.stop();
    }
  });

  test('LOAD and LOADEX of files that are not modules: the same error and log lines', async () => {
    const args = ['--enable-module-command', 'yes', '--loglevel', 'notice'];
    const [redis, ts] = await Promise.all([node('redis', args), node('tsredis', args)]);
    const commands = [
      ['MODULE', 'LOAD', script],
      ['MODULE', 'LOAD', tiny],
      ['MODULE', 'LOAD', plain],
      ['MODULE', 'LOAD', folder],
      ['MODULE', 'LOAD', join(dir, 'missing.so'), 'a', 'b'],
      ['MODULE', 'LOADEX', script, 'CONFIG', 'a', 'b', 'ARGS', 'x'],
      ['MODULE', 'LOADEX', script, 'CONFIG', 'a'],
      ['MODULE', 'LOADEX', script, 'FOO'],
      ['MODULE', 'UNLOAD', 'foo'],
      ['MODULE', 'LIST'],
    ];
    const replies = async (port: number) => {
      const c = await RawClient.connect(port);
      const out: string[] = [];
      for (const argv of commands) out.push((await c.call(argv)).raw.toString());
      c.close();
      return out;
    };
    assert.deepEqual(await replies(ts.port), await replies(redis.port));
    const logLines = (s: typeof redis) =>
      s
        .output()
        .split('\n')
        .filter((l) => /Module |CONFIG specified|Syntax Error from/.test(l))
        .map((l) => l.replace(/^\d+:[MSC] \d+ \w+ \d+ [\d:.]+ /, ''));
    await ts.waitForOutput(/Syntax Error from arguments to loadex around FOO\./);
    await redis.waitForOutput(/Syntax Error from arguments to loadex around FOO\./);
    assert.deepEqual(logLines(ts), logLines(redis));
  });
});
