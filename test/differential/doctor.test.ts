/**
 * `tsredis doctor` against deliberately broken topologies: each misconfiguration it lists is built
 * for real (processes on loopback; "another host" is the loopback alias 127.0.0.2) and must be found
 * and explained with its fix. Some nodes are real redis-server, as doctor must work with those too.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RawClient } from '../support/raw-client.js';
import { cmd, type Engine, info, startNode, waitInSync } from '../support/replication.js';
import { freePort, type ProcessServer, skipWithoutRedis } from '../support/servers.js';
import { TcpProxy, waitFor } from '../support/tcp-proxy.js';
import { Folders, freePortRange, hasStackTrace, tsredis } from '../support/topology-support.js';

interface Finding {
  id: string;
  level: string;
  node: string;
  title: string;
  explanation: string;
  fix: string;
}

const nodes: ProcessServer[] = [];
const proxies: TcpProxy[] = [];
const folders = new Folders();
after(async () => {
  for (const p of proxies) await p.close();
  await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
  await folders.cleanup();
});

async function node(engine: Engine, args: string[] = [], port?: number): Promise<ProcessServer> {
  const n = await startNode(engine, port === undefined ? args : ['--port', String(port), ...args]);
  if (port !== undefined) n.port = port;
  nodes.push(n);
  return n;
}

async function doctor(args: string[]): Promise<{ code: number; findings: Finding[]; text: string }> {
  const r = await tsredis(['doctor', '--json', ...args]);
  assert.equal(hasStackTrace(r.stderr), false, r.stderr);
  const report = JSON.parse(r.stdout) as { findings: Finding[] };
  return { code: r.code, findings: report.findings, text: r.stdout };
}

const at = (n: ProcessServer, host = '127.0.0.1') => `${host}:${n.port}`;

test("the seed's pitfall: the master bound to one address, replicas connecting to another", async () => {
  // "Another host" is 127.0.0.2: the master listens there only, the replicas dial 127.0.0.1.
  const port = await freePort();
  const master = await node('tsredis', ['--bind', '127.0.0.2'], port);
  const r1 = await node('tsredis', ['--replicaof', '127.0.0.1', String(port)]);
  const r2 = await node('tsredis', ['--replicaof', '127.0.0.1', String(port)]);
  await waitFor('replicas trying', async () =>
    (await info(r1.port)).get('master_link_down_reason')?.includes('refused'),
  );
  const d = await doctor([at(master, '127.0.0.2'), at(r1), at(r2), '--sample', '0']);
  assert.equal(d.code, 1);
  const bind = d.findings.filter((f) => f.id === 'bind');
  assert.deepEqual(bind.map((f) => f.node).sort(), [at(r1), at(r2)].sort());
  assert.match(bind[0].title, /listens only on 127\.0\.0\.2 \(the 'bind 127\.0\.0\.1' pitfall\)/);
  assert.match(bind[0].explanation, /connected_slaves stays 0/);
  assert.match(bind[0].fix, /set 'bind 0\.0\.0\.0' \(or add 127\.0\.0\.1 to its bind line\)/);
  // The text report says the same in plain words.
  const text = await tsredis(['doctor', at(master, '127.0.0.2'), at(r1), '--sample', '0']);
  assert.match(text.stdout, /✗ PROBLEM \[127\.0\.0\.1:\d+\] cannot reach its master/);
  assert.match(text.stdout, /Fix: In 127\.0\.0\.2:\d+'s config file set 'bind 0\.0\.0\.0'/);
});

test("the seed's pitfall on real redis-server: the master bound to 127.0.0.2, replicas dialing 127.0.0.1", {
  skip: skipWithoutRedis(),
}, async () => {
  const port = await freePort();
  const master = await node('redis', ['--bind', '127.0.0.2'], port);
  const r1 = await node('redis', ['--replicaof', '127.0.0.1', String(port)]);
  const r2 = await node('redis', ['--replicaof', '127.0.0.1', String(port)]);
  // redis-server logs each refused attempt (it has no master_link_down_reason).
  for (const r of [r1, r2]) {
    await r.waitForOutput(/Connection refused/);
  }
  assert.equal((await info(r1.port)).get('master_link_status'), 'down');
  const d = await doctor([at(master, '127.0.0.2'), at(r1), at(r2), '--sample', '0']);
  assert.equal(d.code, 1);
  const bind = d.findings.filter((f) => f.id === 'bind');
  assert.deepEqual(bind.map((f) => f.node).sort(), [at(r1), at(r2)].sort(), JSON.stringify(d.findings));
  assert.match(bind[0].title, /listens only on 127\.0\.0\.2 \(the 'bind 127\.0\.0\.1' pitfall\)/);
  assert.match(bind[0].fix, /set 'bind 0\.0\.0\.0' \(or add 127\.0\.0\.1 to its bind line\)/);
  assert.match(d.text, /"engine": "redis 7\./);
});

test('master unreachable from a real redis-server replica', { skip: skipWithoutRedis() }, async () => {
  // Both ports from one reserved range: a fresh ephemeral port for the replica could be `closed` itself.
  const closed = await freePortRange(2);
  const replica = await node('redis', ['--replicaof', '127.0.0.1', String(closed)], closed + 1);
  await replica.waitForOutput(/Connection refused/);
  const d = await doctor([at(replica), '--sample', '0']);
  assert.equal(d.code, 1);
  const f = d.findings.find((x) => x.id === 'master-unreachable');
  assert.equal(f?.node, at(replica), JSON.stringify(d.findings));
  assert.match(
    f!.explanation,
    new RegExp(`nothing listens at 127\\.0\\.0\\.1:${closed} \\(connection refused\\)`),
  );
  assert.match(f!.fix, /Start the master, or point the replica at the right address/);
});

test('protected mode refusing a replica that connects from another address (real redis-server replica)', {
  skip: skipWithoutRedis(),
}, async () => {
  const master = await node('tsredis');
  // redis-server's bind-source-addr makes its replication connection come from 127.0.0.2.
  const replica = await node('redis', [
    '--bind-source-addr',
    '127.0.0.2',
    '--replicaof',
    '127.0.0.1',
    String(master.port),
  ]);
  // The master really refuses such a client (golden errors.txt §26).
  const probe = await RawClient.connect(master.port, '127.0.0.1', '127.0.0.2');
  const denied = await probe.callRaw(['PING']);
  probe.close();
  assert.match(denied, /^-DENIED Redis is running in protected mode/);
  await waitFor(
    'the replica trying',
    async () => (await info(replica.port)).get('master_link_status') === 'down',
  );
  const d = await doctor([at(master), at(replica), '--sample', '0']);
  assert.equal(d.code, 1);
  const f = d.findings.find((x) => x.id === 'protected-mode');
  assert.ok(f !== undefined, JSON.stringify(d.findings));
  assert.equal(f.node, at(replica));
  assert.match(f.explanation, /-DENIED .* the replica connects from 127\.0\.0\.2, not from 127\.0\.0\.1/);
  assert.match(f.fix, /'requirepass <password>' and on each replica 'masterauth <password>'/);
});

for (const engine of ['tsredis', 'redis'] as const) {
  test(`wrong masterauth, and none at all (${engine})`, {
    skip: engine === 'redis' ? skipWithoutRedis() : false,
  }, async () => {
    const master = await node(engine, ['--requirepass', 'secret']);
    const wrong = await node(engine, [
      '--masterauth',
      'guess',
      '--replicaof',
      '127.0.0.1',
      String(master.port),
    ]);
    const none = await node(engine, ['--replicaof', '127.0.0.1', String(master.port)]);
    const d = await doctor([at(master), at(wrong), at(none), '-a', 'secret', '--sample', '0']);
    assert.equal(d.code, 1);
    const auth = d.findings.filter((f) => f.id === 'masterauth');
    assert.deepEqual(auth.map((f) => f.node).sort(), [at(wrong), at(none)].sort());
    const w = auth.find((f) => f.node === at(wrong))!;
    assert.match(w.explanation, /the master rejects its masterauth: WRONGPASS/);
    assert.match(w.fix, /Set 'masterauth' on .* to the master's 'requirepass'/);
    assert.match(auth.find((f) => f.node === at(none))!.explanation, /it has no 'masterauth' set/);
    // Without -a, doctor says it needs the password instead of guessing.
    const noPass = await doctor([at(master), '--sample', '0']);
    assert.match(noPass.findings[0].fix, /Run doctor with -a PASSWORD/);
  });
}

test('a replica of itself, and two replicas replicating each other', async () => {
  const self = await node('tsredis');
  assert.equal(await cmd(self.port, 'REPLICAOF', '127.0.0.1', String(self.port)), 'OK');
  const a = await node('tsredis');
  const b = await node('tsredis');
  assert.equal(await cmd(a.port, 'REPLICAOF', '127.0.0.1', String(b.port)), 'OK');
  assert.equal(await cmd(b.port, 'REPLICAOF', '127.0.0.1', String(a.port)), 'OK');
  const d = await doctor([at(self), at(a), '--sample', '0']);
  assert.equal(d.code, 1);
  const selfF = d.findings.find((f) => f.id === 'self');
  assert.equal(selfF?.node, at(self));
  assert.match(selfF!.explanation, /which is this very node/);
  const loops = d.findings.filter((f) => f.id === 'loop');
  assert.equal(loops.length, 1, 'one loop, reported once');
  assert.match(
    loops[0].explanation,
    new RegExp(`${at(a)} -> ${at(b)} -> ${at(a)}|${at(b)} -> ${at(a)} -> ${at(b)}`),
  );
  assert.match(loops[0].fix, /REPLICAOF NO ONE/);
});

test('a replica of itself on real redis-server', { skip: skipWithoutRedis() }, async () => {
  const self = await node('redis');
  assert.equal(await cmd(self.port, 'REPLICAOF', '127.0.0.1', String(self.port)), 'OK');
  const d = await doctor([at(self), '--sample', '0']);
  assert.equal(d.findings.find((f) => f.id === 'self')?.node, at(self));
});

test('master unreachable', async () => {
  const closed = await freePortRange(2);
  const replica = await node('tsredis', ['--replicaof', '127.0.0.1', String(closed)], closed + 1);
  const d = await doctor([at(replica), '--sample', '0']);
  assert.equal(d.code, 1);
  const f = d.findings.find((x) => x.id === 'master-unreachable');
  assert.equal(f?.node, at(replica));
  assert.match(
    f!.explanation,
    new RegExp(`nothing listens at 127\\.0\\.0\\.1:${closed} \\(connection refused\\)`),
  );
  assert.match(f!.fix, /Start the master, or point the replica at the right address/);
  // A listed node that does not answer at all is reported too.
  const dead = await doctor([`127.0.0.1:${closed}`, '--sample', '0']);
  assert.equal(dead.findings[0].id, 'unreachable-node');
});

test('backlog too small for the observed write rate', async () => {
  const master = await node('tsredis', ['--repl-backlog-size', '16kb']);
  await node('tsredis', ['--replicaof', '127.0.0.1', String(master.port)]);
  await waitInSync(master.port, 1);
  // ~200 KB/s of writes while doctor samples for one second.
  let writing = true;
  const load = (async () => {
    const c = await RawClient.connect(master.port);
    const value = 'x'.repeat(1024);
    while (writing) {
      for (let i = 0; i < 20; i++) c.send(['SET', `k${i}`, value]);
      for (let i = 0; i < 20; i++) await c.read();
      await new Promise((r) => setTimeout(r, 50));
    }
    c.close();
  })();
  try {
    const d = await doctor([at(master), '--sample', '1']);
    const f = d.findings.find((x) => x.id === 'backlog');
    assert.ok(f !== undefined, JSON.stringify(d.findings));
    assert.equal(d.code, 1);
    assert.match(
      f.title,
      /replication backlog too small for the write rate \(16 KB holds 0\.\d s of writes\)/,
    );
    assert.match(f.fix, /CONFIG SET repl-backlog-size \d+mb/);
  } finally {
    writing = false;
    await load;
  }
  // Without writes the same backlog is no problem.
  await waitInSync(master.port, 1);
  const quiet = await doctor([at(master), '--sample', '1']);
  assert.equal(
    quiet.findings.find((x) => x.id === 'backlog'),
    undefined,
  );
});

test('a replica lagging behind (its link stalled)', async () => {
  const master = await node('tsredis');
  const proxy = await TcpProxy.start(master.port);
  proxies.push(proxy);
  const replica = await node('tsredis', ['--replicaof', '127.0.0.1', String(proxy.port)]);
  await waitInSync(master.port, 1);
  proxy.stall(true);
  for (let i = 0; i < 50; i++) await cmd(master.port, 'SET', `lag${i}`, 'v');
  await waitFor(
    'the master to see no ack for 2 s',
    async () => /lag=([2-9]|\d\d)/.test((await info(master.port)).get('slave0') ?? ''),
    10000,
  );
  const d = await doctor([at(master), at(replica), '--sample', '1', '--max-lag', '2', '--timeout', '1']);
  proxy.stall(false);
  const f = d.findings.find((x) => x.id === 'lag');
  assert.ok(f !== undefined, JSON.stringify(d.findings));
  assert.equal(f.node, at(replica));
  assert.match(
    f.title,
    /lagging behind 127\.0\.0\.1:\d+: last acknowledgement \d+ s ago, \d+(\.\d)? (B|KB) behind/,
  );
  assert.equal(d.code, 1);
});

test('a healthy topology from tsredis up: no problem, exit code 0 (the folder is the default target)', async () => {
  const dir = folders.make();
  const base = await freePortRange(4);
  const up = await tsredis(['up', '--dir', dir, '--port', String(base), '--detach']);
  assert.equal(up.code, 0, up.stderr);
  const d = await tsredis(['doctor', '--dir', dir, '--sample', '0.5']);
  assert.equal(d.code, 0, d.stdout);
  assert.match(d.stdout, /master +127\.0\.0\.1:\d+ +master +tsredis/);
  assert.match(d.stdout, /· note \[master\] listens on loopback only/);
  assert.match(d.stdout, /No problems found: every link is up\./);
});
