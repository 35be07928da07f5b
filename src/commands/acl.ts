/** ACL: users, their rules, the ACL log and the ACL file, with Redis 7.0's replies. */
import { randomBytes } from 'node:crypto';
import { CATEGORIES, categoryBit } from '../acl/categories.js';
import { Denied } from '../acl/selector.js';
import { AclUser, type SelectorView } from '../acl/user.js';
import type { CommandContext, CommandFamily } from '../core/context.js';
import { parseInt64 } from '../lib/numbers.js';
import { replyHelp, subcommandSyntaxError } from './help-replies.js';
import { redact } from './redact.js';
import { ERR } from './replies.js';

const NO_ACLFILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

const GENPASS_MAX_BITS = 4096;

/** Redis's addReplyDouble text: %.17g. */
function g17(d: number): string {
  const s = d.toPrecision(17);
  return s.includes('e') || !s.includes('.') ? s : s.replace(/\.?0+$/, '');
}

function longArg(ctx: CommandContext, s: string): number | null {
  const n = parseInt64(s);
  if (n === null) {
    ctx.reply.error(ERR.notInteger);
    return null;
  }
  return Number(n);
}

function setuser(ctx: CommandContext, argv: string[]): void {
  const name = argv[2];
  const rules = argv.slice(3);
  // Everything after the subcommand may hold a password: none of it reaches MONITOR or SLOWLOG.
  for (let j = 2; j < argv.length; j++) redact(argv, j);
  const err = ctx.server.acl.setUser(name, rules);
  if (err === null) ctx.reply.ok();
  else ctx.reply.error(`ERR ${err}`);
}

function deluser(ctx: CommandContext, argv: string[]): void {
  const r = ctx.server.acl.delUsers(argv.slice(2));
  if (typeof r === 'string') ctx.reply.error(`ERR ${r}`);
  else ctx.reply.integer(r);
}

function replySelector(ctx: CommandContext, v: SelectorView): void {
  const r = ctx.reply;
  r.bulk('commands');
  r.bulk(v.commands);
  r.bulk('keys');
  r.bulk(v.keys);
  r.bulk('channels');
  r.bulk(v.channels);
}

function getuser(ctx: CommandContext, argv: string[]): void {
  const u = ctx.server.acl.get(argv[2]);
  const r = ctx.reply;
  if (u === undefined) {
    r.nil();
    return;
  }
  r.map(6);
  r.bulk('flags');
  const flags = u.flagNames();
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('passwords');
  r.array(u.passwords.length);
  for (const h of u.passwords) r.bulk(h);
  replySelector(ctx, AclUser.viewOf(u.root));
  r.bulk('selectors');
  r.array(u.selectors.length - 1);
  for (const s of u.selectors.slice(1)) {
    r.map(3);
    replySelector(ctx, AclUser.viewOf(s));
  }
}

function list(ctx: CommandContext): void {
  const users = ctx.server.acl.list();
  ctx.reply.array(users.length);
  for (const u of users) ctx.reply.bulk(`user ${u.name} ${u.describe()}`);
}

function users(ctx: CommandContext): void {
  const all = ctx.server.acl.list();
  ctx.reply.array(all.length);
  for (const u of all) ctx.reply.bulk(u.name);
}

function whoami(ctx: CommandContext): void {
  ctx.reply.bulk(ctx.user);
}

function cat(ctx: CommandContext, argv: string[]): void {
  const r = ctx.reply;
  if (argv.length === 2) {
    r.array(CATEGORIES.length);
    for (const c of CATEGORIES) r.bulk(c);
    return;
  }
  if (argv.length !== 3) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  const flag = categoryBit(argv[2]);
  if (flag === 0) {
    r.error(`ERR Unknown category '${argv[2].slice(0, 128)}'`);
    return;
  }
  const names: string[] = [];
  for (const cmd of ctx.server.acl.commands.all())
    if ((cmd.categories & flag) !== 0) names.push(cmd.fullName);
  r.array(names.length);
  for (const n of names) r.bulk(n);
}

function genpass(ctx: CommandContext, argv: string[]): void {
  let bits = 256;
  if (argv.length > 3) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  if (argv.length === 3) {
    const n = longArg(ctx, argv[2]);
    if (n === null) return;
    bits = n;
  }
  if (bits <= 0 || bits > GENPASS_MAX_BITS) {
    ctx.reply.error(
      `ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to ${GENPASS_MAX_BITS}`,
    );
    return;
  }
  const chars = Math.trunc((bits + 3) / 4);
  ctx.reply.bulk(
    randomBytes(Math.ceil(chars / 2))
      .toString('hex')
      .slice(0, chars),
  );
}

function log(ctx: CommandContext, argv: string[]): void {
  const aclLog = ctx.server.acl.log;
  let count = 10;
  if (argv.length > 3) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  if (argv.length === 3) {
    if (argv[2].toLowerCase() === 'reset') {
      aclLog.reset();
      ctx.reply.ok();
      return;
    }
    const n = longArg(ctx, argv[2]);
    if (n === null) return;
    count = Math.max(0, n);
  }
  const entries = aclLog.entries.slice(0, count);
  const now = Date.now();
  const r = ctx.reply;
  r.array(entries.length);
  for (const e of entries) {
    r.map(7);
    r.bulk('count');
    r.integer(e.count);
    r.bulk('reason');
    r.bulk(e.reason);
    r.bulk('context');
    r.bulk(e.context);
    r.bulk('object');
    r.bulk(e.object);
    r.bulk('username');
    r.bulk(e.username);
    r.bulk('age-seconds');
    const age = (now - e.ctime) / 1000;
    r.double(age, g17(age));
    r.bulk('client-info');
    r.bulk(e.clientInfo);
  }
}

function dryrun(ctx: CommandContext, argv: string[]): void {
  const acl = ctx.server.acl;
  const u = acl.get(argv[2]);
  if (u === undefined) {
    ctx.reply.error(`ERR User '${argv[2]}' not found`);
    return;
  }
  const cmdArgv = argv.slice(3);
  const found = ctx.server.aclCheckInput(cmdArgv);
  if (found === null) {
    ctx.reply.error(`ERR Command '${argv[3]}' not found`);
    return;
  }
  const { denied, pos } = u.check(found);
  if (denied === Denied.none) ctx.reply.ok();
  else if (denied === Denied.command)
    ctx.reply.bulk(`This user has no permissions to run the '${found.cmd.fullName}' command`);
  else
    ctx.reply.bulk(
      `This user has no permissions to access the '${cmdArgv[pos]}' ${denied === Denied.key ? 'key' : 'channel'}`,
    );
}

function load(ctx: CommandContext): void {
  const config = ctx.server.config;
  const file = config.str('aclfile');
  if (file === '') {
    ctx.reply.error(NO_ACLFILE);
    return;
  }
  const errors = ctx.server.acl.loadFile(file, ctx.server.aclfilePath());
  if (errors === null) ctx.reply.ok();
  else ctx.reply.error(`ERR ${errors}`);
}

function save(ctx: CommandContext): void {
  if (ctx.server.config.str('aclfile') === '') {
    ctx.reply.error(NO_ACLFILE);
    return;
  }
  try {
    ctx.server.acl.saveFile(ctx.server.aclfilePath());
    ctx.reply.ok();
  } catch (e) {
    ctx.server.log('warning', (e as Error).message);
    ctx.reply.error(
      'ERR There was an error trying to save the ACLs. Please check the server logs for more information',
    );
  }
}

const HELP = [
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
];

export const aclCommands: CommandFamily = {
  'acl|setuser': setuser,
  'acl|deluser': deluser,
  'acl|getuser': getuser,
  'acl|list': list,
  'acl|users': users,
  'acl|whoami': whoami,
  'acl|cat': cat,
  'acl|genpass': genpass,
  'acl|log': log,
  'acl|dryrun': dryrun,
  'acl|load': load,
  'acl|save': save,
  'acl|help': (ctx, argv) => replyHelp(ctx, argv, HELP),
};
