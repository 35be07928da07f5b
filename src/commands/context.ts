import type { Reply } from '../protocol/reply.js';
import type { Database } from '../store/database.js';
import type { Keyspace } from '../store/keyspace.js';
import type { CommandDef } from './table.js';

/**
 * Keyspace event classes of notify-keyspace-events: g generic, $ string, l list, s set, h hash,
 * z zset, x expired, e evicted, t stream, m key-miss, n new key.
 */
export type EventClass = 'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 't' | 'm' | 'n';

/** What a command handler sees: the calling client and, through it, the server. */
export interface CommandContext {
  readonly reply: Reply;
  readonly keyspace: Keyspace;
  /** The selected database. */
  db: Database;
  readonly server: ServerContext;
  readonly id: number;
  name: string;
  /** Library name/version (CLIENT SETINFO is 7.2; kept for CLIENT LIST parity with HELLO). */
  resp: 2 | 3;
  /** Time (ms) this command runs at, one snapshot per command. */
  readonly now: number;
  /** The command being executed. */
  readonly command: CommandDef;
  authenticated: boolean;
  user: string;
  /** Channels plus patterns subscribed (RESP2 subscribe mode when > 0). */
  readonly subscriptionCount: number;
  /** Set to close the connection once pending replies are written (QUIT). */
  closeAfterReply: boolean;

  setAuthenticated(user: string): void;
  /** RESET: back to a fresh connection's state. */
  resetState(): void;

  /**
   * After a write to key: invalidates WATCHes, emits the keyspace notification, counts one change
   * towards save points and propagation.
   */
  changed(key: string, cls: EventClass, event: string): void;
  /** A keyspace notification without a modification (e.g. 'expired' handled elsewhere). */
  notify(cls: EventClass, event: string, key: string): void;
  /** Counts changes towards dirty without a key (FLUSHALL counts its keys). */
  addDirty(n: number): void;
  /** Propagate this command vector instead of the one received (e.g. SET EX -> SET PXAT). */
  rewriteArgv(argv: string[]): void;
  /** Propagate an extra command after this one (e.g. the DEL of an expired key). */
  alsoPropagate(argv: string[]): void;
  /** Selects a db for this client; returns false if the index is out of range. */
  select(index: number): boolean;
}

/** Read access to configuration values by directive name. */
export interface ConfigView {
  num(name: string): number;
  bool(name: string): boolean;
  str(name: string): string;
  get(name: string): unknown;
}

/** Server services available to commands, implemented by server/server.ts. */
export interface ServerContext {
  readonly keyspace: Keyspace;
  readonly config: ConfigView;
  readonly commands: CommandTable;
  /** Changes since the last save (rdb_changes_since_last_save), also the propagation trigger. */
  dirty: number;
  /** 'master' or 'replica' (HELLO, ROLE). */
  readonly roleName: string;
  log(level: LogLevel, message: string): void;
  /** After FLUSHALL: persistence resets its save state (Redis saves an empty RDB if save points exist). */
  afterFlushAll(): void;
}

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning';

export interface CommandTable {
  lookup(name: string): CommandDef | undefined;
  all(): Iterable<CommandDef>;
}
