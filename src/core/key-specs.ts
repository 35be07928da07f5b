import { parseInt64Number } from '../lib/numbers.js';
import type { SpecNode } from '../specs/spec-node.js';
import { leafText, mapGet, setItems } from '../specs/spec-node.js';

/** A Redis 7 key specification: where the keys of a command are in its arguments. */
export interface KeySpec {
  flags: string[];
  /** The flags every call asks about, read once from the list. */
  notKey: boolean;
  incomplete: boolean;
  variableFlags: boolean;
  begin:
    | { kind: 'index'; index: number }
    | { kind: 'keyword'; keyword: string; startFrom: number }
    | { kind: 'unknown' };
  find:
    | { kind: 'range'; lastKey: number; keyStep: number; limit: number }
    | { kind: 'keynum'; keyNumIdx: number; firstKey: number; keyStep: number }
    | { kind: 'unknown' };
}

export function parseKeySpecs(node: SpecNode | undefined): KeySpec[] {
  // Key specs come as a set in RESP3 form (an array in older captures).
  return setItems(node).map((spec) => {
    const flags = setItems(mapGet(spec, 'flags')).map(leafText);
    const bs = mapGet(spec, 'begin_search');
    const bsType = leafText(mapGet(bs, 'type') ?? '$unknown');
    const bsSpec = mapGet(bs, 'spec');
    let begin: KeySpec['begin'] = { kind: 'unknown' };
    if (bsType === 'index') begin = { kind: 'index', index: mapGet(bsSpec, 'index') as number };
    else if (bsType === 'keyword') {
      begin = {
        kind: 'keyword',
        keyword: leafText(mapGet(bsSpec, 'keyword')!),
        startFrom: mapGet(bsSpec, 'startfrom') as number,
      };
    }
    const fk = mapGet(spec, 'find_keys');
    const fkType = leafText(mapGet(fk, 'type') ?? '$unknown');
    const fkSpec = mapGet(fk, 'spec');
    let find: KeySpec['find'] = { kind: 'unknown' };
    if (fkType === 'range') {
      find = {
        kind: 'range',
        lastKey: mapGet(fkSpec, 'lastkey') as number,
        keyStep: mapGet(fkSpec, 'keystep') as number,
        limit: mapGet(fkSpec, 'limit') as number,
      };
    } else if (fkType === 'keynum') {
      find = {
        kind: 'keynum',
        keyNumIdx: mapGet(fkSpec, 'keynumidx') as number,
        firstKey: mapGet(fkSpec, 'firstkey') as number,
        keyStep: mapGet(fkSpec, 'keystep') as number,
      };
    }
    return {
      flags,
      notKey: flags.includes('not_key'),
      incomplete: flags.includes('incomplete'),
      variableFlags: flags.includes('variable_flags'),
      begin,
      find,
    };
  });
}

/** A key found in a command's arguments: its index in argv and its key-spec flags. */
export interface KeyRef {
  pos: number;
  flags: readonly string[];
}

/** C's atoi: optional spaces and sign, then digits up to the first non-digit; 0 if none. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  const n = Number(m[1]);
  return n > 2147483647 || n < -2147483648 ? (n < 0 ? -2147483648 : 2147483647) : n;
}

/**
 * Redis's getKeysUsingKeySpecs: the keys the specs locate in argv (argv[0] is the command name).
 * Returns null when the arguments do not fit a spec (a key position out of range, a bad key count)
 * or when an incomplete spec matched.
 */
export function keysFromSpecs(specs: readonly KeySpec[], argv: readonly string[]): KeyRef[] | null {
  const argc = argv.length;
  const out: KeyRef[] = [];
  for (const spec of specs) {
    if (spec.notKey) continue;
    let first = 0;
    if (spec.begin.kind === 'index') {
      first = spec.begin.index;
    } else if (spec.begin.kind === 'keyword') {
      const { keyword, startFrom } = spec.begin;
      const start = startFrom > 0 ? startFrom : argc + startFrom;
      // The search stops before the last argument (forwards) or argv[1] (backwards), as in Redis.
      const end = startFrom > 0 ? argc - 1 : 1;
      const step = start <= end ? 1 : -1;
      for (let i = start; i !== end; i += step) {
        if (i >= argc || i < 1) break;
        if (argv[i].toLowerCase() === keyword.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else {
      return null;
    }
    let last: number;
    let step: number;
    if (spec.find.kind === 'range') {
      const { lastKey, keyStep, limit } = spec.find;
      step = keyStep;
      if (lastKey >= 0) last = first + lastKey;
      else if (!limit) last = argc + lastKey;
      else last = first + Math.trunc((argc - first) / limit) + lastKey;
    } else if (spec.find.kind === 'keynum') {
      const { keyNumIdx, firstKey, keyStep } = spec.find;
      step = keyStep;
      if (keyNumIdx >= argc || first + keyNumIdx >= argc) return null;
      const numKeys = parseInt64Number(argv[first + keyNumIdx]);
      if (numKeys === null || numKeys < 0) return null;
      first += firstKey;
      last = first + numKeys - 1;
    } else {
      return null;
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) out.push({ pos: i, flags: spec.flags });
    // A spec that matched but cannot describe every key defers to the command's own key finder.
    if (spec.incomplete) return null;
  }
  return out;
}

const RO_ACCESS = ['RO', 'access'];
const OW_UPDATE = ['OW', 'update'];
const RW_ACCESS_UPDATE = ['RW', 'access', 'update'];
const RW_ACCESS_DELETE = ['RW', 'access', 'delete'];
const NO_FLAGS: readonly string[] = [];

/** genericGetKeys: a key count at keyCountOfs, keys from firstKeyOfs, an optional store key (listed last). */
function genericKeys(
  storeKeyOfs: number,
  keyCountOfs: number,
  firstKeyOfs: number,
  argv: readonly string[],
): KeyRef[] {
  const num = atoi(argv[keyCountOfs] ?? '');
  if (num < 1 || num > Math.trunc((argv.length - firstKeyOfs) / 1)) return [];
  const out: KeyRef[] = [];
  for (let i = 0; i < num; i++) out.push({ pos: firstKeyOfs + i, flags: NO_FLAGS });
  if (storeKeyOfs) out.push({ pos: storeKeyOfs, flags: NO_FLAGS });
  return out;
}

function setKeys(argv: readonly string[]): KeyRef[] {
  for (let i = 3; i < argv.length; i++) {
    if (argv[i].toLowerCase() === 'get') return [{ pos: 1, flags: RW_ACCESS_UPDATE }];
  }
  return [{ pos: 1, flags: OW_UPDATE }];
}

function bitfieldKeys(argv: readonly string[]): KeyRef[] {
  let readonly = true;
  for (let i = 2; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const arg = argv[i].toLowerCase();
    if (arg === 'get' && more >= 2) {
      i += 2;
    } else if ((arg === 'set' || arg === 'incrby') && more >= 3) {
      readonly = false;
      break;
    } else if (arg === 'overflow' && more >= 1) {
      i += 1;
    } else {
      readonly = false;
      break;
    }
  }
  return [{ pos: 1, flags: readonly ? RO_ACCESS : RW_ACCESS_UPDATE }];
}

function sortKeys(argv: readonly string[]): KeyRef[] {
  const out: KeyRef[] = [{ pos: 1, flags: RO_ACCESS }];
  let store: KeyRef | null = null;
  const skip: Record<string, number> = { limit: 2, get: 1, by: 1 };
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i].toLowerCase();
    if (skip[arg] !== undefined) i += skip[arg];
    else if (arg === 'store' && i + 1 < argv.length) store = { pos: i + 1, flags: OW_UPDATE };
  }
  if (store !== null) out.push(store);
  return out;
}

function migrateKeys(argv: readonly string[]): KeyRef[] {
  let first = 3;
  let num = 1;
  const skip: Record<string, number> = { copy: 0, replace: 0, auth: 1, auth2: 2 };
  if (argv.length > 6) {
    for (let i = 6; i < argv.length; i++) {
      const arg = argv[i].toLowerCase();
      if (arg === 'keys') {
        // KEYS needs an empty key argument: otherwise Redis finds no keys at all.
        if (argv[3].length > 0) return [];
        first = i + 1;
        num = argv.length - first;
        break;
      }
      if (skip[arg] !== undefined) i += skip[arg];
    }
  }
  const out: KeyRef[] = [];
  for (let i = 0; i < num; i++) out.push({ pos: first + i, flags: RW_ACCESS_DELETE });
  return out;
}

function georadiusKeys(argv: readonly string[]): KeyRef[] {
  let stored = -1;
  for (let i = 5; i < argv.length; i++) {
    const arg = argv[i].toLowerCase();
    if ((arg === 'store' || arg === 'storedist') && i + 1 < argv.length) {
      stored = i + 1;
      i++;
    }
  }
  const out: KeyRef[] = [{ pos: 1, flags: RO_ACCESS }];
  if (stored >= 0) out.push({ pos: stored, flags: OW_UPDATE });
  return out;
}

function xreadKeys(argv: readonly string[]): KeyRef[] {
  let streamsPos = -1;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i].toLowerCase();
    if (arg === 'block' || arg === 'count') i++;
    else if (arg === 'group') i += 2;
    else if (arg === 'noack') continue;
    else {
      if (arg === 'streams') streamsPos = i;
      break;
    }
  }
  let num = argv.length - streamsPos - 1;
  if (streamsPos === -1 || num === 0 || num % 2 !== 0) return [];
  num /= 2;
  const out: KeyRef[] = [];
  for (let i = streamsPos + 1; i < argv.length - num; i++) out.push({ pos: i, flags: NO_FLAGS });
  return out;
}

/** Redis's getkeys_proc callbacks, used when the specs have variable flags or do not fit. */
const NATIVE_GETKEYS: Record<string, (argv: readonly string[]) => KeyRef[]> = {
  set: setKeys,
  bitfield: bitfieldKeys,
  sort: sortKeys,
  sort_ro: () => [{ pos: 1, flags: RO_ACCESS }],
  migrate: migrateKeys,
  georadius: georadiusKeys,
  georadiusbymember: georadiusKeys,
  xread: xreadKeys,
  xreadgroup: xreadKeys,
  zunionstore: (a) => genericKeys(1, 2, 3, a),
  zinterstore: (a) => genericKeys(1, 2, 3, a),
  zdiffstore: (a) => genericKeys(1, 2, 3, a),
  zunion: (a) => genericKeys(0, 1, 2, a),
  zinter: (a) => genericKeys(0, 1, 2, a),
  zdiff: (a) => genericKeys(0, 1, 2, a),
  eval: (a) => genericKeys(0, 2, 3, a),
  evalsha: (a) => genericKeys(0, 2, 3, a),
  eval_ro: (a) => genericKeys(0, 2, 3, a),
  evalsha_ro: (a) => genericKeys(0, 2, 3, a),
  fcall: (a) => genericKeys(0, 2, 3, a),
  fcall_ro: (a) => genericKeys(0, 2, 3, a),
  lmpop: (a) => genericKeys(0, 1, 2, a),
  blmpop: (a) => genericKeys(0, 2, 3, a),
  zmpop: (a) => genericKeys(0, 1, 2, a),
  bzmpop: (a) => genericKeys(0, 2, 3, a),
  sintercard: (a) => genericKeys(0, 1, 2, a),
  zintercard: (a) => genericKeys(0, 1, 2, a),
};

/** doesCommandHaveKeys: a key spec that names real keys, or a getkeys callback. */
export function commandHasKeys(name: string, specs: readonly KeySpec[]): boolean {
  return NATIVE_GETKEYS[name] !== undefined || specs.some((s) => !s.notKey);
}

/**
 * Redis's getKeysFromCommandWithSpecs: the keys of a full command (argv[0] is its name; name is the
 * full command name, "object|encoding"). Specs are preferred unless their flags vary with the
 * arguments; when they do not fit, the command's own key finder decides. May be empty.
 */
export function commandKeys(name: string, specs: readonly KeySpec[], argv: readonly string[]): KeyRef[] {
  let hasKeySpec = false;
  let varFlags = false;
  for (const s of specs) {
    if (!s.notKey) hasKeySpec = true;
    if (s.variableFlags) varFlags = true;
  }
  if (hasKeySpec && !varFlags) {
    const keys = keysFromSpecs(specs, argv);
    if (keys !== null) return keys;
  }
  return NATIVE_GETKEYS[name]?.(argv) ?? [];
}

/** Positions of the key arguments found by the specs alone; null when the arguments do not fit them. */
export function keyPositions(specs: readonly KeySpec[], argv: readonly string[]): number[] | null {
  return keysFromSpecs(specs, argv)?.map((k) => k.pos) ?? null;
}
