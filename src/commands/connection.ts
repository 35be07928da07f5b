import type { CommandContext, CommandFamily } from '../core/context.js';
import { parseInt64 } from '../lib/numbers.js';
import { REDIS_VERSION } from '../lib/version.js';
import { is, numArg } from './args.js';
import { redact } from './redact.js';
import { ERR } from './replies.js';

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

function ping(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 2) {
    ctx.reply.error(`ERR wrong number of arguments for '${ctx.command.name}' command`);
    return;
  }
  if (ctx.resp === 2 && ctx.subscriptionCount > 0) {
    ctx.reply.array(2);
    ctx.reply.bulk('pong');
    ctx.reply.bulk(argv.length === 2 ? argv[1] : '');
  } else if (argv.length === 2) {
    ctx.reply.bulk(argv[1]);
  } else {
    ctx.reply.simple('PONG');
  }
}

function echo(ctx: CommandContext, argv: string[]): void {
  ctx.reply.bulk(argv[1]);
}

function quit(ctx: CommandContext): void {
  ctx.reply.ok();
  ctx.closeAfterReply = true;
}

function select(ctx: CommandContext, argv: string[]): void {
  const index = numArg(ctx, argv[1]);
  if (index === null) return;
  if (index < -2147483648 || index > 2147483647) {
    ctx.reply.error('ERR value is out of range, value must between -2147483648 and 2147483647');
    return;
  }
  if (!ctx.select(index)) ctx.reply.error(ERR.dbIndexOutOfRange);
  else ctx.reply.ok();
}

/**
 * ACLAuthenticateUser: on success the connection runs as the user; a failure goes to the ACL log
 * (object: the command as typed, username: the one tried) and does not tell whether it exists.
 */
function authenticate(ctx: CommandContext, argv0: string, user: string, pass: string): boolean {
  if (ctx.server.acl.authenticate(user, pass) === null) {
    ctx.logAclDenial('auth', argv0, user);
    return false;
  }
  ctx.setAuthenticated(user);
  return true;
}

function auth(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const argv0 = argv[0];
  const user = argv.length === 3 ? argv[1] : 'default';
  const pass = argv[argv.length - 1];
  redact(argv, 1);
  redact(argv, 2);
  if (argv.length === 2 && ctx.server.acl.defaultUser.nopass) {
    ctx.reply.error(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
    return;
  }
  if (authenticate(ctx, argv0, user, pass)) {
    ctx.reply.ok();
  } else {
    ctx.server.log('verbose', 'AUTH failed');
    ctx.reply.error(WRONGPASS);
  }
}

/** CLIENT SETNAME's rule: no spaces, newlines or other characters outside '!'..'~'. */
export function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

export const INVALID_CLIENT_NAME = 'ERR Client names cannot contain spaces, newlines or special characters.';

function hello(ctx: CommandContext, argv: string[]): void {
  const helloName = argv[0];
  let version = 0;
  let next = 1;
  if (argv.length >= 2) {
    const v = parseInt64(argv[1]);
    if (v === null) {
      ctx.reply.error('ERR Protocol version is not an integer or out of range');
      return;
    }
    next = 2;
    if (v < 2 || v > 3) {
      ctx.reply.error('NOPROTO unsupported protocol version');
      return;
    }
    version = Number(v);
  }
  let authUser: string | null = null;
  let authPass = '';
  let setName: string | null = null;
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - j - 1;
    if (is(argv[j], 'AUTH') && more >= 2) {
      authUser = argv[j + 1];
      authPass = argv[j + 2];
      redact(argv, j + 1);
      redact(argv, j + 2);
      j += 2;
    } else if (is(argv[j], 'SETNAME') && more >= 1) {
      setName = argv[j + 1];
      j += 1;
    } else {
      ctx.reply.error(`ERR Syntax error in HELLO option '${argv[j]}'`);
      return;
    }
  }
  if (authUser !== null) {
    if (!authenticate(ctx, helloName, authUser, authPass)) {
      ctx.reply.error(WRONGPASS);
      return;
    }
  }
  if (!ctx.authenticated) {
    ctx.reply.error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
    return;
  }
  if (setName !== null) {
    if (!validClientName(setName)) {
      ctx.reply.error(INVALID_CLIENT_NAME);
      return;
    }
    ctx.name = setName;
  }
  if (version !== 0) ctx.resp = version as 2 | 3;
  const r = ctx.reply;
  r.map(7);
  r.bulk('server');
  r.bulk('redis');
  r.bulk('version');
  r.bulk(REDIS_VERSION);
  r.bulk('proto');
  r.integer(ctx.resp);
  r.bulk('id');
  r.integer(ctx.id);
  r.bulk('mode');
  r.bulk('standalone');
  r.bulk('role');
  r.bulk(ctx.server.roleName);
  r.bulk('modules');
  r.array(0);
}

function reset(ctx: CommandContext): void {
  ctx.resetState();
  ctx.reply.simple('RESET');
}

export const connectionCommands: CommandFamily = { ping, echo, quit, select, auth, hello, reset };
