/**
 * ACL users, differential against redis-server 7.0.15: rule parsing and its errors, ACL LIST /
 * GETUSER descriptions (the best-fit categories exactly; single commands as a set, since Redis
 * lists them in its dict's random order), permission checks (DRYRUN and real commands), NOPERM
 * texts, the ACL log, AUTH/HELLO, MULTI and scripts, clients of deleted users, the ACL file and
 * CONFIG REWRITE's user lines.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RawClient } from '../support/raw-client.js';
import { waitReplicaCaughtUp } from '../support/replication.js';
import {
  findRedisServer,
  type ProcessServer,
  SERVER_BIN,
  skipWithoutRedis,
  spawnServer,
  tempDir,
} from '../support/servers.js';

/** Sorts each run of single-command rules (+cmd, -cmd|sub): Redis emits them in hash order. */
function normalizeRules(text: string): string {
  return text.replace(/(?:[+-][^@\s()][^\s()]*(?: |(?=[)\r\n]|$)))+/g, (run) => {
    const trail = run.endsWith(' ') ? ' ' : '';
    return run.trim().split(' ').sort().join(' ') + trail;
  });
}

/** A client-info line with what differs between any two connections taken out. */
function normalizeLog(raw: string): string {
  return raw
    .replace(/id=\d+ addr=\S+ laddr=\S+ fd=\d+/g, 'ID')
    .replace(/qbuf=.*? events=\S+/g, 'X')
    .replace(/\$\d+\r\n(ID)/g, '$N\r\n$1')
    .replace(/(\$11\r\nage-seconds\r\n)\$\d+\r\n[\d.e-]+\r\n/g, '$1AGE\r\n');
}

const RULE_SETS: string[][] = [
  ['on', '>p1', '~app:*', '+get', '+set', '+@hash', '-config', '+config|get', '+select|0', '&ch*'],
  ['%R~r:*', '%W~w:*', '%RW~rw:*', '%R~a', '%W~a', '(+incr ~x*)', '(', '+get', '~y', ')'],
  ['+@all', '-@dangerous', '-@slow', '+client'],
  ['+@read', '+@write', '-@keyspace', '+del'],
  ['allcommands', '-config|set', '-debug', 'nopass', 'skip-sanitize-payload'],
  ['-@all', '+@pubsub', '+@connection', 'allkeys', 'allchannels'],
  ['+@all', '-@write', '+set', '-get', 'resetkeys', '~k1', '~k2', 'resetchannels', '&c1'],
  ['reset', 'on', '#'.padEnd(65, 'a'), '>x', '<x', 'sanitize-payload', 'clearselectors'],
  ['+@stream', '+@geo', '-geoadd', '+@scripting', '+@admin', '-@admin', '+@transaction', '+@fast'],
  ['%R', '%RW~', 'off', 'nocommands', '+acl|whoami', '+debug|object'],
];

const BAD_RULES: string[][] = [
  ['foo'],
  ['+nosuch'],
  ['~*', '~x'],
  ['&*', '&x'],
  ['(+get'],
  ['reset', '('],
  ['+config|get|x'],
  ['+get|'],
  ['-select|0'],
  ['+select|'],
  ['%X~a'],
  ['%RR~a'],
  ['%~x'],
  ['<nope'],
  ['!nope'],
  ['#abc'],
  ['-@nosuch'],
  ['+client|nosuch'],
  ['+client|kill|x'],
  ['~a b'],
  ['(+get ~x) (-@all +nosuch)'],
];

/** Commands a `~app:*` user (every command allowed) may only run on app:* keys. */
const KEY_FORMS: string[][] = [
  ['get', 'other'],
  ['set', 'other', 'x'],
  ['mset', 'app:1', 'x', 'other', 'y'],
  ['mget', 'app:1', 'other'],
  ['rename', 'app:1', 'other'],
  ['copy', 'app:1', 'other'],
  ['sort', 'app:l', 'STORE', 'other'],
  ['sort_ro', 'other'],
  ['zunionstore', 'other', '1', 'app:z'],
  ['zunionstore', 'app:z', '2', 'app:a', 'other'],
  ['zinter', '2', 'app:a', 'other'],
  ['eval', 'return 1', '2', 'app:1', 'other'],
  ['fcall', 'f', '1', 'other'],
  ['object', 'encoding', 'other'],
  ['dump', 'other'],
  ['restore', 'other', '0', 'x'],
  ['xread', 'STREAMS', 'app:s', 'other', '0', '0'],
  ['xreadgroup', 'GROUP', 'g', 'c', 'STREAMS', 'other', '>'],
  ['lmove', 'app:l', 'other', 'LEFT', 'LEFT'],
  ['blmpop', '0', '2', 'app:l', 'other', 'LEFT'],
  ['bitop', 'AND', 'other', 'app:1'],
  ['georadius', 'app:g', '0', '0', '1', 'km', 'STORE', 'other'],
  ['geosearchstore', 'other', 'app:g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
  ['smove', 'app:s', 'other', 'm'],
  ['pfmerge', 'other', 'app:h'],
  ['touch', 'app:1', 'other'],
  ['del', 'other'],
  ['unlink', 'app:1', 'other'],
  ['exists', 'other'],
  ['watch', 'other'],
  ['lcs', 'app:1', 'other'],
  ['memory', 'usage', 'other'],
  ['bitfield', 'other', 'GET', 'u8', '0'],
  ['set', 'other', 'x', 'GET'],
  ['getex', 'other'],
  ['xautoclaim', 'other', 'g', 'c', '0', '0'],
];

/** Commands such a user may run (keys app:* only, channels news*). */
const ALLOWED_FORMS: string[][] = [
  ['get', 'app:1'],
  ['mset', 'app:1', 'x', 'app:2', 'y'],
  ['sort', 'app:l', 'STORE', 'app:d'],
  ['eval', 'return 1', '1', 'app:1'],
  ['keys', '*'],
  ['scan', '0'],
  ['publish', 'news1', 'x'],
  ['subscribe', 'news', 'news2'],
  ['ping'],
];

describe('ACL, differential', { skip: skipWithoutRedis() }, () => {
  const servers: ProcessServer[] = [];
  const clients: RawClient[] = [];
  before(async () => {
    for (const bin of [findRedisServer()!, SERVER_BIN]) {
      const srv = await spawnServer(bin, ['--save', '', '--bind', '127.0.0.1']);
      servers.push(srv);
      clients.push(await RawClient.connect(srv.port));
    }
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop();
  });

  /** The raw reply of one command on both servers; they must be equal after `normalize`. */
  async function both(argv: readonly string[], normalize = (s: string) => s): Promise<string> {
    const [r, t] = await Promise.all(clients.map((c) => c.callRaw(argv)));
    assert.equal(normalize(t), normalize(r), `reply to ${JSON.stringify(argv)}`);
    return r;
  }

  test('SETUSER rule sets: replies, ACL LIST and GETUSER', async () => {
    for (let i = 0; i < RULE_SETS.length; i++) {
      await both(['ACL', 'SETUSER', `u${i}`, ...RULE_SETS[i]]);
      await both(['ACL', 'GETUSER', `u${i}`], normalizeRules);
    }
    // Rules applied on top of an existing user.
    await both(['ACL', 'SETUSER', 'u3', '-@all', '+@read', '(~q* +get)']);
    await both(['ACL', 'SETUSER', 'u0', '+@all', '-@read', '~more:*', '<p1', '>p2']);
    await both(['ACL', 'LIST'], normalizeRules);
    await both(['ACL', 'USERS']);
  });

  test('SETUSER errors leave the user as it was', async () => {
    await both(['ACL', 'SETUSER', 'keep', 'on', '>k', '~k:*', '+get']);
    for (const rules of BAD_RULES) await both(['ACL', 'SETUSER', 'keep', ...rules]);
    await both(['ACL', 'SETUSER', 'a b']);
    await both(['ACL', 'GETUSER', 'keep'], normalizeRules);
  });

  test('the other subcommands and their errors', async () => {
    for (const argv of [
      ['ACL', 'GETUSER', 'nobody'],
      ['ACL', 'DELUSER', 'default'],
      ['ACL', 'DELUSER', 'nobody', 'u9'],
      ['ACL', 'CAT'],
      ['ACL', 'CAT', 'nosuch'],
      ['ACL', 'CAT', 'a', 'b'],
      ['ACL', 'GENPASS', '0'],
      ['ACL', 'GENPASS', '4097'],
      ['ACL', 'GENPASS', 'x'],
      ['ACL', 'LOG', 'x'],
      ['ACL', 'LOG', '-1'],
      ['ACL', 'WHOAMI'],
      ['ACL', 'LOAD'],
      ['ACL', 'SAVE'],
      ['ACL', 'HELP'],
      ['ACL', 'NOSUCH'],
      ['ACL', 'DRYRUN', 'nobody', 'get', 'x'],
      ['ACL', 'DRYRUN', 'default', 'nosuch'],
      ['ACL'],
      ['ACL', 'SETUSER'],
    ]) {
      await both(argv);
    }
    const [a, b] = await Promise.all(clients.map((c) => c.callRaw('ACL GENPASS 5')));
    assert.match(a, /^\$2\r\n[0-9a-f]{2}\r\n$/);
    assert.match(b, /^\$2\r\n[0-9a-f]{2}\r\n$/);
  });

  test('ACL CAT of every category lists the same commands', async () => {
    for (const cat of [
      'read',
      'write',
      'admin',
      'dangerous',
      'fast',
      'slow',
      'pubsub',
      'scripting',
      'keyspace',
    ]) {
      const [r, t] = await Promise.all(clients.map((c) => c.callRaw(['ACL', 'CAT', cat])));
      const names = (raw: string) =>
        raw
          .split('\r\n')
          .filter((l) => l !== '' && !/^[*$]/.test(l))
          .sort();
      assert.deepEqual(names(t), names(r), cat);
    }
  });

  test('a ~app:* user reaches no other key through any command form (DRYRUN)', async () => {
    await both(['ACL', 'SETUSER', 'app', 'on', '>pw', '~app:*', '&news*', '+@all']);
    for (const form of KEY_FORMS) {
      const r = await both(['ACL', 'DRYRUN', 'app', ...form]);
      assert.match(
        r,
        /^\$\d+\r\nThis user has no permissions to access the '(other)' key\r\n$/,
        form.join(' '),
      );
    }
    for (const form of ALLOWED_FORMS) assert.equal(await both(['ACL', 'DRYRUN', 'app', ...form]), '+OK\r\n');
    await both(['ACL', 'DRYRUN', 'app', 'publish', 'other', 'x']);
    await both(['ACL', 'DRYRUN', 'app', 'psubscribe', 'news*', 'n?ws']);
    await both(['ACL', 'SETUSER', 'rw', 'on', 'nopass', '%R~r:*', '%W~w:*', '+@all']);
    for (const form of [
      ['get', 'r:1'],
      ['get', 'w:1'],
      ['set', 'w:1', 'x'],
      ['set', 'r:1', 'x'],
      ['set', 'w:1', 'x', 'GET'],
      ['copy', 'r:1', 'w:1'],
      ['lmove', 'r:1', 'w:1', 'LEFT', 'LEFT'],
      ['rename', 'r:1', 'w:1'],
      ['del', 'r:1'],
      ['exists', 'w:1'],
      ['sort', 'r:1', 'STORE', 'w:1'],
    ]) {
      await both(['ACL', 'DRYRUN', 'rw', ...form]);
    }
    await both([
      'ACL',
      'SETUSER',
      'fa',
      'on',
      'nopass',
      '~*',
      '-@all',
      '+select|0',
      '+client|list',
      '+config|get',
    ]);
    for (const form of [
      ['select', '0'],
      ['select', '1'],
      ['client', 'list'],
      ['client', 'kill', 'x'],
      ['config', 'get', 'x'],
      ['config', 'set', 'x', 'y'],
    ]) {
      await both(['ACL', 'DRYRUN', 'fa', ...form]);
    }
  });

  test('AUTH, NOPERM, MULTI, scripts and the ACL log', async () => {
    await both(['ACL', 'SETUSER', 'u2', 'on', '>pw', '~app:*', '+@all', '-flushall', '&news']);
    await both(['ACL', 'LOG', 'RESET']);
    const conns = await Promise.all(servers.map((s) => RawClient.connect(s.port)));
    try {
      const run = async (argv: readonly string[]) => {
        const [r, t] = await Promise.all(conns.map((c) => c.callRaw(argv)));
        assert.equal(t, r, JSON.stringify(argv));
      };
      for (const argv of [
        ['AUTH', 'u2', 'bad'],
        ['AUTH', 'nouser', 'bad'],
        ['HELLO', '2', 'AUTH', 'u2', 'nope'],
        ['AUTH', 'u2', 'pw'],
        ['ACL', 'WHOAMI'],
        ['GET', 'other'],
        ['FLUSHALL'],
        ['PUBLISH', 'x', '1'],
        ['MULTI'],
        ['GET', 'other'],
        ['SET', 'app:1', '1'],
        ['EXEC'],
        ['EVAL', "return redis.call('get','zz')", '0'],
        ['EVAL', "return redis.pcall('flushall')", '0'],
        ['EVAL', "return redis.call('publish','q','1')", '0'],
        ['MULTI'],
        ['SET', 'app:1', '2'],
        ['GET', 'app:1'],
      ]) {
        await run(argv);
      }
      // The rules change between queueing and EXEC.
      await both(['ACL', 'SETUSER', 'u2', '-get']);
      await run(['EXEC']);
      await run(['SUBSCRIBE', 'news', 'x']);
      await run(['RESET']);
      await run(['ACL', 'WHOAMI']);
    } finally {
      for (const c of conns) c.close();
    }
    await both(['ACL', 'LOG'], normalizeLog);
    await both(['ACL', 'LOG', '2'], normalizeLog);
  });

  test('SORT BY and GET need a user who may read every key', async () => {
    await both(['ACL', 'SETUSER', 'sorter', 'on', 'nopass', '~app:*', '+@all']);
    await both(['ACL', 'SETUSER', 'reader', 'on', 'nopass', '%R~*', '%W~app:*', '+@all']);
    await both(['RPUSH', 'app:l', '3', '1', '2']);
    const conns = await Promise.all(servers.map((s) => RawClient.connect(s.port)));
    try {
      for (const user of ['sorter', 'reader']) {
        for (const argv of [
          ['AUTH', user, 'x'],
          ['SORT', 'app:l', 'BY', 'w_*'],
          ['SORT', 'app:l', 'GET', '#'],
          ['SORT', 'app:l', 'GET', 'w_*', 'STORE', 'app:d'],
          ['SORT', 'app:l', 'BY', 'nosort'],
          ['SORT_RO', 'app:l', 'GET', 'x*'],
          ['SORT', 'app:l', 'LIMIT', '0', '1'],
        ]) {
          const [r, t] = await Promise.all(conns.map((c) => c.callRaw(argv)));
          assert.equal(t, r, `${user}: ${argv.join(' ')}`);
        }
      }
    } finally {
      for (const c of conns) c.close();
    }
  });

  test('passwords reach neither MONITOR, SLOWLOG, CLIENT LIST nor the ACL log; AUTH does not tell users apart', async () => {
    for (const srv of servers) {
      const admin = await RawClient.connect(srv.port);
      const monitor = await RawClient.connect(srv.port);
      const user = await RawClient.connect(srv.port);
      try {
        await admin.callRaw('CONFIG SET slowlog-log-slower-than 0');
        await admin.callRaw('SLOWLOG RESET');
        await monitor.callRaw('MONITOR');
        let seen = '';
        monitor.socket.on('data', (d: Buffer) => {
          seen += d.toString('latin1');
        });
        await admin.callRaw(['ACL', 'SETUSER', 'secretive', 'on', '>s3cr3t-pw', '~*', '+@all']);
        const wrong = await user.callRaw(['AUTH', 'secretive', 'bad-s3cr3t']);
        assert.equal(wrong, await user.callRaw(['AUTH', 'no-such-user', 'bad-s3cr3t']));
        await user.callRaw(['AUTH', 'secretive', 's3cr3t-pw']);
        await user.callRaw(['HELLO', '2', 'AUTH', 'secretive', 's3cr3t-pw']);
        await admin.callRaw(['CONFIG', 'SET', 'masterauth', 's3cr3t-pw']);
        // The PING after the secrets: once MONITOR shows it, it has shown everything before it.
        await admin.callRaw('PING');
        while (!seen.includes('"PING"')) await new Promise((r) => monitor.socket.once('data', r));
        const everything = [
          seen,
          await admin.callRaw('SLOWLOG GET 100'),
          await admin.callRaw('CLIENT LIST'),
          await admin.callRaw('ACL LOG'),
          await admin.callRaw('ACL LIST'),
        ].join('\n');
        assert.doesNotMatch(everything, /s3cr3t/);
        assert.match(seen, /"AUTH" "\(redacted\)" "\(redacted\)"/);
      } finally {
        await admin.callRaw('CONFIG SET slowlog-log-slower-than 10000');
        await admin.callRaw('CONFIG SET masterauth ""');
        for (const c of [admin, monitor, user]) c.close();
      }
    }
  });

  test('clients of a deleted user are disconnected, the deleting one after its reply', async () => {
    await both(['ACL', 'SETUSER', 'gone', 'on', 'nopass', '+@all', '~*']);
    for (const srv of servers) {
      const victim = await RawClient.connect(srv.port);
      const self = await RawClient.connect(srv.port);
      assert.equal(await victim.callRaw('AUTH gone x'), '+OK\r\n');
      assert.equal(await self.callRaw('AUTH gone x'), '+OK\r\n');
      const closed = once(victim.socket, 'close');
      const selfClosed = once(self.socket, 'close');
      assert.equal(await self.callRaw('ACL DELUSER gone'), ':1\r\n');
      await closed;
      await selfClosed;
    }
  });

  test('a subscriber losing its channel is disconnected', async () => {
    await both(['ACL', 'SETUSER', 'sub', 'on', 'nopass', '+@all', '~*', 'resetchannels', '&a', '&b']);
    for (const srv of servers) {
      const c = await RawClient.connect(srv.port);
      assert.equal(await c.callRaw('AUTH sub x'), '+OK\r\n');
      await c.callRaw('SUBSCRIBE a');
      const admin = await RawClient.connect(srv.port);
      // Keeping its channel keeps it connected (PING answers); taking it away closes it.
      assert.equal(await admin.callRaw('ACL SETUSER sub resetchannels &a'), '+OK\r\n');
      assert.match(await c.callRaw('PING'), /pong/);
      const closed = once(c.socket, 'close');
      assert.equal(await admin.callRaw('ACL SETUSER sub resetchannels &b'), '+OK\r\n');
      await closed;
      admin.close();
    }
  });
});

describe('ACL users from the configuration and the ACL file', { skip: skipWithoutRedis() }, () => {
  const USERS = [
    'user default on nopass ~* &* +@all',
    'user alice on >alicepw ~a:* &* +@read -keys',
    `user bob off #${'b'.repeat(64)} %R~x (+get ~y*)`,
  ];

  test('user lines load, CONFIG REWRITE writes them back as Redis does', async () => {
    const out: string[] = [];
    for (const bin of [findRedisServer()!, SERVER_BIN]) {
      const dir = tempDir();
      const conf = join(dir, 'redis.conf');
      writeFileSync(conf, `${USERS.join('\n')}\nsave ""\n`);
      const srv = await spawnServer(bin, [conf], { dir });
      const c = await RawClient.connect(srv.port);
      try {
        out.push(normalizeRules(await c.callRaw('ACL LIST')));
        assert.equal(await c.callRaw('AUTH alice alicepw'), '+OK\r\n');
        assert.equal(await c.callRaw('AUTH default x'), '+OK\r\n');
        assert.equal(await c.callRaw('ACL SETUSER carol on >c ~c:* +get'), '+OK\r\n');
        assert.equal(await c.callRaw('CONFIG REWRITE'), '+OK\r\n');
        const lines = readFileSync(conf, 'latin1')
          .split('\n')
          .filter((l) => l.startsWith('user '));
        out.push(normalizeRules(lines.join('\n')));
      } finally {
        c.close();
        await srv.stop();
      }
    }
    assert.equal(out[2], out[0]);
    assert.equal(out[3], out[1]);
  });

  test('aclfile: load at start-up, ACL SAVE, ACL LOAD and its errors', async () => {
    const out: string[] = [];
    for (const bin of [findRedisServer()!, SERVER_BIN]) {
      const dir = tempDir();
      writeFileSync(join(dir, 'users.acl'), `${USERS.join('\n')}\n`);
      const srv = await spawnServer(bin, ['--aclfile', 'users.acl', '--save', '', '--dir', dir], { dir });
      const c = await RawClient.connect(srv.port);
      const alice = await RawClient.connect(srv.port);
      try {
        out.push(normalizeRules(await c.callRaw('ACL LIST')));
        assert.equal(await alice.callRaw('AUTH alice alicepw'), '+OK\r\n');
        assert.equal(await c.callRaw('ACL SETUSER dave on >d +@all ~*'), '+OK\r\n');
        assert.equal(await c.callRaw('ACL SAVE'), '+OK\r\n');
        out.push(normalizeRules(readFileSync(join(dir, 'users.acl'), 'latin1')));
        writeFileSync(
          join(dir, 'users.acl'),
          'user eve on nopass bogus\nnot a user line\nuser eve on\n# comment\n',
        );
        out.push(await c.callRaw('ACL LOAD'));
        // A failed load changes nothing: alice is still connected and still herself.
        assert.equal(
          await alice.callRaw('GET b'),
          '-NOPERM this user has no permissions to access one of the keys used as arguments\r\n',
        );
        writeFileSync(
          join(dir, 'users.acl'),
          'user default on nopass ~* &* +@all\nuser zed on >z ~* +@all\n',
        );
        const closed = once(alice.socket, 'close');
        out.push(await c.callRaw('ACL LOAD'));
        await closed;
        out.push(await c.callRaw('ACL USERS'));
      } finally {
        c.close();
        alice.close();
        await srv.stop();
      }
    }
    assert.deepEqual(out.slice(5), out.slice(0, 5));
  });

  test('start-up errors: users and an aclfile together, a bad aclfile', async () => {
    for (const bin of [findRedisServer()!, SERVER_BIN]) {
      const dir = tempDir();
      writeFileSync(join(dir, 'users.acl'), 'user x on bogus\n');
      writeFileSync(join(dir, 'both.conf'), 'user y on\naclfile users.acl\n');
      await assert.rejects(
        spawnServer(bin, [join(dir, 'both.conf')], { dir }),
        /please define either an ACL file or declare users directly in your redis.conf, but not both/,
      );
      await assert.rejects(
        spawnServer(bin, ['--aclfile', 'users.acl'], { dir }),
        /Aborting Redis startup because of ACL errors: users.acl:1: Syntax error. WARNING: ACL errors detected/,
      );
    }
  });
});

describe('replication as an ACL user (masteruser, masterauth)', { skip: skipWithoutRedis() }, () => {
  test('each replica kind syncs from each master kind as a user allowed only PSYNC, REPLCONF and PING', async () => {
    for (const masterBin of [findRedisServer()!, SERVER_BIN]) {
      for (const replicaBin of [findRedisServer()!, SERVER_BIN]) {
        const master = await spawnServer(masterBin, ['--save', '']);
        const replica = await spawnServer(replicaBin, ['--save', '', '--repl-diskless-sync-delay', '0']);
        const admin = await RawClient.connect(master.port);
        const rc = await RawClient.connect(replica.port);
        try {
          await admin.callRaw('CONFIG SET repl-diskless-sync-delay 0');
          await admin.callRaw('ACL SETUSER repl on >replpw +psync +replconf +ping');
          await admin.callRaw('SET k from-master');
          await rc.callRaw('CONFIG SET masteruser repl');
          await rc.callRaw('CONFIG SET masterauth wrong');
          await rc.callRaw(`REPLICAOF 127.0.0.1 ${master.port}`);
          await replica.waitForOutput(/Unable to AUTH to MASTER: -WRONGPASS/);
          await rc.callRaw('CONFIG SET masterauth replpw');
          await waitReplicaCaughtUp(master.port, replica.port);
          assert.equal(await rc.callRaw('GET k'), '$11\r\nfrom-master\r\n');
          // The link runs as that user: what it may not run is refused, not applied.
          assert.equal(
            await admin.callRaw('ACL DRYRUN repl get k'),
            "$53\r\nThis user has no permissions to run the 'get' command\r\n",
          );
        } finally {
          admin.close();
          rc.close();
          await replica.stop();
          await master.stop();
        }
      }
    }
  });
});
