/**
 * An ACL user as Redis 7.0 has one: flags (on/off, nopass, payload sanitizing), SHA-256 password
 * hashes and selectors, the root one first. Rules are applied one at a time (ACLSetUser); the
 * registry stages a whole ACL SETUSER on a copy, so a failing rule changes nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AclCommandSet } from './command-set.js';
import {
  AclRuleError,
  type CheckInput,
  Denied,
  RULE_ERRORS,
  Selector,
  selectorFromOpSet,
} from './selector.js';

export function passwordHash(password: string): string {
  return createHash('sha256').update(password, 'latin1').digest('hex');
}

const HASH = /^[0-9a-f]{64}$/;

const ALLOWED: { readonly denied: number; readonly pos: number } = { denied: Denied.none, pos: 0 };
const scratchAt = { pos: 0 };

function checkedHash(hash: string): string {
  if (!HASH.test(hash)) throw new AclRuleError(RULE_ERRORS.badHash);
  return hash;
}

/** What ACL GETUSER and ACL LIST show of one selector. */
export interface SelectorView {
  commands: string;
  keys: string;
  channels: string;
}

export class AclUser {
  enabled = false;
  disabled = true;
  nopass = false;
  skipSanitize = false;
  sanitize = false;
  /** SHA-256 hex digests, in the order they were added. */
  passwords: string[] = [];
  selectors: Selector[];

  constructor(
    readonly name: string,
    private readonly commands: AclCommandSet,
    private readonly pubsubAllChannels: () => boolean,
  ) {
    this.selectors = [new Selector(commands, true, pubsubAllChannels())];
  }

  get root(): Selector {
    return this.selectors[0];
  }

  /** Every command, key and channel: the checks can be skipped. */
  get unrestricted(): boolean {
    const r = this.selectors[0];
    return r.allCommands && r.allKeys && r.allChannels;
  }

  /** ACLCopyUser: the same rules under this user's name. */
  copyFrom(src: AclUser): void {
    this.enabled = src.enabled;
    this.disabled = src.disabled;
    this.nopass = src.nopass;
    this.skipSanitize = src.skipSanitize;
    this.sanitize = src.sanitize;
    this.passwords = src.passwords.slice();
    this.selectors = src.selectors.map((s) => s.clone());
  }

  /** ACLSetUser: one rule. Throws AclRuleError with Redis's text. */
  apply(op: string, warn?: (msg: string) => void): void {
    if (op === '') return;
    const lower = op.toLowerCase();
    switch (lower) {
      case 'on':
        this.enabled = true;
        this.disabled = false;
        return;
      case 'off':
        this.enabled = false;
        this.disabled = true;
        return;
      case 'skip-sanitize-payload':
        this.skipSanitize = true;
        this.sanitize = false;
        return;
      case 'sanitize-payload':
        this.skipSanitize = false;
        this.sanitize = true;
        return;
      case 'nopass':
        this.nopass = true;
        this.passwords = [];
        return;
      case 'resetpass':
        this.nopass = false;
        this.passwords = [];
        return;
      case 'clearselectors':
        this.selectors.length = 1;
        return;
      case 'reset':
        this.apply('resetpass');
        this.apply('resetkeys');
        this.apply('resetchannels');
        if (this.pubsubAllChannels()) this.apply('allchannels');
        this.apply('off');
        this.apply('sanitize-payload');
        this.apply('clearselectors');
        this.apply('-@all');
        return;
    }
    const kind = op[0];
    if (kind === '>' || kind === '#') {
      const hash = kind === '>' ? passwordHash(op.slice(1)) : checkedHash(op.slice(1));
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.nopass = false;
    } else if (kind === '<' || kind === '!') {
      const hash = kind === '<' ? passwordHash(op.slice(1)) : checkedHash(op.slice(1));
      const at = this.passwords.indexOf(hash);
      if (at < 0) throw new AclRuleError(RULE_ERRORS.noSuchPassword);
      this.passwords.splice(at, 1);
    } else if (kind === '(' && op[op.length - 1] === ')') {
      this.selectors.push(selectorFromOpSet(op, this.commands, this.pubsubAllChannels(), warn));
    } else {
      this.root.apply(op, warn);
    }
  }

  /** ACLCheckUserCredentials, for an existing user: on, and nopass or a password that matches. */
  passwordMatches(password: string): boolean {
    if (this.disabled) return false;
    if (this.nopass) return true;
    const given = Buffer.from(passwordHash(password), 'latin1');
    let ok = false;
    for (const h of this.passwords) if (timingSafeEqual(given, Buffer.from(h, 'latin1'))) ok = true;
    return ok;
  }

  /** ACLCheckAllUserCommandPerm: any selector allowing it wins; else the most relevant denial. */
  check(input: CheckInput): { denied: number; pos: number } {
    // The usual case, one selector that allows it, without an allocation.
    if (this.selectors.length === 1 && this.selectors[0].check(input, scratchAt) === Denied.none)
      return ALLOWED;
    let relevant: number = Denied.command;
    let lastPos = 0;
    const at = { pos: 0 };
    for (const s of this.selectors) {
      const r = s.check(input, at);
      if (r === Denied.none) return ALLOWED;
      if (r > relevant || (r === relevant && at.pos > lastPos)) {
        relevant = r;
        lastPos = at.pos;
      }
    }
    return { denied: relevant, pos: lastPos };
  }

  /** ACLUserCheckCmdWithUnrestrictedKeyAccess: a selector allowing the command reads every key. */
  unrestrictedKeyAccess(input: CheckInput, need: number): boolean {
    const at = { pos: 0 };
    return this.selectors.some((s) => s.check(input, at) === Denied.none && s.unrestrictedKeys(need));
  }

  /** The flag names set, in ACLUserFlags order (ACL GETUSER, ACL LIST). */
  flagNames(): string[] {
    const out: string[] = [];
    if (this.enabled) out.push('on');
    if (this.disabled) out.push('off');
    if (this.nopass) out.push('nopass');
    if (this.skipSanitize) out.push('skip-sanitize-payload');
    if (this.sanitize) out.push('sanitize-payload');
    return out;
  }

  /** ACLDescribeUser: the rules that recreate this user (ACL LIST, ACL SAVE, CONFIG REWRITE). */
  describe(): string {
    let out = '';
    for (const f of this.flagNames()) out += `${f} `;
    for (const h of this.passwords) out += `#${h} `;
    for (const s of this.selectors) out += s.root ? s.describe() : ` (${s.describe()})`;
    return out;
  }

  static viewOf(s: Selector): SelectorView {
    return { commands: s.describeCommands(), keys: s.describeKeys(), channels: s.describeChannels() };
  }
}
