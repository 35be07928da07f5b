/**
 * Every directive redis-server 7.0.15 accepts, with Redis's types, bounds, enum values, flags,
 * CONFIG GET formatting and CONFIG REWRITE lines. Bounds and messages were checked against the
 * real binary (each directive probed with bad, negative and huge values). `implemented: false`
 * directives are accepted, stored and shown (so a stock redis.conf loads) but have no effect.
 */
import { statSync } from 'node:fs';
import type { OutputBufferLimit } from '../core/output-limit.js';
import { strerror } from '../lib/errno.js';
import { parseDouble, parseInt64 } from '../lib/numbers.js';
import { quoteRepr } from '../protocol/split-args.js';
import { REFUSALS } from './config-refusals.js';

export class DirectiveError extends Error {}

const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;
const UINT_MAX = 4294967295n;
const LLONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;
const TWO_64 = 18446744073709551616n;

/** What a directive's parser may need besides its arguments. */
export interface ParseContext {
  /** Loading a config file (as opposed to CONFIG SET). */
  readonly loading: boolean;
  /** This directive already appeared earlier in the files being loaded. */
  readonly seenBefore: boolean;
  /** The current value. */
  readonly previous: unknown;
  readonly host: ConfigHost;
}

/** Where directives with side effects reach the process (dir changes the working directory). */
export interface ConfigHost {
  chdir(path: string): void;
  cwd(): string;
}

/** An embedded server's working directory: validated and remembered, the process is left alone. */
export function virtualDirHost(start = process.cwd()): ConfigHost {
  let current = start;
  return {
    chdir(path) {
      const resolved = resolveFrom(current, path);
      const st = statSync(resolved, { throwIfNoEntry: false });
      if (st === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      if (!st.isDirectory()) throw Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR' });
      current = resolved;
    },
    cwd: () => current,
  };
}

/** The real process: dir really changes the working directory, as in redis-server. */
export const processHost: ConfigHost = {
  chdir: (path) => process.chdir(path),
  cwd: () => process.cwd(),
};

function resolveFrom(base: string, path: string): string {
  if (path.startsWith('/')) return path;
  const parts = base.split('/');
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.length > 1 && parts.pop();
    else parts.push(p);
  }
  return parts.join('/') || '/';
}

/** Receives CONFIG REWRITE's lines (Redis's rewriteConfigRewriteLine / MarkAsProcessed). */
export interface RewriteSink {
  line(option: string, text: string, force: boolean): void;
  processed(option: string): void;
}

export type DirectiveType =
  | 'bool'
  | 'int'
  | 'memory'
  | 'percent'
  | 'octal'
  | 'enum'
  | 'flags'
  | 'string'
  | 'special';

export interface Directive {
  readonly name: string;
  /** Old names (slaveof, slave-read-only, hash-max-ziplist-entries …) for the same directive. */
  readonly aliases: readonly string[];
  readonly type: DirectiveType;
  /** Default in config-file syntax. */
  readonly default: string;
  /** CONFIG SET refuses it ("can't set immutable config"). */
  readonly immutable: boolean;
  /** CONFIG SET refuses it unless enable-protected-configs allows ("can't set protected config"). */
  readonly protected: boolean;
  /** Only exact CONFIG GET names match it, never patterns. */
  readonly hidden: boolean;
  /** Takes any number of arguments (save, bind …); others take exactly one. */
  readonly multiArg: boolean;
  /** Takes effect in tsredis today. */
  implemented: boolean;
  /** Parses arguments into a value; throws DirectiveError with Redis's reason. */
  parse(args: string[], ctx: ParseContext): unknown;
  /** CONFIG GET's text. */
  format(value: unknown, host: ConfigHost): string;
  /** What server code reads through Config.get (numbers rather than bigints). */
  expose(value: unknown, host: ConfigHost): unknown;
  /** Emits CONFIG REWRITE lines for the value; `def` is the parsed default. */
  rewrite(value: unknown, def: unknown, out: RewriteSink, host: ConfigHost): void;
}

interface Options {
  aliases?: string[];
  immutable?: boolean;
  protected?: boolean;
  hidden?: boolean;
  implemented?: boolean;
}

function base(name: string, type: DirectiveType, def: string, o: Options, multiArg = false) {
  return {
    name,
    aliases: o.aliases ?? [],
    type,
    default: def,
    immutable: o.immutable ?? false,
    protected: o.protected ?? false,
    hidden: o.hidden ?? false,
    multiArg,
    implemented: o.implemented ?? false,
  };
}

/** C strings end at the first NUL: the parsers Redis runs on char* see only that much. */
function cstr(s: string): string {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}

// ---------------------------------------------------------------------------------------------
// Number parsing with Redis's exact rules
// ---------------------------------------------------------------------------------------------

/** string2ll: canonical decimal within int64, else null. */
export function string2ll(s: string): bigint | null {
  const v = parseInt64(s);
  return v === null ? null : BigInt(v);
}

const MEMORY_UNITS: Record<string, bigint> = {
  '': 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000000n,
  mb: 1048576n,
  g: 1000000000n,
  gb: 1073741824n,
};

/**
 * memtoull: digits then an optional unit (b, k, kb, m, mb, g, gb, any case). Like the C code, the
 * digits saturate at 2^64-1, the multiplication wraps, and no digits at all means 0.
 */
export function memtoull(input: string): bigint | null {
  const s = cstr(input);
  if (s.startsWith('-')) return null;
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
  const mul = MEMORY_UNITS[s.slice(i).toLowerCase()];
  if (mul === undefined || i >= 128) return null;
  let v = i === 0 ? 0n : BigInt(s.slice(0, i));
  if (v > ULLONG_MAX) v = ULLONG_MAX;
  return (v * mul) % TWO_64;
}

/** The same 64 bits read as a signed long long. */
function asSigned(v: bigint): bigint {
  return v > LLONG_MAX ? v - TWO_64 : v;
}

const STRTOL_SPACE = /^[ \t\n\v\f\r]*/;

/**
 * strtoll(s, &end, base) where the caller then demands *end == '\0': leading white space and a sign
 * are allowed, an empty digit string gives 0, overflow saturates (errno is not checked by callers).
 * Returns null if characters are left over, plus whether it overflowed.
 */
export function strtollWhole(input: string, radix = 10): { value: bigint; overflow: boolean } | null {
  const s = cstr(input);
  let i = STRTOL_SPACE.exec(s)![0].length;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
  const start = i;
  const digit = radix === 8 ? /[0-7]/ : /[0-9]/;
  while (i < s.length && digit.test(s[i])) i++;
  if (i === start) {
    // No conversion: end points at the very start, so only an empty (or all-space) string "passes".
    return s.length === 0 ? { value: 0n, overflow: false } : null;
  }
  if (i !== s.length) return null;
  let v = BigInt(radix === 8 ? `0o${s.slice(start, i)}` : s.slice(start, i));
  if (negative) v = -v;
  if (v > LLONG_MAX) return { value: LLONG_MAX, overflow: true };
  if (v < -LLONG_MAX - 1n) return { value: -LLONG_MAX - 1n, overflow: true };
  return { value: v, overflow: false };
}

/** C's (int) conversion of a long long: the low 32 bits, signed. */
function toInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** CONFIG REWRITE's memory notation: 1gb, 64mb, 1kb, else plain bytes. */
export function formatMemoryForRewrite(bytes: bigint): string {
  const gb = 1073741824n;
  const mb = 1048576n;
  const kb = 1024n;
  if (bytes !== 0n && bytes % gb === 0n) return `${bytes / gb}gb`;
  if (bytes !== 0n && bytes % mb === 0n) return `${bytes / mb}mb`;
  if (bytes !== 0n && bytes % kb === 0n) return `${bytes / kb}kb`;
  return String(bytes);
}

function rangeError(min: bigint, max: bigint, radix = 10): DirectiveError {
  return new DirectiveError(
    `argument must be between ${min.toString(radix)} and ${max.toString(radix)} inclusive`,
  );
}

/** A directive's value is outside [min, max]; unsigned C types see negatives as huge values. */
function checkBounds(v: bigint, min: bigint, max: bigint, radix = 10): void {
  if (v < min || v > max) throw rangeError(min, max, radix);
}

// ---------------------------------------------------------------------------------------------
// Directive kinds
// ---------------------------------------------------------------------------------------------

function bool(name: string, def: 'yes' | 'no', o: Options = {}): Directive {
  return {
    ...base(name, 'bool', def, o),
    parse([arg]) {
      const v = cstr(arg).toLowerCase();
      if (v === 'yes') return true;
      if (v === 'no') return false;
      throw new DirectiveError("argument must be 'yes' or 'no'");
    },
    format: (v) => (v ? 'yes' : 'no'),
    expose: (v) => v,
    rewrite(v, def, out) {
      out.line(name, `${name} ${v ? 'yes' : 'no'}`, v !== def);
    },
  };
}

function int(name: string, def: string, min: bigint, max: bigint, o: Options = {}): Directive {
  return {
    ...base(name, 'int', def, o),
    parse([arg]) {
      const v = string2ll(arg);
      if (v === null) throw new DirectiveError("argument couldn't be parsed into an integer");
      checkBounds(v, min, max);
      return v;
    },
    format: (v) => String(v),
    expose: (v) => Number(v),
    rewrite(v, def, out) {
      out.line(name, `${name} ${v}`, v !== def);
    },
  };
}

/** Bytes with optional units. Signed C types see values of 2^63 and more as negative. */
function mem(name: string, def: string, min: bigint, max: bigint, o: Options = {}): Directive {
  const unsigned = max > LLONG_MAX;
  return {
    ...base(name, 'memory', def, o),
    parse([arg]) {
      const raw = memtoull(arg);
      if (raw === null) throw new DirectiveError('argument must be a memory value');
      const v = unsigned ? raw : asSigned(raw);
      checkBounds(v, min, max);
      return v;
    },
    format: (v) => String(v),
    expose: (v) => Number(v),
    rewrite(v, def, out) {
      out.line(name, `${name} ${formatMemoryForRewrite(v as bigint)}`, v !== def);
    },
  };
}

/** maxmemory-clients: a memory value, or a percentage stored as a negative number. */
function percent(name: string, def: string, o: Options = {}): Directive {
  const min = -100n;
  const max = LLONG_MAX;
  return {
    ...base(name, 'percent', def, o),
    parse([arg]) {
      let v: bigint | null = null;
      const raw = memtoull(arg);
      if (raw !== null) v = asSigned(raw);
      else if (arg.length > 1 && arg.endsWith('%')) {
        const p = string2ll(arg.slice(0, -1));
        if (p !== null && p >= 0n) v = -p;
      }
      if (v === null) throw new DirectiveError('argument must be a memory or percent value');
      if (v < 0n) {
        if (v < min) throw new DirectiveError(`percentage argument must be less or equal to ${-min}`);
      } else {
        checkBounds(v, min, max);
      }
      return v;
    },
    format: (v) => ((v as bigint) < 0n ? `${-(v as bigint)}%` : String(v)),
    expose: (v) => Number(v),
    rewrite(v, def, out) {
      const b = v as bigint;
      const text = b < 0n ? `${-b}%` : formatMemoryForRewrite(b);
      out.line(name, `${name} ${text}`, v !== def);
    },
  };
}

function octal(name: string, def: string, min: bigint, max: bigint, o: Options = {}): Directive {
  return {
    ...base(name, 'octal', def, o),
    parse([arg]) {
      const r = strtollWhole(arg, 8);
      if (r === null || r.overflow)
        throw new DirectiveError("argument couldn't be parsed as an octal number");
      // An unsigned int: negative values wrap to huge ones.
      const v = r.value < 0n ? r.value + TWO_64 : r.value;
      checkBounds(v, min, max, 8);
      return v;
    },
    format: (v) => (v as bigint).toString(8),
    expose: (v) => Number(v),
    rewrite(v, def, out) {
      out.line(name, `${name} ${(v as bigint).toString(8)}`, v !== def);
    },
  };
}

type EnumValues = ReadonlyArray<readonly [string, number]>;

function enumError(values: EnumValues): DirectiveError {
  return new DirectiveError(`argument(s) must be one of the following: ${values.map(([n]) => n).join(', ')}`);
}

/** The first name with this value (so oom-score-adj "relative" reads back as "yes", like Redis). */
function enumName(values: EnumValues, v: number): string {
  for (const [n, x] of values) if (x === v) return n;
  return 'unknown';
}

function oneOf(name: string, def: string, values: EnumValues, o: Options = {}): Directive {
  return {
    ...base(name, 'enum', def, o),
    parse([arg]) {
      const lower = cstr(arg).toLowerCase();
      const hit = values.find(([n]) => n === lower);
      if (hit === undefined) throw enumError(values);
      return hit[1];
    },
    format: (v) => enumName(values, v as number),
    expose: (v) => enumName(values, v as number),
    rewrite(v, def, out) {
      out.line(name, `${name} ${enumName(values, v as number)}`, v !== def);
    },
  };
}

/** A multi-argument enum of bit flags (shutdown-on-sigterm nosave now). */
function flags(name: string, def: string, values: EnumValues, o: Options = {}): Directive {
  const formatFlags = (v: number): string => {
    const exact = values.find(([, x]) => x === v);
    if (exact !== undefined) return exact[0];
    const names: string[] = [];
    let left = v;
    for (const [n, x] of values) {
      if (x !== 0 && (left & x) === x) {
        names.push(n);
        left &= ~x;
      }
    }
    return names.length === 0 || left !== 0 ? 'unknown' : names.join(' ');
  };
  return {
    ...base(name, 'flags', def, o, true),
    parse(args) {
      if (args.length === 0) throw enumError(values);
      let v = 0;
      for (const arg of args) {
        const hit = values.find(([n]) => n === cstr(arg).toLowerCase());
        if (hit === undefined) throw enumError(values);
        v |= hit[1];
      }
      return v;
    },
    format: (v) => formatFlags(v as number),
    expose: (v) => formatFlags(v as number),
    rewrite(v, def, out) {
      out.line(name, `${name} ${formatFlags(v as number)}`, v !== def);
    },
  };
}

interface StringOptions extends Options {
  /** Redis stores "" as NULL: CONFIG REWRITE then drops the directive from the file. */
  emptyIsNull?: boolean;
  validate?: (v: string) => string | null;
}

function str(name: string, def: string, o: StringOptions = {}): Directive {
  return {
    ...base(name, 'string', def, o),
    parse([arg]) {
      // char* configs (not sds) end at the first NUL byte.
      const v = name === 'requirepass' || name === 'masterauth' ? arg : cstr(arg);
      const err = o.validate?.(v);
      if (err) throw new DirectiveError(err);
      return v;
    },
    format: (v) => v as string,
    expose: (v) => v,
    rewrite(v, _def, out) {
      const s = v as string;
      if (o.emptyIsNull && s === '') {
        out.processed(name);
        return;
      }
      const force = o.emptyIsNull ? true : s !== def;
      out.line(name, `${name} ${quoteRepr(s)}`, force);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Validators
// ---------------------------------------------------------------------------------------------

const isBaseName = (v: string) => !v.includes('/');

const fileName = (what: string, kind: string, allowEmpty: boolean) => (v: string) => {
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

function validHostname(v: string): string | null {
  if (v.length >= 256) return 'Hostnames must be less than 256 characters';
  if (!/^[A-Za-z0-9.-]*$/.test(v))
    return 'Hostnames may only contain alphanumeric characters, hyphens or dots';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Special directives
// ---------------------------------------------------------------------------------------------

export type SavePoint = readonly [seconds: bigint, changes: number];

/** save: "seconds changes" pairs; a file's first save line replaces the defaults, later ones add,
 * and `save ""` empties the list. */
const save: Directive = {
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

const clientOutputBufferLimit: Directive = {
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
const oomScoreAdjValues: Directive = {
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
export function formatNotifyFlags(bits: number): string {
  let out = '';
  if ((bits & NOTIFY_ALL) === NOTIFY_ALL) out = 'A';
  else for (const c of 'g$lshzxetdn') if (bits & NOTIFY[c as keyof typeof NOTIFY]) out += c;
  for (const c of 'KEm') if (bits & NOTIFY[c as keyof typeof NOTIFY]) out += c;
  return out;
}

const notifyKeyspaceEvents: Directive = {
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

const bind: Directive = {
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

export interface MasterAddress {
  host: string;
  port: number;
}

const replicaof: Directive = {
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

const latencyTrackingInfoPercentiles: Directive = {
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
const dir: Directive = {
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
  str('aclfile', '', { immutable: true }),
  int('acllog-max-len', '128', 0n, LLONG_MAX),
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
  bool('aof-timestamp-enabled', 'no'),
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
  int('busy-reply-threshold', '5000', 0n, LLONG_MAX, { aliases: ['lua-time-limit'] }),
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
  oneOf('enable-module-command', 'no', YES_NO_LOCAL, { immutable: true }),
  oneOf('enable-protected-configs', 'no', YES_NO_LOCAL, { ...on, immutable: true }),
  int('hash-max-listpack-entries', '512', 0n, LLONG_MAX, { ...on, aliases: ['hash-max-ziplist-entries'] }),
  mem('hash-max-listpack-value', '64', 0n, LLONG_MAX, { ...on, aliases: ['hash-max-ziplist-value'] }),
  mem('hll-sparse-max-bytes', '3000', 0n, LLONG_MAX),
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
  mem('stream-node-max-bytes', '4096', 0n, LLONG_MAX),
  int('stream-node-max-entries', '100', 0n, LLONG_MAX),
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
  oneOf('tls-auth-clients', 'yes', [
    ['no', 0],
    ['yes', 1],
    ['optional', 2],
  ]),
  str('tls-ca-cert-dir', '', { emptyIsNull: true }),
  str('tls-ca-cert-file', '', { emptyIsNull: true }),
  str('tls-cert-file', '', { emptyIsNull: true }),
  str('tls-ciphers', '', { emptyIsNull: true }),
  str('tls-ciphersuites', '', { emptyIsNull: true }),
  str('tls-client-cert-file', '', { emptyIsNull: true }),
  str('tls-client-key-file', '', { emptyIsNull: true }),
  str('tls-client-key-file-pass', '', { emptyIsNull: true }),
  bool('tls-cluster', 'no'),
  str('tls-dh-params-file', '', { emptyIsNull: true }),
  str('tls-key-file', '', { emptyIsNull: true }),
  str('tls-key-file-pass', '', { emptyIsNull: true }),
  int('tls-port', '0', 0n, 65535n),
  bool('tls-prefer-server-ciphers', 'no'),
  str('tls-protocols', '', { emptyIsNull: true }),
  bool('tls-replication', 'no'),
  int('tls-session-cache-size', '20480', 0n, INT_MAX),
  int('tls-session-cache-timeout', '300', 0n, INT_MAX),
  bool('tls-session-caching', 'yes'),
  int('tracking-table-max-keys', '1000000', 0n, LLONG_MAX),
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
