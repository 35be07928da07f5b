/**
 * Protocol correctness on the wire: the golden captures of Redis 7.0.15's protocol errors, then
 * differential raw-byte exchanges against a real redis-server (same bytes back, and the same
 * decision to close the connection or keep it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunningServer } from '../../src/index.js';
import { encodeCommand } from '../../src/protocol/resp-reader.js';
import { canonical, DiffPair } from '../support/diff.js';
import { type GoldenCase, parseGoldenErrors } from '../support/golden-errors.js';
import {
  ByteConn,
  describe as describeResult,
  type ExchangeOptions,
  exchange,
  SENTINEL_REPLY,
} from '../support/protocol-exchange.js';
import { escapeBytes, RawClient, type Reply } from '../support/raw-client.js';
import {
  DIST,
  type ProcessServer,
  skipWithoutRedis,
  startRedis,
  startTsredis,
  startTsredisProcess,
} from '../support/servers.js';

const GOLDEN = join(DIST, '..', 'test', 'fixtures', 'protocol', 'errors.txt');
const SECRET = 'secret';

/** N arguments "x": completes a multibulk whose count line was already sent. */
function xArgs(n: number): Buffer {
  return Buffer.from('$1\r\nx\r\n'.repeat(n));
}

describe('protocol: golden captures §27-47 of errors.txt replayed against tsredis', () => {
  const cases = parseGoldenErrors(GOLDEN).filter((c) => c.id >= 27 && c.id <= 47);
  let plain: RunningServer;
  let secured: RunningServer;
  before(async () => {
    [plain, secured] = await Promise.all([startTsredis(), startTsredis({ config: { requirepass: SECRET } })]);
  });
  after(() => Promise.all([plain.stop(), secured.stop()]));

  test('the fixture has all 21 protocol cases', () => {
    assert.deepEqual(
      cases.map((c) => c.id),
      Array.from({ length: 21 }, (_, i) => 27 + i),
    );
  });

  for (const golden of cases) {
    test(`§${golden.id} ${golden.title}`, () =>
      replayGolden(golden, golden.servers.includes('D') ? secured : plain));
  }

  async function replayGolden(golden: GoldenCase, server: RunningServer): Promise<void> {
    const conn = await ByteConn.open(server.port);
    try {
      for (const step of golden.steps) {
        conn.write(step.sent);
        if (step.reply.kind === 'bytes') {
          const got = await conn.read(step.reply.bytes.length);
          assert.equal(escapeBytes(got), escapeBytes(step.reply.bytes));
        } else if (step.reply.kind === 'dropped') {
          assert.equal(escapeBytes(await conn.waitClosed()), '', 'dropped without a reply');
        } else {
          // "No reply, the server waits": complete the announced multibulk and check that the
          // first thing to come back is the reply to that command, on a connection still open.
          const count = /\*(\d+)\r\n$/.exec(step.sent.toString('latin1'));
          assert.ok(count !== null, 'a waiting case ends with a multibulk count');
          conn.write(xArgs(Number(count[1])));
          const line = (await conn.readLine()).toString('latin1');
          assert.match(line, /^-ERR unknown command 'x', with args beginning with: 'x' /);
          assert.equal(conn.closed, false);
        }
        if (step.closesAfter)
          assert.equal(escapeBytes(await conn.waitClosed()), '', 'closed after the reply');
      }
    } finally {
      conn.close();
    }
  }
});

/** One differential case: bytes to send (one write per element) and how the exchange ends. */
interface Case {
  name: string;
  send: Array<string | Buffer>;
  /** 'close': Redis closes the connection. 'open': it stays usable (a sentinel ECHO is answered). */
  until: 'close' | 'open';
  paced?: boolean;
}

const close = (name: string, ...send: Array<string | Buffer>): Case => ({ name, send, until: 'close' });
const open = (name: string, ...send: Array<string | Buffer>): Case => ({ name, send, until: 'open' });

/** Runs every case against both servers and fails with a listing of all differences. */
async function sameAsRedis(redisPort: number, tsPort: number, cases: Case[]): Promise<void> {
  const problems: string[] = [];
  for (const c of cases) {
    const options: ExchangeOptions = { until: c.until, paced: c.paced };
    const [r, t] = await Promise.all([
      exchange(redisPort, c.send, options).catch((e: Error) => e),
      exchange(tsPort, c.send, options).catch((e: Error) => e),
    ]);
    if (r instanceof Error) {
      problems.push(
        `  ${c.name}: redis-server did not behave as the case expects (${c.until}): ${r.message}`,
      );
      continue;
    }
    if (t instanceof Error) {
      problems.push(`  ${c.name}\n    redis:   ${describeResult(r)}\n    tsredis: <${t.message}>`);
      continue;
    }
    if (!r.bytes.equals(t.bytes) || r.closed !== t.closed) {
      problems.push(`  ${c.name}\n    redis:   ${describeResult(r)}\n    tsredis: ${describeResult(t)}`);
    }
  }
  if (problems.length > 0) assert.fail(`differs from redis-server 7.0:\n${problems.join('\n')}`);
}

const FILLER = 'A'.repeat(70_000);

describe('protocol: differential raw bytes against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let redis: ProcessServer;
  let ts: RunningServer;
  before(async () => {
    [redis, ts] = await Promise.all([startRedis(), startTsredis()]);
  });
  after(() => Promise.all([redis.stop(), ts.stop()]));
  const same = (cases: Case[]) => sameAsRedis(redis.port, ts.port, cases);

  test('protocol errors: exact text, then the connection is closed', () =>
    same([
      close('count not a number', '*abc\r\n'),
      close('count over INT_MAX', '*2147483648\r\n'),
      close('empty count', '*\r\n'),
      close('lone minus', '*-\r\n'),
      close('minus zero', '*-0\r\n'),
      close('leading zero', '*01\r\n'),
      close('space in count', '* 1\r\n'),
      close('trailing garbage in count', '*1x\r\n'),
      close('plus sign', '*+1\r\n'),
      close('INT64_MAX count', '*9223372036854775807\r\n'),
      close('count over int64', '*9223372036854775808\r\n'),
      close('negative count under int64', '*-9223372036854775809\r\n'),
      close('bulk length not a number', '*1\r\n$abc\r\n'),
      close('negative bulk length', '*1\r\n$-5\r\n'),
      close('bulk length -0', '*1\r\n$-0\r\n'),
      close('bulk length +4', '*1\r\n$+4\r\n'),
      close('bulk length 04', '*1\r\n$04\r\n'),
      close('empty bulk length', '*1\r\n$\r\n'),
      close('bulk over proto-max-bulk-len', '*1\r\n$536870913\r\n'),
      close('bulk length over int64', '*1\r\n$9223372036854775808\r\n'),
      close("expected '$', got 'P'", '*1\r\nPING\r\n'),
      close("expected '$', got CR (shown as a space)", '*1\r\n\r\n'),
      close("expected '$', got ':'", '*2\r\n$4\r\nECHO\r\n:1\r\n'),
      close("expected '$', got a high byte", '*1\r\n\xff\r\n'),
      close('unbalanced double quote', 'SET "abc\r\n'),
      close('text after a closing double quote', 'SET "a"b c\r\n'),
      close('text after a closing single quote', "SET 'a'b c\r\n"),
      close('unbalanced single quote', "ECHO 'abc\r\n"),
      close('too big inline request', FILLER),
      close('too big mbulk count string', `*${'1'.repeat(70_000)}`),
      close('too big bulk count string', `*1\r\n$${'1'.repeat(70_000)}`),
      close('commands before the error are answered', 'PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n'),
      close('error inside a pipeline of inline commands', 'ECHO a\r\nECHO "b\r\nECHO c\r\n'),
    ]));

  test('a NUL byte stops the search for a line end (Redis uses strchr): waits, then too big', () =>
    same([
      close('NUL in a multibulk count', '*1\x00\r\n', FILLER),
      close('NUL in a bulk length', '*1\r\n$4\x00\r\n', FILLER),
      close('NUL where $ is expected', '*1\r\n\x00\r\n', FILLER),
      close('NUL in an inline command', 'PING\x00x\r\n', FILLER),
      close('NUL before LF', 'PING\r\x00\n', FILLER),
      close('NUL line', '\x00\r\n', FILLER),
      close('answers what came before the NUL', '*1\r\n$4\r\nPING\r\n*1\x00\r\n', FILLER),
      open('NUL inside bulk data is just data', '*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n'),
    ]));

  test('accepted oddities: empty and negative counts, the byte after CR is not checked', () =>
    same([
      open('negative count is skipped', '*-1\r\n*1\r\n$4\r\nPING\r\n'),
      open('INT64_MIN count is skipped', '*-9223372036854775808\r\nPING\r\n'),
      open('zero count is skipped', '*0\r\n*0\r\nPING\r\n'),
      open('CR followed by any byte', '*1\r\n$4\rxPING\r\n'),
      open('bulk followed by any two bytes', '*1\r\n$4\r\nPINGxx'),
      open('empty bulks', '*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n'),
    ]));

  test('inline commands: quoting, escapes, line ends, empty lines', () =>
    same([
      open('PING', 'PING\r\n'),
      open('LF only', 'ECHO hi\n'),
      open('empty lines are ignored', '\r\n\n\r\nPING\r\n'),
      open('LF-only empty lines', '\n\n\nPING\n'),
      open('lone CRs', '\r\r\nPING\r\n'),
      open('whitespace-only line', ' \t \x0b\r\n'),
      open('hex and C escapes', 'ECHO "a\\x41\\n\\z"\r\n'),
      open('escaped single quote', "ECHO 'b\\'c'\r\n"),
      open('short hex escape', 'ECHO "a\\x4"\r\n'),
      open('bad hex escape', 'ECHO "\\x4g"\r\n'),
      open('upper-case X is no escape', 'ECHO "\\XFF"\r\n'),
      open('mixed-case hex digits', 'ECHO "\\xFf\\x00z"\r\n'),
      open('all C escapes', 'ECHO "\\r\\t\\b\\a\\\\\\""\r\n'),
      open('empty double-quoted', 'ECHO ""\r\n'),
      open('empty single-quoted', "ECHO ''\r\n"),
      open('single quotes keep backslashes', "ECHO 'a\\nb'\r\n"),
      open('quotes inside the other kind', 'ECHO \'a"b\'\r\nECHO "a\'b"\r\n'),
      open('tabs and vertical tab', '  ECHO\t\x0bx \r\n'),
      open('CR inside a line splits words', 'ECHO a\rb\r\n'),
      open('CR without LF inside', 'PING\rPING\r\n'),
      open('two quoted args', 'ECHO "a" "b"\r\n'),
      open('CR CR LF', 'ECHO "x"\r\r\n'),
      open('high bytes', 'ECHO \xff\x80\r\n'),
      open('case-insensitive names', 'ping\r\nPING\r\nPiNg\r\n'),
      open('quoted space in a value', 'SET k "a b"\r\nGET k\r\n'),
      open('wrong arity inline', 'GET\r\n'),
      open('unknown inline command with args', 'FOO bar "baz qux"\r\n'),
      open('inline and multibulk mixed', 'ECHO x\r\n*1\r\n$4\r\nPING\r\nECHO y\n'),
    ]));

  test('unknown command texts keep Redis quirks (NUL cuts, CR/LF become spaces, 128-char cut)', () =>
    same([
      open('NUL in the command name', '*1\r\n$3\r\na\x00b\r\n'),
      open('NUL in an argument', '*2\r\n$1\r\nx\r\n$3\r\nc\x00d\r\n'),
      open('CR LF in the name', '*1\r\n$4\r\na\r\nb\r\n'),
      open('long name and arguments', encodeCommand(['z'.repeat(300), 'y'.repeat(200), 'w'.repeat(50)])),
      open(
        'many short arguments',
        encodeCommand(['nope', ...Array.from({ length: 100 }, (_, i) => `a${i}`)]),
      ),
    ]));

  test('HTTP-looking requests: the connection is dropped without a reply', () =>
    same([
      close('POST', 'POST / HTTP/1.1\r\nHost: x\r\n\r\n'),
      close('Host: alone', 'Host: example.com\r\n'),
      close('GET then Host:', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      close('post as multibulk', '*2\r\n$4\r\npost\r\n$1\r\nx\r\n'),
      close('inside MULTI', 'MULTI\r\nPOST / HTTP/1.1\r\n'),
    ]));

  test('pipelining: 100k commands in one write', () => {
    const many = Buffer.from('*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n'.repeat(100_000));
    const mixed = Buffer.from('INCR ctr2\r\n*2\r\n$3\r\nGET\r\n$4\r\nctr2\r\n'.repeat(20_000));
    return same([open('100k INCR', many), open('40k mixed inline and multibulk', mixed)]);
  });

  test('pipelining: commands split into 1-byte writes', () => {
    const stream =
      '*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$2\r\nk1\r\nECHO "a b"\r\n\r\n*-1\r\nPING\n';
    return same([{ name: 'byte by byte', send: [...stream], until: 'open', paced: true }]);
  });

  test('binary safety: all 256 byte values in keys and values', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const reversed = Buffer.from(all).reverse();
    const singles = Array.from({ length: 256 }, (_, i) => Buffer.from([i]));
    const cmds: Buffer[] = [
      encodeCommand(['SET', all, reversed]),
      encodeCommand(['GET', all]),
      encodeCommand(['STRLEN', all]),
      encodeCommand(['APPEND', all, Buffer.from('\x00\r\n\xff', 'latin1')]),
      encodeCommand(['GET', all]),
      encodeCommand(['EXISTS', all, reversed]),
      encodeCommand(['TYPE', all]),
      encodeCommand(['MSET', ...singles.flatMap((b) => [b, Buffer.concat([b, b])])]),
      encodeCommand(['MGET', ...singles]),
      encodeCommand(['ECHO', all]),
      encodeCommand(['DEL', all, ...singles]),
    ];
    return same([open('256 byte values', Buffer.concat(cmds))]);
  });

  test('a 64 MB value spanning many TCP reads', () => {
    const big = Buffer.alloc(64 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    return same([
      open(
        '64 MB SET, STRLEN, GET, DEL',
        encodeCommand(['SET', 'big', big]),
        encodeCommand(['STRLEN', 'big']),
        encodeCommand(['GET', 'big']),
        encodeCommand(['DEL', 'big']),
      ),
    ]);
  });
});

describe('protocol: size limits, differential', { skip: skipWithoutRedis() }, () => {
  // proto-max-bulk-len above client-query-buffer-limit, so a bulk can be legal yet too much to buffer.
  const config = { 'proto-max-bulk-len': '4mb', 'client-query-buffer-limit': '1mb' };
  let redis: ProcessServer;
  let ts: RunningServer;
  before(async () => {
    [redis, ts] = await Promise.all([
      startRedis(Object.entries(config).flatMap(([k, v]) => [`--${k}`, v])),
      startTsredis({ config }),
    ]);
  });
  after(() => Promise.all([redis.stop(), ts.stop()]));
  const setHeader = (len: number) => `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${len}\r\n`;

  test('proto-max-bulk-len is checked on the length line, before any data', () =>
    sameOn(redis, ts, [
      close('one over the limit', setHeader(4 * 1024 * 1024 + 1)),
      close('far over the limit', setHeader(536870913)),
      open('a value under both limits', setHeader(1_000_000), Buffer.alloc(1_000_000, 'v'), '\r\n'),
    ]));

  test('CONFIG SET of the limits applies to the next length line', async () => {
    const conns = await Promise.all([RawClient.connect(redis.port), RawClient.connect(ts.port)]);
    const setAll = (name: string, value: string) =>
      Promise.all(
        conns.map(async (c) => assert.equal(await c.callRaw(['CONFIG', 'SET', name, value]), '+OK\r\n')),
      );
    try {
      await setAll('proto-max-bulk-len', '1mb');
      await sameOn(redis, ts, [
        close('over the lowered limit', setHeader(1024 * 1024 + 1)),
        open('under the lowered limit', setHeader(1_000_000), Buffer.alloc(1_000_000, 'v'), '\r\n'),
      ]);
    } finally {
      await setAll('proto-max-bulk-len', '4mb');
      for (const c of conns) c.close();
    }
  });

  test('client-query-buffer-limit closes a client streaming an incomplete command', () =>
    sameOn(redis, ts, [
      close(
        'a legal 2 MB bulk is more than the query buffer may hold',
        setHeader(2_000_000),
        Buffer.alloc(1_500_000),
      ),
      close('exactly the limit plus CRLF', setHeader(1024 * 1024), Buffer.alloc(1024 * 1024), '\r\n'),
      open('parsed arguments do not count: 300k small args', '*300000\r\n', xArgs(299_999), '$1\r\nx\r\n'),
      open(
        'complete big commands back to back',
        Buffer.concat([
          Buffer.from(setHeader(1_000_000)),
          Buffer.alloc(1_000_000, 'a'),
          Buffer.from(`\r\n${setHeader(1_000_000)}`),
          Buffer.alloc(1_000_000, 'b'),
          Buffer.from('\r\n'),
        ]),
      ),
    ]));
});

function sameOn(redis: ProcessServer, ts: RunningServer, cases: Case[]): Promise<void> {
  return sameAsRedis(redis.port, ts.port, cases);
}

describe('protocol: unauthenticated limits with requirepass, differential', {
  skip: skipWithoutRedis(),
}, () => {
  let redis: ProcessServer;
  let ts: RunningServer;
  before(async () => {
    [redis, ts] = await Promise.all([
      startRedis(['--requirepass', SECRET]),
      startTsredis({ config: { requirepass: SECRET } }),
    ]);
  });
  after(() => Promise.all([redis.stop(), ts.stop()]));

  test('*11 and $16385 are refused before AUTH, allowed after', () =>
    sameOn(redis, ts, [
      close('11 arguments', '*11\r\n'),
      open('10 arguments', '*10\r\n', xArgs(10)),
      close('a 16385-byte bulk', '*2\r\n$4\r\nAUTH\r\n$16385\r\n'),
      close('a 16385-byte command name', '*1\r\n$16385\r\n'),
      open('a 16384-byte password', '*2\r\n$4\r\nAUTH\r\n$16384\r\n', Buffer.alloc(16384, 'p'), '\r\n'),
      open('NOAUTH, and the limits still apply', 'PING\r\nGET k\r\n'),
      open('after AUTH: 11 arguments', 'AUTH secret\r\n*11\r\n', xArgs(11)),
      open('after AUTH: a big bulk', 'AUTH secret\r\n', encodeCommand(['ECHO', 'e'.repeat(20_000)])),
      close('after a failed AUTH the limits stay', 'AUTH wrong\r\n*11\r\n'),
      close('POST before AUTH', 'POST / HTTP/1.1\r\n'),
      close('inline too big before AUTH', FILLER),
    ]));
});

/** HELLO's reply with the client id blanked out (ids differ between servers). */
function helloWithoutId(redisReply: Reply, tsReply: Reply): string | null {
  const strip = (r: Reply) => canonical(r.value).replace(/(\$id(?:=>|,)):\d+/, '$1:ID');
  if (redisReply.value.type !== tsReply.value.type) return 'different reply types';
  return strip(redisReply) === strip(tsReply) ? null : 'different HELLO reply';
}

describe('protocol: RESP3 (HELLO 3) encodings against RESP2, differential', {
  skip: skipWithoutRedis(),
}, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('nulls, maps and errors in RESP3, then back to RESP2', () =>
    pair.run([
      'GET missing',
      'MGET missing',
      { cmd: 'HELLO 3', compare: helloWithoutId },
      'GET missing',
      'SET k v',
      'GET k',
      'SET k v2 GET',
      'SET fresh v GET',
      'SET k v NX',
      'MGET k missing k',
      'INCR n',
      'EXISTS k fresh missing',
      'ECHO ""',
      'PING',
      'PING hi',
      'GET',
      'INCR k',
      'DEL k fresh',
      'TYPE missing',
      { raw: 'GET missing\r\n*2\r\n$3\r\nGET\r\n$1\r\nn\r\n', replies: 2 },
      { cmd: 'HELLO', compare: helloWithoutId },
      { cmd: 'HELLO 3 SETNAME conn1', compare: helloWithoutId },
      'HELLO 4',
      'HELLO 1',
      'HELLO abc',
      { cmd: 'HELLO 2', compare: helloWithoutId },
      'GET missing',
      'MGET missing k',
      'SET k v NX',
    ]));

  test('doubles, maps and sets in both protocols', () => {
    const script = [
      'ZADD z 1.5 a 0.1 b -inf c',
      'ZSCORE z a',
      'ZSCORE z b',
      'ZSCORE z c',
      'ZSCORE z missing',
      'ZINCRBY z 0.2 b',
      'ZRANGE z 0 -1 WITHSCORES',
      'ZMSCORE z a missing',
      'INCRBYFLOAT f 1.5',
      'HSET h f1 v1',
      'HGETALL h',
      'HGETALL missing',
      'HGET h missing',
      'SADD s m',
      'SMEMBERS s',
    ];
    return pair.run([
      ...script,
      'DEL z f h s',
      { cmd: 'HELLO 3', compare: helloWithoutId },
      ...script,
      { cmd: 'HELLO 2', compare: helloWithoutId },
    ]);
  });
});

/** A process's resident memory and its peak, in bytes (Linux /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

describe('protocol: a 200 MB value on a tsredis-server process', {
  skip: process.platform !== 'linux',
}, () => {
  let proc: ProcessServer;
  before(async () => {
    proc = await startTsredisProcess();
  });
  after(() => proc.stop());

  test('SET takes linear time and bounded memory; GET returns it intact', async () => {
    const size = 200 * 1024 * 1024;
    const value = Buffer.alloc(size, 'v');
    value.write('head', 0, 'latin1');
    value.write('tail', size - 4, 'latin1');
    const before = memoryOf(proc.proc.pid!);
    const started = performance.now();
    const set = await exchange(proc.port, [encodeCommand(['SET', 'big', value])], {
      until: 'open',
      timeoutMs: 60_000,
    });
    const ms = performance.now() - started;
    const after = memoryOf(proc.proc.pid!);
    assert.equal(set.bytes.subarray(0, 5).toString(), '+OK\r\n');
    // Quadratic buffering of 200 MB in socket-sized reads would take minutes; linear takes about a second.
    assert.ok(ms < 20_000, `SET took ${ms.toFixed(0)} ms`);
    // The read buffer and the stored string are each as big as the value; allow for collectable garbage.
    const grown = after.peak - before.rss;
    assert.ok(grown < 5 * size, `peak memory grew by ${(grown / 2 ** 20).toFixed(0)} MB`);

    const got = await exchange(proc.port, [encodeCommand(['GET', 'big'])], {
      until: 'open',
      timeoutMs: 60_000,
    });
    const header = `$${size}\r\n`;
    assert.equal(got.bytes.length, header.length + size + 2 + SENTINEL_REPLY.length);
    assert.equal(got.bytes.subarray(0, header.length + 4).toString('latin1'), `${header}head`);
    assert.equal(
      got.bytes.subarray(header.length + size - 4, header.length + size + 2).toString('latin1'),
      'tail\r\n',
    );
  });
});
