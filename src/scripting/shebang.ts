/** The `#!lua flags=…` first line of a script (Redis 7.0's evalExtractShebangFlags). */
import { SCRIPT_FLAG_NAMES, ScriptFlag } from '../core/scripting.js';
import { splitArgs } from '../protocol/split-args.js';

/** flags, and the length of the shebang line (0 without one), or the reply error. */
export function parseShebang(body: string): { flags: number; length: number } | { error: string } {
  if (!body.startsWith('#!')) return { flags: ScriptFlag.evalCompat, length: 0 };
  const end = body.indexOf('\n');
  if (end < 0) return { error: 'ERR Invalid script shebang' };
  const parts = splitArgs(body.slice(0, end));
  if (parts === null || parts.length === 0) return { error: 'ERR Invalid engine in script shebang' };
  if (parts[0] !== '#!lua') return { error: `ERR Unexpected engine in script shebang: ${parts[0]}` };
  let flags = 0;
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return { error: `ERR Unknown lua shebang option: ${part}` };
    const list = part.slice(6);
    if (list === '') continue;
    for (const name of list.split(',')) {
      const flag = SCRIPT_FLAG_NAMES.get(name);
      if (flag === undefined) return { error: `ERR Unexpected flag in script shebang: ${name}` };
      flags |= flag;
    }
  }
  return { flags, length: end };
}
