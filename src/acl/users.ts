/**
 * The ACL: every user by name (the default user always there), the ACL log, and the operations
 * behind ACL SETUSER/DELUSER/LOAD/SAVE, AUTH and the `user` lines of the configuration, with
 * Redis 7.0's texts. The server subscribes (`whenUserRemoved`, `whenChannelsRevoked`) to disconnect
 * the clients a change leaves without their rights.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { strerror } from '../lib/errno.js';
import { AclCommandSet } from './command-set.js';
import { AclLog } from './log.js';
import { AclRuleError, hasSpaces } from './selector.js';
import { AclUser } from './user.js';

export interface AclOptions {
  /** acl-pubsub-default allchannels: new selectors may use every channel. */
  pubsubAllChannels: () => boolean;
  /** acllog-max-len. */
  logMaxLen: () => number;
  warn?: (msg: string) => void;
}

/** ACLMergeSelectorArguments: a selector spread over several arguments becomes one; null: unmatched. */
export function mergeSelectorArgs(args: readonly string[]): { merged: string[] } | { unmatchedAt: number } {
  const merged: string[] = [];
  let open = -1;
  let selector = '';
  for (let j = 0; j < args.length; j++) {
    const op = args[j];
    if (op[0] === '(' && op[op.length - 1] !== ')') {
      selector = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      selector += ` ${op}`;
      if (op[op.length - 1] === ')') {
        open = -1;
        merged.push(selector);
      }
      continue;
    }
    merged.push(op);
  }
  return open !== -1 ? { unmatchedAt: open } : { merged };
}

function subscribe<F>(list: F[], fn: F): () => void {
  list.push(fn);
  return () => {
    const at = list.indexOf(fn);
    if (at >= 0) list.splice(at, 1);
  };
}

export class Acl {
  readonly commands: AclCommandSet;
  readonly log: AclLog;
  private users = new Map<string, AclUser>();
  readonly defaultUser: AclUser;
  private readonly removedListeners: Array<(user: AclUser) => void> = [];
  private readonly revokedListeners: Array<(user: AclUser, upcoming: readonly string[]) => void> = [];

  constructor(
    private readonly options: AclOptions,
    commands = new AclCommandSet(),
  ) {
    this.commands = commands;
    this.log = new AclLog(options.logMaxLen);
    this.defaultUser = this.createDefault();
    this.users.set('default', this.defaultUser);
  }

  private warn = (msg: string): void => this.options.warn?.(msg);

  /** A user is gone (ACL DELUSER, ACL LOAD): its clients must be disconnected. Returns the unsubscribe. */
  whenUserRemoved(fn: (user: AclUser) => void): () => void {
    return subscribe(this.removedListeners, fn);
  }

  /** ACL SETUSER took channels from a user: its subscribers may have to go (upcoming: allowed now). */
  whenChannelsRevoked(fn: (user: AclUser, upcoming: readonly string[]) => void): () => void {
    return subscribe(this.revokedListeners, fn);
  }

  private onUserRemoved(user: AclUser): void {
    for (const fn of this.removedListeners) fn(user);
  }

  newUser(name: string): AclUser {
    return new AclUser(name, this.commands, this.options.pubsubAllChannels);
  }

  private createDefault(): AclUser {
    const u = this.newUser('default');
    for (const op of ['+@all', '~*', '&*', 'on', 'nopass']) u.apply(op);
    return u;
  }

  get(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  /** Users in name order (Redis keeps them in a radix tree). */
  list(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Clients must AUTH first: the default user has passwords or is off (authRequired). */
  get authRequired(): boolean {
    return !this.defaultUser.nopass || this.defaultUser.disabled;
  }

  /** ACLUpdateDefaultUserPassword (requirepass): one password, or nopass for none. */
  setRequirepass(password: string): void {
    this.defaultUser.apply('resetpass');
    this.defaultUser.apply(password === '' ? 'nopass' : `>${password}`);
  }

  /** ACLCheckUserCredentials: the user, or null (unknown, off, wrong password: not told apart). */
  authenticate(name: string, password: string): AclUser | null {
    const u = this.users.get(name);
    return u?.passwordMatches(password) ? u : null;
  }

  /** ACL SETUSER: all rules or none. Returns Redis's error text, or null. */
  setUser(name: string, rules: readonly string[]): string | null {
    if (hasSpaces(name)) return "Usernames can't contain spaces or null characters";
    const m = mergeSelectorArgs(rules);
    if ('unmatchedAt' in m)
      return `Unmatched parenthesis in acl selector starting at '${rules[m.unmatchedAt]}'.`;
    const existing = this.users.get(name);
    const staged = this.newUser(name);
    if (existing !== undefined) staged.copyFrom(existing);
    for (const op of m.merged) {
      try {
        staged.apply(op, this.warn);
      } catch (e) {
        if (!(e instanceof AclRuleError)) throw e;
        return `Error in ACL SETUSER modifier '${op}': ${e.message}`;
      }
    }
    if (existing !== undefined) {
      this.revokeChannels(staged, existing);
      existing.copyFrom(staged);
    } else {
      this.users.set(name, staged);
    }
    return null;
  }

  /** ACLKillPubsubClientsIfNeeded's test: did the user lose a channel pattern it had? */
  private revokeChannels(next: AclUser, original: AclUser): void {
    if (next.selectors.some((s) => s.allChannels)) return;
    const upcoming = next.selectors.flatMap((s) => s.channels);
    const kept = original.selectors.every((s) => s.channels.every((c) => upcoming.includes(c)));
    if (!kept) for (const fn of this.revokedListeners) fn(original, upcoming);
  }

  /** ACL DELUSER: the number deleted, or the error for `default`. */
  delUsers(names: readonly string[]): number | string {
    if (names.includes('default')) return "The 'default' user cannot be removed";
    let deleted = 0;
    for (const name of names) {
      const u = this.users.get(name);
      if (u === undefined) continue;
      this.users.delete(name);
      this.onUserRemoved(u);
      deleted++;
    }
    return deleted;
  }

  /**
   * A `user` line while the configuration loads (ACLAppendUserForLoading): checked on a scratch
   * user, unknown commands aside (Redis waits for modules). Returns the failing argument's index
   * into [name, ...rules] shifted as Redis reports it, and the text; or null.
   */
  checkDeclaration(rules: readonly string[]): { at: number; message: string } | null {
    const m = mergeSelectorArgs(rules);
    if ('unmatchedAt' in m) return { at: m.unmatchedAt, message: 'Syntax error' };
    const scratch = this.newUser('__fakeuser:0__');
    for (let j = 0; j < m.merged.length; j++) {
      try {
        scratch.apply(m.merged[j]);
      } catch (e) {
        if (!(e instanceof AclRuleError)) throw e;
        if (e.message !== 'Unknown command or category name in ACL') return { at: j, message: e.message };
      }
    }
    return null;
  }

  /** ACLLoadConfiguredUsers: the `user` lines, in order. Returns Redis's log lines on failure. */
  loadDeclared(declared: ReadonlyArray<readonly [string, readonly string[]]>): string[] | null {
    for (const [name, rules] of declared) {
      if (hasSpaces(name)) return ['Spaces not allowed in ACL usernames'];
      let u = this.users.get(name);
      if (u === undefined) this.users.set(name, (u = this.newUser(name)));
      else u.apply('reset');
      const m = mergeSelectorArgs(rules);
      for (const op of 'merged' in m ? m.merged : []) {
        try {
          u.apply(op, this.warn);
        } catch (e) {
          if (!(e instanceof AclRuleError)) throw e;
          return [`Error loading ACL rule '${op}' for the user named '${name}': ${e.message}`];
        }
      }
    }
    return null;
  }

  /**
   * ACLLoadFromFile: every line checked, all loaded or none. Returns null, or Redis's one-line
   * description of every problem found. The clients of replaced users are disconnected.
   */
  loadFile(path: string, readAt = path): string | null {
    let text: string;
    try {
      text = readFileSync(readAt, 'latin1');
    } catch (e) {
      return `Error loading ACLs, opening file '${path}': ${strerror(e)}`;
    }
    let errors = '';
    const fresh = new Map<string, AclUser>();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const n = i + 1;
      if (line === '') continue;
      const argv = line.split(' ');
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${path}:${n} should start with user keyword followed by the username. `;
        continue;
      }
      const name = argv[1];
      if (hasSpaces(name)) {
        errors += `'${path}:${n}: username '${name}' contains invalid characters. `;
        continue;
      }
      if (fresh.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${n}. `;
        continue;
      }
      const u = this.newUser(name);
      fresh.set(name, u);
      const m = mergeSelectorArgs(argv.slice(2));
      if ('unmatchedAt' in m) {
        errors += `${path}:${n}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      for (const op of m.merged) {
        try {
          u.apply(op.replace(/^[\t\r\n]+|[\t\r\n]+$/g, ''), this.warn);
        } catch (e) {
          if (!(e instanceof AclRuleError)) throw e;
          errors += `${path}:${n}: ${e.message}. `;
        }
      }
    }
    if (errors !== '') {
      return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    }
    // The default user object stays (clients hold it): it takes the new rules.
    this.defaultUser.copyFrom(fresh.get('default') ?? this.createDefault());
    fresh.set('default', this.defaultUser);
    const old = this.users;
    this.users = fresh;
    for (const u of old.values()) if (u !== this.defaultUser) this.onUserRemoved(u);
    return null;
  }

  /** The ACL file's text: a `user` line per user (ACL SAVE). */
  fileText(): string {
    return this.list()
      .map((u) => `user ${u.name} ${u.describe()}\n`)
      .join('');
  }

  /** ACLSaveToFile: a temp file renamed over the old one. Throws with the log line on failure. */
  saveFile(path: string): void {
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    let step = 'Opening temp ACL file for ACL SAVE';
    try {
      writeFileSync(tmp, this.fileText(), { encoding: 'latin1', mode: 0o644 });
      step = 'Renaming ACL file for ACL SAVE';
      renameSync(tmp, path);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // Nothing was written.
      }
      throw new Error(`${step}: ${strerror(e)}`);
    }
  }
}
