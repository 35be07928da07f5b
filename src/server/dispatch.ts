import { performance } from 'node:perf_hooks';
import { type CommandDef, Flag } from '../commands/table.js';
import type { Client } from './client.js';
import type { Server } from './server.js';

/** Commands allowed while a RESP2 client is in subscribe mode. */
const PUBSUB_ALLOWED = new Set([
  'subscribe',
  'ssubscribe',
  'unsubscribe',
  'sunsubscribe',
  'psubscribe',
  'punsubscribe',
  'ping',
  'quit',
  'reset',
]);
const DEBUG_NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

/** Commands that run immediately even inside MULTI. */
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Redis's processCommand: lookup, checks in Redis's order, MULTI queueing, then call(). */
export function execute(server: Server, c: Client, argv: string[]): void {
  const name = argv[0];
  // Errors replied before this command (rejections, other clients) are not its failures.
  server.stats.attributedErrors = server.stats.totalErrorReplies;
  let cmd = server.commands.lookup(name);
  // Redis remembers the command looked up even when it is then rejected (CLIENT LIST cmd=).
  c.lastCommandName =
    cmd === undefined
      ? 'NULL'
      : cmd.subcommands !== null && argv.length > 1
        ? subcommandName(cmd, argv[1])
        : cmd.name;
  if (cmd === undefined) {
    const lower = name.toLowerCase();
    if (lower === 'host:' || lower === 'post') {
      securityWarning(server, c);
      return;
    }
    rejectQueued(c, unknownCommandError(argv));
    return;
  }
  if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) {
    cmd.rejectedCalls++;
    rejectQueued(c, `ERR wrong number of arguments for '${cmd.name}' command`);
    return;
  }
  // A container called alone (COMMAND) runs its own handler.
  if (cmd.subcommands !== null && argv.length > 1) {
    const sub = cmd.subcommands.get(argv[1].toLowerCase());
    if (sub === undefined) {
      rejectQueued(
        c,
        `ERR unknown subcommand '${truncate(argv[1], 128)}'. Try ${cmd.name.toUpperCase()} HELP.`,
      );
      return;
    }
    cmd = sub;
    if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) {
      cmd.rejectedCalls++;
      rejectQueued(c, `ERR wrong number of arguments for '${cmd.name}' command`);
      return;
    }
  }
  if (cmd === server.debugCommand && !server.admin.debugAllowed(c)) {
    cmd.rejectedCalls++;
    rejectQueued(c, DEBUG_NOT_ALLOWED);
    return;
  }
  c.command = cmd;
  if (!c.authenticated && !cmd.has(Flag.no_auth)) {
    cmd.rejectedCalls++;
    rejectQueued(c, 'NOAUTH Authentication required.');
    return;
  }
  // Writes (and PING) are refused while persistence is failing (stop-writes-on-bgsave-error, AOF errors).
  const diskError = server.persistence.diskError;
  if (diskError !== null && (cmd.has(Flag.write) || cmd.name === 'ping' || execWrites(server, c, cmd))) {
    cmd.rejectedCalls++;
    rejectQueued(c, diskError);
    return;
  }
  const repl = server.replication;
  const isWrite = cmd.has(Flag.write) || execWrites(server, c, cmd);
  if (isWrite && repl.writesRefused && !c.roleFlags.includes('M')) {
    cmd.rejectedCalls++;
    rejectQueued(c, 'NOREPLICAS Not enough good replicas to write.');
    return;
  }
  if (repl.isReplica && isWrite && !c.roleFlags.includes('M') && server.config.bool('replica-read-only')) {
    cmd.rejectedCalls++;
    rejectQueued(c, "READONLY You can't write against a read only replica.");
    return;
  }
  if (c.resp === 2 && c.subscriptionCount > 0 && !PUBSUB_ALLOWED.has(cmd.parent?.name ?? cmd.name)) {
    cmd.rejectedCalls++;
    c.reply.error(
      `ERR Can't execute '${cmd.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
    return;
  }
  if (
    repl.isReplica &&
    repl.link!.state !== 'connected' &&
    !cmd.has(Flag.stale) &&
    !server.config.bool('replica-serve-stale-data')
  ) {
    cmd.rejectedCalls++;
    rejectQueued(c, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
    return;
  }
  if (server.loading && !cmd.has(Flag.loading)) {
    cmd.rejectedCalls++;
    rejectQueued(c, 'LOADING Redis is loading the dataset in memory');
    return;
  }
  if (server.admin.pausedFor(c, cmd)) {
    server.admin.postpone(c, argv);
    return;
  }
  if (c.multi !== null && !MULTI_IMMEDIATE.has(cmd.name)) {
    if (cmd.has(Flag.no_multi)) {
      cmd.rejectedCalls++;
      rejectQueued(c, 'ERR Command not allowed inside a transaction');
      return;
    }
    c.multi.push(argv);
    c.reply.simple('QUEUED');
    return;
  }
  c.currentArgv = argv;
  call(server, c, cmd, argv);
  c.currentArgv = null;
}

function subcommandName(container: CommandDef, sub: string): string {
  const def = container.subcommands!.get(sub.toLowerCase());
  return def === undefined ? 'NULL' : def.name;
}

/** EXEC counts as a write when one of its queued commands is (Redis's mstate.cmd_flags). */
function execWrites(server: Server, c: Client, cmd: CommandDef): boolean {
  if (cmd.name !== 'exec' || c.multi === null) return false;
  for (const argv of c.multi) {
    let def = server.commands.lookup(argv[0]);
    if (def?.subcommands != null) def = def.subcommands.get(argv[1]?.toLowerCase() ?? '') ?? def;
    if (def?.has(Flag.write)) return true;
  }
  return false;
}

/** An error for a command that could not run; inside MULTI it also dooms the transaction. */
function rejectQueued(c: Client, msg: string): void {
  if (c.multi !== null) c.multiError = true;
  c.reply.error(msg);
}

/**
 * Runs a command: time snapshot, handler, statistics, slowlog, and propagation of what it
 * changed. Also used by EXEC for each queued command.
 */
export function call(server: Server, c: Client, cmd: CommandDef, argv: string[]): void {
  const dirtyBefore = server.dirty;
  // One time snapshot per execution unit: commands inside EXEC (or a script) share the outer one.
  // One clock read per command: within a batch of pipelined input the previous command's end is
  // this one's start.
  const start = server.clockChain ? server.perfNow : performance.now();
  c.now = server.callDepth === 0 ? server.keyspace.tickAt(start) : server.keyspace.time;
  c.command = cmd;
  c.rewrittenArgv = null;
  c.propagationPrevented = false;
  server.callDepth++;
  // A background snapshot saves the old values of the keys this command may change.
  if (server.beforeWriteCommand !== null && cmd.has(Flag.write)) server.beforeWriteCommand(c, cmd, argv);
  try {
    cmd.handler!(c, argv);
  } catch (e) {
    server.stats.unexpectedErrors++;
    server.log('warning', `Error executing '${cmd.name}': ${(e as Error).stack ?? e}`);
    c.reply.error(`ERR ${(e as Error).message ?? 'internal error'}`);
  }
  const end = performance.now();
  server.perfNow = end;
  const usec = Math.round((end - start) * 1000);
  cmd.calls++;
  cmd.usec += usec;
  server.stats.totalCommands++;
  // Failed: it replied an error that no nested call (inside EXEC, a script) already accounted for.
  if (server.stats.totalErrorReplies > server.stats.attributedErrors) cmd.failedCalls++;
  server.stats.attributedErrors = server.stats.totalErrorReplies;
  // A command that blocked is logged (slowlog, latency histogram) when it is unblocked, as Redis does.
  if (!server.blocking.isBlocked(c)) {
    server.admin.recordLatency(cmd, usec);
    server.slowlog.record(c, argv, usec, cmd);
  }
  if (server.monitors.size > 0 && !cmd.has(Flag.skip_monitor | Flag.admin)) server.feedMonitors(c, argv);
  // What the command changed goes to replicas and the AOF, after anything it propagated itself.
  if (server.dirty !== dirtyBefore && !c.propagationPrevented)
    server.alsoPropagate(c.db.id, c.rewrittenArgv ?? argv);
  server.callDepth--;
  if (server.callDepth === 0) {
    if (server.flushPropagation()) c.woff = server.replication.offset;
    // Redis's handleClientsBlockedOnKeys: after the whole command (EXEC, script), never inside.
    if (server.blocking.hasReadyKeys) server.blocking.handleReadyKeys();
  }
}

/** Redis's "unknown command" text: the name and up to 128 characters of arguments, quoted. */
export function unknownCommandError(argv: string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${truncate(argv[i], 128 - args.length)}' `;
  }
  return `ERR unknown command '${truncate(argv[0], 128)}', with args beginning with: ${args}`;
}

/** Redis's printf("%.*s"): at most n characters, and a C string ends at the first NUL byte. */
function truncate(s: string, n: number): string {
  const nul = s.indexOf('\0');
  if (nul >= 0 && nul < n) n = nul;
  return s.length > n ? s.slice(0, n) : s;
}

let lastSecurityWarning = 0;

function securityWarning(server: Server, c: Client): void {
  const now = Date.now();
  if (now - lastSecurityWarning > 60_000) {
    server.log(
      'warning',
      'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.',
    );
    lastSecurityWarning = now;
  }
  c.close();
}
