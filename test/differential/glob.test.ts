import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { globMatch } from '../../src/lib/glob.js';
import type { RespValue } from '../../src/protocol/resp-reader.js';
import { DiffPair } from '../support/diff.js';
import { RawClient } from '../support/raw-client.js';
import { skipWithoutRedis } from '../support/servers.js';

describe('globMatch (Redis stringmatchlen)', () => {
  const cases: Array<[pattern: string, subject: string, expected: boolean]> = [
    ['*', 'anything', true],
    ['*', '', false], // stringmatchlen never matches an empty subject
    ['', '', true],
    ['', 'a', false],
    ['a', '', false],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h*llo', 'hllo', true],
    ['h*llo', 'heeeello', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true],
    ['h[b-a]llo', 'hbllo', true], // reversed ranges are swapped
    ['h[a-b]llo', 'hcllo', false],
    ['h[-]llo', 'h-llo', true],
    ['h[a-]llo', 'h-llo', false], // "a-]" is a range: the class runs on to the pattern's end
    ['h[]]llo', 'h]llo', false], // "[]" is an empty class, then a literal ]
    ['h[]]llo', 'h]]llo', false],
    ['h[\\]]llo', 'h]llo', true],
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['\\', '\\', true], // a trailing backslash is literal
    ['a\\', 'a\\', true],
    ['[abc', 'a', true], // an unterminated class ends at the pattern's end
    ['[abc', 'd', false],
    ['a[', 'a', false],
    ['*a*b*c*', 'xxaxxbxxcxx', true],
    ['*a*b*c*', 'xxaxxcxxbxx', false],
    ['**', 'x', true],
    ['a**', 'a', true],
    ['a*', 'a', true],
    ['?', '', false],
    ['\x00*', '\x00abc', true],
    ['[\x80-\xff]', '\x90', true],
    // Range bounds compare as C's signed chars: 0x80..0xff are negative, below 'a'.
    ['[a-\xff]', 'A', true],
    ['[a-\xff]', '\xff', true],
    ['[a-\xff]', '\x90', false],
    ['[a-\xff]', 'z', false],
    ['[\x01-z]', '\x90', false],
  ];
  for (const [pattern, subject, expected] of cases) {
    test(`${JSON.stringify(pattern)} ~ ${JSON.stringify(subject)} is ${expected}`, () => {
      assert.equal(globMatch(pattern, subject), expected);
    });
  }

  test('nocase (CONFIG GET style)', () => {
    assert.equal(globMatch('MAXMEMORY*', 'maxmemory-policy', true), true);
    assert.equal(globMatch('[A-Z]x', 'qX', true), true);
    assert.equal(globMatch('[^A]x', 'ax', true), false);
    assert.equal(globMatch('MAX', 'max'), false);
  });

  test('hopeless backtracking ends at once (skipLongerMatches)', () => {
    const start = process.hrtime.bigint();
    assert.equal(globMatch(`${'a*'.repeat(40)}b`, 'a'.repeat(200)), false);
    assert.equal(globMatch(`${'*'.repeat(5000)}b`, 'a'.repeat(5000)), false);
    assert.ok(Number(process.hrtime.bigint() - start) < 200e6, 'took too long');
  });

  test('deep nesting is refused rather than overflowing the stack', () => {
    const pattern = 'a*'.repeat(2000);
    assert.equal(globMatch(pattern, 'a'.repeat(3000)), false);
  });
});

/** A deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

describe('glob: random patterns through KEYS match redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  test('600 random patterns over keys made of glob metacharacters', async () => {
    const pair = await DiffPair.start();
    const r = await RawClient.connect(pair.redis.port);
    const t = await RawClient.connect(pair.ts.port);
    try {
      const alphabet = ['a', 'b', '-', '^', ']', '[', '\\', '*', '?', '\xe9'];
      const keys = new Set<string>(['']);
      for (const a of alphabet) {
        keys.add(a);
        for (const b of alphabet) {
          keys.add(a + b);
          for (const c of ['a', '-', ']', '\\']) keys.add(a + b + c);
        }
      }
      const mset = ['MSET', ...[...keys].flatMap((k) => [k, 'v'])];
      await Promise.all([r.call('FLUSHALL'), t.call('FLUSHALL')]);
      await Promise.all([r.call(mset), t.call(mset)]);
      const random = rng(7);
      const pick = () => alphabet[Math.floor(random() * alphabet.length)];
      const problems: string[] = [];
      for (let i = 0; i < 600; i++) {
        let pattern = '';
        const length = 1 + Math.floor(random() * 7);
        for (let j = 0; j < length; j++) pattern += pick();
        const [a, b] = await Promise.all([r.call(['KEYS', pattern]), t.call(['KEYS', pattern])]);
        const list = (v: RespValue) =>
          (v as { value: RespValue[] }).value
            .map((x) => (x as { value: Buffer }).value.toString('latin1'))
            .sort();
        const x = JSON.stringify(list(a.value));
        const y = JSON.stringify(list(b.value));
        if (x !== y) problems.push(`${JSON.stringify(pattern)}: redis ${x} tsredis ${y}`);
      }
      assert.deepEqual(problems, []);
    } finally {
      r.close();
      t.close();
      await pair.stop();
    }
  });
});
