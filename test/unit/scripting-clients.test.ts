/**
 * Scripts through real clients and against bad input: ioredis's defineCommand and node-redis's
 * defineScript (EVALSHA, falling back to EVAL on NOSCRIPT), binary keys and values, the script
 * cache in INFO, and a script that allocates without end (Lua's "not enough memory", the server
 * goes on serving).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { type CommandParser, createClient, defineScript } from 'redis';
import type { RunningServer } from '../../src/index.js';
import { RawClient } from '../support/raw-client.js';
import { startTsredis } from '../support/servers.js';

let server: RunningServer;
before(async () => {
  // A small Lua memory bound, so the allocation test below reaches it quickly (default 512 MB).
  server = await startTsredis({ luaMemoryLimit: 32 * 1024 * 1024 });
});
after(() => server.stop());

describe('scripts through client libraries', () => {
  test('ioredis defineCommand: EVALSHA after the first EVAL, keys and arguments, errors as rejections', async () => {
    const redis = new Redis({ port: server.port, host: '127.0.0.1' }) as Redis & {
      bump(key: string, by: number): Promise<number>;
      fail(): Promise<unknown>;
    };
    try {
      await redis.script('FLUSH');
      redis.defineCommand('bump', {
        numberOfKeys: 1,
        lua: "return redis.call('INCRBY', KEYS[1], ARGV[1])",
      });
      redis.defineCommand('fail', { numberOfKeys: 0, lua: "return redis.call('LPUSH', 'a-string', 'x')" });
      assert.equal(await redis.bump('counter', 5), 5);
      assert.equal(await redis.bump('counter', 2), 7);
      await redis.set('a-string', 'v');
      await assert.rejects(redis.fail(), /WRONGTYPE Operation against a key holding the wrong kind of value/);
      const info = await redis.info('memory');
      assert.match(info, /number_of_cached_scripts:2\r\n/);
    } finally {
      redis.disconnect();
    }
  });

  test('Functions through node-redis (functionLoad, a functions library of the client) and ioredis', async () => {
    const code = [
      '#!lua name=counters',
      "redis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)",
      "redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}",
    ].join('\n');
    const client = createClient({
      socket: { port: server.port, host: '127.0.0.1' },
      functions: {
        counters: {
          bump: {
            NUMBER_OF_KEYS: 1,
            parseCommand(parser: CommandParser, key: string, by: number) {
              parser.pushKey(key);
              parser.push(String(by));
            },
            transformReply: (reply: unknown) => reply as number,
          },
        },
      },
    });
    await client.connect();
    try {
      assert.equal(await client.functionLoad(code, { REPLACE: true }), 'counters');
      assert.equal(await client.counters.bump('fn-counter', 4), 4);
      assert.equal(await client.counters.bump('fn-counter', 3), 7);
      const listed = await client.functionList({ LIBRARYNAME: 'counters' });
      assert.deepEqual(listed[0].functions.map((f) => [f.name, [...f.flags]]).sort(), [
        ['bump', []],
        ['peek', ['no-writes']],
      ]);
    } finally {
      await client.quit();
    }
    const redis = new Redis({ port: server.port, host: '127.0.0.1' });
    try {
      assert.equal(await redis.call('FCALL_RO', 'peek', '1', 'fn-counter'), '7');
      await assert.rejects(redis.call('FCALL_RO', 'bump', '1', 'fn-counter', '1'), /write flag using \*_ro/);
      assert.equal(await redis.call('FUNCTION', 'DELETE', 'counters'), 'OK');
      await assert.rejects(redis.call('FCALL', 'bump', '1', 'fn-counter', '1'), /ERR Function not found/);
    } finally {
      redis.disconnect();
    }
  });

  test('node-redis defineScript, and binary-safe keys, arguments and replies', async () => {
    const client = createClient({
      socket: { port: server.port, host: '127.0.0.1' },
      scripts: {
        swap: defineScript({
          NUMBER_OF_KEYS: 1,
          SCRIPT: "local old = redis.call('GET', KEYS[1]) redis.call('SET', KEYS[1], ARGV[1]) return old",
          parseCommand(parser: CommandParser, key: string, value: string) {
            parser.pushKey(key);
            parser.push(value);
          },
          transformReply: (reply: unknown) => reply as string | null,
        }),
      },
    });
    await client.connect();
    try {
      await client.set('k', 'first');
      assert.equal(await client.swap('k', 'second'), 'first');
      assert.equal(await client.get('k'), 'second');
    } finally {
      await client.quit();
    }
    const raw = await RawClient.connect(server.port);
    try {
      const key = Buffer.from([0, 0xff, 0x0d, 0x0a]);
      const value = Buffer.from([0xc3, 0x28, 0, 0x80]);
      await raw.call(['EVAL', "return redis.call('SET', KEYS[1], ARGV[1])", '1', key, value]);
      const back = await raw.call(['EVAL', "return {redis.call('GET', KEYS[1]), KEYS[1]}", '1', key]);
      assert.deepEqual(
        back.raw,
        Buffer.concat([
          Buffer.from('*2\r\n$4\r\n'),
          value,
          Buffer.from('\r\n$4\r\n'),
          key,
          Buffer.from('\r\n'),
        ]),
      );
    } finally {
      raw.close();
    }
  });
});

describe('scripts that misbehave', () => {
  test('a script that allocates without end fails with "not enough memory"; the server goes on', async () => {
    const raw = await RawClient.connect(server.port);
    try {
      const reply = await raw.callRaw(['EVAL', "local s = 'x' while true do s = s .. s end", '0']);
      assert.match(reply, /^-ERR Error running script [0-9a-f]{40}, not enough memory/);
      assert.equal(await raw.callRaw(['EVAL', 'return 1 + 1', '0']), ':2\r\n');
      assert.equal(await raw.callRaw(['PING']), '+PONG\r\n');
    } finally {
      raw.close();
    }
  });

  test('a library or a function that allocates without end fails; the functions state goes on', async () => {
    const raw = await RawClient.connect(server.port);
    const grow = "local s = 'x' while true do s = s .. s end";
    try {
      const load = await raw.callRaw(['FUNCTION', 'LOAD', `#!lua name=hog\n${grow}`]);
      assert.equal(load, '-ERR Error registering functions: ERR not enough memory\r\n');
      const code = `#!lua name=hog\nredis.register_function('hog', function() ${grow} end)\nredis.register_function('fine', function() return 'fine' end)`;
      assert.equal(await raw.callRaw(['FUNCTION', 'LOAD', code]), '$3\r\nhog\r\n');
      assert.match(
        await raw.callRaw(['FCALL', 'hog', '0']),
        /^-ERR Error running script hog, not enough memory/,
      );
      assert.equal(await raw.callRaw(['FCALL', 'fine', '0']), '$4\r\nfine\r\n');
      assert.equal(await raw.callRaw(['FUNCTION', 'DELETE', 'hog']), '+OK\r\n');
      assert.equal(await raw.callRaw(['FCALL', 'fine', '0']), '-ERR Function not found\r\n');
      // Huge or negative numkeys are refused before anything runs.
      await raw.callRaw([
        'FUNCTION',
        'LOAD',
        "#!lua name=small\nredis.register_function('small', function() return 1 end)",
      ]);
      const refusals: string[] = [];
      for (const n of ['99999999999999999999', '9223372036854775807', '-9223372036854775808'])
        refusals.push(await raw.callRaw(['FCALL', 'small', n]));
      assert.deepEqual(refusals, [
        '-ERR Bad number of keys provided\r\n',
        "-ERR Number of keys can't be greater than number of args\r\n",
        "-ERR Number of keys can't be negative\r\n",
      ]);
      assert.equal(await raw.callRaw(['FCALL', 'small', '0']), ':1\r\n');
    } finally {
      raw.close();
    }
  });
});
