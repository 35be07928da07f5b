/**
 * Redis's command metadata kept as a typed RESP3 tree: "+x" simple string, "$x" bulk string,
 * numbers, null, arrays, {"%": [k, v, ...]} maps and {"~": [...]} sets (core/spec-tree.ts reads
 * and writes it; the CLI's offline help shows it).
 */
export type SpecNode = string | number | null | SpecNode[] | { '%': SpecNode[] } | { '~': SpecNode[] };
