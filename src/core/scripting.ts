/**
 * Scripting's contracts with the server: what a script run needs from it (ScriptHost, ScriptClient);
 * what commands see of scripting is context.ts's ScriptingControl. server/ implements the host side, scripting/ the engine; the
 * composition root connects them.
 */
import type { CommandContext, LogLevel } from './context.js';

/** Shebang flags of a script (`#!lua flags=…`), as Redis's SCRIPT_FLAG_*. */
export const ScriptFlag = {
  noWrites: 1,
  allowOom: 2,
  allowStale: 4,
  noCluster: 8,
  /** No shebang: an EVAL script in Redis 7.0's compatibility mode. */
  evalCompat: 16,
  allowCrossSlot: 32,
} as const;

/** Flag names in Redis's order (scripts_flags_def): shebangs, register_function, FUNCTION LIST. */
export const SCRIPT_FLAG_NAMES: ReadonlyMap<string, number> = new Map([
  ['no-writes', ScriptFlag.noWrites],
  ['allow-oom', ScriptFlag.allowOom],
  ['allow-stale', ScriptFlag.allowStale],
  ['no-cluster', ScriptFlag.noCluster],
  ['allow-cross-slot-keys', ScriptFlag.allowCrossSlot],
]);

/** The reply to commands while a script runs past busy-reply-threshold (Redis's slowevalerr). */
export const BUSY_SCRIPT_ERROR =
  'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';

/** redis.set_repl targets (PROPAGATE_AOF | PROPAGATE_REPL). */
export const ReplTarget = { none: 0, aof: 1, replicas: 2, all: 3 } as const;

/** One run of a script, as the server checks and executes its redis.call()s (Redis's scriptRunCtx). */
export interface ScriptRun {
  /** No writes allowed (EVAL_RO, FCALL_RO, a no-writes script). */
  readonly readOnly: boolean;
  /** allow-oom: denyoom commands run even over maxmemory. */
  readonly allowOom: boolean;
  /** A write command has run (Redis's SCRIPT_WRITE_DIRTY). */
  wroteDirty: boolean;
  /** Where the writes of the commands it runs go (redis.set_repl). */
  replTargets: number;
}

/** The client a script's commands run as (Redis's script client): no connection, its own db and protocol. */
export interface ScriptClient {
  /** Protocol the commands reply in (redis.setresp). */
  resp: 2 | 3;
  /**
   * Redis's scriptCall: the checks a command from a script gets (unknown, arity, not allowed from
   * scripts, writes in a read-only run, a read-only replica, disk errors, OOM before the first write),
   * then the command itself. Returns the refusal (an error text such as "ERR …" or "-READONLY …"),
   * or null with the reply written, to be read with reply().
   */
  call(run: ScriptRun, argv: string[]): string | null;
  /** The reply of the last call, in RESP, as a view valid until release(). */
  reply(): Buffer;
  release(): void;
  /** Whether a command of that name exists (redis.acl_check_cmd). */
  knows(name: string): boolean;
}

/** What a script run needs from the server before and around it. */
export interface ScriptHost {
  /**
   * A script past busy-reply-threshold may pause so other clients get -BUSY: only one a client's
   * connection sent as a command of its own (not inside EXEC, from the AOF or from our master).
   */
  canSuspend(ctx: CommandContext): boolean;
  /** ctx is our master's link or the AOF (Redis's mustObeyClient): FUNCTION LOAD has no time bound. */
  mustObey(ctx: CommandContext): boolean;
  /**
   * Holds ctx (its command not finished: stats, propagation, its next commands wait) and returns
   * what ends the hold once the script has replied.
   */
  suspendCaller(ctx: CommandContext): () => void;
  /**
   * Other clients get this -BUSY error (null: no more), the cron leaves the keyspace alone
   * (Redis's timed-out script).
   */
  setScriptBusy(error: string | null): void;
  /** busy-reply-threshold in ms (0: never). */
  readonly busyReplyThreshold: number;
  /** The server has shut down (SHUTDOWN NOSAVE of a busy script): a paused script is dropped. */
  readonly stopped: boolean;
  /** Prepares the script client for a run by ctx: ctx's db, RESP2. */
  scriptClient(ctx: CommandContext): ScriptClient;
  /** The refusal of a script with these flags before it runs (scriptPrepareForRun), or null. */
  refuseRun(ctx: CommandContext, flags: number, readOnlyCommand: boolean): string | null;
  log(level: LogLevel, message: string): void;
  /** verbosity: redis.log below it is dropped. */
  readonly logLevel: LogLevel;
  readonly version: string;
}
