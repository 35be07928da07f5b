/**
 * Interactive mode (redis-cli's repl()): a prompt with line editing and history on a capable
 * terminal, a plain prompt on a dumb one, and no prompt at all when stdin is a pipe or a file
 * (then every line is a command, which is how `cmds | tsredis-cli` works).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { splitArgs } from '../protocol/split-args.js';
import { History, historyPath } from './history.js';
import { closeStdin, stdinReader } from './line-reader.js';
import { writeOut } from './output.js';
import type { Session } from './session.js';

interface LineInput {
  /** The next line (latin1 byte string), or null at end of input (Ctrl-D, EOF, Ctrl-C in the editor). */
  read(prompt: string): Promise<string | null>;
  close(): void;
}

/** linenoise's isUnsupportedTerm(): terminals that get a plain prompt without editing. */
function terminalSupportsEditing(): boolean {
  const term = process.env.TERM;
  return term === undefined || !['dumb', 'cons25', 'emacs'].includes(term.toLowerCase());
}

const toBytes = (s: string) => Buffer.from(s, 'utf8').latin1Slice();
const toDisplay = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

/** Line editing with node:readline, one interface per prompt so the terminal is back in cooked mode
 * (and Ctrl-C is a real SIGINT) while a command runs, like linenoise. */
class EditorInput implements LineInput {
  constructor(
    private readonly history: History,
    private readonly completions: () => Promise<string[]>,
  ) {}

  read(prompt: string): Promise<string | null> {
    const rl = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: true,
      prompt,
      history: this.history.lines.map(toDisplay).reverse(),
      historySize: 100,
      completer: (line: string, done: (err: null, result: [string[], string]) => void) => {
        void this.complete(line).then((hits) => done(null, [hits, line]));
      },
    });
    return new Promise((resolve) => {
      let answered = false;
      const finish = (line: string | null) => {
        if (answered) return;
        answered = true;
        rl.close();
        resolve(line);
      };
      rl.on('line', (line) => finish(toBytes(line)));
      // linenoise returns no line on Ctrl-C and on Ctrl-D at an empty prompt: redis-cli exits.
      rl.on('SIGINT', () => {
        writeOut('\n');
        finish(null);
      });
      rl.on('close', () => finish(null));
      rl.prompt();
    });
  }

  /** Tab completion: command names, plus "@group"-style topics after "help ". */
  private async complete(line: string): Promise<string[]> {
    const help = /^help\s+/i.exec(line);
    const start = help === null ? 0 : help[0].length;
    const typed = line.slice(start).toLowerCase();
    // Group topics only after "help", like redis-cli.
    const names = (await this.completions()).filter((n) => help !== null || !n.startsWith('@'));
    return names.filter((n) => n.toLowerCase().startsWith(typed)).map((n) => line.slice(0, start) + n);
  }

  close(): void {}
}

/** Lines from stdin as they come; the prompt is printed only when stdin is a (dumb) terminal. */
class PlainInput implements LineInput {
  private readonly reader = stdinReader();

  constructor(private readonly showPrompt: boolean) {}

  read(prompt: string): Promise<string | null> {
    if (this.showPrompt) writeOut(prompt);
    return this.reader.next();
  }

  close(): void {
    closeStdin();
  }
}

/** strtol(argv[0]) consuming the whole word, as redis-cli checks for a "N command" repeat prefix. */
function repeatPrefix(word: string): number | undefined {
  if (word === '') return 0;
  if (!/^[\t\n\v\f\r ]*[+-]?\d+$/.test(word)) return undefined;
  const n = BigInt(word.trim());
  // Out of the range of a C long: ERANGE, reported like a non-positive count.
  return n > 9223372036854775807n || n < -9223372036854775808n ? 0 : Number(n);
}

function isDangerous(args: string[]): boolean {
  if (args.length === 0) return false;
  const cmd = args[0].toLowerCase();
  return cmd === 'auth' || (args.length > 1 && cmd === 'acl' && args[1].toLowerCase() === 'setuser');
}

/** ":set hints" and friends, typed or read from ~/.redisclirc (then messages say so). */
function setPreference(args: string[], fromRcFile = false): void {
  const where = fromRcFile ? '.redisclirc: ' : '';
  if (args[0].toLowerCase() === ':set' && args.length >= 2) {
    const pref = args[1].toLowerCase();
    // Hints are accepted for compatibility; tsredis-cli's editor does not display them.
    if (pref !== 'hints' && pref !== 'nohints')
      writeOut(`${where}unknown redis-cli preference '${args[1]}'\n`);
  } else {
    writeOut(`${where}unknown redis-cli internal command '${args[0]}'\n`);
  }
}

/** REDISCLI_RCFILE, else ~/.redisclirc: preference lines, checked like redis-cli does. */
function loadPreferences(): void {
  const override = process.env.REDISCLI_RCFILE;
  const home = process.env.HOME;
  const path =
    override !== undefined && override !== ''
      ? override
      : home !== undefined && home !== ''
        ? join(home, '.redisclirc')
        : null;
  if (path === null || path === '/dev/null') return;
  let text: string;
  try {
    text = readFileSync(path).latin1Slice();
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    const args = splitArgs(line);
    if (args !== null && args.length > 0) setPreference(args, true);
  }
}

export async function repl(session: Session): Promise<number> {
  session.interactive = true;
  const stdinTty = process.stdin.isTTY === true;
  const history = stdinTty ? new History(historyPath()) : null;
  if (stdinTty) loadPreferences();
  const input: LineInput =
    stdinTty && history !== null && terminalSupportsEditing()
      ? new EditorInput(history, () => session.helpNames())
      : new PlainInput(stdinTty);
  let running = false;
  const onSigint = () => {
    if (running) {
      // Ctrl-C ends MONITOR/SUBSCRIBE output; during any other command it ends redis-cli.
      if (!session.abortBlocking()) process.exit(1);
    } else if (!stdinTty) {
      process.exit(1);
    }
    // At a plain prompt on a terminal, Ctrl-C is ignored, as redis-cli does.
  };
  process.on('SIGINT', onSigint);
  try {
    for (;;) {
      const line = await input.read(session.prompt());
      if (line === null) return 0;
      if (line === '') continue;
      running = true;
      const quit = await runLine(session, line, history);
      running = false;
      if (quit) return 0;
    }
  } finally {
    process.off('SIGINT', onSigint);
    input.close();
  }
}

/** One interactive line. Returns true for quit/exit. */
async function runLine(session: Session, line: string, history: History | null): Promise<boolean> {
  const args = splitArgs(line);
  let repeat = 1;
  let skip = 0;
  if (args !== null && args.length > 1) {
    const n = repeatPrefix(args[0]);
    if (n !== undefined) {
      if (n <= 0) {
        writeOut('Invalid redis-cli repeat command option value.\n');
        return false;
      }
      repeat = n;
      skip = 1;
    }
  }
  if (history !== null && !isDangerous(args?.slice(skip) ?? []) && line.trim() !== '') {
    history.add(line);
    history.save();
  }
  if (args === null) {
    writeOut('Invalid argument(s)\n');
    return false;
  }
  if (args.length === 0) return false;
  const cmd = args[0].toLowerCase();
  if (cmd === 'quit' || cmd === 'exit') return true;
  if (args[0].startsWith(':')) {
    setPreference(args);
  } else if (cmd === 'restart') {
    writeOut("Use 'restart' only in Lua debugging mode.\n");
  } else if (args.length === 3 && cmd === 'connect') {
    session.o.host = args[1];
    session.o.port = Number(/^\s*[+-]?\d+/.exec(args[2])?.[0] ?? 0);
    await session.connect(true, false);
  } else if (args.length === 1 && cmd === 'clear') {
    writeOut('\x1b[H\x1b[2J');
  } else {
    const start = Date.now();
    await session.issueCommand(args.slice(skip), repeat);
    const elapsed = Date.now() - start;
    if (elapsed >= 500 && session.o.output === 'standard') writeOut(`(${(elapsed / 1000).toFixed(2)}s)\n`);
  }
  return false;
}
