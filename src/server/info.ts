/**
 * INFO: Redis 7.0's sections, field names and order (genRedisInfoString). Figures that belong to
 * replication and persistence come from the status objects those parts install on server.admin.
 */
import { arch, machine, type as osType, release, totalmem } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { CommandDef } from '../core/command-table.js';
import { nowUsec } from '../lib/clock.js';
import { REDIS_VERSION, TSREDIS_VERSION } from '../lib/version.js';
import type { Server } from './server.js';

type Field = [string, string | number];

/** Sections in output order; the default set is what INFO without arguments prints. */
const SECTIONS = [
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'modules',
  'commandstats',
  'errorstats',
  'latencystats',
  'cluster',
  'keyspace',
] as const;
type Section = (typeof SECTIONS)[number];
const DEFAULT_SECTIONS: ReadonlySet<string> = new Set([
  'server',
  'clients',
  'memory',
  'persistence',
  'stats',
  'replication',
  'cpu',
  'module_list',
  'errorstats',
  'cluster',
  'keyspace',
]);
const TITLES: Record<Section, string> = {
  server: 'Server',
  clients: 'Clients',
  memory: 'Memory',
  persistence: 'Persistence',
  stats: 'Stats',
  replication: 'Replication',
  cpu: 'CPU',
  modules: 'Modules',
  commandstats: 'Commandstats',
  errorstats: 'Errorstats',
  latencystats: 'Latencystats',
  cluster: 'Cluster',
  keyspace: 'Keyspace',
};

/** INFO's argument handling (genInfoSectionDict): names, "default", "all", "everything". */
export function selectSections(args: readonly string[]): Set<Section> {
  let wanted: Set<string>;
  let all = false;
  if (args.length === 0) {
    wanted = new Set(DEFAULT_SECTIONS);
  } else {
    wanted = new Set();
    for (const arg of args) {
      const name = arg.toLowerCase();
      if (name === 'default') for (const s of DEFAULT_SECTIONS) wanted.add(s);
      else if (name === 'all' || name === 'everything') all = true;
      else wanted.add(name);
    }
  }
  const out = new Set<Section>();
  for (const s of SECTIONS) {
    if (all || wanted.has(s) || (s === 'modules' && wanted.has('module_list'))) out.add(s);
  }
  return out;
}

export function generateInfo(server: Server, args: readonly string[]): string {
  const parts: string[] = [];
  for (const section of selectSections(args)) {
    let text = `# ${TITLES[section]}\r\n`;
    for (const [name, value] of sectionFields(server, section)) text += `${name}:${value}\r\n`;
    parts.push(text);
  }
  return parts.join('\r\n');
}

function sectionFields(server: Server, section: Section): Field[] {
  switch (section) {
    case 'server':
      return serverFields(server);
    case 'clients':
      return clientFields(server);
    case 'memory':
      return memoryFields(server);
    case 'persistence':
      return server.persistence.infoFields();
    case 'stats':
      return statsFields(server);
    case 'replication':
      return server.replication.infoFields();
    case 'cpu':
      return cpuFields();
    case 'modules':
      return [];
    case 'commandstats':
      return commandStatsFields(server);
    case 'errorstats':
      return [...server.stats.errors.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([code, count]): Field => [`errorstat_${code}`, `count=${count}`]);
    case 'latencystats':
      return latencyStatsFields(server);
    case 'cluster':
      return [['cluster_enabled', 0]];
    case 'keyspace':
      return keyspaceFields(server);
  }
}

function serverFields(server: Server): Field[] {
  const now = Date.now();
  const uptime = Math.floor((now - server.admin.startTime) / 1000);
  const hz = server.config.num('hz');
  return [
    ['redis_version', REDIS_VERSION],
    ['tsredis_version', TSREDIS_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', BUILD_ID],
    ['redis_mode', 'standalone'],
    ['os', `${osType()} ${release()} ${machine()}`],
    ['arch_bits', arch().endsWith('64') ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    [
      'multiplexing_api',
      process.platform === 'linux' ? 'epoll' : process.platform === 'darwin' ? 'kqueue' : 'evport',
    ],
    ['atomicvar_api', 'c11-builtin'],
    ['gcc_version', '0.0.0'],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', server.runId],
    ['tcp_port', server.port],
    ['server_time_usec', nowUsec()],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', hz],
    ['configured_hz', hz],
    ['lru_clock', Math.floor(now / 1000) & 0xffffff],
    ['executable', process.argv[1] === undefined ? '' : resolvePath(process.argv[1])],
    ['config_file', server.config.file ?? ''],
    ['io_threads_active', 0],
  ];
}

const BUILD_ID = 'a5b7e4d1f0c2e98';

function clientFields(server: Server): Field[] {
  let connected = 0;
  let maxInput = 0;
  let maxOutput = 0;
  for (const c of server.clients.values()) {
    if (c.clientType() !== 'replica') connected++;
    const input = c.parser.buffered;
    if (input > maxInput) maxInput = input;
    const output = c.reply.size + (c.socket?.writableLength ?? 0);
    if (output > maxOutput) maxOutput = output;
  }
  return [
    ['connected_clients', connected],
    ['cluster_connections', 0],
    ['maxclients', server.config.num('maxclients')],
    ['client_recent_max_input_buffer', maxInput],
    ['client_recent_max_output_buffer', maxOutput],
    // Clients held by CLIENT PAUSE are not counted, as in Redis.
    ['blocked_clients', server.blocking.blockedCount],
    ['tracking_clients', server.tracking.stats().clients],
    ['clients_in_timeout_table', 0],
  ];
}

/** Redis's bytesToHuman: B, K, M, G, T, P with two decimals. */
export function bytesToHuman(n: number): string {
  const units = ['K', 'M', 'G', 'T', 'P'];
  if (n < 1024) return `${n}B`;
  let scale = 1024;
  for (const unit of units) {
    if (n < scale * 1024) return `${fixed2(n / scale)}${unit}`;
    scale *= 1024;
  }
  return `${n}B`;
}

/** printf("%.2f"): C rounds an exact tie to even, where toFixed rounds it up. */
export function fixed2(x: number): string {
  const scaled = x * 100;
  const floor = Math.floor(scaled);
  if (scaled - floor === 0.5) return ((floor % 2 === 0 ? floor : floor + 1) / 100).toFixed(2);
  return x.toFixed(2);
}

function ratio(a: number, b: number): string {
  return b === 0 ? '0.00' : fixed2(a / b);
}

/**
 * used_memory and the figures derived from it come from the eviction estimate (server/eviction.ts),
 * the one maxmemory is compared with; the allocator_* fields show V8's own view (heap used plus
 * external memory, heap reserved, resident set), as Redis shows jemalloc's next to zmalloc's.
 */
function memoryFields(server: Server): Field[] {
  const evictor = server.evictor;
  const m = evictor.memory();
  const v8Memory = process.memoryUsage();
  const heap = getHeapStatistics();
  const guard = server.heapGuard;
  const maxmemory = evictor.maxmemory;
  const overhead = m.used - m.dataset;
  const netUsed = m.used - m.startup;
  let normalClients = 0;
  for (const c of server.clients.values()) {
    if (c.clientType() !== 'replica') normalClients += c.memoryStats().omem;
  }
  const scripts = server.scripting.memory();
  const rss = v8Memory.rss;
  const allocated = v8Memory.heapUsed + v8Memory.external;
  const active = v8Memory.heapTotal + v8Memory.external;
  const resident = rss;
  return [
    ['used_memory', m.used],
    ['used_memory_human', bytesToHuman(m.used)],
    ['used_memory_rss', rss],
    ['used_memory_rss_human', bytesToHuman(rss)],
    ['used_memory_peak', m.peak],
    ['used_memory_peak_human', bytesToHuman(m.peak)],
    ['used_memory_peak_perc', `${fixed2(m.peak === 0 ? 0 : (m.used * 100) / m.peak)}%`],
    ['used_memory_overhead', overhead],
    ['used_memory_startup', m.startup],
    ['used_memory_dataset', m.dataset],
    ['used_memory_dataset_perc', `${fixed2(netUsed <= 0 ? 0 : (m.dataset * 100) / netUsed)}%`],
    ['allocator_allocated', allocated],
    ['allocator_active', active],
    ['allocator_resident', resident],
    ['total_system_memory', totalmem()],
    ['total_system_memory_human', bytesToHuman(totalmem())],
    ['used_memory_lua', scripts.vm],
    ['used_memory_vm_eval', scripts.vm],
    ['used_memory_lua_human', bytesToHuman(scripts.vm)],
    ['used_memory_scripts_eval', scripts.scripts],
    ['number_of_cached_scripts', server.scripting.cachedScripts],
    ['number_of_functions', server.scripting.functions.functionCount],
    ['number_of_libraries', server.scripting.functions.libraryCount],
    ['used_memory_vm_functions', scripts.functionsVm],
    ['used_memory_vm_total', scripts.vm + scripts.functionsVm],
    ['used_memory_vm_total_human', bytesToHuman(scripts.vm + scripts.functionsVm)],
    ['used_memory_functions', scripts.functions],
    ['used_memory_scripts', scripts.scripts + scripts.functions],
    ['used_memory_scripts_human', bytesToHuman(scripts.scripts + scripts.functions)],
    ['maxmemory', maxmemory],
    ['maxmemory_human', bytesToHuman(maxmemory)],
    ['maxmemory_policy', evictor.policy],
    ['allocator_frag_ratio', ratio(active, allocated)],
    ['allocator_frag_bytes', active - allocated],
    ['allocator_rss_ratio', ratio(resident, active)],
    ['allocator_rss_bytes', resident - active],
    ['rss_overhead_ratio', ratio(rss, resident)],
    ['rss_overhead_bytes', rss - resident],
    ['mem_fragmentation_ratio', ratio(rss, m.used)],
    ['mem_fragmentation_bytes', rss - m.used],
    ['mem_not_counted_for_evict', evictor.notCountedForEvict],
    ['mem_replication_backlog', m.backlog],
    ['mem_total_replication_buffers', m.backlog + m.replicas],
    ['mem_clients_slaves', m.replicas],
    ['mem_clients_normal', normalClients],
    ['mem_cluster_links', 0],
    ['mem_aof_buffer', 0],
    ['mem_allocator', 'libc'],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', 0],
    // tsredis's own: the V8 heap's limit and the ceiling past which writes get -OOM (heap-guard.ts).
    ['heap_used', heap.used_heap_size],
    ['heap_used_human', bytesToHuman(heap.used_heap_size)],
    // Packed keys and string values, outside the heap but counted against its ceiling (store/string-arena.ts).
    ['heap_arenas', server.keyspace.arenaBytes],
    ['heap_arenas_human', bytesToHuman(server.keyspace.arenaBytes)],
    ['heap_limit', guard.limit],
    ['heap_limit_human', bytesToHuman(guard.limit)],
    ['heap_limit_source', guard.source],
    ['heap_ceiling', guard.ceiling],
    ['heap_oom', guard.over ? 1 : 0],
  ];
}

function statsFields(server: Server): Field[] {
  const s = server.stats;
  const ks = server.keyspace;
  const repl = server.replication.counters();
  const exceeded = server.evictor.exceededTime();
  return [
    ['total_connections_received', s.totalConnections],
    ['total_commands_processed', s.totalCommands],
    ['instantaneous_ops_per_sec', Math.floor(s.instantaneous('commands'))],
    ['total_net_input_bytes', s.netInputBytes],
    ['total_net_output_bytes', s.netOutputBytes],
    ['total_net_repl_input_bytes', repl.netReplInputBytes],
    ['total_net_repl_output_bytes', repl.netReplOutputBytes],
    ['instantaneous_input_kbps', fixed2(s.instantaneous('net_input') / 1024)],
    ['instantaneous_output_kbps', fixed2(s.instantaneous('net_output') / 1024)],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', s.rejectedConnections],
    ['sync_full', repl.syncFull],
    ['sync_partial_ok', repl.syncPartialOk],
    ['sync_partial_err', repl.syncPartialErr],
    ['expired_keys', ks.expiredKeys],
    ['expired_stale_perc', fixed2((ks.expiredStalePerc ?? 0) * 100)],
    ['expired_time_cap_reached_count', ks.expiredTimeCapReachedCount ?? 0],
    ['expire_cycle_cpu_milliseconds', Math.floor((ks.expireCycleTimeUsedUs ?? 0) / 1000)],
    ['evicted_keys', ks.evictedKeys],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', exceeded[0]],
    ['current_eviction_exceeded_time', exceeded[1]],
    ['keyspace_hits', ks.hits],
    ['keyspace_misses', ks.misses],
    ['pubsub_channels', server.pubsub.channels.size],
    ['pubsub_patterns', server.pubsub.patterns.size],
    ['pubsubshard_channels', server.pubsub.shardChannels.size],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', server.tracking.stats().keys],
    ['tracking_total_items', server.tracking.stats().items],
    ['tracking_total_prefixes', server.tracking.stats().prefixes],
    ['unexpected_error_replies', s.unexpectedErrors],
    ['total_error_replies', s.totalErrorReplies],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', s.readsProcessed],
    ['total_writes_processed', s.writesProcessed],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
  ];
}

/** "%ld.%06ld" seconds of CPU time from microseconds. */
function cpuSeconds(usec: number): string {
  return `${Math.floor(usec / 1e6)}.${String(usec % 1e6).padStart(6, '0')}`;
}

function cpuFields(): Field[] {
  const cpu = process.cpuUsage();
  return [
    ['used_cpu_sys', cpuSeconds(cpu.system)],
    ['used_cpu_user', cpuSeconds(cpu.user)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', cpuSeconds(cpu.system)],
    ['used_cpu_user_main_thread', cpuSeconds(cpu.user)],
  ];
}

/** Every command then its subcommands, as Redis walks its command table. */
function* commandsWithSubcommands(server: Server): Iterable<CommandDef> {
  for (const cmd of server.commands.all()) {
    yield cmd;
    if (cmd.subcommands !== null) yield* cmd.subcommands.values();
  }
}

/** Redis's getSafeInfoString: INFO field names cannot contain ':' or newlines. */
function safeName(name: string): string {
  return name.replace(/[:\r\n]/g, '_');
}

function commandStatsFields(server: Server): Field[] {
  const out: Field[] = [];
  for (const cmd of commandsWithSubcommands(server)) {
    if (cmd.calls === 0 && cmd.failedCalls === 0 && cmd.rejectedCalls === 0) continue;
    const perCall = cmd.calls === 0 ? 0 : cmd.usec / cmd.calls;
    out.push([
      `cmdstat_${safeName(cmd.name)}`,
      `calls=${cmd.calls},usec=${cmd.usec},usec_per_call=${fixed2(perCall)},rejected_calls=${cmd.rejectedCalls},failed_calls=${cmd.failedCalls}`,
    ]);
  }
  return out;
}

/** latency-tracking-info-percentiles, as numbers (Redis's default: 50 99 99.9). */
function trackedPercentiles(server: Server): number[] {
  const v = server.config.get('latency-tracking-info-percentiles');
  if (Array.isArray(v)) return v.map(Number);
  if (typeof v === 'string') return v.split(/\s+/).filter(Boolean).map(Number);
  return [50, 99, 99.9];
}

/** "%f" then trailing zeros trimmed (trimDoubleString): 50 -> "50", 99.9 -> "99.9". */
function percentileLabel(p: number): string {
  return p.toFixed(6).replace(/\.?0+$/, '');
}

function latencyStatsFields(server: Server): Field[] {
  if (server.config.get('latency-tracking') === false) return [];
  const percentiles = trackedPercentiles(server);
  const out: Field[] = [];
  for (const cmd of commandsWithSubcommands(server)) {
    const h = server.admin.histograms.get(cmd);
    if (h === undefined) continue;
    const values = percentiles.map(
      (p) => `p${percentileLabel(p)}=${(h.valueAtPercentile(p) / 1000).toFixed(3)}`,
    );
    out.push([`latency_percentiles_usec_${safeName(cmd.name)}`, values.join(',')]);
  }
  return out;
}

function keyspaceFields(server: Server): Field[] {
  const out: Field[] = [];
  for (const db of server.keyspace.dbs) {
    const keys = db.size;
    const expires = db.expiresCount;
    if (keys === 0 && expires === 0) continue;
    out.push([`db${db.id}`, `keys=${keys},expires=${expires},avg_ttl=${Math.trunc(db.avgTtl)}`]);
  }
  return out;
}
