/** Test helpers shared by the hash, set and sorted set suites. */
import assert from 'node:assert/strict';
import type { RespValue } from '../../src/protocol/resp-reader.js';
import type { Reply } from './raw-client.js';

export function items(v: RespValue): RespValue[] {
  assert.ok(v.type === 'array' || v.type === 'set' || v.type === 'map', `not an aggregate: ${v.type}`);
  return v.value as RespValue[];
}

export function text(v: RespValue): string {
  if (v.type === 'double') return v.value;
  assert.equal(v.type, 'bulk');
  return (v.value as Buffer).toString('latin1');
}

function shape(v: RespValue): string {
  return v.type === 'array' || v.type === 'set' || v.type === 'map'
    ? `${v.type}(${(v.value as RespValue[]).map(shape).join(',')})`
    : v.type;
}

/**
 * A compare function for random replies (HRANDFIELD, SRANDMEMBER, SPOP, ZRANDMEMBER): both
 * replies have the same RESP shape (types, lengths, nesting), and every element tsredis returned
 * is a key of `allowed`; with values, each is followed by its value from `allowed`.
 */
export function randomShape(
  allowed: Map<string, string>,
  opts: { withValues?: boolean; distinct?: boolean } = {},
) {
  return (redis: Reply, ts: Reply): string | null => {
    if (shape(redis.value) !== shape(ts.value)) {
      return `shape ${shape(redis.value)} vs ${shape(ts.value)}`;
    }
    const v = ts.value;
    if (v.type !== 'array' && v.type !== 'set') {
      if (v.type === 'bulk' && !allowed.has(text(v))) return `unexpected element ${text(v)}`;
      return null;
    }
    const flat: RespValue[] = [];
    for (const e of items(v)) {
      if (e.type === 'array') flat.push(...items(e));
      else flat.push(e);
    }
    const stride = opts.withValues ? 2 : 1;
    const seen = new Set<string>();
    for (let i = 0; i < flat.length; i += stride) {
      const name = text(flat[i]);
      if (!allowed.has(name)) return `unexpected element ${name}`;
      if (opts.withValues && allowed.get(name) !== text(flat[i + 1])) {
        return `wrong value for ${name}: ${text(flat[i + 1])}`;
      }
      if (opts.distinct && seen.has(name)) return `repeated element ${name}`;
      seen.add(name);
    }
    return null;
  };
}

/**
 * For a whole-collection HSCAN/SSCAN/ZSCAN of a hashtable encoding: same cursor, same items
 * (field/value or member/score pairs when `pairs`) in any order.
 */
export function sameScanItems(pairs: boolean) {
  return (redis: Reply, ts: Reply): string | null => {
    const norm = (v: RespValue): string => {
      const [cursor, elems] = items(v);
      const flat = items(elems).map(text);
      const groups: string[] = [];
      const stride = pairs ? 2 : 1;
      for (let i = 0; i < flat.length; i += stride) groups.push(flat.slice(i, i + stride).join('='));
      return `${text(cursor)}:${groups.sort().join(',')}`;
    };
    return norm(redis.value) === norm(ts.value) ? null : 'different scan items';
  };
}
