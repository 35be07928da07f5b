/**
 * What the hash, set and sorted set commands propagate to replicas and the AOF, compared with the
 * replication stream of a real redis-server 7.0 (read through a raw SYNC connection). Random pops
 * (SPOP with a count) are compared with their members masked.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DiffPair, type Step } from './support/diff.js';
import { RawClient } from './support/raw-client.js';
import { skipWithoutRedis } from './support/servers.js';
import { waitFor } from './support/tcp-proxy.js';

const MARKER_DB = 9;

/** A fake replica: SYNC, skip the RDB payload, then collect the commands of db 0. */
class ReplicationTap {
  readonly commands: string[][] = [];
  private buf = Buffer.alloc(0);
  private rdbLeft = -1;
  /** The RDB payload was consumed: the stream is being recorded. */
  synced = false;
  private db = 0;
  private onProgress: (() => void) | null = null;
  private markers = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.parse();
      this.onProgress?.();
    });
  }

  static connect(port: number): Promise<ReplicationTap> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('error', reject);
      socket.once('connect', () => {
        const tap = new ReplicationTap(socket);
        socket.write('SYNC\r\n');
        resolve(tap);
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
      const cmd = this.nextCommand();
      if (cmd === null) return;
      this.record(cmd);
    }
  }

  private nextCommand(): string[] | null {
    if (this.buf.length === 0) return null;
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

  private record(argv: string[]): void {
    const name = argv[0].toUpperCase();
    if (name === 'SELECT') this.db = Number(argv[1]);
    else if (name === 'PING') return;
    else if (this.db === MARKER_DB) this.markers++;
    else if (this.db === 0) this.commands.push(argv);
  }

  /** Resolves once n markers (writes to MARKER_DB) have been seen. */
  waitMarkers(n: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('replication stream timed out')), 10_000);
      const check = () => {
        if (this.markers >= n) {
          clearTimeout(timer);
          this.onProgress = null;
          resolve();
        }
      };
      this.onProgress = check;
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('hashes, sets, sorted sets: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  let tap: ReplicationTap;
  let marker: RawClient;
  let markers = 0;
  const tsOps: string[][] = [];

  before(async () => {
    pair = await DiffPair.start({ redisArgs: ['--repl-diskless-sync', 'no'] });
    pair.ts.server.propagationListeners.push((ops) => {
      for (const op of ops) if (op.db === 0) tsOps.push(op.argv);
    });
    tap = await ReplicationTap.connect(pair.redis.port);
    // A FLUSHALL during the sync's BGSAVE would make Redis kill it: wait for the RDB first.
    await waitFor('the tap to finish its sync', async () => tap.synced);
    marker = await RawClient.connect(pair.redis.port);
    await marker.call(`SELECT ${MARKER_DB}`);
  });
  after(async () => {
    tap.close();
    marker.close();
    await pair.stop();
  });

  /** Runs the script on both servers and compares what each propagated (after `mask`). */
  async function propagates(steps: Step[], mask: (argv: string[]) => string[] = (a) => a): Promise<void> {
    await marker.call(`SET marker ${markers}`);
    await tap.waitMarkers(++markers);
    tap.commands.length = 0;
    tsOps.length = 0;
    await pair.run(steps);
    await marker.call(`SET marker ${markers}`);
    await tap.waitMarkers(++markers);
    const redis = tap.commands.map((c) => mask(c).join(' '));
    const ts = tsOps.map((c) => mask(c).join(' '));
    assert.deepEqual(
      ts,
      redis,
      `propagated commands differ\nredis:\n  ${redis.join('\n  ')}\ntsredis:\n  ${ts.join('\n  ')}`,
    );
  }

  test('hashes: HINCRBYFLOAT becomes HSET, no-ops are not propagated', () =>
    propagates([
      'HSET h a 1 b 2',
      'HMSET h c 3',
      'HSETNX h a 9',
      'HSETNX h d 4',
      'HINCRBY h a 5',
      'HINCRBYFLOAT h b 0.1',
      'HINCRBYFLOAT h new 1e3',
      'HINCRBYFLOAT h c abc',
      'HDEL h nope',
      'HDEL h a b',
      'HDEL h c d new',
      'HGET h a',
    ]));

  test('sets: SPOP becomes SREM or DEL, SMOVE and STORE forms', () =>
    propagates([
      'SADD s 1 2 3',
      'SADD s 1',
      'SREM s 9',
      'SREM s 1',
      'SADD one x',
      'SPOP one',
      'SADD whole a b',
      { cmd: 'SPOP whole 5', compare: 'unordered' },
      'SPOP nokey 2',
      'SPOP s 0',
      'SADD a 1 2',
      'SMOVE a b 1',
      'SMOVE a b 9',
      'SMOVE a a 2',
      'SMOVE a b 2',
      'SADD x 1 2 3',
      'SADD y 2 3 4',
      'SINTERSTORE d x y',
      'SUNIONSTORE d x y',
      'SDIFFSTORE d x y',
      'SINTERSTORE d x nokey',
      'SINTERSTORE d x nokey',
      'SINTERCARD 2 x y',
    ]));

  test('sets: SPOP with a count propagates one SREM per member', () =>
    propagates(
      [
        'SADD big 1 2 3 4 5 6 7 8 9 10',
        { cmd: 'SPOP big 3', compare: 'type' },
        { cmd: 'SPOP big', compare: 'type' },
        { cmd: 'SPOP big 5', compare: 'type' },
        'SCARD big',
      ],
      (argv) => (argv[0] === 'SREM' ? ['SREM', argv[1], '?'] : argv),
    ));

  test('sorted sets: pops become ZPOPMIN/ZPOPMAX, no-ops are not propagated', () =>
    propagates([
      'ZADD z 1 a 2 b 3 c 4 d 5 e 6 f',
      'ZADD z NX 9 a',
      'ZADD z XX 9 nope',
      'ZADD z 1 a',
      'ZINCRBY z 0.5 a',
      'ZADD z INCR 1 b',
      'ZREM z nope',
      'ZREM z f',
      'ZPOPMIN z',
      'ZPOPMAX z 1',
      'ZMPOP 1 z MIN',
      'ZMPOP 2 nokey z MAX COUNT 1',
      'ZADD z 1 a 2 b 3 c',
      'BZPOPMIN z 0',
      'BZPOPMAX nokey z 0',
      'BZMPOP 0 1 z MIN COUNT 7',
      'ZADD z 1 a 2 b 3 c 4 d',
      'ZREMRANGEBYRANK z 0 0',
      'ZREMRANGEBYSCORE z 3 3',
      'ZREMRANGEBYLEX z [d [d',
      'ZREMRANGEBYSCORE z 100 200',
      'ZRANGESTORE d z 0 -1',
      'ZRANGESTORE d nokey 0 -1',
      'ZRANGESTORE d nokey 0 -1',
      'ZADD w 1 x',
      'ZUNIONSTORE u 2 z w',
      'ZINTERSTORE u 2 z w',
      'ZDIFFSTORE u 2 z w',
    ]));

  test('sorted sets: a served blocked pop propagates after the write that served it', () =>
    propagates([
      { cmd: 'BZPOPMIN k 0', conn: 2, noWait: true },
      'ZADD k 1 a 2 b',
      { read: 2 },
      { cmd: 'BZMPOP 0 1 k2 MAX COUNT 3', conn: 2, noWait: true },
      'ZADD k2 1 a 2 b',
      { read: 2 },
    ]));
});
