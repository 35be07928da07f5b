/** A library's `#!lua name=<lib>` first line (Redis 7.0's functionExtractLibMetaData). */
import { splitArgs } from '../protocol/split-args.js';

export interface LibraryMetadata {
  name: string;
  engine: string;
  /** Where the code after the first line starts (its line feed kept, so line numbers stay the user's). */
  codeStart: number;
}

const NAME = /^[A-Za-z0-9_]+$/;

/** Redis's functionsVerifyName, for library and function names alike (7.0 gives both one text). */
export function validName(name: string): boolean {
  return NAME.test(name);
}

export const INVALID_NAME =
  'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

/** The metadata, or the error text (without "ERR "). */
export function parseLibraryMetadata(code: string): LibraryMetadata | { error: string } {
  if (!code.startsWith('#!')) return { error: 'Missing library metadata' };
  const end = code.indexOf('\n');
  if (end < 0) return { error: 'Invalid library metadata' };
  const parts = splitArgs(code.slice(0, end));
  if (parts === null || parts.length === 0) return { error: 'Invalid library metadata' };
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() !== 'name=') return { error: `Invalid metadata value given: ${part}` };
    if (name !== null) return { error: 'Invalid metadata value, name argument was given multiple times' };
    name = part.slice(5);
  }
  if (name === null) return { error: 'Library name was not given' };
  return { name, engine: parts[0].slice(2), codeStart: end };
}
