/**
 * MODULE as a Redis without modules answers it: LIST is empty, UNLOAD finds nothing, and LOAD /
 * LOADEX check the file as redis-server's dlopen would, logging the same reason for a file that is
 * not a module. tsredis cannot run native modules, so a real shared library is refused with a
 * log line saying so (never an OK for a module that does not run).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { CommandContext, CommandFamily } from '../core/context.js';
import { is } from './args.js';
import { MODULE_HELP, replyHelp } from './help-replies.js';

const LOAD_FAILED = 'ERR Error loading the extension. Please check the server logs.';
const ELF_HEADER_BYTES = 64;

/** Why dlopen would fail on path, in glibc's and Redis's words. */
function loadFailure(path: string): string {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `${path}: cannot open shared object file: No such file or directory`
      : `${path}: cannot open shared object file: ${(e as Error).message}`;
  }
  if ((st.mode & 0o111) === 0) return 'It does not have execute permissions.';
  if (st.isDirectory()) return `${path}: cannot read file data: Is a directory`;
  const header = Buffer.alloc(ELF_HEADER_BYTES);
  let read = 0;
  try {
    const fd = openSync(path, 'r');
    try {
      read = readSync(fd, header, 0, ELF_HEADER_BYTES, 0);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    return `${path}: cannot open shared object file: ${(e as Error).message}`;
  }
  if (read < ELF_HEADER_BYTES) return `${path}: file too short`;
  if (header.readUInt32BE(0) !== 0x7f454c46) return `${path}: invalid ELF header`;
  return `${path}: tsredis cannot load native Redis modules`;
}

function refuseLoad(ctx: CommandContext, path: string): void {
  ctx.server.log('warning', `Module ${path} failed to load: ${loadFailure(path)}`);
  ctx.reply.error(LOAD_FAILED);
}

function moduleLoadex(ctx: CommandContext, argv: string[]): void {
  // parseLoadexArguments: CONFIG name value pairs, then ARGS and the module's own arguments.
  for (let i = 3; i < argv.length; i++) {
    if (is(argv[i], 'config')) {
      if (i + 2 >= argv.length) {
        ctx.server.log('notice', 'CONFIG specified without name value pair');
        ctx.reply.error(LOAD_FAILED);
        return;
      }
      i += 2;
    } else if (is(argv[i], 'args')) {
      break;
    } else {
      ctx.server.log('notice', `Syntax Error from arguments to loadex around ${argv[i]}.`);
      ctx.reply.error(LOAD_FAILED);
      return;
    }
  }
  refuseLoad(ctx, argv[2]);
}

export const moduleCommands: CommandFamily = {
  'module|help': (ctx, argv) => replyHelp(ctx, argv, MODULE_HELP),
  'module|list': (ctx) => ctx.reply.array(0),
  'module|load': (ctx, argv) => refuseLoad(ctx, argv[2]),
  'module|loadex': moduleLoadex,
  'module|unload': (ctx) => ctx.reply.error('ERR Error unloading module: no such module with that name'),
};
