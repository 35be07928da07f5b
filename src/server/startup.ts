import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { quoteRepr, splitArgs } from '../protocol/split-args.js';
import { Config, ConfigFileError, type ConfigOptions } from './config.js';
import { ConfigOpenError } from './config-files.js';

/** What the command line asks for, parsed like redis-server's main(). */
export interface CommandLine {
  mode: 'run' | 'version' | 'help' | 'test-config' | 'sentinel';
  /** Absolute path of the config file (the first argument when it does not start with '-'). */
  configFile: string | null;
  fromStdin: boolean;
  /** Options as config text ('port "7777" \nbind …'), appended after the file and stdin. */
  options: string;
  /** argv had nothing but the program name ("no config file specified" warning). */
  bare: boolean;
}

/**
 * Redis's main(): `-v`/`--version` and `-h`/`--help` as the first argument; a first argument not
 * starting with '-' is the config file; `-` as the first or last argument reads stdin; every
 * `--name` starts a config line and the following arguments become its quoted values.
 * `--test-config` is ours: load, report, exit.
 */
export function parseCommandLine(args: string[]): CommandLine {
  const cl: CommandLine = {
    mode: 'run',
    configFile: null,
    fromStdin: false,
    options: '',
    bare: args.length === 0,
  };
  if (args.length === 0) return cl;
  if (args[0] === '-v' || args[0] === '--version') return { ...cl, mode: 'version' };
  if (args[0] === '--help' || args[0] === '-h') return { ...cl, mode: 'help' };
  if (args.includes('--sentinel')) cl.mode = 'sentinel';
  let j = 0;
  if (args[0][0] !== '-') {
    cl.configFile = resolvePath(args[0]);
    j = 1;
  }
  let options = '';
  let handledLastArg = true;
  for (; j < args.length; j++) {
    const a = args[j];
    const last = j === args.length - 1;
    const nextIsOption = !last && args[j + 1].startsWith('--');
    if (a === '-' && (j === 0 || last)) {
      cl.fromStdin = true;
    } else if (a === '--test-config' && handledLastArg) {
      if (cl.mode === 'run') cl.mode = 'test-config';
    } else if (handledLastArg && a.startsWith('--')) {
      if (options.length > 0) options += '\n';
      options += `${a.slice(2)} `;
      if ((splitArgs(a) ?? []).length === 1) {
        // "--port" alone: its values follow. `--save` followed by another option or nothing
        // means `--save ""` (Redis 7.0.1+); `--sentinel` takes no value.
        handledLastArg = false;
        const lower = a.toLowerCase();
        if (lower === '--save' && (nextIsOption || last)) {
          options += '""';
          handledLastArg = nextIsOption;
        } else if (lower === '--sentinel' && nextIsOption) {
          handledLastArg = true;
        }
      } else {
        // "--port 6380" in one argument: name and value together.
        handledLastArg = true;
      }
    } else {
      options += `${quoteRepr(a)} `;
      handledLastArg = true;
    }
  }
  cl.options = options;
  return cl;
}

/**
 * The whole configuration text as Redis assembles it: the file's contents, then stdin, then a
 * newline and the command-line options. Throws ConfigOpenError if the file cannot be read.
 */
export function assembleConfigText(
  cl: CommandLine,
  readStdin: () => string,
  log: (message: string) => void = () => {},
): string {
  let text = '';
  if (cl.configFile !== null) {
    try {
      text = readFileSync(cl.configFile, 'latin1');
    } catch (e) {
      const reason = describeOpenError(e);
      throw new ConfigOpenError(`Fatal error, can't open config file '${cl.configFile}': ${reason}`);
    }
  }
  if (cl.fromStdin) {
    log('Reading config from stdin');
    text += readStdin();
  }
  if (cl.options !== '') text += `\n${cl.options}`;
  return text;
}

function describeOpenError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EISDIR') return 'Is a directory';
  return (e as Error).message;
}

/** Loads assembled config text into a fresh Config. Throws ConfigFileError or ConfigOpenError. */
export function loadConfig(cl: CommandLine, text: string, options: ConfigOptions = {}): Config {
  const config = new Config(options);
  config.file = cl.configFile;
  config.load(text);
  return config;
}

export { ConfigFileError, ConfigOpenError };

const LOOPBACK = /^-?(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * The seed's pitfall, said plainly at start-up: a server bound to loopback only cannot have
 * replicas (or clients) on other hosts, and protected mode without a password refuses them.
 */
export function reachabilityWarnings(config: {
  get(name: string): unknown;
  bool(name: string): boolean;
  readonly acl: { readonly defaultUser: { readonly nopass: boolean } };
}): string[] {
  const binds = (config.get('bind') as string[] | undefined) ?? [];
  const out: string[] = [];
  if (binds.length > 0 && binds.every((b) => LOOPBACK.test(b))) {
    out.push(
      `WARNING: listening on loopback only (bind ${binds.join(' ')}): replicas and clients on other hosts cannot connect. To accept replicas from other hosts (containers included), bind a reachable address, e.g. 'bind 0.0.0.0'.`,
    );
  } else if (config.bool('protected-mode') && config.acl.defaultUser.nopass) {
    out.push(
      "WARNING: protected-mode is on and no password is set: replicas and clients from other hosts will be refused with -DENIED. Set 'requirepass' (and 'masterauth' on the replicas) or 'protected-mode no' on a trusted network.",
    );
  }
  return out;
}
