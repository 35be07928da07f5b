/**
 * What persistence and replication need from the server, as interfaces: server/server.ts
 * implements them, the composition root (assemble.ts) hands them over, and neither side reaches
 * into the other's fields.
 */
import type { ParserLimits } from '../protocol/request-parser.js';
import type { Keyspace } from '../store/keyspace.js';
import type { CommandTable } from './command.js';
import type { ConfigView, LogLevel } from './context.js';
import type { ServerEvents } from './events.js';

export interface HostConfig extends ConfigView {
  /** Calls fn now and whenever the directive's value changes. */
  watch(name: string, fn: (value: unknown) => void): void;
  /** What CONFIG SET runs after changing the directive (null, an error text, or a promise of one). */
  onApply(name: string, fn: () => string | null | Promise<string | null>): void;
  /** Sets a directive as a config-file line would. */
  setFromText(name: string, args: string[]): void;
}

/** What persistence asks of replication (the composition root, assemble.ts, connects them). */
export interface ReplicationForPersistence {
  /** repl-stream-db / repl-id / repl-offset to save in an RDB, or null (rdbPopulateSaveInfo). */
  rdbAux(): Array<[string, string]> | null;
  /**
   * A master about to load its RDB at start-up (RDBFLAGS_FEED_REPL): where the DELs of keys found
   * expired go, into a backlog created for them; null on a replica.
   */
  startupLoadFeed(): ((dbId: number, key: string) => void) | null;
}

/** A client without a connection running commands as Redis's cmd->proc does (the AOF loader). */
export interface FakeClient {
  /** Runs argv without dispatch's checks, statistics or propagation; its reply is dropped. */
  run(argv: string[]): 'ok' | 'unknown' | Error;
  close(): void;
}

export interface Host {
  readonly keyspace: Keyspace;
  readonly config: HostConfig;
  readonly events: ServerEvents;
  readonly commands: CommandTable;
  log(level: LogLevel, message: string): void;
  /** Changes since the last save (rdb_changes_since_last_save). */
  dirty: number;
  /** The dataset is being loaded: commands get -LOADING, nothing is propagated. */
  loading: boolean;
  /** 'master' or 'replica'. */
  readonly roleName: string;
  /** used_memory, as INFO memory reports it. */
  usedMemory(): number;
  /** The error a load stops with once the heap reached its ceiling (null while it has room). */
  heapFull(): string | null;
  fakeClient(): FakeClient;
  /** The TCP port listened on (0: none). */
  readonly port: number;
  /** Request parsing limits (the master's stream is parsed with them too). */
  readonly parserLimits: ParserLimits;
  /** A client for the link to our master (see MasterClientHooks); `id` reuses a cached master's. */
  masterClient(remote: string, local: string, hooks: MasterClientHooks, id?: number): MasterClient;
  /** Runs a read's worth of commands chaining one clock reading per command, as a client's read does. */
  runBatch(fn: () => void): void;
  /** CLIENT PAUSE is in effect (FAILOVER and a shutdown waiting for replicas pause writes too). */
  readonly clientsPaused: boolean;
  pauseClients(mode: 'write' | 'all', endMs: number): void;
  unpauseClients(): void;
  /** Writes wait until the deadline, or until the shutdown is aborted or fails. */
  pauseWritesForShutdown(deadlineMs: number): void;
}

export interface MasterClientHooks {
  /** Each error a command of the stream would have replied. */
  onError(msg: string): void;
  /** The client was killed (CLIENT KILL TYPE master / ID): the link must drop, as in Redis. */
  onKilled(): void;
}

/** The link to our master as a client (flag M): the stream's commands run through dispatch as its own. */
export interface MasterClient {
  readonly id: number;
  /** Runs one command of the stream; its reply is dropped (errors go to the callback given). */
  execute(argv: string[]): void;
  /** Inside a MULTI of the stream: nothing counts as applied before its EXEC. */
  readonly inTransaction: boolean;
  /** The last command looked up, for the log ("NULL" when unknown). */
  readonly lastCommandName: string;
  /** The db the stream has selected. */
  readonly db: number;
  close(): void;
}
