import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { quoteRepr, splitArgs } from '../protocol/split-args.js';
import { Config, ConfigFileError } from './config.js';

/** What the command line asks for, parsed like redis-server's main(). */
export interface CommandLine {
  mode: 'run' | 'version' | 'help' | 'test-config';
  configFile: string | null;
  fromStdin: boolean;
  /** Options as config text ("port \"7777\" \nbind …"), appended after the file. */
  options: string;
  /** argv had nothing but the program name. */
  bare: boolean;
}

export function parseCommandLine(args: string[]): CommandLine {
  const cl: CommandLine = {
    mode: 'run',
    configFile: null,
    fromStdin: false,
    options: '',
    bare: args.length === 0,
  };
  if (args.length === 1 && (args[0] === '-v' || args[0] === '--version')) return { ...cl, mode: 'version' };
  if (args.length === 1 && (args[0] === '-h' || args[0] === '--help')) return { ...cl, mode: 'help' };
  let j = 0;
  if (args.length > 0 && args[0][0] !== '-') {
    cl.configFile = resolvePath(args[0]);
    j = 1;
  }
  let options = '';
  let handledLastArg = true;
  for (; j < args.length; j++) {
    const a = args[j];
    if (a === '-' && (j === 0 || j === args.length - 1)) {
      cl.fromStdin = true;
    } else if (a === '--test-config') {
      cl.mode = 'test-config';
    } else if (handledLastArg && a.startsWith('--')) {
      if (options.length > 0) options += '\n';
      options += `${a.slice(2)} `;
      const parts = splitArgs(a) ?? [];
      if (parts.length === 1) {
        handledLastArg = false;
        const nextIsOption = j !== args.length - 1 && args[j + 1].startsWith('--');
        if (a.toLowerCase() === '--save' && (nextIsOption || j === args.length - 1)) {
          // `--save` with no value means `--save ""`, as in Redis 7.0.1+.
          options += '""';
          handledLastArg = true;
        } else if (a.toLowerCase() === '--sentinel' && nextIsOption) {
          handledLastArg = true;
        }
      } else {
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

export class ConfigOpenError extends Error {}

/**
 * The whole configuration text as Redis assembles it: file contents, then stdin, then a newline
 * and the command-line options. Throws ConfigOpenError if the file cannot be read.
 */
export function assembleConfigText(cl: CommandLine, readStdin: () => string): string {
  let text = '';
  if (cl.configFile !== null) {
    try {
      text = readFileSync(cl.configFile, 'latin1');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason =
        err.code === 'ENOENT'
          ? 'No such file or directory'
          : err.code === 'EACCES'
            ? 'Permission denied'
            : err.message;
      throw new ConfigOpenError(`Fatal error, can't open config file '${cl.configFile}': ${reason}`);
    }
  }
  if (cl.fromStdin) text += readStdin();
  if (cl.options !== '') text += `\n${cl.options}`;
  return text;
}

/** Loads assembled config text into a fresh Config. Throws ConfigFileError. */
export function loadConfig(cl: CommandLine, text: string): Config {
  const config = new Config();
  config.file = cl.configFile;
  config.load(text, cl.configFile);
  return config;
}

export { ConfigFileError };
