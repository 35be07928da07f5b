/**
 * An ACL selector, as Redis 7.0 keeps one: a command bitmap (with allowed first arguments), key
 * patterns with read/write permissions and channel patterns. Every user has a root selector; the
 * `(…)` rules add more, and a command runs when any selector allows it.
 */
import { globMatch } from '../lib/glob.js';
import { splitArgs } from '../protocol/split-args.js';
import { CATEGORIES, categoryBit } from './categories.js';
import type { AclCommand, AclCommandSet } from './command-set.js';

export const KEY_READ = 1;
export const KEY_WRITE = 2;
const KEY_ALL = KEY_READ | KEY_WRITE;

/** Why a check failed, in Redis's order of relevance (ACL_DENIED_*). */
export const Denied = { none: 0, command: 1, key: 2, auth: 3, channel: 4 } as const;

/** A rule Redis refuses, with ACLSetUserStringError's text for it. */
export class AclRuleError extends Error {}

export const RULE_ERRORS = {
  unknown: 'Unknown command or category name in ACL',
  syntax: 'Syntax error',
  afterAllKeys:
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  afterAllChannels:
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  noSuchPassword: 'The password you are trying to remove from the user does not exist',
  badHash:
    'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  subcommandFirstArg: 'Allowing first-arg of a subcommand is not supported',
} as const;

export interface KeyPattern {
  flags: number;
  pattern: string;
  /** The pattern compiled: most are a prefix and a '*' (~app:*), or a literal name. */
  matches: (key: string) => boolean;
}

const GLOB_SPECIAL = /[*?[\\]/;

/** A glob as a test: a literal, or a literal prefix and a final '*', need no matcher. */
export function compileGlob(pattern: string): (subject: string) => boolean {
  const body = pattern.endsWith('*') ? pattern.slice(0, -1) : null;
  if (body !== null && body !== '' && !GLOB_SPECIAL.test(body)) return (s) => s.startsWith(body);
  if (pattern !== '' && !GLOB_SPECIAL.test(pattern)) return (s) => s === pattern;
  return (s) => globMatch(pattern, s);
}

/** The access a key spec's flags ask for, cached per flags list (they are shared per spec). */
const accessCache = new WeakMap<readonly string[], number>();

/** A key of the command being checked: its argv index and its key-spec flags. */
export interface CheckedKey {
  pos: number;
  flags: readonly string[];
}

/** What a check needs to know about the command beyond its ACL entry. */
export interface CheckInput {
  cmd: AclCommand;
  argv: readonly string[];
  /** The command's keys (or how to find them, once for all selectors); null: it names no keys. */
  keys: readonly CheckedKey[] | (() => readonly CheckedKey[]) | null;
}

/** ACLStringHasSpaces: usernames and patterns may hold no whitespace or NUL. */
export function hasSpaces(s: string): boolean {
  return /[\t\n\v\f\r \0]/.test(s);
}

function keyAccess(flags: readonly string[]): number {
  const cached = accessCache.get(flags);
  if (cached !== undefined) return cached;
  let need = 0;
  for (const f of flags) {
    if (f === 'access') need |= KEY_READ;
    else if (f === 'insert' || f === 'delete' || f === 'update') need |= KEY_WRITE;
  }
  accessCache.set(flags, need);
  return need;
}

/** Commands that name channels: PUBLISH-like (one, argv[1]) or SUBSCRIBE-like (all the arguments). */
const CHANNEL_COMMANDS: Record<string, 'one' | 'all' | 'patterns'> = {
  publish: 'one',
  spublish: 'one',
  subscribe: 'all',
  ssubscribe: 'all',
  psubscribe: 'patterns',
};

/** ACLCheckChannelAgainstList: literal compares patterns as strings (PSUBSCRIBE's patterns). */
export function channelAllowed(list: readonly string[], channel: string, literal: boolean): boolean {
  for (const p of list) if (literal ? p === channel : globMatch(p, channel)) return true;
  return false;
}

export class Selector {
  root: boolean;
  allKeys = false;
  allChannels: boolean;
  allCommands = false;
  /** The reserved bit +@all sets: the selector also allows commands added later. */
  future = false;
  allowed: Uint32Array;
  /** Allowed first arguments of otherwise denied commands (+select|0), by command id. */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  channels: string[] = [];

  constructor(
    readonly commands: AclCommandSet,
    root: boolean,
    pubsubAllChannels: boolean,
  ) {
    this.root = root;
    this.allChannels = pubsubAllChannels;
    this.allowed = new Uint32Array((commands.count + 31) >>> 5);
  }

  clone(): Selector {
    const s = new Selector(this.commands, this.root, this.allChannels);
    s.allKeys = this.allKeys;
    s.allCommands = this.allCommands;
    s.future = this.future;
    s.allowed.set(this.allowed);
    if (this.firstArgs !== null) s.firstArgs = new Map([...this.firstArgs].map(([id, a]) => [id, a.slice()]));
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.channels = this.channels.slice();
    return s;
  }

  bit(id: number): boolean {
    return (this.allowed[id >>> 5] & (1 << (id & 31))) !== 0;
  }

  private setBit(id: number, on: boolean): void {
    if (on) {
      this.allowed[id >>> 5] |= 1 << (id & 31);
    } else {
      this.allowed[id >>> 5] &= ~(1 << (id & 31));
      this.allCommands = false;
    }
  }

  /** ACLChangeSelectorPerm: a container's rule applies to its subcommands too. */
  changePerm(cmd: AclCommand, allow: boolean): void {
    this.setBit(cmd.id, allow);
    this.firstArgs?.delete(cmd.id);
    if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) this.setBit(sub.id, allow);
  }

  private setCategory(flag: number, allow: boolean, list: Iterable<AclCommand> = this.commands.top): void {
    for (const cmd of list) {
      if ((cmd.categories & flag) !== 0) this.changePerm(cmd, allow);
      if (cmd.subcommands !== null) this.setCategory(flag, allow, cmd.subcommands.values());
    }
  }

  private setAll(allow: boolean): void {
    this.allowed.fill(allow ? 0xffffffff : 0);
    this.allCommands = allow;
    this.future = allow;
    this.firstArgs = null;
  }

  /** ACLSetSelector: one rule about keys, channels or commands. Throws AclRuleError. */
  apply(op: string, warn: (msg: string) => void = () => {}): void {
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') {
      this.allKeys = true;
      this.patterns = [];
    } else if (lower === 'resetkeys') {
      this.allKeys = false;
      this.patterns = [];
    } else if (lower === 'allchannels' || op === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      this.setAll(true);
    } else if (lower === 'nocommands' || lower === '-@all') {
      this.setAll(false);
    } else if (op[0] === '~' || op[0] === '%') {
      this.addKeyPattern(op);
    } else if (op[0] === '&') {
      if (this.allChannels) throw new AclRuleError(RULE_ERRORS.afterAllChannels);
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) throw new AclRuleError(RULE_ERRORS.syntax);
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.allChannels = false;
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const flag = categoryBit(op.slice(2));
      if (flag === 0) throw new AclRuleError(RULE_ERRORS.unknown);
      this.setCategory(flag, op[0] === '+');
    } else if (op[0] === '+') {
      this.allowCommand(op.slice(1), warn);
    } else if (op[0] === '-') {
      const cmd = this.commands.lookup(op.slice(1));
      if (cmd === undefined) throw new AclRuleError(RULE_ERRORS.unknown);
      this.changePerm(cmd, false);
    } else {
      throw new AclRuleError(RULE_ERRORS.syntax);
    }
  }

  private addKeyPattern(op: string): void {
    if (this.allKeys) throw new AclRuleError(RULE_ERRORS.afterAllKeys);
    let flags = 0;
    let offset = 1;
    if (op[0] === '%') {
      for (; offset < op.length; offset++) {
        const ch = op[offset].toUpperCase();
        if (ch === 'R' && (flags & KEY_READ) === 0) flags |= KEY_READ;
        else if (ch === 'W' && (flags & KEY_WRITE) === 0) flags |= KEY_WRITE;
        else if (op[offset] === '~' && flags !== 0) {
          offset++;
          break;
        } else throw new AclRuleError(RULE_ERRORS.syntax);
      }
    } else {
      flags = KEY_ALL;
    }
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) throw new AclRuleError(RULE_ERRORS.syntax);
    const existing = this.patterns.find((p) => p.pattern === pattern);
    if (existing === undefined) this.patterns.push({ flags, pattern, matches: compileGlob(pattern) });
    else existing.flags |= flags;
    this.allKeys = false;
  }

  private allowCommand(name: string, warn: (msg: string) => void): void {
    const bar = name.lastIndexOf('|');
    if (bar < 0) {
      const cmd = this.commands.lookup(name);
      if (cmd === undefined) throw new AclRuleError(RULE_ERRORS.unknown);
      this.changePerm(cmd, true);
      return;
    }
    const cmd = this.commands.lookup(name.slice(0, bar));
    if (cmd === undefined) throw new AclRuleError(RULE_ERRORS.unknown);
    if (cmd.parent !== null) throw new AclRuleError(RULE_ERRORS.subcommandFirstArg);
    const sub = name.slice(bar + 1);
    if (sub === '') throw new AclRuleError(RULE_ERRORS.syntax);
    if (cmd.subcommands !== null) {
      const subcmd = this.commands.lookup(name);
      if (subcmd === undefined) throw new AclRuleError(RULE_ERRORS.unknown);
      this.changePerm(subcmd, true);
      return;
    }
    warn(
      `Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +${name})`,
    );
    this.firstArgs ??= new Map();
    const list = this.firstArgs.get(cmd.id) ?? [];
    if (!list.some((a) => a.toLowerCase() === sub.toLowerCase())) list.push(sub);
    this.firstArgs.set(cmd.id, list);
  }

  /** ACLSelectorCheckCmd: Denied.none, or why not, with the argv index of the key or channel. */
  check(input: CheckInput, at: { pos: number }): number {
    const { cmd, argv } = input;
    if (!this.allCommands && !cmd.noAuth && !this.bit(cmd.id)) {
      const allowed = argv.length < 2 ? undefined : this.firstArgs?.get(cmd.id);
      if (allowed === undefined) return Denied.command;
      const arg = argv[cmd.parent !== null ? 2 : 1].toLowerCase();
      if (!allowed.some((a) => a.toLowerCase() === arg)) return Denied.command;
    }
    if (!this.allKeys && input.keys !== null) {
      for (const key of typeof input.keys === 'function' ? input.keys() : input.keys) {
        if (!this.keyAllowed(argv[key.pos], keyAccess(key.flags))) {
          at.pos = key.pos;
          return Denied.key;
        }
      }
    }
    const kind = this.allChannels ? undefined : CHANNEL_COMMANDS[cmd.fullName];
    if (kind !== undefined) {
      const last = kind === 'one' ? Math.min(1, argv.length - 1) : argv.length - 1;
      for (let i = 1; i <= last; i++) {
        if (!channelAllowed(this.channels, argv[i], kind === 'patterns')) {
          at.pos = i;
          return Denied.channel;
        }
      }
    }
    return Denied.none;
  }

  /** ACLSelectorCheckKey: a pattern granting every access the key spec asks for matches. */
  keyAllowed(key: string, need: number): boolean {
    if (this.allKeys) return true;
    for (const p of this.patterns) if ((p.flags & need) === need && p.matches(key)) return true;
    return false;
  }

  /** ACLSelectorHasUnrestrictedKeyAccess: a `*` pattern with the access asked for (SORT BY/GET). */
  unrestrictedKeys(need: number): boolean {
    if (this.allKeys) return true;
    return this.patterns.some((p) => (p.flags & need) === need && p.pattern === '*');
  }

  describeKeys(): string {
    if (this.allKeys) return '~*';
    return this.patterns.map(patternString).join(' ');
  }

  describeChannels(): string {
    if (this.allChannels) return '&*';
    return this.channels.map((c) => `&${c}`).join(' ');
  }

  /** ACLDescribeSelector: keys, channels, then the command rules. */
  describe(): string {
    let out = '';
    if (this.allKeys) out += '~* ';
    else for (const p of this.patterns) out += `${patternString(p)} `;
    if (this.allChannels) out += '&* ';
    else {
      out += 'resetchannels ';
      for (const c of this.channels) out += `&${c} `;
    }
    return out + this.describeCommands();
  }

  /**
   * ACLDescribeSelectorCommandRules: +@all or -@all, then categories chosen by best fit (most
   * commands in common, fewest differences), then single commands and first arguments until a
   * selector built from the rules has exactly this bitmap.
   */
  describeCommands(): string {
    const additive = !this.future;
    const rules = [additive ? '-@all' : '+@all'];
    const fake = new Selector(this.commands, false, false);
    fake.setAll(!additive);
    const temp = new Selector(this.commands, false, false);
    temp.allowed.set(this.allowed);
    const applied = new Set<number>();
    for (;;) {
      let best = -1;
      let minDiff = Number.MAX_SAFE_INTEGER;
      let maxSame = 0;
      for (let j = 0; j < CATEGORIES.length; j++) {
        if (applied.has(j)) continue;
        const [on, off] = temp.countCategory(1 << j);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = j;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best < 0) break;
      fake.setCategory(1 << best, additive);
      temp.setCategory(1 << best, !additive);
      rules.push(`${additive ? '+' : '-'}@${CATEGORIES[best]}`);
      applied.add(best);
    }
    this.describeSingles(fake, this.commands.top, rules);
    return rules.join(' ');
  }

  private describeSingles(fake: Selector, list: Iterable<AclCommand>, rules: string[]): void {
    for (const cmd of list) {
      const mine = this.bit(cmd.id);
      if (mine !== fake.bit(cmd.id)) {
        rules.push(`${mine ? '+' : '-'}${cmd.fullName}`);
        fake.changePerm(cmd, mine);
      }
      if (cmd.subcommands !== null) this.describeSingles(fake, cmd.subcommands.values(), rules);
      const args = mine ? undefined : this.firstArgs?.get(cmd.id);
      if (args !== undefined) for (const a of args) rules.push(`+${cmd.fullName}|${a}`);
    }
  }

  private countCategory(flag: number): [number, number] {
    let on = 0;
    let off = 0;
    for (const cmd of this.commands.all()) {
      if ((cmd.categories & flag) === 0) continue;
      if (this.bit(cmd.id)) on++;
      else off++;
    }
    return [on, off];
  }
}

function patternString(p: KeyPattern): string {
  const prefix = p.flags === KEY_ALL ? '~' : p.flags === KEY_READ ? '%R~' : '%W~';
  return prefix + p.pattern;
}

/** aclCreateSelectorFromOpSet: the rules between the parentheses, split as sdssplitargs does. */
export function selectorFromOpSet(
  opset: string,
  commands: AclCommandSet,
  pubsubAllChannels: boolean,
  warn?: (msg: string) => void,
): Selector {
  const s = new Selector(commands, false, pubsubAllChannels);
  for (const op of splitArgs(opset.slice(1, -1)) ?? []) s.apply(op, warn);
  return s;
}
