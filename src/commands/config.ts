/** CONFIG GET / SET / RESETSTAT / REWRITE / HELP, as Redis 7.0's config.c. */

import type { CommandContext, CommandFamily } from '../core/context.js';
import { strerror } from '../lib/errno.js';
import { redact } from './redact.js';
import { ERR } from './replies.js';

const HELP = [
  'CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
  'HELP',
  '    Prints this help.',
];

function configGet(ctx: CommandContext, argv: string[]): void {
  const pairs = ctx.server.config.getMatching(argv.slice(2));
  ctx.reply.map(pairs.length);
  for (const [name, value] of pairs) {
    ctx.reply.bulk(name);
    ctx.reply.bulk(value);
  }
}

/** Redis's islocalClient: a unix socket or a loopback peer (protected configs with "local"). */
function isLocal(ctx: CommandContext): boolean {
  const addr = ctx.handle.addr;
  if (addr.startsWith('/')) return true;
  const ip = addr.slice(0, addr.lastIndexOf(':'));
  return ip === '127.0.0.1' || ip === '::1';
}

/** Redis's SENSITIVE_CONFIG directives: their values are redacted in MONITOR and SLOWLOG. */
const SENSITIVE = new Set(['requirepass', 'masterauth', 'tls-key-file-pass', 'tls-client-key-file-pass']);

function configSet(ctx: CommandContext, argv: string[]): void {
  if (argv.length % 2 !== 0) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const result = ctx.server.config.setPairs(argv.slice(2), { local: isLocal(ctx) });
  for (let i = 2; i < argv.length; i += 2) if (SENSITIVE.has(argv[i].toLowerCase())) redact(argv, i + 1);
  const answer = (err: string | null) => (err === null ? ctx.reply.ok() : ctx.reply.error(err));
  if (!(result instanceof Promise)) answer(result);
  else if (!ctx.inExec) ctx.server.replyLater(ctx, result, answer);
  else {
    // Inside EXEC the reply cannot wait: re-listening goes on; a failure is logged and undone.
    ctx.reply.ok();
    void result;
  }
}

function configResetStat(ctx: CommandContext): void {
  ctx.server.resetStats();
  ctx.reply.ok();
}

function configRewrite(ctx: CommandContext): void {
  if (ctx.server.config.file === null) {
    ctx.reply.error('ERR The server is running without a config file');
    return;
  }
  try {
    ctx.server.config.rewriteFile();
  } catch (e) {
    const reason = strerror(e);
    ctx.server.log('warning', `CONFIG REWRITE failed: ${reason}`);
    ctx.reply.error(`ERR Rewriting config file: ${reason}`);
    return;
  }
  ctx.server.log('warning', 'CONFIG REWRITE executed with success.');
  ctx.reply.ok();
}

function configHelp(ctx: CommandContext): void {
  ctx.reply.array(HELP.length);
  for (const line of HELP) ctx.reply.simple(line);
}

export const configCommands: CommandFamily = {
  'config|get': configGet,
  'config|set': configSet,
  'config|resetstat': configResetStat,
  'config|rewrite': configRewrite,
  'config|help': configHelp,
};
