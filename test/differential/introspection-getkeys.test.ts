/**
 * Key extraction (src/commands/key-specs.ts) against redis-server 7.0's COMMAND GETKEYSANDFLAGS,
 * for commands across the whole Redis command table (not only the ones tsredis implements): key
 * specs of every kind, keyword searches, key counts, and the commands whose own key finders
 * Redis uses (SET, BITFIELD, SORT, MIGRATE, GEORADIUS, XREAD, EVAL, ZUNIONSTORE, LMPOP, …).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getKeysOf } from '../../src/commands/introspection.js';
import { Commands } from '../../src/core/command-table.js';
import type { CommandFamily } from '../../src/core/context.js';
import { splitArgs } from '../../src/protocol/split-args.js';
import { REDIS_COMMAND_INFO } from '../../src/specs/redis-specs.generated.js';
import type { SpecNode } from '../../src/specs/spec-node.js';
import { leafText, setItems } from '../../src/specs/spec-node.js';
import { RawClient } from '../support/raw-client.js';
import { type ProcessServer, skipWithoutRedis, startRedis } from '../support/servers.js';

/** A command table with every Redis 7.0 command and subcommand (handlers unused). */
function fullTable(): Commands {
  const family: CommandFamily = {};
  const noop = () => {};
  for (const [name, info] of Object.entries(REDIS_COMMAND_INFO)) {
    family[name] = noop;
    for (const sub of setItems((info as SpecNode[])[9])) family[leafText((sub as SpecNode[])[0])] = noop;
  }
  return new Commands([family]);
}

const CASES = [
  'GET k',
  'GET a b',
  'SET k v',
  'SET k v GET',
  'SET k v EX 10 get',
  'SET k v GETX',
  'MSET a 1 b 2 c 3',
  'MSET a 1 b',
  'MSETNX a 1 b 2',
  'MGET a b c',
  'DEL a b c',
  'EXISTS a',
  'RENAME a b',
  'COPY a b DB 1 REPLACE',
  'BITOP AND dest a b',
  'BITFIELD k GET u8 0',
  'BITFIELD k SET u8 0 1',
  'BITFIELD k OVERFLOW SAT GET u8 0',
  'BITFIELD k INCRBY u8 0 1',
  'BITFIELD k GET u8',
  'BITFIELD k',
  'BITFIELD_RO k GET u8 0',
  'LMOVE a b LEFT RIGHT',
  'BLMOVE a b LEFT RIGHT 0',
  'BLPOP a b c 0',
  'BRPOPLPUSH a b 0',
  'LMPOP 2 a b LEFT',
  'LMPOP 0 a LEFT',
  'LMPOP 3 a b LEFT',
  'LMPOP x a LEFT',
  'LMPOP -1 a LEFT',
  'BLMPOP 0 2 a b LEFT COUNT 2',
  'ZMPOP 1 a MIN',
  'BZMPOP 1 2 a b MAX',
  'SINTERCARD 2 a b LIMIT 1',
  'SINTERCARD 5 a b',
  'ZINTERCARD 2 a b',
  'ZUNIONSTORE d 2 a b WEIGHTS 1 2',
  'ZUNIONSTORE d 0 a',
  'ZUNIONSTORE d 3 a b',
  'ZINTERSTORE d 1 a',
  'ZDIFFSTORE d 2 a b',
  'ZUNION 2 a b',
  'ZUNION 0 a',
  'ZINTER 2 a b WITHSCORES',
  'ZDIFF 1 a',
  'ZRANGESTORE d s 0 -1',
  'SMOVE a b m',
  'SINTERSTORE d a b',
  'SUNION a b',
  'SORT k',
  'SORT k BY x GET y STORE d',
  'SORT k STORE d1 STORE d2',
  'SORT k LIMIT 0 10 STORE d',
  'SORT k STORE',
  'SORT k GET store STORE d',
  'SORT_RO k BY x',
  'EVAL s 0',
  'EVAL s 2 a b c',
  'EVAL s 3 a',
  'EVAL s x a',
  'EVALSHA sha 1 a',
  'EVAL_RO s 1 a',
  'EVALSHA_RO s 2 a b',
  'FCALL f 2 a b x',
  'FCALL_RO f 0',
  'XREAD STREAMS a b 1 2',
  'XREAD COUNT 2 BLOCK 0 STREAMS a 0',
  'XREAD STREAMS a b 1',
  'XREAD STREAMS',
  'XREAD COUNT 1 STREAMS',
  'XREADGROUP GROUP g c STREAMS a >',
  'XREADGROUP GROUP g c COUNT 1 NOACK STREAMS a b > >',
  'XREADGROUP GROUP streams c STREAMS streams >',
  'XADD s * f v',
  'XINFO STREAM s',
  'XINFO GROUPS s',
  'XINFO CONSUMERS s g',
  'XGROUP CREATE s g $',
  'XGROUP DESTROY s g',
  'XAUTOCLAIM s g c 0 0',
  'XCLAIM s g c 0 1-1',
  'XSETID s 1-1',
  'XTRIM s MAXLEN 10',
  'GEOADD k 1 2 m',
  'GEORADIUS k 1 2 3 m',
  'GEORADIUS k 1 2 3 m STORE d',
  'GEORADIUS k 1 2 3 m STOREDIST d',
  'GEORADIUS k 1 2 3 m STORE d STOREDIST e',
  'GEORADIUS k 1 2 3 m STORE',
  'GEORADIUS_RO k 1 2 3 m',
  'GEORADIUSBYMEMBER k m 3 km STORE d',
  'GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 km',
  'MIGRATE h 6379 k 0 1000',
  'MIGRATE h 6379 "" 0 1000 KEYS a b',
  'MIGRATE h 6379 "" 0 1000 AUTH p KEYS a b',
  'MIGRATE h 6379 "" 0 1000 AUTH2 u p KEYS a',
  'MIGRATE h 6379 k 0 1000 COPY REPLACE',
  'MIGRATE h 6379 k 0 1000 KEYS a',
  'MIGRATE h 6379 "" 0 1000 COPY KEYS',
  'OBJECT ENCODING k',
  'OBJECT FREQ k',
  'OBJECT HELP',
  'MEMORY USAGE k',
  'MEMORY USAGE k SAMPLES 5',
  'DEBUG OBJECT k',
  'PFCOUNT a b',
  'PFMERGE d a b',
  'RPOPLPUSH a b',
  'LCS a b',
  'WATCH a b',
  'UNLINK a b',
  'TOUCH a b',
  'TYPE k',
  'DUMP k',
  'RESTORE k 0 payload',
  'SWAPDB 0 1',
  'SUBSCRIBE a',
  'PUBLISH c m',
  'SPUBLISH c m',
  'SSUBSCRIBE a b',
  'SUNSUBSCRIBE a',
  'GETEX k PERSIST',
  'GETDEL k',
  'SETRANGE k 0 v',
  'HSET h f v',
  'HGETALL h',
  'ZADD z 1 m',
  'SRANDMEMBER s',
  'WAIT 0 0',
  'BITCOUNT k',
  'EXPIRE k 10',
  'RENAMENX a b',
  'LPOS k e',
  'SSCAN s 0',
  'SCAN 0',
  'KEYS *',
  'BZPOPMIN a b 0',
  'ZRANGEBYLEX z - +',
  'CONFIG GET x',
  'CONFIG NOSUCH x',
  'NOSUCHCOMMAND a',
  'CLIENT KILL x',
];

describe('key extraction: differential against redis-server 7.0 COMMAND GETKEYSANDFLAGS', {
  skip: skipWithoutRedis(),
}, () => {
  let redis: ProcessServer;
  let c: RawClient;
  before(async () => {
    redis = await startRedis();
    c = await RawClient.connect(redis.port);
  });
  after(async () => {
    c.close();
    await redis.stop();
  });

  test('same keys, flags and errors for every case', async () => {
    const table = fullTable();
    const problems: string[] = [];
    for (const line of CASES) {
      const argv = splitArgs(line)!;
      const reply = await c.call(['COMMAND', 'GETKEYSANDFLAGS', ...argv]);
      let expected: string;
      const value = reply.value as { type: string; value: unknown };
      if (value.type === 'error') {
        expected = value.value as string;
      } else {
        const items = value.value as Array<{ value: Array<{ value: unknown }> }>;
        expected = items
          .map((item) => {
            const [key, flags] = item.value;
            const names = (flags.value as Array<{ value: string }>).map((f) => f.value);
            return `${(key.value as Buffer).toString('latin1')}[${names.join(',')}]`;
          })
          .join(' ');
      }
      const ours = getKeysOf((name) => table.lookup(name), argv);
      const actual =
        'error' in ours ? ours.error : ours.keys.map((k) => `${argv[k.pos]}[${k.flags.join(',')}]`).join(' ');
      if (actual !== expected) problems.push(`${line}\n    redis:   ${expected}\n    tsredis: ${actual}`);
    }
    assert.equal(problems.length, 0, `key extraction differs:\n${problems.join('\n')}`);
  });
});
