import { performance } from 'node:perf_hooks';
import { Flag } from '../core/command.js';
import type { CommandDef } from '../core/command-table.js';
import { commandKeys } from '../core/key-specs.js';
import { ScriptFlag } from '../core/scripting.js';
import { aclRefusal, nopermError } from './acl-check.js';
import type { Client } from './client.js';
import { EVICT_FAIL, OOM_ERROR } from './evictor.js';
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
function protectedRefusal(directive: string): string {
  const name = directive === 'enable-debug-command' ? 'DEBUG' : 'MODULE';
  return `ERR ${name} command not allowed. If the ${directive} option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`;
}

/** Commands that run immediately even inside MULTI. */
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/** Inside MULTI, when memory is over maxmemory, every other command is refused (not only denyoom ones). */
const MULTI_OOM_ALLOWED = new Set(['exec', 'discard', 'quit', 'reset']);

/** Commands between two used-memory samples for used_memory_peak when no maxmemory is set. */
const PEAK_SAMPLE_MASK = 63;
let commandsSincePeakSample = 0;

/** Redis's processCommand, with c as server.current_client meanwhile (tracking's NOLOOP). */
export function execute(server: Server, c: Client, argv: string[]): void {
  const previous = server.currentClient;
  server.currentClient = c;
  try {
    processCommand(server, c, argv);
  } finally {
    server.currentClient = previous;
  }
}

/** Lookup, checks in Redis's order, MULTI queueing, then call(). */
function processCommand(server: Server, c: Client, argv: string[]): void {
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
    reject(server, c, undefined, argv, unknownCommandError(argv));
    return;
  }
  if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) {
    cmd.rejectedCalls++;
    reject(server, c, cmd, argv, `ERR wrong number of arguments for '${cmd.name}' command`);
    return;
  }
  // A container called alone (COMMAND) runs its own handler.
  if (cmd.subcommands !== null && argv.length > 1) {
    const sub = cmd.subcommands.get(argv[1].toLowerCase());
    if (sub === undefined) {
      reject(
        server,
        c,
        undefined,
        argv,
        `ERR unknown subcommand '${truncate(argv[1], 128)}'. Try ${cmd.name.toUpperCase()} HELP.`,
      );
      return;
    }
    cmd = sub;
    if ((cmd.arity > 0 && argv.length !== cmd.arity) || argv.length < -cmd.arity) {
      cmd.rejectedCalls++;
      reject(server, c, cmd, argv, `ERR wrong number of arguments for '${cmd.name}' command`);
      return;
    }
  }
  const guard = server.protectedCommands.get(cmd);
  if (guard !== undefined && !server.admin.protectedAllowed(c, guard)) {
    cmd.rejectedCalls++;
    reject(server, c, cmd, argv, protectedRefusal(guard));
    return;
  }
  c.command = cmd;
  if (!c.authenticated && !cmd.has(Flag.no_auth)) {
    cmd.rejectedCalls++;
    reject(server, c, cmd, argv, 'NOAUTH Authentication required.');
    return;
  }
  if (c.multi !== null && cmd.has(Flag.no_multi)) {
    cmd.rejectedCalls++;
    reject(server, c, cmd, argv, 'ERR Command not allowed inside a transaction');
    return;
  }
  const user = c.aclUser;
  if (user !== null && !user.unrestricted) {
    const refusal = aclRefusal(server.acl, user, cmd, argv);
    if (refusal !== null) {
      c.logAclDenial(refusal.reason, refusal.object);
      cmd.rejectedCalls++;
      reject(server, c, cmd, argv, nopermError(refusal));
      return;
    }
  }
  // Our master's stream is applied even then: refusing it would lose writes (Redis holds it back).
  if (server.scriptBusy !== null && !cmd.has(Flag.allow_busy) && !c.fromMaster) {
    cmd.rejectedCalls++;
    reject(server, c, cmd, argv, server.scriptBusy);
    return;
  }
  // EXEC is judged by the commands it would run too (Redis's mstate.cmd_flags / cmd_inv_flags).
  const queued = c.multi !== null && cmd.name === 'exec' ? queuedFlags(server, c.multi) : null;
  // A script with a shebang is judged by the flags it declares (evalGetCommandFlags).
  const flags = SCRIPT_COMMANDS.has(cmd.name) ? scriptCommandFlags(server, cmd, argv) : cmd.flags;
  const evictor = server.evictor;
  // maxmemory, and the heap's ceiling, which holds even without it: past it the process would die.
  // Our master's stream is applied regardless (refusing it would fork the data set).
  const outOfMemory =
    (evictor.maxmemory > 0 && evictor.performEvictions() === EVICT_FAIL) ||
    (server.heapGuard.refusing() && !c.fromMaster);
  server.preCommandOom = outOfMemory;
  if (
    outOfMemory &&
    ((flags & Flag.denyoom) !== 0 ||
      (queued !== null && (queued.any & Flag.denyoom) !== 0) ||
      (c.multi !== null && !MULTI_OOM_ALLOWED.has(cmd.name)))
  ) {
    cmd.rejectedCalls++;
    reject(server, c, cmd, argv, OOM_ERROR);
    return;
  }
  if (evictor.maxmemory === 0 && (++commandsSincePeakSample & PEAK_SAMPLE_MASK) === 0) evictor.usedMemory();
  const isWrite = (flags & Flag.write) !== 0 || (queued !== null && (queued.any & Flag.write) !== 0);
  // Writes (and PING) are refused while persistence is failing (stop-writes-on-bgsave-error, AOF errors).
  const diskError = server.persistence.diskError;
  if (diskError !== null && (isWrite || cmd.name === 'ping')) {
    cmd.rejectedCalls++;
    reject(server, c, cmd, argv, diskError);
    return;
  }
  const repl = server.replication;
  if (isWrite && !c.fromMaster && repl.writesRefused) {
    cmd.rejectedCalls++;
    reject(server, c, cmd, argv, 'NOREPLICAS Not enough good replicas to write.');
    return;
  }
  if (isWrite && !c.fromMaster && repl.isReplica && server.config.bool('replica-read-only')) {
    cmd.rejectedCalls++;
    reject(server, c, cmd, argv, "READONLY You can't write against a read only replica.");
    return;
  }
  if (c.resp === 2 && c.subscriptionCount > 0 && !PUBSUB_ALLOWED.has(cmd.parent?.name ?? cmd.name)) {
    cmd.rejectedCalls++;
    reject(
      server,
      c,
      cmd,
      argv,
      `ERR Can't execute '${cmd.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
    return;
  }
  if (
    repl.isReplica &&
    !repl.linkUp &&
    ((flags & Flag.stale) === 0 || (queued !== null && (queued.missing & Flag.stale) !== 0)) &&
    !server.config.bool('replica-serve-stale-data')
  ) {
    cmd.rejectedCalls++;
    reject(
      server,
      c,
      cmd,
      argv,
      "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    );
    return;
  }
  if (
    server.loading &&
    (!cmd.has(Flag.loading) || (queued !== null && (queued.missing & Flag.loading) !== 0))
  ) {
    cmd.rejectedCalls++;
    reject(server, c, cmd, argv, 'LOADING Redis is loading the dataset in memory');
    return;
  }
  if (server.admin.pausedFor(c, cmd)) {
    server.admin.postpone(c, argv);
    return;
  }
  if (c.multi !== null && !MULTI_IMMEDIATE.has(cmd.name)) {
    c.multi.push(argv);
    c.reply.simple('QUEUED');
    return;
  }
  c.currentArgv = argv;
  call(server, c, cmd, argv);
  c.currentArgv = null;
}

const SCRIPT_COMMANDS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/**
 * scriptFlagsToCmdFlags: a script that declares flags replaces the command's write, denyoom and
 * stale flags with what it declared (no-writes implies allow-oom); others keep the command's.
 */
function scriptCommandFlags(server: Server, cmd: CommandDef, argv: string[]): number {
  if (argv.length < 2) return cmd.flags;
  const kind = cmd.name.startsWith('evalsha') ? 'evalsha' : cmd.name.startsWith('fcall') ? 'fcall' : 'eval';
  const scriptFlags = server.scripting.scriptFlags(argv, kind);
  if (scriptFlags === null || (scriptFlags & ScriptFlag.evalCompat) !== 0) return cmd.flags;
  let flags = cmd.flags & ~(Flag.stale | Flag.denyoom | Flag.write | Flag.may_replicate);
  if ((scriptFlags & (ScriptFlag.allowOom | ScriptFlag.noWrites)) === 0) flags |= Flag.denyoom;
  if ((scriptFlags & ScriptFlag.noWrites) === 0) flags |= Flag.write;
  if ((scriptFlags & ScriptFlag.allowStale) !== 0) flags |= Flag.stale;
  return flags;
}

function subcommandName(container: CommandDef, sub: string): string {
  const def = container.subcommands!.get(sub.toLowerCase());
  return def === undefined ? 'NULL' : def.name;
}

/** Flags of the queued commands: any = set by one of them, missing = lacking in one of them. */
function queuedFlags(server: Server, queued: readonly string[][]): { any: number; missing: number } {
  let any = 0;
  let missing = 0;
  for (const argv of queued) {
    let def = server.commands.lookup(argv[0]);
    if (def?.subcommands != null) def = def.subcommands.get(argv[1]?.toLowerCase() ?? '') ?? def;
    if (def === undefined) continue;
    any |= def.flags;
    missing |= ~def.flags;
  }
  return { any, missing };
}

/**
 * Redis's rejectCommand: an error for a command that could not run. Inside MULTI it also dooms
 * the transaction (flagTransaction); a rejected EXEC discards it (execCommandAbort).
 */
function reject(server: Server, c: Client, cmd: CommandDef | undefined, argv: string[], msg: string): void {
  if (c.multi !== null) c.multiError = true;
  if (cmd?.name === 'exec') {
    execCommandAbort(server, c, argv, msg);
    return;
  }
  c.reply.error(msg);
}

/**
 * execCommandAbort: discards the transaction (and WATCHes, even outside MULTI) and replies
 * -EXECABORT with the reason. Redis formats the reason without an error code of its own (it only
 * strips a leading '-'), so a plain "ERR ..." reason loses its "ERR " while NOAUTH, OOM, READONLY,
 * MISCONF … keep theirs. MONITOR sees the EXEC, closing the MULTI it was shown.
 */
function execCommandAbort(server: Server, c: Client, argv: string[], msg: string): void {
  c.multi = null;
  c.multiError = false;
  server.unwatchAll(c);
  const reason = msg.startsWith('ERR ') ? msg.slice(4) : msg;
  c.reply.error(`EXECABORT Transaction discarded because of: ${reason}`);
  if (server.monitors.size > 0) server.feedMonitors(c, argv);
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
  const outermost = !c.executing;
  c.executing = true;
  // EVAL and its kin (flagged skip-monitor) are shown before the commands their script runs, as in Redis.
  if (server.monitors.size > 0 && SCRIPT_COMMANDS.has(cmd.name)) server.feedMonitors(c, argv);
  // A background snapshot saves the old values of the keys this command may change.
  if (server.events.beforeWrite.any && cmd.has(Flag.write)) server.events.beforeWrite.emit(c, cmd, argv);
  try {
    cmd.handler!(c, argv);
    if (cmd.has(Flag.readonly) && server.tracking.clientsTracking > 0)
      rememberTrackedKeys(server, c, cmd, argv);
  } catch (e) {
    server.stats.unexpectedErrors++;
    server.log('warning', `Error executing '${cmd.name}': ${(e as Error).stack ?? e}`);
    c.reply.error(`ERR ${(e as Error).message ?? 'internal error'}`);
  }
  if (c.suspended) {
    // A script paused past busy-reply-threshold: the command ends when it does.
    c.suspended = false;
    c.finishSuspended = () => finishCall(server, c, cmd, argv, start, dirtyBefore, outermost);
    return;
  }
  finishCall(server, c, cmd, argv, start, dirtyBefore, outermost);
}

/** trackingRememberKeys for the client (a script's caller for its commands), as call() does. */
function rememberTrackedKeys(server: Server, c: Client, cmd: CommandDef, argv: string[]): void {
  if (cmd.name === 'eval_ro' || cmd.name === 'evalsha_ro' || cmd.name === 'fcall_ro') return;
  const caller = c.inScript ? c.scriptCaller : c;
  if (caller === null || !caller.tracking.on || caller.tracking.bcast || cmd.has(Flag.pubsub)) return;
  const keys = commandKeys(cmd.name, cmd.keySpecs, argv);
  if (keys.length > 0)
    server.tracking.rememberKeys(
      caller,
      keys.map((k) => argv[k.pos]),
    );
}

/** call()'s end: statistics, slowlog, MONITOR, propagation, and at depth 0 the flush and ready keys. */
function finishCall(
  server: Server,
  c: Client,
  cmd: CommandDef,
  argv: string[],
  start: number,
  dirtyBefore: number,
  outermost: boolean,
): void {
  const end = performance.now();
  server.perfNow = end;
  const usec = Math.round((end - start) * 1000);
  cmd.calls++;
  cmd.usec += usec;
  server.stats.totalCommands++;
  // Failed: it replied an error that no nested call (inside EXEC, a script) already accounted for.
  if (server.stats.totalErrorReplies > server.stats.attributedErrors || c.failedUncounted) cmd.failedCalls++;
  c.failedUncounted = false;
  server.stats.attributedErrors = server.stats.totalErrorReplies;
  // A command that blocked is logged (slowlog, latency histogram) when it is unblocked, as Redis does.
  if (!server.blocking.isBlocked(c)) {
    server.admin.recordLatency(cmd, usec);
    server.slowlog.record(c, argv, usec, cmd);
  }
  if (server.monitors.size > 0 && !cmd.has(Flag.skip_monitor | Flag.admin)) server.feedMonitors(c, argv);
  // What the command changed goes to replicas and the AOF, after anything it propagated itself.
  if (server.dirty !== dirtyBefore && !c.propagationPrevented) {
    const rewritten = c.rewrittenArgv;
    if (rewritten !== null) server.alsoPropagate(c.db.id, rewritten, null, 0, 0, c.replTargets);
    else {
      const parser = c.parser;
      const raw = parser.rawBufferOf(argv);
      server.alsoPropagate(c.db.id, argv, raw, parser.rawStart, parser.rawEnd, c.replTargets);
    }
  }
  server.callDepth--;
  if (outermost) {
    c.executing = false;
    // CLIENT CACHING applies to the next command only (all of a MULTI); CLIENT commands keep it.
    if (c.tracking.caching && c.multi === null && !cmd.name.startsWith('client|')) c.tracking.caching = false;
    server.tracking.flushPending(c);
  }
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
