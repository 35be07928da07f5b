/**
 * A master restarted from its own RDB (SHUTDOWN SAVE, then the same dir and port): it serves the
 * saved replication id as its second one, counts on from the saved offset, and feeds the DELs of
 * keys that expired while it was down into its backlog, so its replica resumes with a partial
 * resync. What each engine pairing shows must be what redis-server → redis-server shows.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cmd, type Engine, info, startNode, syncStats, waitReplicaCaughtUp } from '../support/replication.js';
import {
  findRedisServer,
  freePort,
  type ProcessServer,
  SERVER_BIN,
  skipWithoutRedis,
  spawnServer,
  tempDir,
} from '../support/servers.js';
import { waitFor } from '../support/tcp-proxy.js';

const started: ProcessServer[] = [];
after(async () => {
  for (const s of started.reverse()) await s.stop('SIGKILL');
});

function binOf(engine: Engine): string {
  return engine === 'tsredis' ? SERVER_BIN : (findRedisServer() ?? 'redis-server');
}

interface Outcome {
  replid2IsOldId: boolean;
  /** second_repl_offset - 1 is the saved offset: at least what INFO showed before SHUTDOWN. */
  secondOffsetCoversSaved: boolean;
  /** master_repl_offset after the restart minus the saved offset: the DELs fed while loading. */
  fedOnLoad: number;
  backlogActive: string;
  fullSyncs: number;
  partialSyncs: number;
  keysExpiredOnLoad: string;
  replicaKeys: string;
  replicaHasExpiredKey: string;
}

/**
 * `expiring`: keys with a TTL that passes while the master is down (active expiry off, so the
 * RDB holds them); `quiet`: no write before the save, so the saved offset is 0.
 */
async function restartMaster(
  masterEngine: Engine,
  replicaEngine: Engine,
  expiring: number,
  quiet = false,
): Promise<Outcome> {
  const dir = tempDir('master-restart-');
  const port = await freePort();
  // No PING to replicas (its first comes only at the period's first tick): a quiet master stays at offset 0.
  const args = [
    ...['--bind', '127.0.0.1', '--save', '', '--dir', dir, '--enable-debug-command', 'yes'],
    ...['--repl-ping-replica-period', '3600', '--repl-diskless-sync-delay', '0'],
  ];
  let master = await spawnServer(binOf(masterEngine), args, { dir, port });
  started.push(master);
  if (quiet) await cmd(port, 'SET', 'data', 'before-any-replica');
  const replica = await startNode(replicaEngine, ['--replicaof', '127.0.0.1', String(port)]);
  started.push(replica);
  await waitReplicaCaughtUp(port, replica.port);
  if (!quiet) {
    await cmd(port, 'DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await cmd(port, 'SET', 'stays', '1');
    for (let i = 0; i < expiring; i++) await cmd(port, 'SET', `gone:${i}`, 'x', 'PX', '50');
    await waitReplicaCaughtUp(port, replica.port);
  }
  const saved = await info(port);
  const oldId = saved.get('master_replid')!;
  const savedOffset = Number(saved.get('master_repl_offset'));
  if (quiet) assert.equal(savedOffset, 0, 'the quiet master wrote to its stream');
  // The TTLs pass on the master's clock before the save (DEBUG SLEEP keeps them in the RDB).
  if (expiring > 0) await cmd(port, 'DEBUG', 'SLEEP', '0.1');
  // SHUTDOWN closes the connection instead of replying.
  await cmd(port, 'SHUTDOWN', 'SAVE').catch(() => '');
  assert.equal(await master.stop(), 0);
  master = await spawnServer(binOf(masterEngine), args, { dir, port });
  started.push(master);
  await waitFor('the replica resynced', async () => {
    const s = await syncStats(port);
    return s.full + s.partial >= 1;
  });
  await waitReplicaCaughtUp(port, replica.port);
  const now = await info(port);
  const stats = await syncStats(port);
  return {
    replid2IsOldId: now.get('master_replid2') === oldId,
    secondOffsetCoversSaved: Number(now.get('second_repl_offset')) - 1 >= savedOffset,
    fedOnLoad: Number(now.get('master_repl_offset')) - (Number(now.get('second_repl_offset')) - 1),
    backlogActive: now.get('repl_backlog_active')!,
    fullSyncs: stats.full,
    partialSyncs: stats.partial,
    keysExpiredOnLoad: (await info(port, 'persistence')).get('rdb_last_load_keys_expired')!,
    replicaKeys: await cmd(replica.port, 'DBSIZE'),
    replicaHasExpiredKey: await cmd(replica.port, 'EXISTS', 'gone:0'),
  };
}

describe('a master restarted from its own RDB: differential', { skip: skipWithoutRedis() }, () => {
  const cases = [
    { name: 'with writes and no expired keys', expiring: 0, quiet: false },
    { name: 'with keys that expired while it was down', expiring: 3, quiet: false },
    { name: 'saved at offset 0, with data', expiring: 0, quiet: true },
  ];
  for (const c of cases) {
    let reference: Outcome | undefined;
    test(`redis-server → redis-server, ${c.name} (the reference)`, async () => {
      reference = await restartMaster('redis', 'redis', c.expiring, c.quiet);
    });
    for (const [m, r] of [
      ['tsredis', 'tsredis'],
      ['tsredis', 'redis'],
    ] as const) {
      test(`${m} → ${r}, ${c.name}`, async () => {
        assert.ok(reference !== undefined, 'the reference run failed');
        assert.deepEqual(await restartMaster(m, r, c.expiring, c.quiet), reference);
      });
    }
  }
});
