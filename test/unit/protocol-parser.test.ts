/** RequestParser on its own: every way of cutting the input gives the same commands; limits hold. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { latin1 } from '../../src/lib/latin1.js';
import {
  MAX_ARGUMENT_LEN,
  ProtocolError,
  QueryBufferLimitError,
  RequestParser,
} from '../../src/protocol/request-parser.js';
import { encodeCommand } from '../../src/protocol/resp-reader.js';

const LIMITS = { maxBulkLen: 512 * 1024 * 1024, maxQueryBuffer: 1024 * 1024 * 1024 };

/** Feeds the chunks and collects every command; a protocol error ends the list with its message. */
function parseAll(chunks: Buffer[], limits = LIMITS): Array<string[] | string> {
  const p = new RequestParser(limits);
  const out: Array<string[] | string> = [];
  try {
    for (const c of chunks) {
      p.append(c);
      for (let argv = p.next(); argv !== null; argv = p.next()) out.push(argv);
    }
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    out.push(`error: ${e.message}`);
  }
  return out;
}

const STREAM = Buffer.concat([
  encodeCommand(['SET', 'key', 'value']),
  Buffer.from('\r\n\nPING\r\nECHO "a b" \'c\'\n*0\r\n*-1\r\n', 'latin1'),
  encodeCommand(['SET', Buffer.from([0, 13, 10, 255]), '']),
  Buffer.from('GET key\r\n', 'latin1'),
  encodeCommand(['MSET', 'a', 'x'.repeat(300), 'b', '']),
]);
const EXPECTED = [
  ['SET', 'key', 'value'],
  ['PING'],
  ['ECHO', 'a b', 'c'],
  ['SET', '\x00\r\n\xff', ''],
  ['GET', 'key'],
  ['MSET', 'a', 'x'.repeat(300), 'b', ''],
];

describe('RequestParser', () => {
  test('whole input at once', () => {
    assert.deepEqual(parseAll([STREAM]), EXPECTED);
  });

  test('cut in two at every position', () => {
    for (let i = 1; i < STREAM.length; i++) {
      assert.deepEqual(parseAll([STREAM.subarray(0, i), STREAM.subarray(i)]), EXPECTED, `cut at ${i}`);
    }
  });

  test('one byte at a time', () => {
    const bytes = Array.from(STREAM, (b) => Buffer.from([b]));
    assert.deepEqual(parseAll(bytes), EXPECTED);
  });

  test('random chunkings, including reused socket buffers', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < STREAM.length; ) {
        const n = 1 + rand(40);
        // Copies: the parser must not keep references into a chunk it was handed earlier.
        chunks.push(Buffer.from(STREAM.subarray(i, i + n)));
        i += n;
      }
      assert.deepEqual(parseAll(chunks), EXPECTED);
    }
  });

  test('the chunk buffer may be reused by the caller after append', () => {
    const p = new RequestParser(LIMITS);
    const scratch = Buffer.alloc(4);
    const got: string[][] = [];
    for (let i = 0; i < STREAM.length; i += 4) {
      const n = STREAM.copy(scratch, 0, i, i + 4);
      p.append(Buffer.from(scratch.subarray(0, n)));
      scratch.fill(0x21);
      for (let argv = p.next(); argv !== null; argv = p.next()) got.push(argv);
    }
    assert.deepEqual(got, EXPECTED);
  });

  test('rawBufferOf: the exact bytes of canonical commands only, however the input is cut', () => {
    const canonical = [
      encodeCommand(['SET', 'key', 'value']),
      encodeCommand(['MSET', 'a', 'x'.repeat(300), 'b', '']),
    ];
    const input = Buffer.concat([
      canonical[0],
      Buffer.from('PING\r\n', 'latin1'),
      // Redis skips the two bytes after a bulk and the byte after a length line's CR unchecked:
      // such a command parses, but its bytes are not what re-encoding gives.
      Buffer.from('*2\r\n$3\r\nGETxx$1\r\nk\r\n*1\r\n$4\rxPING\r\n*1\rx$4\r\nPING\r\n', 'latin1'),
      canonical[1],
    ]);
    const rawOfEach = (chunks: Buffer[]) => {
      const p = new RequestParser(LIMITS);
      const out: Array<Buffer | null> = [];
      for (const c of chunks) {
        p.append(c);
        for (let argv = p.next(); argv !== null; argv = p.next()) {
          const buf = p.rawBufferOf(argv);
          out.push(buf === null ? null : Buffer.from(buf.subarray(p.rawStart, p.rawEnd)));
          if (buf !== null) assert.deepEqual(buf.subarray(p.rawStart, p.rawEnd), encodeCommand(argv));
        }
        // Once the parser moved on, no command's bytes are offered any more.
      }
      return out;
    };
    assert.deepEqual(rawOfEach([input]), [canonical[0], null, null, null, null, canonical[1]]);
    for (let i = 1; i < input.length; i++) {
      // Cut anywhere, a command is offered whole or not at all (never a wrong range).
      const got = rawOfEach([Buffer.from(input.subarray(0, i)), Buffer.from(input.subarray(i))]);
      assert.equal(got.length, 6);
      assert.deepEqual([got[1], got[2], got[3], got[4]], [null, null, null, null], `cut at ${i}`);
    }
    const p = new RequestParser(LIMITS);
    p.append(Buffer.from(canonical[0]));
    const argv = p.next()!;
    assert.notEqual(p.rawBufferOf(argv), null);
    assert.equal(p.next(), null);
    assert.equal(p.rawBufferOf(argv), null, 'released with the input');
  });

  test('latin1() equals Buffer#latin1Slice at every length, for every byte value', () => {
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff));
    for (let len = 0; len <= 40; len++) {
      for (let at = 0; at + len <= 256; at += 17) {
        assert.equal(latin1(bytes, at, at + len), bytes.latin1Slice(at, at + len), `length ${len} at ${at}`);
      }
    }
  });

  test('length lines: exact int64 edges', () => {
    assert.deepEqual(parseAll([Buffer.from('*-9223372036854775808\r\nPING\r\n')]), [['PING']]);
    assert.deepEqual(parseAll([Buffer.from('*-9223372036854775809\r\n')]), [
      'error: invalid multibulk length',
    ]);
    assert.deepEqual(parseAll([Buffer.from('*9223372036854775807\r\n')]), [
      'error: invalid multibulk length',
    ]);
    assert.deepEqual(parseAll([Buffer.from('*1\r\n$9223372036854775807\r\n')]), [
      'error: invalid bulk length',
    ]);
    assert.deepEqual(parseAll([Buffer.from('*1\r\n$-1\r\n')]), ['error: invalid bulk length']);
    assert.deepEqual(parseAll([Buffer.from('*2147483648\r\n')]), ['error: invalid multibulk length']);
  });

  test('a NUL before the line end blocks the line until the 64 KiB limit', () => {
    const p = new RequestParser(LIMITS);
    p.append(Buffer.from('*1\x00\r\n$4\r\nPING\r\n'));
    assert.equal(p.next(), null);
    p.append(Buffer.alloc(60_000, 'A'));
    assert.equal(p.next(), null);
    p.append(Buffer.alloc(6_000, 'A'));
    assert.throws(() => p.next(), /too big mbulk count string/);
  });

  test('proto-max-bulk-len and the string size cap are checked on the length line', () => {
    const limits = { maxBulkLen: 1000, maxQueryBuffer: 1 << 30 };
    assert.deepEqual(parseAll([Buffer.from('*1\r\n$1001\r\n')], limits), ['error: invalid bulk length']);
    assert.deepEqual(parseAll([Buffer.from('*1\r\n$1000\r\n')], limits), []);
    const trusted = new RequestParser(limits);
    trusted.trusted = true;
    trusted.append(Buffer.from('*1\r\n$1001\r\n'));
    assert.equal(trusted.next(), null, 'the master link may send bigger bulks');
    const huge = new RequestParser(LIMITS);
    huge.trusted = true;
    huge.append(Buffer.from(`*1\r\n$${MAX_ARGUMENT_LEN + 1}\r\n`));
    assert.throws(() => huge.next(), /invalid bulk length/);
  });

  test('unauthenticated clients: at most 10 arguments and 16384-byte bulks', () => {
    const p = new RequestParser(LIMITS);
    p.unauthenticated = true;
    p.append(Buffer.from('*10\r\n$16384\r\n'));
    assert.equal(p.next(), null);
    const q = new RequestParser(LIMITS);
    q.unauthenticated = true;
    q.append(Buffer.from('*11\r\n'));
    assert.throws(() => q.next(), /unauthenticated multibulk length/);
    const r = new RequestParser(LIMITS);
    r.unauthenticated = true;
    r.append(Buffer.from('*1\r\n$16385\r\n'));
    assert.throws(() => r.next(), /unauthenticated bulk length/);
  });

  test('client-query-buffer-limit counts an incomplete bulk, not parsed arguments', () => {
    const limits = { maxBulkLen: 4 << 20, maxQueryBuffer: 1 << 20 };
    const p = new RequestParser(limits);
    p.append(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n'));
    assert.equal(p.next(), null);
    p.append(Buffer.alloc(1 << 20));
    assert.throws(() => p.append(Buffer.alloc(10)), QueryBufferLimitError);

    const many = new RequestParser(limits);
    many.append(Buffer.from('*400001\r\n'));
    for (let i = 0; i < 40; i++) {
      many.append(Buffer.from('$1\r\nx\r\n'.repeat(10_000)));
      assert.equal(many.next(), null);
    }
    assert.equal(many.buffered, 0, 'parsed arguments are no longer buffered');

    const trusted = new RequestParser(limits);
    trusted.trusted = true;
    trusted.append(Buffer.from('*1\r\n$3000000\r\n'));
    trusted.next();
    trusted.append(Buffer.alloc(2 << 20));
    assert.equal(trusted.buffered, 2 << 20);
  });

  test('a bulk arriving in many small reads is copied linearly', () => {
    const size = 48 * 1024 * 1024;
    const p = new RequestParser(LIMITS);
    p.append(Buffer.from(`*2\r\n$4\r\nECHO\r\n$${size}\r\n`));
    assert.equal(p.next(), null);
    const chunk = Buffer.alloc(16 * 1024, 'z');
    const started = performance.now();
    let argv: string[] | null = null;
    for (let sent = 0; sent < size; sent += chunk.length) {
      p.append(chunk);
      argv = p.next();
    }
    p.append(Buffer.from('\r\n'));
    argv = p.next();
    const ms = performance.now() - started;
    assert.equal(argv?.[1].length, size);
    // Quadratic copying of 48 MB in 16 KB reads would move ~70 GB; linear is well under a second.
    assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  });

  test('a long inline line arriving byte by byte is scanned once', () => {
    const line = Buffer.from(`ECHO ${'y'.repeat(60_000)}\r\n`);
    const p = new RequestParser(LIMITS);
    const started = performance.now();
    let argv: string[] | null = null;
    for (let i = 0; i < line.length; i++) {
      p.append(line.subarray(i, i + 1));
      argv = p.next() ?? argv;
    }
    assert.equal(argv?.[1].length, 60_000);
    assert.ok(performance.now() - started < 3000);
  });
});
