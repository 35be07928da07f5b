import type { CommandContext, CommandFamily } from '../core/context.js';
import { parseInt64 } from '../lib/numbers.js';
import { is } from './args.js';
import { ERR } from './replies.js';

/** REPLICAOF host port | NO ONE (and its old name SLAVEOF). */
function replicaof(ctx: CommandContext, argv: string[]): void {
  const repl = ctx.server.replication;
  if (is(argv[1], 'NO') && is(argv[2], 'ONE')) {
    if (repl.isReplica) {
      repl.unsetMaster(ctx);
      ctx.reply.ok();
    } else {
      ctx.reply.ok();
    }
    return;
  }
  const port = parseInt64(argv[2]);
  if (port === null || port < 0 || port > 65535) {
    ctx.reply.error('ERR Invalid master port');
    return;
  }
  if (repl.isReplica && repl.masterHost === argv[1] && repl.masterPort === Number(port)) {
    ctx.server.log(
      'notice',
      'REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.',
    );
    ctx.reply.simple('OK Already connected to specified master');
    return;
  }
  repl.setMaster(argv[1], Number(port), ctx);
  ctx.reply.ok();
}

/** SYNC / PSYNC <replid> <offset> [FAILOVER]: this connection becomes a replica. */
function sync(ctx: CommandContext, argv: string[]): void {
  ctx.server.replication.sync(ctx, argv);
}

/** REPLCONF <option> <value> … (replica handshake, ACK, GETACK). */
function replconf(ctx: CommandContext, argv: string[]): void {
  ctx.server.replication.replconf(ctx, argv);
}

/** WAIT numreplicas timeout: blocks until that many replicas acknowledged our writes. */
function wait(ctx: CommandContext, argv: string[]): void {
  const repl = ctx.server.replication;
  if (repl.isReplica) {
    ctx.reply.error(
      'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
    );
    return;
  }
  const numReplicas = parseInt64(argv[1]);
  if (numReplicas === null) {
    ctx.reply.error(ERR.notInteger);
    return;
  }
  const timeout = parseInt64(argv[2]);
  if (timeout === null) {
    ctx.reply.error(ERR.notInteger);
    return;
  }
  if (timeout < 0) {
    ctx.reply.error('ERR timeout is negative');
    return;
  }
  repl.wait(ctx, Number(numReplicas), Number(timeout));
}

/** FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | FAILOVER ABORT. */
function failover(ctx: CommandContext, argv: string[]): void {
  const repl = ctx.server.replication;
  if (argv.length === 2 && is(argv[1], 'ABORT')) {
    if (!repl.abortFailover('Failover manually aborted')) {
      ctx.reply.error('ERR No failover in progress.');
      return;
    }
    ctx.reply.ok();
    return;
  }
  let timeoutMs = 0;
  let force = false;
  let host: string | null = null;
  let port = 0;
  for (let j = 1; j < argv.length; j++) {
    if (is(argv[j], 'TIMEOUT') && j + 1 < argv.length && timeoutMs === 0) {
      const t = parseInt64(argv[j + 1]);
      if (t === null) {
        ctx.reply.error(ERR.notInteger);
        return;
      }
      if (t <= 0) {
        ctx.reply.error('ERR FAILOVER timeout must be greater than 0');
        return;
      }
      timeoutMs = Number(t);
      j++;
    } else if (is(argv[j], 'TO') && j + 2 < argv.length && host === null) {
      const p = parseInt64(argv[j + 2]);
      if (p === null) {
        ctx.reply.error(ERR.notInteger);
        return;
      }
      host = argv[j + 1];
      port = Number(p);
      j += 2;
    } else if (is(argv[j], 'FORCE') && !force) {
      force = true;
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const error = repl.startFailover(host, port, timeoutMs, force);
  if (error !== null) ctx.reply.error(error);
  else ctx.reply.ok();
}

export const replicationCommands: CommandFamily = {
  replicaof,
  slaveof: replicaof,
  sync,
  psync: sync,
  replconf,
  wait,
  failover,
};
