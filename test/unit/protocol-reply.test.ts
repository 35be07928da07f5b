/** RespWriter: every reply type in RESP2 and RESP3, byte for byte as Redis 7.0 encodes them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RespWriter } from '../../src/protocol/reply.js';
import { escapeBytes } from '../support/raw-client.js';

function encode(resp: 2 | 3, write: (w: RespWriter) => void): string {
  const w = new RespWriter(8);
  w.resp = resp;
  write(w);
  return escapeBytes(w.take() ?? Buffer.alloc(0));
}

/** [what, RESP2 bytes, RESP3 bytes] */
const CASES: Array<[string, (w: RespWriter) => void, string, string]> = [
  ['ok', (w) => w.ok(), '+OK\\r\\n', '+OK\\r\\n'],
  ['simple', (w) => w.simple('PONG'), '+PONG\\r\\n', '+PONG\\r\\n'],
  ['error', (w) => w.error('ERR x'), '-ERR x\\r\\n', '-ERR x\\r\\n'],
  ['error with CR/LF inside', (w) => w.error('ERR a\r\nb'), '-ERR a  b\\r\\n', '-ERR a  b\\r\\n'],
  ['integer', (w) => w.integer(-42), ':-42\\r\\n', ':-42\\r\\n'],
  ['integer 0', (w) => w.integer(0), ':0\\r\\n', ':0\\r\\n'],
  ['integer 2^32', (w) => w.integer(4294967296), ':4294967296\\r\\n', ':4294967296\\r\\n'],
  [
    'integer int64 max',
    (w) => w.integer(9223372036854775807n),
    ':9223372036854775807\\r\\n',
    ':9223372036854775807\\r\\n',
  ],
  [
    'integer int64 min',
    (w) => w.integer(-9223372036854775808n),
    ':-9223372036854775808\\r\\n',
    ':-9223372036854775808\\r\\n',
  ],
  ['bulk', (w) => w.bulk('a\x00\xff'), '$3\\r\\na\\x00\\xff\\r\\n', '$3\\r\\na\\x00\\xff\\r\\n'],
  ['empty bulk', (w) => w.bulk(''), '$0\\r\\n\\r\\n', '$0\\r\\n\\r\\n'],
  [
    'bulkBytes',
    (w) => w.bulkBytes(Buffer.from([1, 2])),
    '$2\\r\\n\\x01\\x02\\r\\n',
    '$2\\r\\n\\x01\\x02\\r\\n',
  ],
  ['null bulk', (w) => w.nil(), '$-1\\r\\n', '_\\r\\n'],
  ['null array', (w) => w.nilArray(), '*-1\\r\\n', '_\\r\\n'],
  ['bulkOrNil(null)', (w) => w.bulkOrNil(null), '$-1\\r\\n', '_\\r\\n'],
  [
    'array',
    (w) => w.bulks(['a', 'b']),
    '*2\\r\\n$1\\r\\na\\r\\n$1\\r\\nb\\r\\n',
    '*2\\r\\n$1\\r\\na\\r\\n$1\\r\\nb\\r\\n',
  ],
  ['empty array', (w) => w.array(0), '*0\\r\\n', '*0\\r\\n'],
  ['map', (w) => w.map(2), '*4\\r\\n', '%2\\r\\n'],
  ['set', (w) => w.set(3), '*3\\r\\n', '~3\\r\\n'],
  ['push', (w) => w.push(3), '*3\\r\\n', '>3\\r\\n'],
  ['double', (w) => w.double(1.5), '$3\\r\\n1.5\\r\\n', ',1.5\\r\\n'],
  ['double %.17g', (w) => w.double(0.1), '$19\\r\\n0.10000000000000001\\r\\n', ',0.10000000000000001\\r\\n'],
  ['double integral', (w) => w.double(3), '$1\\r\\n3\\r\\n', ',3\\r\\n'],
  ['double exponent', (w) => w.double(1e21), '$5\\r\\n1e+21\\r\\n', ',1e+21\\r\\n'],
  ['double inf', (w) => w.double(Infinity), '$3\\r\\ninf\\r\\n', ',inf\\r\\n'],
  ['double -inf', (w) => w.double(-Infinity), '$4\\r\\n-inf\\r\\n', ',-inf\\r\\n'],
  ['bool', (w) => w.bool(true), ':1\\r\\n', '#t\\r\\n'],
  ['bool false', (w) => w.bool(false), ':0\\r\\n', '#f\\r\\n'],
  ['verbatim', (w) => w.verbatim('hello'), '$5\\r\\nhello\\r\\n', '=9\\r\\ntxt:hello\\r\\n'],
  ['verbatim markdown', (w) => w.verbatim('# x', 'mkd'), '$3\\r\\n# x\\r\\n', '=7\\r\\nmkd:# x\\r\\n'],
  [
    'big number',
    (w) => w.bigNumber('12345678901234567890'),
    '$20\\r\\n12345678901234567890\\r\\n',
    '(12345678901234567890\\r\\n',
  ],
];

describe('RespWriter encodings', () => {
  for (const [what, write, resp2, resp3] of CASES) {
    test(what, () => {
      assert.equal(encode(2, write), resp2, 'RESP2');
      assert.equal(encode(3, write), resp3, 'RESP3');
    });
  }

  test('multi-digit lengths and integers', () => {
    const edges = [9, 10, 11, 99, 100, 101, 999, 1000, 12345, 1_000_000, 2147483647, 2147483648, 4294967295];
    for (const n of [...edges, ...edges.map((x) => -x)]) {
      assert.equal(
        encode(2, (w) => w.integer(n)),
        `:${n}\\r\\n`,
      );
      assert.equal(
        encode(2, (w) => w.array(n)),
        `*${n}\\r\\n`,
      );
    }
    const long = 'q'.repeat(12345);
    assert.equal(
      encode(2, (w) => w.bulk(long)),
      `$12345\\r\\n${long}\\r\\n`,
    );
  });

  test('take() hands over everything written and leaves the writer empty', () => {
    const w = new RespWriter(16);
    assert.equal(w.take(), null);
    for (let i = 0; i < 1000; i++) w.integer(i);
    const first = w.take()!;
    assert.equal(first.toString('latin1').split('\r\n').length - 1, 1000);
    assert.equal(w.size, 0);
    w.ok();
    assert.equal(w.take()!.toString(), '+OK\r\n');
    // The first buffer is not reused under the caller's feet.
    assert.ok(first.toString('latin1').startsWith(':0\r\n:1\r\n'));
  });

  test('truncate and discard drop replies', () => {
    const w = new RespWriter();
    w.ok();
    const mark = w.size;
    w.simple('QUEUED');
    w.truncate(mark);
    assert.equal(w.take()!.toString(), '+OK\r\n');
    w.ok();
    w.discard();
    assert.equal(w.take(), null);
  });

  test('onError sees every error text', () => {
    const w = new RespWriter();
    const seen: string[] = [];
    w.onError = (m) => seen.push(m);
    w.error('ERR one');
    w.error('WRONGTYPE two');
    assert.deepEqual(seen, ['ERR one', 'WRONGTYPE two']);
  });
});

describe('RespWriter buffers: bounded pieces, limits checked as replies are queued', () => {
  const MB = 1024 * 1024;
  /** Everything pending, in write order: the full pieces, then the current one. */
  function drain(w: RespWriter): { pieces: Buffer[]; bytes: Buffer } {
    const pieces = [...w.takeChunks()];
    const rest = w.pending();
    if (rest !== null) pieces.push(Buffer.from(rest));
    w.release(true);
    return { pieces, bytes: Buffer.concat(pieces) };
  }

  test('300 bulks of 1 MB become pieces of at most about 1 MB, nothing lost or reordered', () => {
    const w = new RespWriter();
    const value = 'v'.repeat(MB);
    for (let i = 0; i < 300; i++) {
      w.integer(i);
      w.bulk(value);
    }
    let expected = 0;
    for (let i = 0; i < 300; i++) expected += `:${i}\r\n$${MB}\r\n`.length + MB + 2;
    assert.equal(w.size, expected);
    const { pieces, bytes } = drain(w);
    assert.ok(pieces.length >= 150, `${pieces.length} pieces`);
    for (const p of pieces) assert.ok(p.length <= 2 * MB + 64, `a piece of ${p.length} bytes`);
    let at = 0;
    for (let i = 0; i < 300; i++) {
      const head = `:${i}\r\n$${MB}\r\n`;
      assert.equal(bytes.toString('latin1', at, at + head.length), head);
      at += head.length + MB + 2;
    }
    assert.equal(at, bytes.length);
    assert.equal(w.size, 0);
  });

  test('truncate reaches back into full pieces (CLIENT REPLY SKIP of a huge reply)', () => {
    const w = new RespWriter();
    w.simple('before');
    const mark = w.size;
    for (let i = 0; i < 5; i++) w.bulk('x'.repeat(MB));
    w.truncate(mark);
    w.simple('after');
    assert.equal(drain(w).bytes.toString(), '+before\r\n+after\r\n');
  });

  test('over the limit, what follows is dropped and memory stays bounded', () => {
    const w = new RespWriter();
    const asked: number[] = [];
    w.overLimit = (size) => {
      asked.push(size);
      return size > 4 * MB;
    };
    for (let i = 0; i < 100; i++) w.bulk('y'.repeat(MB));
    assert.ok(w.dropped);
    assert.ok(w.size <= MB + 64, `${w.size} bytes kept`);
    assert.equal(w.pending(), null);
    // Asked as the output grew, not once per reply.
    assert.ok(asked.length < 20, `${asked.length} checks`);
    assert.ok(asked.some((s) => s > 4 * MB));
  });
});
