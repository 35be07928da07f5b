/** Command-line options of tsredis-cli, parsed the way redis-cli 7.0 parses them. */

import { REDIS_VERSION } from '../lib/version.js';
import { splitArgs } from '../protocol/split-args.js';
import { CliExit } from './output.js';

export type OutputMode = 'standard' | 'raw' | 'csv';

export interface CliOptions {
  host: string;
  port: number;
  socket: string | undefined;
  auth: string | undefined;
  user: string | undefined;
  askpass: boolean;
  noAuthWarning: boolean;
  /** The database asked for with -n or -u (redis-cli's input_dbnum). */
  dbnum: number;
  repeat: number;
  /** Pause after each command (-i), in milliseconds. */
  intervalMs: number;
  resp2: boolean;
  resp3: boolean;
  output: OutputMode;
  pushOutput: boolean;
  stdinLastArg: boolean;
  stdinTagName: string | undefined;
  quotedInput: boolean;
  mbDelim: string;
  cmdDelim: string;
  setErrcode: boolean;
  statMode: boolean;
  scanMode: boolean;
  pattern: string | undefined;
  evalFile: string | undefined;
  /** --tls and its companions (--cacert, --cert, --key, --sni, --insecure …). */
  tls: CliTls | null;
}

export interface CliTls {
  sni?: string;
  cacert?: string;
  cacertdir?: string;
  cert?: string;
  key?: string;
  insecure: boolean;
  ciphers?: string;
  ciphersuites?: string;
}

/** redis-cli options tsredis-cli knows but does not implement: refused with a clear message. */
const UNSUPPORTED_FLAGS = new Set([
  '-c',
  '--json',
  '--quoted-json',
  '--latency',
  '--latency-history',
  '--latency-dist',
  '--mono',
  '--slave',
  '--replica',
  '--pipe',
  '--bigkeys',
  '--memkeys',
  '--hotkeys',
  '--ldb',
  '--ldb-sync-mode',
]);
const UNSUPPORTED_WITH_VALUE = new Set([
  '--lru-test',
  '--rdb',
  '--functions-rdb',
  '--pipe-timeout',
  '--memkeys-samples',
  '--intrinsic-latency',
  '--cluster',
]);

/** The TLS options that take a value; they apply once --tls is given (as in redis-cli). */
const TLS_VALUES: Record<string, Exclude<keyof CliTls, 'insecure'>> = {
  '--sni': 'sni',
  '--cacert': 'cacert',
  '--cacertdir': 'cacertdir',
  '--cert': 'cert',
  '--key': 'key',
  '--tls-ciphers': 'ciphers',
  '--tls-ciphersuites': 'ciphersuites',
};

export function defaultOptions(stdoutIsTty: boolean): CliOptions {
  return {
    host: '127.0.0.1',
    port: 6379,
    socket: undefined,
    auth: undefined,
    user: undefined,
    askpass: false,
    noAuthWarning: false,
    dbnum: 0,
    repeat: 1,
    intervalMs: 0,
    resp2: false,
    resp3: false,
    // Like redis-cli: formatted output for a terminal (or FAKETTY), raw output for pipes and files.
    output: stdoutIsTty ? 'standard' : 'raw',
    pushOutput: stdoutIsTty,
    stdinLastArg: false,
    stdinTagName: undefined,
    quotedInput: false,
    mbDelim: '\n',
    cmdDelim: '\n',
    setErrcode: false,
    statMode: false,
    scanMode: false,
    pattern: undefined,
    evalFile: undefined,
    tls: null,
  };
}

export interface ParsedArgs {
  options: CliOptions;
  /** The command and its arguments (empty: interactive mode). */
  command: string[];
}

/**
 * Parses argv like redis-cli's parseOptions: options come first, the first argument that does not
 * start with '-' begins the command. Throws CliExit for --help, --version and errors.
 */
export function parseArgs(argv: string[], stdoutIsTty: boolean): ParsedArgs {
  const o = defaultOptions(stdoutIsTty);
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    const hasValue = i < argv.length - 1;
    const value = (): string => argv[++i];
    if (a === '-h' && hasValue) o.host = value();
    else if (a === '-h' || a === '--help') throw new CliExit(0, usage());
    else if (a === '-x') o.stdinLastArg = true;
    else if (a === '-X' && hasValue) o.stdinTagName = value();
    else if (a === '-p' && hasValue) o.port = atoi(value());
    else if (a === '-s' && hasValue) o.socket = value();
    else if (a === '-r' && hasValue) o.repeat = atoi(value());
    else if (a === '-i' && hasValue) o.intervalMs = atof(value()) * 1000;
    else if (a === '-n' && hasValue) o.dbnum = atoi(value());
    else if (a === '--no-auth-warning') o.noAuthWarning = true;
    else if (a === '--askpass') o.askpass = true;
    else if ((a === '-a' || a === '--pass') && hasValue) o.auth = value();
    else if (a === '--user' && hasValue) o.user = value();
    else if (a === '-u' && hasValue) parseRedisUri(value(), o);
    else if (a === '--raw') o.output = 'raw';
    else if (a === '--no-raw') o.output = 'standard';
    else if (a === '--csv') o.output = 'csv';
    else if (a === '--quoted-input') o.quotedInput = true;
    else if (a === '--stat') o.statMode = true;
    else if (a === '--scan') o.scanMode = true;
    else if (a === '--pattern' && hasValue) o.pattern = value();
    else if (a === '--quoted-pattern' && hasValue) o.pattern = unquotedPattern(value());
    else if (a === '--eval' && hasValue) o.evalFile = value();
    else if (a === '-d' && hasValue) o.mbDelim = value();
    else if (a === '-D' && hasValue) o.cmdDelim = value();
    else if (a === '-e') o.setErrcode = true;
    else if (a === '--verbose') {
      // Only affects cluster-manager output in redis-cli, which tsredis-cli does not have.
    } else if (a === '-v' || a === '--version') throw new CliExit(0, `redis-cli ${REDIS_VERSION}\n`);
    else if (a === '-2') o.resp2 = true;
    else if (a === '-3') o.resp3 = true;
    else if (a === '--show-pushes' && hasValue) parseShowPushes(value(), o);
    else if (a === '--tls') o.tls ??= { insecure: false };
    else if (a === '--insecure') (o.tls ??= { insecure: false }).insecure = true;
    else if (TLS_VALUES[a] !== undefined && hasValue) {
      const t = (o.tls ??= { insecure: false });
      t[TLS_VALUES[a]] = value();
    } else if (UNSUPPORTED_FLAGS.has(a) || (UNSUPPORTED_WITH_VALUE.has(a) && hasValue)) {
      throw new CliExit(1, '', `tsredis-cli: option '${a}' is not supported\n`);
    } else if (a.startsWith('-')) {
      throw new CliExit(1, '', `Unrecognized option or bad number of args for: '${a}'\n`);
    } else break;
  }
  checkCombinations(o);
  return { options: o, command: argv.slice(i) };
}

function checkCombinations(o: CliOptions): void {
  if (o.resp2 && o.resp3) throw new CliExit(1, '', 'Options -2 and -3 are mutually exclusive.\n');
  if (!o.noAuthWarning && o.auth !== undefined) {
    process.stderr.write(
      "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n",
    );
  }
  if (o.stdinLastArg && o.stdinTagName !== undefined) {
    throw new CliExit(1, '', 'Options -x and -X are mutually exclusive.\n');
  }
}

function parseShowPushes(value: string, o: CliOptions): void {
  const first = value[0]?.toLowerCase();
  if (first === 'n') o.pushOutput = false;
  else if (first === 'y') o.pushOutput = true;
  else process.stderr.write(`Unknown --show-pushes value '${value}' (valid: '[y]es', '[n]o')\n`);
}

function unquotedPattern(value: string): string {
  const parts = splitArgs(value);
  if (parts === null || parts.length !== 1) {
    throw new CliExit(1, '', 'Invalid quoted string specified for --quoted-pattern.\n');
  }
  return parts[0];
}

/** C's atoi: optional spaces and sign, then digits; anything else stops the parse (no digits: 0). */
export function atoi(s: string): number {
  const m = /^[\t\n\v\f\r ]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  return Number(m[1]);
}

/** C's atof: the longest prefix that is a number (inf/nan included), else 0. */
export function atof(s: string): number {
  const m =
    /^[\t\n\v\f\r ]*([+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf(?:inity)?|nan))/i.exec(s);
  if (m === null) return 0;
  const t = m[1].toLowerCase().replace('infinity', 'inf');
  if (t.endsWith('inf')) return t.startsWith('-') ? -Infinity : Infinity;
  if (t.endsWith('nan')) return Number.NaN;
  return Number(t);
}

/**
 * redis://[[user:]password@][host[:port]][/db] as redis-cli parses it: the password and user are
 * percent-decoded, a missing part keeps its default.
 */
export function parseRedisUri(uri: string, o: CliOptions): void {
  const scheme = 'redis://';
  let rest: string;
  if (uri.slice(0, 9).toLowerCase() === 'rediss://') {
    throw new CliExit(1, '', 'rediss:// is only supported when redis-cli is compiled with OpenSSL\n');
  } else if (uri.slice(0, scheme.length).toLowerCase() === scheme) {
    rest = uri.slice(scheme.length);
  } else {
    throw new CliExit(1, '', 'Invalid URI scheme\n');
  }
  if (rest === '') return;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const colon = rest.indexOf(':');
    let start = 0;
    if (colon >= 0 && colon < at) {
      o.user = percentDecode(rest.slice(0, colon));
      start = colon + 1;
    }
    o.auth = percentDecode(rest.slice(start, at));
    rest = rest.slice(at + 1);
  }
  if (rest === '') return;
  const slash = rest.indexOf('/');
  if (rest[0] !== '/') {
    const hostPart = slash >= 0 ? rest.slice(0, slash) : rest;
    const colon = rest.indexOf(':');
    if (colon >= 0) {
      o.port = atoi(rest.slice(colon + 1));
      o.host = rest.slice(0, colon);
    } else {
      o.host = hostPart;
    }
  }
  if (slash < 0 || slash === rest.length - 1) return;
  o.dbnum = atoi(rest.slice(slash + 1));
}

function percentDecode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '%') {
      out += s[i];
      continue;
    }
    if (s.length - i < 2) throw new CliExit(1, '', 'Incomplete URI encoding\n');
    const h = (s[i + 1] ?? '').toLowerCase();
    const l = (s[i + 2] ?? '').toLowerCase();
    if (!/^[0-9a-f]$/.test(h) || !/^[0-9a-f]$/.test(l)) {
      throw new CliExit(1, '', 'Illegal character in URI encoding\n');
    }
    out += String.fromCharCode(Number.parseInt(h + l, 16));
    i += 2;
  }
  return out;
}

export function usage(): string {
  return `redis-cli ${REDIS_VERSION} (tsredis-cli)

Usage: tsredis-cli [OPTIONS] [cmd [arg [arg ...]]]
  -h <hostname>      Server hostname (default: 127.0.0.1).
  -p <port>          Server port (default: 6379).
  -s <socket>        Server socket (overrides hostname and port).
  -a <password>      Password to use when connecting to the server.
                     You can also use the REDISCLI_AUTH environment
                     variable to pass this password more safely
                     (if both are used, this argument takes precedence).
  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.
  --pass <password>  Alias of -a for consistency with the new --user option.
  --askpass          Force user to input password with mask from STDIN.
                     If this argument is used, '-a' and REDISCLI_AUTH
                     environment variable will be ignored.
  -u <uri>           Server URI (redis://[[user:]password@]host[:port][/db]).
  -r <repeat>        Execute specified command N times (negative: forever).
  -i <interval>      When -r is used, waits <interval> seconds per command.
                     It is possible to specify sub-second times like -i 0.1.
                     This interval is also used in --scan and --stat per cycle.
  -n <db>            Database number.
  -2                 Start session in RESP2 protocol mode.
  -3                 Start session in RESP3 protocol mode.
  -x                 Read last argument from STDIN.
  -X <tag>           Read <tag> argument from STDIN.
  -d <delimiter>     Delimiter between response bulks for raw formatting (default: \\n).
  -D <delimiter>     Delimiter between responses for raw formatting (default: \\n).
  -e                 Return exit error code when command execution fails.
  --raw              Use raw formatting for replies (default when STDOUT is
                     not a tty).
  --no-raw           Force formatted output even when STDOUT is not a tty.
  --quoted-input     Force input to be handled as quoted strings.
  --csv              Output in CSV format.
  --show-pushes <yn> Whether to print RESP3 PUSH messages.  Enabled by default when
                     STDOUT is a tty but can be overridden with --show-pushes no.
  --stat             Print rolling stats about server: mem, clients, ...
  --scan             List all keys using the SCAN command.
  --pattern <pat>    Keys pattern when using the --scan option (default: *).
  --quoted-pattern <pat> Same as --pattern, but the specified string can be
                         quoted, in order to pass an otherwise non binary-safe string.
  --eval <file>      Send an EVAL command using the Lua script at <file>.
  --no-auth-warning  Don't show warning message when using password on command
                     line interface.
  --help             Output this help and exit.
  --version          Output version and exit.

Examples:
  cat /etc/passwd | tsredis-cli -x set mypasswd
  tsredis-cli get mypasswd
  tsredis-cli -r 100 lpush mylist x
  tsredis-cli -r 100 -i 1 info | grep used_memory_human:
  tsredis-cli --quoted-input set '"null-\\x00-separated"' value
  tsredis-cli --eval myscript.lua key1 key2 , arg1 arg2 arg3
  tsredis-cli --scan --pattern '*:12345*'

  (Note: when using --eval the comma separates KEYS[] from ARGV[] items)

When no command is given, tsredis-cli starts in interactive mode.
Type "help" in interactive mode for information on available commands.

`;
}
