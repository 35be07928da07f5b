/**
 * The skip list and the two sorted set encodings against a plain sorted-array model, with random
 * operations: order, ranks, spans, range queries and range deletions must always agree.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LEX_MAX, LEX_MIN, type ScoreRange, SkipList } from '../../src/store/types/skiplist.js';
import { ZADD_GT, ZADD_INCR, ZAddOutcome, ZSetValue } from '../../src/store/types/zset.js';
import { seeded } from '../support/seeded.js';

type Entry = [string, number];

function sortModel(model: Map<string, number>): Entry[] {
  return [...model].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Every link's span must equal the rank distance it jumps; backward links mirror level 0. */
function checkStructure(zsl: SkipList): void {
  const rank = new Map<object, number>();
  let r = 0;
  let prev = null;
  for (let x = zsl.header.forward[0]; x !== null; x = x.forward[0]) {
    rank.set(x, ++r);
    assert.equal(x.backward, prev);
    prev = x;
  }
  assert.equal(r, zsl.length);
  assert.equal(zsl.tail, prev);
  for (let level = 0; level < zsl.level; level++) {
    let x = zsl.header;
    let at = 0;
    for (;;) {
      const next = x.forward[level];
      if (next === null) break;
      assert.equal(at + x.span[level], rank.get(next), `span at level ${level}`);
      at = rank.get(next)!;
      x = next;
    }
  }
}

describe('skip list with spans', () => {
  test('random inserts, deletes and score updates keep order, ranks and spans', () => {
    const rnd = seeded(42);
    const zsl = new SkipList();
    const model = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const m = `m${Math.floor(rnd() * 300)}`;
      const s = Math.floor(rnd() * 50) / 2;
      const current = model.get(m);
      if (current === undefined) {
        zsl.insert(s, m);
        model.set(m, s);
      } else if (rnd() < 0.5) {
        assert.ok(zsl.delete(current, m));
        model.delete(m);
      } else {
        zsl.updateScore(current, m, s);
        model.set(m, s);
      }
      if (i % 500 === 0) checkStructure(zsl);
    }
    checkStructure(zsl);
    const sorted = sortModel(model);
    sorted.forEach(([m, s], i) => {
      assert.equal(zsl.rank(s, m), i + 1);
      const x = zsl.byRank(i + 1)!;
      assert.equal(x.member, m);
    });
    assert.equal(zsl.byRank(sorted.length + 1), null);
    assert.equal(zsl.rank(1000, 'absent'), 0);
  });

  test('range deletions by score, lex and rank', () => {
    const rnd = seeded(7);
    for (let round = 0; round < 50; round++) {
      const zsl = new SkipList();
      const model = new Map<string, number>();
      for (let i = 0; i < 200; i++) {
        const m = `k${Math.floor(rnd() * 400)}`;
        if (model.has(m)) continue;
        const s = round % 2 === 0 ? 0 : Math.floor(rnd() * 20);
        zsl.insert(s, m);
        model.set(m, s);
      }
      const removed: string[] = [];
      const kind = round % 3;
      let expected: string[];
      const sorted = sortModel(model);
      if (kind === 0) {
        const r: ScoreRange = { min: 3, max: 9, minex: rnd() < 0.5, maxex: rnd() < 0.5 };
        expected = sorted
          .filter(([, s]) => (r.minex ? s > r.min : s >= r.min) && (r.maxex ? s < r.max : s <= r.max))
          .map(([m]) => m);
        assert.equal(
          zsl.deleteRangeByScore(r, (m) => removed.push(m)),
          expected.length,
        );
      } else if (kind === 1) {
        expected = sorted.slice(10, 61).map(([m]) => m);
        assert.equal(
          zsl.deleteRangeByRank(11, 61, (m) => removed.push(m)),
          51,
        );
      } else {
        // Lex ranges are meant for equal scores: use a fresh list with score 0 only.
        const lexList = new SkipList();
        const members = [...model.keys()].sort();
        for (const m of members) lexList.insert(0, m);
        expected = members.filter((m) => m > 'k2' && m <= 'k5');
        assert.equal(
          lexList.deleteRangeByLex({ min: 'k2', max: 'k5', minex: true, maxex: false }, (m) =>
            removed.push(m),
          ),
          expected.length,
        );
        assert.deepEqual(removed, expected);
        checkStructure(lexList);
        const all = { min: LEX_MIN, max: LEX_MAX, minex: true, maxex: true } as const;
        assert.equal(
          lexList.deleteRangeByLex(all, () => {}),
          members.length - expected.length,
        );
        assert.equal(lexList.length, 0);
        continue;
      }
      assert.deepEqual(removed, expected);
      checkStructure(zsl);
      assert.equal(zsl.length, model.size - expected.length);
    }
  });
});

describe('sorted set value: listpack and skiplist encodings agree', () => {
  test('same replies from both encodings for random operations', () => {
    const rnd = seeded(99);
    const big = { entries: 1_000_000, value: 1_000_000 };
    const lp = new ZSetValue(false);
    const sl = new ZSetValue(true);
    for (let i = 0; i < 3000; i++) {
      const m = `e${Math.floor(rnd() * 150)}`;
      const s = Math.floor(rnd() * 30) - 10;
      const op = rnd();
      if (op < 0.5) {
        const flags = rnd() < 0.2 ? ZADD_GT : rnd() < 0.2 ? ZADD_INCR : 0;
        const a = lp.add(s, m, flags, big);
        const b = sl.add(s, m, flags, big);
        assert.equal(a, b);
        if (a !== ZAddOutcome.Nop) assert.equal(lp.lastScore, sl.lastScore);
      } else if (op < 0.7) {
        assert.equal(lp.delete(m), sl.delete(m));
      } else if (op < 0.8) {
        const reverse = rnd() < 0.5;
        assert.equal(lp.rank(m, reverse), sl.rank(m, reverse));
      } else if (op < 0.9) {
        const r: ScoreRange = { min: s, max: s + 8, minex: rnd() < 0.5, maxex: rnd() < 0.5 };
        const reverse = rnd() < 0.5;
        const offset = Math.floor(rnd() * 3);
        const collect = (z: ZSetValue) => {
          const out: Entry[] = [];
          z.rangeByScore(r, reverse, offset, 5, (mm, ss) => out.push([mm, ss]));
          return out;
        };
        assert.deepEqual(collect(lp), collect(sl));
        assert.equal(lp.countInScoreRange(r), sl.countInScoreRange(r));
      } else {
        assert.equal(lp.size, sl.size);
      }
    }
    const a: Entry[] = [];
    const b: Entry[] = [];
    lp.forEach((m, s) => {
      a.push([m, s]);
    });
    sl.forEach((m, s) => {
      b.push([m, s]);
    });
    assert.deepEqual(a, b);
    for (let k = 0; k < lp.size; k++) assert.deepEqual(lp.at(k), sl.at(k));
    const ra: Entry[] = [];
    const rb: Entry[] = [];
    lp.rangeByRank(2, Math.min(20, lp.size - 1), true, (m, s) => ra.push([m, s]));
    sl.rangeByRank(2, Math.min(20, sl.size - 1), true, (m, s) => rb.push([m, s]));
    assert.deepEqual(ra, rb);
    assert.equal(lp.encoding(), 'listpack');
    assert.equal(sl.encoding(), 'skiplist');
  });
});
