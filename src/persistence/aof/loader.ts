import { existsSync, mkdirSync, readFileSync, renameSync, statSync, truncateSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CommandInfo } from '../../core/command.js';
import type { FakeClient, Host } from '../../core/host.js';
import { strerror } from '../../lib/errno.js';
import type { Persistence } from '../manager.js';
import type { LoadStats } from '../rdb-load.js';
import { type AofFiles, fatal } from './files.js';
import { AofManifest } from './manifest.js';
import { AOF_EOF, AOF_FORMAT_ERROR, AOF_TRUNCATED, AofCommandReader } from './reader.js';

type FileResult = 'ok' | 'truncated' | 'empty' | 'not_exist' | 'open_err' | 'failed';

/** What loading found: the manifest in force and the bytes of its files. */
export interface LoadedAof {
  manifest: AofManifest;
  size: number;
  baseSize: number;
}

/**
 * Start-up loading of the multi-part AOF (loadAppendOnlyFiles): the manifest (an old single-file
 * AOF is moved into the directory first), the base (an RDB preamble or commands) and each
 * incremental file, replayed on a client without a connection, with Redis's truncation rules.
 */
export class AofLoader {
  constructor(
    private readonly host: Host,
    private readonly p: Persistence,
    private readonly files: AofFiles,
    /** Told while commands are replayed (they must not be appended again). */
    private readonly onReplaying: (on: boolean) => void,
  ) {}

  private log(level: 'notice' | 'warning' | 'verbose', message: string): void {
    this.host.log(level, message);
  }

  /** loadAppendOnlyFiles: base then incremental files. Throws FatalLoadError when start-up must stop. */
  async load(): Promise<LoadedAof> {
    const started = performance.now();
    let m = this.files.loadManifest();
    const oldStyle = resolvePath(this.p.dir, this.files.fileName);
    if (existsSync(oldStyle)) {
      const onlyOldBase =
        m.base !== null &&
        m.incr.length === 0 &&
        m.base.name === this.files.fileName &&
        !existsSync(this.files.path(this.files.fileName));
      if (!existsSync(this.files.dirPath) || m.empty || onlyOldBase) {
        m = this.upgradeOldStyle(m);
      }
    }
    if (m.empty) return { manifest: m, size: 0, baseSize: 0 };
    const files = m.files;
    let total = 0;
    for (const f of files) {
      try {
        total += statSync(this.files.path(f.name)).size;
      } catch (e) {
        this.log('warning', `Unable to obtain the AOF file ${f.name} length. stat: ${strerror(e)}`);
        throw fatal('missing AOF file');
      }
    }
    if (total === 0) {
      this.log('notice', `DB loaded from append only file: ${elapsed(started)} seconds`);
      return { manifest: m, size: 0, baseSize: 0 };
    }
    let loadedBefore = 0;
    let current: { pos: () => number } = { pos: () => 0 };
    let baseSize = 0;
    await this.p.loads.withLoading(
      total,
      () => loadedBefore + current.pos(),
      async () => {
        for (let i = 0; i < files.length; i++) {
          const f = files[i];
          const last = i === files.length - 1;
          const t0 = performance.now();
          const size = statSync(this.files.path(f.name)).size;
          if (f.type === 'b') baseSize = size;
          let result = await this.loadFile(f.name, (pos) => (current = { pos }));
          loadedBefore += size;
          current = { pos: () => 0 };
          if (result === 'ok' || (result === 'truncated' && last)) {
            this.log(
              'notice',
              `DB loaded from ${f.type === 'b' ? 'base' : 'incr'} file ${f.name}: ${elapsed(t0)} seconds`,
            );
          }
          if (result === 'empty' && f.type === 'i') result = 'ok';
          if (result === 'truncated' && !last) result = 'failed';
          if (result === 'open_err' || result === 'failed' || result === 'not_exist') throw fatal(f.name);
        }
      },
    );
    // What was replayed is on disk already: nothing to save.
    this.host.dirty = 0;
    this.log('notice', `DB loaded from append only file: ${elapsed(started)} seconds`);
    return { manifest: m, size: total, baseSize };
  }

  /** An old single-file AOF (appendfilename in dir): moved into the directory as the base. */
  private upgradeOldStyle(_m: AofManifest): AofManifest {
    try {
      mkdirSync(this.files.dirPath, { recursive: true });
    } catch (e) {
      this.log(
        'warning',
        `Can't open or create append-only dir ${this.host.config.str('appenddirname')}: ${strerror(e)}`,
      );
      throw fatal('dir');
    }
    const m = new AofManifest();
    m.base = { name: this.files.fileName, seq: 1, type: 'b' };
    m.baseSeq = 1;
    if (!this.files.persistManifest(m)) throw fatal('manifest');
    try {
      renameSync(resolvePath(this.p.dir, this.files.fileName), this.files.path(this.files.fileName));
    } catch (e) {
      this.log(
        'warning',
        `Error trying to move the old AOF file ${this.files.fileName} into dir ${this.host.config.str('appenddirname')}: ${strerror(e)}`,
      );
      throw fatal('upgrade');
    }
    this.log(
      'notice',
      `Successfully migrated an old-style AOF file (${this.files.fileName}) into the AOF directory (${this.host.config.str('appenddirname')}).`,
    );
    return m;
  }

  /** loadSingleAppendOnlyFile. progress receives a function giving the bytes consumed so far. */
  private async loadFile(name: string, progress: (pos: () => number) => void): Promise<FileResult> {
    const path = this.files.path(name);
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.log('warning', `The append log file ${name} doesn't exist: ${strerror(e)}`);
        return 'not_exist';
      }
      this.log('warning', `Fatal error: can't open the append log file ${name} for reading: ${strerror(e)}`);
      return 'open_err';
    }
    if (buf.length === 0) return 'empty';
    let start = 0;
    if (buf.length >= 5 && buf.latin1Slice(0, 5) === 'REDIS') {
      const oldStyle = name === this.files.fileName;
      this.log(
        'notice',
        oldStyle ? 'Reading RDB preamble from AOF file...' : 'Reading RDB base file on AOF loading...',
      );
      let stats: LoadStats;
      try {
        const load = this.p.loads.loadRdbBuffer(buf, { aofPreamble: true });
        progress(() => load.position);
        stats = await load.run();
      } catch (e) {
        this.p.loads.reportLoadError(e);
        this.log(
          'warning',
          oldStyle
            ? `Error reading the RDB preamble of the AOF file ${name}, AOF loading aborted`
            : `Error reading the RDB base file ${name}, AOF loading aborted`,
        );
        return 'failed';
      }
      this.p.loads.finishRdbLoad(stats);
      start = stats.end;
      if (oldStyle) this.log('notice', 'Reading the remaining AOF tail...');
    }
    const reader = new AofCommandReader(buf, start);
    progress(() => reader.pos);
    return this.replay(name, path, reader);
  }

  /** Replays the commands of one file, in slices (LOADING answered in between). */
  private async replay(name: string, path: string, reader: AofCommandReader): Promise<FileResult> {
    const client = this.host.fakeClient();
    const truncatedAllowed = this.host.config.bool('aof-load-truncated');
    let multi: string[][] | null = null;
    let validBeforeMulti = reader.validUpTo;
    let outcome: 'eof' | 'truncated' | 'format' | 'unknown' = 'eof';
    this.onReplaying(true);
    try {
      let t0 = performance.now();
      for (;;) {
        const startOfCommand = reader.pos;
        const r = reader.next();
        if (r === AOF_EOF) break;
        if (r === AOF_TRUNCATED || r === AOF_FORMAT_ERROR) {
          outcome = r;
          break;
        }
        const lower = r[0].toLowerCase();
        if (lower === 'multi') {
          validBeforeMulti = startOfCommand;
          multi = [];
          continue;
        }
        if (lower === 'exec' && multi !== null) {
          for (const argv of multi) if (!this.runLoaded(client, argv, name)) return 'failed';
          multi = null;
          continue;
        }
        if (multi !== null) {
          if (this.lookup(r) === undefined) {
            this.log('warning', `Unknown command '${r[0]}' reading the append only file ${name}`);
            return 'failed';
          }
          multi.push(r);
          continue;
        }
        if (!this.runLoaded(client, r, name)) return 'failed';
        if (performance.now() - t0 > 10) {
          // A file the heap cannot hold fails here, not as a crash or a half-loaded data set.
          const full = this.host.heapFull();
          if (full !== null) {
            this.log('warning', full);
            return 'failed';
          }
          await new Promise((res) => setImmediate(res));
          t0 = performance.now();
        }
      }
    } finally {
      this.onReplaying(false);
      client.close();
    }
    let validUpTo = reader.validUpTo;
    if (outcome === 'eof' && multi !== null) {
      this.log('warning', `Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
      validUpTo = validBeforeMulti;
      outcome = 'truncated';
    }
    if (outcome === 'eof') return 'ok';
    if (outcome === 'format') {
      this.log(
        'warning',
        `Bad file format reading the append only file ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`,
      );
      return 'failed';
    }
    if (truncatedAllowed) {
      this.log('warning', `!!! Warning: short read while loading the AOF file ${name}!!!`);
      this.log('warning', `!!! Truncating the AOF ${name} at offset ${validUpTo} !!!`);
      try {
        truncateSync(path, validUpTo);
        this.log('warning', `AOF ${name} loaded anyway because aof-load-truncated is enabled`);
        return 'truncated';
      } catch (e) {
        this.log('warning', `Error truncating the AOF file ${name}: ${strerror(e)}`);
      }
    }
    this.log(
      'warning',
      `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
    );
    return 'failed';
  }

  private lookup(argv: string[]): CommandInfo | undefined {
    let cmd = this.host.commands.lookup(argv[0]);
    if (cmd?.subcommands != null && argv.length > 1) cmd = cmd.subcommands.get(argv[1].toLowerCase()) ?? cmd;
    return cmd?.executable === false ? undefined : cmd;
  }

  /** Runs one command from the file on the AOF client, as Redis calls cmd->proc directly. */
  private runLoaded(client: FakeClient, argv: string[], name: string): boolean {
    const outcome = client.run(argv);
    if (outcome === 'unknown') {
      this.log('warning', `Unknown command '${argv[0]}' reading the append only file ${name}`);
      return false;
    }
    if (outcome instanceof Error) {
      this.log(
        'warning',
        `Error replaying '${argv[0]}' from the append only file ${name}: ${outcome.message}`,
      );
      return false;
    }
    return true;
  }
}

function elapsed(t0: number): string {
  return ((performance.now() - t0) / 1000).toFixed(3);
}
