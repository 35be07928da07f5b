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
/** Commands that run immediately even inside MULTI. */
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Redis's processCommand: lookup, checks in Redis's order, MULTI queueing, then call(). */
export function execute(server: Server, c: Client, argv: string[]): void {
  const name = argv[0];
  let cmd = server.commands.lookup(name);
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
  if (cmd.subcommands !== null) {
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
  c.command = cmd;
  if (!c.authenticated && !cmd.has(Flag.no_auth)) {
    cmd.rejectedCalls++;
    rejectQueued(c, 'NOAUTH Authentication required.');
    return;
  }
  if (c.resp === 2 && c.subscriptionCount > 0 && !PUBSUB_ALLOWED.has(cmd.parent?.name ?? cmd.name)) {
    cmd.rejectedCalls++;
    c.reply.error(
      `ERR Can't execute '${cmd.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
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
  call(server, c, cmd, argv);
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
  const errorsBefore = server.stats.totalErrorReplies;
  const replyStart = c.reply.size;
  c.now = server.keyspace.tick();
  c.command = cmd;
  c.rewrittenArgv = null;
  c.extraPropagation = null;
  const start = performance.now();
  try {
    cmd.handler!(c, argv);
  } catch (e) {
    server.stats.unexpectedErrors++;
    server.log('warning', `Error executing '${cmd.name}': ${(e as Error).stack ?? e}`);
    c.reply.error(`ERR ${(e as Error).message ?? 'internal error'}`);
  }
  const usec = Math.round((performance.now() - start) * 1000);
  cmd.calls++;
  cmd.usec += usec;
  server.stats.totalCommands++;
  if (server.stats.totalErrorReplies !== errorsBefore) cmd.failedCalls++;
  c.lastCommandName = cmd.name;
  if (c.skipNext) {
    c.skipNext = false;
    c.reply.truncate(replyStart);
  } else if (c.replyMode === 'skip') {
    c.skipNext = true;
  }
  if (c.replyMode === 'off') c.reply.truncate(replyStart);
  server.slowlog.record(c, argv, usec, cmd);
  if (server.monitors.size > 0 && !cmd.has(Flag.skip_monitor | Flag.admin)) server.feedMonitors(c, argv);
  // The handler may have set these; re-read them through the client to defeat narrowing.
  const extra = (c as Client).extraPropagation as string[][] | null;
  if (server.dirty !== dirtyBefore || extra !== null) {
    const ops: string[][] = [];
    if (server.dirty !== dirtyBefore) ops.push(c.rewrittenArgv ?? argv);
    if (extra !== null) ops.push(...extra);
    server.propagate(c.db.id, ops);
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

function truncate(s: string, n: number): string {
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
