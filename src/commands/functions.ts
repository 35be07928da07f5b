/** FUNCTION and FCALL: the commands in front of Redis Functions (src/scripting/functions.ts). */
import type { CommandContext, CommandFamily, RestorePolicy } from '../core/context.js';
import { BUSY_SCRIPT_ERROR, SCRIPT_FLAG_NAMES } from '../core/scripting.js';
import { globMatch } from '../lib/glob.js';
import { RdbOpcode } from '../rdb/constants.js';
import { Cursor } from '../rdb/cursor.js';
import { RdbWriter } from '../rdb/writer.js';
import { verifyDumpPayload } from './dump.js';
import { replyHelp, subcommandSyntaxError } from './help-replies.js';

const FUNCTION_HELP = [
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
];

function functionLoad(ctx: CommandContext, argv: string[]): void {
  let replace = false;
  let pos = 2;
  while (pos < argv.length - 1) {
    const arg = argv[pos++];
    if (arg.toLowerCase() !== 'replace') {
      ctx.reply.error(`ERR Unknown option given: ${arg}`);
      return;
    }
    replace = true;
  }
  if (pos >= argv.length) {
    ctx.reply.error('ERR Function code is missing');
    return;
  }
  const r = ctx.server.scripting.functions.load(ctx, argv[pos], replace);
  if ('error' in r) {
    ctx.reply.error(`ERR ${r.error}`);
    return;
  }
  ctx.addDirty(1);
  ctx.reply.bulk(r.name);
}

function functionDelete(ctx: CommandContext, argv: string[]): void {
  if (!ctx.server.scripting.functions.delete(argv[2])) {
    ctx.reply.error('ERR Library not found');
    return;
  }
  ctx.addDirty(1);
  ctx.reply.ok();
}

function functionFlush(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  if (argv.length === 3 && !/^(a?sync)$/i.test(argv[2])) {
    ctx.reply.error('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
    return;
  }
  ctx.server.scripting.functions.flush();
  ctx.addDirty(1);
  ctx.reply.ok();
}

function functionList(ctx: CommandContext, argv: string[]): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i].toLowerCase();
    if (!withCode && arg === 'withcode') {
      withCode = true;
      continue;
    }
    if (pattern === null && arg === 'libraryname') {
      if (i >= argv.length - 1) {
        ctx.reply.error('ERR library name argument was not given');
        return;
      }
      pattern = argv[++i];
      continue;
    }
    ctx.reply.error(`ERR Unknown argument ${argv[i]}`);
    return;
  }
  const r = ctx.reply;
  const libraries = ctx.server.scripting.functions
    .list()
    .filter((lib) => pattern === null || globMatch(pattern, lib.name, true));
  r.array(libraries.length);
  for (const lib of libraries) {
    r.map(withCode ? 4 : 3);
    r.bulk('library_name');
    r.bulk(lib.name);
    r.bulk('engine');
    r.bulk(lib.engine);
    r.bulk('functions');
    r.array(lib.functions.length);
    for (const fn of lib.functions) {
      r.map(3);
      r.bulk('name');
      r.bulk(fn.name);
      r.bulk('description');
      r.bulkOrNil(fn.description);
      r.bulk('flags');
      const names = [...SCRIPT_FLAG_NAMES].filter(([, bit]) => (fn.flags & bit) !== 0).map(([name]) => name);
      r.set(names.length);
      for (const name of names) r.simple(name);
    }
    if (withCode) {
      r.bulk('library_code');
      r.bulk(lib.code);
    }
  }
}

function functionStats(ctx: CommandContext): void {
  // While an EVAL script is busy, Redis answers with the script's BUSY error.
  if (ctx.server.scripting.busyError === BUSY_SCRIPT_ERROR) {
    ctx.reply.error(BUSY_SCRIPT_ERROR);
    return;
  }
  const functions = ctx.server.scripting.functions;
  const r = ctx.reply;
  r.map(2);
  r.bulk('running_script');
  const running = functions.running();
  if (running === null) r.nil();
  else {
    r.map(3);
    r.bulk('name');
    r.bulk(running.name);
    r.bulk('command');
    r.bulks(running.argv);
    r.bulk('duration_ms');
    r.integer(running.durationMs);
  }
  r.bulk('engines');
  r.map(1);
  r.bulk('LUA');
  r.map(2);
  r.bulk('libraries_count');
  r.integer(functions.libraryCount);
  r.bulk('functions_count');
  r.integer(functions.functionCount);
}

function functionKill(ctx: CommandContext): void {
  const refusal = ctx.server.scripting.kill('function');
  if (refusal === null) ctx.reply.ok();
  else ctx.reply.error(refusal);
}

/** rdbSaveFunctions into a DUMP-style payload: a FUNCTION2 record per library, version, CRC-64. */
function functionDump(ctx: CommandContext): void {
  const w = new RdbWriter(ctx.server.config.bool('rdbcompression'), true);
  for (const code of ctx.server.scripting.functions.codes()) {
    w.byte(RdbOpcode.FUNCTION2);
    w.string(code);
  }
  w.dumpFooter();
  ctx.reply.bulkBytes(Buffer.concat(w.take()));
}

/** The libraries' codes in a verified payload, or the error text (rdbFunctionLoad's). */
function payloadLibraries(payload: Buffer): string[] | string {
  // As Redis's rio over the whole payload: a record cut short reads on into the footer.
  const r = new Cursor(payload);
  const end = payload.length - 10;
  const codes: string[] = [];
  /** The next string, or throws the text naming what could not be read. */
  const read = (what: string): string => {
    try {
      return r.string();
    } catch {
      throw new PayloadError(`Failed loading ${what}`);
    }
  };
  try {
    while (r.pos < end) {
      const type = r.u8();
      if (type === RdbOpcode.FUNCTION2) {
        codes.push(read('library payload'));
        continue;
      }
      if (type !== RdbOpcode.FUNCTION_PRE_GA) return 'given type is not a function';
      // 7.0 release candidates' format: name, engine, optional description, code without shebang.
      const name = read('library name');
      const engine = read('engine name');
      let described: number;
      try {
        described = r.length();
      } catch {
        return 'Failed loading library description indicator';
      }
      if (described !== 0) read('library description');
      codes.push(`#!${engine} name=${name}\n${read('library blob')}`);
    }
  } catch (e) {
    return e instanceof PayloadError ? e.message : 'failed loading the given functions payload';
  }
  return codes;
}

class PayloadError extends Error {}

function functionRestore(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 4) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  let policy: RestorePolicy = 'append';
  if (argv.length === 4) {
    const given = argv[3].toLowerCase();
    if (given !== 'flush' && given !== 'append' && given !== 'replace') {
      ctx.reply.error('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
      return;
    }
    policy = given;
  }
  const payload = Buffer.from(argv[2], 'latin1');
  if (!verifyDumpPayload(payload)) {
    ctx.reply.error('ERR DUMP payload version or checksum are wrong');
    return;
  }
  const codes = payloadLibraries(payload);
  const error = typeof codes === 'string' ? codes : ctx.server.scripting.functions.restore(codes, policy);
  if (error !== null) {
    ctx.reply.error(`ERR ${error}`);
    return;
  }
  ctx.addDirty(1);
  ctx.reply.ok();
}

export const functionCommands: CommandFamily = {
  fcall: (ctx, argv) => ctx.server.scripting.functions.fcall(ctx, argv, false),
  fcall_ro: (ctx, argv) => ctx.server.scripting.functions.fcall(ctx, argv, true),
  'function|load': functionLoad,
  'function|delete': functionDelete,
  'function|flush': functionFlush,
  'function|list': functionList,
  'function|stats': functionStats,
  'function|kill': functionKill,
  'function|dump': functionDump,
  'function|restore': functionRestore,
  'function|help': (ctx, argv) => replyHelp(ctx, argv, FUNCTION_HELP),
};
