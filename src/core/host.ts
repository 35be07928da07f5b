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
  fakeClient(): FakeClient;
  /** The TCP port listened on (0: none). */
  readonly port: number;
  /** Request parsing limits (the master's stream is parsed with them too). */
  readonly parserLimits: ParserLimits;
  /** A client for the link to our master; onError hears each error it would have replied. */
  masterClient(remote: string, local: string, onError: (msg: string) => void): MasterClient;
  /** Runs a read's worth of commands chaining one clock reading per command, as a client's read does. */
  runBatch(fn: () => void): void;
  /** CLIENT PAUSE is in effect (FAILOVER and a shutdown waiting for replicas pause writes too). */
  readonly clientsPaused: boolean;
  pauseClients(mode: 'write' | 'all', endMs: number): void;
  unpauseClients(): void;
  /** Writes wait until the deadline, or until the shutdown is aborted or fails. */
  pauseWritesForShutdown(deadlineMs: number): void;
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
