/** Snapshot encoders: an RDB file (or full-sync payload), or AOF commands for a rewrite. */
import { formatDouble } from '../lib/numbers.js';
import { RdbOpcode } from '../rdb/constants.js';
import { type AccessInfo, type CodecLimits, writeEntry } from '../rdb/value-codec.js';
import { RdbWriter } from '../rdb/writer.js';
import { HashValue } from '../store/types/hash.js';
import { ListValue } from '../store/types/list.js';
import { SetValue } from '../store/types/set.js';
import { StreamValue } from '../store/types/stream.js';
import { formatId, MAX_ID } from '../store/types/stream-id.js';
import { ZSetValue } from '../store/types/zset.js';
import { MutableString, type Value } from '../store/values.js';
import type { EncoderFactory, SnapshotEncoder } from './snapshot.js';

export interface RdbEncoderOptions {
  compress: boolean;
  checksum: boolean;
  /** AUX fields in order (redis-ver, redis-bits, ctime, used-mem, repl-*, aof-base). */
  aux: ReadonlyArray<readonly [string, string]>;
  /** FUNCTION2 libraries (their code) kept from loaded files. */
  functions: readonly string[];
  limits: CodecLimits;
  /** LRU/LFU data to save with each key, from its access stamp; null when the policy keeps none. */
  access: ((stamp: number) => AccessInfo) | null;
}

class RdbEncoder implements SnapshotEncoder {
  readonly w: RdbWriter;

  constructor(
    private readonly o: RdbEncoderOptions,
    main: boolean,
  ) {
    this.w = new RdbWriter(o.compress, main && o.checksum);
  }

  begin(): void {
    this.w.header();
    for (const [k, v] of this.o.aux) this.w.aux(k, v);
    for (const code of this.o.functions) {
      this.w.byte(RdbOpcode.FUNCTION2);
      this.w.string(code);
    }
  }

  selectDb(db: number, size: number, expires: number): void {
    this.w.selectDb(db);
    this.w.resizeDb(size, expires);
  }

  entry(key: string, value: Value, expireMs: number | undefined, stamp: number): void {
    const access = this.o.access === null ? null : this.o.access(stamp);
    writeEntry(this.w, key, value, expireMs, access, this.o.limits);
  }

  end(): void {
    this.w.end();
  }

  append(chunks: Buffer[]): void {
    for (const c of chunks) this.w.raw(c);
  }

  take(): Buffer[] {
    return this.w.take();
  }

  get pending(): number {
    return this.w.pending;
  }
}

export function rdbEncoders(options: RdbEncoderOptions): EncoderFactory {
  return (main) => new RdbEncoder(options, main);
}

/** Redis's AOF_REWRITE_ITEMS_PER_CMD: elements per RPUSH/SADD/ZADD/HMSET. */
const ITEMS_PER_CMD = 64;

/** Commands in RESP form, written into a chunked buffer. */
export class CommandWriter {
  readonly w = new RdbWriter(false, false);

  command(args: readonly string[]): void {
    const w = this.w;
    w.text(`*${args.length}\r\n`);
    for (const a of args) {
      w.text(`$${a.length}\r\n`);
      w.text(a);
      w.text('\r\n');
    }
  }
}

/** An AOF base without RDB preamble: the commands that rebuild each key (rewriteAppendOnlyFileRio). */
class AofEncoder extends CommandWriter implements SnapshotEncoder {
  constructor(
    private readonly functions: readonly string[],
    private readonly timestamp: boolean,
  ) {
    super();
  }

  begin(): void {
    // aof-timestamp-enabled: a rewritten file starts with the time of its snapshot.
    if (this.timestamp) this.w.text(timestampAnnotation(Math.floor(Date.now() / 1000)));
    for (const code of this.functions) this.command(['FUNCTION', 'LOAD', code]);
  }

  selectDb(db: number): void {
    this.command(['SELECT', String(db)]);
  }

  entry(key: string, value: Value, expireMs: number | undefined): void {
    if (typeof value === 'string') this.command(['SET', key, value]);
    else if (value instanceof MutableString) this.command(['SET', key, value.toString()]);
    else if (value instanceof ListValue) this.batched('RPUSH', key, value.toArray());
    else if (value instanceof SetValue) this.batched('SADD', key, value.members());
    else if (value instanceof HashValue) this.batched('HMSET', key, value.toFlat(), 2);
    else if (value instanceof ZSetValue) {
      const flat: string[] = [];
      value.forEach((m, s) => {
        flat.push(formatDouble(s), m);
      });
      this.batched('ZADD', key, flat, 2);
    } else if (value instanceof StreamValue) this.stream(key, value);
    if (expireMs !== undefined) this.command(['PEXPIREAT', key, String(expireMs)]);
  }

  /**
   * rewriteStreamObject: the entries as XADDs (an empty stream through XADD MAXLEN 0), XSETID for
   * the ids and counters, then each group with XGROUP CREATE, its pending entries as XCLAIMs per
   * consumer and consumers without any as XGROUP CREATECONSUMER.
   */
  private stream(key: string, s: StreamValue): void {
    if (s.length > 0) {
      s.range(0n, MAX_ID, false, (e) => {
        this.command(['XADD', key, e.idText(), ...e.fields()]);
        return true;
      });
    } else this.command(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
    this.command([
      'XSETID',
      key,
      formatId(s.lastId),
      'ENTRIESADDED',
      String(s.entriesAdded),
      'MAXDELETEDID',
      formatId(s.maxDeletedId),
    ]);
    for (const g of s.sortedGroups()) {
      this.command([
        'XGROUP',
        'CREATE',
        key,
        g.name,
        formatId(g.lastId),
        'ENTRIESREAD',
        String(g.entriesRead),
      ]);
      for (const c of g.sortedConsumers()) {
        if (c.pel.size === 0) {
          this.command(['XGROUP', 'CREATECONSUMER', key, g.name, c.name]);
          continue;
        }
        for (let i = 0; i < c.pel.size; i++) {
          const nack = c.pel.valueAt(i);
          this.command([
            'XCLAIM',
            key,
            g.name,
            c.name,
            '0',
            formatId(c.pel.keyAt(i)),
            'TIME',
            String(nack.deliveryTime),
            'RETRYCOUNT',
            String(nack.deliveryCount),
            'JUSTID',
            'FORCE',
          ]);
        }
      }
    }
  }

  /** Variadic commands of at most ITEMS_PER_CMD items (an item is `width` arguments). */
  private batched(name: string, key: string, flat: string[], width = 1): void {
    const per = ITEMS_PER_CMD * width;
    for (let i = 0; i < flat.length; i += per) this.command([name, key, ...flat.slice(i, i + per)]);
  }

  end(): void {}

  append(chunks: Buffer[]): void {
    for (const c of chunks) this.w.raw(c);
  }

  take(): Buffer[] {
    return this.w.take();
  }

  get pending(): number {
    return this.w.pending;
  }
}

export function aofEncoders(functions: readonly string[], timestamp = false): EncoderFactory {
  return () => new AofEncoder(functions, timestamp);
}

/** The `#TS:<unix seconds>` line of aof-timestamp-enabled (skipped by loaders, used by redis-check-aof). */
export function timestampAnnotation(unixSec: number): string {
  return `#TS:${unixSec}\r\n`;
}
