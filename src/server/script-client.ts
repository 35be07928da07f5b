import { Flag } from '../core/command.js';
import type { CommandContext } from '../core/context.js';
import { ReplTarget, type ScriptClient, ScriptFlag, type ScriptRun } from '../core/scripting.js';
import { aclRefusal, SCRIPT_DENIAL } from './acl-check.js';
import { Client, clientOf } from './client.js';
import { call } from './dispatch.js';
import { OOM_ERROR } from './evictor.js';
import type { Server } from './server.js';

const READONLY_REPLICA = "-READONLY You can't write against a read only replica.";
const EMPTY = Buffer.alloc(0);

/**
 * The client a script's commands run as (Redis's lua client): no connection, the caller's db at the
 * start of each run, RESP2 unless redis.setresp says otherwise; its replies are read back by the
 * engine instead of being sent.
 */
export class ScriptCommandClient implements ScriptClient {
  private readonly client: Client;
  private caller: Client | null = null;

  constructor(private readonly server: Server) {
    this.client = new Client(server, 0, null, '', '', -1);
    this.client.inScript = true;
    this.client.setAuthenticated('default');
  }

  get resp(): 2 | 3 {
    return this.client.resp;
  }

  set resp(v: 2 | 3) {
    this.client.resp = v;
  }

  /** scriptPrepareForRun's part on the script client: the caller's db, RESP2. */
  prepare(caller: Client): this {
    this.caller = caller;
    this.client.scriptCaller = caller;
    // Scripts run with the rights of the user who called them.
    this.client.aclUser = caller.aclUser;
    this.client.user = caller.user;
    this.client.db = caller.db;
    this.client.resp = 2;
    this.client.replTargets = ReplTarget.all;
    return this;
  }

  knows(name: string): boolean {
    return this.server.commands.lookup(name) !== undefined;
  }

  call(run: ScriptRun, argv: string[]): string | null {
    const server = this.server;
    let cmd = server.commands.lookup(argv[0]);
    if (cmd?.subcommands != null && argv.length > 1) cmd = cmd.subcommands.get(argv[1].toLowerCase());
    if (cmd === undefined) return 'Unknown Redis command called from script';
    if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) {
      return 'Wrong number of args calling Redis command from script';
    }
    if (cmd.has(Flag.noscript)) return 'This Redis command is not allowed from script';
    const repl = server.replication;
    const fromMaster = this.caller?.fromMaster === true;
    if (
      repl.isReplica &&
      !repl.linkUp &&
      !server.config.bool('replica-serve-stale-data') &&
      !cmd.has(Flag.stale)
    ) {
      return 'Can not execute the command on a stale replica';
    }
    const user = this.client.aclUser;
    const refusal = user === null || user.unrestricted ? null : aclRefusal(server.acl, user, cmd, argv);
    if (refusal !== null) {
      this.client.logAclDenial(refusal.reason, refusal.object);
      return SCRIPT_DENIAL[refusal.reason];
    }
    if (cmd.has(Flag.write)) {
      if (run.readOnly) return 'Write commands are not allowed from read-only scripts.';
      if (repl.isReplica && server.config.bool('replica-read-only') && !fromMaster) return READONLY_REPLICA;
      const diskError = server.persistence.diskError;
      if (diskError !== null) return `-${diskError}`;
    }
    if (
      !run.allowOom &&
      !fromMaster &&
      !repl.isReplica &&
      !run.wroteDirty &&
      server.preCommandOom &&
      cmd.has(Flag.denyoom)
    ) {
      return `-${OOM_ERROR}`;
    }
    if (cmd.has(Flag.write)) run.wroteDirty = true;
    const client = this.client;
    client.replTargets = run.replTargets;
    call(server, client, cmd, argv);
    return null;
  }

  reply(): Buffer {
    const writer = this.client.reply;
    // One buffer (the common case): a view of it, reused after release(); several: one copy.
    if (writer.size === (writer.pending()?.length ?? 0)) return writer.pending() ?? EMPTY;
    return writer.take() ?? EMPTY;
  }

  release(): void {
    this.client.reply.release(true);
  }
}

/**
 * scriptPrepareForRun's refusals: a script with declared flags is checked against the server's
 * state before it starts; one without a shebang only against a stale replica.
 */
export function refuseScriptRun(
  server: Server,
  ctx: CommandContext,
  flags: number,
  readOnly: boolean,
): string | null {
  const repl = server.replication;
  const stale = repl.isReplica && !repl.linkUp && !server.config.bool('replica-serve-stale-data');
  if ((flags & ScriptFlag.evalCompat) !== 0) {
    return stale ? "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'." : null;
  }
  if ((flags & ScriptFlag.allowOom) === 0 && server.preCommandOom && server.evictor.maxmemory > 0) {
    return "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";
  }
  if (stale && (flags & ScriptFlag.allowStale) === 0) {
    return "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.";
  }
  if ((flags & ScriptFlag.noWrites) === 0) {
    const fromMaster = clientOf(ctx).fromMaster;
    if (repl.isReplica && server.config.bool('replica-read-only') && !fromMaster) {
      return 'ERR Can not run script with write flag on readonly replica';
    }
    const diskError = server.persistence.diskError;
    if (diskError !== null && !repl.isReplica) {
      const aof = /^MISCONF Errors writing to the AOF file: (.*)$/.exec(diskError);
      return aof === null
        ? "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts."
        : `MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: ${aof[1]}`;
    }
    if (readOnly) return 'ERR Can not execute a script with write flag using *_ro command.';
  }
  return null;
}
