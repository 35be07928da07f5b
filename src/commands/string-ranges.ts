/**
 * String edits and ranges (Redis's t_string.c): APPEND, STRLEN, GETRANGE (SUBSTR), SETRANGE and LCS.
 */
import type { CommandContext, CommandFamily } from '../core/context.js';
import { isString, MutableString, stringBytes } from '../store/values.js';
import { intArg, readKey, readString, WRONGTYPE } from './args.js';
import { ERR } from './replies.js';
import { checkStringLength, optionIs } from './strings.js';

function append(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const suffix = argv[2];
  const current = ctx.db.get(key);
  let length: number;
  if (current === undefined) {
    ctx.db.set(key, suffix);
    length = suffix.length;
  } else {
    if (!isString(current)) {
      ctx.reply.error(ERR.wrongType);
      return;
    }
    if (!checkStringLength(ctx, current.length, suffix.length)) return;
    const m = MutableString.from(current, suffix.length);
    const at = m.length;
    m.ensure(at + suffix.length);
    m.bytes.latin1Write(suffix, at);
    if (m !== current) ctx.db.replace(key, m);
    length = m.length;
  }
  ctx.changed(key, '$', 'append');
  ctx.reply.integer(length);
}

function strlen(ctx: CommandContext, argv: string[]): void {
  const v = readString(ctx, argv[1]);
  if (v === WRONGTYPE) return;
  ctx.reply.integer(v === undefined ? 0 : v.length);
}

/** GETRANGE / SUBSTR key start end: inclusive, negative from the end, clamped. */
function getrange(ctx: CommandContext, argv: string[]): void {
  const start = intArg(ctx, argv[2]);
  if (start === null) return;
  const end = intArg(ctx, argv[3]);
  if (end === null) return;
  const v = readString(ctx, argv[1]);
  if (v === WRONGTYPE) return;
  if (v === undefined || (start < 0 && end < 0 && start > end)) {
    ctx.reply.bulk('');
    return;
  }
  const len = v.length;
  // Past the check above, int64 values beyond 2^53 only ever clamp, so doubles are exact enough.
  let from = Number(start);
  let to = Number(end);
  if (from < 0) from = Math.max(0, len + from);
  if (to < 0) to = Math.max(0, len + to);
  if (to >= len) to = len - 1;
  if (from > to || len === 0) ctx.reply.bulk('');
  else if (typeof v === 'string') ctx.reply.bulk(v.slice(from, to + 1));
  else ctx.reply.bulkBytes(v.bytes.subarray(from, to + 1));
}

/** SETRANGE key offset value: overwrites in place, zero-padding as needed. */
function setrange(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const value = argv[3];
  const offset = intArg(ctx, argv[2]);
  if (offset === null) return;
  if (offset < 0) {
    ctx.reply.error('ERR offset is out of range');
    return;
  }
  const db = ctx.db;
  const current = db.get(key);
  let m: MutableString;
  if (current === undefined) {
    if (value.length === 0) {
      ctx.reply.integer(0);
      return;
    }
    if (!checkStringLength(ctx, offset, value.length)) return;
    m = MutableString.zeros(Number(offset) + value.length);
    db.set(key, m);
  } else {
    if (!isString(current)) {
      ctx.reply.error(ERR.wrongType);
      return;
    }
    if (value.length === 0) {
      ctx.reply.integer(current.length);
      return;
    }
    if (!checkStringLength(ctx, offset, value.length)) return;
    m = MutableString.from(current);
    if (m !== current) db.replace(key, m);
    m.ensure(Number(offset) + value.length);
  }
  m.bytes.latin1Write(value, Number(offset));
  ctx.changed(key, '$', 'setrange');
  ctx.reply.integer(m.length);
}

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN], Redis's dynamic programming. */
function lcs(ctx: CommandContext, argv: string[]): void {
  const va = readKey(ctx, argv[1]);
  const vb = readKey(ctx, argv[2]);
  if ((va !== undefined && !isString(va)) || (vb !== undefined && !isString(vb))) {
    ctx.reply.error('ERR The specified keys must contain string values');
    return;
  }
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (optionIs(opt, 'IDX')) getIdx = true;
    else if (optionIs(opt, 'LEN')) getLen = true;
    else if (optionIs(opt, 'WITHMATCHLEN')) withMatchLen = true;
    else if (optionIs(opt, 'MINMATCHLEN') && j + 1 < argv.length) {
      const n = intArg(ctx, argv[++j]);
      if (n === null) return;
      minMatchLen = Math.max(Number(n), 0);
    } else {
      ctx.reply.error(ERR.syntax);
      return;
    }
  }
  if (getIdx && getLen) {
    ctx.reply.error('ERR If you want both the length and indexes, please just use IDX.');
    return;
  }
  const a = va === undefined ? Buffer.alloc(0) : stringBytes(va);
  const b = vb === undefined ? Buffer.alloc(0) : stringBytes(vb);
  if (a.length >= 0xfffffffe || b.length >= 0xfffffffe) {
    ctx.reply.error('ERR String too long for LCS');
    return;
  }
  const table = lcsTable(ctx, a, b);
  if (table === null) return;
  replyLcs(ctx, a, b, table, { getIdx, getLen, withMatchLen, minMatchLen });
}

/** The (|a|+1) x (|b|+1) table of LCS lengths of prefixes, or null after replying an error. */
function lcsTable(ctx: CommandContext, a: Buffer, b: Buffer): Uint32Array | null {
  const width = b.length + 1;
  const cells = (a.length + 1) * width;
  if (cells * 4 > ctx.server.config.num('proto-max-bulk-len')) {
    ctx.reply.error('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
    return null;
  }
  let t: Uint32Array;
  try {
    t = new Uint32Array(cells);
  } catch {
    ctx.reply.error('ERR Insufficient memory, failed allocating transient memory for LCS');
    return null;
  }
  for (let i = 1; i <= a.length; i++) {
    const row = i * width;
    const prev = row - width;
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      if (ai === b[j - 1]) t[row + j] = t[prev + j - 1] + 1;
      else {
        const up = t[prev + j];
        const left = t[row + j - 1];
        t[row + j] = Math.max(up, left);
      }
    }
  }
  return t;
}

interface LcsOptions {
  getIdx: boolean;
  getLen: boolean;
  withMatchLen: boolean;
  minMatchLen: number;
}

/**
 * Walks the table back from the end as Redis does, collecting the LCS string and the matching
 * ranges (latest first), then replies in the requested shape.
 */
function replyLcs(ctx: CommandContext, a: Buffer, b: Buffer, t: Uint32Array, o: LcsOptions): void {
  const width = b.length + 1;
  const total = t[a.length * width + b.length];
  if (o.getLen && !o.getIdx) {
    ctx.reply.integer(total);
    return;
  }
  const result = Buffer.allocUnsafe(total);
  const ranges: number[] = []; // aStart, aEnd, bStart, bEnd, per emitted range
  let idx = total;
  let i = a.length;
  let j = b.length;
  const unset = a.length;
  let aStart = unset;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (aStart === unset) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (t[(i - 1) * width + j] > t[i * width + j - 1]) i--;
      else j--;
      if (aStart !== unset) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (o.minMatchLen === 0 || matchLen >= o.minMatchLen) ranges.push(aStart, aEnd, bStart, bEnd);
      aStart = unset;
    }
  }
  if (!o.getIdx) {
    ctx.reply.bulkBytes(result);
    return;
  }
  const r = ctx.reply;
  r.map(2);
  r.bulk('matches');
  r.array(ranges.length / 4);
  for (let k = 0; k < ranges.length; k += 4) {
    r.array(o.withMatchLen ? 3 : 2);
    r.array(2);
    r.integer(ranges[k]);
    r.integer(ranges[k + 1]);
    r.array(2);
    r.integer(ranges[k + 2]);
    r.integer(ranges[k + 3]);
    if (o.withMatchLen) r.integer(ranges[k + 1] - ranges[k] + 1);
  }
  r.bulk('len');
  r.integer(total);
}

export const stringRangeCommands: CommandFamily = {
  getrange,
  substr: getrange,
  setrange,
  append,
  strlen,
  lcs,
};
