/**
 * What a config directive is (its type, default, flags, parser, formats) and the parsers of every
 * plain kind (bool, int, memory, percent, octal, enum, flags, string), with Redis's exact number
 * rules. The special directives are in config-special.ts, the table in config-directives.ts.
 */
import { statSync } from 'node:fs';
import { parseInt64 } from '../lib/numbers.js';
import { quoteRepr } from '../protocol/split-args.js';

export class DirectiveError extends Error {}

export const INT_MIN = -2147483648n;
export const INT_MAX = 2147483647n;
export const UINT_MAX = 4294967295n;
export const LLONG_MAX = 9223372036854775807n;
export const ULLONG_MAX = 18446744073709551615n;
const TWO_64 = 18446744073709551616n;

/** What a directive's parser may need besides its arguments. */
interface ParseContext {
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

type DirectiveType =
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

export interface Options {
  aliases?: string[];
  immutable?: boolean;
  protected?: boolean;
  hidden?: boolean;
  implemented?: boolean;
}

export function base(name: string, type: DirectiveType, def: string, o: Options, multiArg = false) {
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
export function cstr(s: string): string {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}

// ---------------------------------------------------------------------------------------------
// Number parsing with Redis's exact rules
// ---------------------------------------------------------------------------------------------

/** string2ll: canonical decimal within int64, else null. */
function string2ll(s: string): bigint | null {
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
export function toInt32(v: bigint): number {
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

export function bool(name: string, def: 'yes' | 'no', o: Options = {}): Directive {
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

export function int(name: string, def: string, min: bigint, max: bigint, o: Options = {}): Directive {
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
export function mem(name: string, def: string, min: bigint, max: bigint, o: Options = {}): Directive {
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
export function percent(name: string, def: string, o: Options = {}): Directive {
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

export function octal(name: string, def: string, min: bigint, max: bigint, o: Options = {}): Directive {
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

export type EnumValues = ReadonlyArray<readonly [string, number]>;

function enumError(values: EnumValues): DirectiveError {
  return new DirectiveError(`argument(s) must be one of the following: ${values.map(([n]) => n).join(', ')}`);
}

/** The first name with this value (so oom-score-adj "relative" reads back as "yes", like Redis). */
function enumName(values: EnumValues, v: number): string {
  for (const [n, x] of values) if (x === v) return n;
  return 'unknown';
}

export function oneOf(name: string, def: string, values: EnumValues, o: Options = {}): Directive {
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
export function flags(name: string, def: string, values: EnumValues, o: Options = {}): Directive {
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

export function str(name: string, def: string, o: StringOptions = {}): Directive {
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
