/** CLIENT: connection introspection and control (Redis 7.0's clientCommand). */

import { clientInfoLine } from '../core/client-info.js';
import type { ClientType, CommandContext, CommandFamily } from '../core/context.js';
import { parseInt64 } from '../lib/numbers.js';
import { is } from './args.js';
import { INVALID_CLIENT_NAME, validClientName } from './connection.js';
import { CLIENT_HELP, replyHelp, subcommandSyntaxError } from './help-replies.js';
import { ERR } from './replies.js';

/** getClientTypeByName; null when unknown. */
function clientTypeByName(name: string): ClientType | null {
  switch (name.toLowerCase()) {
    case 'normal':
      return 'normal';
    case 'slave':
    case 'replica':
      return 'replica';
    case 'pubsub':
      return 'pubsub';
    case 'master':
      return 'master';
    default:
      return null;
  }
}

function id(ctx: CommandContext): void {
  ctx.reply.integer(ctx.id);
}

function setname(ctx: CommandContext, argv: string[]): void {
  if (!validClientName(argv[2])) {
    ctx.reply.error(INVALID_CLIENT_NAME);
    return;
  }
  ctx.name = argv[2];
  ctx.reply.ok();
}

function getname(ctx: CommandContext): void {
  ctx.reply.bulkOrNil(ctx.name === '' ? null : ctx.name);
}

function list(ctx: CommandContext, argv: string[]): void {
  const now = Date.now();
  let out = '';
  if (argv.length === 4 && is(argv[2], 'TYPE')) {
    const type = clientTypeByName(argv[3]);
    if (type === null) {
      ctx.reply.error(`ERR Unknown client type '${argv[3]}'`);
      return;
    }
    for (const c of ctx.server.admin.clients())
      if (c.clientType() === type) out += `${clientInfoLine(c, now)}\n`;
  } else if (argv.length > 3 && is(argv[2], 'ID')) {
    for (let j = 3; j < argv.length; j++) {
      const wanted = parseInt64(argv[j]);
      if (wanted === null) {
        ctx.reply.error('ERR Invalid client ID');
        return;
      }
      const c = typeof wanted === 'number' ? ctx.server.admin.client(wanted) : undefined;
      if (c !== undefined) out += `${clientInfoLine(c, now)}\n`;
    }
  } else if (argv.length !== 2) {
    ctx.reply.error(ERR.syntax);
    return;
  } else {
    for (const c of ctx.server.admin.clients()) out += `${clientInfoLine(c, now)}\n`;
  }
  ctx.reply.verbatim(out);
}

function info(ctx: CommandContext): void {
  ctx.reply.verbatim(`${clientInfoLine(ctx.handle, Date.now())}\n`);
}

interface KillFilter {
  addr: string | null;
  laddr: string | null;
  user: string | null;
  type: ClientType | null;
  id: number;
  skipme: boolean;
}

/** Parses the new-style CLIENT KILL filters; replies the error and returns null when they are bad. */
function parseKillFilter(ctx: CommandContext, argv: string[]): KillFilter | null {
  const f: KillFilter = { addr: null, laddr: null, user: null, type: null, id: 0, skipme: true };
  for (let i = 2; i < argv.length; i += 2) {
    const opt = argv[i];
    const value = argv[i + 1];
    if (value === undefined) {
      ctx.reply.error(ERR.syntax);
      return null;
    }
    if (is(opt, 'ID')) {
      const n = parseInt64(value);
      if (n === null || n < 1) {
        ctx.reply.error('ERR client-id should be greater than 0');
        return null;
      }
      f.id = Number(n);
    } else if (is(opt, 'TYPE')) {
      f.type = clientTypeByName(value);
      if (f.type === null) {
        ctx.reply.error(`ERR Unknown client type '${value}'`);
        return null;
      }
    } else if (is(opt, 'ADDR')) {
      f.addr = value;
    } else if (is(opt, 'LADDR')) {
      f.laddr = value;
    } else if (is(opt, 'USER')) {
      if (!ctx.server.admin.userExists(value)) {
        ctx.reply.error(`ERR No such user '${value}'`);
        return null;
      }
      f.user = value;
    } else if (is(opt, 'SKIPME')) {
      if (is(value, 'YES')) f.skipme = true;
      else if (is(value, 'NO')) f.skipme = false;
      else {
        ctx.reply.error(ERR.syntax);
        return null;
      }
    } else {
      ctx.reply.error(ERR.syntax);
      return null;
    }
  }
  return f;
}

function kill(ctx: CommandContext, argv: string[]): void {
  const oldStyle = argv.length === 3;
  let filter: KillFilter | null;
  if (oldStyle) {
    // CLIENT KILL <ip:port>: may kill the calling client too.
    filter = { addr: argv[2], laddr: null, user: null, type: null, id: 0, skipme: false };
  } else {
    filter = parseKillFilter(ctx, argv);
    if (filter === null) return;
  }
  let killed = 0;
  let closeSelf = false;
  for (const c of [...ctx.server.admin.clients()]) {
    if (filter.addr !== null && c.addr !== filter.addr) continue;
    if (filter.laddr !== null && c.laddr !== filter.laddr) continue;
    if (filter.type !== null && c.clientType() !== filter.type) continue;
    if (filter.id !== 0 && c.id !== filter.id) continue;
    if (filter.user !== null && c.user !== filter.user) continue;
    if (c.id === ctx.id) {
      if (filter.skipme) continue;
      closeSelf = true;
    } else {
      c.kill();
    }
    killed++;
  }
  if (!oldStyle) ctx.reply.integer(killed);
  else if (killed === 0) ctx.reply.error('ERR No such client');
  else ctx.reply.ok();
  // The reply is queued first, then the connection closes.
  if (closeSelf) ctx.closeAfterReply = true;
}

function pause(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 4) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  let mode: 'write' | 'all' = 'all';
  if (argv.length === 4) {
    if (is(argv[3], 'WRITE')) mode = 'write';
    else if (!is(argv[3], 'ALL')) {
      ctx.reply.error('ERR CLIENT PAUSE mode must be WRITE or ALL');
      return;
    }
  }
  const timeout = parseInt64(argv[2]);
  if (timeout === null) {
    ctx.reply.error('ERR timeout is not an integer or out of range');
    return;
  }
  if (timeout < 0) {
    ctx.reply.error('ERR timeout is negative');
    return;
  }
  // The end time is a C long long: a huge timeout wraps around into the past (no pause), as in Redis.
  let end = timeout === 0 ? 0n : BigInt(Date.now()) + BigInt(timeout);
  if (end > 9223372036854775807n) end -= 18446744073709551616n;
  ctx.server.admin.pauseClients(mode, Number(end));
  ctx.reply.ok();
}

function unpause(ctx: CommandContext): void {
  ctx.server.admin.unpauseClients();
  ctx.reply.ok();
}

function reply(ctx: CommandContext, argv: string[]): void {
  if (is(argv[2], 'ON')) {
    ctx.setReplyMode('on');
    ctx.reply.ok();
  } else if (is(argv[2], 'OFF')) {
    ctx.setReplyMode('off');
  } else if (is(argv[2], 'SKIP')) {
    ctx.setReplyMode('skip');
  } else {
    ctx.reply.error(ERR.syntax);
  }
}

function noEvict(ctx: CommandContext, argv: string[]): void {
  if (is(argv[2], 'ON')) ctx.noEvict = true;
  else if (is(argv[2], 'OFF')) ctx.noEvict = false;
  else {
    ctx.reply.error(ERR.syntax);
    return;
  }
  ctx.reply.ok();
}

function help(ctx: CommandContext, argv: string[]): void {
  replyHelp(ctx, argv, CLIENT_HELP);
}

export const clientCommands: CommandFamily = {
  'client|id': id,
  'client|setname': setname,
  'client|getname': getname,
  'client|list': list,
  'client|info': info,
  'client|kill': kill,
  'client|pause': pause,
  'client|unpause': unpause,
  'client|reply': reply,
  'client|no-evict': noEvict,
  'client|help': help,
};
