import { parseInt64Number } from '../lib/numbers.js';
import { leafText, mapGet, type SpecNode, setItems } from './spec-tree.js';

/** A Redis 7 key specification: where the keys of a command are in its arguments. */
export interface KeySpec {
  flags: string[];
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
  if (!Array.isArray(node)) return [];
  return node.map((spec) => {
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
    return { flags, begin, find };
  });
}

/**
 * Positions of the key arguments in argv, following the key specs like Redis's
 * getKeysUsingKeySpecs. Returns null when the arguments are inconsistent with the specs.
 */
export function keyPositions(specs: KeySpec[], argv: readonly string[]): number[] | null {
  const argc = argv.length;
  const out: number[] = [];
  for (const spec of specs) {
    let first: number;
    if (spec.begin.kind === 'index') {
      first = spec.begin.index;
    } else if (spec.begin.kind === 'keyword') {
      const { keyword, startFrom } = spec.begin;
      const start = startFrom > 0 ? startFrom : argc + startFrom;
      const end = startFrom > 0 ? argc - 1 : 0;
      const step = startFrom > 0 ? 1 : -1;
      first = 0;
      for (let i = start; step > 0 ? i <= end : i >= end; i += step) {
        if (i <= 0 || i >= argc) break;
        if (argv[i].toLowerCase() === keyword.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else {
      continue;
    }
    let last: number;
    let step: number;
    if (spec.find.kind === 'range') {
      const { lastKey, keyStep, limit } = spec.find;
      step = keyStep;
      if (lastKey >= 0) last = first + lastKey;
      else if (!limit) last = argc + lastKey;
      else last = first + Math.floor((argc - first) / limit) + lastKey;
    } else if (spec.find.kind === 'keynum') {
      const { keyNumIdx, firstKey, keyStep } = spec.find;
      step = keyStep;
      if (first + keyNumIdx >= argc) return null;
      const numKeys = parseInt64Number(argv[first + keyNumIdx]);
      if (numKeys === null || numKeys < 0) return null;
      first += firstKey;
      last = first + (numKeys - 1) * keyStep;
    } else {
      continue;
    }
    if (last >= argc || last < first - step) {
      // Keys past the end: invalid only if the spec was expected to find something.
      if (first >= argc) continue;
      return null;
    }
    for (let i = first; i <= last; i += step) out.push(i);
  }
  return out;
}
