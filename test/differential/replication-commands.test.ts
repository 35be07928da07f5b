/**
 * Replication commands and the replica's answers, compared with redis-server 7.0: REPLICAOF,
 * REPLCONF, WAIT, FAILOVER, ROLE, READONLY / MASTERDOWN / NOREPLICAS, INFO replication fields.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DiffPair } from '../support/diff.js';
import { RawClient } from '../support/raw-client.js';
import { cmd, digest, info, startNode, waitInSync, waitReplicaCaughtUp } from '../support/replication.js';
import { DIST, type ProcessServer, skipWithoutRedis } from '../support/servers.js';
import { waitFor } from '../support/tcp-proxy.js';
import { freePortRange } from '../support/topology-support.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'info');
const started: ProcessServer[] = [];
after(async () => {
  for (const s of started.reverse()) await s.stop();
});

async function node(engine: 'tsredis' | 'redis', args: string[] = []): Promise<ProcessServer> {
  const s = await startNode(engine, args);
  started.push(s);
  return s;
}

function fieldNames(payload: string): string[] {
  return payload
    .split('\r\n')
    .filter((l) => l.includes(':') && !l.startsWith('#'))
    .map((l) => l.slice(0, l.indexOf(':')));
}

describe('replication commands on a master: differential', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('argument errors and answers without replicas', () =>
    pair.run([
      'REPLICAOF localhost abc',
      'REPLICAOF localhost 99999',
      'REPLICAOF localhost -1',
      'REPLICAOF NO ONE',
      'SLAVEOF NO ONE',
      'REPLICAOF',
      'WAIT a 1',
      'WAIT 1 -1',
      'WAIT 0 0',
      'WAIT 1 10',
      'REPLCONF foo bar',
      'REPLCONF a',
      'REPLCONF listening-port 1234',
      'REPLCONF capa eof capa psync2',
      'FAILOVER ABORT',
      'FAILOVER',
      'FAILOVER TO 1.2.3.4 5',
      'FAILOVER TIMEOUT -1',
      'FAILOVER TIMEOUT abc',
      'FAILOVER FORCE',
      'FAILOVER BOGUS',
      'FAILOVER TO host',
      'ROLE',
    ]));
});

describe('a replica whose master is unreachable: differential', { skip: skipWithoutRedis() }, () => {
  test('MASTERDOWN with replica-serve-stale-data no, READONLY for writes, ROLE', async () => {
    // Below the ephemeral range the servers' own ports come from, so neither node can be listening there.
    const closed = await freePortRange(1);
    const args = ['--replicaof', '127.0.0.1', String(closed), '--replica-serve-stale-data', 'no'];
    const [r, t] = await Promise.all([node('redis', args), node('tsredis', args)]);
    const script = [
      'GET k',
      'SET k v',
      'PING',
      'INFO replication',
      'ROLE',
      'MULTI',
      'SET a 1',
      'EXEC',
      'WAIT 1 0',
    ];
    const [rc, tc] = await Promise.all([RawClient.connect(r.port), RawClient.connect(t.port)]);
    try {
      for (const line of script) {
        const [a, b] = await Promise.all([rc.call(line), tc.call(line)]);
        if (line === 'INFO replication') {
          const redisInfo = a.raw.toString('latin1');
          const ours = b.raw.toString('latin1');
          // master_link_down_reason is tsredis's addition (plain-words cause); everything else as Redis.
          assert.match(ours, /master_link_down_reason:Connection refused\. Nothing accepts connections/);
          const mine = fieldNames(ours).filter((n) => n !== 'master_link_down_reason');
          assert.deepEqual(mine, fieldNames(redisInfo), 'INFO replication field names and order');
          continue;
        }
        assert.equal(b.raw.toString('latin1'), a.raw.toString('latin1'), line);
      }
    } finally {
      rc.close();
      tc.close();
    }
    const golden = readFileSync(join(FIXTURES, 'replica-closedport.role.resp.txt'), 'latin1');
    assert.equal(
      (
        await RawClient.connect(t.port).then(async (c) => {
          const raw = await c.callRaw('ROLE');
          c.close();
          return raw;
        })
      ).replace(`:${closed}`, ':23400'),
      golden,
    );
    // The log explains in plain words why the link is down.
    await t.waitForOutput(/Error condition on socket for SYNC: Connection refused/);
    await t.waitForOutput(/Is the master running, and listening on an address this replica can reach\?/);
  });
});

describe('master with two replicas', () => {
  test('INFO replication and ROLE have Redis 7.0 shapes; WAIT counts acks; NOREPLICAS; READONLY', async () => {
    const master = await node('tsredis');
    const r1 = await node('tsredis', ['--replicaof', '127.0.0.1', String(master.port)]);
    const r2 = await node('tsredis', ['--replicaof', '127.0.0.1', String(master.port)]);
    await cmd(master.port, 'SET', 'a', '1');
    await waitInSync(master.port, 2);
    const masterInfo = await cmd(master.port, 'INFO', 'replication');
    const goldenMaster = readFileSync(join(FIXTURES, 'master-2replicas.info-replication.txt'), 'latin1');
    assert.deepEqual(fieldNames(masterInfo), fieldNames(goldenMaster));
    await waitReplicaCaughtUp(master.port, r1.port);
    const replicaInfo = await cmd(r1.port, 'INFO', 'replication');
    const goldenReplica = readFileSync(join(FIXTURES, 'replica-linkup.info-replication.txt'), 'latin1');
    assert.deepEqual(fieldNames(replicaInfo), fieldNames(goldenReplica));

    const c = await RawClient.connect(master.port);
    try {
      assert.equal(await c.callRaw('SET b 2'), '+OK\r\n');
      assert.equal(await c.callRaw('WAIT 2 5000'), ':2\r\n');
      assert.equal(await c.callRaw('WAIT 3 100'), ':2\r\n');
      const role = await c.call('ROLE');
      const parts = (role.value as { value: Array<{ type: string; value: unknown }> }).value;
      assert.equal((parts[0].value as Buffer).toString(), 'master');
      assert.equal(parts[1].type, 'integer');
      assert.equal((parts[2].value as unknown[]).length, 2);
      assert.equal(await c.callRaw('CONFIG SET min-replicas-to-write 3'), '+OK\r\n');
      await waitFor(
        'good replicas counted',
        async () => (await info(master.port)).get('min_slaves_good_slaves') === '2',
      );
      assert.equal(await c.callRaw('SET c 3'), '-NOREPLICAS Not enough good replicas to write.\r\n');
      assert.equal(await c.callRaw('GET b'), '$1\r\n2\r\n');
      assert.equal(await c.callRaw('CONFIG SET min-replicas-to-write 0'), '+OK\r\n');
    } finally {
      c.close();
    }
    const rc = await RawClient.connect(r2.port);
    try {
      assert.equal(await rc.callRaw('SET x 1'), "-READONLY You can't write against a read only replica.\r\n");
      assert.equal(await rc.callRaw('GET b'), '$1\r\n2\r\n');
      assert.match(
        await rc.callRaw('ROLE'),
        /^\*5\r\n\$5\r\nslave\r\n\$9\r\n127\.0\.0\.1\r\n:\d+\r\n\$9\r\nconnected\r\n:\d+\r\n$/,
      );
      assert.match(await rc.callRaw('WAIT 1 0'), /^-ERR WAIT cannot be used with replica instances/);
      assert.match(await rc.callRaw('CLIENT LIST'), /flags=M .*cmd=\S+ user=\(superuser\)/);
    } finally {
      rc.close();
    }
  });

  test('FAILOVER hands the master role to a synced replica without losing writes', async () => {
    const master = await node('tsredis');
    const r1 = await node('tsredis', ['--replicaof', '127.0.0.1', String(master.port)]);
    await waitInSync(master.port, 1);
    await cmd(master.port, 'SET', 'before', 'failover');
    await waitInSync(master.port, 1);
    assert.equal(
      await cmd(master.port, 'FAILOVER', 'TO', '127.0.0.1', String(r1.port), 'TIMEOUT', '5000'),
      'OK',
    );
    await waitFor('roles swapped', async () => {
      const [m, r] = await Promise.all([info(master.port), info(r1.port)]);
      return m.get('role') === 'slave' && r.get('role') === 'master' && m.get('master_link_status') === 'up';
    });
    assert.equal((await info(master.port)).get('master_failover_state'), 'no-failover');
    assert.equal(await cmd(r1.port, 'GET', 'before'), 'failover');
    assert.equal(await cmd(r1.port, 'SET', 'after', 'yes'), 'OK');
    await waitReplicaCaughtUp(r1.port, master.port);
    assert.equal(await cmd(master.port, 'GET', 'after'), 'yes');
  });
});

describe('WAIT on the wire', () => {
  test("a replica sees redis-server 7.0.15's stream for SET + WAIT (golden d_wait_getack)", async () => {
    const master = await node('tsredis', ['--repl-diskless-sync', 'no']);
    const golden = readFileSync(join(FIXTURES, '..', 'replication', 'd_wait_getack.stream.bin'));
    const replica = await FakeReplica.attach(master.port);
    try {
      await waitInSync(master.port, 1);
      const client = await RawClient.connect(master.port);
      try {
        // As captured: SET and WAIT in one write, WAIT 2 that times out, WAIT 0 0.
        client.write(
          '*3\r\n$3\r\nSET\r\n$1\r\nw\r\n$1\r\n1\r\n*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$4\r\n1000\r\n',
        );
        assert.equal((await client.read()).raw.toString(), '+OK\r\n');
        assert.equal((await client.read()).raw.toString(), ':1\r\n');
        assert.equal(await client.callRaw('WAIT 2 500'), ':1\r\n');
        assert.equal(await client.callRaw('WAIT 0 0'), ':1\r\n');
      } finally {
        client.close();
      }
      await waitFor('both GETACKs', async () => replica.stream.length >= golden.length);
      assert.equal(replica.stream.toString('latin1'), golden.toString('latin1'));
    } finally {
      replica.close();
    }
  });
});

describe('the stream under pipelined writes', () => {
  test('clients pipelining at once (canonical, inline, odd terminators): the replica converges', async () => {
    const master = await node('tsredis');
    const replica = await node('tsredis', ['--replicaof', '127.0.0.1', String(master.port)]);
    await waitInSync(master.port, 1);
    const clients = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(master.port)));
    try {
      // Each client sends batches in single writes; the master's copies of the clients' own bytes
      // are gathered per read and must never mix up two clients' input.
      for (let round = 0; round < 20; round++) {
        clients.forEach((c, n) => {
          let batch = '';
          for (let i = 0; i < 50; i++) {
            const key = `k${n}:${(round * 50 + i) % 120}`;
            const value = `v${round}-${i}-${'x'.repeat((i * 7) % 40)}`;
            if (i % 10 === 3) batch += `SET ${key} ${value}\r\n`;
            else if (i % 10 === 7)
              batch += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}xx$${value.length}\r\n${value}\r\n`;
            else if (i % 10 === 9) batch += `*3\r\n$6\r\nAPPEND\r\n$${key.length}\r\n${key}\r\n$1\r\n+\r\n`;
            else batch += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
          }
          c.write(batch);
        });
        for (const c of clients) for (let i = 0; i < 50; i++) await c.read();
      }
    } finally {
      for (const c of clients) c.close();
    }
    await waitReplicaCaughtUp(master.port, replica.port);
    assert.equal(await digest(replica.port, 1), await digest(master.port, 1));
    assert.equal(await cmd(replica.port, 'DBSIZE'), '480');
  });
});

describe('the stream under a trickle of writes', () => {
  test('a busy master sends the stream about once a millisecond, not once per command', async () => {
    // No PING from the master in the middle of the SETs.
    const master = await node('tsredis', [
      '--repl-diskless-sync',
      'no',
      '--repl-ping-replica-period',
      '3600',
    ]);
    const replica = await FakeReplica.attach(master.port);
    const client = await RawClient.connect(master.port);
    try {
      await waitInSync(master.port, 1);
      // The first write brings a SELECT: out of the way before counting.
      assert.equal(await client.callRaw('SET k v'), '+OK\r\n');
      await waitFor('the first SET', async () => replica.stream.includes('SET'));
      const readsBefore = replica.streamReads;
      const lengthBefore = replica.stream.length;
      const set = '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n';
      const writes = 400;
      const t0 = performance.now();
      // One command per turn: each waits for the previous reply.
      for (let i = 0; i < writes; i++) assert.equal(await client.callRaw('SET k v'), '+OK\r\n');
      const elapsedMs = performance.now() - t0;
      await waitFor('every SET in the stream', async () => {
        return replica.stream.length - lengthBefore >= writes * set.length;
      });
      const reads = replica.streamReads - readsBefore;
      // At most one send per millisecond (plus the first and the timer's last), however fast the
      // commands come; the bytes are all there, in order.
      assert.ok(reads <= Math.ceil(elapsedMs) + 2, `${reads} reads in ${elapsedMs.toFixed(1)} ms`);
      assert.equal(replica.stream.subarray(lengthBefore).toString('latin1'), set.repeat(writes));
    } finally {
      client.close();
      replica.close();
    }
  });
});

describe('INFO replication right after a write: differential', { skip: skipWithoutRedis() }, () => {
  for (const engine of ['tsredis', 'redis'] as const) {
    test(`${engine}: the backlog holds every byte master_repl_offset counts`, async () => {
      const master = await node(engine, ['--repl-diskless-sync', 'no']);
      const replica = await FakeReplica.attach(master.port);
      const client = await RawClient.connect(master.port);
      try {
        await waitInSync(master.port, 1);
        // SET and INFO in one read: INFO runs before the turn that wrote ends.
        client.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n');
        assert.equal((await client.read()).raw.toString(), '+OK\r\n');
        const fields = new Map(
          (await client.read()).raw
            .toString('latin1')
            .split('\r\n')
            .map((l) => l.split(':') as [string, string]),
        );
        const first = Number(fields.get('repl_backlog_first_byte_offset'));
        const histlen = Number(fields.get('repl_backlog_histlen'));
        assert.ok(histlen > 0);
        assert.equal(first + histlen - 1, Number(fields.get('master_repl_offset')));
      } finally {
        client.close();
        replica.close();
      }
    });
  }
});

/** A replica on a raw socket: Redis 7.0's handshake, the RDB skipped, GETACKs answered. */
class FakeReplica {
  /** Stream bytes received after the RDB payload. */
  stream = Buffer.alloc(0);
  /** Reads that brought stream bytes. */
  streamReads = 0;
  private pending = Buffer.alloc(0);
  private rdbLeft = -1;
  private offset = 0;
  private acked = 0;

  private constructor(private readonly client: RawClient) {}

  static async attach(port: number): Promise<FakeReplica> {
    const c = await RawClient.connect(port);
    assert.equal(await c.callRaw('PING'), '+PONG\r\n');
    assert.equal(await c.callRaw('REPLCONF listening-port 1'), '+OK\r\n');
    assert.equal(await c.callRaw('REPLCONF capa eof capa psync2'), '+OK\r\n');
    const replica = new FakeReplica(c);
    c.socket.removeAllListeners('data');
    c.socket.on('data', (chunk: Buffer) => replica.onData(chunk));
    c.send('PSYNC ? -1');
    return replica;
  }

  private onData(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (this.rdbLeft < 0) {
      // "+FULLRESYNC <replid> <offset>\r\n$<len>\r\n"
      const text = this.pending.toString('latin1');
      const m = /^\+FULLRESYNC \S+ (\d+)\r\n\$(\d+)\r\n/.exec(text);
      if (m === null) return;
      this.offset = Number(m[1]);
      this.rdbLeft = Number(m[2]);
      this.pending = this.pending.subarray(m[0].length);
    }
    const skip = Math.min(this.rdbLeft, this.pending.length);
    this.rdbLeft -= skip;
    this.pending = this.pending.subarray(skip);
    if (this.rdbLeft > 0 || this.pending.length === 0) return;
    this.streamReads++;
    this.stream = Buffer.concat([this.stream, this.pending]);
    this.pending = Buffer.alloc(0);
    this.answerGetAcks();
  }

  /** Each complete GETACK gets the offset before it, as a real replica answers. */
  private answerGetAcks(): void {
    const getack = Buffer.from('*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n');
    for (
      let at = this.stream.indexOf(getack, this.acked);
      at >= 0;
      at = this.stream.indexOf(getack, this.acked)
    ) {
      this.client.send(['REPLCONF', 'ACK', String(this.offset + at)]);
      this.acked = at + getack.length;
    }
  }

  close(): void {
    this.client.close();
  }
}

describe('DEBUG CHANGE-REPL-ID: differential', { skip: skipWithoutRedis() }, () => {
  test('a new replication id, no second one, a warning in the log; arity', async () => {
    const outcome = async (engine: 'tsredis' | 'redis') => {
      const master = await node(engine, ['--enable-debug-command', 'yes']);
      const replica = await node(engine, ['--replicaof', '127.0.0.1', String(master.port)]);
      await waitReplicaCaughtUp(master.port, replica.port);
      const before = await info(master.port);
      const reply = await cmd(master.port, 'DEBUG', 'CHANGE-REPL-ID');
      const after = await info(master.port);
      await master.waitForOutput(/Changing replication IDs after receiving DEBUG change-repl-id/);
      return {
        reply,
        changed: after.get('master_replid') !== before.get('master_replid'),
        replid2: after.get('master_replid2'),
        second: after.get('second_repl_offset'),
        arity: await cmd(master.port, 'DEBUG', 'CHANGE-REPL-ID', 'extra'),
      };
    };
    assert.deepEqual(await outcome('tsredis'), await outcome('redis'));
  });
});

describe('FAILOVER rejected by its target: differential', { skip: skipWithoutRedis() }, () => {
  test('the master rolls back to master with Redis log lines and INFO state', async () => {
    const outcome = async (engine: 'tsredis' | 'redis') => {
      const master = await node(engine);
      const replica = await node(engine, [
        '--replicaof',
        '127.0.0.1',
        String(master.port),
        '--enable-debug-command',
        'yes',
      ]);
      await cmd(master.port, 'SET', 'k', '1');
      // Online and acknowledged from the master's side, as FAILOVER TO requires.
      await waitInSync(master.port, 1);
      // A diskless master puts its replica online before the replica has loaded the RDB, and
      // loading ends by taking the master's id: the id must change after that (a CI flake).
      await waitFor('the replica to have loaded the sync', async () => {
        const i = await info(replica.port);
        return i.get('master_link_status') === 'up' && i.get('master_sync_in_progress') === '0';
      });
      // The target's own id no longer matches the one the master's PSYNC FAILOVER names.
      await cmd(replica.port, 'DEBUG', 'CHANGE-REPL-ID');
      const reply = await cmd(master.port, 'FAILOVER', 'TO', '127.0.0.1', String(replica.port));
      await master.waitForOutput(
        /FAILOVER to 127\.0\.0\.1:\d+ aborted: Failover target rejected psync request/,
      );
      await waitFor('the master is a master again', async () => {
        const i = await info(master.port);
        return i.get('role') === 'master' && i.get('master_failover_state') === 'no-failover';
      });
      // The last line expected; log lines arrive through a pipe, after the replies.
      await master.waitForOutput(/Discarding previously cached master state\./);
      const log = master.output();
      return {
        reply,
        masterRole: (await info(master.port)).get('role'),
        replicaRole: (await info(replica.port)).get('role'),
        writable: await cmd(master.port, 'SET', 'after', '1'),
        lines: [
          /FAILOVER requested to 127\.0\.0\.1:\d+\./,
          /Failover target 127\.0\.0\.1:\d+ is synced, failing over\./,
          /Before turning into a replica, using my own master parameters to synthesize a cached master/,
          /Connecting to MASTER 127\.0\.0\.1:\d+/,
          /Master does not support PSYNC or is in error state \(reply: -ERR PSYNC FAILOVER replid must match my replid\.\)/,
          /Discarding previously cached master state\./,
        ].map((re) => re.test(log)),
      };
    };
    const reference = await outcome('redis');
    assert.ok(reference.lines.every(Boolean), `redis-server logged every line: ${reference.lines}`);
    assert.deepEqual(await outcome('tsredis'), reference);
  });
});
