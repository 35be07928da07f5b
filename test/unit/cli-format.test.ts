/**
 * Unit tests of tsredis-cli's pieces: reply formatting (expected texts are what redis-cli 7.0.15
 * prints for the same replies), option parsing, and the help renderer on the bundled docs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCsv, formatRaw, formatReply, formatTty } from '../../src/cli/format.js';
import { bundledEntries, helpText, sortEntries } from '../../src/cli/help.js';
import { atof, atoi, defaultOptions, parseArgs, parseRedisUri } from '../../src/cli/options.js';
import { CliExit } from '../../src/cli/output.js';
import { ReplyFrames } from '../../src/protocol/reply-frames.js';
import type { RespValue } from '../../src/protocol/resp-reader.js';
import { golden } from '../support/cli-support.js';

const bulk = (s: string): RespValue => ({ type: 'bulk', value: Buffer.from(s, 'latin1') });
const int = (n: number): RespValue => ({ type: 'integer', value: BigInt(n) });
const arr = (...v: RespValue[]): RespValue => ({ type: 'array', value: v });
const map = (...v: RespValue[]): RespValue => ({ type: 'map', value: v });
const set = (...v: RespValue[]): RespValue => ({ type: 'set', value: v });
const simple = (s: string): RespValue => ({ type: 'simple', value: s });
const err = (s: string): RespValue => ({ type: 'error', value: s });
const NIL: RespValue = { type: 'null' };

describe('tty formatting', () => {
  test('scalars', () => {
    assert.equal(formatTty(int(-5), ''), '(integer) -5\n');
    assert.equal(formatTty(simple('OK'), ''), 'OK\n');
    assert.equal(formatTty(err('ERR x'), ''), '(error) ERR x\n');
    assert.equal(formatTty(NIL, ''), '(nil)\n');
    assert.equal(formatTty(bulk(''), ''), '""\n');
    assert.equal(formatTty({ type: 'bool', value: true }, ''), '(true)\n');
    assert.equal(formatTty({ type: 'bool', value: false }, ''), '(false)\n');
    assert.equal(
      formatTty({ type: 'double', value: '0.10000000000000001' }, ''),
      '(double) 0.10000000000000001\n',
    );
    assert.equal(
      formatTty({ type: 'verbatim', format: 'txt', value: Buffer.from('a\nb') }, ''),
      'a\nb\n',
      'verbatim strings print as they are',
    );
  });

  test('binary-safe escaping of bulk strings (golden bulk-string-special)', () => {
    const v = bulk('line1\nline2 "quoted" tab\there \x00\xff end');
    assert.equal(formatTty(v, ''), golden('bulk-string-special.no-raw.txt').stdout);
    assert.equal(`${formatRaw(v, '\n')}\n`, golden('bulk-string-special.raw.txt').stdout);
  });

  test('nested arrays are numbered and indented by the index width (golden nested-array-eval)', () => {
    const v = arr(int(1), bulk('two'), arr(int(3), bulk('four'), arr()), NIL);
    assert.equal(formatTty(v, ''), golden('nested-array-eval.no-raw.txt').stdout);
    assert.equal(
      formatReply(v, 'raw', false, { mbDelim: '\n', cmdDelim: '\n' }),
      golden('nested-array-eval.raw.txt').stdout,
    );
    const ten = arr(...Array.from({ length: 10 }, (_, i) => (i === 0 ? arr(int(1), int(2)) : int(i))));
    assert.ok(formatTty(ten, '').startsWith(' 1) 1) (integer) 1\n    2) (integer) 2\n 2) (integer) 1\n'));
  });

  test('RESP3 aggregates: maps with "#" and "=>", sets with "~", empties', () => {
    assert.equal(
      formatTty(map(bulk('field1'), bulk('value1'), bulk('field2'), bulk('value 2')), ''),
      '1# "field1" => "value1"\n2# "field2" => "value 2"\n',
    );
    assert.equal(formatTty(set(bulk('a'), bulk('b')), ''), '1~ "a"\n2~ "b"\n');
    assert.equal(formatTty(map(), ''), '(empty hash)\n');
    assert.equal(formatTty(set(), ''), '(empty set)\n');
    assert.equal(formatTty(arr(), ''), '(empty array)\n');
    assert.equal(formatTty({ type: 'push', value: [] }, ''), '(empty push)\n');
    // A multi-line value starts on its own line, indented (as in XINFO STREAM with -3).
    assert.equal(
      formatTty(map(bulk('first-entry'), arr(bulk('1-1'), arr(bulk('a'), bulk('1')))), ''),
      '1# "first-entry" => \n   1) "1-1"\n   2) 1) "a"\n      2) "1"\n',
    );
    assert.equal(formatTty(map(bulk('k'), arr(int(1))), ''), '1# "k" => 1) (integer) 1\n');
  });

  test('raw and CSV', () => {
    assert.equal(formatRaw(map(bulk('a'), int(1), bulk('b'), NIL), '\n'), 'a 1\nb ');
    assert.equal(formatRaw({ type: 'bool', value: true }, '\n'), '(true)');
    assert.equal(formatRaw(err('ERR x'), '\n'), 'ERR x\n');
    assert.equal(formatRaw(arr(bulk('x'), bulk('y')), ','), 'x,y');
    assert.equal(
      formatCsv(arr(bulk('a"b'), int(3), NIL, { type: 'bool', value: false })),
      '"a\\"b",3,NULL,false',
    );
    assert.equal(formatCsv(err('ERR bad')), 'ERROR,"ERR bad"');
  });

  test('a big number reply is an unknown type for redis-cli 7.0: exit code 1', () => {
    assert.throws(
      () => formatTty({ type: 'bignum', value: '1234' }, ''),
      (e: unknown) => e instanceof CliExit && e.code === 1 && e.stderr === 'Unknown reply type: 13\n',
    );
  });
});

describe('option parsing', () => {
  test('C number parsing: atoi and atof prefixes', () => {
    assert.equal(atoi('6380'), 6380);
    assert.equal(atoi(' 12abc'), 12);
    assert.equal(atoi('abc'), 0);
    assert.equal(atoi('-3'), -3);
    assert.equal(atof('0.5s'), 0.5);
    assert.equal(atof('1e-1'), 0.1);
    assert.equal(atof('x'), 0);
  });

  test('redis:// URIs', () => {
    const o = defaultOptions(false);
    parseRedisUri('redis://us%65r:p%40ss@example.com:6390/4', o);
    assert.deepEqual([o.user, o.auth, o.host, o.port, o.dbnum], ['user', 'p@ss', 'example.com', 6390, 4]);
    const p = defaultOptions(false);
    parseRedisUri('REDIS://onlypass@/2', p);
    assert.deepEqual(
      [p.user, p.auth, p.host, p.port, p.dbnum],
      [undefined, 'onlypass', '127.0.0.1', 6379, 2],
    );
    assert.throws(() => parseRedisUri('rediss://h', defaultOptions(false)), /./);
  });

  test('options stop at the first non-option; defaults follow the tty', () => {
    const { options, command } = parseArgs(['-p', '7000', '-n', '2', '--raw', 'get', '-p'], true);
    assert.deepEqual([options.port, options.dbnum, options.output, command], [7000, 2, 'raw', ['get', '-p']]);
    assert.equal(parseArgs([], true).options.output, 'standard');
    assert.equal(parseArgs([], false).options.output, 'raw');
    assert.equal(parseArgs(['-i', '0.25'], false).options.intervalMs, 250);
  });

  test('unsupported redis-cli modes are refused, not ignored', () => {
    for (const opt of [['--pipe'], ['--bigkeys'], ['-c'], ['--rdb', 'x'], ['--cluster', 'info']]) {
      assert.throws(
        () => parseArgs(opt, false),
        (e: unknown) => e instanceof CliExit && e.code === 1 && /not supported/.test(e.stderr),
      );
    }
  });
});

describe('help from the bundled Redis 7.0.15 docs', () => {
  test('help set, help for a container, a group, unknown topics', async () => {
    const entries = sortEntries(await bundledEntries());
    assert.equal(
      helpText(['SET'], entries),
      '\r\n  \x1b[1mSET\x1b[0m \x1b[90mkey value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|' +
        'PXAT unix-time-milliseconds|KEEPTTL]\x1b[0m\r\n  \x1b[33msummary:\x1b[0m Set the string value of a key\r\n' +
        '  \x1b[33msince:\x1b[0m 1.0.0\r\n  \x1b[33mgroup:\x1b[0m string\r\n\r\n',
    );
    const xinfo = helpText(['xinfo'], entries);
    assert.deepEqual(
      [...xinfo.matchAll(/\x1b\[1m([^\x1b]+)\x1b/g)].map((m) => m[1]),
      ['XINFO', 'XINFO CONSUMERS', 'XINFO GROUPS', 'XINFO HELP', 'XINFO STREAM'],
    );
    assert.match(
      helpText(['client', 'kill'], entries),
      /CLIENT KILL\x1b\[0m \x1b\[90mip:port\|\[ID client-id\]\|/,
    );
    // redis-cli's built-in table shows MIGRATE's empty-string token as nothing.
    assert.match(helpText(['migrate'], entries), /host port key\| destination-db/);
    assert.match(helpText(['sort'], entries), /\[GET pattern \[GET pattern \.\.\.\]\]/);
    const group = helpText(['@hyperloglog'], entries);
    assert.equal(group.match(/summary/g)?.length, 5);
    assert.doesNotMatch(group, /group:/);
    assert.equal(helpText(['@nosuchgroup'], entries), '\r\n');
    assert.equal(helpText(['object', 'enc'], entries), '\r\n');
    assert.match(helpText([], entries), /^redis-cli 7\.0\.15\nTo get help about Redis commands type:\n/);
  });
});

describe('reply framing', () => {
  const replies = [
    '+OK\r\n',
    '$5\r\na\r\nbc\r\n',
    '$-1\r\n',
    '*-1\r\n',
    '*0\r\n',
    '*3\r\n:1\r\n*2\r\n$1\r\nx\r\n%1\r\n+k\r\n~2\r\n_\r\n#t\r\n$0\r\n\r\n',
    '>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n',
    '=8\r\ntxt:a\r\nb\r\n',
    ',1.5\r\n',
    '|1\r\n+a\r\n:1\r\n',
  ];

  test('whole replies come out one by one, however the bytes are split', () => {
    const all = Buffer.from(replies.join(''), 'latin1');
    for (const step of [1, 2, 3, 7, all.length]) {
      const f = new ReplyFrames();
      const got: string[] = [];
      for (let i = 0; i < all.length; i += step) {
        f.append(all.subarray(i, i + step));
        for (let frame = f.next(); frame !== undefined; frame = f.next()) got.push(frame.toString('latin1'));
      }
      assert.deepEqual(got, replies, `chunks of ${step}`);
    }
  });

  test('an unknown type byte ends the frame so the parser can report it', () => {
    const f = new ReplyFrames();
    f.append(Buffer.from('+OK\r\n?oops\r\n'));
    assert.equal(f.next()?.toString(), '+OK\r\n');
    assert.equal(f.next()?.toString(), '?oops\r\n');
    assert.equal(f.next(), undefined);
  });

  test('a reply of many elements is framed in linear time', () => {
    const n = 300_000;
    const parts = [`*${n}\r\n`];
    for (let i = 0; i < n; i++) parts.push(`$6\r\nv${String(i % 100000).padStart(5, '0')}\r\n`);
    const all = Buffer.from(parts.join(''));
    const f = new ReplyFrames();
    const started = Date.now();
    let frames = 0;
    for (let i = 0; i < all.length; i += 65536) {
      f.append(all.subarray(i, i + 65536));
      while (f.next() !== undefined) frames++;
    }
    assert.equal(frames, 1);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });
});
