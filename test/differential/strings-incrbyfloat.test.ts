/**
 * INCRBYFLOAT against real Redis: strtold parsing, 80-bit long double addition and "%.17Lf"
 * printing must agree byte for byte, including on random inputs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from '../../src/lib/long-double.js';
import { DiffPair, type Step } from '../support/diff.js';
import { seeded } from '../support/seeded.js';
import { skipWithoutRedis } from '../support/servers.js';

/** Random numerals of many shapes: plain, exponents near the limits, hex floats, junk. */
function randomNumeral(rand: () => number): string {
  const int = (n: number) => Math.floor(rand() * n);
  const digits = (n: number) => Array.from({ length: n }, () => int(10)).join('');
  const sign = rand() < 0.3 ? '-' : rand() < 0.05 ? '+' : '';
  switch (int(10)) {
    case 0:
      return `${sign}${digits(1 + int(5))}.${digits(int(20))}`;
    case 1:
      return `${sign}${digits(1 + int(3))}e${rand() < 0.5 ? '-' : ''}${int(400)}`;
    case 2:
      return `${sign}0.${digits(1 + int(25))}e-${4900 + int(60)}`;
    case 3:
      return `${sign}${digits(1 + int(30))}e${4900 + int(40)}`;
    case 4:
      return `${sign}0x${int(1e9).toString(16)}.${int(1e6).toString(16)}p${rand() < 0.5 ? '-' : ''}${int(16500)}`;
    case 5:
      return `${sign}${rand() * 10 ** int(25)}`;
    case 6:
      return `${sign}${int(100000)}`;
    case 7:
      return `${sign}${digits(1 + int(25))}.${digits(int(25))}E${rand() < 0.5 ? '-' : '+'}${int(30)}`;
    case 8:
      return `${sign}0.${'0'.repeat(int(18))}${digits(1 + int(4))}`;
    default:
      return `${sign}${rand().toExponential(int(20))}`;
  }
}

describe('INCRBYFLOAT: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('common values and exact printing', () =>
    pair.run([
      'INCRBYFLOAT a 0.1',
      'INCRBYFLOAT a 0.2',
      'INCRBYFLOAT a 1.1',
      'INCRBYFLOAT a 3.0e3',
      'INCRBYFLOAT a -5',
      'INCRBYFLOAT a 5.0e-17',
      'INCRBYFLOAT a -3001.4',
      'GET a',
      'INCRBYFLOAT b 1e308',
      'INCRBYFLOAT b 1e308',
      'INCRBYFLOAT c 10.5',
      'INCRBYFLOAT c -10.5',
      'INCRBYFLOAT d -0.00000000000000001',
      'INCRBYFLOAT e 0.000003814697265625',
      'INCRBYFLOAT e2 0.000011444091796875',
      'INCRBYFLOAT f 18446744073709551617',
      'INCRBYFLOAT g 9223372036854775807',
      'INCRBYFLOAT g 1',
      'INCRBYFLOAT h 0x1p-16445',
      'INCRBYFLOAT h2 0x1.8p3',
      'INCRBYFLOAT h3 0X.8P1',
      'INCRBYFLOAT i 1.18973149535723176502e+4932',
      'INCRBYFLOAT j 5.',
      'INCRBYFLOAT j .5',
      'INCRBYFLOAT j +1',
      'INCRBYFLOAT j -0',
      'INCRBYFLOAT k 3.6451995318824746025e-4951',
      'INCRBYFLOAT k2 1.9e-4951',
      'SET n 12345',
      'INCRBYFLOAT n 0.5',
      'SET n2 -7',
      'INCRBYFLOAT n2 7',
    ]));

  test('errors and range limits', () =>
    pair.run([
      'INCRBYFLOAT k abc',
      'INCRBYFLOAT k " 1"',
      'INCRBYFLOAT k "1 "',
      'INCRBYFLOAT k ""',
      'INCRBYFLOAT k nan',
      'INCRBYFLOAT k NaN',
      'INCRBYFLOAT k inf',
      'INCRBYFLOAT k -Infinity',
      'INCRBYFLOAT k 1e',
      'INCRBYFLOAT k 1e+',
      'INCRBYFLOAT k .',
      'INCRBYFLOAT k 0x',
      'INCRBYFLOAT k 0x1p',
      'INCRBYFLOAT k 1e5000',
      'INCRBYFLOAT k 1e-5000',
      'INCRBYFLOAT k 1.8e-4951',
      'INCRBYFLOAT k 1.19e4932',
      'INCRBYFLOAT k 0e-99999',
      'INCRBYFLOAT k 1,5',
      ['INCRBYFLOAT', 'k', '1\x00'],
      ['INCRBYFLOAT', 'k', '\x00'],
      ['INCRBYFLOAT', 'k', `1.${'0'.repeat(5117)}`],
      ['INCRBYFLOAT', 'k', `1.${'0'.repeat(5118)}`],
      'SET s abc',
      'INCRBYFLOAT s 1',
      'SET inf inf',
      'INCRBYFLOAT inf 1',
      'INCRBYFLOAT inf -inf',
      'SET big 1.1e4932',
      'INCRBYFLOAT big 1.1e4932',
      'GET big',
      'INCRBYFLOAT big -1.1e4932',
      'SET bin "1.5\\x00"',
      'INCRBYFLOAT bin 1',
      'SET t 1 EX 100',
      'INCRBYFLOAT t 1.5',
      'TTL t',
      'INCRBYFLOAT k',
      'INCRBYFLOAT k 1 2',
    ]));

  test('random inputs (two increments per key)', () => {
    const rand = seeded(20240601);
    const steps: Step[] = [];
    for (let i = 0; i < 300; i++) {
      const key = `r${i}`;
      steps.push(['INCRBYFLOAT', key, randomNumeral(rand)]);
      steps.push(['INCRBYFLOAT', key, randomNumeral(rand)]);
      if (i % 10 === 0) steps.push(['GET', key]);
    }
    return pair.run(steps);
  });
});

describe('long double emulation', () => {
  const sum = (a: string, b: string): string => {
    const x = parseLongDouble(a);
    const y = parseLongDouble(b);
    assert.ok(x !== null && y !== null, `${a} and ${b} parse`);
    const s = addLongDouble(x, y);
    assert.ok(s !== null);
    return formatLongDoubleHuman(s);
  };

  test('rounds, underflows and overflows like x87', () => {
    assert.equal(sum('0.1', '0.2'), '0.3');
    assert.equal(sum('0x1p64', '1'), '18446744073709551616');
    assert.equal(sum('0x1p65', '3'), '36893488147419103236');
    assert.equal(sum('0.000003814697265625', '0'), '0.00000381469726562');
    assert.equal(sum('-0', '-0'), '0');
    assert.equal(parseLongDouble('1e-5000'), null);
    assert.equal(parseLongDouble('1e5000'), null);
    assert.equal(parseLongDouble('nan'), null);
    assert.equal(parseLongDouble(' 1'), null);
    assert.equal(parseLongDouble('inf')?.inf, true);
    assert.equal(parseLongDouble('0x1.fffffffffffffffep16383')?.inf, false);
    assert.equal(parseLongDouble('0x1.ffffffffffffffffp16383'), null);
  });
});
