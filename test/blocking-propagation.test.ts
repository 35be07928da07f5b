/**
 * What list commands, blocking ones included, propagate to replicas and the AOF, compared with
 * the replication stream of a real redis-server 7.0 (read through a raw SYNC connection).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type BStep, runBlockingScript } from './support/blocking-script.js';
import { DiffPair } from './support/diff.js';
import { skipWithoutRedis } from './support/servers.js';
import { waitFor } from './support/tcp-proxy.js';

const MARKER = '__end_of_script__';

/** A fake replica: SYNC, skip the RDB payload, then collect every command but PING and SELECT. */
class ReplicationTap {
  readonly commands: string[][] = [];
  private buf = Buffer.alloc(0);
  private rdbLeft = -1;
  /** The RDB payload was consumed: the stream is being recorded. */
  synced = false;
  private waiter: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.parse();
      this.waiter?.();
    });
  }

  static connect(port: number): Promise<ReplicationTap> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.write('SYNC\r\n');
        resolve(new ReplicationTap(socket));
      });
    });
  }

  private parse(): void {
    for (;;) {
      if (this.rdbLeft < 0) {
        while (this.buf.length > 0 && this.buf[0] === 0x0a) this.buf = this.buf.subarray(1);
        const eol = this.buf.indexOf('\r\n');
        if (eol < 0) return;
        this.rdbLeft = Number(this.buf.subarray(1, eol).toString());
        this.buf = this.buf.subarray(eol + 2);
      }
      if (!this.synced) {
        if (this.buf.length < this.rdbLeft) return;
        this.buf = this.buf.subarray(this.rdbLeft);
        this.synced = true;
      }
      const argv = this.nextCommand();
      if (argv === null) return;
      const name = argv[0].toUpperCase();
      if (name !== 'PING' && name !== 'SELECT') this.commands.push(argv);
    }
  }

  private nextCommand(): string[] | null {
    let at = this.buf.indexOf('\r\n');
    if (at < 0) return null;
    const count = Number(this.buf.subarray(1, at).toString());
    let pos = at + 2;
    const argv: string[] = [];
    for (let i = 0; i < count; i++) {
      at = this.buf.indexOf('\r\n', pos);
      if (at < 0) return null;
      const len = Number(this.buf.subarray(pos + 1, at).toString());
      if (this.buf.length < at + 2 + len + 2) return null;
      argv.push(this.buf.subarray(at + 2, at + 2 + len).toString('latin1'));
      pos = at + 2 + len + 2;
    }
    this.buf = this.buf.subarray(pos);
    return argv;
  }

  /** Resolves once a command with this key was seen. */
  waitFor(key: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('replication stream timed out')), 10_000);
      const check = () => {
        if (!this.commands.some((c) => c[1] === key)) return;
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
      this.waiter = check;
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('lists: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  let tap: ReplicationTap;
  const tsCommands: string[][] = [];

  before(async () => {
    pair = await DiffPair.start({ redisArgs: ['--repl-diskless-sync', 'no'] });
    pair.ts.server.propagationListeners.push((ops) => {
      for (const op of ops) if (op.argv[0].toUpperCase() !== 'SELECT') tsCommands.push(op.argv);
    });
    tap = await ReplicationTap.connect(pair.redis.port);
    // A FLUSHALL during the sync's BGSAVE would make Redis kill it: wait for the RDB first.
    await waitFor('the tap to finish its sync', async () => tap.synced);
  });
  after(async () => {
    tap.close();
    await pair.stop();
  });

  async function compare(steps: BStep[]): Promise<void> {
    tap.commands.length = 0;
    tsCommands.length = 0;
    await runBlockingScript(pair, [...steps, `SET ${MARKER} 1`]);
    await tap.waitFor(MARKER);
    assert.ok(tap.commands.length > 3, 'the replication stream was read');
    assert.deepEqual(tsCommands, tap.commands);
  }

  test('served blocking pops propagate as their non-blocking forms', () =>
    compare([
      { cmd: 'BLPOP q 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH q a b',
      { read: 2 },
      { cmd: 'BRPOP q9 q 0', conn: 2 },
      { cmd: 'BLMPOP 0 1 q2 RIGHT COUNT 5', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH q2 x y z',
      { read: 2 },
      { cmd: 'BLMPOP 0 1 q3 left', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH q3 x y z',
      { read: 2 },
      { cmd: 'BLMOVE s d left RIGHT 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH s 1 2',
      { read: 2 },
      { cmd: 'BRPOPLPUSH s2 d 0', conn: 2, noWait: true },
      { blocked: 1 },
      'RPUSH s2 v',
      { read: 2 },
      { cmd: 'BLPOP m 0', conn: 2, noWait: true },
      { blocked: 1 },
      'MULTI',
      'RPUSH m a',
      'RPUSH m b',
      'EXEC',
      { read: 2 },
    ]));

  test('blocking commands that need not wait are rewritten', () =>
    compare([
      'RPUSH q a b c d e',
      'BLPOP q 0',
      'BRPOP q 0',
      'BLMPOP 0 1 q LEFT COUNT 10',
      'RPUSH s a b c',
      'BLMOVE s d Left right 0',
      'BRPOPLPUSH s d 0',
      'BLMPOP 0 2 nope s right',
      'MULTI',
      'BLPOP none 0',
      'BLPOP d 0',
      'EXEC',
    ]));

  test('list writes propagate only when they change something', () =>
    compare([
      'RPUSH l a b c d',
      'LTRIM l 0 -1',
      'LTRIM l 1 -1',
      'LREM l 0 nope',
      'LREM l 1 b',
      'LINSERT l BEFORE nope x',
      'LINSERT l AFTER c x',
      'LPUSHX missing a',
      'RPUSHX l z',
      'LSET l 0 first',
      'LMPOP 1 l RIGHT COUNT 2',
      'LMOVE l l LEFT RIGHT',
      'LPOP l 0',
      'RPOP l',
      'LPOP l 5',
    ]));
});
