/**
 * Real clients against tsredis: ioredis, node-redis (RESP2 and RESP3) and redis-cli from
 * redis-tools (its output compared with what it prints against a real redis-server).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createClient, RESP_TYPES } from 'redis';
import type { RunningServer } from '../../src/index.js';
import {
  findTool,
  freePort,
  type ProcessServer,
  skipWithoutRedis,
  startRedis,
  startTsredis,
} from '../support/servers.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** A tsredis that can be stopped and started again on the same port (for reconnect tests). */
class RestartableServer {
  private current: RunningServer | null = null;
  private constructor(readonly port: number) {}

  static async start(): Promise<RestartableServer> {
    const s = new RestartableServer(await freePort());
    await s.restart();
    return s;
  }

  async restart(): Promise<void> {
    await this.stop();
    this.current = await startTsredis({ port: this.port });
  }

  async stop(): Promise<void> {
    await this.current?.stop();
    this.current = null;
  }
}

describe('clients: ioredis', () => {
  let server: RestartableServer;
  let client: Redis;
  before(async () => {
    server = await RestartableServer.start();
    client = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => 20, lazyConnect: true });
    client.on('error', () => {});
    await client.connect();
  });
  after(async () => {
    client.disconnect();
    await server.stop();
  });

  test('SET/GET with binary Buffers, every byte value', async () => {
    assert.equal(await client.set(ALL_BYTES, Buffer.from(ALL_BYTES).reverse()), 'OK');
    assert.deepEqual(await client.getBuffer(ALL_BYTES), Buffer.from(ALL_BYTES).reverse());
    assert.equal(await client.strlen(ALL_BYTES), 256);
    assert.equal(await client.set('utf8-key-é', 'värde ✓'), 'OK');
    assert.equal(await client.get('utf8-key-é'), 'värde ✓');
    assert.equal(await client.get('missing'), null);
  });

  test('a pipeline of 1000 commands, errors in place', async () => {
    const p = client.pipeline();
    for (let i = 0; i < 1000; i++) p.incr('counter');
    p.set('text', 'abc').incr('text').get('counter');
    const results = (await p.exec())!;
    assert.equal(results.length, 1003);
    assert.deepEqual(results[999], [null, 1000]);
    assert.deepEqual(results[1000], [null, 'OK']);
    assert.equal((results[1001][0] as Error).message, 'ERR value is not an integer or out of range');
    assert.deepEqual(results[1002], [null, '1000']);
  });

  test('MULTI/EXEC', async () => {
    const res = await client.multi().set('m', '5').incrby('m', 10).get('m').exec();
    assert.deepEqual(res, [
      [null, 'OK'],
      [null, 15],
      [null, '15'],
    ]);
  });

  test('errors reach the caller as ReplyError with Redis text', async () => {
    await client.set('s', 'not a number');
    await assert.rejects(client.incr('s'), {
      name: 'ReplyError',
      message: 'ERR value is not an integer or out of range',
    });
    await assert.rejects(client.call('GET'), { message: "ERR wrong number of arguments for 'get' command" });
    await assert.rejects(client.call('NOSUCHCMD', 'a'), {
      message: "ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' ",
    });
    assert.equal(await client.ping(), 'PONG', 'the connection survives errors');
  });

  test('reconnects after the server restarts', async () => {
    await client.set('before', '1');
    await server.restart();
    // Queued while disconnected, sent once ioredis has reconnected.
    assert.equal(await client.set('after', '2'), 'OK');
    assert.equal(await client.get('after'), '2');
    assert.equal(await client.get('before'), null, 'a fresh server (no persistence)');
  });
});

describe('clients: node-redis', () => {
  let server: RestartableServer;
  before(async () => {
    server = await RestartableServer.start();
  });
  after(() => server.stop());

  function connectClient(resp: 2 | 3) {
    const client = createClient({
      socket: { port: server.port, host: '127.0.0.1', reconnectStrategy: () => 20 },
      RESP: resp,
    });
    client.on('error', () => {});
    return client.connect();
  }

  for (const resp of [2, 3] as const) {
    test(`RESP${resp}: strings, binary values, nulls, errors`, async () => {
      const client = await connectClient(resp);
      try {
        const hello = (await client.sendCommand(['HELLO'])) as unknown;
        const proto =
          hello instanceof Map
            ? hello.get('proto')
            : Array.isArray(hello)
              ? hello[5]
              : (hello as { proto: number }).proto;
        assert.equal(proto, resp);
        assert.equal(await client.set('k', 'v'), 'OK');
        assert.equal(await client.get('k'), 'v');
        assert.equal(await client.get('missing'), null);
        assert.equal(await client.exists(['k', 'missing']), 1);
        const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
        await binary.set(ALL_BYTES, ALL_BYTES);
        assert.deepEqual(await binary.get(ALL_BYTES), ALL_BYTES);
        assert.deepEqual(await binary.mGet([ALL_BYTES, 'missing']), [ALL_BYTES, null]);
        await assert.rejects(client.incr('k'), { message: 'ERR value is not an integer or out of range' });
        await assert.rejects(client.sendCommand(['GET']), {
          message: "ERR wrong number of arguments for 'get' command",
        });
      } finally {
        client.destroy();
      }
    });
  }

  test('auto-pipelined commands and MULTI', async () => {
    const client = await connectClient(3);
    try {
      await client.del('n');
      const replies = await Promise.all(Array.from({ length: 1000 }, () => client.incr('n')));
      assert.deepEqual(
        replies,
        Array.from({ length: 1000 }, (_, i) => i + 1),
      );
      assert.deepEqual(await client.multi().set('x', '1').incr('x').get('x').exec(), ['OK', 2, '2']);
      const piped = await client.multi().set('y', 'a').append('y', 'b').get('y').execAsPipeline();
      assert.deepEqual(piped, ['OK', 2, 'ab']);
    } finally {
      client.destroy();
    }
  });

  test('reconnects after the server restarts', async () => {
    const client = await connectClient(3);
    try {
      await client.set('before', '1');
      const reconnected = new Promise<void>((resolve) => client.once('ready', () => resolve()));
      await server.restart();
      await reconnected;
      assert.equal(await client.set('after', '2'), 'OK');
      assert.equal(await client.get('after'), '2');
    } finally {
      client.destroy();
    }
  });
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(port: number, args: string[], stdin?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'redis-cli',
      ['-h', '127.0.0.1', '-p', String(port), ...args],
      { encoding: 'latin1', timeout: 10_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
    // redis-cli may exit before reading its stdin (a command on the command line): ignore EPIPE.
    child.stdin!.on('error', () => {});
    child.stdin!.end(stdin ?? '');
  });
}

const noCli = findTool('redis-cli') === null ? 'redis-cli (redis-tools) not installed' : false;

describe('clients: redis-cli output, differential', { skip: skipWithoutRedis() || noCli }, () => {
  let redis: ProcessServer;
  let ts: RunningServer;
  before(async () => {
    [redis, ts] = await Promise.all([startRedis(), startTsredis()]);
  });
  after(() => Promise.all([redis.stop(), ts.stop()]));

  /** Runs each redis-cli invocation against both servers; stdout, stderr and exit code must match. */
  async function sameOutput(runs: Array<{ args: string[]; stdin?: string }>): Promise<void> {
    const problems: string[] = [];
    for (const run of runs) {
      const r = await runCli(redis.port, run.args, run.stdin);
      const t = await runCli(ts.port, run.args, run.stdin);
      if (JSON.stringify(r) !== JSON.stringify(t)) {
        problems.push(
          `  redis-cli ${run.args.join(' ')}\n    redis:   ${JSON.stringify(r)}\n    tsredis: ${JSON.stringify(t)}`,
        );
      }
    }
    if (problems.length > 0) assert.fail(`redis-cli output differs:\n${problems.join('\n')}`);
  }

  test('one command per invocation', () =>
    sameOutput([
      { args: ['FLUSHALL'] },
      { args: ['SET', 'k', 'hello world'] },
      { args: ['GET', 'k'] },
      { args: ['GET', 'missing'] },
      { args: ['--no-raw', 'GET', 'missing'] },
      { args: ['--no-raw', 'GET', 'k'] },
      { args: ['INCR', 'k'] },
      { args: ['--no-raw', 'INCR', 'k'] },
      { args: ['--no-raw', 'INCR', 'n'] },
      { args: ['MGET', 'k', 'missing', 'n'] },
      { args: ['--no-raw', 'MGET', 'k', 'missing', 'n'] },
      { args: ['PING'] },
      { args: ['ECHO', 'bin\\x00ary'] },
      { args: ['-3', '--no-raw', 'GET', 'missing'] },
      { args: ['-3', 'EXISTS', 'k', 'n'] },
      { args: ['NOSUCH', 'x'] },
      { args: ['--no-raw', 'GET'] },
    ]));

  test('commands piped on stdin, and --pipe mass insertion', () =>
    sameOutput([
      { args: [], stdin: 'FLUSHALL\nSET a 1\nINCR a\nGET a\nGET nope\nINCR k\nSET "q x" "y z"\nGET "q x"\n' },
      { args: ['--no-raw'], stdin: 'MSET a 1 b 2\nMGET a b c\nDEL a b c\n' },
      {
        args: ['--pipe'],
        stdin: Array.from({ length: 2000 }, (_, i) => `SET key:${i} value:${i}\r\n`).join(''),
      },
      { args: ['DBSIZE'] },
    ]));
});
