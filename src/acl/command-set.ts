/**
 * The commands ACL rules speak of: every command and subcommand of Redis 7.0's table (from its
 * specs, also those tsredis does not serve), each with a number indexing the selectors' bitmaps.
 * Rules and their descriptions are computed over this whole set, as Redis computes them over its
 * original command table, so `ACL LIST` describes a user with the same categories Redis would.
 */
import { OVERLAY_COMMAND_INFO } from '../specs/overlay.js';
import { REDIS_COMMAND_INFO } from '../specs/redis-specs.generated.js';
import { leafText, type SpecNode, setItems } from '../specs/spec-node.js';
import { categoryBit } from './categories.js';

export interface AclCommand {
  readonly id: number;
  /** Lower case, 'get' or 'config|get'. */
  readonly fullName: string;
  readonly categories: number;
  /** AUTH, HELLO …: runnable by every user (CMD_NO_AUTH). */
  readonly noAuth: boolean;
  readonly parent: AclCommand | null;
  readonly subcommands: ReadonlyMap<string, AclCommand> | null;
}

export class AclCommandSet {
  /** Top-level commands in table order (ACL CAT lists them so; rules are applied in it). */
  readonly top: AclCommand[] = [];
  readonly count: number;
  private readonly byName = new Map<string, AclCommand>();

  constructor(infos: Iterable<SpecNode> = defaultInfos()) {
    let next = 0;
    const build = (info: SpecNode[], parent: AclCommand | null): AclCommand => {
      const fullName = leafText(info[0]).toLowerCase();
      let categories = 0;
      for (const c of setItems(info[6])) categories |= categoryBit(leafText(c).replace(/^@/, ''));
      const subs = info[9] as SpecNode[][] | undefined;
      const cmd: AclCommand = {
        id: next++,
        fullName,
        categories,
        noAuth: setItems(info[2]).some((f) => leafText(f) === 'no_auth'),
        parent,
        subcommands: subs !== undefined && subs.length > 0 ? new Map() : null,
      };
      if (cmd.subcommands !== null) {
        for (const sub of subs!) {
          const child = build(sub, cmd);
          (cmd.subcommands as Map<string, AclCommand>).set(child.fullName.slice(fullName.length + 1), child);
        }
      }
      this.byName.set(fullName, cmd);
      return cmd;
    };
    for (const info of infos) this.top.push(build(info as SpecNode[], null));
    this.count = next;
  }

  /** ACLLookupCommand: 'name' or 'container|sub' in any letter case; deeper paths are unknown. */
  lookup(name: string): AclCommand | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Every command, each container followed by its subcommands (ACL CAT's order). */
  *all(): Iterable<AclCommand> {
    for (const cmd of this.top) {
      yield cmd;
      if (cmd.subcommands !== null) yield* cmd.subcommands.values();
    }
  }
}

function* defaultInfos(): Iterable<SpecNode> {
  for (const [name, info] of Object.entries(OVERLAY_COMMAND_INFO))
    if (!(name in REDIS_COMMAND_INFO)) yield info;
  yield* Object.values(REDIS_COMMAND_INFO);
}
