/**
 * The directives with a syntax of their own (save, client-output-buffer-limit, bind, replicaof,
 * notify-keyspace-events, dir …) and the validators some string directives use.
 */
import type { OutputBufferLimit } from '../core/output-limit.js';
import { strerror } from '../lib/errno.js';
import { parseDouble } from '../lib/numbers.js';
import { quoteRepr } from '../protocol/split-args.js';
import {
  base,
  cstr,
  type Directive,
  DirectiveError,
  formatMemoryForRewrite,
  memtoull,
  strtollWhole,
  toInt32,
} from './config-directive.js';

// ---------------------------------------------------------------------------------------------
// Validators
// ---------------------------------------------------------------------------------------------

const isBaseName = (v: string) => !v.includes('/');

export const fileName = (what: string, kind: string, allowEmpty: boolean) => (v: string) => {
  if (!allowEmpty && v === '') return `${what} can't be empty`;
  return isBaseName(v) ? null : `${what} can't be a path, just a ${kind}`;
};

const PROC_TITLE_VARIABLES = new Set([
  'title',
  'listen-addr',
  'server-mode',
  'port',
  'tls-port',
  'unixsocket',
  'config-file',
]);

/** proc-title-template: {variables} must be known and balanced, {{ and }} are literal braces. */
export function validProcTitleTemplate(t: string): boolean {
  let out = '';
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '{') {
      if (t[i + 1] === '{') {
        out += '{';
        i++;
        continue;
      }
      const end = t.indexOf('}', i + 1);
      if (end < 0 || !PROC_TITLE_VARIABLES.has(t.slice(i + 1, end))) return false;
      out += 'x';
      i = end;
    } else if (c === '}' && t[i + 1] === '}') {
      out += '}';
      i++;
    } else {
      out += c;
    }
  }
  return out.trim() !== '';
}

export function validHostname(v: string): string | null {
  if (v.length >= 256) return 'Hostnames must be less than 256 characters';
  if (!/^[A-Za-z0-9.-]*$/.test(v))
    return 'Hostnames may only contain alphanumeric characters, hyphens or dots';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Special directives
// ---------------------------------------------------------------------------------------------

type SavePoint = readonly [seconds: bigint, changes: number];

/** save: "seconds changes" pairs; a file's first save line replaces the defaults, later ones add,
 * and `save ""` empties the list. */
export const save: Directive = {
  ...base('save', 'special', '3600 1 300 100 60 10000', { implemented: true }, true),
  parse(input, ctx) {
    const args = input.length === 1 && input[0] === '' ? [] : input;
    if (args.length % 2 !== 0) throw new DirectiveError('Invalid save parameters');
    const points: SavePoint[] = [];
    for (let j = 0; j < args.length; j += 2) {
      const seconds = strtollWhole(args[j]);
      const changes = strtollWhole(args[j + 1]);
      if (seconds === null || changes === null || seconds.value < 1n || changes.value < 0n) {
        throw new DirectiveError('Invalid save parameters');
      }
      points.push([seconds.value, toInt32(changes.value)]);
    }
    // `save ""` clears what earlier lines set; the lines after it add up again (Redis 7.0).
    if (ctx.loading && ctx.seenBefore && args.length > 0)
      return [...(ctx.previous as SavePoint[]), ...points];
    return points;
  },
  format: (v) => (v as SavePoint[]).map(([s, c]) => `${s} ${c}`).join(' '),
  expose: (v) => (v as SavePoint[]).map(([s, c]) => [Number(s), c]),
  rewrite(v, _def, out) {
    const points = v as SavePoint[];
    if (points.length === 0) out.line('save', 'save ""', true);
    for (const [s, c] of points) out.line('save', `save ${s} ${c}`, true);
    out.processed('save');
  },
};

const OBUF_CLASSES = ['normal', 'slave', 'pubsub'] as const;
const OBUF_DEFAULTS: OutputBufferLimit[] = [
  { hard: 0n, soft: 0n, seconds: 0 },
  { hard: 268435456n, soft: 67108864n, seconds: 60 },
  { hard: 33554432n, soft: 8388608n, seconds: 60 },
];

function obufClass(name: string): number {
  const n = cstr(name).toLowerCase();
  if (n === 'normal') return 0;
  if (n === 'slave' || n === 'replica') return 1;
  if (n === 'pubsub') return 2;
  return -1; // "master" is a client class too, but has no output buffer limit.
}

export const clientOutputBufferLimit: Directive = {
  ...base(
    'client-output-buffer-limit',
    'special',
    'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
    { implemented: true },
    true,
  ),
  parse(args, ctx) {
    if (args.length % 4 !== 0) {
      throw new DirectiveError('Wrong number of arguments in buffer limit configuration.');
    }
    const next = [...((ctx.previous as OutputBufferLimit[] | undefined) ?? OBUF_DEFAULTS)];
    for (let j = 0; j < args.length; j += 4) {
      const cls = obufClass(args[j]);
      if (cls < 0) throw new DirectiveError('Invalid client class specified in buffer limit configuration.');
      const hard = memtoull(args[j + 1]);
      const soft = memtoull(args[j + 2]);
      const secs = strtollWhole(args[j + 3]);
      const seconds = secs === null ? -1 : toInt32(secs.value);
      if (hard === null || soft === null || seconds < 0) {
        throw new DirectiveError(
          'Error in hard, soft or soft_seconds setting in buffer limit configuration.',
        );
      }
      next[cls] = { hard, soft, seconds };
    }
    return next;
  },
  format: (v) =>
    (v as OutputBufferLimit[]).map((l, i) => `${OBUF_CLASSES[i]} ${l.hard} ${l.soft} ${l.seconds}`).join(' '),
  expose: (v) => v,
  rewrite(v, _def, out) {
    (v as OutputBufferLimit[]).forEach((l, i) => {
      const d = OBUF_DEFAULTS[i];
      const force = l.hard !== d.hard || l.soft !== d.soft || l.seconds !== d.seconds;
      const cls = i === 1 ? 'replica' : OBUF_CLASSES[i];
      out.line(
        'client-output-buffer-limit',
        `client-output-buffer-limit ${cls} ${formatMemoryForRewrite(l.hard)} ${formatMemoryForRewrite(l.soft)} ${l.seconds}`,
        force,
      );
    });
  },
};

/** oom-score-adj-values: three numbers between -2000 and 2000. */
export const oomScoreAdjValues: Directive = {
  ...base('oom-score-adj-values', 'special', '0 200 800', {}, true),
  parse(args) {
    if (args.length !== 3) throw new DirectiveError('wrong number of arguments');
    const values: number[] = [];
    for (const a of args) {
      const r = strtollWhole(a);
      if (r === null || r.value < -2000n || r.value > 2000n) {
        throw new DirectiveError('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
      }
      values.push(Number(r.value));
    }
    return values;
  },
  format: (v) => (v as number[]).join(' '),
  expose: (v) => v,
  rewrite(v, def, out) {
    const values = v as number[];
    const force = values.some((x, i) => x !== (def as number[])[i]);
    out.line('oom-score-adj-values', `oom-score-adj-values ${values.join(' ')}`, force);
  },
};

/** Keyspace notification classes as bits (notify.c). */
export const NOTIFY = {
  K: 1 << 0,
  E: 1 << 1,
  g: 1 << 2,
  $: 1 << 3,
  l: 1 << 4,
  s: 1 << 5,
  h: 1 << 6,
  z: 1 << 7,
  x: 1 << 8,
  e: 1 << 9,
  t: 1 << 10,
  m: 1 << 11,
  d: 1 << 12,
  n: 1 << 13,
} as const;
const NOTIFY_ALL = 'g$lshzxetd'.split('').reduce((a, c) => a | NOTIFY[c as keyof typeof NOTIFY], 0);

/** keyspaceEventsStringToFlags: null if a character is not a class. */
export function parseNotifyFlags(s: string): number | null {
  let bits = 0;
  for (const c of cstr(s)) {
    if (c === 'A') bits |= NOTIFY_ALL;
    else if (c in NOTIFY) bits |= NOTIFY[c as keyof typeof NOTIFY];
    else return null;
  }
  return bits;
}

/** keyspaceEventsFlagsToString: classes in Redis's order, "A" when all are set. */
function formatNotifyFlags(bits: number): string {
  let out = '';
  if ((bits & NOTIFY_ALL) === NOTIFY_ALL) out = 'A';
  else for (const c of 'g$lshzxetdn') if (bits & NOTIFY[c as keyof typeof NOTIFY]) out += c;
  for (const c of 'KEm') if (bits & NOTIFY[c as keyof typeof NOTIFY]) out += c;
  return out;
}

export const notifyKeyspaceEvents: Directive = {
  ...base('notify-keyspace-events', 'special', '', { implemented: true }),
  parse([arg]) {
    const bits = parseNotifyFlags(arg);
    if (bits === null) throw new DirectiveError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    return bits;
  },
  format: (v) => formatNotifyFlags(v as number),
  expose: (v) => v,
  rewrite(v, _def, out) {
    const text = `notify-keyspace-events ${quoteRepr(formatNotifyFlags(v as number))}`;
    out.line('notify-keyspace-events', text, v !== 0);
  },
};

const DEFAULT_BIND = ['*', '-::*'];

export const bind: Directive = {
  ...base('bind', 'special', '* -::*', { implemented: true }, true),
  parse(input) {
    if (input.length > 16) throw new DirectiveError('Too many bind addresses specified.');
    return input.length === 1 && input[0] === '' ? [] : input.map(cstr);
  },
  format: (v) => (v as string[]).join(' '),
  expose: (v) => v,
  rewrite(v, _def, out) {
    const addrs = v as string[];
    if (addrs.length === DEFAULT_BIND.length && addrs.every((a, i) => a === DEFAULT_BIND[i])) {
      out.processed('bind');
      return;
    }
    out.line('bind', `bind ${addrs.length > 0 ? addrs.join(' ') : '""'}`, true);
  },
};

interface MasterAddress {
  host: string;
  port: number;
}

export const replicaof: Directive = {
  ...base('replicaof', 'special', '', { aliases: ['slaveof'], immutable: true, implemented: true }, true),
  parse(args) {
    if (args.length === 1 && args[0] === '') throw new DirectiveError('wrong number of arguments');
    if (args.length !== 2) throw new DirectiveError('wrong number of arguments');
    if (args[0].toLowerCase() === 'no' && args[1].toLowerCase() === 'one') return null;
    const port = strtollWhole(args[1]);
    // strtol into an int: the low 32 bits.
    const p = port === null ? -1 : toInt32(port.value);
    if (port === null || p < 0 || p > 65535) throw new DirectiveError('Invalid master port');
    return { host: cstr(args[0]), port: p } satisfies MasterAddress;
  },
  format: (v) => (v === null ? '' : `${(v as MasterAddress).host} ${(v as MasterAddress).port}`),
  expose: (v) => v,
  rewrite(v, _def, out) {
    if (v === null) {
      out.processed('replicaof');
      return;
    }
    const m = v as MasterAddress;
    out.line('replicaof', `replicaof ${m.host} ${m.port}`, true);
  },
};

/** printf("%f") then trimDoubleString: 99.9, 33.333333, 50. */
function formatPercentile(p: number): string {
  let s = p.toFixed(6);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

export const latencyTrackingInfoPercentiles: Directive = {
  ...base('latency-tracking-info-percentiles', 'special', '50 99 99.9', { implemented: true }, true),
  parse(input) {
    const args = input.length === 1 && input[0] === '' ? [] : input;
    return args.map((a) => {
      const v = /^\s/.test(a) ? null : parseDouble(a);
      if (v === null) throw new DirectiveError('Invalid latency-tracking-info-percentiles parameters');
      if (v > 100 || v < 0) {
        throw new DirectiveError(
          'latency-tracking-info-percentiles parameters should sit between [0.0,100.0]',
        );
      }
      return v;
    });
  },
  format: (v) => (v as number[]).map(formatPercentile).join(' '),
  expose: (v) => v,
  rewrite(v, _def, out) {
    const values = v as number[];
    const text = values.length === 0 ? '""' : values.map(formatPercentile).join(' ');
    out.line('latency-tracking-info-percentiles', `latency-tracking-info-percentiles ${text}`, true);
  },
};

/** dir: changes the working directory right away (in a config file too, like Redis). */
export const dir: Directive = {
  ...base('dir', 'special', '', { protected: true, implemented: true }),
  parse([arg], ctx) {
    try {
      ctx.host.chdir(cstr(arg));
    } catch (e) {
      throw new DirectiveError(strerror(e));
    }
    return null;
  },
  format: (_v, host) => host.cwd(),
  expose: (_v, host) => host.cwd(),
  rewrite(_v, _def, out, host) {
    out.line('dir', `dir ${quoteRepr(host.cwd())}`, true);
  },
};
