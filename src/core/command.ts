/**
 * What a command is, as everything outside the table sees it: Redis's declarative metadata
 * (arity, flags, key positions and specs, ACL categories, docs) behind one interface, which the
 * table's CommandDef implements. Dispatch, COMMAND, propagation and the AOF read it.
 */

import type { SpecNode } from '../specs/spec-node.js';
import type { KeySpec } from './key-specs.js';

/** Command flags as bits, from Redis's declarative spec; dispatch checks them on every call. */
export const Flag = {
  write: 1 << 0,
  readonly: 1 << 1,
  denyoom: 1 << 2,
  admin: 1 << 3,
  pubsub: 1 << 4,
  noscript: 1 << 5,
  blocking: 1 << 6,
  loading: 1 << 7,
  stale: 1 << 8,
  skip_monitor: 1 << 9,
  skip_slowlog: 1 << 10,
  fast: 1 << 11,
  no_auth: 1 << 12,
  may_replicate: 1 << 13,
  no_mandatory_keys: 1 << 14,
  no_multi: 1 << 15,
  movablekeys: 1 << 16,
  allow_busy: 1 << 17,
} as const;

export interface CommandInfo {
  /** Full name, lower case: 'get', 'config|get'. */
  readonly name: string;
  /** Name as Redis prints it in errors and stats: 'config|get'. */
  readonly fullName: string;
  readonly arity: number;
  readonly flags: number;
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  readonly keySpecs: readonly KeySpec[];
  readonly categories: readonly string[];
  readonly subcommands: ReadonlyMap<string, CommandInfo> | null;
  readonly parent: CommandInfo | null;
  /** COMMAND DOCS entry. */
  readonly docs: SpecNode | undefined;
  /** The COMMAND INFO entry, listing only the subcommands implemented. */
  readonly infoNode: SpecNode[];
  /** False for a container (CONFIG, CLIENT …) without its own handler: only its subcommands run. */
  readonly executable: boolean;
  has(flag: number): boolean;
}

export interface CommandTable {
  /** A top-level command by name, any letter case. */
  lookup(name: string): CommandInfo | undefined;
  all(): Iterable<CommandInfo>;
}
