/** Reading config files and `include` patterns as Redis's loadServerConfig does. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strerror } from '../lib/errno.js';
import { globMatch } from '../lib/glob.js';
import type { ConfigHost } from './config-directive.js';

/** A config file (or include) that cannot be read: Redis logs this as a warning and exits 1. */
export class ConfigOpenError extends Error {}

/**
 * Reads a config file, or every file a glob pattern matches (sorted; none is fine), as Redis's
 * loadServerConfig does for `include`. Throws ConfigOpenError like Redis's fatal log line.
 */
export function readConfigFiles(path: string, host: ConfigHost): string {
  const absolute = path.startsWith('/') ? path : join(host.cwd(), path);
  const read = (file: string, shown: string) => {
    try {
      return readFileSync(file, 'latin1');
    } catch (e) {
      throw new ConfigOpenError(`Fatal error, can't open config file '${shown}': ${strerror(e)}`);
    }
  };
  if (!/[*?[]/.test(path)) return read(absolute, path);
  let text = '';
  for (const file of expandGlob(absolute)) text += read(file, file);
  return text;
}

/** glob(3) for include patterns: each path segment matched against directory entries. */
function expandGlob(pattern: string): string[] {
  const segments = pattern.split('/').filter((s) => s !== '');
  let paths = ['/'];
  for (const seg of segments) {
    const next: string[] = [];
    for (const p of paths) {
      if (!/[*?[]/.test(seg)) {
        next.push(join(p, seg));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(p);
      } catch {
        continue;
      }
      for (const n of names.sort()) {
        if (n.startsWith('.') && !seg.startsWith('.')) continue;
        if (globMatch(seg, n)) next.push(join(p, n));
      }
    }
    paths = next;
  }
  return paths.filter((p) => existsSync(p));
}
