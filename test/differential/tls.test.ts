/**
 * TLS, side by side with redis-server 7.0.15: certificates made in the test (a CA, a server and a
 * client certificate, and a stranger's CA), the TLS port alone or beside the plain one, client
 * authentication yes/optional/no, tls-protocols, certificates reloaded by CONFIG SET, start-up
 * errors, redis-cli --tls, ioredis and node-redis, and replication over TLS in both directions.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createCa, createCertificate } from '../../src/topology/certificates.js';
import { cmd, waitReplicaCaughtUp } from '../support/replication.js';
import {
  CLI_BIN,
  findRedisServer,
  findTool,
  freePort,
  SERVER_BIN,
  skipWithoutRedis,
  spawnServer,
  tempDir,
} from '../support/servers.js';

const dir = tempDir('tsredis-tls-');
const file = (n: string) => join(dir, n);

before(() => {
  const ca = createCa();
  const server = createCertificate(ca, { commonName: 'server-1', altNames: ['127.0.0.1', 'localhost'] });
  const client = createCertificate(ca, { commonName: 'client' });
  const stranger = createCertificate(createCa('another CA'), { commonName: 'stranger' });
  const renewed = createCertificate(ca, { commonName: 'server-2', altNames: ['127.0.0.1'] });
  writeFileSync(file('ca.crt'), ca.cert);
  for (const [name, pair] of Object.entries({ server, client, stranger, renewed })) {
    writeFileSync(file(`${name}.crt`), pair.cert);
    writeFileSync(file(`${name}.key`), pair.key);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

const SERVER_TLS = () => [
  '--tls-cert-file',
  file('server.crt'),
  '--tls-key-file',
  file('server.key'),
  '--tls-ca-cert-file',
  file('ca.crt'),
];

function bins(): Array<[string, string]> {
  return [
    ['redis', findRedisServer()!],
    ['tsredis', SERVER_BIN],
  ];
}

/** A TLS connection's outcome: the reply to PING and the server certificate's CN, or the error. */
async function tlsPing(port: number, options: ConnectionOptions): Promise<string> {
  const socket = tlsConnect({ host: '127.0.0.1', port, checkServerIdentity: () => undefined, ...options });
  try {
    await once(socket, 'secureConnect');
    socket.write('PING\r\n');
    const [data] = (await Promise.race([once(socket, 'data'), once(socket, 'close')])) as [Buffer | boolean];
    if (!Buffer.isBuffer(data)) return 'closed';
    return `${data.toString('latin1').trim()} ${socket.getPeerCertificate().subject.CN}`;
  } catch (e) {
    return `error ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  } finally {
    socket.destroy();
  }
}

const trusted = (): ConnectionOptions => ({
  ca: [readText('ca.crt')],
  cert: readText('client.crt'),
  key: readText('client.key'),
});

function readText(name: string): string {
  return readFileSync(file(name), 'latin1');
}

/** A server with a TLS port (and its plain port unless tlsOnly), as redis-server or tsredis-server. */
async function startTls(bin: string, extra: string[] = [], tlsOnly = false) {
  const tlsPort = await freePort();
  const args = ['--tls-port', String(tlsPort), ...SERVER_TLS(), '--save', '', ...extra];
  const srv = await spawnServer(bin, tlsOnly ? ['--port', '0', ...args] : args);
  return { srv, tlsPort };
}

/** redis-cli comes with redis-tools (CI installs it): without it the CLI comparisons skip, visibly. */
const NO_CLI = findTool('redis-cli') === null ? 'redis-cli not installed: skipped' : false;
if (NO_CLI) process.stderr.write(`# SKIP ${NO_CLI}\n`);

describe('TLS, differential', { skip: skipWithoutRedis() }, () => {
  test('the TLS port alone (port 0): trusted clients only, with tls-auth-clients yes, optional, no', async () => {
    const outcomes: Record<string, string[]> = {};
    for (const [engine, bin] of bins()) {
      const out: string[] = [];
      for (const auth of ['yes', 'optional', 'no']) {
        const { srv, tlsPort } = await startTls(bin, ['--tls-auth-clients', auth], true);
        try {
          out.push(`${auth} trusted: ${await tlsPing(tlsPort, trusted())}`);
          out.push(`${auth} no cert: ${await tlsPing(tlsPort, { ca: [readText('ca.crt')] })}`);
          out.push(
            `${auth} stranger: ${await tlsPing(tlsPort, {
              ca: [readText('ca.crt')],
              cert: readText('stranger.crt'),
              key: readText('stranger.key'),
            })}`,
          );
          out.push(
            `${auth} server not trusted: ${await tlsPing(tlsPort, { ...trusted(), ca: [readText('stranger.crt')] })}`,
          );
        } finally {
          await srv.stop();
        }
      }
      outcomes[engine] = out;
    }
    // A refused client sees the handshake fail or the connection close, depending on TLS 1.3 timing.
    const shape = (lines: string[]) => lines.map((l) => l.replace(/error \S+|closed/, 'refused'));
    assert.deepEqual(shape(outcomes.tsredis), shape(outcomes.redis));
    assert.match(outcomes.tsredis[0], /^yes trusted: \+PONG server-1$/);
    assert.match(outcomes.tsredis[1], /^yes no cert: refused|error|closed/);
  });

  test('redis-cli --tls, ioredis and node-redis', { skip: NO_CLI }, async () => {
    const cli = findTool('redis-cli')!;
    for (const [, bin] of bins()) {
      const { srv, tlsPort } = await startTls(bin);
      try {
        {
          const r = spawnSync(
            cli,
            [
              '-p',
              String(tlsPort),
              '--tls',
              '--cacert',
              file('ca.crt'),
              '--cert',
              file('client.crt'),
              '--key',
              file('client.key'),
              'SET',
              'k',
              'v',
            ],
            { encoding: 'latin1' },
          );
          assert.equal(r.stdout, 'OK\n', r.stderr);
        }
        const io = new Redis({
          host: '127.0.0.1',
          port: tlsPort,
          tls: { ...trusted(), checkServerIdentity: () => undefined },
          lazyConnect: true,
          maxRetriesPerRequest: 0,
        });
        await io.connect();
        assert.equal(await io.get('k'), 'v');
        await io.quit();
        const nr = createClient({
          socket: {
            host: '127.0.0.1',
            port: tlsPort,
            tls: true,
            ...trusted(),
            checkServerIdentity: () => undefined,
            reconnectStrategy: false,
          },
        });
        await nr.connect();
        assert.equal(await nr.get('k'), 'v');
        await nr.quit();
      } finally {
        await srv.stop();
      }
    }
  });

  test('plain bytes and a broken handshake on the TLS port: that connection goes, the server keeps serving', async () => {
    for (const [, bin] of bins()) {
      const { srv, tlsPort } = await startTls(bin);
      try {
        const plain = netConnect(tlsPort, '127.0.0.1');
        // The server resets or closes it: either way the 'close' comes (an 'error' may come first).
        const closed = new Promise((resolve) => plain.on('close', resolve));
        plain.on('error', () => {});
        plain.write('PING\r\n*1\r\n$4\r\nPING\r\n\x16\x03\x01\xff\xff garbage');
        await closed;
        assert.match(await tlsPing(tlsPort, trusted()), /^\+PONG server-1$/);
        assert.equal(await cmd(srv.port, 'PING'), 'PONG');
      } finally {
        await srv.stop();
      }
    }
  });

  test('tsredis-cli --tls answers as redis-cli does: trusted, no client certificate, unknown CA, --insecure', {
    skip: NO_CLI,
  }, async () => {
    const cli = findTool('redis-cli')!;
    const { srv, tlsPort } = await startTls(SERVER_BIN);
    try {
      const cases = [
        ['--cacert', file('ca.crt'), '--cert', file('client.crt'), '--key', file('client.key')],
        ['--cacert', file('ca.crt')],
        ['--cert', file('client.crt'), '--key', file('client.key')],
        ['--insecure', '--cert', file('client.crt'), '--key', file('client.key')],
      ];
      for (const c of cases) {
        const args = ['-p', String(tlsPort), '--tls', ...c, 'PING'];
        const theirs: SpawnSyncReturns<string> = spawnSync(cli, args, { encoding: 'latin1' });
        const ours: SpawnSyncReturns<string> = spawnSync(process.execPath, [CLI_BIN, ...args], {
          encoding: 'latin1',
        });
        assert.equal(ours.stdout + ours.stderr, theirs.stdout + theirs.stderr, c.join(' '));
      }
    } finally {
      await srv.stop();
    }
  });

  test('tls-protocols TLSv1.3: a TLS 1.2 client is refused by both', async () => {
    for (const [, bin] of bins()) {
      const { srv, tlsPort } = await startTls(bin, ['--tls-protocols', 'TLSv1.3']);
      try {
        assert.match(await tlsPing(tlsPort, trusted()), /^\+PONG/);
        assert.match(await tlsPing(tlsPort, { ...trusted(), maxVersion: 'TLSv1.2' }), /^(error|closed)/);
      } finally {
        await srv.stop();
      }
    }
  });

  test('CONFIG SET reloads certificates (the same path too); a bad file is refused, the old context kept', async () => {
    const replies: Record<string, string[]> = {};
    for (const [engine, bin] of bins()) {
      const certPath = join(dir, `live-${engine}.crt`);
      const keyPath = join(dir, `live-${engine}.key`);
      writeFileSync(certPath, readText('server.crt'));
      writeFileSync(keyPath, readText('server.key'));
      const { srv, tlsPort } = await startTls(bin, ['--tls-cert-file', certPath, '--tls-key-file', keyPath]);
      const out: string[] = [];
      try {
        out.push(await tlsPing(tlsPort, trusted()));
        writeFileSync(certPath, readText('renewed.crt'));
        writeFileSync(keyPath, readText('renewed.key'));
        out.push(await cmd(srv.port, 'CONFIG', 'SET', 'tls-cert-file', certPath, 'tls-key-file', keyPath));
        out.push(await tlsPing(tlsPort, trusted()));
        out.push(await cmd(srv.port, 'CONFIG', 'SET', 'tls-cert-file', join(dir, 'missing.crt')));
        out.push(await cmd(srv.port, 'CONFIG', 'GET', 'tls-cert-file'));
        out.push(await tlsPing(tlsPort, trusted()));
        const moved = await freePort();
        out.push(await cmd(srv.port, 'CONFIG', 'SET', 'tls-port', String(moved)));
        out.push((await tlsPing(moved, trusted())).replace(String(moved), 'PORT'));
      } finally {
        await srv.stop();
      }
      replies[engine] = out.map((l) => l.replace(/live-\w+\.crt/, 'live.crt'));
    }
    assert.deepEqual(replies.tsredis, replies.redis);
    assert.match(replies.tsredis[2], /server-2$/);
  });

  test('start-up without a usable certificate stops both servers', async () => {
    for (const [, bin] of bins()) {
      const tlsPort = await freePort();
      await assert.rejects(
        spawnServer(bin, [
          '--tls-port',
          String(tlsPort),
          '--tls-cert-file',
          join(dir, 'missing.crt'),
          '--tls-key-file',
          file('server.key'),
          '--tls-ca-cert-file',
          file('ca.crt'),
        ]),
        /Failed to configure TLS. Check logs for more info./,
      );
    }
  });

  test('replication over TLS: each replica kind with each master kind', async () => {
    for (const [masterEngine, masterBin] of bins()) {
      for (const [replicaEngine, replicaBin] of bins()) {
        const { srv: master, tlsPort } = await startTls(masterBin);
        const replica = await spawnServer(replicaBin, [
          ...SERVER_TLS(),
          '--tls-replication',
          'yes',
          '--replicaof',
          '127.0.0.1',
          String(tlsPort),
          '--save',
          '',
          '--repl-diskless-sync-delay',
          '0',
        ]);
        try {
          await cmd(master.port, 'CONFIG', 'SET', 'repl-diskless-sync-delay', '0');
          await cmd(master.port, 'SET', 'over', `${masterEngine}->${replicaEngine}`);
          await waitReplicaCaughtUp(master.port, replica.port);
          assert.equal(await cmd(replica.port, 'GET', 'over'), `${masterEngine}->${replicaEngine}`);
        } finally {
          await replica.stop();
          await master.stop();
        }
      }
    }
  });
});
