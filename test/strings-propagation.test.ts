/**
 * What string and bitmap commands propagate to replicas and the AOF, compared with the
 * replication stream of a real redis-server 7.0 (read through a raw SYNC connection).
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

/** Absolute ms times computed from "now" differ between the servers by a little. */
function sameCommand(redis: string[], ts: string[]): boolean {
  if (redis.length !== ts.length) return false;
  return redis.every((a, i) => {
    if (a === ts[i]) return true;
    const x = Number(a);
    const y = Number(ts[i]);
    return x > 1e12 && y > 1e12 && Math.abs(x - y) < 5000;
  });
}

describe('strings: propagation like redis-server 7.0', { skip: skipWithoutRedis() }, () => {
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

  /** Runs the script on both servers and compares what each propagated. */
  async function propagates(steps: Step[]): Promise<void> {
    await marker.call(`SET marker ${markers}`);
    await tap.waitMarkers(++markers);
    tap.commands.length = 0;
    tsOps.length = 0;
    await pair.run(steps);
    await marker.call(`SET marker ${markers}`);
    await tap.waitMarkers(++markers);
    const redis = tap.commands.map((c) => c.join(' '));
    const ts = tsOps.map((c) => c.join(' '));
    const same = redis.length === ts.length && tap.commands.every((c, i) => sameCommand(c, tsOps[i]));
    assert.ok(
      same,
      `propagated commands differ\nredis:\n  ${redis.join('\n  ')}\ntsredis:\n  ${ts.join('\n  ')}`,
    );
  }

  test('SET family rewrites', () =>
    propagates([
      'SET a 1',
      'SET a 2 EX 100',
      'SET a 3 PX 100000',
      'SET a 4 EXAT 4102444800',
      'SET a 5 PXAT 4102444800123',
      'SET a 6 GET',
      'SET a 7 GET get XX',
      'SET a 8 GET EX 100',
      'SET a 9 NX',
      'SET a 10 KEEPTTL',
      'SET b 1 XX',
      'SETEX c 100 v',
      'PSETEX c 100000 v',
      'SETNX c v',
      'SETNX d v',
      'MSET e 1 f 2',
      'MSETNX e 1 g 2',
      'MSETNX g 1 h 2',
      'SET a v EX 0',
      'SET past v EXAT 1',
      'GET past',
      'SET past2 v PXAT 1',
      'SET past2 w',
    ]));

  test('GETSET, GETDEL, GETEX rewrites', () =>
    propagates([
      'SET k v',
      'GETSET k w',
      'GETSET nk w',
      'GETEX k',
      'GETEX k EX 100',
      'GETEX k PX 100000',
      'GETEX k EXAT 4102444800',
      'GETEX k PXAT 4102444800123',
      'GETEX k PERSIST',
      'GETEX k PERSIST',
      'GETEX missing EX 100',
      'GETEX k EXAT 1',
      'SET k v',
      'GETDEL k',
      'GETDEL k',
    ]));

  test('INCRBYFLOAT becomes SET KEEPTTL; in-place writes propagate as is', () =>
    propagates([
      'INCRBYFLOAT f 1.5',
      'INCRBYFLOAT f 0.1',
      'INCRBYFLOAT f abc',
      'INCR n',
      'INCRBY n 5',
      'DECRBY n 2',
      'APPEND s abc',
      'SETRANGE s 1 x',
      'SETRANGE s 1 ""',
      'SETRANGE missing 1 ""',
      'SETBIT b 3 1',
      'SETBIT b 3 1',
      'SETBIT b 3 0',
      'SETBIT b 100 0',
      'BITOP NOT d b',
      'BITOP AND d missing',
      'BITOP AND d missing',
      'BITFIELD bf SET u8 0 1 GET u8 0',
      'BITFIELD bf GET u8 0',
      'BITFIELD bf OVERFLOW FAIL INCRBY u2 0 9',
      'BITFIELD bf SET u8 0 1',
      'BITFIELD bf SET u8 0 1 INCRBY u8 0 0',
      'BITFIELD bf SET u8 0 1 INCRBY u8 0 1',
      'BITFIELD bf SET u8 16 0',
      'BITFIELD bf2 OVERFLOW FAIL SET u8 0 1000',
      'BITFIELD bf3 SET u8 0 0',
      'BITFIELD bf3 OVERFLOW WRAP SET i8 0 256',
      'BITFIELD_RO bf GET u8 0',
    ]));
});
