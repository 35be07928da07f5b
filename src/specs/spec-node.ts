/**
 * Redis's command metadata kept as a typed RESP3 tree: "+x" simple string, "$x" bulk string,
 * numbers, null, arrays, {"%": [k, v, ...]} maps and {"~": [...]} sets (read with the helpers below,
 * written back by core/spec-tree.ts; the CLI's offline help shows it).
 */
export type SpecNode = string | number | null | SpecNode[] | { '%': SpecNode[] } | { '~': SpecNode[] };

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
