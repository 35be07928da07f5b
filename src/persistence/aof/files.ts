import {
  closeSync,
  existsSync,
  fdatasyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import type { Host } from '../../core/host.js';
import { strerror } from '../../lib/errno.js';
import { fsyncDir } from '../file-sink.js';
import { FatalLoadError } from '../rdb-load.js';
import { AofManifest, ManifestError } from './manifest.js';

/** Start-up cannot go on (Redis has logged why). */
export function fatal(message: string): FatalLoadError {
  return new FatalLoadError(message);
}

/** Where the AOF lives (appenddirname inside dir, appendfilename) and its manifest on disk. */
export class AofFiles {
  constructor(
    private readonly host: Host,
    private readonly dir: () => string,
  ) {}

  get dirPath(): string {
    return resolvePath(this.dir(), this.host.config.str('appenddirname'));
  }

  get fileName(): string {
    return this.host.config.str('appendfilename');
  }

  path(name: string): string {
    return join(this.dirPath, name);
  }

  private log(level: 'notice' | 'warning', message: string): void {
    this.host.log(level, message);
  }

  /** Writes the manifest atomically (temp file, fdatasync, rename, fsync of the directory). */
  persistManifest(m: AofManifest): boolean {
    const name = `${this.fileName}.manifest`;
    const tempName = `temp-${name}`;
    const tempPath = this.path(tempName);
    try {
      writeFileSync(tempPath, m.format(), { mode: 0o644 });
      const fd = openSync(tempPath, 'r+');
      try {
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      this.log('warning', `Can't open the AOF manifest file ${tempName}: ${strerror(e)}`);
      return false;
    }
    try {
      renameSync(tempPath, this.path(name));
    } catch (e) {
      this.log(
        'warning',
        `Error trying to rename the temporary AOF manifest file ${tempName} into ${name}: ${strerror(e)}`,
      );
      return false;
    }
    fsyncDir(this.path(name));
    return true;
  }

  /** Reads the manifest (none: an empty one). Throws FatalLoadError after Redis's report. */
  loadManifest(): AofManifest {
    const path = this.path(`${this.fileName}.manifest`);
    if (!existsSync(this.dirPath) || !existsSync(path)) return new AofManifest();
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (e) {
      this.log(
        'warning',
        `Fatal error: can't open the AOF manifest file ${path} for reading: ${strerror(e)}`,
      );
      throw fatal('manifest');
    }
    try {
      return AofManifest.parse(text);
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      this.log('warning', '\n*** FATAL AOF MANIFEST FILE ERROR ***\n');
      if (e.line !== null) {
        this.log('warning', `Reading the manifest file, at line ${e.lineNo}\n`);
        this.log('warning', `>>> '${e.line}'\n`);
      }
      this.log('warning', `${e.message}\n`);
      throw fatal('manifest');
    }
  }
}
