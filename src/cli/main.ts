/**
 * tsredis-cli: a drop-in for redis-cli 7.0. Chooses the mode like redis-cli's main(): --stat,
 * --scan, interactive (no command), --eval, or one command given on the command line.
 */
import { readFileSync } from 'node:fs';
import { splitArgs } from '../protocol/split-args.js';
import { closeStdin, stdinReader } from './line-reader.js';
import { type CliOptions, parseArgs } from './options.js';
import { CliExit, writeErr, writeOut } from './output.js';
import { repl } from './repl.js';
import { scanMode } from './scan.js';
import { Session } from './session.js';
import { statMode } from './stat.js';

export async function main(argv: string[]): Promise<number> {
  // A closed pipe on stdout (`tsredis-cli ... | head -1`) ends us like SIGPIPE ends redis-cli.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
  let session: Session | undefined;
  try {
    const stdoutIsTty = process.stdout.isTTY === true || process.env.FAKETTY !== undefined;
    const { options, command } = parseArgs(argv, stdoutIsTty);
    // REDISCLI_AUTH does not override -a/-u.
    if (options.auth === undefined && process.env.REDISCLI_AUTH !== undefined) {
      options.auth = process.env.REDISCLI_AUTH;
    }
    if (options.askpass) options.auth = (await askPassword('Please input password: ')) ?? undefined;
    session = new Session(options);
    return await run(session, command);
  } catch (err) {
    if (!(err instanceof CliExit)) throw err;
    writeOut(err.stdout);
    writeErr(err.stderr);
    return err.code;
  } finally {
    session?.close();
    closeStdin();
  }
}

async function run(session: Session, command: string[]): Promise<number> {
  const o = session.o;
  if (o.statMode) {
    if (!(await session.connect(false, false))) return 1;
    return statMode(session);
  }
  if (o.scanMode) {
    if (!(await session.connect(false, false))) return 1;
    return scanMode(session);
  }
  if (command.length === 0 && o.evalFile === undefined) {
    // Interactive: a failed connection is reported, and retried on every command.
    await session.connect(false, false);
    return repl(session);
  }
  if (o.evalFile !== undefined) {
    if (!(await session.connect(false, false))) return 1;
    return (await session.issueCommand(evalArgs(o.evalFile, command), 1)) ? 0 : 1;
  }
  await session.connect(false, true);
  const args = await commandArgs(o, command);
  if (args === null) return 1;
  return (await session.issueCommand(args, o.repeat)) ? 0 : 1;
}

/** The command to send: --quoted-input unquoting, then -x / -X arguments read from stdin. */
async function commandArgs(o: CliOptions, command: string[]): Promise<string[] | null> {
  let args = command;
  if (o.quotedInput) {
    const unquoted: string[] = [];
    for (const a of command) {
      const parts = splitArgs(a);
      if (parts === null || parts.length !== 1) {
        writeOut('Invalid quoted string\n');
        return null;
      }
      unquoted.push(parts[0]);
    }
    args = unquoted;
  }
  if (o.stdinLastArg) return [...args, (await stdinReader().rest()).latin1Slice()];
  if (o.stdinTagName !== undefined) {
    const at = args.indexOf(o.stdinTagName);
    const input = (await stdinReader().rest()).latin1Slice();
    if (at < 0) {
      writeErr('Using -X option but stdin tag not match.\n');
      return null;
    }
    args = [...args];
    args[at] = input;
  }
  return args;
}

/** --eval file key1 key2 , arg1 arg2: EVAL <script> <numkeys> keys... args... */
function evalArgs(file: string, rest: string[]): string[] {
  let script: string;
  try {
    script = readFileSync(file).latin1Slice();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason =
      e.code === 'ENOENT'
        ? 'No such file or directory'
        : e.code === 'EACCES'
          ? 'Permission denied'
          : e.message;
    throw new CliExit(1, '', `Can't open file '${file}': ${reason}\n`);
  }
  const comma = rest.indexOf(',');
  const keys = comma < 0 ? rest : rest.slice(0, comma);
  const args = comma < 0 ? [] : rest.slice(comma + 1);
  return ['EVAL', script, String(keys.length), ...keys, ...args];
}

/** --askpass: a masked prompt on a terminal, else one line of stdin (no prompt), like linenoise. */
async function askPassword(prompt: string): Promise<string | null> {
  const stdin = process.stdin;
  if (stdin.isTTY !== true) return stdinReader().next();
  writeOut(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let typed = '';
  try {
    return await new Promise<string | null>((resolve) => {
      const onData = (chunk: Buffer) => {
        for (const byte of chunk) {
          if (byte === 0x0d || byte === 0x0a) {
            stdin.off('data', onData);
            resolve(typed);
            return;
          }
          if (byte === 0x03 || (byte === 0x04 && typed === '')) {
            stdin.off('data', onData);
            resolve(null);
            return;
          }
          if (byte === 0x7f || byte === 0x08) {
            if (typed.length > 0) {
              typed = typed.slice(0, -1);
              writeOut('\b \b');
            }
          } else if (byte >= 0x20) {
            typed += String.fromCharCode(byte);
            writeOut('*');
          }
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    writeOut('\n');
  }
}
