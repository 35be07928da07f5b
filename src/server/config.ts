import { globMatch } from '../lib/glob.js';
import { splitArgs } from '../protocol/split-args.js';
import { DIRECTIVES, type Directive, DirectiveError } from './config-directives.js';

/** A fatal error while loading configuration, reported the way Redis reports it. */
export class ConfigFileError extends Error {
  constructor(
    readonly lineNumber: number | null,
    readonly lineText: string | null,
    readonly reason: string,
  ) {
    super(reason);
  }

  /** The text Redis prints to stderr before exiting with code 1. */
  report(version: string): string {
    let out = `\n*** FATAL CONFIG FILE ERROR (Redis ${version}) ***\n`;
    if (this.lineNumber !== null) {
      out += `Reading the configuration file, at line ${this.lineNumber}\n>>> '${this.lineText}'\n`;
    }
    return `${out}${this.reason}\n`;
  }
}

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 * 1000,
  mb: 1024 * 1024,
  g: 1000 * 1000 * 1000,
  gb: 1024 * 1024 * 1024,
};

/** Redis's memtoull: "10", "1gb", "512MB", "4k". Null if not a memory value. */
export function parseMemory(s: string): number | null {
  const m = /^(-?\d+)([a-zA-Z]*)$/.exec(s);
  if (m === null) return null;
  const unit = MEMORY_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return null;
  return Number(m[1]) * unit;
}

type Listener = (value: unknown) => void;

/** The server's configuration: directive values, loading from config text, CONFIG GET/SET. */
export class Config {
  private readonly byName = new Map<string, Directive>();
  private readonly values = new Map<string, unknown>();
  private readonly listeners = new Map<string, Listener[]>();
  /** Directives set that tsredis accepts but does not act on (logged once at start-up). */
  readonly ignoredSet = new Set<string>();
  /** rename-command pairs, applied to the command table by the server. */
  readonly renames: Array<[string, string]> = [];
  /** Absolute path of the config file, if the server was started with one (CONFIG REWRITE). */
  file: string | null = null;

  constructor() {
    for (const d of DIRECTIVES) {
      this.byName.set(d.name, d);
      for (const alias of d.aliases ?? []) this.byName.set(alias, d);
      const args =
        d.kind.type === 'special' ? (d.default === '' ? [''] : (splitArgs(d.default) ?? [])) : [d.default];
      this.values.set(d.name, this.parse(d, args));
    }
  }

  directive(name: string): Directive | undefined {
    return this.byName.get(name.toLowerCase());
  }

  get(name: string): unknown {
    return this.values.get(name);
  }

  num(name: string): number {
    return this.values.get(name) as number;
  }

  bool(name: string): boolean {
    return this.values.get(name) as boolean;
  }

  str(name: string): string {
    return this.values.get(name) as string;
  }

  /** Calls fn now and whenever the directive changes. */
  watch(name: string, fn: Listener): void {
    const list = this.listeners.get(name) ?? [];
    list.push(fn);
    this.listeners.set(name, list);
    fn(this.values.get(name));
  }

  private assign(d: Directive, value: unknown): void {
    this.values.set(d.name, value);
    for (const fn of this.listeners.get(d.name) ?? []) fn(value);
  }

  /** Parses directive arguments into a value. Throws DirectiveError with Redis's reason text. */
  parse(d: Directive, args: string[]): unknown {
    const kind = d.kind;
    if (kind.type === 'special') return kind.parse(args);
    const arg = args[0];
    switch (kind.type) {
      case 'bool': {
        const v = arg.toLowerCase();
        if (v === 'yes') return true;
        if (v === 'no') return false;
        throw new DirectiveError("argument must be 'yes' or 'no'");
      }
      case 'int': {
        if (!/^-?\d+$/.test(arg)) throw new DirectiveError("argument couldn't be parsed into an integer");
        const n = Number(arg);
        if (n < kind.min || n > kind.max) {
          throw new DirectiveError(`argument must be between ${kind.min} and ${kind.max} inclusive`);
        }
        return n;
      }
      case 'memory': {
        const n = parseMemory(arg);
        if (n === null) throw new DirectiveError('argument must be a memory value');
        if (n < kind.min || n > kind.max) {
          throw new DirectiveError(`argument must be between ${kind.min} and ${kind.max} inclusive`);
        }
        return n;
      }
      case 'enum': {
        const v = arg.toLowerCase();
        if (!kind.values.includes(v)) {
          throw new DirectiveError(`argument(s) must be one of the following: ${kind.values.join(', ')}`);
        }
        return v;
      }
      case 'string':
        return arg;
    }
  }

  /** CONFIG GET's rendering of a value. */
  format(name: string): string {
    const d = this.byName.get(name)!;
    const v = this.values.get(d.name);
    switch (d.kind.type) {
      case 'bool':
        return v ? 'yes' : 'no';
      case 'special':
        return d.kind.format(v);
      default:
        return String(v);
    }
  }

  /**
   * Loads config text (a file's contents followed by command-line options), directive by
   * directive, like loadServerConfigFromString. Throws ConfigFileError on the first bad line.
   */
  load(text: string, _source: string | null = null): void {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (line === '' || line[0] === '#') continue;
      const argv = splitArgs(line);
      const fail = (reason: string) => new ConfigFileError(i + 1, line, reason);
      if (argv === null) throw fail('Unbalanced quotes in configuration line');
      if (argv.length === 0) continue;
      const name = argv[0].toLowerCase();
      const d = this.byName.get(name);
      if (d !== undefined) {
        const multi = d.kind.type === 'special';
        if (!multi && argv.length !== 2) throw fail('wrong number of arguments');
        let args = argv.slice(1);
        if (multi && args.length === 1 && args[0] !== '') args = splitArgs(args[0]) ?? args;
        try {
          this.assign(d, this.parse(d, args));
        } catch (e) {
          if (e instanceof DirectiveError) throw fail(e.message);
          throw e;
        }
        if (!d.implemented) this.ignoredSet.add(d.name);
      } else if (name === 'rename-command' && argv.length === 3) {
        this.renames.push([argv[1], argv[2]]);
      } else {
        throw fail('Bad directive or wrong number of arguments');
      }
    }
  }

  /** CONFIG GET: name/value pairs for every directive matching any of the patterns. */
  getMatching(patterns: string[]): Array<[string, string]> {
    const out = new Map<string, string>();
    for (const pattern of patterns) {
      const lower = pattern.toLowerCase();
      const exact = this.byName.get(lower);
      if (exact !== undefined && !/[*?[]/.test(lower)) {
        out.set(lower, this.format(lower));
        continue;
      }
      for (const [name, d] of this.byName) {
        if (d.hidden) continue;
        if (globMatch(lower, name, true)) out.set(name, this.format(name));
      }
    }
    return [...out];
  }

  /**
   * CONFIG SET with several pairs, atomically: all values are validated first, then applied; if
   * applying one fails, the earlier ones are restored. Returns null or Redis's error text.
   */
  set(pairs: Array<[string, string]>): string | null {
    const parsed: Array<[Directive, unknown]> = [];
    const seen = new Set<string>();
    for (const [name, arg] of pairs) {
      const d = this.byName.get(name.toLowerCase());
      if (d === undefined || d.immutable) {
        return d === undefined
          ? `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`
          : `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`;
      }
      if (seen.has(d.name))
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`;
      seen.add(d.name);
      try {
        const args = d.kind.type === 'special' ? (arg === '' ? [''] : (splitArgs(arg) ?? [arg])) : [arg];
        parsed.push([d, this.parse(d, args)]);
      } catch (e) {
        if (e instanceof DirectiveError) {
          return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${e.message}`;
        }
        throw e;
      }
    }
    const previous = parsed.map(([d]) => [d, this.values.get(d.name)] as const);
    try {
      for (const [d, v] of parsed) this.assign(d, v);
    } catch (e) {
      for (const [d, v] of previous) this.assign(d, v);
      const msg = e instanceof Error ? e.message : String(e);
      return `ERR CONFIG SET failed - ${msg}`;
    }
    return null;
  }
}
