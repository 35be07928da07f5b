import { after, before, describe, type TestContext, test } from 'node:test';
import { DiffPair, type Step } from '../support/diff.js';
import { seeded } from '../support/seeded.js';
import { skipWithoutRedis } from '../support/servers.js';

function randomBytes(rand: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rand();
    // Mostly 0x00/0xff runs, which exercise BITPOS's edge rules.
    s += String.fromCharCode(r < 0.3 ? 0 : r < 0.6 ? 0xff : Math.floor(rand() * 256));
  }
  return s;
}

describe('bitmaps: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('SETBIT and GETBIT', () =>
    pair.run([
      'SETBIT k 7 1',
      'GET k',
      'SETBIT k 7 1',
      'SETBIT k 7 0',
      'GETBIT k 7',
      'SETBIT k 100 1',
      'STRLEN k',
      'GETBIT k 100',
      'GETBIT k 101',
      'GETBIT k 100000',
      'GETBIT missing 0',
      'SETBIT k -1 1',
      'SETBIT k abc 1',
      'SETBIT k 4294967296 1',
      'SETBIT k 9223372036854775807 1',
      'GETBIT k 4294967296',
      'GETBIT k -1',
      'SETBIT k 0 2',
      'SETBIT k 0 -1',
      'SETBIT k 0 abc',
      'SETBIT k 0 01',
      'SETBIT k 0',
      'GETBIT k',
      'SET s "A"',
      'GETBIT s 1',
      'GETBIT s 7',
      'SETBIT s 6 1',
      'GET s',
      'SET n 12',
      'GETBIT n 2',
      'GETBIT n 15',
      ['SET', 'bin', '\xff\x00'],
      'SETBIT bin 8 1',
      'GET bin',
      'SETBIT t 0 1',
      'EXPIRE t 100',
      'SETBIT t 1 1',
      'TTL t',
    ]));

  test('BITCOUNT with BYTE and BIT ranges', () =>
    pair.run([
      'SET s foobar',
      'BITCOUNT s',
      'BITCOUNT s 0 0',
      'BITCOUNT s 1 1',
      'BITCOUNT s 1 1 BYTE',
      'BITCOUNT s 5 30 BIT',
      'BITCOUNT s 5 30 bit',
      'BITCOUNT s 0 -1 BIT',
      'BITCOUNT s -5 -1 BIT',
      'BITCOUNT s -1 -5',
      'BITCOUNT s -1 -5 FOO',
      'BITCOUNT s -100 100',
      'BITCOUNT s 3 2',
      'BITCOUNT s 7 7 BIT',
      'BITCOUNT s 9 9 BIT',
      'BITCOUNT s 0',
      'BITCOUNT s a b',
      'BITCOUNT s 0 a BIT',
      'BITCOUNT s 0 1 FOO',
      'BITCOUNT s 0 1 BIT extra',
      'BITCOUNT s -9223372036854775808 9223372036854775807 BIT',
      'BITCOUNT missing',
      'BITCOUNT missing a b',
      'BITCOUNT missing 0 1 foo',
      'SET e ""',
      'BITCOUNT e',
      'BITCOUNT e 0 -1 BIT',
      'SET n -123',
      'BITCOUNT n',
      'BITCOUNT',
    ]));

  test('BITPOS edge rules', () =>
    pair.run([
      'SET s "\\xff\\xf0\\x00"',
      'BITPOS s 0',
      'BITPOS s 1',
      'BITPOS s 1 2',
      'BITPOS s 0 0 1',
      'BITPOS s 0 0 0',
      'BITPOS s 1 2 -1',
      'BITPOS s 1 2 -1 BYTE',
      'BITPOS s 0 0 11 BIT',
      'BITPOS s 0 0 12 BIT',
      'BITPOS s 1 12 23 BIT',
      'BITPOS s 1 7 15 bit',
      'BITPOS s 0 9 9 BIT',
      'BITPOS s 0 -3 -1 BIT',
      'SET f "\\xff\\xff\\xff"',
      'BITPOS f 0',
      'BITPOS f 0 0',
      'BITPOS f 0 0 -1',
      'BITPOS f 0 1 BIT',
      'BITPOS f 0 0 -1 BIT',
      'BITPOS f 1 5 5 BIT',
      'SET z "\\x00\\x00"',
      'BITPOS z 1',
      'BITPOS z 0 5',
      'BITPOS z 1 0 -1 BIT',
      'BITPOS missing 0',
      'BITPOS missing 1',
      'BITPOS missing 1 abc',
      'BITPOS s 2',
      'BITPOS s -1',
      'BITPOS s abc',
      'BITPOS s 0 abc',
      'BITPOS s 0 0 abc',
      'BITPOS s 0 0 abc FOO',
      'BITPOS s 0 abc 1 FOO',
      'BITPOS s 0 0 1 FOO',
      'BITPOS s 0 0 1 BIT extra',
      'BITPOS s 0 5 2',
      'BITPOS s 0 100',
      'SET e ""',
      'BITPOS e 0',
      'BITPOS e 1',
      'BITPOS e 0 0 -1 BIT',
      'BITPOS',
    ]));

  test('BITCOUNT and BITPOS on random bitmaps and ranges', () => {
    const rand = seeded(42);
    const steps: Step[] = [];
    const index = (len: number) => Math.floor(rand() * (len * 2 + 4)) - len - 2;
    for (let n = 0; n < 40; n++) {
      const len = 1 + Math.floor(rand() * 6);
      steps.push(['SET', 'b', randomBytes(rand, len)]);
      for (let q = 0; q < 6; q++) {
        const unit = rand() < 0.5 ? 'BIT' : 'BYTE';
        const span = unit === 'BIT' ? len * 8 : len;
        const [s, e] = [index(span), index(span)];
        steps.push(`BITCOUNT b ${s} ${e} ${unit}`);
        steps.push(`BITCOUNT b ${s} ${e}`);
        for (const bit of [0, 1]) {
          steps.push(`BITPOS b ${bit} ${s} ${e} ${unit}`);
          steps.push(`BITPOS b ${bit} ${s} ${e}`);
          steps.push(`BITPOS b ${bit} ${s}`);
        }
      }
    }
    return pair.run(steps);
  });

  test('BITOP', () =>
    pair.run([
      'SET a "\\x0f\\xf0\\xaa"',
      'SET b "\\xff\\x00"',
      'BITOP AND d a b',
      'GET d',
      'BITOP OR d a b',
      'GET d',
      'BITOP XOR d a b',
      'GET d',
      'BITOP NOT d a',
      'GET d',
      'BITOP and d a b missing',
      'GET d',
      'BITOP or d missing a',
      'GET d',
      'BITOP xor d a a a',
      'GET d',
      'BITOP NOT d a b',
      'BITOP NOT d',
      'BITOP FOO d a',
      'BITOP d a',
      'BITOP AND d missing missing2',
      'EXISTS d',
      'BITOP AND d missing',
      'SET d x EX 100',
      'BITOP OR d a',
      'TTL d',
      'BITOP NOT a a',
      'GET a',
      'SET n 123',
      'BITOP OR d n',
      'GET d',
      'SET e ""',
      'BITOP OR d e',
      'EXISTS d',
      ['BITOP', 'and\x00x', 'd', 'a'],
      'BITOP AND',
    ]));

  test('BITFIELD: types, offsets, overflow modes and errors', () =>
    pair.run([
      'BITFIELD k SET i8 0 100 GET i8 0',
      'BITFIELD k INCRBY i8 0 100',
      'BITFIELD k OVERFLOW SAT INCRBY i8 0 100',
      'BITFIELD k OVERFLOW FAIL INCRBY i8 0 100',
      'BITFIELD k OVERFLOW WRAP INCRBY i8 0 -300',
      'BITFIELD k GET u8 0 GET i8 0 GET u4 0 GET i4 4',
      'BITFIELD k SET u8 #1 255 GET u8 8 GET u8 #1',
      'BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1',
      'BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1',
      'BITFIELD k INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1',
      'BITFIELD k OVERFLOW FAIL INCRBY u2 102 1',
      'BITFIELD k SET u63 0 9223372036854775807 GET u63 0 GET i64 0',
      'BITFIELD k SET i64 0 -9223372036854775808 GET i64 0 GET u63 1',
      'BITFIELD k OVERFLOW SAT INCRBY i64 0 -1 INCRBY i64 0 9223372036854775807',
      'BITFIELD k OVERFLOW WRAP INCRBY i64 0 9223372036854775807 INCRBY i64 0 9223372036854775807',
      'BITFIELD k OVERFLOW FAIL INCRBY i64 0 9223372036854775807',
      'BITFIELD k OVERFLOW SAT SET i8 0 -9223372036854775808 SET i8 0 -9223372036854775800',
      'BITFIELD k OVERFLOW SAT SET i8 0 -9223372036854775680 GET i8 0',
      'BITFIELD k OVERFLOW SAT SET u8 0 -1 GET u8 0',
      'BITFIELD k OVERFLOW WRAP SET u8 0 -1 SET u8 0 256 GET u8 0',
      'BITFIELD k OVERFLOW FAIL SET u8 0 256 SET i8 0 128 SET i8 0 -129',
      'BITFIELD k SET i1 0 1 GET i1 0 GET u1 0',
      'BITFIELD k SET u5 3 31 GET u5 3 GET u16 0',
      'BITFIELD k GET u8 100000',
      'STRLEN k',
      'BITFIELD k',
      'BITFIELD k GET',
      'BITFIELD k GET u8',
      'BITFIELD k SET u8 0',
      'BITFIELD k FOO u8 0',
      'BITFIELD k OVERFLOW',
      'BITFIELD k OVERFLOW BOGUS GET u8 0',
      'BITFIELD k GET u64 0',
      'BITFIELD k GET i65 0',
      'BITFIELD k GET i0 0',
      'BITFIELD k GET U8 0',
      'BITFIELD k GET 8 0',
      'BITFIELD k GET u 0',
      'BITFIELD k GET u08 0',
      'BITFIELD k GET u8 -1',
      'BITFIELD k GET u8 abc',
      'BITFIELD k GET u8 #-1',
      'BITFIELD k GET u8 #',
      'BITFIELD k GET u8 #abc',
      'BITFIELD k GET u8 4294967296',
      'BITFIELD k GET u8 #536870912',
      'BITFIELD k GET u8 #536870911',
      'BITFIELD k GET u8 #1152921504606846976',
      'BITFIELD k GET u8 #2305843009213693953',
      'BITFIELD k GET i64 #144115188075855873',
      'BITFIELD k SET u8 0 abc',
      'BITFIELD k INCRBY u8 0 9223372036854775808',
      'BITFIELD k GET u8 0 SET u8 0',
      'BITFIELD k GET u8 0 BOGUS',
      ['BITFIELD', 'k', 'GET', 'u8\x00junk', '0'],
      ['BITFIELD', 'k', 'get\x00x', 'u8', '0'],
      'BITFIELD missing GET u8 0 GET i16 3',
      'EXISTS missing',
      'BITFIELD missing OVERFLOW FAIL SET u8 0 1000',
      'EXISTS missing',
      'GET missing',
      'SET s "\\x80\\x01"',
      'BITFIELD s GET i8 0 GET u16 0 GET i3 7',
      'SET n 99',
      'BITFIELD n GET u8 0 INCRBY u8 8 1',
      'GET n',
      'BITFIELD_RO k GET u8 0 GET i8 #1',
      'BITFIELD_RO k OVERFLOW SAT GET u8 0',
      'BITFIELD_RO k SET u8 0 1',
      'BITFIELD_RO k INCRBY u8 0 1',
      'BITFIELD_RO k GET u64 0',
      'BITFIELD_RO k SET u64 0 1',
      'BITFIELD_RO missing GET u8 0',
      'BITFIELD_RO k',
      'BITFIELD_RO',
      'BITFIELD',
      { cmd: 'HELLO 3', compare: 'ignore' },
      'BITFIELD k OVERFLOW FAIL INCRBY u2 102 5 GET u2 102',
    ]));

  test('BITFIELD on random operations', () => {
    const rand = seeded(99);
    const int = (n: number) => Math.floor(rand() * n);
    const steps: Step[] = ['SET f ""'];
    const overflows = ['WRAP', 'SAT', 'FAIL'];
    const values = [
      '0',
      '1',
      '-1',
      '127',
      '-128',
      '255',
      '9223372036854775807',
      '-9223372036854775808',
      '-9223372036854775700',
    ];
    for (let n = 0; n < 250; n++) {
      const args = ['BITFIELD', 'f'];
      for (let k = 0; k < 1 + int(4); k++) {
        const signed = rand() < 0.5;
        const bits = signed ? 1 + int(64) : 1 + int(63);
        const type = `${signed ? 'i' : 'u'}${bits}`;
        const offset = rand() < 0.3 ? `#${int(8)}` : String(int(80));
        const value = rand() < 0.4 ? values[int(values.length)] : String(int(2000) - 1000);
        const op = int(4);
        if (op === 0) args.push('OVERFLOW', overflows[int(3)]);
        else if (op === 1) args.push('GET', type, offset);
        else if (op === 2) args.push('SET', type, offset, value);
        else args.push('INCRBY', type, offset, value);
      }
      steps.push(args);
      if (n % 25 === 0) steps.push('GET f');
    }
    steps.push('GET f');
    return pair.run(steps);
  });

  test('large bitmaps grow in place', () =>
    pair.run([
      'SETBIT big 1000000 1',
      'SETBIT big 8000000 1',
      'SETBIT big 7999999 1',
      'STRLEN big',
      'BITCOUNT big',
      'BITPOS big 1',
      'BITPOS big 1 125001',
      'BITCOUNT big 999999 1000001 BIT',
      'BITFIELD big GET u16 7999990',
    ]));

  test('keyspace notifications of bitmap commands', () =>
    pair.run([
      'CONFIG SET notify-keyspace-events EA',
      { cmd: 'PSUBSCRIBE __keyevent@0__:*', conn: 2 },
      'SETBIT b 0 1',
      { read: 2 },
      'SETBIT b 0 1',
      'BITOP NOT d b',
      { read: 2 },
      'BITOP AND d missing',
      { read: 2 },
      'BITFIELD b SET u8 0 1',
      { read: 2 },
      'BITFIELD b SET u8 0 1 GET u8 0',
      'BITFIELD b OVERFLOW FAIL SET u2 0 9',
      'BITFIELD b INCRBY u8 0 1 INCRBY u8 8 1',
      { read: 2 },
      'SETBIT b 0 1',
      { read: 2 },
      'CONFIG SET notify-keyspace-events ""',
    ]));

  test('WRONGTYPE against a list', (t: TestContext) => {
    if (pair.ts.server.commands.lookup('lpush') === undefined) {
      t.skip('LPUSH not implemented in tsredis yet');
      return;
    }
    return pair.run([
      'RPUSH l a',
      'SETBIT l 0 1',
      'SETBIT l abc 1',
      'GETBIT l 0',
      'BITCOUNT l',
      'BITCOUNT l a b',
      'BITPOS l 1',
      'BITPOS l 2',
      'SET s x',
      'BITOP AND d s l',
      'BITOP NOT d l',
      'BITOP OR l s',
      'TYPE l',
      'RPUSH l2 a',
      'BITFIELD l2 GET u8 0',
      'BITFIELD l2 SET u8 0 1',
      'BITFIELD l2 GET u99 0',
      'BITFIELD_RO l2 GET u8 0',
    ]);
  });
});
