import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { crc64 } from '../../src/lib/crc64.js';
import { lzfCompress, lzfDecompress } from '../../src/lib/lzf.js';
import { formatDouble } from '../../src/lib/numbers.js';
import { quoteRepr } from '../../src/protocol/split-args.js';
import { RdbError } from '../../src/rdb/cursor.js';
import { decodeListpack, encodeListpack } from '../../src/rdb/listpack.js';
import { type RdbEntry, type RdbValue, readRdb } from '../../src/rdb/reader.js';
import { RdbWriter } from '../../src/rdb/writer.js';
import { decodeIntset, encodeIntset } from '../../src/rdb/ziplist.js';
import type { StreamValue } from '../../src/store/types/stream.js';
import { formatId, MAX_ID } from '../../src/store/types/stream-id.js';
import { DIST } from '../support/servers.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'rdb');

/** Renders a value the way the golden *.expected.txt files do. */
function render(v: RdbValue): string {
  switch (v.type) {
    case 'string':
      return quoteRepr(v.value);
    case 'list':
      return `[${v.items.map(quoteRepr).join(', ')}]`;
    case 'set':
      return `{${[...v.members].sort(byBytes).map(quoteRepr).join(', ')}}`;
    case 'hash': {
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i < v.pairs.length; i += 2) pairs.push([v.pairs[i], v.pairs[i + 1]]);
      pairs.sort((a, b) => byBytes(a[0], b[0]));
      return `{${pairs.map(([f, x]) => `${quoteRepr(f)}: ${quoteRepr(x)}`).join(', ')}}`;
    }
    case 'zset':
      // Redis writes skiplists from the tail; order by score then member as the expected file does.
      v.entries.sort((a, b) => a[1] - b[1] || byBytes(a[0], b[0]));
      return `[${v.entries.map(([m, s]) => `${quoteRepr(m)}: ${formatDouble(s)}`).join(', ')}]`;
    case 'stream':
      return renderStream(v.value);
  }
}

/** A stream as the golden files print it: entries, ids and counters, groups with their consumers. */
function renderStream(s: StreamValue): string {
  const entries: string[] = [];
  s.range(0n, MAX_ID, false, (e) => {
    const f = e.fields();
    const pairs: string[] = [];
    for (let i = 0; i < f.length; i += 2) pairs.push(`${quoteRepr(f[i])}: ${quoteRepr(f[i + 1])}`);
    entries.push(`${e.idText()} {${pairs.join(', ')}}`);
    return true;
  });
  const groups = s.sortedGroups().map((g) => {
    const read = g.entriesRead === -1n ? 'nil' : String(g.entriesRead);
    const consumers = g
      .sortedConsumers()
      .map((c) => `${c.name}(pending=${c.pel.size})`)
      .join(',');
    return `${g.name}(last-delivered-id=${formatId(g.lastId)} pending=${g.pel.size} entries-read=${read} consumers=[${consumers}])`;
  });
  return (
    `entries=[${entries.join(', ')}] length=${s.length} last-generated-id=${formatId(s.lastId)} ` +
    `max-deleted-entry-id=${formatId(s.maxDeletedId)} entries-added=${s.entriesAdded} groups=[${groups.join(', ')}]`
  );
}

function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

describe('RDB reader over files written by redis-server 7.0.15', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.rdb'));
  for (const file of files) {
    const name = file.slice(0, -4);
    const expected = readFileSync(join(FIXTURES, `${name}.expected.txt`), 'latin1');
    const error = /^error=(.*)$/m.exec(expected)?.[1];
    if (error !== undefined) {
      test(`${name}: refused with a clear error`, () => {
        assert.throws(
          () => readRdb(readFileSync(join(FIXTURES, file)), { entry: () => {} }),
          (e: unknown) => e instanceof RdbError && e.message.includes(error),
        );
      });
      continue;
    }
    test(`${name}: every key, type, expiry and value`, () => {
      const entries: RdbEntry[] = [];
      readRdb(readFileSync(join(FIXTURES, file)), { entry: (e) => entries.push(e) });
      entries.sort((a, b) => a.db - b.db || byBytes(a.key, b.key));
      const got = entries.map(
        (e) =>
          `db=${e.db} key=${quoteRepr(e.key)} type=${e.value.type} expire_at_ms=${e.expireMs} value=${render(e.value)}`,
      );
      const want = expected
        .split('\n')
        .filter((l) => l.startsWith('db='))
        .map((l) => l.replace(/ encoding=\S+/, ''));
      assert.deepEqual(got, want);
    });
  }

  test('a flipped byte fails the checksum; a truncated file and garbage are errors', () => {
    const buf = Buffer.from(readFileSync(join(FIXTURES, 'strings.rdb')));
    buf[100] ^= 0x55;
    assert.throws(() => readRdb(buf, { entry: () => {} }), RdbError);
    const good = readFileSync(join(FIXTURES, 'strings.rdb'));
    for (const cut of [5, 20, 100, good.length - 3]) {
      assert.throws(() => readRdb(good.subarray(0, cut), { entry: () => {} }), RdbError);
    }
    assert.throws(() => readRdb(Buffer.from('not an rdb file at all'), { entry: () => {} }), RdbError);
  });
});

describe('RDB primitives', () => {
  test('CRC-64/Jones check value', () => {
    assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
  });

  test('LZF round trips random and repetitive data', () => {
    for (let t = 0; t < 300; t++) {
      const n = 4 + Math.floor(Math.random() * 5000);
      const b = Buffer.alloc(n);
      const alphabet = 1 + Math.floor(Math.random() * 30);
      for (let i = 0; i < n; i++) b[i] = 65 + Math.floor(Math.random() * alphabet);
      const packed = lzfCompress(b, n - 1);
      if (packed !== null) assert.ok(lzfDecompress(packed, n).equals(b));
    }
  });

  test('listpack and intset round trip with integer encodings at every width', () => {
    const items = [
      '0',
      '127',
      '128',
      '-1',
      '-4096',
      '4095',
      '4096',
      '-32768',
      '32767',
      '32768',
      '-8388608',
      '8388608',
    ];
    items.push(
      '2147483648',
      '-9223372036854775808',
      '9223372036854775807',
      '',
      'x',
      'y'.repeat(70),
      'z'.repeat(5000),
      '007',
    );
    assert.deepEqual(decodeListpack(encodeListpack(items)), items);
    const ints = [-9223372036854775808n, -5n, 1n, 70000n];
    assert.deepEqual(decodeIntset(encodeIntset(ints)), ints.map(String));
  });

  test('writer output is readable: strings with int and LZF encodings, expiries, dbs', () => {
    const w = new RdbWriter(true);
    w.header();
    w.aux('redis-ver', '7.0.15');
    w.selectDb(0);
    w.resizeDb(3, 1);
    w.byte(0);
    w.string('k1');
    w.string('12345');
    w.expireMs(4102444800000);
    w.byte(0);
    w.string('k2');
    w.string('a'.repeat(1000));
    w.selectDb(5);
    w.byte(0);
    w.string('\x00\xff');
    w.string('-2147483648');
    w.end();
    const entries: RdbEntry[] = [];
    readRdb(Buffer.concat(w.take()), { entry: (e) => entries.push(e) });
    assert.deepEqual(
      entries.map((e) => [e.db, e.key, (e.value as { value: string }).value.length, e.expireMs]),
      [
        [0, 'k1', 5, -1],
        [0, 'k2', 1000, 4102444800000],
        [5, '\x00\xff', 11, -1],
      ],
    );
  });
});
