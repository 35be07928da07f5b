/** Redis's ACL command categories, in its order (ACL CAT, COMMAND INFO, the rules' best fit). */
export const CATEGORIES = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
] as const;

/** The category's bit, or 0 for a name that is not one (any letter case). */
export function categoryBit(name: string): number {
  const at = CATEGORIES.indexOf(name.toLowerCase() as (typeof CATEGORIES)[number]);
  return at < 0 ? 0 : 1 << at;
}
