/**
 * The packed representation of keys and string values (store/string-arena.ts) against a plain Map: random
 * sets, overwrites with other sizes, deletes, clears and compaction, with binary content and
 * values just below and above the packing limit.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dict } from '../../src/store/dict.js';
import { cellBytes, PACK_MAX, StringArena } from '../../src/store/string-arena.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

/** A latin1 string of len bytes, every byte value possible. */
function bytes(random: () => number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode((random() * 256) | 0);
  return s;
}

/** Mostly short values, some near the packing limit and some past it. */
function valueLength(random: () => number): number {
  const r = random();
  if (r < 0.6) return (random() * 40) | 0;
  if (r < 0.85) return (random() * 600) | 0;
  if (r < 0.97) return PACK_MAX - 3 + ((random() * 6) | 0);
  return 5000 + ((random() * 3000) | 0);
}

describe('StringArena', () => {
  test('cells: 4 bytes of length plus the bytes, rounded to 8, then to 64 past 512', () => {
    assert.equal(cellBytes(0), 8);
    assert.equal(cellBytes(4), 8);
    assert.equal(cellBytes(5), 16);
    assert.equal(cellBytes(100), 104);
    assert.equal(cellBytes(508), 512);
    assert.equal(cellBytes(509), 576);
    assert.equal(cellBytes(PACK_MAX), 4096);
  });

  test('a freed cell is reused by the next value of its size, and the bytes are exact', () => {
    const a = new StringArena();
    const random = rng(7);
    const x = a.pack(bytes(random, 100));
    const y = a.pack('\x00\xff\r\n');
    a.free(x);
    const z = a.pack(bytes(random, 99));
    assert.equal(z, x, 'the 104-byte cell came back');
    assert.equal(a.read(y), '\x00\xff\r\n');
    assert.equal(a.lengthOf(z), 99);
    assert.equal(a.liveBytes, 104 + 8);
  });

  test('grows past the first chunk and past a megabyte without moving a value', () => {
    const a = new StringArena();
    const handles: number[] = [];
    for (let i = 0; i < 5000; i++) handles.push(a.pack(`${i}`.padEnd(1000, '.')));
    assert.ok(a.allocatedBytes >= 5 * 1024 * 1024, `${a.allocatedBytes}`);
    for (let i = 0; i < 5000; i++) assert.equal(a.read(handles[i]), `${i}`.padEnd(1000, '.'));
  });
});

describe('Dict with packed keys and string values: a model test against a Map', () => {
  test('random sets, overwrites, deletes, objects in between, compaction and clear', () => {
    const random = rng(42);
    const d = new Dict<unknown>({ trackAccess: true, packStrings: true });
    const model = new Map<string, unknown>();
    // Keys are packed too: short and binary ones, the empty key, and some too long to pack.
    const keys: string[] = [];
    for (let i = 0; i < 1500; i++) keys.push(`k${i}`);
    for (let i = 0; i < 100; i++) keys.push(bytes(random, (random() * 30) | 0));
    keys.push('', 'k'.repeat(PACK_MAX), 'k'.repeat(PACK_MAX + 1), 'x'.repeat(9000));
    const check = (): void => {
      assert.equal(d.size, model.size);
      for (const [k, v] of model) assert.deepEqual(d.get(k), v, `key ${JSON.stringify(k)}`);
    };
    for (let round = 0; round < 4; round++) {
      for (let op = 0; op < 6000; op++) {
        const key = keys[(random() * keys.length) | 0];
        const r = random();
        if (r < 0.55) {
          const v = bytes(random, valueLength(random));
          d.set(key, v);
          model.set(key, v);
        } else if (r < 0.65) {
          // Not a string: replaces a packed value (its cell freed) and is kept as it is.
          const v = { n: op };
          d.set(key, v);
          model.set(key, v);
        } else if (r < 0.8) {
          const slot = d.slotOfKey(key);
          if (slot >= 0) {
            const v = bytes(random, valueLength(random));
            d.setValueAt(slot, v);
            model.set(key, v);
          }
        } else {
          assert.deepEqual(d.delete(key), model.get(key));
          model.delete(key);
        }
      }
      check();
      let visited = 0;
      d.forEach((k, v) => {
        visited++;
        assert.deepEqual(v, model.get(k));
      });
      assert.equal(visited, model.size);
      assert.deepEqual(new Set(d.keyList()), new Set(model.keys()));
      const scanned = new Set<string>();
      let cursor = 0;
      do cursor = d.scan(cursor, (k) => scanned.add(k));
      while (cursor !== 0);
      assert.deepEqual(scanned, new Set(model.keys()));
      for (let i = 0; i < 20 && model.size > 0; i++) assert.ok(model.has(d.randomKey()!));
      // Deleting most keys shrinks the table (compaction moves slots, and their handles with them).
      for (const k of [...model.keys()].slice(0, Math.floor(model.size * 0.95))) {
        d.delete(k);
        model.delete(k);
      }
      check();
    }
    d.clear();
    assert.equal(d.size, 0);
    assert.equal(d.get('k1'), undefined);
    d.set('k1', 'again');
    assert.equal(d.get('k1'), 'again');
  });

  test('a numeric dict (the expires table) packs its keys and keeps exact times through deletes and compaction', () => {
    const random = rng(9);
    const d = new Dict<number>({ numeric: true, packStrings: true });
    const model = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const key = i % 7 === 0 ? bytes(random, 1 + ((random() * 20) | 0)) : `k${i}`;
      const when = 1_700_000_000_000 + i * 0.5;
      d.set(key, when);
      model.set(key, when);
    }
    assert.ok(d.packedBytes > 0);
    for (const key of [...model.keys()].slice(0, 19_500)) {
      assert.equal(d.delete(key), model.get(key));
      model.delete(key);
    }
    assert.equal(d.size, model.size);
    for (const [k, v] of model) assert.equal(d.get(k), v);
    const seen = new Map<string, number>();
    d.forEach((k, v) => {
      seen.set(k, v);
    });
    assert.deepEqual(seen, model);
    assert.equal(
      d.packedLengthAt(d.slotOfKey([...model.keys()][0])),
      -1,
      'a numeric dict has no packed values',
    );
  });

  test('a keyspace that shrank to a tenth repacks its keys and values into a new arena and gives the chunks back', () => {
    const d = new Dict<string>({ packStrings: true });
    for (let i = 0; i < 20_000; i++) d.set(`k${i}`, `${i}:`.padEnd(200, 'v'));
    const before = d.arenaBytes;
    assert.ok(before > 4_000_000, `${before}`);
    for (let i = 100; i < 20_000; i++) d.delete(`k${i}`);
    assert.ok(d.arenaBytes <= 1024 * 1024, `${d.arenaBytes} bytes after the shrink`);
    // 100 values of 200 bytes and their keys ('k0' … 'k99': 8-byte cells).
    assert.equal(d.packedBytes, 100 * (208 + 8));
    for (let i = 0; i < 100; i++) assert.equal(d.get(`k${i}`), `${i}:`.padEnd(200, 'v'));
  });

  test("packedLengthAt reads a packed value's length without making it; -1 for others", () => {
    const d = new Dict<unknown>({ packStrings: true });
    d.set('s', 'hello');
    d.set('big', 'x'.repeat(PACK_MAX + 1));
    d.set('o', [1]);
    assert.equal(d.packedLengthAt(d.slotOfKey('s')), 5);
    assert.equal(d.packedLengthAt(d.slotOfKey('big')), -1);
    assert.equal(d.packedLengthAt(d.slotOfKey('o')), -1);
    assert.ok(d.arenaBytes > 0);
  });
});
