/**
 * tsredis-cli reproduces redis-cli 7.0.15's output for every reply kind, byte for byte: the golden
 * captures in test/fixtures/cli (taken with the real redis-cli) are replayed against tsredis and
 * against a real redis-server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { golden, loadGoldenData, Pty, runCli } from '../support/cli-support.js';
import { RawClient } from '../support/raw-client.js';
import {
  CLI_BIN,
  type ProcessServer,
  skipWithoutRedis,
  startRedis,
  startTsredis,
} from '../support/servers.js';

interface Case {
  file: string;
  args: string[];
  /** Replies whose order depends on the server's hashing: compare the printed elements as a set. */
  unordered?: boolean;
  /** Needs a command tsredis may not have yet (skipped there when it answers "unknown command"). */
  optional?: boolean;
}

const MODES: Array<[string, string[]]> = [
  ['no-raw', ['--no-raw']],
  ['raw', ['--raw']],
  ['resp3-no-raw', ['-3', '--no-raw']],
];

const COMMANDS: Array<Omit<Case, 'file'> & { name: string }> = [
  { name: 'integer', args: ['INCR', 'counter'] },
  { name: 'integer-negative', args: ['DECRBY', 'negcounter', '5'] },
  { name: 'simple-string', args: ['SET', 'k', 'v'] },
  { name: 'simple-string-pong', args: ['PING'] },
  { name: 'bulk-string', args: ['GET', 'str'] },
  { name: 'bulk-string-special', args: ['GET', 'special'] },
  { name: 'bulk-string-empty', args: ['ECHO', ''] },
  { name: 'nil', args: ['GET', 'missing'] },
  { name: 'empty-array', args: ['KEYS', 'nomatch*'] },
  { name: 'array', args: ['LRANGE', 'l', '0', '-1'] },
  { name: 'nested-array-command-info', args: ['COMMAND', 'INFO', 'get'] },
  {
    name: 'nested-array-eval',
    args: ['EVAL', "return {1, 'two', {3, 'four', {}}, redis.call('GET','missing')}", '0'],
    optional: true,
  },
  { name: 'error-wrong-arity', args: ['GET'] },
  { name: 'error-wrongtype', args: ['INCR', 'h'] },
  { name: 'error-unknown-command', args: ['FOOBAR', 'a', 'b'] },
  { name: 'hgetall', args: ['HGETALL', 'h'] },
  { name: 'zrange-withscores', args: ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'] },
  { name: 'smembers', args: ['SMEMBERS', 's'], unordered: true },
  { name: 'hello', args: ['HELLO', '3'] },
];

function cases(): Array<Case & { mode: string[] }> {
  const out: Array<Case & { mode: string[] }> = [];
  for (const c of COMMANDS) {
    for (const [suffix, mode] of MODES) {
      const file = `${c.name}.${suffix}.txt`;
      try {
        golden(file);
      } catch {
        continue; // not captured in this mode
      }
      out.push({ ...c, file, mode });
    }
  }
  return out;
}

/** Sorted element lines without their "N) " / "N~ " index, for unordered replies. */
function elements(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\s*\d+[)~#] /, ''))
    .sort();
}

/** HELLO's client id differs from run to run. */
function maskVolatile(text: string): string {
  return text.replace(/("id" => \(integer\) )\d+/, '$1N');
}

async function replayGolden(port: number, c: Case & { mode: string[] }): Promise<void> {
  const g = golden(c.file);
  const client = await RawClient.connect(port);
  // The golden runs changed the counters once per mode: start from the value each one had.
  const printed = /(-?\d+)\n$/.exec(g.stdout);
  if (c.args[0] === 'INCR' && c.args[1] === 'counter' && printed !== null) {
    await client.call(['SET', 'counter', String(Number(printed[1]) - 1)]);
  }
  if (c.args[0] === 'DECRBY' && printed !== null) {
    await client.call(['SET', 'negcounter', String(Number(printed[1]) + 5)]);
  }
  client.close();
  const r = await runCli(['-p', String(port), ...c.mode, ...c.args]);
  if (c.optional && /unknown command/.test(r.stdout)) return;
  assert.equal(r.code, g.exitCode, `${c.file}: exit code`);
  assert.equal(r.stderr, g.stderr, `${c.file}: stderr`);
  if (c.unordered) assert.deepEqual(elements(r.stdout), elements(g.stdout), c.file);
  else assert.equal(maskVolatile(r.stdout), maskVolatile(g.stdout), c.file);
}

function goldenSuite(name: string, start: () => Promise<{ port: number; stop: () => Promise<unknown> }>) {
  describe(name, () => {
    let server: { port: number; stop: () => Promise<unknown> };
    before(async () => {
      server = await start();
      await loadGoldenData(server.port);
    });
    after(() => server.stop());

    for (const c of cases()) {
      test(`${c.file}: ${c.mode.join(' ')} ${c.args.join(' ')}`, () => replayGolden(server.port, c));
    }

    for (const mode of ['no-raw', 'raw']) {
      test(`stdin-pipeline.${mode}: one reply per piped line`, async () => {
        const g = golden(`stdin-pipeline.${mode}.txt`);
        const r = await runCli(['-p', String(server.port), `--${mode}`], {
          input: `${g.stdinLines.join('\n')}\n`,
        });
        assert.equal(r.stdout, g.stdout);
        assert.equal(r.stderr, g.stderr);
        assert.equal(r.code, g.exitCode);
      });
    }

    test('stdout not a tty and no flag: raw formatting, like --raw', async () => {
      for (const args of [
        ['HGETALL', 'h'],
        ['INCR', 'h'],
        ['GET', 'missing'],
        ['GET', 'special'],
      ]) {
        const plain = await runCli(['-p', String(server.port), ...args]);
        const raw = await runCli(['-p', String(server.port), '--raw', ...args]);
        assert.equal(plain.stdout, raw.stdout, args.join(' '));
        assert.equal(plain.code, 0);
      }
    });

    test('FAKETTY forces the tty formatting', async () => {
      const r = await runCli(['-p', String(server.port), 'HGETALL', 'h'], { env: { FAKETTY: '1' } });
      assert.equal(r.stdout, golden('hgetall.no-raw.txt').stdout);
    });

    test('INFO is printed as text even in --no-raw mode (CRLF kept, no quotes)', async () => {
      const r = await runCli(['-p', String(server.port), '--no-raw', 'INFO', 'server']);
      const g = golden('info-server.no-raw.txt');
      assert.ok(r.stdout.startsWith('# Server\r\nredis_version:7.0.15\r\n'), r.stdout.slice(0, 80));
      assert.ok(g.stdout.startsWith('# Server\r\nredis_version:7.0.15\r\n'));
      assert.ok(r.stdout.endsWith('\r\n\n') === g.stdout.endsWith('\r\n\n'), 'same ending as redis-cli');
    });

    test('tty captures: same text through a pseudo-terminal', { skip: !Pty.available() }, async () => {
      for (const [file, args] of [
        ['hgetall.tty.txt', 'HGETALL h'],
        ['error-wrongtype.tty.txt', 'INCR h'],
        ['nil.tty.txt', 'GET missing'],
      ]) {
        const pty = new Pty(`${process.execPath} ${CLI_BIN} -p ${server.port} ${args}`);
        try {
          const code = await pty.exited;
          assert.equal(code, 0);
          assert.equal(pty.output, golden(file).pty.replace(/\r\n/g, '\n'), file);
        } finally {
          pty.kill();
        }
      }
    });
  });
}

goldenSuite('tsredis-cli golden outputs against tsredis', async () => {
  const s: RunningServer = await startTsredis();
  return { port: s.port, stop: () => s.stop() };
});

describe('against redis-server', { skip: skipWithoutRedis() }, () => {
  goldenSuite('tsredis-cli golden outputs against redis-server 7.0', async () => {
    const s: ProcessServer = await startRedis();
    return { port: s.port, stop: () => s.stop() };
  });
});
