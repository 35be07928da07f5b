import { OVERLAY_COMMAND_DOCS, OVERLAY_COMMAND_INFO } from '../specs/overlay.js';
import { REDIS_COMMAND_DOCS, REDIS_COMMAND_INFO } from '../specs/redis-specs.generated.js';
import type { SpecNode } from '../specs/spec-node.js';
import { leafText, setItems } from '../specs/spec-node.js';
import { type CommandInfo, type CommandTable, Flag } from './command.js';
import type { CommandFamily, Handler } from './context.js';
import { type KeySpec, parseKeySpecs } from './key-specs.js';

/** A command of the table: Redis's spec, our handler and its INFO commandstats counters. */
export class CommandDef implements CommandInfo {
  /** Full name, lower case: 'get', 'config|get'. */
  readonly name: string;
  readonly arity: number;
  readonly flags: number;
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  readonly keySpecs: KeySpec[];
  readonly categories: string[];
  readonly subcommands: Map<string, CommandDef> | null;
  /** Statistics for INFO commandstats. */
  calls = 0;
  usec = 0;
  rejectedCalls = 0;
  failedCalls = 0;

  constructor(
    private readonly info: SpecNode[],
    readonly docs: SpecNode | undefined,
    readonly handler: Handler | null,
    readonly parent: CommandDef | null,
    subcommandHandlers: Map<string, Handler> | null,
  ) {
    this.name = leafText(info[0]);
    this.arity = info[1] as number;
    let flags = 0;
    for (const f of setItems(info[2])) {
      const bit = (Flag as Record<string, number>)[leafText(f)];
      if (bit !== undefined) flags |= bit;
    }
    this.flags = flags;
    this.firstKey = info[3] as number;
    this.lastKey = info[4] as number;
    this.keyStep = info[5] as number;
    this.categories = setItems(info[6]).map(leafText);
    this.keySpecs = parseKeySpecs(info[8]);
    if (subcommandHandlers === null) {
      this.subcommands = null;
    } else {
      this.subcommands = new Map();
      const subDocs = docsSubcommands(docs);
      for (const sub of (info[9] as SpecNode[][]) ?? []) {
        const full = leafText(sub[0]);
        const handler = subcommandHandlers.get(full);
        if (handler === undefined) continue;
        const def = new CommandDef(sub, subDocs?.get(full), handler, this, null);
        this.subcommands.set(full.slice(full.indexOf('|') + 1), def);
      }
    }
  }

  get executable(): boolean {
    return this.handler !== null;
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  /** Name as Redis prints it in errors and stats: 'config|get'. */
  get fullName(): string {
    return this.name;
  }

  /** The COMMAND INFO entry, listing only the subcommands we implement. */
  get infoNode(): SpecNode[] {
    if (this.subcommands === null) return this.info;
    const node = this.info.slice();
    node[9] = [...this.subcommands.values()].map((s) => s.infoNode);
    return node;
  }
}

function docsSubcommands(docs: SpecNode | undefined): Map<string, SpecNode> | null {
  if (docs === undefined || docs === null || typeof docs !== 'object' || !('%' in docs)) return null;
  const items = docs['%'];
  for (let i = 0; i < items.length; i += 2) {
    if (leafText(items[i]) !== 'subcommands') continue;
    const subs = items[i + 1] as { '%': SpecNode[] };
    const out = new Map<string, SpecNode>();
    for (let j = 0; j < subs['%'].length; j += 2) out.set(leafText(subs['%'][j]), subs['%'][j + 1]);
    return out;
  }
  return null;
}

/** Where command specs come from: the hand-written overlay first, then what redis-server lists. */
export interface SpecSource {
  info: Record<string, SpecNode>;
  docs: Record<string, SpecNode>;
}

export const BUNDLED_SPECS: SpecSource = {
  info: { ...REDIS_COMMAND_INFO, ...OVERLAY_COMMAND_INFO },
  docs: { ...REDIS_COMMAND_DOCS, ...OVERLAY_COMMAND_DOCS },
};

/** The one command table: Redis's specs joined with our handlers. Drives dispatch and COMMAND. */
export class Commands implements CommandTable {
  private readonly byName = new Map<string, CommandDef>();
  private readonly defs: CommandDef[] = [];

  constructor(families: CommandFamily[], specs: SpecSource = BUNDLED_SPECS) {
    const top = new Map<string, Handler | null>();
    const subs = new Map<string, Map<string, Handler>>();
    for (const family of families) {
      for (const [name, handler] of Object.entries(family)) {
        const bar = name.indexOf('|');
        if (bar < 0) {
          if (top.has(name)) throw new Error(`command ${name} registered twice`);
          top.set(name, handler);
          continue;
        }
        const parent = name.slice(0, bar);
        if (!top.has(parent)) top.set(parent, null);
        let map = subs.get(parent);
        if (map === undefined) subs.set(parent, (map = new Map()));
        map.set(name, handler);
      }
    }
    for (const [name, handler] of top) {
      const info = specs.info[name] as SpecNode[] | undefined;
      if (info === undefined) throw new Error(`no Redis spec for command ${name}`);
      const def = new CommandDef(info, specs.docs[name], handler, null, subs.get(name) ?? null);
      this.defs.push(def);
      this.byName.set(name, def);
      this.byName.set(name.toUpperCase(), def);
    }
  }

  /** Finds a top-level command by name, any letter case. */
  lookup(name: string): CommandDef | undefined {
    return this.byName.get(name) ?? (name.length <= 32 ? this.byName.get(name.toLowerCase()) : undefined);
  }

  all(): Iterable<CommandDef> {
    return this.defs;
  }

  /** Renames a command (rename-command); an empty new name removes it. */
  rename(from: string, to: string): boolean {
    const def = this.lookup(from);
    if (def === undefined) return false;
    this.byName.delete(def.name);
    this.byName.delete(def.name.toUpperCase());
    if (to !== '') {
      this.byName.set(to.toLowerCase(), def);
      this.byName.set(to.toUpperCase(), def);
    }
    return true;
  }
}
