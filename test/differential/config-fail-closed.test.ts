/**
 * Fail closed: a configuration that asks for protection tsredis cannot give yet (cluster mode,
 * client eviction …) stops the server at start-up instead of leaving it open, and CONFIG SET refuses such
 * values. ACL users (test/differential/acl.test.ts) and the default user behave as in Redis:
 * replies, FATAL load errors and CONFIG REWRITE lines compared with redis-server 7.0.15.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RawClient } from '../support/raw-client.js';
import {
  findRedisServer,
  type ProcessServer,
  SERVER_BIN,
  skipWithoutRedis,
  spawnServer,
  startTsredis,
  tempDir,
} from '../support/servers.js';

const LOCKED_CONFIG = [
  'user default off',
  'user admin on >adminpw ~* &* +@all',
  'user reader on >readpw ~pub:* +get',
].join('\n');

interface Outcome {
  stderr: string;
  stdout: string;
  code: number | null;
}

function runServer(bin: string, confText: string, dir: string): Outcome {
  const conf = join(dir, 'test.conf');
  writeFileSync(conf, `${confText}\nport 0\nunixsocket ${join(dir, 'sock')}\nsave ""\n`);
  const isNode = bin.endsWith('.js');
  const r = spawnSync(isNode ? process.execPath : bin, isNode ? [bin, conf] : [conf], {
    cwd: dir,
    encoding: 'latin1',
    timeout: 5000,
  });
  return { stderr: r.stderr, stdout: r.stdout, code: r.status };
}

function fatal(line: number, text: string, reason: string): string {
  return `\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line ${line}\n>>> '${text}'\n${reason}\n`;
}

describe('fail closed: configurations tsredis cannot honour stop the server', () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  const refused: Array<{ name: string; conf: string; line: number; text: string; reason: RegExp }> = [
    {
      name: 'cluster-enabled (also with replicaof, which Redis refuses for its own reason)',
      conf: 'cluster-enabled yes\nreplicaof localhost 6379',
      line: 1,
      text: 'cluster-enabled yes',
      reason: /^cluster mode is not implemented in tsredis yet/,
    },
    {
      name: 'propagation-error-behavior panic',
      conf: 'propagation-error-behavior panic',
      line: 1,
      text: 'propagation-error-behavior panic',
      reason: /^propagation-error-behavior other than ignore/,
    },
    {
      name: 'socket-mark-id',
      conf: 'socket-mark-id 7',
      line: 1,
      text: 'socket-mark-id 7',
      reason: /SO_MARK/,
    },
    {
      name: 'syslog-enabled',
      conf: 'syslog-enabled yes',
      line: 1,
      text: 'syslog-enabled yes',
      reason: /^syslog is not implemented in tsredis/,
    },
    {
      name: 'maxmemory-clients',
      conf: 'maxmemory-clients 10%',
      line: 1,
      text: 'maxmemory-clients 10%',
      reason: /^client eviction \(maxmemory-clients\) is not implemented/,
    },
  ];
  for (const c of refused) {
    test(c.name, () => {
      const r = runServer(SERVER_BIN, c.conf, dir);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const head = `\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line ${c.line}\n>>> '${c.text}'\n`;
      assert.ok(r.stderr.startsWith(head), r.stderr);
      assert.match(r.stderr.slice(head.length), c.reason);
      assert.match(r.stderr, /refusing to (start|run) with less/);
    });
  }

  test('the same refusals stop an embedded server', async () => {
    await assert.rejects(startTsredis({ config: 'cluster-enabled yes' }), /cluster mode is not implemented/);
  });

  test('defaults of the refused directives still load (stock redis.conf lines)', () => {
    const conf = join(dir, 'defaults.conf');
    writeFileSync(
      conf,
      'tls-port 0\ntls-replication no\ncluster-enabled no\naclfile ""\nsyslog-enabled no\nsocket-mark-id 0\nmaxmemory-clients 0\n',
    );
    const r = spawnSync(process.execPath, [SERVER_BIN, conf, '--test-config'], { encoding: 'latin1' });
    assert.equal(r.stdout, 'Configuration OK\n', r.stderr);
    assert.equal(r.status, 0);
  });

  test('CONFIG SET of a value tsredis cannot honour is refused, the value stays', async () => {
    const srv = await startTsredis();
    const c = await RawClient.connect(srv.port);
    try {
      assert.equal(
        await c.callRaw('CONFIG SET maxmemory-clients 10%'),
        "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - client eviction (maxmemory-clients) is not implemented in tsredis yet; refusing to run with less than the configuration asks for\r\n",
      );
      assert.match(await c.callRaw('CONFIG SET propagation-error-behavior panic'), /^-ERR CONFIG SET failed/);
      assert.match(await c.callRaw('CONFIG SET aclfile x'), /can't set immutable config/);
      assert.equal(
        await c.callRaw('CONFIG GET maxmemory-clients'),
        '*2\r\n$17\r\nmaxmemory-clients\r\n$1\r\n0\r\n',
      );
      assert.equal(await c.callRaw('CONFIG SET maxmemory-clients 0'), '+OK\r\n');
    } finally {
      c.close();
      await srv.stop();
    }
  });
});

describe('fail closed: the configuration Redis locks', { skip: skipWithoutRedis() }, () => {
  test('both servers lock it: NOAUTH, then each user with its own rights', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'locked.conf'), `${LOCKED_CONFIG}\n`);
      for (const bin of [findRedisServer()!, SERVER_BIN]) {
        const srv = await spawnServer(bin, [join(dir, 'locked.conf'), '--save', '']);
        const c = await RawClient.connect(srv.port);
        assert.equal(await c.callRaw('SET x 1'), '-NOAUTH Authentication required.\r\n');
        assert.equal(
          await c.callRaw('AUTH default x'),
          '-WRONGPASS invalid username-password pair or user is disabled.\r\n',
        );
        assert.equal(await c.callRaw('AUTH reader readpw'), '+OK\r\n');
        assert.equal(await c.callRaw('GET pub:1'), '$-1\r\n');
        assert.equal(
          await c.callRaw('GET other'),
          '-NOPERM this user has no permissions to access one of the keys used as arguments\r\n',
        );
        assert.equal(
          await c.callRaw('SET pub:1 x'),
          "-NOPERM this user has no permissions to run the 'set' command\r\n",
        );
        assert.equal(await c.callRaw('AUTH admin adminpw'), '+OK\r\n');
        assert.equal(await c.callRaw('SET x 1'), '+OK\r\n');
        c.close();
        await srv.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the default user, differential', { skip: skipWithoutRedis() }, () => {
  const errors: Array<{ name: string; conf: string }> = [
    { name: 'removing a password it does not have', conf: 'user default on <nope ~* &* +@all' },
    { name: 'a malformed hash', conf: 'user default on #abc ~* &* +@all' },
    { name: 'an unknown rule', conf: 'user default on bogus ~* &* +@all' },
    {
      name: 'a second default user line',
      conf: 'user default on nopass ~* &* +@all\nuser default on nopass ~* &* +@all',
    },
  ];
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const e of errors) {
    test(`load error: ${e.name}`, () => {
      const redis = runServer(findRedisServer()!, e.conf, dir);
      const ts = runServer(SERVER_BIN, e.conf, dir);
      assert.equal(redis.code, 1);
      assert.equal(ts.code, 1);
      assert.equal(ts.stderr, redis.stderr);
    });
  }

  test('fatal() builds the report Redis prints', () => {
    const r = runServer(SERVER_BIN, 'user default on #abc ~* &* +@all', dir);
    assert.equal(
      r.stderr,
      fatal(
        1,
        'user default on #abc ~* &* +@all',
        "Error in user declaration 'default': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
      ),
    );
  });

  const configs: Array<{ name: string; conf: string; script: string[] }> = [
    {
      name: 'a password from the user line',
      conf: 'user default on >adminpw ~* &* +@all',
      script: ['SET x 1', 'AUTH wrong', 'AUTH adminpw', 'SET x 1', 'AUTH default adminpw', 'GET x'],
    },
    {
      name: 'the user line wins over requirepass, in either order',
      conf: 'requirepass first\nuser default on >second ~* &* +@all',
      script: ['AUTH first', 'AUTH second', 'CONFIG GET requirepass', 'PING'],
    },
    {
      name: 'several passwords, one removed',
      conf: 'user default on >a >b >c <b ~* &* +@all',
      script: ['AUTH b', 'AUTH a', 'AUTH c', 'HELLO 2 AUTH default c'],
    },
    {
      name: 'off: nobody gets in',
      conf: 'user default off',
      script: ['PING', 'AUTH x', 'AUTH default x', 'HELLO 3 AUTH default x'],
    },
    {
      name: 'reset leaves no password: nobody gets in either',
      conf: 'user default on ~* &* +@all',
      script: ['PING', 'AUTH x'],
    },
    {
      name: 'nopass keeps it open, and AUTH <password> says so',
      conf: 'user default on nopass ~* &* +@all',
      script: ['PING', 'AUTH x', 'AUTH default anything'],
    },
    {
      name: "CONFIG SET requirepass replaces the line's passwords",
      conf: 'user default on >one >two ~* &* +@all',
      script: [
        'AUTH one',
        'CONFIG SET requirepass three',
        'AUTH two',
        'AUTH three',
        'CONFIG SET requirepass ""',
        'AUTH x',
      ],
    },
  ];
  for (const c of configs) {
    test(c.name, async () => {
      const run = async (bin: string): Promise<string[]> => {
        const d = tempDir();
        writeFileSync(join(d, 'u.conf'), `${c.conf}\n`);
        const srv = await spawnServer(bin, [join(d, 'u.conf'), '--save', ''], { dir: d });
        const conn = await RawClient.connect(srv.port);
        const out: string[] = [];
        for (const line of c.script) out.push(await conn.callRaw(line));
        conn.close();
        await srv.stop();
        rmSync(d, { recursive: true, force: true });
        return out;
      };
      const [redis, ts] = [await run(findRedisServer()!), await run(SERVER_BIN)];
      assert.deepEqual(ts.map(withoutIds), redis.map(withoutIds));
    });
  }

  test('CONFIG REWRITE writes the default user as Redis describes it', async () => {
    const rewrite = async (bin: string, conf: string, commands: string[]): Promise<string> => {
      const d = tempDir();
      writeFileSync(join(d, 'r.conf'), `${conf}\n`);
      const srv: ProcessServer = await spawnServer(bin, [join(d, 'r.conf')], { dir: d });
      const conn = await RawClient.connect(srv.port);
      for (const cmd of commands) await conn.callRaw(cmd);
      assert.equal(await conn.callRaw('CONFIG REWRITE'), '+OK\r\n');
      conn.close();
      await srv.stop();
      const text = readFileSync(join(d, 'r.conf'), 'latin1');
      rmSync(d, { recursive: true, force: true });
      return text
        .split('\n')
        .filter((l) => l.startsWith('user '))
        .join('\n');
    };
    const cases: Array<[string, string[]]> = [
      ['user default on >a >b ~* &* +@all\nsave ""', ['AUTH a']],
      ['user default on nopass skip-sanitize-payload ~* &* +@all\nsave ""', []],
      ['requirepass pw\nsave ""', ['AUTH pw']],
      ['user default on >x ~* &* +@all\nsave ""', ['AUTH x', 'CONFIG SET requirepass y']],
      ['save ""', []],
    ];
    for (const [conf, commands] of cases) {
      const redis = await rewrite(findRedisServer()!, conf, commands);
      const ts = await rewrite(SERVER_BIN, conf, commands);
      assert.equal(ts, redis, conf);
    }
  });
});

/** HELLO replies carry the connection id, which differs between servers. */
function withoutIds(reply: string): string {
  return reply.replace(/\$2\r\nid\r\n:\d+\r\n/, '$2\r\nid\r\n:ID\r\n');
}
