/**
 * The `help` command. Entries come from COMMAND DOCS: the server's when it answers (so help shows
 * what that server has), otherwise the Redis 7.0.15 docs bundled with tsredis (redis-cli's built-in
 * help.h). The synopsis is rendered the way redis-cli 7.0 renders it ("key value [NX|XX] ...").
 */

import { REDIS_VERSION } from '../lib/version.js';
import type { RespValue } from '../protocol/resp-reader.js';
import type { SpecNode } from '../specs/spec-node.js';

export interface HelpEntry {
  /** Upper-case name, "GET" or "OBJECT ENCODING". */
  full: string;
  words: string[];
  params: string;
  summary: string;
  since: string;
  group: string;
}

/** Key/value pairs of a RESP3 map or of a RESP2 flat array. */
function pairs(v: RespValue | undefined): Array<[string, RespValue]> {
  if (v === undefined || (v.type !== 'map' && v.type !== 'array')) return [];
  const out: Array<[string, RespValue]> = [];
  for (let i = 0; i + 1 < v.value.length; i += 2) out.push([text(v.value[i]), v.value[i + 1]]);
  return out;
}

function field(v: RespValue | undefined, name: string): RespValue | undefined {
  return pairs(v).find(([k]) => k === name)?.[1];
}

function text(v: RespValue | undefined): string {
  if (v === undefined) return '';
  if (v.type === 'bulk' || v.type === 'verbatim') return v.value.latin1Slice(0, v.value.length);
  if (v.type === 'simple' || v.type === 'error' || v.type === 'double' || v.type === 'bignum') return v.value;
  if (v.type === 'integer') return String(v.value);
  return '';
}

function list(v: RespValue | undefined): RespValue[] {
  return v !== undefined && (v.type === 'array' || v.type === 'set') ? v.value : [];
}

function hasFlag(arg: RespValue, flag: string): boolean {
  return list(field(arg, 'flags')).some((f) => text(f) === flag);
}

/**
 * One argument of the synopsis: blocks joined by spaces, choices by '|', [optional], "x [x ...]".
 * An empty token (MIGRATE's empty key) shows as "" for server docs, as redis-cli 7.0 prints it; its
 * built-in table (which the bundled docs stand in for) shows nothing.
 */
function renderArgument(arg: RespValue, quoteEmptyToken: boolean): string {
  const type = text(field(arg, 'type'));
  const tokenField = field(arg, 'token');
  let token = tokenField === undefined ? undefined : text(tokenField);
  if (token === '' && quoteEmptyToken) token = '""';
  const render = (a: RespValue) => renderArgument(a, quoteEmptyToken);
  let name: string | undefined;
  if (type === 'block') name = list(field(arg, 'arguments')).map(render).join(' ');
  else if (type === 'oneof') name = list(field(arg, 'arguments')).map(render).join('|');
  else if (type !== 'pure-token') name = text(field(arg, 'name'));
  if (hasFlag(arg, 'multiple')) {
    name = hasFlag(arg, 'multiple_token') ? `${name} [${token} ${name} ...]` : `${name} [${name} ...]`;
  }
  if (token !== undefined) name = name === undefined ? token : `${token} ${name}`;
  if (hasFlag(arg, 'optional')) name = `[${name}]`;
  return name ?? '';
}

function entryFromDoc(name: string, doc: RespValue, quoteEmptyToken: boolean): HelpEntry {
  const full = name.replace('|', ' ').toUpperCase();
  return {
    full,
    words: full.split(' '),
    params: list(field(doc, 'arguments'))
      .map((a) => renderArgument(a, quoteEmptyToken))
      .join(' '),
    summary: text(field(doc, 'summary')),
    since: text(field(doc, 'since')),
    group: text(field(doc, 'group')),
  };
}

/** Help entries (containers and their subcommands) from a COMMAND DOCS reply, keyed by full name. */
export function entriesFromDocs(reply: RespValue, quoteEmptyToken = true): Map<string, HelpEntry> {
  const out = new Map<string, HelpEntry>();
  for (const [name, doc] of pairs(reply)) {
    const entry = entryFromDoc(name, doc, quoteEmptyToken);
    out.set(entry.full, entry);
    for (const [subName, subDoc] of pairs(field(doc, 'subcommands'))) {
      const sub = entryFromDoc(subName, subDoc, quoteEmptyToken);
      out.set(sub.full, sub);
    }
  }
  return out;
}

/** Entries in redis-cli's order: by name, strcmp order. */
export function sortEntries(entries: Map<string, HelpEntry>): HelpEntry[] {
  return [...entries.values()].sort((a, b) => (a.full < b.full ? -1 : a.full > b.full ? 1 : 0));
}

export function genericHelp(): string {
  return (
    `redis-cli ${REDIS_VERSION}\n` +
    'To get help about Redis commands type:\n' +
    '      "help @<group>" to get a list of commands in <group>\n' +
    '      "help <command>" for help on <command>\n' +
    '      "help <tab>" to get a list of possible help topics\n' +
    '      "quit" to exit\n' +
    '\n' +
    'To set redis-cli preferences:\n' +
    '      ":set hints" enable online hints\n' +
    '      ":set nohints" disable online hints\n' +
    'Set your preferences in ~/.redisclirc\n'
  );
}

function commandHelp(e: HelpEntry, withGroup: boolean): string {
  let out = `\r\n  \x1b[1m${e.full}\x1b[0m \x1b[90m${e.params}\x1b[0m\r\n`;
  out += `  \x1b[33msummary:\x1b[0m ${e.summary}\r\n`;
  out += `  \x1b[33msince:\x1b[0m ${e.since}\r\n`;
  if (withGroup) out += `  \x1b[33mgroup:\x1b[0m ${e.group}\r\n`;
  return out;
}

/**
 * What `help <args>` prints: "@group" lists a group; otherwise every entry whose first words
 * equal the arguments (so "help xinfo" shows XINFO and all its subcommands).
 */
export function helpText(args: string[], entries: HelpEntry[]): string {
  if (args.length === 0) return genericHelp();
  let out = '';
  const groupName = args[0].startsWith('@') ? args[0].slice(1).toLowerCase() : undefined;
  const isGroup = groupName !== undefined && entries.some((e) => e.group.toLowerCase() === groupName);
  for (const e of entries) {
    if (isGroup) {
      if (e.group.toLowerCase() === groupName) out += commandHelp(e, false);
    } else if (
      args.length <= e.words.length &&
      args.every((a, j) => a.toLowerCase() === e.words[j].toLowerCase())
    ) {
      out += commandHelp(e, true);
    }
  }
  return `${out}\r\n`;
}

/** Converts the bundled spec tree (src/specs/) to the RespValue it stands for. */

export function specToResp(node: SpecNode): RespValue {
  if (typeof node === 'string') {
    return node[0] === '+'
      ? { type: 'simple', value: node.slice(1) }
      : { type: 'bulk', value: Buffer.from(node.slice(1), 'latin1') };
  }
  if (typeof node === 'number') return { type: 'integer', value: BigInt(node) };
  if (node === null) return { type: 'null' };
  if (Array.isArray(node)) return { type: 'array', value: node.map(specToResp) };
  if ('%' in node) return { type: 'map', value: node['%'].map(specToResp) };
  return { type: 'set', value: node['~'].map(specToResp) };
}

let bundled: Map<string, HelpEntry> | undefined;

/** Redis 7.0.15's own docs and the overlay's, shipped with tsredis (loaded only when help is used). */
export async function bundledEntries(): Promise<Map<string, HelpEntry>> {
  if (bundled === undefined) {
    const { REDIS_COMMAND_DOCS } = await import('../specs/redis-specs.generated.js');
    const { OVERLAY_COMMAND_DOCS } = await import('../specs/overlay.js');
    const flat: RespValue[] = [];
    for (const [name, doc] of Object.entries({ ...REDIS_COMMAND_DOCS, ...OVERLAY_COMMAND_DOCS })) {
      flat.push({ type: 'bulk', value: Buffer.from(name, 'latin1') }, specToResp(doc as SpecNode));
    }
    bundled = entriesFromDocs({ type: 'array', value: flat }, false);
  }
  return bundled;
}
