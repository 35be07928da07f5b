/** EVAL and friends and SCRIPT: the commands in front of the scripting engine (src/scripting/). */
import type { CommandContext, CommandFamily } from '../core/context.js';
import { replyHelp } from './help-replies.js';

const SCRIPT_HELP = [
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
];

function scriptLoad(ctx: CommandContext, argv: string[]): void {
  const r = ctx.server.scripting.load(argv[2]);
  if ('error' in r) ctx.reply.error(r.error);
  else ctx.reply.bulk(r.sha);
}

function scriptExists(ctx: CommandContext, argv: string[]): void {
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) ctx.reply.integer(ctx.server.scripting.exists(argv[i]) ? 1 : 0);
}

function scriptFlush(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3 || (argv.length === 3 && !/^(a?sync)$/i.test(argv[2]))) {
    ctx.reply.error('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
    return;
  }
  ctx.server.scripting.flush();
  ctx.reply.ok();
}

function scriptKill(ctx: CommandContext): void {
  const refusal = ctx.server.scripting.kill('eval');
  if (refusal === null) ctx.reply.ok();
  else ctx.reply.error(refusal);
}

/** The Lua debugger (LDB) is not part of tsredis: SCRIPT DEBUG says so rather than pretending. */
function scriptDebug(ctx: CommandContext, argv: string[]): void {
  if (!/^(yes|sync|no)$/i.test(argv[2])) {
    ctx.reply.error('ERR Use SCRIPT DEBUG YES/SYNC/NO');
    return;
  }
  if (argv[2].toLowerCase() === 'no') ctx.reply.ok();
  else ctx.reply.error('ERR The Lua debugger (SCRIPT DEBUG) is not supported by tsredis');
}

export const scriptingCommands: CommandFamily = {
  eval: (ctx, argv) => ctx.server.scripting.eval(ctx, argv, false, false),
  evalsha: (ctx, argv) => ctx.server.scripting.eval(ctx, argv, true, false),
  eval_ro: (ctx, argv) => ctx.server.scripting.eval(ctx, argv, false, true),
  evalsha_ro: (ctx, argv) => ctx.server.scripting.eval(ctx, argv, true, true),
  'script|load': scriptLoad,
  'script|exists': scriptExists,
  'script|flush': scriptFlush,
  'script|kill': scriptKill,
  'script|debug': scriptDebug,
  'script|help': (ctx, argv) => replyHelp(ctx, argv, SCRIPT_HELP),
};
