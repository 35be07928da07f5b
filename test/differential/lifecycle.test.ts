/**
 * tsredis-server as a process: start-up and shutdown logs in Redis's format and order, signals,
 * port clash, daemonize, pidfile, logfile, loglevel, dir, unix socket, --version/--help, and the
 * connection-level directives (protected-mode, requirepass, tcp-keepalive, rename-command).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RawClient } from '../support/raw-client.js';
import {
  DIST,
  freePort,
  SERVER_BIN,
  skipWithoutRedis,
  spawnServer,
  startRedis,
  startTsredis,
  startTsredisProcess,
  tempDir,
} from '../support/servers.js';
import { isAlive } from '../support/topology-support.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'config');

/**
 * Log text with pids, dates and signal-handler times masked; our extra lines dropped (the
 * accepted-but-ignored notice, the heap limit, and the reachability warning that takes the place of Redis's
 * overcommit WARNING).
 */
function normalizeLog(text: string): string[] {
  return text
    .split('\n')
    .filter(
      (l) =>
        l !== '' &&
        !l.includes('WARNING Memory overcommit') &&
        !l.includes('without effect in tsredis') &&
        !l.includes(' * Heap limit ') &&
        !l.includes('# WARNING: listening on loopback only') &&
        !l.includes('# WARNING: protected-mode is on'),
    )
    .map((l) =>
      l
        .replace(/^\d+:([A-Z]) \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} /, 'PID:$1 TIME ')
        .replace(/^\d+:signal-handler \(\d+\) /, 'PID:signal-handler (T) ')
        .replace(/pid=\d+/, 'pid=PID')
        .replace(/port=\d+/, 'port=PORT')
        .replace(/socket 127\.0\.0\.1:\d+/, 'socket 127.0.0.1:PORT')
        .replace(/port \d+ \(TCP\)/, 'port PORT (TCP)'),
    );
}

/** A golden log: the lines of its stdout section (or the whole file), without comment lines. */
function goldenLog(name: string): string[] {
  const text = readFileSync(join(FIXTURES, name), 'latin1');
  const body = text.includes('# --- stdout ---')
    ? text.split('# --- stdout ---\n')[1].split('# --- stderr ---')[0]
    : text;
  return normalizeLog(body.replace(/^\[.*\]$/gm, ''));
}

/** Exchanges of one section of the golden errors.txt: the exact bytes sent and received. */
function goldenExchanges(section: number): Array<{ sent: string; reply: string }> {
  const text = readFileSync(join(FIXTURES, 'errors.txt'), 'latin1');
  const start = text.indexOf(`\n## ${section}. `);
  const body = text.slice(start + 1, text.indexOf('\n## ', start + 1));
  const decode = (s: string) => JSON.parse(s.replace(/\\x([0-9a-f]{2})/g, '\\u00$1')) as string;
  const out: Array<{ sent: string; reply: string }> = [];
  let sent = '';
  for (const line of body.split('\n')) {
    const m = /^(sent|reply):\s+(".*")/.exec(line);
    if (m === null) continue;
    if (m[1] === 'sent') sent = decode(m[2]);
    else out.push({ sent, reply: decode(m[2]) });
  }
  return out;
}

async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('start-up and shutdown', () => {
  test('log lines and order match redis-server (golden log-start-stop-nologo), SIGTERM exits 0', async () => {
    const dir = tempDir();
    const srv = await spawnServer(SERVER_BIN, [
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ]);
    const code = await srv.stop('SIGTERM');
    assert.equal(code, 0);
    assert.deepEqual(normalizeLog(srv.output()), goldenLog('log-start-stop-nologo.txt'));
  });

  test('directives without effect are named once, after "Server initialized"', async () => {
    const srv = await startTsredisProcess([
      '--cluster-enabled',
      'no',
      '--tls-cluster',
      'no',
      '--cluster-enabled',
      'no',
    ]);
    assert.equal(await srv.stop(), 0);
    const out = srv.output();
    const lines = out.split('\n').filter((l) => l.includes('without effect'));
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      / \* Directives accepted for compatibility but without effect in tsredis: .*cluster-enabled, tls-cluster$/,
    );
    assert.ok(out.indexOf('Server initialized') < out.indexOf('without effect'));
    assert.ok(out.indexOf('without effect') < out.indexOf('Ready to accept connections'));
  });

  test('with always-show-logo: the banner carries port and pid (golden log-start-stop-logo)', async () => {
    const srv = await startTsredisProcess(['--always-show-logo', 'yes']);
    const pid = srv.proc.pid!;
    assert.equal(await srv.stop('SIGTERM'), 0);
    const out = srv.output();
    assert.match(out, new RegExp(`Port: ${srv.port}\\b`));
    assert.match(out, new RegExp(`PID: ${pid}\\b`));
    assert.match(out, /Running in standalone mode/);
    assert.doesNotMatch(out, /Running mode=standalone/);
    const logLines = normalizeLog(out).filter((l) => l.startsWith('PID:'));
    const golden = goldenLog('log-start-stop-logo.txt').filter((l) => l.startsWith('PID:'));
    assert.deepEqual(logLines, golden);
    // The banner sits between "monotonic clock" and "Server initialized", as Redis's logo does.
    assert.ok(out.indexOf('monotonic clock') < out.indexOf(`PID: ${pid}`));
    assert.ok(out.indexOf(`PID: ${pid}`) < out.indexOf('Server initialized'));
  });

  test('SIGINT shuts down cleanly too', async () => {
    const srv = await startTsredisProcess();
    assert.equal(await srv.stop('SIGINT'), 0);
    const lines = normalizeLog(srv.output());
    assert.deepEqual(lines.slice(-3), [
      'PID:signal-handler (T) Received SIGINT scheduling shutdown...',
      'PID:M TIME # User requested shutdown...',
      'PID:M TIME # Redis is now ready to exit, bye bye...',
    ]);
  });

  test('a port in use: the same lines as redis-server and exit code 1 (golden log-port-in-use)', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const dir = tempDir();
    try {
      const r = spawnSync(
        process.execPath,
        [
          SERVER_BIN,
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
        ],
        { encoding: 'latin1', timeout: 10000 },
      );
      assert.equal(r.status, 1);
      assert.equal(r.stderr, '');
      assert.deepEqual(normalizeLog(r.stdout), goldenLog('log-port-in-use.txt'));
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--version and --help: like redis-server, with our name', () => {
    const v = spawnSync(process.execPath, [SERVER_BIN, '--version'], { encoding: 'latin1' });
    assert.equal(v.status, 0);
    assert.match(v.stdout, /^Redis server v=7\.0\.15 sha=00000000:0 malloc=\S+ bits=64 build=\S+\n$/);
    assert.equal(spawnSync(process.execPath, [SERVER_BIN, '-v'], { encoding: 'latin1' }).stdout, v.stdout);
    const h = spawnSync(process.execPath, [SERVER_BIN, '--help'], { encoding: 'latin1' });
    assert.equal(h.status, 1);
    assert.equal(h.stdout, '');
    const golden = readFileSync(join(FIXTURES, 'redis-server--help.txt'), 'latin1').replaceAll(
      'redis-server',
      'tsredis-server',
    );
    const first = (s: string) => s.split('\n').slice(0, 4);
    assert.deepEqual(first(h.stderr), first(golden));
    const examples = (s: string) => s.slice(s.indexOf('Examples:')).split('\n\n')[0];
    assert.equal(examples(h.stderr), examples(golden));
    assert.equal(spawnSync(process.execPath, [SERVER_BIN, '-h'], { encoding: 'latin1' }).stderr, h.stderr);
  });

  test('--test-config: "Configuration OK" or the fatal error', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'good.conf'), 'port 7010\nmaxmemory 1gb\n');
      writeFileSync(join(dir, 'bad.conf'), 'port 7010\nmaxmemory 1zb\n');
      const ok = spawnSync(process.execPath, [SERVER_BIN, join(dir, 'good.conf'), '--test-config'], {
        encoding: 'latin1',
      });
      assert.equal(ok.status, 0);
      assert.equal(ok.stdout, 'Configuration OK\n');
      const bad = spawnSync(process.execPath, [SERVER_BIN, join(dir, 'bad.conf'), '--test-config'], {
        encoding: 'latin1',
      });
      assert.equal(bad.status, 1);
      assert.equal(
        bad.stderr,
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'maxmemory 1zb'\nargument must be a memory value\n",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('process directives', () => {
  const dirs: string[] = [];
  const dirFor = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('daemonize: returns once listening; pidfile holds the daemon pid; SIGTERM removes it', async () => {
    const dir = dirFor();
    const port = await freePort();
    const pidfile = join(dir, 'd.pid');
    const logfile = join(dir, 'd.log');
    const r = spawnSync(
      process.execPath,
      [
        SERVER_BIN,
        '--daemonize',
        'yes',
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--pidfile',
        pidfile,
        '--logfile',
        logfile,
        '--dir',
        dir,
      ],
      { encoding: 'latin1', timeout: 15000 },
    );
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, '');
    const c = await RawClient.connect(port);
    assert.equal(await c.callRaw('PING'), '+PONG\r\n');
    c.close();
    const pid = Number(readFileSync(pidfile, 'latin1'));
    assert.match(readFileSync(pidfile, 'latin1'), /^\d+\n$/);
    assert.ok(isAlive(pid));
    assert.notEqual(pid, r.pid);
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !isAlive(pid), 'the daemon to exit');
    assert.equal(existsSync(pidfile), false);
    const log = readFileSync(logfile, 'latin1');
    assert.match(log, new RegExp(`^${pid}:C .* # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo$`, 'm'));
    assert.match(log, /\* Removing the pid file\.\n.*# Redis is now ready to exit, bye bye\.\.\.\n$/);
  });

  test('daemonize: a failure to listen makes the launcher fail', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const dir = dirFor();
    try {
      const r = spawnSync(
        process.execPath,
        [
          SERVER_BIN,
          '--daemonize',
          'yes',
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--pidfile',
          join(dir, 'p'),
          '--logfile',
          join(dir, 'l'),
        ],
        { encoding: 'latin1', timeout: 15000 },
      );
      assert.equal(r.status, 1);
      assert.match(
        readFileSync(join(dir, 'l'), 'latin1'),
        /Failed listening on port \d+ \(TCP\), aborting\./,
      );
    } finally {
      blocker.close();
    }
  });

  test('pidfile written at start, removed at clean shutdown', async () => {
    const dir = dirFor();
    const pidfile = join(dir, 'x.pid');
    const srv = await startTsredisProcess(['--pidfile', pidfile]);
    assert.equal(readFileSync(pidfile, 'latin1'), `${srv.proc.pid}\n`);
    assert.equal(await srv.stop(), 0);
    assert.equal(existsSync(pidfile), false);
    assert.match(srv.output(), /\* Removing the pid file\./);
  });

  test('logfile: appended to, nothing on stdout; loglevel filters', async () => {
    const dir = dirFor();
    const logfile = join(dir, 'server.log');
    writeFileSync(logfile, 'previous content\n');
    const port = await freePort();
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--logfile',
      logfile,
      '--loglevel',
      'warning',
    ];
    const proc = spawn(process.execPath, [SERVER_BIN, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    proc.stderr.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      await waitFor(() => readFileSync(logfile, 'latin1').includes('Server initialized'), 'the log');
      const c = await RawClient.connect(port);
      assert.equal(await c.callRaw('PING'), '+PONG\r\n');
      assert.equal(await c.callRaw('CONFIG SET loglevel notice'), '+OK\r\n');
      c.close();
    } finally {
      proc.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.equal(stdout, '');
    const log = readFileSync(logfile, 'latin1');
    assert.ok(log.startsWith('previous content\n'));
    assert.doesNotMatch(log, / \* Ready to accept connections/);
    assert.match(log, / # Server initialized/);
    // After CONFIG SET loglevel notice, the notice lines of the shutdown appear.
    assert.match(log, / # User requested shutdown\.\.\.\n.* # Redis is now ready to exit/);
  });

  test('loglevel verbose logs idle clients being closed', async () => {
    const srv = await startTsredisProcess(['--loglevel', 'verbose', '--timeout', '1']);
    const c = await RawClient.connect(srv.port);
    await c.waitClosed(5000);
    assert.equal(await srv.stop(), 0);
    assert.match(srv.output(), / - Closing idle client/);
  });

  test('dir: the working directory, relative paths resolve inside it', async () => {
    const dir = dirFor();
    mkdirSync(join(dir, 'data'));
    const srv = await spawnServer(
      SERVER_BIN,
      ['--bind', '127.0.0.1', '--dir', 'data', '--pidfile', 'rel.pid'],
      { dir, cwd: dir },
    );
    const c = await RawClient.connect(srv.port);
    const reply = await c.callRaw('CONFIG GET dir');
    assert.ok(reply.endsWith(`${join(dir, 'data')}\r\n`), reply);
    c.close();
    assert.ok(existsSync(join(dir, 'data', 'rel.pid')));
    assert.equal(await srv.stop(), 0);
  });

  test('unixsocket and unixsocketperm: served, permissions applied, file removed at exit', async () => {
    const dir = dirFor();
    const path = join(dir, 'redis.sock');
    const srv = await startTsredisProcess(['--unixsocket', path, '--unixsocketperm', '700']);
    assert.equal(statSync(path).mode & 0o777, 0o700);
    const sock = connect(path);
    const reply = await new Promise<string>((resolve, reject) => {
      sock.once('error', reject);
      sock.once('data', (d) => resolve(d.toString('latin1')));
      sock.write('*1\r\n$4\r\nPING\r\n');
    });
    assert.equal(reply, '+PONG\r\n');
    sock.destroy();
    const out = srv.output();
    assert.ok(
      out.indexOf('Ready to accept connections') < out.indexOf(`ready to accept connections at ${path}`),
    );
    assert.equal(await srv.stop(), 0);
    assert.equal(existsSync(path), false);
    assert.match(srv.output(), /\* Removing the unix socket file\./);
  });

  test('seed document: daemonize yes with pidfile and slaveof loads and runs', async () => {
    const dir = dirFor();
    const port = await freePort();
    const conf = join(dir, 'redis-slave1.conf');
    // The tutorial's redis.conf with its three edits (last value wins), run in a temp dir.
    writeFileSync(
      conf,
      `${readFileSync(join(FIXTURES, 'redis.conf'), 'latin1')}\n${readFileSync(join(FIXTURES, 'seed-replica.conf'), 'latin1')}`,
    );
    const pidfile = join(dir, 'redis.pid');
    const args = [
      conf,
      '--port',
      String(port),
      '--dir',
      dir,
      '--logfile',
      join(dir, 'log'),
      '--pidfile',
      pidfile,
    ];
    const check = spawnSync(
      process.execPath,
      [SERVER_BIN, conf, '--dir', dir, '--logfile', '', '--test-config'],
      { encoding: 'latin1' },
    );
    assert.equal(check.stdout, 'Configuration OK\n', check.stderr);
    const r = spawnSync(process.execPath, [SERVER_BIN, ...args], { encoding: 'latin1', timeout: 15000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const pid = Number(readFileSync(pidfile, 'latin1'));
    const c = await RawClient.connect(port);
    assert.equal(await c.callRaw('CONFIG GET slaveof'), '*2\r\n$7\r\nslaveof\r\n$11\r\nmaster 6379\r\n');
    assert.equal(await c.callRaw('CONFIG GET daemonize'), '*2\r\n$9\r\ndaemonize\r\n$3\r\nyes\r\n');
    c.close();
    process.kill(pid, 'SIGTERM');
    await waitFor(() => !isAlive(pid), 'the daemon to exit');
    // The seed's `slaveof master 6379` is acted on: the replica looks for its master by that name.
    assert.match(readFileSync(join(dir, 'log'), 'latin1'), /Connecting to MASTER master:6379/);
  });
});

describe('connection-level directives', () => {
  test('protected-mode: a non-loopback peer gets DENIED and is disconnected (golden §26)', async () => {
    const [denied] = goldenExchanges(26);
    const srv = await startTsredis();
    try {
      const c = await RawClient.connect(srv.port, '127.0.0.1', '127.0.0.2');
      c.write(denied.sent);
      assert.equal((await c.read()).raw.toString('latin1'), denied.reply);
      await c.waitClosed();
      const local = await RawClient.connect(srv.port);
      assert.equal(await local.callRaw('CONFIG SET protected-mode no'), '+OK\r\n');
      const now = await RawClient.connect(srv.port, '127.0.0.1', '127.0.0.2');
      assert.equal(await now.callRaw('PING'), '+PONG\r\n');
      now.close();
      assert.equal(await local.callRaw('CONFIG SET protected-mode yes requirepass pw'), '+OK\r\n');
      const withPassword = await RawClient.connect(srv.port, '127.0.0.1', '127.0.0.2');
      assert.equal(await withPassword.callRaw('PING'), '-NOAUTH Authentication required.\r\n');
      withPassword.close();
      local.close();
    } finally {
      await srv.stop();
    }
  });

  test('requirepass: NOAUTH and WRONGPASS exactly as golden §22-24', async () => {
    const withPass = await startTsredisProcess(['--requirepass', 'secret']);
    const plain = await startTsredis();
    try {
      const c = await RawClient.connect(withPass.port);
      for (const { sent, reply } of [...goldenExchanges(22), ...goldenExchanges(23)]) {
        c.write(sent);
        assert.equal((await c.read()).raw.toString('latin1'), reply, JSON.stringify(sent));
      }
      c.close();
      const p = await RawClient.connect(plain.port);
      for (const { sent, reply } of goldenExchanges(24)) {
        p.write(sent);
        assert.equal((await p.read()).raw.toString('latin1'), reply);
      }
      p.close();
    } finally {
      await withPass.stop();
      await plain.stop();
    }
  });

  test('tcp-keepalive: the kernel keepalive timer runs on client sockets', async () => {
    const keepalive = (port: number, clientPort: number) => {
      const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
      for (const line of readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f[1]?.endsWith(`:${hex(port)}`) && f[2]?.endsWith(`:${hex(clientPort)}`))
          return f[5].split(':')[0];
      }
      return null;
    };
    const on = await startTsredis({ config: { 'tcp-keepalive': '60' } });
    const off = await startTsredis({ config: { 'tcp-keepalive': '0' } });
    try {
      const a = await RawClient.connect(on.port);
      const b = await RawClient.connect(off.port);
      await a.call('PING');
      await b.call('PING');
      assert.equal(keepalive(on.port, a.socket.localPort!), '02');
      assert.equal(keepalive(off.port, b.socket.localPort!), '00');
      a.close();
      b.close();
    } finally {
      await on.stop();
      await off.stop();
    }
  });

  test('rename-command: new name works, old one is unknown, "" removes (against redis-server)', {
    skip: skipWithoutRedis(),
  }, async () => {
    const args = ['--rename-command', 'get', 'myget', '--rename-command', 'FLUSHALL', ''];
    const redis = await startRedis(args);
    const ts = await startTsredisProcess(args);
    try {
      const r = await RawClient.connect(redis.port);
      const t = await RawClient.connect(ts.port);
      for (const cmd of [
        'SET k v',
        'MYGET k',
        'myget k',
        'GET k',
        'FLUSHALL',
        'flushall async',
        'COMMAND INFO get myget',
      ]) {
        const [a, b] = [await r.callRaw(cmd), await t.callRaw(cmd)];
        if (cmd.startsWith('COMMAND')) continue; // COMMAND belongs to the introspection family.
        assert.equal(b, a, cmd);
      }
      r.close();
      t.close();
    } finally {
      await redis.stop();
      await ts.stop();
    }
  });
});

describe('stock configuration files', () => {
  test('the Debian redis.conf loads unmodified and gives the same CONFIG GET * as redis-server', {
    skip: skipWithoutRedis(),
  }, async () => {
    const conf = join(FIXTURES, 'redis.conf');
    const overrides = (dir: string) => [
      '--daemonize',
      'no',
      '--dir',
      dir,
      '--logfile',
      '',
      '--pidfile',
      join(dir, 'p.pid'),
    ];
    const redisDir = tempDir();
    const tsDir = tempDir();
    const redis = await spawnServer('/usr/bin/redis-server', [conf, ...overrides(redisDir)], {
      dir: redisDir,
    });
    const ts = await spawnServer(SERVER_BIN, [conf, ...overrides(tsDir)], { dir: tsDir });
    try {
      const get = async (port: number) => {
        const c = await RawClient.connect(port);
        const reply = (await c.call('CONFIG GET *')).value as { value: Array<{ value: Buffer }> };
        c.close();
        const m = new Map<string, string>();
        for (let i = 0; i < reply.value.length; i += 2)
          m.set(reply.value[i].value.toString(), reply.value[i + 1].value.toString());
        for (const k of ['port', 'dir', 'pidfile']) m.delete(k);
        return m;
      };
      const [a, b] = [await get(redis.port), await get(ts.port)];
      assert.deepEqual(Object.fromEntries([...b].sort()), Object.fromEntries([...a].sort()));
      assert.equal(b.get('bind'), '127.0.0.1 -::1');
    } finally {
      await redis.stop();
      await ts.stop();
      rmSync(redisDir, { recursive: true, force: true });
      rmSync(tsDir, { recursive: true, force: true });
    }
  });

  test('--test-config on the Debian redis.conf', () => {
    const dir = tempDir();
    try {
      const r = spawnSync(
        process.execPath,
        [SERVER_BIN, join(FIXTURES, 'redis.conf'), '--dir', dir, '--logfile', '', '--test-config'],
        { encoding: 'latin1' },
      );
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'Configuration OK\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
