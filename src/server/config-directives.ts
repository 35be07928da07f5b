/**
 * Every directive redis-server 7.0 accepts, with its type, default and bounds as in Redis's
 * config.c. `implemented: false` directives are accepted (so a stock redis.conf loads) and logged
 * once as accepted-but-ignored.
 */

export type DirectiveKind =
  | { type: 'bool' }
  | { type: 'int'; min: number; max: number }
  | { type: 'memory'; min: number; max: number }
  | { type: 'enum'; values: string[]; multi?: boolean }
  | { type: 'string' }
  | { type: 'special'; parse: (args: string[]) => unknown; format: (value: unknown) => string };

export interface Directive {
  name: string;
  /** Old names (slaveof, slave-read-only, …) that map to this directive. */
  aliases?: string[];
  kind: DirectiveKind;
  /** Default as written in a config file. */
  default: string;
  /** Cannot be changed by CONFIG SET. */
  immutable?: boolean;
  /** Does something in tsredis (otherwise accepted and ignored). */
  implemented: boolean;
  /** Not shown by CONFIG GET * (e.g. aliases are shown separately). */
  hidden?: boolean;
}

const bool = { type: 'bool' } as const;
const str = { type: 'string' } as const;
const int = (min: number, max: number): DirectiveKind => ({ type: 'int', min, max });
const mem = (min: number, max: number): DirectiveKind => ({ type: 'memory', min, max });
const oneOf = (...values: string[]): DirectiveKind => ({ type: 'enum', values });
const INT_MAX = 2147483647;
const LONG_MAX = Number.MAX_SAFE_INTEGER;

export class DirectiveError extends Error {}

function parseSave(args: string[]): Array<[number, number]> {
  if (args.length === 1 && args[0] === '') return [];
  if (args.length % 2 !== 0) throw new DirectiveError('Invalid save parameters');
  const out: Array<[number, number]> = [];
  for (let i = 0; i < args.length; i += 2) {
    const seconds = Number(args[i]);
    const changes = Number(args[i + 1]);
    if (!/^\d+$/.test(args[i]) || !/^\d+$/.test(args[i + 1]))
      throw new DirectiveError('Invalid save parameters');
    out.push([seconds, changes]);
  }
  return out;
}

export const DIRECTIVES: Directive[] = [
  { name: 'port', kind: int(0, 65535), default: '6379', implemented: true },
  {
    name: 'bind',
    kind: { type: 'special', parse: (a) => a, format: (v) => (v as string[]).join(' ') },
    default: '* -::*',
    implemented: true,
  },
  { name: 'protected-mode', kind: bool, default: 'yes', implemented: true },
  { name: 'unixsocket', kind: str, default: '', immutable: true, implemented: true },
  {
    name: 'unixsocketperm',
    kind: {
      type: 'special',
      parse: (a) => {
        if (a.length !== 1 || !/^[0-7]+$/.test(a[0]))
          throw new DirectiveError('Invalid socket file permissions');
        return Number.parseInt(a[0], 8);
      },
      format: (v) => (v as number).toString(8),
    },
    default: '0',
    immutable: true,
    implemented: true,
  },
  { name: 'requirepass', kind: str, default: '', implemented: true },
  { name: 'databases', kind: int(1, INT_MAX), default: '16', immutable: true, implemented: true },
  { name: 'maxclients', kind: int(1, INT_MAX), default: '10000', implemented: true },
  { name: 'timeout', kind: int(0, INT_MAX), default: '0', implemented: true },
  { name: 'tcp-keepalive', kind: int(0, INT_MAX), default: '300', implemented: true },
  { name: 'daemonize', kind: bool, default: 'no', immutable: true, implemented: true },
  { name: 'pidfile', kind: str, default: '', immutable: true, implemented: true },
  { name: 'logfile', kind: str, default: '', immutable: true, implemented: true },
  {
    name: 'loglevel',
    kind: oneOf('debug', 'verbose', 'notice', 'warning', 'nothing'),
    default: 'notice',
    implemented: true,
  },
  { name: 'dir', kind: str, default: '', implemented: true },
  { name: 'proto-max-bulk-len', kind: mem(1024 * 1024, LONG_MAX), default: '512mb', implemented: true },
  { name: 'client-query-buffer-limit', kind: mem(1024 * 1024, LONG_MAX), default: '1gb', implemented: true },
  { name: 'hz', kind: int(0, INT_MAX), default: '10', implemented: true },
  { name: 'always-show-logo', kind: bool, default: 'no', immutable: true, implemented: true },
  {
    name: 'save',
    kind: {
      type: 'special',
      parse: parseSave,
      format: (v) => (v as Array<[number, number]>).map(([s, c]) => `${s} ${c}`).join(' '),
    },
    default: '3600 1 300 100 60 10000',
    implemented: false,
  },
  { name: 'appendonly', kind: bool, default: 'no', implemented: false },
  {
    name: 'maxmemory-policy',
    kind: oneOf(
      'volatile-lru',
      'volatile-lfu',
      'volatile-random',
      'volatile-ttl',
      'allkeys-lru',
      'allkeys-lfu',
      'allkeys-random',
      'noeviction',
    ),
    default: 'noeviction',
    implemented: false,
  },
  { name: 'maxmemory', kind: mem(0, LONG_MAX), default: '0', implemented: false },
  { name: 'replicaof', aliases: ['slaveof'], kind: str, default: '', implemented: false },
  { name: 'slowlog-log-slower-than', kind: int(-1, LONG_MAX), default: '10000', implemented: true },
  { name: 'slowlog-max-len', kind: int(0, LONG_MAX), default: '128', implemented: true },
  { name: 'notify-keyspace-events', kind: str, default: '', implemented: false },
];
