/**
 * Streams against redis-server 7.0.15: XADD/XRANGE/XREVRANGE/XLEN/XDEL/XTRIM/XSETID, XREAD and
 * XREADGROUP, consumer groups (XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM), XINFO, the stream's
 * introspection (TYPE, OBJECT ENCODING, SCAN TYPE, DEBUG DIGEST-VALUE, MEMORY USAGE, DUMP), keyspace
 * notifications, RESP2 and RESP3. Raw replies are byte-identical, except the numbers that come
 * from the clock (auto ids, idle times, delivery and seen times), which must be close.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RespValue } from '../../src/protocol/resp-reader.js';
import { runBlockingScript } from '../support/blocking-script.js';
import { DiffPair, type Step } from '../support/diff.js';
import { escapeBytes, RawClient, type Reply } from '../support/raw-client.js';
import { skipWithoutRedis } from '../support/servers.js';

/**
 * Numbers that depend on the clock, each matched as `<prefix>:<number>` in the raw reply: idle and
 * seen times (by their field name), XPENDING's idle (the third of [id, consumer, idle, count]),
 * unix-ms delivery times, and the ms part of an auto id (with its sequence, which depends on
 * whether the millisecond ticked, and the bulk length).
 */
const CLOCK_RULES: RegExp[] = [
  /\$(?:4\r\nidle|9\r\nseen-time|11\r\nactive-time|8\r\ninactive)\r\n:(-?\d+)(?=\r\n)/g,
  /\*4\r\n\$\d+\r\n\d+-\d+\r\n\$\d+\r\n[^\r]*\r\n:(\d+)(?=\r\n:\d+\r\n)/g,
  /:(\d{13})(?=\r\n)/g,
  /\$\d+\r\n(\d{13})-\d+(?=\r\n)/g,
];

function maskClock(raw: string): { text: string; numbers: number[] } {
  const numbers: number[] = [];
  let text = raw;
  for (const rule of CLOCK_RULES) {
    text = text.replace(rule, (match, n: string) => {
      numbers.push(Number(n));
      return `${match.slice(0, match.length - n.length)}~`;
    });
  }
  return { text, numbers };
}

/** Same bytes once clock numbers are masked, and those numbers within `toleranceMs` of each other. */
function clockTolerant(toleranceMs = 5000) {
  return (redis: Reply, ts: Reply): string | null => {
    const a = maskClock(redis.raw.toString('latin1'));
    const b = maskClock(ts.raw.toString('latin1'));
    if (a.text !== b.text) return 'different bytes (clock numbers masked)';
    for (let i = 0; i < a.numbers.length; i++) {
      if (Math.abs(a.numbers[i] - b.numbers[i]) > toleranceMs)
        return `clock numbers ${a.numbers[i]} vs ${b.numbers[i]}`;
    }
    return null;
  };
}

const timed = clockTolerant();
/** A step whose reply holds clock numbers. */
const t = (cmd: string | string[]): Step => ({ cmd, compare: timed });

/** XADDs of n entries with ids `${from + i}-0` and one field. */
function addMany(key: string, from: number, n: number, field = 'f'): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < n; i++) steps.push(['XADD', key, `${from + i}-0`, field, `v${from + i}`]);
  return steps;
}

/** A stream s with three entries and a group g that delivered them to c1 (1-0) and c2 (2-0, 3-0). */
const groupFixture: Step[] = [
  'XADD s 1-0 a 1',
  'XADD s 2-0 b 2',
  'XADD s 3-0 c 3',
  'XGROUP CREATE s g 0',
  'XREADGROUP GROUP g c1 COUNT 1 STREAMS s >',
  'XREADGROUP GROUP g c2 STREAMS s >',
];

describe('streams: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({ config: { 'enable-debug-command': 'yes' } });
  });
  after(() => pair.stop());

  /** Runs steps with stream-node-max-entries at n on both servers, restoring the default after. */
  async function withNodeMaxEntries(n: number, steps: Step[], maxBytes = '4096'): Promise<void> {
    try {
      await pair.run([
        `CONFIG SET stream-node-max-entries ${n}`,
        `CONFIG SET stream-node-max-bytes ${maxBytes}`,
        ...steps,
      ]);
    } finally {
      await pair.run(['CONFIG SET stream-node-max-entries 100', 'CONFIG SET stream-node-max-bytes 4096']);
    }
  }

  test('XADD: explicit ids, <ms>-* ids, the top item, 0-0 and the last possible id', () =>
    pair.run([
      'XADD s 1-1 f v',
      'XADD s 1-1 f v',
      'XADD s 1-0 f v',
      'XADD s 0-0 f v',
      'XADD fresh 0-0 f v',
      'XADD fresh 0-* f v',
      'XADD fresh 0-* f v',
      'XADD s 1 f v',
      'XADD s 2 f v',
      'XADD s 2-* f v',
      'XADD s 2-* f v',
      'XADD s 3-* f v',
      'XADD s 1-* f v',
      'XADD s 3-5 f v',
      'XADD s 3-* f v',
      'XLEN s',
      'XRANGE s - +',
      'XADD s 18446744073709551615-* f v',
      'XADD s 18446744073709551615-* f v',
      'XADD s 18446744073709551615-18446744073709551615 f v',
      'XADD s * f v',
      'XADD s 18446744073709551615-* f v',
      'XADD s 18446744073709551615-18446744073709551615 f v',
      'XADD max 18446744073709551615-18446744073709551615 f v',
      'XADD max 18446744073709551615-* f v',
      'XLEN s',
      'XADD s 18446744073709551616-0 f v',
      'XADD s 5-18446744073709551616 f v',
      'XADD s -1-0 f v',
      'XADD s 1--1 f v',
      'XADD s a-b f v',
      'XADD s 1-a f v',
      'XADD s 1- f v',
      'XADD s -5 f v',
      'XADD s 1-2-3 f v',
      'XADD s " 5-0" f v',
      'XADD s "5-0 " f v',
      'XADD s +5-0 f v',
      'XADD s 0x10-0 f v',
      'XADD s "" f v',
      'XADD s - f v',
      'XADD s + f v',
      'XADD s $ f v',
      'XADD s > f v',
      'XADD s *-0 f v',
      'XADD s *-* f v',
      'XADD s 5-*x f v',
      'XADD s ** f v',
      'XADD bad x f v',
      'EXISTS bad',
      'XADD s 10-0 f',
      'XADD s 10-0 f v g',
      'XADD s 10-0',
      'XADD s',
      'XADD',
      'XADD s 10-0 f v f v2 f v3',
      'XRANGE s 10 10',
      'XADD fut 9999999999999-5 f v',
      'XADD fut * f v',
      'XADD fut * f v',
      'XRANGE fut - +',
      'XADD fut 9999999999999 f v',
      'XADD fut 10000000000000 f v',
    ]));

  test('XADD with an auto id (*) and its stream', () =>
    pair.run([
      t('XADD a * f v'),
      t('XADD a * f v g w'),
      'XLEN a',
      t('XRANGE a - +'),
      t('XINFO STREAM a'),
      t('XADD a NOMKSTREAM MAXLEN 1 * f v'),
      'XLEN a',
      t('XADD fresh NOMKSTREAM * f v'),
    ]));

  test('XADD options: MAXLEN/MINID with = and ~, LIMIT, NOMKSTREAM and their errors', () =>
    pair.run([
      ...addMany('s', 1, 5),
      'XADD s MAXLEN 3 6-0 f v',
      'XRANGE s - +',
      'XADD s MAXLEN = 2 7-0 f v',
      'XADD s maxlen = 2 8-0 f v',
      'XRANGE s - +',
      'XADD s MAXLEN ~ 1 9-0 f v',
      'XLEN s',
      'XADD s MAXLEN ~ 1 LIMIT 0 10-0 f v',
      'XLEN s',
      'XADD s MAXLEN ~ 1 LIMIT 100 11-0 f v',
      'XLEN s',
      'XADD s MINID 9 12-0 f v',
      'XRANGE s - +',
      'XADD s MINID = 11 13-0 f v',
      'XADD s MINID ~ 13 14-0 f v',
      'XADD s MINID ~ 13 LIMIT 5 15-0 f v',
      'XRANGE s - +',
      'XADD s MINID 14-1 16-0 f v',
      'XADD s MINID 16 16-* f v',
      'XADD s MINID 100 17-0 f v',
      'XRANGE s - +',
      'XINFO STREAM s',
      'XADD s MAXLEN 0 18-0 f v',
      'XLEN s',
      'XINFO STREAM s',
      'EXISTS s',
      'XADD s MAXLEN -1 19-0 f v',
      'XADD s MAXLEN x 19-0 f v',
      'XADD s MAXLEN 1.5 19-0 f v',
      'XADD s MAXLEN 9223372036854775808 19-0 f v',
      'XADD s MAXLEN 9223372036854775807 19-0 f v',
      'XADD s MAXLEN 2 LIMIT 10 20-0 f v',
      'XADD s MAXLEN = 2 LIMIT 10 20-0 f v',
      'XADD s MAXLEN ~ 2 LIMIT -1 20-0 f v',
      'XADD s MAXLEN ~ 2 LIMIT x 20-0 f v',
      'XADD s LIMIT 10 20-0 f v',
      'XADD s MAXLEN 1 MINID 1 20-0 f v',
      'XADD s MINID 1 MAXLEN 1 20-0 f v',
      'XADD s MINID x 20-0 f v',
      'XADD s MINID - 20-0 f v',
      'XADD s MINID + 20-0 f v',
      'XADD s MINID (5 20-0 f v',
      'XADD s MINID -1 20-0 f v',
      'XADD s MAXLEN',
      'XADD s MAXLEN ~',
      'XADD s MAXLEN ~ 5',
      'XADD s MAXLEN ~ 5 LIMIT',
      'XADD s MAXLEN 5 * f',
      'XADD s MAXLEN ~ ~ 20-0 f v',
      'XADD s MAXLEN = ~ 20-0 f v',
      'XADD s MAXLEN 1 MAXLEN 2 20-0 f v',
      'XLEN s',
      'XADD s NOMKSTREAM 21-0 f v',
      'XADD nokey NOMKSTREAM 1-0 f v',
      'XADD nokey NOMKSTREAM MAXLEN 0 1-0 f v',
      'XADD nokey nomkstream MINID 5 1-0 f v',
      'EXISTS nokey',
      'XADD nokey NOMKSTREAM NOMKSTREAM 1-0 f v',
      'XADD nokey NOMKSTREAM 0-0 f v',
      'XADD nokey NOMKSTREAM x f v',
      'XADD s NOMKSTREAM MAXLEN 1 22-0 f v',
      'XRANGE s - +',
      'XADD mk MAXLEN 0 1-0 f v',
      'EXISTS mk',
      'XLEN mk',
      'XINFO STREAM mk',
      'XADD mk 1-0 f v',
      'XADD mk 1-1 f v',
    ]));

  test('XTRIM: strategies, LIMIT, missing keys and syntax errors', () =>
    pair.run([
      ...addMany('s', 1, 10),
      'XTRIM s MAXLEN 8',
      'XTRIM s MAXLEN = 7',
      'XTRIM s MAXLEN ~ 2',
      'XTRIM s MINID 4',
      'XTRIM s MINID = 5-0',
      'XTRIM s MINID ~ 7',
      'XTRIM s MINID 4',
      'XRANGE s - +',
      'XTRIM s MAXLEN 100',
      'XTRIM s MAXLEN ~ 0 LIMIT 1',
      'XTRIM s MAXLEN 0',
      'XLEN s',
      'EXISTS s',
      'XINFO STREAM s',
      'XTRIM nokey MAXLEN 1',
      'XTRIM nokey MINID 1',
      'XTRIM nokey MAXLEN x',
      'XTRIM nokey FOO 1',
      'EXISTS nokey',
      'XTRIM s FOO 1',
      'XTRIM s MAXLEN 1 extra',
      'XTRIM s MAXLEN 1 LIMIT 5',
      'XTRIM s MAXLEN ~ 1 LIMIT -1',
      'XTRIM s MAXLEN ~ 1 LIMIT x',
      'XTRIM s MAXLEN ~ 1 LIMIT',
      'XTRIM s MAXLEN -1',
      'XTRIM s MAXLEN x',
      'XTRIM s MINID x',
      'XTRIM s MINID 1-x',
      'XTRIM s MAXLEN 1 MINID 1',
      'XTRIM s MAXLEN ~',
      'XTRIM s MAXLEN =',
      'XTRIM s NOMKSTREAM MAXLEN 1',
      'XTRIM s 1-0 MAXLEN 1',
      'XTRIM s MAXLEN',
      'XTRIM s',
      'XTRIM',
      'XTRIM s maxlen = 0',
      'XTRIM s minid ~ 0',
    ]));

  test('XTRIM and XADD ~ on several listpack nodes (stream-node-max-entries 3)', () =>
    withNodeMaxEntries(3, [
      ...addMany('s', 1, 11),
      'XINFO STREAM s',
      'XTRIM s MAXLEN ~ 8',
      'XLEN s',
      'XTRIM s MAXLEN ~ 5',
      'XLEN s',
      'XRANGE s - + COUNT 2',
      'XTRIM s MAXLEN ~ 1 LIMIT 3',
      'XLEN s',
      'XTRIM s MAXLEN ~ 1 LIMIT 2',
      'XLEN s',
      'XINFO STREAM s',
      ...addMany('s', 20, 9),
      'XTRIM s MINID ~ 23',
      'XRANGE s - + COUNT 1',
      'XTRIM s MINID ~ 25 LIMIT 1',
      'XTRIM s MINID ~ 25 LIMIT 3',
      'XRANGE s - + COUNT 1',
      'XTRIM s MINID = 26',
      'XRANGE s - + COUNT 1',
      'XADD s MAXLEN ~ 2 40-0 f v',
      'XLEN s',
      'XADD s MAXLEN ~ 2 LIMIT 1 41-0 f v',
      'XLEN s',
      'XDEL s 27-0 28-0',
      'XTRIM s MAXLEN 2',
      'XRANGE s - +',
      'XINFO STREAM s',
      'MEMORY USAGE s',
      'DEBUG DIGEST-VALUE s',
    ]));

  test('XRANGE and XREVRANGE: bounds, exclusive bounds, COUNT and errors', () =>
    pair.run([
      'XADD s 1-0 a 1',
      'XADD s 1-1 b 2',
      'XADD s 2-0 c 3',
      'XADD s 3-5 d 4',
      'XADD s 18446744073709551615-0 e 5',
      'XRANGE s - +',
      'XRANGE s + -',
      'XRANGE s 1 1',
      'XRANGE s 1-1 2',
      'XRANGE s 2 +',
      'XRANGE s 3-4 3-5',
      'XRANGE s 0 0',
      'XRANGE s 0-0 +',
      'XRANGE s (1-0 +',
      'XRANGE s (1 +',
      'XRANGE s - (2-0',
      'XRANGE s (1-0 (2-0',
      'XRANGE s (1-1 (2-0',
      'XRANGE s (18446744073709551615-18446744073709551615 +',
      'XRANGE s - (0-0',
      'XRANGE s (0-0 +',
      'XRANGE s - (0-1',
      'XRANGE s (18446744073709551615 +',
      'XRANGE s (18446744073709551614-18446744073709551615 +',
      'XRANGE s (- +',
      'XRANGE s - (+',
      'XRANGE s ( +',
      'XRANGE s - (',
      'XRANGE s ((1 +',
      'XRANGE s [1 +',
      'XRANGE s 1- +',
      'XRANGE s x +',
      'XRANGE s - x',
      'XRANGE s 18446744073709551616 +',
      'XRANGE s - + COUNT 2',
      'XRANGE s - + COUNT 0',
      'XRANGE s - + COUNT -1',
      'XRANGE s - + COUNT 1 COUNT 3',
      'XRANGE s - + count 1',
      'XRANGE s - + COUNT',
      'XRANGE s - + COUNT x',
      'XRANGE s - + COUNT 1 x',
      'XRANGE s - + FOO 1',
      'XRANGE s - + COUNT 9223372036854775807',
      'XRANGE s - + COUNT 9223372036854775808',
      'XRANGE s -',
      'XRANGE s',
      'XRANGE nokey - +',
      'XRANGE nokey x +',
      'XRANGE nokey - + COUNT x',
      'XRANGE nokey - + COUNT 0',
      'XREVRANGE s + -',
      'XREVRANGE s - +',
      'XREVRANGE s + - COUNT 2',
      'XREVRANGE s + - COUNT 0',
      'XREVRANGE s + - COUNT -3',
      'XREVRANGE s (3-5 -',
      'XREVRANGE s (3 -',
      'XREVRANGE s + (1-0',
      'XREVRANGE s (2-0 (1-0',
      'XREVRANGE s 2 1',
      'XREVRANGE s (0-0 -',
      'XREVRANGE s + (18446744073709551615-18446744073709551615',
      'XREVRANGE s (+ -',
      'XREVRANGE s + (-',
      'XREVRANGE s x -',
      'XREVRANGE s + - COUNT x',
      'XREVRANGE s + - FOO',
      'XREVRANGE nokey + -',
      'XREVRANGE s +',
    ]));

  test('XDEL and XLEN', () =>
    pair.run([
      ...addMany('s', 1, 5),
      'XDEL s 1-0',
      'XDEL s 1-0',
      'XDEL s 99-0',
      'XDEL s 2 3-0',
      'XDEL s 4-0 4-0',
      'XDEL s 5-0 bad',
      'XDEL s 5-0 -',
      'XDEL s 5-0 +',
      'XDEL s (5-0',
      'XDEL s 5-*',
      'XLEN s',
      'XRANGE s - +',
      'XINFO STREAM s',
      'XDEL s 5-0',
      'XLEN s',
      'EXISTS s',
      'XINFO STREAM s',
      'XADD s 5-0 f v',
      'XADD s 6-0 f v',
      'XDEL nokey 1-0',
      'XDEL nokey bad',
      'XDEL s',
      'XDEL',
      'XLEN nokey',
      'XLEN s x',
      'XLEN',
    ]));

  test('XDEL across listpack nodes and first/last entries (stream-node-max-entries 3)', () =>
    withNodeMaxEntries(3, [
      ...addMany('s', 1, 10),
      'XDEL s 1-0 2-0 3-0',
      'XINFO STREAM s',
      'XDEL s 5-0',
      'XRANGE s - +',
      'XREVRANGE s + - COUNT 2',
      'XDEL s 10-0 9-0',
      'XINFO STREAM s',
      'XADD s 11-0 f v',
      'XINFO STREAM s',
      'XDEL s 4-0 6-0 7-0 8-0 11-0',
      'XINFO STREAM s',
      'XRANGE s - +',
      'XADD s 12-0 f v',
      'XINFO STREAM s FULL',
      'DEBUG DIGEST-VALUE s',
      'MEMORY USAGE s',
    ]));

  test('XSETID: ENTRIESADDED, MAXDELETEDID and their errors', () =>
    pair.run([
      'XADD s 1-0 f v',
      'XADD s 2-0 f v',
      'XSETID s 10-0',
      'XINFO STREAM s',
      'XADD s 5-0 f v',
      'XADD s 10-* f v',
      'XSETID s 5-0',
      'XSETID s 10-1',
      'XSETID s 10-0',
      'XSETID s 2-0',
      'XSETID s 20-0 ENTRIESADDED 1',
      'XSETID s 20-0 ENTRIESADDED 3',
      'XSETID s 20-0 ENTRIESADDED 2',
      'XSETID s 20-0 ENTRIESADDED -1',
      'XSETID s 20-0 ENTRIESADDED x',
      'XSETID s 20-0 ENTRIESADDED',
      'XSETID s 20-0 MAXDELETEDID 30-0',
      'XSETID s 20-0 MAXDELETEDID 30-0 ENTRIESADDED 100',
      'XSETID s 20-0 ENTRIESADDED 100 MAXDELETEDID 30-0',
      'XSETID s 20-0 ENTRIESADDED 100 MAXDELETEDID x',
      'XSETID s 20-0 ENTRIESADDED 100 MAXDELETEDID',
      'XSETID s 20-0 ENTRIESADDED 100 MAXDELETEDID 15-0',
      'XINFO STREAM s',
      'XSETID s 20-0 ENTRIESADDED 100 MAXDELETEDID 20-0',
      'XSETID s 20-0 FOO',
      'XSETID s 20-0 FOO 1',
      'XSETID s 20-0 ENTRIESADDED 5 ENTRIESADDED 6',
      'XSETID s 25 ENTRIESADDED 101',
      'XINFO STREAM s',
      'XSETID s 18446744073709551615-18446744073709551615',
      'XADD s * f v',
      'XADD s 18446744073709551615-* f v',
      'XSETID s x',
      'XSETID s -',
      'XSETID s +',
      'XSETID s *',
      'XSETID s 30-*',
      'XSETID s (30',
      'XSETID s $',
      'XSETID nokey 1-0',
      'XSETID nokey x',
      'XSETID nokey 1-0 ENTRIESADDED x',
      'XSETID s',
      'XSETID',
      'XADD e 1-0 f v',
      'XDEL e 1-0',
      'XSETID e 0-0',
      'XSETID e 0-5',
      'XSETID e 1-0',
      'XSETID e 0-1 ENTRIESADDED 1 MAXDELETEDID 0-1',
      'XINFO STREAM e',
      'XSETID e 0-0 ENTRIESADDED 0 MAXDELETEDID 0-0',
      'XINFO STREAM e',
      'XADD e 0-1 f v',
    ]));

  test('XGROUP CREATE (MKSTREAM, ENTRIESREAD), SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP', () =>
    pair.run([
      'XGROUP CREATE nokey g $',
      'XGROUP CREATE nokey g $ MKSTREAM',
      'XGROUP CREATE nokey g $ MKSTREAM',
      'TYPE nokey',
      'XLEN nokey',
      'XINFO STREAM nokey',
      'XINFO GROUPS nokey',
      'XGROUP CREATE mk2 g 0 mkstream entriesread 3',
      'XINFO GROUPS mk2',
      ...addMany('s', 1, 3),
      'XGROUP CREATE s g $',
      'XGROUP CREATE s g 0',
      'XGROUP CREATE s G 0',
      'XGROUP CREATE s g0 0',
      'XGROUP CREATE s g1 1-0',
      'XGROUP CREATE s g2 0 ENTRIESREAD 1',
      'XGROUP CREATE s g3 0 ENTRIESREAD -1',
      'XGROUP CREATE s g4 0 ENTRIESREAD -2',
      'XGROUP CREATE s g4 0 ENTRIESREAD x',
      'XGROUP CREATE s g4 0 ENTRIESREAD',
      'XGROUP CREATE s g4 0 ENTRIESREAD 100',
      'XGROUP CREATE s g5 0 FOO',
      'XGROUP CREATE s g5 bad',
      'XGROUP CREATE s g5 -',
      'XGROUP CREATE s g6 +',
      'XGROUP CREATE s g7 (1',
      'XGROUP CREATE s g7 2-*',
      'XGROUP CREATE s g7 >',
      'XGROUP CREATE s g8 99-0',
      'XGROUP CREATE s g9 $ MKSTREAM ENTRIESREAD 2',
      'XGROUP CREATE s "" 0',
      'XINFO GROUPS s',
      'XGROUP CREATECONSUMER s g c1',
      'XGROUP CREATECONSUMER s g c1',
      'XGROUP CREATECONSUMER s g C1',
      'XGROUP CREATECONSUMER s g ""',
      'XGROUP CREATECONSUMER s nog c1',
      'XGROUP CREATECONSUMER nokey2 g c1',
      'XGROUP CREATECONSUMER s g',
      'XGROUP CREATECONSUMER s g c1 x',
      'XINFO GROUPS s',
      'XREADGROUP GROUP g0 c1 STREAMS s >',
      'XGROUP DELCONSUMER s g0 c1',
      'XGROUP DELCONSUMER s g0 c1',
      'XGROUP DELCONSUMER s g0 nosuch',
      'XGROUP DELCONSUMER s nog c1',
      'XGROUP DELCONSUMER nokey2 g c1',
      'XPENDING s g0',
      'XGROUP SETID s g2 $',
      'XGROUP SETID s g2 0 ENTRIESREAD 2',
      'XGROUP SETID s g2 1-0 ENTRIESREAD -1',
      'XGROUP SETID s g2 1-0 ENTRIESREAD -3',
      'XGROUP SETID s g2 1-0 ENTRIESREAD x',
      'XGROUP SETID s g2 1-0 ENTRIESREAD',
      'XGROUP SETID s g2 2-0 FOO',
      'XGROUP SETID s g2 bad',
      'XGROUP SETID s g2 +',
      'XGROUP SETID s g2 - ENTRIESREAD 0',
      'XGROUP SETID s g2 100-0',
      'XGROUP SETID s nog 0',
      'XGROUP SETID nokey2 g 0',
      'XGROUP SETID s g2 $ MKSTREAM',
      'XINFO GROUPS s',
      'XGROUP DESTROY s g',
      'XGROUP DESTROY s g',
      'XGROUP DESTROY nokey2 g',
      'XGROUP DESTROY s',
      'XGROUP DESTROY s g x',
      'XINFO GROUPS s',
      'XGROUP HELP',
      'XGROUP help',
      'XGROUP HELP x',
      'XGROUP FOO',
      'XGROUP FOO s g',
      'XGROUP',
      'XGROUP CREATE s',
      'XGROUP CREATE s g',
      'XGROUP SETID s g',
      'XGROUP SETID s',
    ]));

  test('XREADGROUP: >, history ids, NOACK, COUNT, deleted entries and errors', () =>
    pair.run([
      ...addMany('s', 1, 4),
      'XGROUP CREATE s g 0',
      'XREADGROUP GROUP g c1 COUNT 1 STREAMS s >',
      'XREADGROUP GROUP g c1 COUNT 2 STREAMS s >',
      'XREADGROUP GROUP g c2 STREAMS s >',
      'XREADGROUP GROUP g c2 STREAMS s >',
      'XREADGROUP GROUP g c1 STREAMS s 0',
      'XREADGROUP GROUP g c1 STREAMS s 1-0',
      'XREADGROUP GROUP g c1 COUNT 1 STREAMS s 0',
      'XREADGROUP GROUP g c1 COUNT 0 STREAMS s 0',
      'XREADGROUP GROUP g c1 COUNT -1 STREAMS s 0',
      'XREADGROUP GROUP g c2 STREAMS s 0',
      'XREADGROUP GROUP g c3 STREAMS s 0',
      'XREADGROUP GROUP g c1 STREAMS s 99-0',
      'XREADGROUP GROUP g c1 STREAMS s -',
      'XREADGROUP GROUP g c1 STREAMS s +',
      'XINFO GROUPS s',
      t('XINFO CONSUMERS s g'),
      'XPENDING s g',
      'XADD s 5-0 f v5',
      'XADD s 6-0 f v6',
      'XREADGROUP GROUP g c3 NOACK STREAMS s >',
      'XPENDING s g',
      'XREADGROUP GROUP g c3 STREAMS s 0',
      'XDEL s 2-0',
      'XREADGROUP GROUP g c1 STREAMS s 0',
      'XPENDING s g',
      'XADD s 7-0 f v7',
      'XREADGROUP GROUP g c1 noack count 1 streams s >',
      'XGROUP CREATE t g 0 MKSTREAM',
      'XADD t 1-0 x y',
      'XREADGROUP GROUP g c1 STREAMS s t > >',
      'XREADGROUP GROUP g c1 STREAMS s t 0 0',
      'XREADGROUP GROUP g c1 STREAMS s t > 0',
      'XREADGROUP GROUP g c1 STREAMS s s > >',
      'XREADGROUP GROUP g c1 STREAMS s missing > >',
      'XREADGROUP GROUP nog c1 STREAMS s >',
      'XREADGROUP GROUP g c1 STREAMS missing >',
      'XREADGROUP GROUP g c1 STREAMS missing 0',
      'XREADGROUP GROUP g c1 STREAMS s',
      'XREADGROUP GROUP g c1 STREAMS s t >',
      'XREADGROUP GROUP g c1 STREAMS',
      'XREADGROUP GROUP g STREAMS s >',
      'XREADGROUP GROUP g c1 s >',
      'XREADGROUP STREAMS s >',
      'XREADGROUP COUNT 1 STREAMS s >',
      'XREADGROUP GROUP g c1 STREAMS s $',
      'XREADGROUP GROUP g c1 STREAMS s bad',
      'XREADGROUP GROUP g c1 STREAMS s (1',
      'XREADGROUP GROUP g c1 COUNT x STREAMS s >',
      'XREADGROUP GROUP g c1 FOO STREAMS s >',
      'XREADGROUP GROUP g c1 BLOCK x STREAMS s >',
      'XREADGROUP GROUP g c1 BLOCK -1 STREAMS s >',
      'XREADGROUP GROUP g c1 GROUP g c2 STREAMS s >',
      'XREADGROUP GROUP g c1 STREAMS s >',
      'SET str x',
      'XREADGROUP GROUP g c1 STREAMS str >',
      'XREADGROUP GROUP g c1 STREAMS s str > >',
      'XREADGROUP',
      'XREADGROUP GROUP',
      'XINFO GROUPS s',
      'XINFO GROUPS t',
      'XINFO STREAM s',
    ]));

  test('XREAD: ids, $, several streams, missing keys, COUNT and errors', () =>
    pair.run([
      ...addMany('s', 1, 3),
      'XADD t 5-0 x y',
      'XREAD STREAMS s 0',
      'XREAD COUNT 1 STREAMS s 0',
      'XREAD COUNT 2 STREAMS s 1-0',
      'XREAD COUNT 0 STREAMS s 0',
      'XREAD COUNT -1 STREAMS s 0',
      'XREAD COUNT x STREAMS s 0',
      'XREAD STREAMS s $',
      'XREAD STREAMS s 3-0',
      'XREAD STREAMS s 2',
      'XREAD STREAMS s -',
      'XREAD STREAMS s +',
      'XREAD STREAMS s t 0 0',
      'XREAD STREAMS s t 0 $',
      'XREAD STREAMS s missing t 0 0 0',
      'XREAD STREAMS missing $',
      'XREAD STREAMS missing 0',
      'XREAD STREAMS s s 0 2-0',
      'XREAD streams s 0',
      'XREAD STREAMS s >',
      'XREAD STREAMS s bad',
      'XREAD STREAMS s (1',
      'XREAD STREAMS s 0 t',
      'XREAD STREAMS',
      'XREAD STREAMS s',
      'XREAD s 0',
      'XREAD FOO STREAMS s 0',
      'XREAD NOACK STREAMS s 0',
      'XREAD GROUP g c STREAMS s 0',
      'XREAD COUNT 1 COUNT 2 STREAMS s 0',
      'XREAD BLOCK x STREAMS s 0',
      'XREAD BLOCK -1 STREAMS s 0',
      'XREAD BLOCK 0 STREAMS s 0',
      'XREAD BLOCK 10 STREAMS s 0',
      'XREAD COUNT',
      'SET str x',
      'XREAD STREAMS str 0',
      'XREAD STREAMS s str 0 0',
      'XREAD STREAMS missing str 0 0',
      'XREAD',
      'XREAD STREAMS s STREAMS 0',
    ]));

  test('XACK and XPENDING summary and extended forms', () =>
    pair.run([
      'XGROUP CREATE s g $ MKSTREAM',
      'XPENDING s g',
      'XPENDING s g - + 10',
      ...groupFixture,
      'XGROUP CREATE s h 0',
      'XPENDING s g',
      'XPENDING s h',
      t('XPENDING s g - + 10'),
      t('XPENDING s g - + 10 c2'),
      'XPENDING s g - + 10 nosuch',
      t('XPENDING s g - + 1'),
      'XPENDING s g - + 0',
      'XPENDING s g - + -1',
      t('XPENDING s g (1-0 + 10'),
      t('XPENDING s g - (3-0 10'),
      t('XPENDING s g 2 3 10'),
      'XPENDING s g + - 10',
      t('XPENDING s g IDLE 0 - + 10'),
      'XPENDING s g IDLE 999999999 - + 10',
      t('XPENDING s g IDLE 0 - + 10 c1'),
      'XPENDING s g IDLE 999999999 - + 10 c1',
      t('XPENDING s g idle -5 - + 10'),
      'XPENDING s g IDLE x - + 10',
      'XPENDING s g IDLE 0',
      'XPENDING s g IDLE',
      'XPENDING s g IDLE 0 - +',
      'XPENDING s g - + x',
      'XPENDING s g - +',
      'XPENDING s g -',
      'XPENDING s g x + 10',
      'XPENDING s g - x 10',
      'XPENDING s g (- + 10',
      'XPENDING s g (18446744073709551615-18446744073709551615 + 10',
      'XPENDING s g - (0-0 10',
      t('XPENDING s g - + 10 c1 extra'),
      'XPENDING s g - + 9223372036854775808',
      'XPENDING s nog',
      'XPENDING s nog - + 10',
      'XPENDING nokey g',
      'XPENDING nokey g - + 10',
      'XPENDING s',
      'XPENDING',
      'XACK s g 1-0',
      'XACK s g 1-0',
      'XACK s g 2-0 3-0 99-0',
      'XPENDING s g',
      'XREADGROUP GROUP g c1 STREAMS s 0',
      'XREADGROUP GROUP g c2 STREAMS s 0',
      'XACK s g 1-0 bad',
      'XACK s g -',
      'XACK s g 5-*',
      'XACK s nog 1-0',
      'XACK nokey g 1-0',
      'XACK nokey g bad',
      'XACK s g',
      'XACK s',
      'XREADGROUP GROUP h c1 STREAMS s >',
      'XACK s h 1 2 3',
      'XACK s h 1',
      'XPENDING s h',
      t('XINFO CONSUMERS s h'),
      'SET str x',
      'XACK str g 1-0',
      'XPENDING str g',
    ]));

  test('XCLAIM: options, FORCE, JUSTID, LASTID, deleted entries and errors', () =>
    pair.run([
      ...groupFixture,
      'XCLAIM s g c3 0 1-0',
      t('XPENDING s g - + 10'),
      'XCLAIM s g c3 0 1-0 JUSTID',
      t('XPENDING s g - + 10'),
      'XCLAIM s g c1 0 1-0 2-0 RETRYCOUNT 7',
      t('XPENDING s g - + 10'),
      'XCLAIM s g c1 0 1-0 IDLE 100000 JUSTID',
      t('XPENDING s g - + 10'),
      'XCLAIM s g c1 50000 1-0 2-0',
      'XCLAIM s g c1 200000 1-0',
      'XCLAIM s g c2 0 1-0 TIME 1000',
      t('XPENDING s g - + 10'),
      t('XINFO STREAM s FULL'),
      'XCLAIM s g c2 0 1-0 TIME 99999999999999',
      t('XPENDING s g - + 10'),
      'XCLAIM s g c2 0 99-0 FORCE',
      'XPENDING s g',
      'XCLAIM s g c2 0 3-0 4-0',
      'XADD s 4-0 d 4',
      'XCLAIM s g c2 0 4-0',
      'XCLAIM s g c2 0 4-0 FORCE',
      'XCLAIM s g c2 0 4-0 FORCE JUSTID',
      'XPENDING s g',
      'XINFO GROUPS s',
      'XCLAIM s g c2 0 4-0 LASTID 50-0',
      'XINFO GROUPS s',
      'XCLAIM s g c2 0 4-0 LASTID 2-0',
      'XINFO GROUPS s',
      'XCLAIM s g c2 0 4-0 LASTID bad',
      'XCLAIM s g c2 0 4-0 LASTID',
      'XCLAIM s g c4 0 99-0',
      t('XINFO CONSUMERS s g'),
      'XCLAIM s g c5 0 1-0 JUSTID FORCE RETRYCOUNT 0 IDLE 0',
      'XCLAIM s g c5 0 1-0 FOO',
      'XCLAIM s g c5 0 1-0 IDLE x',
      'XCLAIM s g c5 0 1-0 IDLE',
      'XCLAIM s g c5 0 1-0 TIME x',
      'XCLAIM s g c5 0 1-0 RETRYCOUNT x',
      'XCLAIM s g c5 0 1-0 RETRYCOUNT -1',
      'XCLAIM s g c5 0 1-0 IDLE -1 JUSTID',
      'XCLAIM s g c5 0 1-0 TIME -1 JUSTID',
      t('XPENDING s g - + 10'),
      'XCLAIM s g c5 x 1-0',
      'XCLAIM s g c5 -1 1-0',
      'XCLAIM s g c5 9223372036854775808 1-0',
      'XCLAIM s g c5 0 bad',
      'XCLAIM s g c5 0 1-0 bad',
      'XCLAIM s g c5 0 -',
      'XCLAIM s g c5 0 1-*',
      'XCLAIM s nog c5 0 1-0',
      'XCLAIM nokey g c5 0 1-0',
      'XCLAIM nokey g c5 x 1-0',
      'XCLAIM s g c5 0',
      'XCLAIM s g c5',
      'XCLAIM',
      'XDEL s 2-0 3-0',
      'XPENDING s g',
      'XCLAIM s g c6 0 2-0 3-0 1-0',
      'XPENDING s g',
      'XCLAIM s g c6 0 3-0 FORCE',
      'XPENDING s g',
      t('XINFO CONSUMERS s g'),
      'XINFO GROUPS s',
      'SET str x',
      'XCLAIM str g c 0 1-0',
    ]));

  test('XAUTOCLAIM: COUNT, JUSTID, the cursor, deleted ids and errors', () =>
    withNodeMaxEntries(3, [
      ...addMany('s', 1, 8),
      'XGROUP CREATE s g 0',
      'XREADGROUP GROUP g c1 STREAMS s >',
      'XAUTOCLAIM s g c2 0 0 COUNT 3',
      'XAUTOCLAIM s g c2 0 4-0 COUNT 3 JUSTID',
      'XAUTOCLAIM s g c2 0 7-0 COUNT 3',
      'XAUTOCLAIM s g c2 0 0-0',
      'XAUTOCLAIM s g c3 0 - JUSTID',
      'XAUTOCLAIM s g c3 0 (2-0 COUNT 1',
      'XAUTOCLAIM s g c3 0 (8 COUNT 1',
      'XAUTOCLAIM s g c3 0 99-0',
      'XAUTOCLAIM s g c3 999999999 0',
      'XPENDING s g',
      'XDEL s 2-0 3-0 5-0',
      'XAUTOCLAIM s g c4 0 0 COUNT 2',
      'XPENDING s g',
      'XAUTOCLAIM s g c4 0 0 COUNT 2 JUSTID',
      'XAUTOCLAIM s g c4 0 0',
      'XPENDING s g',
      t('XPENDING s g - + 10'),
      t('XINFO CONSUMERS s g'),
      'XAUTOCLAIM s g c4 0 0 COUNT 0',
      'XAUTOCLAIM s g c4 0 0 COUNT -1',
      'XAUTOCLAIM s g c4 0 0 COUNT x',
      'XAUTOCLAIM s g c4 0 0 COUNT',
      'XAUTOCLAIM s g c4 0 0 COUNT 922337203685477580',
      'XAUTOCLAIM s g c4 0 0 COUNT 9223372036854775807',
      'XAUTOCLAIM s g c4 0 0 COUNT 1 COUNT 2',
      'XAUTOCLAIM s g c4 0 0 FOO',
      'XAUTOCLAIM s g c4 0 0 JUSTID JUSTID',
      'XAUTOCLAIM s g c4 x 0',
      'XAUTOCLAIM s g c4 -1 0',
      'XAUTOCLAIM s g c4 0 bad',
      'XAUTOCLAIM s g c4 0 +',
      'XAUTOCLAIM s g c4 0 (18446744073709551615-18446744073709551615',
      'XAUTOCLAIM s g c4 0 (',
      'XAUTOCLAIM s nog c4 0 0',
      'XAUTOCLAIM nokey g c4 0 0',
      'XAUTOCLAIM nokey g c4 x 0',
      'XAUTOCLAIM s g c4 0',
      'XAUTOCLAIM',
      'XGROUP CREATE e g 0 MKSTREAM',
      'XAUTOCLAIM e g c 0 0',
      'XAUTOCLAIM e g c 0 0 JUSTID',
      'SET str x',
      'XAUTOCLAIM str g c 0 0',
    ]));

  test('XINFO STREAM [FULL [COUNT n]], GROUPS, CONSUMERS, HELP and errors', () =>
    pair.run([
      'XADD s 1-0 a 1 b 2',
      'XADD s 2-0 a 3 b 4',
      'XADD s 3-0 c 5',
      'XADD s 4-0 a 6 b 7',
      'XINFO STREAM s',
      'XINFO STREAM s FULL',
      'XGROUP CREATE s g 0',
      'XGROUP CREATE s h $',
      'XGROUP CREATECONSUMER s h idle',
      'XREADGROUP GROUP g c1 COUNT 2 STREAMS s >',
      'XREADGROUP GROUP g c2 COUNT 1 STREAMS s >',
      'XINFO STREAM s',
      t('XINFO STREAM s FULL'),
      t('XINFO STREAM s FULL COUNT 1'),
      t('XINFO STREAM s FULL COUNT 0'),
      t('XINFO STREAM s FULL count 2'),
      t('XINFO STREAM s full COUNT -1'),
      'XINFO STREAM s FULL COUNT x',
      'XINFO STREAM s FULL COUNT',
      'XINFO STREAM s FULL COUNT 1 x',
      'XINFO STREAM s FOO',
      'XINFO STREAM s FULL FULL',
      'XINFO STREAM s COUNT 1',
      'XINFO STREAM nokey',
      'XINFO STREAM nokey FULL',
      'XINFO STREAM',
      'XINFO GROUPS s',
      'XINFO GROUPS nokey',
      'XINFO GROUPS s x',
      'XINFO GROUPS',
      t('XINFO CONSUMERS s g'),
      t('XINFO CONSUMERS s h'),
      'XINFO CONSUMERS s nog',
      'XINFO CONSUMERS nokey g',
      'XINFO CONSUMERS s',
      'XINFO CONSUMERS s g x',
      'XINFO HELP',
      'XINFO help',
      'XINFO HELP x',
      'XINFO FOO',
      'XINFO FOO s',
      'XINFO',
      'XADD empty MAXLEN 0 1-0 f v',
      'XINFO STREAM empty',
      'XINFO STREAM empty FULL',
      'XINFO GROUPS empty',
      'SET str x',
      'XINFO STREAM str',
      'XINFO GROUPS str',
      'XINFO CONSUMERS str g',
    ]));

  test('XINFO GROUPS lag and entries-read through adds, deletes, SETID and reads', () =>
    pair.run([
      'XGROUP CREATE s g $ MKSTREAM',
      'XINFO GROUPS s',
      ...addMany('s', 1, 5),
      'XGROUP CREATE s g0 0',
      'XGROUP CREATE s gend $',
      'XGROUP CREATE s gmid 3-0',
      'XGROUP CREATE s gread 0 ENTRIESREAD 2',
      'XINFO GROUPS s',
      'XREADGROUP GROUP g0 c COUNT 2 STREAMS s >',
      'XREADGROUP GROUP gmid c COUNT 1 STREAMS s >',
      'XINFO GROUPS s',
      'XDEL s 5-0',
      'XINFO GROUPS s',
      'XDEL s 2-0',
      'XINFO GROUPS s',
      'XREADGROUP GROUP g0 c STREAMS s >',
      'XINFO GROUPS s',
      'XADD s 6-0 f v',
      'XINFO GROUPS s',
      'XGROUP SETID s gmid 0',
      'XINFO GROUPS s',
      'XGROUP SETID s gmid 4-0 ENTRIESREAD 4',
      'XINFO GROUPS s',
      'XGROUP SETID s gmid $',
      'XINFO GROUPS s',
      'XTRIM s MAXLEN 2',
      'XINFO GROUPS s',
      'XADD s 7-0 f v',
      'XINFO GROUPS s',
      'XREADGROUP GROUP gread c STREAMS s >',
      'XINFO GROUPS s',
      'XSETID s 7-0 ENTRIESADDED 50',
      'XINFO GROUPS s',
      'XSETID s 7-0 ENTRIESADDED 50 MAXDELETEDID 0-0',
      'XINFO GROUPS s',
      'XGROUP CREATE s late 0',
      'XINFO GROUPS s',
      'XGROUP CREATE s past 1-0 ENTRIESREAD 40',
      'XINFO GROUPS s',
      'XREADGROUP GROUP past c COUNT 1 STREAMS s >',
      'XINFO GROUPS s',
      'XINFO STREAM s',
      'XADD lag 1-0 f v',
      'XADD lag 2-0 f v',
      'XGROUP CREATE lag g 1-0',
      'XINFO GROUPS lag',
      'XDEL lag 1-0',
      'XINFO GROUPS lag',
      'XADD lag 3-0 f v',
      'XREADGROUP GROUP g c STREAMS lag >',
      'XINFO GROUPS lag',
      'XGROUP CREATE lag g2 0',
      'XINFO GROUPS lag',
      'XGROUP CREATE lag g3 +',
      'XINFO GROUPS lag',
      'XGROUP CREATE lag g4 2-0',
      'XINFO GROUPS lag',
    ]));

  test('TYPE, OBJECT ENCODING, SCAN TYPE, DEBUG DIGEST-VALUE, MEMORY USAGE, EXISTS/DEL/RENAME', () =>
    pair.run([
      'XADD s 1-0 f v',
      'SET str x',
      'LPUSH l x',
      'TYPE s',
      'OBJECT ENCODING s',
      'SCAN 0 TYPE stream',
      'SCAN 0 TYPE STREAM',
      'DEBUG DIGEST-VALUE s',
      'DEBUG DIGEST-VALUE s str nokey',
      'MEMORY USAGE s',
      'XGROUP CREATE s g 0',
      'DEBUG DIGEST-VALUE s',
      'MEMORY USAGE s',
      'XGROUP CREATE empty g $ MKSTREAM',
      'DEBUG DIGEST-VALUE empty',
      'MEMORY USAGE empty',
      'OBJECT ENCODING empty',
      'RENAME s s2',
      'XRANGE s2 - +',
      'XINFO GROUPS s2',
      'COPY s2 s3',
      'XINFO GROUPS s3',
      'DEBUG DIGEST-VALUE s2 s3',
      'XADD s3 2-0 f v',
      'XLEN s2',
      'DEL s2',
      'EXISTS s2',
      'FLUSHALL',
      'XADD s 1-0 f v',
      'RANDOMKEY',
      'DEBUG DIGEST',
      'DBSIZE',
    ]));

  test('binary-safe keys, fields and values, integer-looking values, differing field sets', () =>
    pair.run([
      ['XADD', 'k\x00\xff', '1-0', 'f\x00\xff', 'v\xff\x00'],
      ['XADD', 'k\x00\xff', '2-0', '\x00', '\xff', '', ''],
      ['XRANGE', 'k\x00\xff', '-', '+'],
      ['XREAD', 'STREAMS', 'k\x00\xff', '0'],
      ['XGROUP', 'CREATE', 'k\x00\xff', 'g\x00\xff', '0'],
      ['XREADGROUP', 'GROUP', 'g\x00\xff', 'c\x00\xff', 'STREAMS', 'k\x00\xff', '>'],
      ['XINFO', 'GROUPS', 'k\x00\xff'],
      ['XINFO', 'CONSUMERS', 'k\x00\xff', 'g\x00'],
      ['XPENDING', 'k\x00\xff', 'g\x00\xff'],
      ['DEBUG', 'DIGEST-VALUE', 'k\x00\xff'],
      ['MEMORY', 'USAGE', 'k\x00\xff'],
      ['XADD', 'k\x00\xff', '3-0', 'f', 'v'],
      ['XINFO', 'CONSUMERS', 'k\x00\xff', 'g\x00x'],
      ['XREADGROUP', 'GROUP', 'g\x00x', 'c', 'STREAMS', 'k\x00\xff', '>'],
      ['XGROUP', 'CREATECONSUMER', 'k\x00\xff', 'g\x00x', 'c'],
      ['XGROUP', 'CREATE', 'k\x00\xff', 'g\x00\xff', '0'],
      ['XGROUP', 'SETID', 'k\x00\xff', 'g\x00x', '0'],
      ['XCLAIM', 'k\x00\xff', 'g\x00\xff', 'c', '0', '1-0', 'F\x00OO'],
      ['XPENDING', 'k\x00\xff', 'g\x00x'],
      ['XINFO', 'CONSUMERS', 'k\r\nx', 'g\r\ny'],
      ['XADD', 'k\r\nx', '1-0', 'f', 'v'],
      ['XINFO', 'CONSUMERS', 'k\r\nx', 'g\r\ny'],
      ['XREADGROUP', 'GROUP', 'g\r\ny', 'c', 'STREAMS', 'k\r\nx', '>'],
      ['XCLAIM', 'k\r\nx', 'g', 'c', '0', '1-0', 'F\r\nOO'],
      ['XADD', 'k\r\nx', '2-0\r\n', 'f', 'v'],
      ['XINFO', 'FOO\x00'],
      ['XGROUP', 'FOO\r\nX'],
      'XADD n 1-0 a 1 b 2',
      'XADD n 2-0 a 3 b 4',
      'XADD n 3-0 b 3 a 4',
      'XADD n 4-0 a 1',
      'XADD n 5-0 a 1 b 2 c 3',
      'XADD n 6-0 a 1 b 2',
      'XADD n 7-0 a a a a',
      'XRANGE n - +',
      'XREVRANGE n + -',
      'XINFO STREAM n FULL',
      'DEBUG DIGEST-VALUE n',
      'MEMORY USAGE n',
      'XADD i 1-0 f 0 g -0 h 1 j -1 k 01 l " 1" m 1.5',
      'XADD i 2-0 f 9223372036854775807 g -9223372036854775808 h 9223372036854775808',
      'XADD i 3-0 f 18446744073709551615 g 123456789012345678901234567890 h 1e5 j +1',
      'XADD i 4-0 f 4095 g 4096 h -4096 j 8191 k 65535 l 16777215 m -16777216 n 2147483647',
      'XADD i 5-0 1 2 -1 -2 127 128 -128 -129 12 13',
      'XADD i 6-0 " " "" 00 0x1 -01 1-',
      'XRANGE i - +',
      'XINFO STREAM i FULL',
      'DEBUG DIGEST-VALUE i',
      'MEMORY USAGE i',
    ]));

  test('big fields and values (> 64 and > 4096 bytes) and several nodes', () => {
    const v65 = 'x'.repeat(65);
    const v5000 = 'y'.repeat(5000);
    const f5000 = 'F'.repeat(5000);
    return withNodeMaxEntries(3, [
      ['XADD', 'b', '1-0', 'f', v65],
      ['XADD', 'b', '2-0', 'f', v5000],
      ['XADD', 'b', '3-0', f5000, 'v'],
      ['XADD', 'b', '4-0', 'f', 'v'.repeat(300), 'g', 'w'.repeat(70000)],
      ['XADD', 'b', '5-0', 'f', '1'],
      ['XADD', 'b', '6-0', 'f', '2'],
      ['XADD', 'b', '7-0', 'f', v65],
      'XRANGE b - +',
      'XREVRANGE b + - COUNT 3',
      'XINFO STREAM b',
      'XINFO STREAM b FULL',
      'DEBUG DIGEST-VALUE b',
      'MEMORY USAGE b',
      'XDEL b 2-0 3-0',
      'XINFO STREAM b',
      'MEMORY USAGE b',
      'XTRIM b MAXLEN ~ 2',
      'XINFO STREAM b',
      ...addMany('m', 1, 50),
      'XINFO STREAM m',
      'MEMORY USAGE m',
      'MEMORY USAGE m SAMPLES 0',
      'DEBUG DIGEST-VALUE m',
      'XDEL m 10-0 11-0 12-0',
      'XINFO STREAM m',
      'XRANGE m 9 13',
      'XREVRANGE m 13 9',
      'XRANGE m (3 (9',
    ]);
  });

  test('stream-node-max-bytes splits nodes by size', () =>
    withNodeMaxEntries(
      0,
      [
        ...addMany('s', 1, 30),
        ['XADD', 's', '31-0', 'big', 'z'.repeat(200)],
        'XINFO STREAM s',
        'MEMORY USAGE s',
        'DEBUG DIGEST-VALUE s',
        'XTRIM s MAXLEN ~ 10',
        'XLEN s',
        'XINFO STREAM s',
      ],
      '100',
    ));

  test('the default node limits: 100 entries and 4096 bytes', () =>
    pair.run([
      ...addMany('s', 1, 250),
      'XINFO STREAM s',
      'MEMORY USAGE s',
      'XTRIM s MAXLEN ~ 120',
      'XLEN s',
      'XTRIM s MAXLEN ~ 30',
      'XLEN s',
      'XINFO STREAM s',
      ...Array.from({ length: 12 }, (_, i): Step => ['XADD', 'w', `${i + 1}-0`, 'f', 'q'.repeat(500)]),
      'XINFO STREAM w',
      'XTRIM w MAXLEN ~ 3',
      'XLEN w',
    ]));

  /** EVAL that adds entries 1-0 … n-0 to a key, in one step. */
  const fill = (key: string, n: number) =>
    `EVAL "for i = 1, ${n} do redis.call('XADD', KEYS[1], i .. '-0', 'f', i) end" 1 ${key}`;

  test('approximate trimming: the default LIMIT is 100 × stream-node-max-entries', () =>
    withNodeMaxEntries(3, [
      fill('s', 1000),
      'XTRIM s MAXLEN ~ 0',
      'XLEN s',
      'XTRIM s MAXLEN ~ 0 LIMIT 0',
      'XLEN s',
      fill('t', 1000),
      'XADD t MAXLEN ~ 10 1001-0 f v',
      'XLEN t',
      'XTRIM t MINID ~ 900',
      'XLEN t',
      'XINFO STREAM t',
    ]));

  test('approximate trimming: the default LIMIT with stream-node-max-entries 200 (20000)', () =>
    withNodeMaxEntries(200, [
      fill('s', 12000),
      'XTRIM s MAXLEN ~ 0',
      'XLEN s',
      'XINFO STREAM s',
      'MEMORY USAGE s',
      fill('t', 12000),
      'MEMORY USAGE t',
      'MEMORY USAGE t SAMPLES 0',
    ]));

  test('approximate trimming: the default LIMIT with stream-node-max-entries 0 (10000)', () =>
    withNodeMaxEntries(0, [fill('s', 12000), 'XTRIM s MAXLEN ~ 0', 'XLEN s', 'XINFO STREAM s']));

  test('entries with many fields, the same fields as the master entry, and huge values', () => {
    const fields = (n: number, tag: string) => Array.from({ length: n }, (_, i) => [`f${i}`, `${tag}${i}`]).flat();
    return pair.run([
      ['XADD', 's', '1-0', ...fields(500, 'a')],
      ['XADD', 's', '2-0', ...fields(500, 'b')],
      ['XADD', 's', '3-0', ...fields(499, 'c')],
      ['XADD', 's', '4-0', 'f0', 'x'.repeat(100000)],
      ['XADD', 's', '5-0', ...fields(500, '')],
      'XLEN s',
      'XRANGE s 2 3',
      'XREVRANGE s + - COUNT 2',
      'XINFO STREAM s',
      'MEMORY USAGE s',
      'DEBUG DIGEST-VALUE s',
      'XDEL s 1-0',
      'XINFO STREAM s',
      'XTRIM s MAXLEN 1',
      'XINFO STREAM s',
      'MEMORY USAGE s',
    ]);
  });

  test('consumers and PELs over several nodes: FULL COUNT, MEMORY USAGE, DEBUG DIGEST-VALUE', () =>
    withNodeMaxEntries(3, [
      ...addMany('s', 1, 12),
      'XGROUP CREATE s g 0',
      'XGROUP CREATE s h 5-0',
      'XREADGROUP GROUP g c1 COUNT 5 STREAMS s >',
      'XREADGROUP GROUP g c2 STREAMS s >',
      'XREADGROUP GROUP h c1 COUNT 2 STREAMS s >',
      'XDEL s 3-0 7-0',
      'MEMORY USAGE s',
      'DEBUG DIGEST-VALUE s',
      t('XINFO STREAM s FULL COUNT 2'),
      t('XINFO STREAM s FULL COUNT 7'),
      t('XINFO STREAM s FULL'),
      'XREVRANGE s + - COUNT 4',
      'XREVRANGE s (8 (2',
      'XRANGE s (2 (8',
      'XACK s g 1-0 2-0 3-0',
      'XGROUP DELCONSUMER s g c2',
      'MEMORY USAGE s',
      t('XINFO STREAM s FULL COUNT 3'),
    ]));

  test('stream commands in MULTI/EXEC and scripts', () =>
    pair.run([
      'XADD s 1-0 f v',
      'MULTI',
      'XREAD BLOCK 0 STREAMS s $',
      'XREADGROUP GROUP g c BLOCK 0 STREAMS s >',
      'XADD s 2-0 f v',
      'XREAD BLOCK 0 STREAMS s 1-0',
      'EXEC',
      `EVAL "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')" 1 s`,
      `EVAL "return redis.call('XRANGE', KEYS[1], '-', '+')" 1 s`,
      `EVAL "return redis.call('XINFO', 'STREAM', KEYS[1])" 1 s`,
      `EVAL "return redis.pcall('XADD', KEYS[1], '1-0', 'f', 'v')" 1 s`,
      `EVAL "return redis.call('XADD', KEYS[1], '3-*', 'f', 'v')" 1 s`,
      `EVAL "return redis.call('XGROUP', 'CREATE', KEYS[1], 'g', '0')" 1 s`,
      `EVAL "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', KEYS[1], '>')" 1 s`,
      `EVAL "return redis.call('XPENDING', KEYS[1], 'g')" 1 s`,
      `EVAL "return redis.call('XAUTOCLAIM', KEYS[1], 'g', 'c2', 0, 0, 'JUSTID')" 1 s`,
      'XPENDING s g',
    ]));

  test('groups and consumers are listed in byte order of their names', () =>
    pair.run([
      ...addMany('s', 1, 6),
      ...['b', 'a', 'B', 'ab', '\xff', '', '1', '\x00'].map((g): Step => ['XGROUP', 'CREATE', 's', g, '0']),
      'XINFO GROUPS s',
      ...['z', 'c', 'C', 'ca', '\xff', '', '10', '9'].map(
        (c): Step => ['XREADGROUP', 'GROUP', 'b', c, 'COUNT', '1', 'STREAMS', 's', '0'],
      ),
      ...['z', 'c', 'C', '\xff', '', '10'].map(
        (c): Step => ['XREADGROUP', 'GROUP', 'b', c, 'COUNT', '1', 'STREAMS', 's', '>'],
      ),
      t('XINFO CONSUMERS s b'),
      'XPENDING s b',
      t('XPENDING s b - + 10'),
      t('XINFO STREAM s FULL'),
    ]));

  test('XAUTOCLAIM scans at most COUNT × 10 pending entries per call', () =>
    pair.run([
      fill('s', 60),
      'XGROUP CREATE s g 0',
      'XREADGROUP GROUP g c1 STREAMS s >',
      `EVAL "for i = 1, 50 do redis.call('XDEL', KEYS[1], i .. '-0') end" 1 s`,
      'XAUTOCLAIM s g c2 0 0 COUNT 2',
      'XAUTOCLAIM s g c2 0 21-0 COUNT 2 JUSTID',
      'XAUTOCLAIM s g c2 0 41-0 COUNT 1',
      'XAUTOCLAIM s g c2 0 51-0 COUNT 1',
      'XAUTOCLAIM s g c2 0 0 COUNT 100',
      'XPENDING s g',
    ]));

  test('DEBUG RELOAD keeps entries, node layout, groups and PELs', () =>
    withNodeMaxEntries(3, [
      ...addMany('s', 1, 10),
      'XADD s 11-0 other x',
      'XDEL s 4-0 5-0',
      'XGROUP CREATE s g 0',
      'XGROUP CREATE s h 7-0 ENTRIESREAD 2',
      'XREADGROUP GROUP g c1 COUNT 4 STREAMS s >',
      'XCLAIM s g c2 0 2-0 TIME 1000 RETRYCOUNT 9',
      'XGROUP CREATECONSUMER s h lazy',
      'XSETID s 20-0 ENTRIESADDED 30 MAXDELETEDID 15-0',
      'XGROUP CREATE e g $ MKSTREAM',
      'DEBUG DIGEST',
      'DEBUG RELOAD',
      'DEBUG DIGEST',
      'XINFO STREAM s',
      'XINFO GROUPS s',
      t('XINFO STREAM s FULL'),
      t('XINFO STREAM e FULL'),
      'OBJECT ENCODING s',
      'MEMORY USAGE s',
      'XADD s 21-0 f v',
      'XINFO STREAM s',
      'MOVE s 1',
      'SELECT 1',
      'XLEN s',
      'XINFO GROUPS s',
    ]));

  test('wrong types and wrong arity', () =>
    pair.run([
      'SET str x',
      'XADD str 1-0 f v',
      'XADD str NOMKSTREAM 1-0 f v',
      'XRANGE str - +',
      'XREVRANGE str + -',
      'XLEN str',
      'XDEL str 1-0',
      'XTRIM str MAXLEN 1',
      'XSETID str 1-0',
      'XREAD STREAMS str 0',
      'XGROUP CREATE str g $',
      'XGROUP CREATE str g $ MKSTREAM',
      'XGROUP SETID str g $',
      'XGROUP DESTROY str g',
      'XGROUP CREATECONSUMER str g c',
      'XGROUP DELCONSUMER str g c',
      'XREADGROUP GROUP g c STREAMS str >',
      'XACK str g 1-0',
      'XPENDING str g',
      'XPENDING str g - + 10',
      'XCLAIM str g c 0 1-0',
      'XAUTOCLAIM str g c 0 0',
      'XINFO STREAM str',
      'XINFO GROUPS str',
      'XINFO CONSUMERS str g',
      'XADD s 1-0 f v',
      'GET s',
      'LPUSH s x',
      'HSET s f v',
      'INCR s',
      'SET s x',
      'TYPE s',
      'XADD s',
      'XRANGE s -',
      'XREVRANGE s +',
      'XLEN',
      'XDEL s',
      'XTRIM s MAXLEN',
      'XSETID s',
      'XREAD',
      'XREADGROUP',
      'XACK s g',
      'XPENDING s',
      'XCLAIM s g c 0',
      'XAUTOCLAIM s g c 0',
      'XINFO',
      'XGROUP',
      'XINFO STREAM',
      'XGROUP CREATE',
      'XGROUP DESTROY s',
      'XGROUP CREATECONSUMER s g',
      'XGROUP DELCONSUMER s g',
    ]));

  test('RESP3 replies', () =>
    pair.run([
      { cmd: 'HELLO 3', compare: 'ignore' },
      ...groupFixture,
      'XADD s 4-0 d 4',
      'XRANGE s - +',
      'XREVRANGE s + - COUNT 1',
      'XRANGE nokey - +',
      'XREAD STREAMS s 0',
      'XREAD COUNT 1 STREAMS s t 0 0',
      'XREAD STREAMS s $',
      'XREAD STREAMS nokey 0',
      'XREADGROUP GROUP g c1 STREAMS s >',
      'XREADGROUP GROUP g c1 STREAMS s >',
      'XREADGROUP GROUP g c1 STREAMS s 0',
      'XADD nokey NOMKSTREAM 1-0 f v',
      'XPENDING s g',
      t('XPENDING s g - + 10'),
      'XPENDING s g - + 10 nosuch',
      'XCLAIM s g c3 0 1-0',
      'XCLAIM s g c3 0 2-0 JUSTID',
      'XAUTOCLAIM s g c4 0 0 COUNT 1',
      'XAUTOCLAIM s g c4 0 0 JUSTID',
      'XDEL s 3-0',
      'XAUTOCLAIM s g c4 0 0',
      'XINFO STREAM s',
      t('XINFO STREAM s FULL'),
      'XINFO GROUPS s',
      t('XINFO CONSUMERS s g'),
      'XINFO HELP',
      'XGROUP HELP',
      'XGROUP CREATE e g $ MKSTREAM',
      'XPENDING e g',
      'XINFO STREAM e',
      'XINFO STREAM e FULL',
      'XINFO GROUPS e',
      'XINFO CONSUMERS e g',
      'XAUTOCLAIM e g c 0 0',
      'XINFO STREAM nokey',
      'XPENDING s nog',
      { cmd: 'HELLO 2', compare: 'ignore' },
      'XREAD STREAMS s 0',
    ]));

  test('XREAD and XREADGROUP BLOCK are served by an XADD from another connection', () =>
    runBlockingScript(pair, [
      'XADD s 1-0 f v',
      { cmd: 'XREAD BLOCK 0 STREAMS s $', conn: 2, noWait: true },
      { blocked: 1 },
      'XADD s 2-0 f v2',
      { read: 2 },
      'XGROUP CREATE s g $',
      { cmd: 'XREADGROUP GROUP g c BLOCK 0 COUNT 1 STREAMS s >', conn: 2, noWait: true },
      { blocked: 1 },
      'XADD s 3-0 f v3',
      { read: 2 },
      'XPENDING s g',
      { cmd: 'XREAD BLOCK 0 STREAMS nokey other 0 $', conn: 2, noWait: true },
      { blocked: 1 },
      'XADD other 1-0 a b',
      { read: 2 },
      { cmd: 'XREAD BLOCK 10 STREAMS s $', conn: 2 },
      { cmd: 'XREADGROUP GROUP g c BLOCK 10 STREAMS s >', conn: 2 },
      { cmd: 'XREADGROUP GROUP g c BLOCK 0 STREAMS s >', conn: 2, noWait: true },
      { blocked: 1 },
      'XGROUP DESTROY s g',
      { read: 2 },
      { blocked: 0 },
      { cmd: 'XREAD BLOCK 0 STREAMS s $', conn: 2, noWait: true },
      { blocked: 1 },
      'DEL s',
      'XADD s 1-0 small x',
      'XADD s 9-0 again x',
      { read: 2 },
    ]));
});

const SENTINEL = '__keyevent@0__:sentinel';

/** Runs the commands on one server and returns "event key" for each notification, in order. */
async function events(port: number, commands: Array<string | string[]>): Promise<string[]> {
  const sub = await RawClient.connect(port);
  const cmd = await RawClient.connect(port);
  try {
    await cmd.call('FLUSHALL');
    await cmd.call('CONFIG SET notify-keyspace-events KEA');
    await sub.call('PSUBSCRIBE __keyevent@0__:*');
    for (const c of commands) await cmd.call(c);
    await cmd.call(`PUBLISH ${SENTINEL} end`);
    const seen: string[] = [];
    for (;;) {
      const msg = (await sub.read()).value;
      const parts = (msg as { value: RespValue[] }).value.map((p) =>
        p.type === 'bulk' ? p.value.toString('latin1') : '',
      );
      if (parts[2] === SENTINEL) break;
      seen.push(`${parts[2].slice('__keyevent@0__:'.length)} ${escapeBytes(parts[3])}`);
    }
    return seen;
  } finally {
    await cmd.call('CONFIG SET notify-keyspace-events ""');
    sub.close();
    cmd.close();
  }
}

describe('streams: keyspace notifications like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({ config: { 'enable-debug-command': 'yes' } });
  });
  after(() => pair.stop());

  test('stream events', async () => {
    const commands = [
      'XADD s 1-0 f v',
      'XADD s 1-0 f v',
      'XADD s MAXLEN 1 2-0 f v',
      'XADD s MAXLEN 5 3-0 f v',
      'XADD nokey NOMKSTREAM 1-0 f v',
      'XTRIM s MAXLEN 1',
      'XTRIM s MAXLEN 1',
      'XDEL s 3-0',
      'XDEL s 9-0',
      'XADD s 4-0 f v',
      'XSETID s 10-0',
      'XGROUP CREATE s g 0',
      'XGROUP CREATE s g 0',
      'XGROUP CREATE mk g $ MKSTREAM',
      'XGROUP CREATECONSUMER s g c1',
      'XGROUP CREATECONSUMER s g c1',
      'XREADGROUP GROUP g c2 STREAMS s >',
      'XREADGROUP GROUP g c2 STREAMS s >',
      'XGROUP SETID s g 0',
      'XREADGROUP GROUP g c2 STREAMS s 0',
      'XREADGROUP GROUP g c3 STREAMS s 0',
      'XCLAIM s g c4 0 4-0',
      'XAUTOCLAIM s g c5 0 0',
      'XACK s g 4-0',
      'XGROUP DELCONSUMER s g c1',
      'XGROUP DELCONSUMER s g nosuch',
      'XGROUP DESTROY s g',
      'XGROUP DESTROY s g',
      'XADD mk MAXLEN 0 1-0 f v',
      'DEL mk',
    ];
    const redis = await events(pair.redis.port, commands);
    const ts = await events(pair.ts.port, commands);
    assert.deepEqual(ts, redis);
    assert.ok(redis.length > 0);
  });
});

describe('streams: DUMP and RESTORE across the two servers', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start({ config: { 'enable-debug-command': 'yes' } });
  });
  after(() => pair.stop());

  /** Entries over several nodes, tombstones and groups: no clock in the value. */
  const entries = [
    'CONFIG SET stream-node-max-entries 3',
    ...Array.from({ length: 10 }, (_, i) => `XADD s ${i + 1}-0 f ${i} g x${i}`),
    'XADD s 11-0 other 1',
    'XDEL s 2-0 5-0',
    'XGROUP CREATE s g 0',
    'XGROUP CREATE s h 4-0 ENTRIESREAD 3',
    'CONFIG SET stream-node-max-entries 100',
  ];
  /** The same with pending entries and consumers (delivery and seen times from the clock). */
  const build = [
    ...entries,
    'XREADGROUP GROUP g c1 COUNT 3 STREAMS s >',
    'XCLAIM s g c2 0 3-0 TIME 1700000000000 RETRYCOUNT 5',
    'XGROUP CREATECONSUMER s h idle',
  ];

  /** Builds the stream on `from`, restores its DUMP on `to`, and compares what `to` reports. */
  async function crossRestore(fromPort: number, toPort: number): Promise<void> {
    const from = await RawClient.connect(fromPort);
    const to = await RawClient.connect(toPort);
    try {
      await from.call('FLUSHALL');
      await to.call('FLUSHALL');
      for (const c of build) await from.call(c);
      const dump = (await from.call('DUMP s')).value;
      assert.equal(dump.type, 'bulk');
      const restored = await to.callRaw(['RESTORE', 's', '0', (dump as { value: Buffer }).value]);
      assert.equal(restored, '+OK\r\n');
      for (const c of ['DEBUG DIGEST-VALUE s', 'XINFO STREAM s', 'XINFO GROUPS s', 'XRANGE s - +']) {
        assert.equal(escapeBytes(await to.callRaw(c)), escapeBytes(await from.callRaw(c)), c);
      }
      const full = [await from.call('XINFO STREAM s FULL'), await to.call('XINFO STREAM s FULL')];
      assert.equal(timed(full[0], full[1]), null, 'XINFO STREAM s FULL');
    } finally {
      from.close();
      to.close();
    }
  }

  test('DUMP bytes are the same (no consumers)', () => pair.run([...entries, 'DUMP s']));

  test('redis-server DUMP restored on tsredis', () => crossRestore(pair.redis.port, pair.ts.port));

  test('tsredis DUMP restored on redis-server', () => crossRestore(pair.ts.port, pair.redis.port));
});
