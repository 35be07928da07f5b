/**
 * What a script of commands propagates on tsredis and on a real redis-server 7.0: tsredis's
 * propagation listener on one side, Redis's replication stream read through a raw SYNC
 * connection (ReplicationTap) on the other. Writes of a marker delimit each script in Redis's stream.
 */
import assert from 'node:assert/strict';
import { ReplTarget } from '../../src/core/scripting.js';
import { encodeCommand } from '../../src/protocol/resp-reader.js';
import { DiffPair, type Step } from './diff.js';
import { RawClient } from './raw-client.js';
import { ReplicationTap, type TappedCommand } from './replication-tap.js';

export type { TappedCommand };

/** Absolute ms times computed from "now" differ between the servers by a little. */
export function sameCommand(redis: string[], ts: string[]): boolean {
  if (redis.length !== ts.length) return false;
  return redis.every((a, i) => {
    if (a === ts[i]) return true;
    const x = Number(a);
    const y = Number(ts[i]);
    return x > 1e12 && y > 1e12 && Math.abs(x - y) < 5000;
  });
}

export class PropagationDiff {
  private markers = 0;
  private readonly tsOps: TappedCommand[] = [];

  private constructor(
    readonly pair: DiffPair,
    private readonly tap: ReplicationTap,
    private readonly marker: RawClient,
    private readonly markerDb: number | null,
  ) {
    pair.ts.server.events.onPropagate({
      // It stands for a replica: writes a script sent to the AOF only are not its.
      kind: ReplTarget.replicas,
      active: () => true,
      feed: (ops) => {
        for (const op of ops) {
          // The client's own bytes, when offered instead of argv, must be argv's exact encoding.
          if (op.raw !== null) {
            assert.deepEqual(
              op.raw.subarray(op.rawStart, op.rawEnd),
              encodeCommand(op.argv),
              op.argv.join(' '),
            );
          }
          if (op.db !== markerDb) this.tsOps.push({ db: op.db, argv: op.argv });
        }
      },
    });
  }

  /**
   * markerDb: the db whose writes mark the end of a script in Redis's stream; null writes a marker
   * key in db 0 instead (for scripts that would drop the marker db's key, like allkeys eviction).
   */
  static async start(
    options: { config?: Record<string, string>; markerDb?: number | null } = {},
  ): Promise<PropagationDiff> {
    const markerDb = options.markerDb === undefined ? 9 : options.markerDb;
    const pair = await DiffPair.start({ redisArgs: ['--repl-diskless-sync', 'no'], config: options.config });
    const tap = await ReplicationTap.connect(pair.redis.port, markerDb ?? undefined);
    const marker = await RawClient.connect(pair.redis.port);
    if (markerDb !== null) await marker.call(`SELECT ${markerDb}`);
    return new PropagationDiff(pair, tap, marker, markerDb);
  }

  /** Runs the steps on both servers and returns what each propagated meanwhile, in order. */
  async record(steps: Step[]): Promise<{ redis: TappedCommand[]; ts: TappedCommand[] }> {
    // Whatever an earlier script still had in flight is consumed first.
    await this.sync();
    this.tap.commands.length = 0;
    this.tsOps.length = 0;
    await this.pair.run(steps);
    const end = await this.sync();
    return {
      redis: this.tap.commands.filter((c) => end === null || c.argv[1] !== end),
      ts: [...this.tsOps],
    };
  }

  /** Writes a marker on Redis and waits until its stream shows it; the marker key, if in db 0. */
  private async sync(): Promise<string | null> {
    const n = ++this.markers;
    if (this.markerDb !== null) {
      await this.marker.call(`SET marker ${n}`);
      await this.tap.waitMarkers(n);
      return null;
    }
    const key = `end-of-steps-${n}`;
    await this.marker.call(['SET', key, '1']);
    await this.tap.waitForKey(key);
    return key;
  }

  /** Runs the steps and fails unless both servers propagated the same commands to db 0 (after mask). */
  async assertSame(steps: Step[], mask: (argv: string[]) => string[] = (a) => a): Promise<void> {
    const recorded = await this.record(steps);
    const show = (list: TappedCommand[]) => list.filter((c) => c.db === 0).map((c) => mask(c.argv).join(' '));
    const redis = show(recorded.redis);
    const ts = show(recorded.ts);
    assert.deepEqual(
      ts,
      redis,
      `propagated commands differ\nredis:\n  ${redis.join('\n  ')}\ntsredis:\n  ${ts.join('\n  ')}`,
    );
  }

  async stop(): Promise<void> {
    this.tap.close();
    this.marker.close();
    await this.pair.stop();
  }
}
