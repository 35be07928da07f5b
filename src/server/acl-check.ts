/** The ACL check of a command about to run (ACLCheckAllPerm): what to look at, and the refusal. */
import type { AclCommand } from '../acl/command-set.js';
import type { DenialReason } from '../acl/log.js';
import { type CheckedKey, type CheckInput, Denied } from '../acl/selector.js';
import type { AclUser } from '../acl/user.js';
import type { Acl } from '../acl/users.js';
import type { CommandInfo, CommandTable } from '../core/command.js';
import { commandHasKeys, commandKeys } from '../core/key-specs.js';

interface AclEntry {
  cmd: AclCommand | undefined;
  hasKeys: boolean;
  /** Keys at positions that do not depend on the arguments (GET, HSET's key …), with the arity they need. */
  fixed: { keys: readonly CheckedKey[]; minArgc: number } | null;
}

/** Key positions every call shares: index begins, ranges of a fixed length, no key finder of its own. */
function fixedKeys(def: CommandInfo): AclEntry['fixed'] {
  const keys: CheckedKey[] = [];
  for (const spec of def.keySpecs) {
    if (spec.notKey) continue;
    if (spec.incomplete || spec.variableFlags) return null;
    if (spec.begin.kind !== 'index' || spec.find.kind !== 'range' || spec.find.lastKey < 0) return null;
    const first = spec.begin.index;
    for (let i = first; i <= first + spec.find.lastKey; i += Math.max(1, spec.find.keyStep)) {
      keys.push({ pos: i, flags: spec.flags });
    }
  }
  if (keys.length === 0) return null;
  return { keys, minArgc: Math.max(...keys.map((k) => k.pos)) + 1 };
}

/** Per command of the table: its ACL entry and whether it names keys, looked up once. */
const entries = new WeakMap<CommandInfo, AclEntry>();

function entryOf(acl: Acl, def: CommandInfo): AclEntry {
  let e = entries.get(def);
  if (e === undefined) {
    // Specs of this shape are what commandKeys uses whenever the arguments reach them.
    e = {
      cmd: acl.commands.lookup(def.name),
      hasKeys: commandHasKeys(def.name, def.keySpecs),
      fixed: fixedKeys(def),
    };
    entries.set(def, e);
  }
  return e;
}

/** A command of the table as the ACL sees it; its keys are found once, when a selector asks. */
export function checkInput(acl: Acl, def: CommandInfo, argv: readonly string[]): CheckInput | null {
  const { cmd, hasKeys, fixed } = entryOf(acl, def);
  if (cmd === undefined) return null;
  if (fixed !== null && argv.length >= fixed.minArgc) return { cmd, argv, keys: fixed.keys };
  let keys: readonly CheckedKey[] | null = null;
  return {
    cmd,
    argv,
    keys: hasKeys ? () => (keys ??= commandKeys(def.name, def.keySpecs, argv)) : null,
  };
}

/** lookupCommand over argv (a container's subcommand when there is one), as ACL DRYRUN needs it. */
export function checkInputOf(acl: Acl, table: CommandTable, argv: readonly string[]): CheckInput | null {
  let def = table.lookup(argv[0]);
  if (def?.subcommands != null && argv.length > 1) def = def.subcommands.get(argv[1].toLowerCase());
  return def === undefined ? null : checkInput(acl, def, argv);
}

export interface AclRefusal {
  reason: DenialReason;
  /** What the ACL log records: the command's full name, or the key or channel. */
  object: string;
}

/** Null when the user may run it; else why not. */
export function aclRefusal(
  acl: Acl,
  user: AclUser,
  def: CommandInfo,
  argv: readonly string[],
): AclRefusal | null {
  const input = checkInput(acl, def, argv);
  if (input === null) return { reason: 'command', object: def.fullName };
  const { denied, pos } = user.check(input);
  if (denied === Denied.none) return null;
  if (denied === Denied.command) return { reason: 'command', object: def.fullName };
  return { reason: denied === Denied.key ? 'key' : 'channel', object: argv[pos] };
}

/** execCommand's reasons, when the rules changed after a command was queued. */
export const EXEC_DENIAL: Record<DenialReason, string> = {
  command: 'no permission to execute the command or subcommand',
  key: 'no permission to touch the specified keys',
  channel: 'no permission to access one of the channels used as arguments',
  auth: 'no permission',
};

/** scriptVerifyACL's texts, for a command a script calls. */
export const SCRIPT_DENIAL: Record<DenialReason, string> = {
  command: "The user executing the script can't run this command or subcommand",
  key: "The user executing the script can't access at least one of the keys mentioned in the command arguments",
  channel: "The user executing the script can't publish to the channel mentioned in the command",
  auth: 'The user executing the script is lacking the permissions for the command',
};

/** processCommand's -NOPERM texts. */
export function nopermError(r: AclRefusal): string {
  if (r.reason === 'command') return `NOPERM this user has no permissions to run the '${r.object}' command`;
  if (r.reason === 'key')
    return 'NOPERM this user has no permissions to access one of the keys used as arguments';
  return 'NOPERM this user has no permissions to access one of the channels used as arguments';
}
