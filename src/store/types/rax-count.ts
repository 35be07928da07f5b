/** How many nodes Redis's rax (radix tree) has for a set of stream ids: XINFO's radix-tree-nodes, MEMORY USAGE. */

/**
 * The node count of the rax Redis keeps the node keys (16-byte big-endian master
 * ids) in. A rax of equal-length keys is a compressed trie: a compressed node for each shared run,
 * a branching node where keys part, a node for each key's unshared rest and a key node per key.
 */
export function raxNodeCount(keys: readonly bigint[]): number {
  if (keys.length === 0) return 1;
  const bytes = keys.map((k) => {
    const b = Buffer.alloc(16);
    b.writeBigUInt64BE(k >> 64n, 0);
    b.writeBigUInt64BE(k & 0xffffffffffffffffn, 8);
    return b;
  });
  return countNodes(bytes, 0, bytes.length, 0);
}

/** Nodes below (and including) the node reached at depth for keys[from, to), which share depth bytes. */
function countNodes(keys: Buffer[], from: number, to: number, depth: number): number {
  // A compressed node covers the common prefix of the keys beyond depth (if more than one byte
  // is shared and no key ends inside it); then a branching node splits on the next byte.
  if (to - from === 1) return depth === 16 ? 1 : 2;
  let common = depth;
  while (common < 16 && keys[from][common] === keys[to - 1][common]) common++;
  let nodes = 0;
  if (common > depth) nodes++;
  // The branching node at `common`.
  nodes++;
  let i = from;
  while (i < to) {
    let j = i + 1;
    while (j < to && keys[j][common] === keys[i][common]) j++;
    nodes += countNodes(keys, i, j, common + 1);
    i = j;
  }
  return nodes;
}
