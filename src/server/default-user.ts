/**
 * The default user: the part of Redis's ACL that tsredis implements. It can be on or off, have no
 * password (nopass) or any number of them, and holds every permission. `requirepass` sets its
 * password as ACLUpdateDefaultUserPassword does, and a `user default …` line replaces it (after
 * Redis's `reset`). Rules that would restrict it (keys, channels, commands) or other users cannot
 * be enforced yet, so the configuration refuses them instead of running with less protection.
 */
import { createHash } from 'node:crypto';

export function passwordHash(password: string): string {
  return createHash('sha256').update(password, 'latin1').digest('hex');
}

const HASH = /^[0-9a-f]{64}$/;

/** Why tsredis refuses an ACL rule it cannot enforce (the server would be more open than asked). */
export const UNSUPPORTED_RULE =
  'tsredis does not implement ACL rules yet: the default user can only be turned on or off, be given passwords (nopass, resetpass, >password, <password, #hash, !hash) and hold every permission (~* &* +@all); refusing to start with less protection than the configuration asks for';

export const UNSUPPORTED_USER =
  'tsredis does not implement ACL users yet: only the default user can be declared (user default ...); refusing to start with less protection than the configuration asks for';

export const UNSUPPORTED_ACLFILE =
  'tsredis does not implement ACL files yet (ACL users are not supported): remove aclfile, or declare only the default user in the configuration; refusing to start with less protection than the configuration asks for';

/** Redis's ACLSetUser errors for the rules in the model; `rule` is the failing rule's index. */
export class AclRuleError extends Error {
  rule = 0;
}

export class DefaultUser {
  enabled = true;
  nopass = true;
  /** SHA-256 hex digests, in the order they were added (ACL LIST / CONFIG REWRITE order). */
  passwords: string[] = [];
  /** null: never declared (no sanitize flag shown); else sanitize-payload or skip-sanitize-payload. */
  sanitize: 'sanitize-payload' | 'skip-sanitize-payload' | null = null;
  allKeys = true;
  allChannels = true;
  allCommands = true;

  /** Clients must AUTH before running commands (Redis's authRequired). */
  get authRequired(): boolean {
    return !this.nopass || !this.enabled;
  }

  /** ACLCheckUserCredentials for the default user. */
  check(password: string): boolean {
    if (!this.enabled) return false;
    return this.nopass || this.passwords.includes(passwordHash(password));
  }

  /** ACLUpdateDefaultUserPassword: requirepass replaces every password (empty: nopass). */
  setRequirepass(password: string): void {
    this.passwords = [];
    this.nopass = password === '';
    if (!this.nopass) this.passwords.push(passwordHash(password));
  }

  /** A `user default` line: Redis resets the user, then applies the rules in order. */
  declare(rules: readonly string[], pubsubAllChannels: boolean): void {
    this.apply('reset', pubsubAllChannels);
    for (let i = 0; i < rules.length; i++) {
      try {
        this.apply(rules[i], pubsubAllChannels);
      } catch (e) {
        if (e instanceof AclRuleError) e.rule = i;
        throw e;
      }
    }
  }

  /** Every permission, or off: anything else cannot be enforced by tsredis. */
  get enforceable(): boolean {
    return !this.enabled || (this.allKeys && this.allChannels && this.allCommands);
  }

  private apply(rule: string, pubsubAllChannels: boolean): void {
    const lower = rule.toLowerCase();
    switch (lower) {
      case 'on':
        this.enabled = true;
        return;
      case 'off':
        this.enabled = false;
        return;
      case 'nopass':
        this.nopass = true;
        this.passwords = [];
        return;
      case 'resetpass':
        this.nopass = false;
        this.passwords = [];
        return;
      case 'sanitize-payload':
      case 'skip-sanitize-payload':
        this.sanitize = lower;
        return;
      case 'allkeys':
      case '~*':
      case '%rw~*':
        this.allKeys = true;
        return;
      case 'resetkeys':
        this.allKeys = false;
        return;
      case 'allchannels':
      case '&*':
        this.allChannels = true;
        return;
      case 'resetchannels':
        this.allChannels = false;
        return;
      case 'allcommands':
      case '+@all':
        this.allCommands = true;
        return;
      case 'nocommands':
      case '-@all':
        this.allCommands = false;
        return;
      case 'reset':
        this.enabled = false;
        this.nopass = false;
        this.passwords = [];
        this.sanitize = 'sanitize-payload';
        this.allKeys = false;
        this.allChannels = pubsubAllChannels;
        this.allCommands = false;
        return;
    }
    const kind = rule[0];
    if (kind === '>' || kind === '#') {
      const hash = kind === '>' ? passwordHash(rule.slice(1)) : rule.slice(1);
      if (!HASH.test(hash)) {
        throw new AclRuleError(
          'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
        );
      }
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.nopass = false;
      return;
    }
    if (kind === '<' || kind === '!') {
      const hash = kind === '<' ? passwordHash(rule.slice(1)) : rule.slice(1);
      if (kind === '!' && !HASH.test(hash)) {
        throw new AclRuleError(
          'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
        );
      }
      const at = this.passwords.indexOf(hash);
      if (at < 0)
        throw new AclRuleError('The password you are trying to remove from the user does not exist');
      this.passwords.splice(at, 1);
      return;
    }
    // Valid ACL syntax that would restrict the user (patterns, command rules, selectors).
    if ('~%&+-('.includes(kind) || lower === 'clearselectors') throw new Error(UNSUPPORTED_RULE);
    throw new AclRuleError('Syntax error');
  }

  /** ACLDescribeUser: the rules that recreate this user (CONFIG REWRITE's `user` line). */
  describe(): string {
    const parts = [this.enabled ? 'on' : 'off'];
    if (this.nopass) parts.push('nopass');
    if (this.sanitize !== null) parts.push(this.sanitize);
    for (const h of this.passwords) parts.push(`#${h}`);
    if (this.allKeys) parts.push('~*');
    parts.push(this.allChannels ? '&*' : 'resetchannels');
    parts.push(this.allCommands ? '+@all' : '-@all');
    return parts.join(' ');
  }
}
