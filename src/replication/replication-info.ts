/** ROLE and INFO replication from the replication state, as Redis 7.0 prints them. */
import type { RoleInfo } from '../core/context.js';
import type { Replication } from './replication.js';

export function roleOf(repl: Replication): RoleInfo {
  if (repl.link !== null) {
    return {
      role: 'slave',
      masterHost: repl.link.host,
      masterPort: repl.link.port,
      state: repl.link.roleState,
      offset: repl.link.masterClient !== null ? repl.offset : -1,
    };
  }
  return {
    role: 'master',
    offset: repl.offset,
    replicas: [...repl.master.replicas.values()]
      .filter((r) => r.state === 'online')
      .map((r) => ({ ip: r.ip, port: r.listeningPort, offset: r.ackOffset })),
  };
}

/** INFO replication's fields, in Redis's order (the stream is flushed first by the caller). */
export function infoFieldsOf(repl: Replication): Array<[string, string | number]> {
  const cfg = repl.server.config;
  const f: Array<[string, string | number]> = [['role', repl.isReplica ? 'slave' : 'master']];
  const link = repl.link;
  if (link !== null) {
    const readOffset = link.masterClient !== null ? link.readOffset : repl.canPartialResync ? repl.offset : 1;
    const applied = link.masterClient !== null || repl.canPartialResync ? repl.offset : 1;
    f.push(
      ['master_host', link.host],
      ['master_port', link.port],
      ['master_link_status', link.state === 'connected' ? 'up' : 'down'],
      ['master_last_io_seconds_ago', link.state === 'connected' ? link.lastIoSecondsAgo : -1],
      ['master_sync_in_progress', link.state === 'transfer' ? 1 : 0],
      ['slave_read_repl_offset', readOffset],
      ['slave_repl_offset', applied],
    );
    if (link.state === 'transfer') {
      const total = link.transferSize;
      const read = link.transferRead;
      f.push(
        ['master_sync_total_bytes', total],
        ['master_sync_read_bytes', read],
        ['master_sync_left_bytes', total > 0 ? total - read : -1],
        ['master_sync_perc', (total > 0 ? (read / total) * 100 : 0).toFixed(2)],
        ['master_sync_last_io_seconds_ago', link.lastIoSecondsAgo],
      );
    }
    if (link.state !== 'connected') {
      f.push([
        'master_link_down_since_seconds',
        link.downSince > 0 ? Math.floor((Date.now() - link.downSince) / 1000) : -1,
      ]);
      // Not a Redis field: why the link is down, in plain words (the seed's bind pitfall and friends).
      if (link.lastError !== '') f.push(['master_link_down_reason', link.lastError]);
    }
    f.push(
      ['slave_priority', cfg.num('replica-priority')],
      ['slave_read_only', cfg.bool('replica-read-only') ? 1 : 0],
      ['replica_announced', cfg.bool('replica-announced') ? 1 : 0],
    );
  }
  f.push(['connected_slaves', repl.master.replicas.size]);
  if (cfg.num('min-replicas-to-write') > 0 && cfg.num('min-replicas-max-lag') > 0) {
    f.push(['min_slaves_good_slaves', repl.goodReplicas]);
  }
  let i = 0;
  const now = Date.now();
  for (const r of repl.master.replicas.values()) {
    const lag = r.state === 'online' ? Math.floor(now / 1000) - Math.floor(r.ackTime / 1000) : 0;
    f.push([
      `slave${i++}`,
      `ip=${r.ip},port=${r.listeningPort},state=${r.state},offset=${r.ackOffset},lag=${lag}`,
    ]);
  }
  const b = repl.backlog;
  f.push(
    ['master_failover_state', repl.failoverState],
    ['master_replid', repl.replid],
    ['master_replid2', repl.replid2],
    ['master_repl_offset', repl.offset],
    ['second_repl_offset', repl.secondReplOffset],
    ['repl_backlog_active', b !== null ? 1 : 0],
    ['repl_backlog_size', cfg.num('repl-backlog-size')],
    ['repl_backlog_first_byte_offset', b !== null ? b.firstByteOffset : 0],
    ['repl_backlog_histlen', b !== null ? b.histlen : 0],
  );
  return f;
}
