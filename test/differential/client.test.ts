/**
 * CLIENT: replies and errors against redis-server 7.0 (differential), CLIENT LIST/INFO fields
 * against the golden capture, KILL filters, REPLY modes, and PAUSE (postponed commands, expiry).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock, type RunningServer } from '../../src/index.js';
import { DiffPair } from '../support/diff.js';
import { RawClient, type Reply } from '../support/raw-client.js';
import { DIST, skipWithoutRedis, startTsredis } from '../support/servers.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'info');

/** Fields whose values depend on the connection, timing or buffer sizes. */
const VOLATILE = new Set([
  'id',
  'addr',
  'laddr',
  'fd',
  'age',
  'idle',
  'qbuf',
  'qbuf-free',
  'rbs',
  'rbp',
  'obl',
  'oll',
  'omem',
  'tot-mem',
]);

function text(r: Reply): string {
  const v = r.value;
  if (v.type === 'error') return `error ${v.value}`;
  if (v.type === 'bulk' || v.type === 'verbatim') return v.value.toString('latin1');
  if (v.type === 'integer' || v.type === 'simple') return String(v.value);
  return v.type;
}

/** CLIENT LIST/INFO text with the volatile values masked, line by line. */
function masked(r: Reply): string {
  return text(r)
    .split('\n')
    .map((line) =>
      line
        .split(' ')
        .map((f) => {
          const eq = f.indexOf('=');
          return eq > 0 && VOLATILE.has(f.slice(0, eq)) ? `${f.slice(0, eq)}=*` : f;
        })
        .join(' '),
    )
    .join('\n');
}

const sameMasked = (a: Reply, b: Reply) =>
  masked(a) === masked(b) && a.value.type === b.value.type ? null : `${masked(a)}\nvs\n${masked(b)}`;

function fields(line: string): Map<string, string> {
  return new Map(
    line
      .trim()
      .split(' ')
      .map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]),
  );
}

describe('CLIENT: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('argument errors and HELP', () =>
    pair.run([
      'CLIENT',
      'CLIENT NOSUCH',
      'CLIENT ID x',
      'CLIENT SETNAME',
      'CLIENT SETNAME a b',
      ['CLIENT', 'SETNAME', 'a b'],
      ['CLIENT', 'SETNAME', 'a\nb'],
      ['CLIENT', 'SETNAME', 'caf\xe9'],
      'CLIENT GETNAME x',
      'CLIENT LIST TYPE',
      'CLIENT LIST TYPE foo',
      'CLIENT LIST ID',
      'CLIENT LIST ID abc',
      'CLIENT LIST ID 1 abc',
      'CLIENT LIST ID 999999',
      'CLIENT LIST foo',
      'CLIENT LIST TYPE normal ID 3',
      'CLIENT INFO x',
      'CLIENT KILL',
      'CLIENT KILL 1.2.3.4:5',
      'CLIENT KILL ID',
      'CLIENT KILL ID abc',
      'CLIENT KILL ID 0',
      'CLIENT KILL ID -3',
      'CLIENT KILL ID 999999',
      'CLIENT KILL ID 5 SKIPME',
      'CLIENT KILL TYPE foo',
      'CLIENT KILL TYPE master',
      'CLIENT KILL TYPE replica',
      'CLIENT KILL TYPE slave',
      'CLIENT KILL TYPE pubsub',
      'CLIENT KILL SKIPME maybe',
      'CLIENT KILL MAXAGE 10',
      'CLIENT KILL foo bar',
      'CLIENT KILL USER nobody',
      'CLIENT KILL ADDR 1.2.3.4:5',
      'CLIENT KILL LADDR 1.2.3.4:5 SKIPME no',
      'CLIENT PAUSE',
      'CLIENT PAUSE abc',
      'CLIENT PAUSE -1',
      'CLIENT PAUSE 10.5',
      'CLIENT PAUSE 10 foo',
      'CLIENT PAUSE abc foo',
      'CLIENT PAUSE 10 write extra',
      'CLIENT PAUSE 9223372036854775807',
      'CLIENT UNPAUSE x',
      'CLIENT REPLY',
      'CLIENT REPLY foo',
      'CLIENT NO-EVICT',
      'CLIENT NO-EVICT maybe',
      'CLIENT NO-EVICT on',
      'CLIENT NO-EVICT OFF',
      'CLIENT GETREDIR',
      'CLIENT TRACKINGINFO',
      'CLIENT HELP',
      'client help',
      'CLIENT HELP x',
      { cmd: 'HELLO 3', compare: 'type' },
      'CLIENT TRACKINGINFO',
      'CLIENT GETNAME',
    ]));

  test('names, ids and the current client', () =>
    pair.run([
      'CLIENT GETNAME',
      'CLIENT SETNAME myname',
      'CLIENT GETNAME',
      'CLIENT SETNAME ""',
      'CLIENT GETNAME',
      { cmd: 'CLIENT ID', compare: 'type' },
      { cmd: 'HELLO 2 SETNAME other', compare: 'type' },
      'CLIENT GETNAME',
      { cmd: 'CLIENT INFO', compare: sameMasked },
      'SELECT 5',
      'MULTI',
      'PING',
      'PING',
      { cmd: 'CLIENT INFO', compare: 'type' },
      { cmd: 'EXEC', compare: 'ignore' },
      { cmd: 'CLIENT INFO', compare: sameMasked },
      'NOSUCHCOMMAND',
      { cmd: 'CLIENT LIST ID 1', compare: 'type' },
      'CLIENT NOSUCH',
      'CLIENT GETNAME',
      { cmd: 'CLIENT INFO', compare: sameMasked },
      'RESET',
      { cmd: 'HELLO 3', compare: 'type' },
      { cmd: 'CLIENT INFO', compare: sameMasked },
      'SUBSCRIBE a',
      'PSUBSCRIBE c*',
      { cmd: 'CLIENT INFO', compare: sameMasked },
      'UNSUBSCRIBE a',
      'PUNSUBSCRIBE c*',
      { cmd: 'CLIENT INFO', compare: sameMasked },
      { cmd: 'CLIENT LIST TYPE master', compare: sameMasked },
      { cmd: 'CLIENT LIST TYPE replica', compare: sameMasked },
    ]));

  test('RESET clears what Redis clears (MONITOR, db, RESP, name, READONLY, reply mode) and keeps NO-EVICT', () =>
    pair.run([
      'CLIENT NO-EVICT ON',
      'READONLY',
      'SELECT 3',
      'CLIENT SETNAME n',
      { cmd: 'CLIENT INFO', compare: sameMasked },
      'MONITOR',
      'RESET',
      { cmd: 'CLIENT INFO', compare: sameMasked },
      // Not a monitor any more: another client's write reaches nobody, the next reply is PING's.
      { cmd: 'SET after-reset 1', conn: 2 },
      'PING',
      { cmd: 'CLIENT REPLY OFF', noWait: true },
      'RESET',
      'PING',
    ]));

  test('CLIENT REPLY OFF / SKIP / ON', () =>
    pair.run([
      { cmd: 'CLIENT REPLY SKIP', noWait: true },
      { cmd: 'SET a 1', noWait: true },
      'GET a',
      { cmd: 'CLIENT REPLY OFF', noWait: true },
      { cmd: 'SET a 2', noWait: true },
      { cmd: 'GET a', noWait: true },
      { cmd: 'NOSUCHCOMMAND', noWait: true },
      { cmd: 'CLIENT REPLY SKIP', noWait: true },
      { cmd: 'GET a', noWait: true },
      'CLIENT REPLY ON',
      'GET a',
      { cmd: 'CLIENT REPLY SKIP', noWait: true },
      { cmd: 'GET', noWait: true },
      'GET a',
      { cmd: 'CLIENT REPLY OFF', noWait: true },
      'CLIENT REPLY ON',
      'PING',
      // ON right after SKIP: the skip is cleared before ON replies, so its +OK arrives.
      { cmd: 'CLIENT REPLY SKIP', noWait: true },
      'CLIENT REPLY ON',
      'GET a',
    ]));

  test('CLIENT KILL by address, id and type; old form kills itself', async () => {
    for (const port of [pair.redis.port, pair.ts.port]) {
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      const bInfo = fields(text(await b.call('CLIENT INFO')));
      assert.equal((await a.call(['CLIENT', 'KILL', bInfo.get('addr')!])).raw.toString(), '+OK\r\n');
      await b.waitClosed();
      const c = await RawClient.connect(port);
      const cId = text(await c.call('CLIENT ID'));
      assert.equal((await a.call(['CLIENT', 'KILL', 'ID', cId.trim()])).raw.toString(), ':1\r\n');
      await c.waitClosed();
      const d = await RawClient.connect(port);
      const dInfo = fields(text(await d.call('CLIENT INFO')));
      assert.equal(
        (
          await a.call(['CLIENT', 'KILL', 'LADDR', dInfo.get('laddr')!, 'ID', dInfo.get('id')!])
        ).raw.toString(),
        ':1\r\n',
      );
      await d.waitClosed();
      // SKIPME yes by default: the calling client survives a kill by its own address.
      const aInfo = fields(text(await a.call('CLIENT INFO')));
      assert.equal((await a.call(['CLIENT', 'KILL', 'ADDR', aInfo.get('addr')!])).raw.toString(), ':0\r\n');
      assert.equal(
        (await a.call(['CLIENT', 'KILL', 'ADDR', aInfo.get('addr')!, 'SKIPME', 'no'])).raw.toString(),
        ':1\r\n',
      );
      await a.waitClosed();
      const e = await RawClient.connect(port);
      const eInfo = fields(text(await e.call('CLIENT INFO')));
      assert.equal((await e.call(['CLIENT', 'KILL', eInfo.get('addr')!])).raw.toString(), '+OK\r\n');
      await e.waitClosed();
      const f = await RawClient.connect(port);
      await f.call('SUBSCRIBE x');
      const g = await RawClient.connect(port);
      assert.equal((await g.call('CLIENT KILL TYPE pubsub')).raw.toString(), ':1\r\n');
      await f.waitClosed();
      assert.equal((await g.call('CLIENT KILL USER default')).raw.toString(), ':0\r\n');
      assert.equal((await g.call('CLIENT KILL USER default SKIPME no')).raw.toString(), ':1\r\n');
      await g.waitClosed();
    }
  });
});

describe('CLIENT LIST and CLIENT INFO', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startTsredis();
  });
  after(() => srv.stop());

  test("the fields and their order are Redis 7.0's", async () => {
    const golden = readFileSync(join(FIXTURES, 'master-2replicas.client-list.txt'), 'latin1')
      .trim()
      .split('\n');
    const names = (line: string) => [...fields(line).keys()].join(' ');
    const c = await RawClient.connect(srv.port);
    const list = text(await c.call('CLIENT LIST'));
    assert.ok(list.endsWith('\n'));
    assert.equal(names(list), names(golden[2]));
    assert.equal(names(text(await c.call('CLIENT INFO'))), names(golden[2]));
    c.close();
  });

  test('values describe each connection', async () => {
    const a = await RawClient.connect(srv.port);
    const b = await RawClient.connect(srv.port);
    await b.call('CLIENT SETNAME bee');
    await b.call('SELECT 3');
    await b.call('MULTI');
    await b.call('PING');
    const lines = text(await a.call('CLIENT LIST'))
      .trim()
      .split('\n')
      .map(fields);
    const [fa, fb] = lines.slice(-2);
    assert.equal(fa.get('id'), text(await a.call('CLIENT ID')));
    assert.equal(fa.get('addr'), `127.0.0.1:${a.socket.localPort}`);
    assert.equal(fa.get('laddr'), `127.0.0.1:${srv.port}`);
    assert.equal(fa.get('cmd'), 'client|list');
    assert.equal(fa.get('qbuf'), '26');
    assert.equal(fa.get('argv-mem'), '10');
    assert.equal(fa.get('flags'), 'N');
    assert.equal(fb.get('name'), 'bee');
    assert.equal(fb.get('db'), '3');
    assert.equal(fb.get('flags'), 'x');
    assert.equal(fb.get('multi'), '1');
    assert.equal(fb.get('cmd'), 'ping');
    assert.ok(Number(fb.get('multi-mem')) > 0);
    assert.equal(fb.get('argv-mem'), '0');
    const only = text(await a.call(['CLIENT', 'LIST', 'ID', fb.get('id')!, fa.get('id')!]))
      .trim()
      .split('\n');
    assert.deepEqual(
      only.map((l) => fields(l).get('id')),
      [fb.get('id'), fa.get('id')],
    );
    a.close();
    b.close();
  });

  test('MONITOR clients show flag O and count as normal clients', async () => {
    const m = await RawClient.connect(srv.port);
    assert.equal((await m.call('MONITOR')).raw.toString(), '+OK\r\n');
    const a = await RawClient.connect(srv.port);
    const normal = text(await a.call('CLIENT LIST TYPE normal'))
      .trim()
      .split('\n')
      .map(fields);
    assert.ok(normal.some((f) => f.get('flags') === 'O'));
    m.close();
    a.close();
  });
});

describe('CLIENT PAUSE', () => {
  let srv: RunningServer;
  const clock = new ManualClock();
  before(async () => {
    srv = await startTsredis({ clock });
  });
  after(() => srv.stop());

  test('WRITE holds writes (and MULTI queueing of writes), not reads; they run in order on UNPAUSE', async () => {
    const admin = await RawClient.connect(srv.port);
    const a = await RawClient.connect(srv.port);
    const b = await RawClient.connect(srv.port);
    assert.equal((await admin.call('CLIENT PAUSE 100000 WRITE')).raw.toString(), '+OK\r\n');
    assert.equal((await a.call('GET k')).raw.toString(), '$-1\r\n');
    a.send('SET k a');
    await b.call('MULTI');
    b.send('SET k b');
    b.send('EXEC');
    a.send('GET k');
    // Nothing comes back while paused: a PING on another connection proves the server is serving.
    assert.equal((await admin.call('PING')).raw.toString(), '+PONG\r\n');
    await assert.rejects(a.read(100), /timeout/);
    assert.equal((await admin.call('CLIENT UNPAUSE')).raw.toString(), '+OK\r\n');
    assert.equal((await a.read()).raw.toString(), '+OK\r\n');
    assert.equal((await a.read()).raw.toString(), '$1\r\na\r\n');
    assert.equal((await b.read()).raw.toString(), '+QUEUED\r\n');
    assert.equal((await b.read()).raw.toString(), '*1\r\n+OK\r\n');
    assert.equal((await a.call('GET k')).raw.toString(), '$1\r\nb\r\n');
    for (const c of [admin, a, b]) c.close();
  });

  test('ALL holds every command, even of the pausing client, until the timeout', async () => {
    const a = await RawClient.connect(srv.port);
    const b = await RawClient.connect(srv.port);
    const started = Date.now();
    assert.equal((await a.call('CLIENT PAUSE 200 ALL')).raw.toString(), '+OK\r\n');
    b.send('PING');
    a.send('CLIENT UNPAUSE');
    assert.equal((await b.read()).raw.toString(), '+PONG\r\n');
    assert.ok(Date.now() - started >= 190, 'PING waited for the pause to end');
    assert.equal((await a.read()).raw.toString(), '+OK\r\n');
    a.close();
    b.close();
  });

  test('keys do not expire while clients are paused', async () => {
    const a = await RawClient.connect(srv.port);
    await a.call('SELECT 9');
    await a.call('SET v x PX 100');
    await a.call('CONFIG RESETSTAT');
    await a.call('CLIENT PAUSE 100000 WRITE');
    clock.advance(1000);
    assert.equal((await a.call('GET v')).raw.toString(), '$-1\r\n');
    assert.equal((await a.call('DBSIZE')).raw.toString(), ':1\r\n');
    const stats = text(await a.call('INFO stats'));
    assert.match(stats, /expired_keys:0\r\n/);
    await a.call('CLIENT UNPAUSE');
    assert.equal((await a.call('GET v')).raw.toString(), '$-1\r\n');
    assert.equal((await a.call('DBSIZE')).raw.toString(), ':0\r\n');
    assert.match(text(await a.call('INFO stats')), /expired_keys:1\r\n/);
    a.close();
  });
});

describe('unix socket clients', () => {
  test('CLIENT INFO shows the socket path and flag U; MONITOR shows unix:<path>', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { connect } = await import('node:net');
    const { RespReader } = await import('../../src/protocol/resp-reader.js');
    const dir = mkdtempSync(join(tmpdir(), 'tsredis-unix-'));
    const path = join(dir, 'redis.sock');
    const srv = await startTsredis({ config: { unixsocket: path } });
    const open = () =>
      new Promise<{ send: (cmd: string) => void; next: () => Promise<string> }>((resolve) => {
        const socket = connect({ path }, () => {
          const reader = new RespReader();
          const waiting: Array<(s: string) => void> = [];
          const ready: string[] = [];
          socket.on('data', (chunk) => {
            reader.append(chunk);
            for (let r = reader.nextWithRaw(); r !== undefined; r = reader.nextWithRaw()) {
              const raw = r.raw.toString('latin1');
              const w = waiting.shift();
              if (w !== undefined) w(raw);
              else ready.push(raw);
            }
          });
          resolve({
            send: (cmd) => socket.write(`${cmd}\r\n`),
            next: () =>
              new Promise<string>((res) => {
                const r = ready.shift();
                if (r !== undefined) res(r);
                else waiting.push(res);
              }),
          });
        });
      });
    try {
      const monitor = await open();
      monitor.send('MONITOR');
      assert.equal(await monitor.next(), '+OK\r\n');
      const c = await open();
      c.send('CLIENT INFO');
      const info = fields(await c.next());
      assert.equal(info.get('addr'), `${path}:0`);
      assert.equal(info.get('laddr'), `${path}:0`);
      assert.equal(info.get('flags'), 'U');
      c.send('SET a b');
      assert.equal(await c.next(), '+OK\r\n');
      const feed = `${await monitor.next()}${await monitor.next()}`;
      assert.match(feed, new RegExp(`^\\+\\d+\\.\\d{6} \\[0 unix:${path}\\] "CLIENT" "INFO"\\r\\n\\+`));
      assert.match(feed, new RegExp(`\\[0 unix:${path}\\] "SET" "a" "b"\\r\\n$`));
    } finally {
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
