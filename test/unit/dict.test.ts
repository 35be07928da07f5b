import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Dict, hashKey, nextCursor } from '../../src/store/dict.js';

/** A deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

/** Runs a full SCAN, calling between() after every step; returns every key the scan reported. */
function fullScan<V>(dict: Dict<V>, between: (step: number) => void): Set<string> {
  const seen = new Set<string>();
  let cursor = 0;
  let step = 0;
  do {
    cursor = dict.scan(cursor, (key) => seen.add(key));
    between(step++);
    assert.ok(step < 10_000_000, 'scan did not terminate');
  } while (cursor !== 0);
  return seen;
}

describe('Dict', () => {
  test('set, get, has, delete and size', () => {
    const d = new Dict<string>();
    assert.equal(d.set('a', '1'), true);
    assert.equal(d.set('a', '2'), false);
    assert.equal(d.get('a'), '2');
    assert.equal(d.has('b'), false);
    assert.equal(d.size, 1);
    assert.equal(d.delete('a'), '2');
    assert.equal(d.delete('a'), undefined);
    assert.equal(d.size, 0);
    assert.equal(d.get('a'), undefined);
  });

  test('grows and shrinks, keeping every entry and its access stamp', () => {
    const d = new Dict<number>({ trackAccess: true });
    for (let i = 0; i < 10_000; i++) d.set(`k${i}`, i, i + 7);
    assert.ok(d.bucketCount >= 8192);
    for (let i = 0; i < 9_950; i++) assert.equal(d.delete(`k${i}`), i);
    assert.ok(d.bucketCount <= 512, `shrunk to ${d.bucketCount} buckets`);
    for (let i = 9_950; i < 10_000; i++) {
      const slot = d.slotOf(`k${i}`, hashKey(`k${i}`));
      assert.equal(d.valueAt(slot), i);
      assert.equal(d.stampAt(slot), i + 7);
    }
    assert.deepEqual(d.keyList().length, 50);
  });

  test('numeric dicts keep exact doubles through growth, deletes and compaction', () => {
    const d = new Dict<number>({ numeric: true });
    for (let i = 0; i < 5000; i++) d.set(`k${i}`, 1_700_000_000_000 + i * 0.5);
    for (let i = 0; i < 4900; i++) assert.equal(d.delete(`k${i}`), 1_700_000_000_000 + i * 0.5);
    for (let i = 4900; i < 5000; i++) assert.equal(d.get(`k${i}`), 1_700_000_000_000 + i * 0.5);
    d.set('k4999', -(2 ** 60));
    assert.equal(d.get('k4999'), -(2 ** 60));
    const seen: number[] = [];
    d.forEach((_k, v) => {
      seen.push(v);
    });
    assert.equal(seen.length, 100);
    assert.equal(d.stampAt(0), 0);
  });

  test('expand sizes the table once for a known count (RESIZEDB) and never shrinks it', () => {
    const d = new Dict<string>({ trackAccess: true, packStrings: true });
    d.set('before', 'x');
    d.expand(3000);
    assert.equal(d.bucketCount, 4096);
    for (let i = 0; i < 3000; i++) d.set(`k${i}`, `v${i}`);
    assert.equal(d.bucketCount, 4096, 'no rehash while filling');
    d.expand(10);
    assert.equal(d.bucketCount, 4096);
    assert.equal(d.get('before'), 'x');
    assert.equal(d.get('k2999'), 'v2999');
  });

  test('binary-safe latin1 keys, including the empty key', () => {
    const d = new Dict<string>();
    const keys = ['', '\x00', '\x00\x00', '\xff\xfe', 'a\r\nb'];
    for (const k of keys) d.set(k, `v${k}`);
    for (const k of keys) assert.equal(d.get(k), `v${k}`);
    assert.equal(d.size, keys.length);
  });

  test('keeps an overwritten stamp only when asked (LFU keeps its counter)', () => {
    const d = new Dict<string>({ trackAccess: true });
    d.set('k', 'a', 100);
    d.set('k', 'b', 200, true);
    assert.equal(d.stampAt(d.slotOf('k', hashKey('k'))), 100);
    d.set('k', 'c', 300);
    assert.equal(d.stampAt(d.slotOf('k', hashKey('k'))), 300);
  });

  test('a full scan of a stable table returns every key exactly once', () => {
    const d = new Dict<number>();
    for (let i = 0; i < 5000; i++) d.set(`key:${i}`, i);
    const seen: string[] = [];
    let cursor = 0;
    do cursor = d.scan(cursor, (k) => seen.push(k));
    while (cursor !== 0);
    assert.equal(seen.length, 5000);
    assert.equal(new Set(seen).size, 5000);
  });

  test('SCAN guarantee: keys present throughout are returned while the table grows', () => {
    const random = rng(1);
    const d = new Dict<number>();
    const stable: string[] = [];
    for (let i = 0; i < 3000; i++) {
      stable.push(`stable:${i}`);
      d.set(`stable:${i}`, i);
    }
    const startBuckets = d.bucketCount;
    let added = 0;
    const seen = fullScan(d, (step) => {
      // Grow fast early on (several resizes), then stop: a table growing faster than the cursor
      // advances is never finished, in Redis too.
      if (step < 200) for (let j = 0; j < 200; j++) d.set(`grow:${added++}:${random()}`, j);
    });
    assert.ok(d.bucketCount >= startBuckets * 8, `grew from ${startBuckets} to ${d.bucketCount}`);
    for (const k of stable) assert.ok(seen.has(k), `missed ${k}`);
  });

  test('SCAN guarantee: keys present throughout are returned while the table shrinks', () => {
    const d = new Dict<number>();
    const stable: string[] = [];
    for (let i = 0; i < 200; i++) {
      stable.push(`stable:${i}`);
      d.set(`stable:${i}`, i);
    }
    const doomed: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      doomed.push(`doomed:${i}`);
      d.set(`doomed:${i}`, i);
    }
    const startBuckets = d.bucketCount;
    const seen = fullScan(d, () => {
      for (let j = 0; j < 400 && doomed.length > 0; j++) d.delete(doomed.pop()!);
    });
    assert.ok(d.bucketCount <= startBuckets / 16, `shrank from ${startBuckets} to ${d.bucketCount}`);
    for (const k of stable) assert.ok(seen.has(k), `missed ${k}`);
  });

  test('SCAN guarantee under random inserts and deletes between steps', () => {
    for (const seed of [2, 3, 4, 5]) {
      const random = rng(seed);
      const d = new Dict<number>();
      const stable = new Set<string>();
      const volatile: string[] = [];
      for (let i = 0; i < 4000; i++) {
        const k = `s${seed}:${i}`;
        stable.add(k);
        d.set(k, i);
      }
      for (let i = 0; i < 4000; i++) {
        volatile.push(`v${i}`);
        d.set(`v${i}`, i);
      }
      let next = 4000;
      const sizes = new Set<number>();
      const seen = fullScan(d, (step) => {
        sizes.add(d.bucketCount);
        // Alternate phases of heavy growth and heavy deletion so both resizes happen.
        const growing = Math.floor(step / 50) % 2 === 0;
        for (let j = 0; j < 60; j++) {
          if (growing || volatile.length === 0) {
            const k = `v${next++}`;
            volatile.push(k);
            d.set(k, j);
          } else {
            const at = Math.floor(random() * volatile.length);
            const k = volatile[at];
            volatile[at] = volatile[volatile.length - 1];
            volatile.pop();
            d.delete(k);
          }
        }
      });
      assert.ok(sizes.size >= 2, `the table resized during the scan (${[...sizes]})`);
      for (const k of stable) assert.ok(seen.has(k), `seed ${seed}: missed ${k}`);
    }
  });

  test('the cursor sequence visits every bucket once and ends at 0', () => {
    for (const size of [1, 4, 64, 1024]) {
      const mask = size - 1;
      const visited = new Set<number>();
      let c = 0;
      do {
        assert.ok(!visited.has(c));
        visited.add(c);
        c = nextCursor(c, mask);
      } while (c !== 0);
      assert.equal(visited.size, size);
    }
  });

  test('random sampling returns only live keys and reaches all of them', () => {
    const d = new Dict<number>();
    for (let i = 0; i < 64; i++) d.set(`k${i}`, i);
    for (let i = 0; i < 32; i++) d.delete(`k${i}`);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const k = d.randomKey()!;
      assert.ok(d.has(k));
      seen.add(k);
      const entry = d.randomEntry()!;
      assert.equal(d.get(entry[0]), entry[1]);
    }
    assert.equal(seen.size, 32);
    assert.equal(new Dict<number>().randomKey(), undefined);
  });

  test('forEach tolerates deleting the visited entry and shrinks afterwards', () => {
    const d = new Dict<number>();
    for (let i = 0; i < 1000; i++) d.set(`k${i}`, i);
    let visits = 0;
    d.forEach((k) => {
      visits++;
      d.delete(k);
    });
    assert.equal(visits, 1000);
    assert.equal(d.size, 0);
    assert.ok(d.bucketCount <= 4);
  });

  test('clear empties the table and it stays usable', () => {
    const d = new Dict<string>({ trackAccess: true });
    for (let i = 0; i < 100; i++) d.set(`k${i}`, 'v', 1);
    d.clear();
    assert.equal(d.size, 0);
    assert.equal(d.get('k1'), undefined);
    d.set('x', 'y', 9);
    assert.equal(d.get('x'), 'y');
    assert.equal(d.stampAt(d.slotOf('x', hashKey('x'))), 9);
  });
});
