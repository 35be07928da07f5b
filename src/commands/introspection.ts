import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
/**
 * Introspection: INFO, COMMAND, SLOWLOG, LATENCY, MONITOR, ROLE, TIME, LASTSAVE and MEMORY, with
 * Redis 7.0's replies and errors.
 */

import { type CommandInfo, Flag } from '../core/command.js';
import type { CommandContext, CommandFamily } from '../core/context.js';
import { commandHasKeys, commandKeys, type KeyRef } from '../core/key-specs.js';
import { writeSpecNode } from '../core/spec-tree.js';
import { nowUsec } from '../lib/clock.js';
import { globMatch } from '../lib/glob.js';
import { parseInt64 } from '../lib/numbers.js';
import type { SpecNode } from '../specs/spec-node.js';
import { leafText } from '../specs/spec-node.js';
import { isString, type Value } from '../store/values.js';
import { is } from './args.js';
import {
  COMMAND_HELP,
  LATENCY_HELP,
  MEMORY_HELP,
  replyHelp,
  SLOWLOG_HELP,
  subcommandSyntaxError,
} from './help-replies.js';
import { DICT_ENTRY_SIZE, sdsAllocSize, stringMemoryUsage, valueMemoryUsage } from './memory-usage.js';
import { ERR } from './replies.js';

function info(ctx: CommandContext, argv: string[]): void {
  ctx.reply.verbatim(ctx.server.admin.info(argv.slice(1)));
}

// --- COMMAND ---

export function topLevel(ctx: CommandContext): CommandInfo[] {
  return [...ctx.server.commands.all()];
}

/** lookupCommandBySds: "get" or "config|get", any letter case. */
export function lookupByFullName(ctx: CommandContext, name: string): CommandInfo | undefined {
  const parts = name.split('|');
  if (parts.length > 2) return undefined;
  const base = ctx.server.commands.lookup(parts[0]);
  if (parts.length === 1) return base;
  return base?.subcommands?.get(parts[1].toLowerCase());
}

function command(ctx: CommandContext): void {
  const all = topLevel(ctx);
  ctx.reply.array(all.length);
  for (const def of all) writeSpecNode(ctx.reply, def.infoNode);
}

function commandCount(ctx: CommandContext): void {
  ctx.reply.integer(topLevel(ctx).length);
}

function commandInfo(ctx: CommandContext, argv: string[]): void {
  if (argv.length === 2) {
    command(ctx);
    return;
  }
  ctx.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const def = lookupByFullName(ctx, argv[i]);
    if (def === undefined) ctx.reply.nil();
    else writeSpecNode(ctx.reply, def.infoNode);
  }
}

/** A command's COMMAND DOCS map, listing only the subcommands tsredis implements. */
function docsNode(def: CommandInfo): SpecNode {
  const docs = (def.docs ?? { '%': [] }) as { '%': SpecNode[] };
  if (def.subcommands === null) return docs;
  const items = docs['%'].slice();
  for (let i = 0; i < items.length; i += 2) {
    if (leafText(items[i]) !== 'subcommands') continue;
    const subs: SpecNode[] = [];
    for (const sub of def.subcommands.values()) subs.push(`$${sub.name}`, docsNode(sub));
    items[i + 1] = { '%': subs };
  }
  return { '%': items };
}

function commandDocs(ctx: CommandContext, argv: string[]): void {
  const defs: CommandInfo[] = [];
  if (argv.length === 2) defs.push(...topLevel(ctx));
  for (let i = 2; i < argv.length; i++) {
    const def = lookupByFullName(ctx, argv[i]);
    if (def !== undefined) defs.push(def);
  }
  ctx.reply.map(defs.length);
  for (const def of defs) {
    ctx.reply.bulk(def.name);
    writeSpecNode(ctx.reply, docsNode(def));
  }
}

function commandList(ctx: CommandContext, argv: string[]): void {
  let filter: ((def: CommandInfo) => boolean) | null = null;
  if (argv.length !== 2) {
    if (argv.length !== 5 || !is(argv[2], 'FILTERBY')) {
      ctx.reply.error(ERR.syntax);
      return;
    }
    const arg = argv[4];
    if (is(argv[3], 'MODULE')) {
      filter = () => false;
    } else if (is(argv[3], 'ACLCAT')) {
      const category = `@${arg.toLowerCase()}`;
      filter = (def) => def.categories.includes(category);
    } else if (is(argv[3], 'PATTERN')) {
      filter = (def) => globMatch(arg, def.name, true);
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  const names: string[] = [];
  for (const def of topLevel(ctx)) {
    if (filter === null || filter(def)) names.push(def.name);
    if (def.subcommands === null) continue;
    for (const sub of def.subcommands.values()) if (filter === null || filter(sub)) names.push(sub.name);
  }
  ctx.reply.bulks(names);
}

/**
 * COMMAND GETKEYS's decision for a full command (cmdArgv[0] is its name): the keys, or Redis's error.
 * lookup resolves the command as Redis's lookupCommand does (container plus subcommand).
 */
export function getKeysOf(
  lookup: (name: string) => CommandInfo | undefined,
  cmdArgv: readonly string[],
): { keys: KeyRef[] } | { error: string } {
  let def = lookup(cmdArgv[0]);
  if (def?.subcommands != null && cmdArgv.length > 1) def = def.subcommands.get(cmdArgv[1].toLowerCase());
  if (def === undefined || !def.executable) return { error: 'ERR Invalid command specified' };
  if (!commandHasKeys(def.name, def.keySpecs)) return { error: 'ERR The command has no key arguments' };
  if ((def.arity > 0 && def.arity !== cmdArgv.length) || cmdArgv.length < -def.arity) {
    return { error: 'ERR Invalid number of arguments specified for command' };
  }
  const keys = commandKeys(def.name, def.keySpecs, cmdArgv);
  if (keys.length === 0 && !def.has(Flag.no_mandatory_keys)) {
    return { error: 'ERR Invalid arguments specified for command' };
  }
  return { keys };
}

function getKeys(ctx: CommandContext, argv: string[], withFlags: boolean): void {
  const cmdArgv = argv.slice(2);
  const result = getKeysOf((name) => ctx.server.commands.lookup(name), cmdArgv);
  if ('error' in result) {
    ctx.reply.error(result.error);
    return;
  }
  const r = ctx.reply;
  r.array(result.keys.length);
  for (const key of result.keys) {
    if (!withFlags) {
      r.bulk(cmdArgv[key.pos]);
      continue;
    }
    r.array(2);
    r.bulk(cmdArgv[key.pos]);
    r.set(key.flags.length);
    for (const flag of key.flags) r.simple(flag);
  }
}

// --- SLOWLOG ---

function slowlogGet(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3) {
    subcommandSyntaxError(ctx, argv);
    return;
  }
  const entries = ctx.server.admin.slowlog.entries;
  let count = 10;
  if (argv.length === 3) {
    const n = parseInt64(argv[2]);
    if (n === null || n < -1) {
      ctx.reply.error('ERR count should be greater than or equal to -1');
      return;
    }
    count = n === -1 ? entries.length : Number(n);
  }
  const shown = Math.min(count, entries.length);
  const r = ctx.reply;
  r.array(shown);
  for (let i = 0; i < shown; i++) {
    const e = entries[i];
    r.array(6);
    r.integer(e.id);
    r.integer(e.time);
    r.integer(e.usec);
    r.bulks(e.args);
    r.bulk(e.addr);
    r.bulk(e.name);
  }
}

function slowlogLen(ctx: CommandContext): void {
  ctx.reply.integer(ctx.server.admin.slowlog.entries.length);
}

function slowlogReset(ctx: CommandContext): void {
  ctx.server.admin.slowlog.reset();
  ctx.reply.ok();
}

// --- MONITOR, ROLE, TIME, LASTSAVE ---

function monitor(ctx: CommandContext): void {
  if (ctx.inExec) {
    ctx.reply.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  // A client that already is a monitor (or a replica) gets no reply at all, as in Redis.
  if (ctx.server.admin.addMonitor(ctx)) ctx.reply.ok();
}

function role(ctx: CommandContext): void {
  const info = ctx.server.replication.role();
  const r = ctx.reply;
  if (info.role === 'master') {
    r.array(3);
    r.bulk('master');
    r.integer(info.offset);
    r.array(info.replicas.length);
    for (const replica of info.replicas) {
      r.array(3);
      r.bulk(replica.ip);
      r.bulk(String(replica.port));
      r.bulk(String(replica.offset));
    }
  } else {
    r.array(5);
    r.bulk('slave');
    r.bulk(info.masterHost);
    r.integer(info.masterPort);
    r.bulk(info.state);
    r.integer(info.offset);
  }
}

function time(ctx: CommandContext): void {
  const usec = nowUsec();
  ctx.reply.array(2);
  ctx.reply.bulk(String(Math.floor(usec / 1e6)));
  ctx.reply.bulk(String(usec % 1e6));
}

function lastsave(ctx: CommandContext): void {
  ctx.reply.integer(ctx.server.persistence.lastSaveTime());
}

// --- MEMORY ---

function memoryUsage(ctx: CommandContext, argv: string[]): void {
  // SAMPLES is validated as Redis does; only streams sample (their nodes), the rest count elements.
  let samples = 5;
  for (let j = 3; j < argv.length; j++) {
    if (is(argv[j], 'SAMPLES') && j + 1 < argv.length) {
      const n = parseInt64(argv[j + 1]);
      if (n === null) {
        ctx.reply.error(ERR.notInteger);
        return;
      }
      if (n < 0) {
        ctx.reply.error(ERR.syntax);
        return;
      }
      samples = n === 0 ? Number.MAX_SAFE_INTEGER : Number(n);
      j++;
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  // Like Redis, looks in the dictionary directly: a logically expired key still has a size.
  const value = ctx.db.data.get(argv[2]) as Value | undefined;
  if (value === undefined) {
    ctx.reply.nil();
    return;
  }
  const usage = isString(value) ? stringMemoryUsage(value) : valueMemoryUsage(value, samples);
  ctx.reply.integer(usage + keyMemoryUsage(argv[2]));
}

/** The key's sds allocation plus its dict entry. */
function keyMemoryUsage(key: string): number {
  return sdsAllocSize(key.length, true) + DICT_ENTRY_SIZE;
}

function memoryStats(ctx: CommandContext): void {
  const m = ctx.server.admin.memory();
  const dbs = ctx.server.keyspace.dbs.filter((db) => db.size > 0);
  let clientsNormal = 0;
  for (const c of ctx.server.admin.clients())
    if (c.clientType() !== 'replica') clientsNormal += c.memoryStats().totMem;
  const repl = ctx.server.replication.counters();
  const dataset = Math.max(0, m.used - m.overhead);
  const netUsed = m.used - m.startup;
  let keys = 0;
  for (const db of ctx.server.keyspace.dbs) keys += db.size;
  const r = ctx.reply;
  r.map(27 + dbs.length);
  const num = (name: string, v: number) => {
    r.bulk(name);
    r.integer(v);
  };
  // Redis computes these ratios as C floats.
  const dbl = (name: string, v: number) => {
    r.bulk(name);
    r.double(Math.fround(v));
  };
  num('peak.allocated', m.peak);
  num('total.allocated', m.used);
  num('startup.allocated', m.startup);
  num('replication.backlog', repl.backlogMemory);
  num('clients.slaves', repl.replicaClientsMemory);
  num('clients.normal', clientsNormal);
  num('cluster.links', 0);
  num('aof.buffer', 0);
  num('lua.caches', 0);
  num('functions.caches', 200);
  for (const db of dbs) {
    r.bulk(`db.${db.id}`);
    r.map(3);
    num('overhead.hashtable.main', db.size * DICT_ENTRY_SIZE);
    num('overhead.hashtable.expires', db.expiresCount * DICT_ENTRY_SIZE);
    num('overhead.hashtable.slot-to-keys', 0);
  }
  num('overhead.total', m.overhead);
  num('keys.count', keys);
  num('keys.bytes-per-key', keys === 0 ? 0 : Math.floor(netUsed / keys));
  num('dataset.bytes', dataset);
  dbl('dataset.percentage', netUsed <= 0 ? 0 : (dataset * 100) / netUsed);
  dbl('peak.percentage', m.peak === 0 ? 0 : (m.used * 100) / m.peak);
  num('allocator.allocated', m.used);
  num('allocator.active', m.heapTotal + m.external);
  num('allocator.resident', m.rss);
  dbl('allocator-fragmentation.ratio', m.used === 0 ? 0 : (m.heapTotal + m.external) / m.used);
  num('allocator-fragmentation.bytes', m.heapTotal + m.external - m.used);
  dbl('allocator-rss.ratio', m.heapTotal + m.external === 0 ? 0 : m.rss / (m.heapTotal + m.external));
  num('allocator-rss.bytes', m.rss - (m.heapTotal + m.external));
  dbl('rss-overhead.ratio', 1);
  num('rss-overhead.bytes', 0);
  dbl('fragmentation', m.used === 0 ? 0 : m.rss / m.used);
  num('fragmentation.bytes', m.rss - m.used);
}

/** The dataset's size estimated from a sample of keys (Redis's allocator figures have no equivalent here). */
function estimateDataset(ctx: CommandContext): number {
  let total = 0;
  for (const db of ctx.server.keyspace.dbs) {
    if (db.size === 0) continue;
    const samples = Math.min(db.size, 16);
    let sum = 0;
    for (let i = 0; i < samples; i++) {
      const key = db.data.randomKey();
      const value = key === undefined ? undefined : (db.data.get(key) as Value | undefined);
      if (key !== undefined && value !== undefined) sum += valueMemoryUsage(value) + keyMemoryUsage(key);
    }
    total += (sum / samples) * db.size;
  }
  return total;
}

/** What a fresh Redis allocates before holding data. */
const REDIS_BASELINE_MEMORY = 900 * 1024;

/**
 * MEMORY MALLOC-STATS: Redis shows its allocator's (jemalloc's) report; tsredis's allocator is V8,
 * so this is V8's report of its heap and each heap space, framed as Redis frames jemalloc's.
 */
function heapStatistics(): string {
  const lines = [
    '___ Begin V8 heap statistics ___',
    `Version: "node ${process.version}, V8 ${process.versions.v8}"`,
  ];
  for (const [name, value] of Object.entries(getHeapStatistics())) lines.push(`${name}: ${value}`);
  lines.push('Heap spaces: size, used, available, physical');
  for (const space of getHeapSpaceStatistics()) {
    lines.push(
      `  ${space.space_name}: ${space.space_size} ${space.space_used_size} ${space.space_available_size} ${space.physical_space_size}`,
    );
  }
  lines.push('--- End V8 heap statistics ---', '');
  return lines.join('\n');
}

function memoryDoctor(ctx: CommandContext): void {
  // Redis declines to analyse below 5 MB allocated; tsredis's own heap is always larger, so the
  // decision uses the dataset on top of Redis's baseline.
  const text =
    REDIS_BASELINE_MEMORY + estimateDataset(ctx) < 5 * 1024 * 1024
      ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
      : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  ctx.reply.verbatim(text);
}

export const introspectionCommands: CommandFamily = {
  info,
  command,
  'command|count': commandCount,
  'command|info': commandInfo,
  'command|docs': commandDocs,
  'command|list': commandList,
  'command|getkeys': (ctx, argv) => getKeys(ctx, argv, false),
  'command|getkeysandflags': (ctx, argv) => getKeys(ctx, argv, true),
  'command|help': (ctx, argv) => replyHelp(ctx, argv, COMMAND_HELP),
  'slowlog|get': slowlogGet,
  'slowlog|len': slowlogLen,
  'slowlog|reset': slowlogReset,
  'slowlog|help': (ctx, argv) => replyHelp(ctx, argv, SLOWLOG_HELP),
  'latency|help': (ctx, argv) => replyHelp(ctx, argv, LATENCY_HELP),
  monitor,
  role,
  time,
  lastsave,
  'memory|usage': memoryUsage,
  'memory|stats': memoryStats,
  'memory|doctor': memoryDoctor,
  'memory|help': (ctx, argv) => replyHelp(ctx, argv, MEMORY_HELP),
  'memory|malloc-stats': (ctx) => ctx.reply.verbatim(heapStatistics(), 'txt'),
  'memory|purge': (ctx) =>
    ctx.server.admin.purgeMemory() ? ctx.reply.ok() : ctx.reply.error('ERR Error purging dirty pages'),
};
