import type { Reply } from '../protocol/reply.js';

import type { SpecNode } from '../specs/spec-node.js';

/** Written back with writeSpecNode, the spec tree reproduces Redis's COMMAND replies byte for byte. */

export function writeSpecNode(reply: Reply, node: SpecNode): void {
  if (typeof node === 'string') {
    if (node[0] === '+') reply.simple(node.slice(1));
    else reply.bulk(node.slice(1));
  } else if (typeof node === 'number') {
    reply.integer(node);
  } else if (node === null) {
    reply.nil();
  } else if (Array.isArray(node)) {
    reply.array(node.length);
    for (const child of node) writeSpecNode(reply, child);
  } else if ('%' in node) {
    const items = node['%'];
    reply.map(items.length / 2);
    for (const child of items) writeSpecNode(reply, child);
  } else {
    const items = node['~'];
    reply.set(items.length);
    for (const child of items) writeSpecNode(reply, child);
  }
}

/** The text of a "+x"/"$x" leaf. */
export function leafText(node: SpecNode): string {
  return typeof node === 'string' ? node.slice(1) : String(node);
}

/** Looks up a key in a map node. */
export function mapGet(node: SpecNode | undefined, key: string): SpecNode | undefined {
  if (
    node === null ||
    node === undefined ||
    typeof node !== 'object' ||
    Array.isArray(node) ||
    !('%' in node)
  ) {
    return undefined;
  }
  const items = node['%'];
  for (let i = 0; i < items.length; i += 2) if (leafText(items[i]) === key) return items[i + 1];
  return undefined;
}

export function setItems(node: SpecNode | undefined): SpecNode[] {
  if (
    node !== null &&
    node !== undefined &&
    typeof node === 'object' &&
    !Array.isArray(node) &&
    '~' in node
  ) {
    return node['~'];
  }
  return Array.isArray(node) ? node : [];
}
