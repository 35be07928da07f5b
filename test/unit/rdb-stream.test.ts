/**
 * The streaming RDB parse (a replica loading from its master's socket, or its received file chunk
 * by chunk): fed in pieces of any size it reads exactly what a whole-buffer parse reads, reports
 * the same errors at the same offsets, keeps only the record in progress buffered, and parses a
 * huge value a bounded number of times however small the pieces.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RdbError } from '../../src/rdb/cursor.js';
import { RdbParser, readRdb } from '../../src/rdb/reader.js';
import { RdbWriter } from '../../src/rdb/writer.js';
import { rng } from '../support/persistence-helpers.js';
import { DIST } from '../support/servers.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'rdb');

/** What a parse saw, as comparable text, or the error it ended with. */
function wholeParse(buf: Buffer): { events: string[]; error: string | null } {
  const events: string[] = [];
  try {
    readRdb(buf, recorder(events));
    return { events, error: null };
  } catch (e) {
    return { events, error: (e as Error).message };
  }
}

function recorder(events: string[]) {
  return {
    entry: (e: unknown) => events.push(JSON.stringify(e)),
    aux: (k: string, v: string) => events.push(`aux ${k}=${v}`),
    selectDb: (db: number) => events.push(`select ${db}`),
    moduleAux: (_id: bigint, name: string, when: number) => events.push(`module ${name} ${when}`),
    functionLibrary: (code: string) => events.push(`function ${code}`),
  };
}

/** Feeds `buf` in pieces from sizes(), stepping the parser whenever it can go on. */
function streamParse(
  buf: Buffer,
  sizes: () => number,
  stepWhilePushing = true,
): { events: string[]; error: string | null } {
  const events: string[] = [];
  const p = new RdbParser(null, recorder(events));
  try {
    for (let i = 0; i < buf.length; ) {
      const n = Math.max(1, sizes());
      p.push(buf.subarray(i, i + n));
      i += n;
      while (stepWhilePushing && !p.step(3) && !p.starved) {
        // Entry budget reached: go on.
      }
    }
    p.endInput();
    while (!p.step(3)) {
      // Only the entry budget stops it now.
    }
    assert.equal(p.position, p.end);
    return { events, error: null };
  } catch (e) {
    return { events, error: (e as Error).message };
  }
}

describe('streaming RDB parse', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.rdb'));
  const random = rng(42);
  for (const file of files) {
    test(`${file}: same records and errors in pieces of 1, 7, 4096 and random sizes`, () => {
      const buf = readFileSync(join(FIXTURES, file));
      const want = wholeParse(buf);
      for (const sizes of [() => 1, () => 7, () => 4096, () => 1 + Math.floor(random() * 300)]) {
        assert.deepEqual(streamParse(buf, sizes), want);
      }
    });
  }

  test('input all pushed before the parse starts (a file read ahead): same records, same errors', () => {
    for (const file of files) {
      const buf = readFileSync(join(FIXTURES, file));
      const want = wholeParse(buf);
      for (const sizes of [() => 1, () => 7, () => 1 + Math.floor(random() * 300)]) {
        assert.deepEqual(streamParse(buf, sizes, false), want, file);
      }
    }
    const good = readFileSync(join(FIXTURES, 'strings.rdb'));
    for (const cut of [3, 9, 20, 100, good.length - 3]) {
      const part = good.subarray(0, cut);
      assert.equal(streamParse(part, () => 5, false).error, wholeParse(part).error, `cut at ${cut}`);
    }
  });

  test('truncated input and a flipped byte are errors at the same offsets as a whole parse', () => {
    const good = readFileSync(join(FIXTURES, 'strings.rdb'));
    for (const cut of [3, 9, 20, 100, good.length - 3]) {
      const part = good.subarray(0, cut);
      const streamed = streamParse(part, () => 5);
      assert.ok(streamed.error !== null, `cut at ${cut} must fail`);
      assert.equal(streamed.error, wholeParse(part).error);
    }
    const bad = Buffer.from(good);
    bad[100] ^= 0x55;
    const streamed = streamParse(bad, () => 13);
    assert.ok(streamed.error !== null);
    assert.equal(streamed.error, wholeParse(bad).error);
  });

  test('huge values in tiny pieces: correct, fast, and only the record in progress is held', () => {
    const w = new RdbWriter(false);
    w.header();
    w.selectDb(0);
    const big = Buffer.alloc(3 * 1024 * 1024, 'abcdefghij');
    w.byte(0);
    w.string('big');
    w.string(big);
    // A plain-encoded set of 60,000 members: many small reads inside one record.
    w.byte(2);
    w.string('set');
    w.length(60000);
    for (let i = 0; i < 60000; i++) w.string(`member:${i}`);
    for (let i = 0; i < 1000; i++) {
      w.byte(0);
      w.string(`k${i}`);
      w.string(`v${i}`);
    }
    w.end();
    const buf = Buffer.concat(w.take());
    const p = new RdbParser(null, {
      entry: (e) => {
        if (e.key === 'big') assert.equal((e.value as { value: string }).value.length, big.length);
        if (e.key === 'set') assert.equal((e.value as { members: string[] }).members.length, 60000);
        keys++;
      },
    });
    let keys = 0;
    let maxHeld = 0;
    const started = Date.now();
    for (let i = 0; i < buf.length; i += 1000) {
      p.push(buf.subarray(i, i + 1000));
      while (!p.step(100) && !p.starved) {
        // go on
      }
      if (keys >= 2) maxHeld = Math.max(maxHeld, p.buffered);
    }
    p.endInput();
    assert.equal(p.step(Number.POSITIVE_INFINITY), true);
    assert.equal(keys, 1002);
    // Once past the big records, what is held stays small (no copy of the whole input kept).
    assert.ok(maxHeld < 256 * 1024, `held ${maxHeld} bytes`);
    // Quadratic re-parsing of the big records would take minutes here.
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });

  test('a whole-buffer parse still reports an incomplete file as an error (not as waiting)', () => {
    const good = readFileSync(join(FIXTURES, 'strings.rdb'));
    assert.throws(
      () => readRdb(good.subarray(0, 50), { entry: () => {} }),
      (e: unknown) => e instanceof RdbError && /Unexpected EOF/.test(e.message),
    );
  });
});
