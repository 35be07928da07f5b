import { after, before, describe, test } from 'node:test';
import { Crc64 } from '../../src/lib/crc64.js';
import { DiffPair, type Step } from '../support/diff.js';
import { RawClient, type Reply } from '../support/raw-client.js';
import { skipWithoutRedis } from '../support/servers.js';

/**
 * Redis Functions against redis-server 7.0.15: FUNCTION LOAD's metadata and registration errors,
 * the load-time sandbox, FCALL/FCALL_RO conversions, errors and flags, FUNCTION LIST/STATS/DELETE/
 * FLUSH/DUMP/RESTORE — raw replies byte-identical. Redis lists libraries and functions in hash
 * order, so listings here hold one library of one function (or are compared unordered).
 */
const lib = (name: string, body: string) => `#!lua name=${name}\n${body}`;
const one = (name: string, fn: string, body: string) =>
  lib(name, `redis.register_function('${fn}', function(keys, args) ${body} end)`);

/** INFO memory's function counters are the same on both servers. */
function sameFunctionCounts(redis: Reply, ts: Reply): string | null {
  const counts = (r: Reply) =>
    ['number_of_functions', 'number_of_libraries']
      .map((f) => new RegExp(`${f}:(\\d+)`).exec(r.raw.toString())?.[1])
      .join('/');
  return counts(redis) === counts(ts) ? null : `${counts(redis)} vs ${counts(ts)}`;
}

/** Every test starts from no libraries (FLUSHALL leaves them). */
const fresh = (steps: Step[]): Step[] => [['FUNCTION', 'FLUSH'], ...steps];

describe('Functions: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('FUNCTION LOAD: metadata, names, registration errors and the load-time sandbox', () =>
    pair.run(
      fresh([
        ['FUNCTION', 'LOAD', 'return 1'],
        ['FUNCTION', 'LOAD', '#!lua name=x'],
        ['FUNCTION', 'LOAD', lib('x', 'return 1')],
        ['FUNCTION', 'LOAD', '#!lua\nreturn 1'],
        ['FUNCTION', 'LOAD', '#!lua name=x foo=bar\nreturn 1'],
        ['FUNCTION', 'LOAD', '#!lua name=x name=y\nreturn 1'],
        ['FUNCTION', 'LOAD', '#!lua2 name=x\nreturn 1'],
        ['FUNCTION', 'LOAD', '#!lua name=x!\nreturn 1'],
        ['FUNCTION', 'LOAD', '#!lua name=\nreturn 1'],
        ['FUNCTION', 'LOAD', '#!lua "name=x\nreturn 1'],
        ['FUNCTION', 'LOAD', lib('x', "redis.call('ping')")],
        ['FUNCTION', 'LOAD', lib('x', 'x = 1')],
        ['FUNCTION', 'LOAD', lib('x', 'local a = string.len')],
        ['FUNCTION', 'LOAD', lib('x', "error('boom')")],
        ['FUNCTION', 'LOAD', lib('x', "error({err='MY custom'})")],
        ['FUNCTION', 'LOAD', lib('x', 'syntax error here')],
        ['FUNCTION', 'LOAD', lib('x', 'local t = KEYS')],
        ['FUNCTION', 'LOAD', lib('x', "redis.log(redis.LOG_NOTICE, 'loading') return redis.REDIS_VERSION")],
        ['FUNCTION', 'LOAD', lib('x', 'redis.register_function()')],
        ['FUNCTION', 'LOAD', lib('x', "redis.register_function('a', function() end, 3)")],
        ['FUNCTION', 'LOAD', lib('x', 'redis.register_function(1)')],
        ['FUNCTION', 'LOAD', lib('x', 'redis.register_function({}, function() end)')],
        ['FUNCTION', 'LOAD', lib('x', "redis.register_function('a', 'b')")],
        ['FUNCTION', 'LOAD', lib('x', "redis.register_function('a!', function() end)")],
        ['FUNCTION', 'LOAD', lib('x', "redis.register_function('', function() end)")],
        [
          'FUNCTION',
          'LOAD',
          lib(
            'x',
            "redis.register_function('a', function() end) redis.register_function('a', function() end)",
          ),
        ],
        ['FUNCTION', 'LOAD', lib('x', "redis.register_function{function_name='a'}")],
        ['FUNCTION', 'LOAD', lib('x', 'redis.register_function{callback=function() end}')],
        ['FUNCTION', 'LOAD', lib('x', "redis.register_function{function_name='a', callback='x'}")],
        ['FUNCTION', 'LOAD', lib('x', 'redis.register_function{function_name={}, callback=function() end}')],
        [
          'FUNCTION',
          'LOAD',
          lib('x', "redis.register_function{function_name='a', callback=function() end, flags='x'}"),
        ],
        [
          'FUNCTION',
          'LOAD',
          lib('x', "redis.register_function{function_name='a', callback=function() end, flags={'bad'}}"),
        ],
        [
          'FUNCTION',
          'LOAD',
          lib('x', "redis.register_function{function_name='a', callback=function() end, flags={1}}"),
        ],
        [
          'FUNCTION',
          'LOAD',
          lib('x', "redis.register_function{function_name='a', callback=function() end, foo=1}"),
        ],
        [
          'FUNCTION',
          'LOAD',
          lib('x', "redis.register_function{function_name='a', callback=function() end, description={}}"),
        ],
        ['FUNCTION', 'LOAD', lib('x', "redis.register_function{[1]='a'}")],
        ['FUNCTION', 'LOAD', lib('x', 'while true do end')],
        ['FUNCTION', 'LOAD', lib('y', 'while true do end')],
        [
          'FUNCTION',
          'LOAD',
          lib('y', 'local ok = pcall(function() while true do end end) while true do end'),
        ],
        ['FUNCTION', 'LOAD', 'REPLACE'],
        ['FUNCTION', 'LOAD', 'a', 'b'],
        ['FUNCTION', 'LIST'],
        ['FUNCTION', 'LOAD', one('mylib', 'myfunc', 'return args[1]')],
        ['FUNCTION', 'LOAD', one('mylib', 'other', 'return 1')],
        ['FUNCTION', 'LOAD', one('mylib2', 'MYFUNC', 'return 1')],
        ['FUNCTION', 'LOAD', one('MYLIB', 'f2', 'return 2')],
        ['FUNCTION', 'LOAD', 'REPLACE', one('mylib', 'myfunc', "return 'replaced'")],
        ['FUNCTION', 'LOAD', 'replace', one('mylib', 'f2', 'return 1')],
        ['FCALL', 'myfunc', '0', 'x'],
        ['FUNCTION', 'LOAD', '#!LUA name=upper\nredis.register_function("up", function() return 1 end)'],
        ['FCALL', 'UP', '0'],
        ['FUNCTION', 'DELETE', 'upper'],
        ['FUNCTION', 'DELETE', 'upper'],
        ['FUNCTION', 'DELETE', 'MYLIB'],
        ['FUNCTION', 'LIST', 'LIBRARYNAME', 'mylib'],
        ['FUNCTION', 'STATS'],
        { cmd: ['INFO', 'memory'], compare: sameFunctionCounts },
        ['FUNCTION', 'FLUSH', 'ASYNC'],
        { cmd: ['INFO', 'memory'], compare: sameFunctionCounts },
        ['FUNCTION', 'FLUSH', 'foo'],
        ['FUNCTION', 'FLUSH', 'SYNC', 'x'],
        ['FUNCTION', 'STATS'],
        ['FUNCTION', 'KILL'],
        ['FUNCTION', 'HELP'],
        ['FUNCTION', 'NOSUCH'],
      ]),
    ));

  test('FCALL and FCALL_RO: arguments, conversions, errors, flags and the run-time sandbox', () =>
    pair.run(
      fresh([
        ['FUNCTION', 'LOAD', one('l1', 'f_tbl', 'return {keys[1], args[1], #keys, #args}')],
        ['FUNCTION', 'LOAD', one('l2', 'f_err', "error('boom')")],
        ['FUNCTION', 'LOAD', one('l3', 'f_glob', 'return KEYS')],
        ['FUNCTION', 'LOAD', one('l4', 'f_set', "return redis.call('SET', keys[1], args[1])")],
        ['FUNCTION', 'LOAD', one('l5', 'f_reg', "return redis.register_function('a', function() end)")],
        ['FUNCTION', 'LOAD', one('l6', 'f_x', 'return redis.foo')],
        ['FUNCTION', 'LOAD', one('l7', 'f_setg', 'y = 5')],
        ['FUNCTION', 'LOAD', one('l8', 'f_wrong', "return redis.call('lpush', keys[1], 'x')")],
        [
          'FUNCTION',
          'LOAD',
          one('l9', 'f_types', "return {1, 2.9, 'x', true, false, {ok='S'}, {err='E x'}}"),
        ],
        ['FUNCTION', 'LOAD', one('l10', 'f_pcall', "return redis.pcall('nosuch')")],
        ['FUNCTION', 'LOAD', one('l11', 'f_errt', "return redis.error_reply('MY err')")],
        ['FUNCTION', 'LOAD', one('l12', 'f_rand', 'return {math.random(100), math.random(100)}')],
        ['FUNCTION', 'LOAD', one('l13', 'f_resp3', "redis.setresp(3) return redis.call('HGETALL', keys[1])")],
        [
          'FUNCTION',
          'LOAD',
          lib(
            'l14',
            "local f = redis.register_function\nredis.register_function('f_late', function() return f('h', function() end) end)",
          ),
        ],
        [
          'FUNCTION',
          'LOAD',
          lib(
            'ro',
            "redis.register_function{function_name='f_ro', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
          ),
        ],
        [
          'FUNCTION',
          'LOAD',
          lib(
            'rw',
            "redis.register_function{function_name='f_rw_declared_ro', callback=function(keys) return redis.call('SET', keys[1], 'v') end, flags={'no-writes'}}",
          ),
        ],
        { cmd: ['INFO', 'memory'], compare: sameFunctionCounts },
        ['SET', 'str', 'v'],
        ['HSET', 'h', 'a', '1'],
        ['FCALL', 'f_tbl', '2', 'a', 'b', 'c', 'd'],
        ['FCALL', 'f_tbl', '0'],
        ['FCALL', 'f_err', '0'],
        ['FCALL', 'f_glob', '0'],
        ['FCALL', 'f_set', '1', 'k', 'v1'],
        ['GET', 'k'],
        ['FCALL', 'f_reg', '0'],
        ['FCALL', 'f_x', '0'],
        ['FCALL', 'f_setg', '0'],
        ['FCALL', 'f_wrong', '1', 'str'],
        ['FCALL', 'f_types', '0'],
        ['FCALL', 'f_pcall', '0'],
        ['FCALL', 'f_errt', '0'],
        ['FCALL', 'f_rand', '0'],
        ['FCALL', 'f_resp3', '1', 'h'],
        ['FCALL', 'f_late', '0'],
        ['FCALL', 'nosuch', '0'],
        ['FCALL', 'f_tbl', '3', 'a'],
        ['FCALL', 'f_tbl', '-1', 'a'],
        ['FCALL', 'f_tbl', 'x', 'a'],
        ['FCALL', 'nosuch', 'x'],
        ['FCALL', 'f_tbl'],
        ['FCALL_RO', 'f_set', '1', 'k', 'v'],
        ['FCALL_RO', 'f_ro', '1', 'k'],
        ['FCALL', 'f_ro', '1', 'k'],
        ['FCALL', 'f_rw_declared_ro', '1', 'k'],
        ['FCALL_RO', 'f_rw_declared_ro', '1', 'k'],
        ['MULTI'],
        ['FCALL', 'f_set', '1', 'k', 'in-multi'],
        ['FCALL', 'f_ro', '1', 'k'],
        ['EXEC'],
        ['EVAL', "return redis.call('FCALL', 'f_tbl', '0')", '0'],
        ['EVAL', "return redis.call('FUNCTION', 'LIST')", '0'],
        ['FUNCTION', 'LIST', 'LIBRARYNAME', 'ro', 'WITHCODE'],
        ['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'l1'],
        { cmd: ['FUNCTION', 'LIST', 'LIBRARYNAME', 'l1*'], compare: 'unordered' },
        ['FUNCTION', 'LIST', 'LIBRARYNAME', 'L1'],
        ['FUNCTION', 'LIST', 'LIBRARYNAME', 'rw', 'LIBRARYNAME', 'x'],
        ['FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE'],
        ['FUNCTION', 'LIST', 'LIBRARYNAME'],
        ['FUNCTION', 'LIST', 'foo'],
        { cmd: ['FUNCTION', 'LIST'], compare: 'unordered' },
        ['FUNCTION', 'STATS'],
        ['HELLO', '3'],
        ['FUNCTION', 'LIST', 'LIBRARYNAME', 'ro'],
        ['FUNCTION', 'STATS'],
        ['FCALL', 'f_types', '0'],
        ['FCALL', 'f_resp3', '1', 'h'],
      ]),
    ));

  test('FUNCTION DUMP and RESTORE: policies, collisions and bad payloads', async () => {
    // The payload of one library is the same bytes on both servers (one FUNCTION2 record).
    await pair.run(
      fresh([
        ['FUNCTION', 'LOAD', one('dumped', 'fd', 'return 1')],
        ['FUNCTION', 'DUMP'],
        ['FUNCTION', 'RESTORE', 'bad'],
        ['FUNCTION', 'RESTORE', 'bad', 'nosuch'],
        ['FUNCTION', 'RESTORE', 'bad', 'FLUSH', 'x'],
      ]),
    );
    // Payloads made here: libraries that do not load, a record that is not a function, truncation.
    await pair.run(
      fresh([
        ['FUNCTION', 'LOAD', one('kept', 'fk', 'return 1')],
        ['FUNCTION', 'RESTORE', payloadOf([0xf5], '#!lua name=bad\nsyntax error')],
        ['FUNCTION', 'RESTORE', payloadOf([0xf5], '#!lua name=bad\nreturn 1')],
        ['FUNCTION', 'RESTORE', payloadOf([0xf5], one('kept', 'fk', 'return 2')), 'FLUSH'],
        ['FUNCTION', 'RESTORE', payloadOf([0xf5], one('dup', 'fk', 'return 2'))],
        ['FUNCTION', 'RESTORE', payloadOf([0x00], 'key')],
        ['FUNCTION', 'RESTORE', payloadOf([0xf6], 'x')],
        [
          'FUNCTION',
          'RESTORE',
          payloadOf(
            [0xf6, 3, ...Buffer.from('pre'), 3, ...Buffer.from('LUA'), 1, 1, 0x64],
            "redis.register_function('pf', function() return 'pre' end)",
          ),
        ],
        ['FUNCTION', 'LIST', 'LIBRARYNAME', 'pre', 'WITHCODE'],
        ['FCALL', 'pf', '0'],
        ['FUNCTION', 'RESTORE', payloadOf([0xf6, 3, ...Buffer.from('pr2'), 3, ...Buffer.from('LUA')], '', 1)],
        ['FUNCTION', 'RESTORE', payloadOf([0xf5], 'x', 20)],
        ['FCALL', 'fk', '0'],
        ['FUNCTION', 'DELETE', 'pre'],
      ]),
    );
    const payloads = await Promise.all([dumpOf(pair.redis.port), dumpOf(pair.ts.port)]);
    for (const [server, payload] of payloads.entries()) {
      await pair.run(
        fresh([
          ['FUNCTION', 'RESTORE', payload],
          ['FCALL', 'fd', '0'],
          ['FUNCTION', 'RESTORE', payload],
          ['FUNCTION', 'RESTORE', payload, 'APPEND'],
          ['FUNCTION', 'RESTORE', payload, 'replace'],
          ['FUNCTION', 'DELETE', 'dumped'],
          ['FUNCTION', 'LOAD', one('clash', 'fd', 'return 2')],
          ['FUNCTION', 'RESTORE', payload],
          ['FUNCTION', 'RESTORE', payload, 'REPLACE'],
          ['FCALL', 'fd', '0'],
          ['FUNCTION', 'RESTORE', payload, 'FLUSH'],
          ['FCALL', 'fd', '0'],
          ['FUNCTION', 'LIST', 'LIBRARYNAME', 'clash'],
          ['FUNCTION', 'DUMP'],
          // The payload with one byte changed: its checksum no longer matches.
          ['FUNCTION', 'RESTORE', `${payload.slice(0, 3)}x${payload.slice(4)}`],
          ['FUNCTION', 'FLUSH'],
          ['FUNCTION', 'DUMP'],
          { cmd: ['SET', `from-${server}`, 'ok'], compare: 'exact' },
        ]),
      );
    }
  });
});

/** A FUNCTION RESTORE payload: the opcode bytes, the code as an RDB string (shorter by cut), the footer. */
function payloadOf(opcode: number[], code: string, cut = 0): string {
  const n = code.length;
  const length = n < 64 ? [n] : [0x40 | (n >> 8), n & 0xff];
  const body = Buffer.concat([Buffer.from(opcode), Buffer.from(length), Buffer.from(code, 'latin1')]);
  const head = body.subarray(0, body.length - cut);
  const footer = Buffer.alloc(10);
  footer.writeUInt16LE(10, 0);
  const withVersion = Buffer.concat([head, footer.subarray(0, 2)]);
  footer.writeBigUInt64LE(new Crc64().update(withVersion, 0, withVersion.length).value(), 2);
  return Buffer.concat([withVersion, footer.subarray(2)]).toString('latin1');
}

async function dumpOf(port: number): Promise<string> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.call(['FUNCTION', 'DUMP']);
    const raw = r.raw.toString('latin1');
    return raw.slice(raw.indexOf('\r\n') + 2, -2);
  } finally {
    c.close();
  }
}
