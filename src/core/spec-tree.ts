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
