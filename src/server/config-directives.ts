/**
 * Every directive redis-server 7.0.15 accepts, with Redis's types, bounds, enum values, flags,
 * CONFIG GET formatting and CONFIG REWRITE lines. Bounds and messages were checked against the
 * real binary (each directive probed with bad, negative and huge values). `implemented: false`
 * directives are accepted, stored and shown (so a stock redis.conf loads) but have no effect.
 */
import {
  bool,
  type Directive,
  DirectiveError,
  type EnumValues,
  flags,
  INT_MAX,
  INT_MIN,
  int,
  LLONG_MAX,
  mem,
  octal,
  oneOf,
  percent,
  str,
  UINT_MAX,
  ULLONG_MAX,
} from './config-directive.js';
import { REFUSALS } from './config-refusals.js';
import {
  bind,
  clientOutputBufferLimit,
  dir,
  fileName,
  latencyTrackingInfoPercentiles,
  notifyKeyspaceEvents,
  oomScoreAdjValues,
  replicaof,
  save,
  validHostname,
  validProcTitleTemplate,
} from './config-special.js';

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const YES_NO_LOCAL = [
  ['no', 0],
  ['yes', 1],
  ['local', 2],
] as const;

const on = { implemented: true } as const;

export const DIRECTIVES: Directive[] = [
  // Implemented: networking, clients, process.
  int('port', '6379', 0n, 65535n, on),
  bind,
  bool('protected-mode', 'yes', on),
  str('unixsocket', '', { immutable: true, emptyIsNull: true, ...on }),
  octal('unixsocketperm', '0', 0n, 0o777n, { immutable: true, ...on }),
  str('requirepass', '', { emptyIsNull: true, ...on }),
  int('databases', '16', 1n, INT_MAX, { immutable: true, ...on }),
  int('maxclients', '10000', 1n, UINT_MAX, on),
  int('timeout', '0', 0n, INT_MAX, on),
  int('tcp-keepalive', '300', 0n, INT_MAX, on),
  int('tcp-backlog', '511', 0n, INT_MAX, { immutable: true, ...on }),
  bool('daemonize', 'no', { immutable: true, ...on }),
  str('pidfile', '', { immutable: true, emptyIsNull: true, ...on }),
  str('logfile', '', { immutable: true, ...on }),
  oneOf(
    'loglevel',
    'notice',
    [
      ['debug', 0],
      ['verbose', 1],
      ['notice', 2],
      ['warning', 3],
    ],
    on,
  ),
  dir,
  mem('proto-max-bulk-len', '536870912', 1048576n, LLONG_MAX, on),
  mem('client-query-buffer-limit', '1073741824', 1048576n, LLONG_MAX, on),
  int('hz', '10', 0n, INT_MAX, on),
  bool('always-show-logo', 'no', { immutable: true, ...on }),
  int('slowlog-log-slower-than', '10000', -1n, LLONG_MAX, on),
  int('slowlog-max-len', '128', 0n, LLONG_MAX, on),
  notifyKeyspaceEvents,

  // Accepted for compatibility.
  oneOf(
    'acl-pubsub-default',
    'resetchannels',
    [
      ['allchannels', 1],
      ['resetchannels', 0],
    ],
    on,
  ),
  str('aclfile', '', { immutable: true, ...on }),
  int('acllog-max-len', '128', 0n, LLONG_MAX, on),
  int('active-defrag-cycle-max', '25', 1n, 99n),
  int('active-defrag-cycle-min', '1', 1n, 99n),
  mem('active-defrag-ignore-bytes', '104857600', 1n, LLONG_MAX),
  int('active-defrag-max-scan-fields', '1000', 1n, LLONG_MAX),
  int('active-defrag-threshold-lower', '10', 0n, 1000n),
  int('active-defrag-threshold-upper', '100', 0n, 1000n),
  int('active-expire-effort', '1', 1n, 10n, on),
  bool('activedefrag', 'no'),
  bool('activerehashing', 'yes'),
  bool('aof-disable-auto-gc', 'no', on),
  bool('aof-load-truncated', 'yes', on),
  bool('aof-rewrite-incremental-fsync', 'yes'),
  bool('aof-timestamp-enabled', 'no', on),
  bool('aof-use-rdb-preamble', 'yes', on),
  str('aof_rewrite_cpulist', '', { immutable: true, emptyIsNull: true }),
  str('appenddirname', 'appendonlydir', {
    immutable: true,
    ...on,
    validate: fileName('appenddirname', 'dirname', false),
  }),
  str('appendfilename', 'appendonly.aof', {
    immutable: true,
    ...on,
    validate: fileName('appendfilename', 'filename', false),
  }),
  oneOf(
    'appendfsync',
    'everysec',
    [
      ['everysec', 1],
      ['always', 2],
      ['no', 0],
    ],
    on,
  ),
  bool('appendonly', 'no', on),
  mem('auto-aof-rewrite-min-size', '67108864', 0n, LLONG_MAX, on),
  int('auto-aof-rewrite-percentage', '100', 0n, INT_MAX, on),
  str('bgsave_cpulist', '', { immutable: true, emptyIsNull: true }),
  str('bind-source-addr', '', { emptyIsNull: true, ...on }),
  str('bio_cpulist', '', { immutable: true, emptyIsNull: true }),
  int('busy-reply-threshold', '5000', 0n, LLONG_MAX, { aliases: ['lua-time-limit'], ...on }),
  clientOutputBufferLimit,
  bool('cluster-allow-pubsubshard-when-down', 'yes'),
  bool('cluster-allow-reads-when-down', 'no'),
  bool('cluster-allow-replica-migration', 'yes'),
  int('cluster-announce-bus-port', '0', 0n, 65535n),
  str('cluster-announce-hostname', '', { emptyIsNull: true, validate: validHostname }),
  str('cluster-announce-ip', '', { emptyIsNull: true }),
  int('cluster-announce-port', '0', 0n, 65535n),
  int('cluster-announce-tls-port', '0', 0n, 65535n),
  str('cluster-config-file', 'nodes.conf', { immutable: true }),
  bool('cluster-enabled', 'no', { immutable: true }),
  mem('cluster-link-sendbuf-limit', '0', 0n, ULLONG_MAX),
  int('cluster-migration-barrier', '1', 0n, INT_MAX),
  int('cluster-node-timeout', '15000', 0n, LLONG_MAX),
  int('cluster-port', '0', 0n, 65535n, { immutable: true }),
  oneOf('cluster-preferred-endpoint-type', 'ip', [
    ['ip', 0],
    ['hostname', 1],
    ['unknown-endpoint', 2],
  ]),
  bool('cluster-replica-no-failover', 'no', { aliases: ['cluster-slave-no-failover'] }),
  int('cluster-replica-validity-factor', '10', 0n, INT_MAX, { aliases: ['cluster-slave-validity-factor'] }),
  bool('cluster-require-full-coverage', 'yes'),
  bool('crash-log-enabled', 'yes'),
  bool('crash-memcheck-enabled', 'yes'),
  str('dbfilename', 'dump.rdb', {
    protected: true,
    ...on,
    validate: fileName('dbfilename', 'filename', true),
  }),
  bool('disable-thp', 'yes', { immutable: true }),
  bool('dynamic-hz', 'yes'),
  oneOf('enable-debug-command', 'no', YES_NO_LOCAL, { ...on, immutable: true }),
  oneOf('enable-module-command', 'no', YES_NO_LOCAL, { ...on, immutable: true }),
  oneOf('enable-protected-configs', 'no', YES_NO_LOCAL, { ...on, immutable: true }),
  int('hash-max-listpack-entries', '512', 0n, LLONG_MAX, { ...on, aliases: ['hash-max-ziplist-entries'] }),
  mem('hash-max-listpack-value', '64', 0n, LLONG_MAX, { ...on, aliases: ['hash-max-ziplist-value'] }),
  mem('hll-sparse-max-bytes', '3000', 0n, LLONG_MAX, on),
  str('ignore-warnings', ''),
  int('io-threads', '1', 1n, 128n, { immutable: true }),
  bool('io-threads-do-reads', 'no', { immutable: true }),
  bool('jemalloc-bg-thread', 'yes'),
  int('latency-monitor-threshold', '0', 0n, LLONG_MAX, on),
  bool('latency-tracking', 'yes', on),
  latencyTrackingInfoPercentiles,
  bool('lazyfree-lazy-eviction', 'no', on),
  bool('lazyfree-lazy-expire', 'no', on),
  bool('lazyfree-lazy-server-del', 'no', on),
  bool('lazyfree-lazy-user-del', 'no', on),
  bool('lazyfree-lazy-user-flush', 'no'),
  int('lfu-decay-time', '1', 0n, INT_MAX, on),
  int('lfu-log-factor', '10', 0n, INT_MAX, on),
  int('list-compress-depth', '0', 0n, INT_MAX),
  int('list-max-listpack-size', '-2', INT_MIN, INT_MAX, { ...on, aliases: ['list-max-ziplist-size'] }),
  str('masterauth', '', { emptyIsNull: true, ...on }),
  str('masteruser', '', { emptyIsNull: true, ...on }),
  mem('maxmemory', '0', 0n, ULLONG_MAX, on),
  percent('maxmemory-clients', '0'),
  int('maxmemory-eviction-tenacity', '10', 0n, 100n, on),
  oneOf(
    'maxmemory-policy',
    'noeviction',
    [
      ['volatile-lru', 1],
      ['volatile-lfu', 2],
      ['volatile-random', 3],
      ['volatile-ttl', 4],
      ['allkeys-lru', 5],
      ['allkeys-lfu', 6],
      ['allkeys-random', 7],
      ['noeviction', 8],
    ],
    on,
  ),
  int('maxmemory-samples', '5', 1n, INT_MAX, on),
  int('min-replicas-max-lag', '10', 0n, INT_MAX, { aliases: ['min-slaves-max-lag'], ...on }),
  int('min-replicas-to-write', '0', 0n, INT_MAX, { aliases: ['min-slaves-to-write'], ...on }),
  bool('no-appendfsync-on-rewrite', 'no', on),
  oneOf('oom-score-adj', 'no', [
    ['no', 0],
    ['yes', 1],
    ['relative', 1],
    ['absolute', 2],
  ]),
  oomScoreAdjValues,
  str('proc-title-template', '{title} {listen-addr} {server-mode}', {
    validate: (v) =>
      validProcTitleTemplate(v) ? null : 'template format is invalid or contains unknown variables',
  }),
  oneOf('propagation-error-behavior', 'ignore', [
    ['ignore', 0],
    ['panic', 1],
    ['panic-on-replicas', 2],
  ]),
  bool('rdb-del-sync-files', 'no'),
  bool('rdb-save-incremental-fsync', 'yes'),
  bool('rdbchecksum', 'yes', { immutable: true, ...on }),
  bool('rdbcompression', 'yes', on),
  mem('repl-backlog-size', '1048576', 1n, LLONG_MAX, on),
  int('repl-backlog-ttl', '3600', 0n, LLONG_MAX, on),
  bool('repl-disable-tcp-nodelay', 'no', on),
  oneOf(
    'repl-diskless-load',
    'disabled',
    [
      ['disabled', 0],
      ['on-empty-db', 1],
      ['swapdb', 2],
    ],
    on,
  ),
  bool('repl-diskless-sync', 'yes', on),
  int('repl-diskless-sync-delay', '5', 0n, INT_MAX, on),
  int('repl-diskless-sync-max-replicas', '0', 0n, INT_MAX, on),
  int('repl-ping-replica-period', '10', 1n, INT_MAX, { aliases: ['repl-ping-slave-period'], ...on }),
  int('repl-timeout', '60', 1n, INT_MAX, on),
  str('replica-announce-ip', '', { aliases: ['slave-announce-ip'], emptyIsNull: true, ...on }),
  int('replica-announce-port', '0', 0n, 65535n, { aliases: ['slave-announce-port'], ...on }),
  bool('replica-announced', 'yes', on),
  bool('replica-ignore-disk-write-errors', 'no'),
  bool('replica-ignore-maxmemory', 'yes', { ...on, aliases: ['slave-ignore-maxmemory'] }),
  bool('replica-lazy-flush', 'no', { aliases: ['slave-lazy-flush'] }),
  int('replica-priority', '100', 0n, INT_MAX, { aliases: ['slave-priority'], ...on }),
  bool('replica-read-only', 'yes', { aliases: ['slave-read-only'], ...on }),
  bool('replica-serve-stale-data', 'yes', { aliases: ['slave-serve-stale-data'], ...on }),
  replicaof,
  oneOf('sanitize-dump-payload', 'no', [
    ['no', 0],
    ['yes', 1],
    ['clients', 2],
  ]),
  save,
  str('server_cpulist', '', { immutable: true, emptyIsNull: true }),
  int('set-max-intset-entries', '512', 0n, LLONG_MAX, on),
  bool('set-proc-title', 'yes', { immutable: true }),
  flags('shutdown-on-sigint', 'default', SHUTDOWN_FLAGS(), on),
  flags('shutdown-on-sigterm', 'default', SHUTDOWN_FLAGS(), on),
  int('shutdown-timeout', '10', 0n, INT_MAX, on),
  int('socket-mark-id', '0', 0n, UINT_MAX, { immutable: true }),
  bool('stop-writes-on-bgsave-error', 'yes', on),
  mem('stream-node-max-bytes', '4096', 0n, LLONG_MAX, on),
  int('stream-node-max-entries', '100', 0n, LLONG_MAX, on),
  oneOf(
    'supervised',
    'no',
    [
      ['upstart', 1],
      ['systemd', 2],
      ['auto', 3],
      ['no', 0],
    ],
    { immutable: true },
  ),
  bool('syslog-enabled', 'no', { immutable: true }),
  oneOf(
    'syslog-facility',
    'local0',
    ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'].map(
      (n, i) => [n, i] as const,
    ),
    { immutable: true },
  ),
  str('syslog-ident', 'redis', { immutable: true }),
  oneOf(
    'tls-auth-clients',
    'yes',
    [
      ['no', 0],
      ['yes', 1],
      ['optional', 2],
    ],
    on,
  ),
  str('tls-ca-cert-dir', '', { emptyIsNull: true, ...on }),
  str('tls-ca-cert-file', '', { emptyIsNull: true, ...on }),
  str('tls-cert-file', '', { emptyIsNull: true, ...on }),
  str('tls-ciphers', '', { emptyIsNull: true, ...on }),
  str('tls-ciphersuites', '', { emptyIsNull: true, ...on }),
  str('tls-client-cert-file', '', { emptyIsNull: true, ...on }),
  str('tls-client-key-file', '', { emptyIsNull: true, ...on }),
  str('tls-client-key-file-pass', '', { emptyIsNull: true, ...on }),
  bool('tls-cluster', 'no'),
  str('tls-dh-params-file', '', { emptyIsNull: true, ...on }),
  str('tls-key-file', '', { emptyIsNull: true, ...on }),
  str('tls-key-file-pass', '', { emptyIsNull: true, ...on }),
  int('tls-port', '0', 0n, 65535n, on),
  bool('tls-prefer-server-ciphers', 'no', on),
  str('tls-protocols', '', { emptyIsNull: true, ...on }),
  bool('tls-replication', 'no', on),
  int('tls-session-cache-size', '20480', 0n, INT_MAX),
  int('tls-session-cache-timeout', '300', 0n, INT_MAX, on),
  bool('tls-session-caching', 'yes', on),
  int('tracking-table-max-keys', '1000000', 0n, LLONG_MAX, on),
  int('zset-max-listpack-entries', '128', 0n, LLONG_MAX, { ...on, aliases: ['zset-max-ziplist-entries'] }),
  mem('zset-max-listpack-value', '64', 0n, LLONG_MAX, { ...on, aliases: ['zset-max-ziplist-value'] }),

  // Hidden: CONFIG GET shows them only when asked by exact name.
  bool('use-exit-on-panic', 'no', { hidden: true }),
  int('rdb-key-save-delay', '0', INT_MIN, INT_MAX, { hidden: true, ...on }),
  int('key-load-delay', '0', INT_MIN, INT_MAX, { hidden: true, ...on }),
  int('watchdog-period', '0', 0n, INT_MAX, { hidden: true }),
  int('loading-process-events-interval-bytes', '2097152', 1024n, INT_MAX, { hidden: true }),
];

// Values tsredis cannot honour fail to parse, in config files and CONFIG SET alike.
for (const d of DIRECTIVES) {
  const refusal = REFUSALS[d.name];
  if (refusal === undefined) continue;
  const parse = d.parse.bind(d);
  d.parse = (args, ctx) => {
    const value = parse(args, ctx);
    const reason = refusal.check(value);
    if (reason !== null) throw new DirectiveError(reason);
    return value;
  };
}

function SHUTDOWN_FLAGS(): EnumValues {
  return [
    ['default', 0],
    ['save', 1],
    ['nosave', 2],
    ['now', 4],
    ['force', 8],
  ];
}

/**
 * Config-file-only directives (not CONFIG GET/SET): include, rename-command, user, loadmodule,
 * sentinel, and the ones Redis 7.0 still accepts and ignores.
 */
export const FILE_ONLY_DIRECTIVES = ['include', 'rename-command', 'user', 'loadmodule', 'sentinel'];
export const DEPRECATED_DIRECTIVES = [
  'list-max-ziplist-entries',
  'list-max-ziplist-value',
  'lua-replicate-commands',
];
