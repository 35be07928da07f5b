import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { Acl } from '../acl/users.js';
import { strerror } from '../lib/errno.js';
import { globMatch } from '../lib/glob.js';
import { splitArgs } from '../protocol/split-args.js';
import { type ConfigHost, type Directive, DirectiveError, virtualDirHost } from './config-directive.js';
import { DEPRECATED_DIRECTIVES, DIRECTIVES, FILE_ONLY_DIRECTIVES } from './config-directives.js';
import { readConfigFiles } from './config-files.js';
import { RewriteState } from './config-rewrite.js';

/** A fatal error while loading configuration, reported the way Redis reports it. */
/**
 * Redis's VOLATILE_CONFIG: the value names a file, so setting it again to the same path still
 * applies it (a renewed certificate is loaded by CONFIG SET of the same name).
 */
const VOLATILE = new Set([
  'tls-cert-file',
  'tls-key-file',
  'tls-key-file-pass',
  'tls-client-cert-file',
  'tls-client-key-file',
  'tls-client-key-file-pass',
  'tls-dh-params-file',
  'tls-ca-cert-file',
  'tls-ca-cert-dir',
]);

/** The tls-* directives that rebuild the TLS context when CONFIG SET changes them. */
export const TLS_CONTEXT_DIRECTIVES = [
  ...VOLATILE,
  'tls-auth-clients',
  'tls-protocols',
  'tls-ciphers',
  'tls-ciphersuites',
  'tls-prefer-server-ciphers',
  'tls-session-caching',
  'tls-session-cache-size',
  'tls-session-cache-timeout',
];

/** ACL users that cannot be loaded at start-up: Redis logs these lines and exits with code 1. */
export class AclStartupError extends Error {
  readonly lines: string[];
  constructor(...lines: string[]) {
    super(lines.join('\n'));
    this.lines = lines;
  }
}

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

/** Name as typed (alias or primary) and the directive behind it. */
interface Entry {
  readonly name: string;
  readonly directive: Directive;
}

type Listener = (value: unknown) => void;
/** Applies a changed directive (CONFIG SET); returns null or an error text. */
export type Applier = () => string | null | Promise<string | null>;

export interface ConfigOptions {
  /** Where `dir` acts. Default: a virtual working directory (embedded servers share a process). */
  host?: ConfigHost;
  /** Top-level command names, to validate rename-command like Redis (at load time). */
  commandNames?: () => Iterable<string>;
}

/** A `user` line and a `loadmodule` line as they were written, kept for the server and REWRITE. */
export interface FileDirective {
  readonly args: string[];
}

/** The server's configuration: directive values, config-file loading, CONFIG GET/SET/REWRITE. */
export class Config {
  readonly host: ConfigHost;
  private readonly entries = new Map<string, Entry>();
  private readonly values = new Map<string, unknown>();
  /** Values as server code reads them (numbers, strings, arrays), refreshed on every change. */
  private readonly exposed = new Map<string, unknown>();
  private readonly defaults = new Map<string, unknown>();
  private readonly listeners = new Map<string, Listener[]>();
  private readonly appliers = new Map<string, Applier>();
  /** Directives met so far while loading files (save accumulates after its first line). */
  private readonly seenWhileLoading = new Set<string>();
  private readonly commandNames: (() => Iterable<string>) | undefined;
  private renamedCommands: Set<string> | null = null;
  /** Unimplemented directives set in the config (logged once at start-up as ignored). */
  readonly ignoredSet = new Set<string>();
  /** rename-command pairs in order, already validated; the server applies them to its table. */
  readonly renames: Array<[string, string]> = [];
  /** The `user` lines of the configuration, in order: loaded once it is all read. */
  private readonly declaredUsers: Array<[string, string[]]> = [];
  /** The ACL users (requirepass, `user` lines, the aclfile): who may authenticate and run what. */
  readonly acl = new Acl({
    pubsubAllChannels: () => this.str('acl-pubsub-default') === 'allchannels',
    logMaxLen: () => this.num('acllog-max-len'),
    warn: (msg) => this.log?.(msg),
  });
  private loadDepth = 0;
  readonly modules: FileDirective[] = [];
  /** name.option lines for modules (Redis refuses to start with them and no module). */
  readonly moduleConfigs: Array<[string, string]> = [];
  /** Absolute path of the config file, if the server was started with one (CONFIG REWRITE). */
  file: string | null = null;
  /** Warning-level log lines from config changes (the server plugs its logger in). */
  log: ((message: string) => void) | null = null;

  constructor(options: ConfigOptions = {}) {
    this.host = options.host ?? virtualDirHost();
    this.commandNames = options.commandNames;
    for (const d of DIRECTIVES) {
      this.entries.set(d.name, { name: d.name, directive: d });
      for (const alias of d.aliases) this.entries.set(alias, { name: alias, directive: d });
      if (d.name === 'dir' || d.name === 'replicaof') {
        // The working directory and "no master": nothing to parse.
        this.values.set(d.name, null);
      } else {
        const args = d.multiArg ? (splitArgs(d.default) ?? []) : [d.default];
        const ctx = { loading: false, seenBefore: false, previous: undefined, host: this.host };
        this.values.set(d.name, d.parse(args.length === 0 ? [''] : args, ctx));
      }
      this.defaults.set(d.name, this.values.get(d.name));
      this.refreshExposed(d);
    }
    this.watch('requirepass', (v) => this.acl.setRequirepass((v as string | null) ?? ''));
  }

  /** The directive for a name or alias, any letter case. */
  directive(name: string): Directive | undefined {
    return this.entries.get(name.toLowerCase())?.directive;
  }

  get(name: string): unknown {
    return this.exposed.get(name);
  }

  num(name: string): number {
    return this.exposed.get(name) as number;
  }

  bool(name: string): boolean {
    return this.exposed.get(name) as boolean;
  }

  str(name: string): string {
    return this.exposed.get(name) as string;
  }

  /** Calls fn now and whenever the directive's value changes (set, CONFIG SET, restore). */
  watch(name: string, fn: Listener): void {
    const list = this.listeners.get(name) ?? [];
    list.push(fn);
    this.listeners.set(name, list);
    fn(this.exposed.get(name));
  }

  /** Registers what CONFIG SET runs after changing the directive (rebinding for port and bind). */
  onApply(name: string, fn: Applier): void {
    this.appliers.set(name, fn);
  }

  private refreshExposed(d: Directive): void {
    this.exposed.set(d.name, d.expose(this.values.get(d.name), this.host));
  }

  private assign(d: Directive, value: unknown): void {
    this.values.set(d.name, value);
    this.refreshExposed(d);
    const v = this.exposed.get(d.name);
    for (const fn of this.listeners.get(d.name) ?? []) fn(v);
  }

  /** CONFIG GET's rendering of a directive's value. */
  format(name: string): string {
    const d = this.directive(name)!;
    return d.format(this.values.get(d.name), this.host);
  }

  /** Sets a directive as a config-file line would (used by embedders and tests). */
  setFromText(name: string, args: string[]): void {
    const d = this.directive(name);
    if (d === undefined) throw new DirectiveError(`Unknown directive ${name}`);
    this.assign(d, d.parse(args, this.parseContext(d, false)));
  }

  private parseContext(d: Directive, loading: boolean) {
    return {
      loading,
      seenBefore: this.seenWhileLoading.has(d.name),
      previous: this.values.get(d.name),
      host: this.host,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Loading (loadServerConfigFromString)
  // ---------------------------------------------------------------------------------------------

  /**
   * Loads config text (a file's contents, then stdin, then the command-line options) line by line
   * like loadServerConfigFromString. Throws ConfigFileError for the first bad line, or
   * ConfigOpenError for an include that cannot be read.
   */
  load(text: string): void {
    this.loadDepth++;
    try {
      this.loadLines(text);
    } finally {
      this.loadDepth--;
    }
    if (this.loadDepth === 0) this.afterLoad();
  }

  private loadLines(text: string): void {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (line === '' || line[0] === '#') continue;
      const fail = (reason: string) => new ConfigFileError(i + 1, line, reason);
      const argv = splitArgs(line);
      if (argv === null) throw fail('Unbalanced quotes in configuration line');
      if (argv.length === 0) continue;
      const reason = this.loadLine(argv);
      if (reason !== null) throw fail(reason);
    }
  }

  /** One config line; returns null or the reason it is fatal. */
  private loadLine(argv: string[]): string | null {
    const name = argv[0].toLowerCase();
    const entry = this.entries.get(name);
    if (entry !== undefined) {
      const d = entry.directive;
      if (!d.multiArg && argv.length !== 2) return 'wrong number of arguments';
      let args = argv.slice(1);
      // Like Redis: a multi-argument directive given as one non-empty argument ("3600 1") is split.
      if (d.multiArg && args.length === 1 && args[0] !== '') {
        const split = splitArgs(args[0]);
        if (split === null) return 'Unbalanced quotes in configuration line';
        args = split;
      }
      try {
        this.assign(d, d.parse(args, this.parseContext(d, true)));
      } catch (e) {
        if (e instanceof DirectiveError) return e.message;
        throw e;
      }
      this.seenWhileLoading.add(d.name);
      if (!d.implemented) this.ignoredSet.add(d.name);
      return null;
    }
    if (DEPRECATED_DIRECTIVES.includes(name) && argv.length === 2) return null;
    if (name === 'include' && argv.length === 2) {
      this.load(readConfigFiles(argv[1], this.host));
      return null;
    }
    if (name === 'rename-command' && argv.length === 3) return this.renameCommand(argv[1], argv[2]);
    if (name === 'user' && argv.length >= 2) return this.declareUser(argv[1], argv.slice(2));
    if (name === 'loadmodule' && argv.length >= 2) {
      this.modules.push({ args: argv.slice(1) });
      return null;
    }
    if (name.includes('.')) {
      if (argv.length !== 2) return 'Module config specified without value';
      this.moduleConfigs.push([name, argv[1]]);
      return null;
    }
    if (name === 'sentinel') {
      // "sentinel" alone selects Sentinel mode (handled on the command line); lines with
      // arguments are sentinel state, refused outside Sentinel mode.
      return argv.length === 1 ? null : 'sentinel directive while not in sentinel mode';
    }
    return 'Bad directive or wrong number of arguments';
  }

  /** rename-command, checked against the command table as it stands after earlier renames. */
  private renameCommand(from: string, to: string): string | null {
    if (this.commandNames !== undefined) {
      if (this.renamedCommands === null) {
        this.renamedCommands = new Set([...this.commandNames()].map((n) => n.toLowerCase()));
      }
      const names = this.renamedCommands;
      if (!names.has(from.toLowerCase())) return 'No such command in rename-command';
      names.delete(from.toLowerCase());
      if (to !== '') {
        if (names.has(to.toLowerCase())) return 'Target command name already exists';
        names.add(to.toLowerCase());
      }
    }
    this.renames.push([from, to]);
    return null;
  }

  /** A `user` line (ACLAppendUserForLoading): checked now, loaded with the others at the end. */
  private declareUser(name: string, rules: string[]): string | null {
    // Redis names the word two places before the failing rule (user, the name, or a rule).
    const words = ['user', name, ...rules];
    if (this.declaredUsers.some(([n]) => n === name)) {
      return `Error in user declaration '${words[1]}': Duplicate user found. A user can only be defined once in config files`;
    }
    const failed = this.acl.checkDeclaration(rules);
    if (failed !== null) return `Error in user declaration '${words[failed.at]}': ${failed.message}`;
    this.declaredUsers.push([name, rules]);
    return null;
  }

  /** Where the aclfile is read and written: relative to the working directory (`dir`). */
  aclfilePath(): string {
    const f = this.str('aclfile');
    return f.startsWith('/') ? f : `${this.host.cwd()}/${f}`;
  }

  /** ACLLoadUsersAtStartup: the `user` lines, or the aclfile, never both. */
  private loadUsers(): void {
    const aclfile = this.str('aclfile');
    if (aclfile !== '' && this.declaredUsers.length > 0) {
      throw new AclStartupError(
        'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.',
      );
    }
    const failed = this.acl.loadDeclared(this.declaredUsers);
    if (failed !== null) throw new AclStartupError(...failed, 'Critical error while loading ACLs. Exiting.');
    if (aclfile !== '') {
      const errors = this.acl.loadFile(aclfile, this.aclfilePath());
      if (errors !== null)
        throw new AclStartupError(`Aborting Redis startup because of ACL errors: ${errors}`);
    }
  }

  /** The checks Redis runs once the whole configuration is loaded. */
  private afterLoad(): void {
    // Users are loaded after the directives (ACLLoadUsersAtStartup): a line wins over requirepass.
    this.loadUsers();
    const logfile = this.str('logfile');
    if (logfile !== '') {
      try {
        closeSync(openSync(logfile, 'a'));
      } catch (e) {
        throw new ConfigFileError(null, null, `Can't open the log file: ${strerror(e)}`);
      }
    }
    if (this.bool('cluster-enabled') && this.get('replicaof') !== null) {
      throw new ConfigFileError(null, null, 'replicaof directive not allowed in cluster mode');
    }
    this.clampHz();
  }

  /** hz is a hint: Redis accepts any value and clamps it to 1..500. */
  clampHz(): void {
    const hz = this.values.get('hz') as bigint;
    const clamped = hz < 1n ? 1n : hz > 500n ? 500n : hz;
    if (clamped !== hz) this.assign(this.directive('hz')!, clamped);
  }

  // ---------------------------------------------------------------------------------------------
  // CONFIG GET / CONFIG SET
  // ---------------------------------------------------------------------------------------------

  /**
   * CONFIG GET: name/value pairs for the arguments. A name without glob characters matches
   * exactly (any case, hidden directives too) and is echoed as typed; a pattern matches every
   * visible name and alias.
   */
  getMatching(patterns: string[]): Array<[string, string]> {
    const out = new Map<string, [string, string]>();
    for (const pattern of patterns) {
      if (!/[*?[]/.test(pattern)) {
        const entry = this.entries.get(pattern.toLowerCase());
        if (entry !== undefined && !out.has(entry.name))
          out.set(entry.name, [pattern, this.format(entry.name)]);
        continue;
      }
      for (const entry of this.entries.values()) {
        if (entry.directive.hidden || out.has(entry.name)) continue;
        if (globMatch(pattern, entry.name, true)) out.set(entry.name, [entry.name, this.format(entry.name)]);
      }
    }
    return [...out.values()];
  }

  /**
   * CONFIG SET name value [name value ...], atomically, with Redis's checks and error texts.
   * Returns null, an error text, or a promise of one when an applier works asynchronously.
   */
  setPairs(
    args: string[],
    client: { local: boolean } = { local: true },
  ): string | null | Promise<string | null> {
    const count = args.length / 2;
    const chosen: Entry[] = [];
    let unknown: string | null = null;
    let failure: string | null = null;
    for (let i = 0; i < count; i++) {
      const typed = args[2 * i];
      const entry = this.entries.get(typed.toLowerCase());
      if (entry === undefined) {
        if (failure === null && unknown === null) unknown = typed;
        continue;
      }
      if (failure !== null || unknown !== null) continue;
      const d = entry.directive;
      if (d.immutable || (d.protected && !this.protectedAllowed(client))) {
        failure = `CONFIG SET failed (possibly related to argument '${typed}') - can't set ${d.immutable ? 'immutable' : 'protected'} config`;
        continue;
      }
      // Like Redis, an alias and its primary name are different entries here.
      if (chosen.some((e) => e === entry)) {
        failure = `CONFIG SET failed (possibly related to argument '${typed}') - duplicate parameter`;
      }
      chosen.push(entry);
    }
    if (unknown !== null) return `ERR Unknown option or number of arguments for CONFIG SET - '${unknown}'`;
    if (failure !== null) return `ERR ${failure}`;

    const old = chosen.map((e) => this.values.get(e.directive.name));
    const oldCwd = this.host.cwd();
    const toApply: Array<[Applier, string]> = [];
    for (let i = 0; i < chosen.length; i++) {
      const { directive: d, name } = chosen[i];
      let value: unknown;
      try {
        // Multi-argument values are split on single spaces, not quoted like file lines.
        const raw = args[2 * i + 1];
        const parts = d.multiArg ? (raw === '' ? [] : raw.split(' ')) : [raw];
        value = d.parse(parts, this.parseContext(d, false));
      } catch (e) {
        if (!(e instanceof DirectiveError)) throw e;
        this.restore(chosen, old, i + 1, oldCwd);
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${e.message}`;
      }
      if (
        !sameValue(value, this.values.get(d.name)) ||
        d.name === 'bind' ||
        d.type === 'special' ||
        VOLATILE.has(d.name)
      ) {
        const applier = this.appliers.get(d.name);
        if (applier !== undefined && !toApply.some(([a]) => a === applier)) toApply.push([applier, d.name]);
      }
      this.assign(d, value);
      if (d.name === 'hz') this.clampHz();
    }
    return this.runAppliers(toApply, chosen, old, oldCwd);
  }

  private protectedAllowed(client: { local: boolean }): boolean {
    const mode = this.str('enable-protected-configs');
    return mode === 'yes' || (mode === 'local' && client.local);
  }

  /** Puts back earlier values (and the working directory, which `dir` changed on the spot). */
  private restore(chosen: Entry[], old: unknown[], count: number, cwd: string): void {
    for (let i = 0; i < count; i++) {
      if (chosen[i].directive.name === 'dir') this.host.chdir(cwd);
      this.assign(chosen[i].directive, old[i]);
    }
  }

  /**
   * Runs appliers in order. On the first failure, restores every value, re-applies what had
   * been applied (so the old state is live again) and reports the failure like Redis.
   */
  private runAppliers(
    toApply: Array<[Applier, string]>,
    chosen: Entry[],
    old: unknown[],
    cwd: string,
  ): string | null | Promise<string | null> {
    const message = (name: string, err: string) =>
      `ERR CONFIG SET failed (possibly related to argument '${name}') - ${err}`;
    for (let i = 0; i < toApply.length; i++) {
      const [applier, name] = toApply[i];
      const r = applier();
      if (r instanceof Promise) return this.runAppliersAsync(r, i, toApply, chosen, old, cwd);
      if (r !== null) {
        this.log?.(
          `Failed applying new configuration. Possibly related to new ${name} setting. Restoring previous settings.`,
        );
        this.restore(chosen, old, chosen.length, cwd);
        for (const [again] of toApply.slice(0, i + 1)) void again();
        return message(name, r);
      }
    }
    return null;
  }

  private async runAppliersAsync(
    pending: Promise<string | null>,
    index: number,
    toApply: Array<[Applier, string]>,
    chosen: Entry[],
    old: unknown[],
    cwd: string,
  ): Promise<string | null> {
    for (let i = index; i < toApply.length; i++) {
      const err = i === index ? await pending : await toApply[i][0]();
      if (err !== null) {
        this.log?.(
          `Failed applying new configuration. Possibly related to new ${toApply[i][1]} setting. Restoring previous settings.`,
        );
        this.restore(chosen, old, chosen.length, cwd);
        for (const [again] of toApply.slice(0, i + 1)) await again();
        return `ERR CONFIG SET failed (possibly related to argument '${toApply[i][1]}') - ${err}`;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // CONFIG REWRITE (rewriteConfig)
  // ---------------------------------------------------------------------------------------------

  /**
   * The new contents of the config file: comments and unknown lines kept, changed directives
   * updated in place, new non-default ones appended after "# Generated by CONFIG REWRITE", lines
   * of directives now at their defaults (or repeated) blanked. Throws on read errors.
   */
  rewriteText(oldText: string | null): string {
    const state = new RewriteState(oldText, (name) => {
      const e = this.entries.get(name);
      if (e !== undefined) return e.directive.name;
      return FILE_ONLY_DIRECTIVES.includes(name) ? name : null;
    });
    for (const d of DIRECTIVES)
      d.rewrite(this.values.get(d.name), this.defaults.get(d.name), state, this.host);
    this.rewriteUsers(state);
    state.processed('loadmodule');
    state.removeOrphaned();
    return state.content();
  }

  /** rewriteConfigUserOption: a line per user (ACLDescribeUser), none when an aclfile holds them. */
  private rewriteUsers(state: RewriteState): void {
    if (this.str('aclfile') === '') {
      for (const u of this.acl.list()) state.line('user', `user ${u.name} ${u.describe()}`, true);
    }
    state.processed('user');
  }

  /** Rewrites the config file in place, atomically (temp file, fsync, rename). Throws on failure. */
  rewriteFile(): void {
    const path = this.file;
    if (path === null) throw new Error('The server is running without a config file');
    let oldText: string | null = null;
    try {
      oldText = readFileSync(path, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const content = this.rewriteText(oldText);
    const tmp = `${path}.${randomBytes(3).toString('hex')}`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, Buffer.from(content, 'latin1'));
      fsyncSync(fd);
      closeSync(fd);
      chmodSync(tmp, 0o644 & ~process.umask());
      renameSync(tmp, path);
    } catch (e) {
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
      try {
        unlinkSync(tmp);
      } catch {
        // Nothing to clean up.
      }
      throw e;
    }
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return (
    a === b || (typeof a === 'object' && JSON.stringify(a, bigintJson) === JSON.stringify(b, bigintJson))
  );
}

function bigintJson(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v;
}
