/**
 * The Redis 7.0 multi-part AOF manifest: one line per file, `file <name> seq <n> type <b|h|i>`,
 * the base first, then history files, then the incremental files in order.
 */
import { quoteRepr, splitArgs } from '../../protocol/split-args.js';

export type AofFileType = 'b' | 'h' | 'i';

export interface AofInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

export class AofManifest {
  base: AofInfo | null = null;
  incr: AofInfo[] = [];
  history: AofInfo[] = [];
  baseSeq = 0;
  incrSeq = 0;

  copy(): AofManifest {
    const m = new AofManifest();
    m.base = this.base === null ? null : { ...this.base };
    m.incr = this.incr.map((i) => ({ ...i }));
    m.history = this.history.map((i) => ({ ...i }));
    m.baseSeq = this.baseSeq;
    m.incrSeq = this.incrSeq;
    return m;
  }

  get empty(): boolean {
    return this.base === null && this.incr.length === 0;
  }

  /** Base and incremental files, in loading order. */
  get files(): AofInfo[] {
    return this.base === null ? [...this.incr] : [this.base, ...this.incr];
  }

  /** A new base name (the previous base becomes history): `<appendfilename>.<seq>.base.<rdb|aof>`. */
  newBase(appendFilename: string, rdbFormat: boolean): string {
    if (this.base !== null) this.history.unshift({ ...this.base, type: 'h' });
    this.baseSeq++;
    const name = `${appendFilename}.${this.baseSeq}.base.${rdbFormat ? 'rdb' : 'aof'}`;
    this.base = { name, seq: this.baseSeq, type: 'b' };
    return name;
  }

  /** A new incremental file name, appended to the list: `<appendfilename>.<seq>.incr.aof`. */
  newIncr(appendFilename: string): string {
    this.incrSeq++;
    const name = `${appendFilename}.${this.incrSeq}.incr.aof`;
    this.incr.push({ name, seq: this.incrSeq, type: 'i' });
    return name;
  }

  /** The incremental file being appended to (created if there is none). */
  lastIncr(appendFilename: string): string {
    const last = this.incr[this.incr.length - 1];
    return last !== undefined ? last.name : this.newIncr(appendFilename);
  }

  /** After a rewrite: incremental files it covers become history (keepLast: the one still open). */
  markRewrittenIncrAsHistory(keepLast: boolean): void {
    const keep = keepLast && this.incr.length > 0 ? this.incr.slice(-1) : [];
    const covered = keepLast ? this.incr.slice(0, -1) : this.incr;
    for (let i = covered.length - 1; i >= 0; i--) this.history.unshift({ ...covered[i], type: 'h' });
    this.incr = keep;
  }

  format(): string {
    let out = '';
    for (const ai of [...(this.base === null ? [] : [this.base]), ...this.history, ...this.incr]) {
      const name = needsRepr(ai.name) ? quoteRepr(ai.name) : ai.name;
      out += `file ${name} seq ${ai.seq} type ${ai.type}\n`;
    }
    return out;
  }

  /** Parses a manifest; throws ManifestError with Redis's message (and the line) on a bad file. */
  static parse(text: string): AofManifest {
    const m = new AofManifest();
    if (text.length === 0) throw new ManifestError('Found an empty AOF manifest', null, 0);
    let maxIncrSeq = 0;
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    let lineNo = 0;
    for (const raw of lines) {
      lineNo++;
      if (raw.startsWith('#')) continue;
      if (raw.length > 1024)
        throw new ManifestError('The AOF manifest file contains too long line', null, lineNo);
      const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const fail = (msg: string): never => {
        throw new ManifestError(msg, line, lineNo);
      };
      if (line.length === 0) fail('Invalid AOF manifest file format');
      const argv = splitArgs(line);
      if (argv === null || argv.length < 6 || argv.length % 2 !== 0) fail('Invalid AOF manifest file format');
      let name: string | null = null;
      let seq = 0;
      let type = '';
      for (let i = 0; i < argv!.length; i += 2) {
        const k = argv![i].toLowerCase();
        if (k === 'file') {
          name = argv![i + 1];
          if (name.includes('/')) fail("File can't be a path, just a filename");
        } else if (k === 'seq') seq = atoll(argv![i + 1]);
        else if (k === 'type') type = argv![i + 1].charAt(0);
      }
      if (name === null || name === '' || seq === 0 || type === '') fail('Invalid AOF manifest file format');
      const info = { name: name!, seq, type: type as AofFileType };
      if (type === 'b') {
        if (m.base !== null) fail('Found duplicate base file information');
        m.base = info;
        m.baseSeq = seq;
      } else if (type === 'h') {
        m.history.push(info);
      } else if (type === 'i') {
        if (seq <= maxIncrSeq) fail('Found a non-monotonic sequence number');
        m.incr.push(info);
        m.incrSeq = seq;
        maxIncrSeq = seq;
      } else {
        fail('Unknown AOF file type');
      }
    }
    if (lineNo === 0) throw new ManifestError('Found an empty AOF manifest', null, 0);
    return m;
  }
}

/** A manifest Redis would refuse to start with. */
export class ManifestError extends Error {
  constructor(
    message: string,
    readonly line: string | null,
    readonly lineNo: number,
  ) {
    super(message);
  }
}

function atoll(s: string): number {
  const m = /^[ \t]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number(m[1]);
}

/** sdsneedsrepr: quoting is needed for spaces, quotes, backslashes and non-printable bytes. */
function needsRepr(s: string): boolean {
  return /[\\"' \t\r\n\x00-\x1f\x7f-\xff]/.test(s);
}
