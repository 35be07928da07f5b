/** A small option parser for the `tsredis` subcommands: `--name value`, `--name=value`, flags, positionals. */
import { UserError } from './errors.js';

export interface OptionSpec {
  /** Options that take a value (without the leading dashes). */
  values?: string[];
  /** Options that are plain switches. */
  flags?: string[];
  /** Short aliases: { n: 'lines' }. */
  aliases?: Record<string, string>;
}

export interface ParsedOptions {
  values: Map<string, string>;
  flags: Set<string>;
  positional: string[];
}

export function parseOptions(args: string[], spec: OptionSpec, command: string): ParsedOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  const valueNames = new Set(spec.values ?? []);
  const flagNames = new Set(spec.flags ?? []);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    let name = arg.replace(/^--?/, '');
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!arg.startsWith('--')) name = spec.aliases?.[name] ?? name;
    if (flagNames.has(name) && inline === undefined) {
      flags.add(name);
    } else if (valueNames.has(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UserError(`option --${name} needs a value`);
      values.set(name, value);
    } else {
      throw new UserError(`unknown option ${arg} (see 'tsredis help' for the options of ${command})`);
    }
  }
  return { values, flags, positional };
}

/** A non-negative integer option, or the default. */
export function intOption(o: ParsedOptions, name: string, fallback: number, min = 0, max = 65535): number {
  const raw = o.values.get(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UserError(`--${name} must be a whole number from ${min} to ${max} (got '${raw}')`);
  }
  return Number(raw);
}

/** Parses `host:port` (or a bare port, meaning 127.0.0.1). */
export function parseAddress(text: string): { host: string; port: number } {
  const colon = text.lastIndexOf(':');
  let host = colon < 0 ? '127.0.0.1' : text.slice(0, colon);
  const portText = colon < 0 ? text : text.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '' || !/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new UserError(`'${text}' is not an address: use host:port, e.g. 127.0.0.1:6380`);
  }
  return { host, port: Number(portText) };
}
