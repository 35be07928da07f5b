/** tsredis-cli --stat: redis-cli's rolling statistics line, from INFO, with reconnects. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { bytesToHuman, infoField, statLine } from '../../src/cli/stat.js';
import { startServer } from '../../src/index.js';
import { runCli } from '../support/cli-support.js';
import { CLI_BIN, freePort, skipWithoutRedis, startRedis } from '../support/servers.js';

const HEADER =
  '------- data ------ --------------------- load -------------------- - child -\n' +
  'keys       mem      clients blocked requests            connections          \n';

/** keys, mem, clients, blocked, "requests (+delta)", connections: redis-cli's column widths. */
const LINE =
  /^\d+ +(?:-?\d+B|-?\d+\.\d\d[KMGT]) +\d+ +\d+ +\d+ \(\+\d+\) +\d+ +(?:SAVE|AOF|SAVE\+AOF|LOAD)?$/;

const SAMPLE_INFO =
  '# Server\r\nredis_version:7.0.15\r\n# Clients\r\nconnected_clients:2\r\nblocked_clients:1\r\n' +
  '# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n# Persistence\r\nloading:0\r\n' +
  'async_loading:0\r\nbgsave_in_progress:1\r\naof_rewrite_in_progress:0\r\n# Stats\r\n' +
  'total_connections_received:7\r\ntotal_commands_processed:100\r\n# Keyspace\r\n' +
  'db0:keys=3,expires=0,avg_ttl=0\r\ndb2:keys=10,expires=1,avg_ttl=5\r\n';

describe('--stat formatting', () => {
  test('a line has redis-cli column widths; the first shows +0, later ones the difference', () => {
    const first = statLine(SAMPLE_INFO, undefined);
    assert.equal(first.line, '13         1.00M    2       1       100 (+0)            7           SAVE\n');
    const second = statLine(SAMPLE_INFO.replace(':100\r', ':142\r'), first.requests);
    assert.equal(second.line, '13         1.00M    2       1       142 (+42)           7           SAVE\n');
  });

  test('fields missing from INFO are shown as "-" instead of garbage', () => {
    assert.equal(
      statLine('# Server\r\n', undefined).line,
      `${'0'.padEnd(11)}-        -       -       - (+0)              -           \n`,
    );
  });

  test('getInfoField semantics: first occurrence, value up to CR or comma', () => {
    assert.equal(infoField(SAMPLE_INFO, 'db2:keys'), '10');
    assert.equal(infoField(SAMPLE_INFO, 'used_memory'), '1048576');
    assert.equal(infoField(SAMPLE_INFO, 'nothere'), undefined);
  });

  test('bytesToHuman', () => {
    assert.equal(bytesToHuman(0), '0B');
    assert.equal(bytesToHuman(1023), '1023B');
    assert.equal(bytesToHuman(1536), '1.50K');
    assert.equal(bytesToHuman(5 * 1024 * 1024), '5.00M');
    assert.equal(bytesToHuman(3 * 1024 ** 3), '3.00G');
    assert.equal(bytesToHuman(-2048), '-2.00K');
  });
});

async function statLines(port: number, ms: number): Promise<string[]> {
  const r = await runCli(['-p', String(port), '--stat', '-i', '0.1'], { killAfterMs: ms });
  assert.ok(r.stdout.startsWith(HEADER), r.stdout);
  return r.stdout.slice(HEADER.length).split('\n').slice(0, -1);
}

describe('--stat against servers', () => {
  test('tsredis: a header, then one line per interval', async () => {
    const srv = await startServer();
    try {
      const lines = await statLines(srv.port, 800);
      assert.ok(lines.length >= 3, lines.join('\n'));
      for (const l of lines) assert.match(l, LINE);
      // Each INFO is one more command processed.
      assert.match(lines[1], / \(\+1\) /);
    } finally {
      await srv.stop();
    }
  });

  test('redis-server: same format', { skip: skipWithoutRedis() }, async () => {
    const srv = await startRedis();
    try {
      const lines = await statLines(srv.port, 800);
      assert.ok(lines.length >= 3, lines.join('\n'));
      for (const l of lines) assert.match(l, LINE);
      assert.match(lines[1], / \(\+1\) /);
    } finally {
      await srv.stop();
    }
  });

  test('INFO error: "ERROR: ..." and exit code 1; no server: exit code 1', async () => {
    const srv = await startServer({ config: { requirepass: 'pw' } });
    try {
      const r = await runCli(['-p', String(srv.port), '--stat']);
      assert.equal(r.stdout, 'ERROR: NOAUTH Authentication required.\n');
      assert.equal(r.code, 1);
    } finally {
      await srv.stop();
    }
    const port = await freePort();
    const r = await runCli(['-p', String(port), '--stat']);
    assert.equal(r.stderr, `Could not connect to Redis at 127.0.0.1:${port}: Connection refused\n`);
    assert.equal(r.code, 1);
  });

  test('keeps going across a server restart ("Reconnecting... N")', async () => {
    const port = await freePort();
    let srv = await startServer({ port });
    const child = spawn(process.execPath, [CLI_BIN, '-p', String(port), '--stat', '-i', '0.1']);
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('latin1');
    });
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 500 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 20));
      assert.match(out, re);
    };
    try {
      await waitFor(/\(\+1\)/);
      await srv.stop();
      await waitFor(/\r\x1b\[0KReconnecting\.\.\. 1\r/);
      srv = await startServer({ port });
      const mark = out.length;
      await waitFor(new RegExp(`^[^]{${mark}}[^]*\\r\\x1b\\[0K\\d+ [^\\n]*\\n[^\\n]*\\n`));
    } finally {
      child.kill();
      await srv.stop();
    }
  });
});
