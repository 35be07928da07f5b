import type { CommandContext, CommandFamily } from '../core/context.js';
import { type Int64, normalizeInt64, parseInt64 } from '../lib/numbers.js';
import { isString, MutableString, type StringValue, stringBytes } from '../store/values.js';
import { intArg, readKey, readString, WRONGTYPE } from './args.js';
import { ERR } from './replies.js';
import { optionIs } from './strings.js';

const BIT_OFFSET_ERROR = 'ERR bit offset is not an integer or out of range';
const BIT_VALUE_ERROR = 'ERR bit is not an integer or out of range';

/**
 * Redis's getBitOffsetFromArgument: a bit offset whose byte is below proto-max-bulk-len. With
 * fieldBits (BITFIELD), "#n" means n * fieldBits, multiplied in int64 with wrap-around like C.
 * Returns null after replying the error.
 */
function bitOffsetArg(ctx: CommandContext, arg: string, fieldBits = 0): number | null {
  const hash = fieldBits > 0 && arg.charCodeAt(0) === 0x23;
  let v = parseInt64(hash ? arg.slice(1) : arg);
  if (v !== null && hash) {
    const product = Number(v) * fieldBits;
    v = Number.isSafeInteger(product)
      ? product
      : normalizeInt64(BigInt.asIntN(64, BigInt(v) * BigInt(fieldBits)));
  }
  const maxBytes = ctx.server.config.num('proto-max-bulk-len');
  if (
    v === null ||
    v < 0 ||
    (typeof v === 'number' ? Math.floor(v / 8) >= maxBytes : v >> 3n >= BigInt(maxBytes))
  ) {
    ctx.reply.error(BIT_OFFSET_ERROR);
    return null;
  }
  return Number(v);
}

/** Whether the last stringForBitWrite created the key or grew the string (Redis's "dirty"). */
let bitWriteGrew = false;

/**
 * Redis's lookupStringForBitCommand: the key's string made writable in place and at least long
 * enough to hold bit maxBit (created if missing), or null after replying WRONGTYPE.
 */
function stringForBitWrite(ctx: CommandContext, key: string, maxBit: number): MutableString | null {
  const bytes = Math.floor(maxBit / 8) + 1;
  const db = ctx.db;
  const current = db.get(key);
  if (current === undefined) {
    const m = MutableString.zeros(bytes);
    db.set(key, m);
    bitWriteGrew = true;
    return m;
  }
  if (!isString(current)) {
    ctx.reply.error(ERR.wrongType);
    return null;
  }
  const m = MutableString.from(current, Math.max(0, bytes - current.length));
  if (m !== current) db.replace(key, m);
  const before = m.length;
  m.ensure(bytes);
  bitWriteGrew = m.length !== before;
  return m;
}

function byteAt(v: StringValue, i: number): number {
  if (i >= v.length) return 0;
  return typeof v === 'string' ? v.charCodeAt(i) : v.bytes[i];
}

function setbit(ctx: CommandContext, argv: string[]): void {
  const key = argv[1];
  const offset = bitOffsetArg(ctx, argv[2]);
  if (offset === null) return;
  const on = parseInt64(argv[3]);
  if (on !== 0 && on !== 1) {
    ctx.reply.error(BIT_VALUE_ERROR);
    return;
  }
  const m = stringForBitWrite(ctx, key, offset);
  if (m === null) return;
  const byte = Math.floor(offset / 8);
  const shift = 7 - (offset % 8);
  const old = (m.bytes[byte] >> shift) & 1;
  // Redis 7.0 counts a change only if the key was created or grew, or the bit flips.
  if (bitWriteGrew || old !== on) {
    if (on === 1) m.bytes[byte] |= 1 << shift;
    else m.bytes[byte] &= ~(1 << shift);
    ctx.changed(key, '$', 'setbit');
  }
  ctx.reply.integer(old);
}

function getbit(ctx: CommandContext, argv: string[]): void {
  const offset = bitOffsetArg(ctx, argv[2]);
  if (offset === null) return;
  const v = readString(ctx, argv[1]);
  if (v === WRONGTYPE) return;
  if (v === undefined) {
    ctx.reply.integer(0);
    return;
  }
  ctx.reply.integer((byteAt(v, Math.floor(offset / 8)) >> (7 - (offset % 8))) & 1);
}

/**
 * A BITCOUNT/BITPOS range after Redis's conversions: byte indexes first..last (last < first when
 * empty) and, for BIT ranges, masks of the bits outside the range in the edge bytes.
 */
interface ByteRange {
  first: number;
  last: number;
  firstMask: number;
  lastMask: number;
}

/** Redis's index normalization for [start, end] over totalLen units (bytes, or bits if isBit). */
function normalizeRange(start: Int64, end: Int64, byteLen: number, isBit: boolean): ByteRange {
  const total = isBit ? byteLen * 8 : byteLen;
  // int64 values beyond 2^53 only ever clamp here, so doubles are exact enough.
  let s = Number(start);
  let e = Number(end);
  if (s < 0) s = total + s;
  if (e < 0) e = total + e;
  if (s < 0) s = 0;
  if (e < 0) e = 0;
  if (e >= total) e = total - 1;
  let firstMask = 0;
  let lastMask = 0;
  if (isBit && s <= e) {
    firstMask = ~((1 << (8 - (s % 8))) - 1) & 0xff;
    lastMask = (1 << (7 - (e % 8))) - 1;
    s = Math.floor(s / 8);
    e = Math.floor(e / 8);
  }
  return { first: s, last: e, firstMask, lastMask };
}

/** BYTE or BIT (case-insensitive); null after a syntax error reply. */
function unitArg(ctx: CommandContext, arg: string): boolean | null {
  if (optionIs(arg, 'BIT')) return true;
  if (optionIs(arg, 'BYTE')) return false;
  ctx.reply.error(ERR.syntax);
  return null;
}

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

function popcount(bytes: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i <= to; i++) n += POPCOUNT[bytes[i]];
  return n;
}

/** BITCOUNT key [start end [BYTE|BIT]]: Redis 7.0 looks the key up before parsing the range. */
function bitcount(ctx: CommandContext, argv: string[]): void {
  const v = readString(ctx, argv[1]);
  if (v === WRONGTYPE) return;
  if (v === undefined) {
    ctx.reply.integer(0);
    return;
  }
  let range: ByteRange;
  if (argv.length === 4 || argv.length === 5) {
    const start = intArg(ctx, argv[2]);
    if (start === null) return;
    const end = intArg(ctx, argv[3]);
    if (end === null) return;
    if (start < 0 && end < 0 && start > end) {
      ctx.reply.integer(0);
      return;
    }
    const isBit = argv.length === 5 ? unitArg(ctx, argv[4]) : false;
    if (isBit === null) return;
    range = normalizeRange(start, end, v.length, isBit);
  } else if (argv.length === 2) {
    range = { first: 0, last: v.length - 1, firstMask: 0, lastMask: 0 };
  } else {
    ctx.reply.error(ERR.syntax);
    return;
  }
  const { first, last, firstMask, lastMask } = range;
  if (first > last) {
    ctx.reply.integer(0);
    return;
  }
  const bytes = stringBytes(v);
  let count = popcount(bytes, first, last);
  // Bits of the edge bytes outside a BIT range were counted: take them back out.
  if (firstMask !== 0) count -= POPCOUNT[bytes[first] & firstMask];
  if (lastMask !== 0) count -= POPCOUNT[bytes[last] & lastMask];
  ctx.reply.integer(count);
}

/**
 * Redis's redisBitpos over count bytes from `from`: the first bit equal to `bit` (0 = MSB of the
 * first byte); -1 if looking for a 1 and there is none; count*8 if looking for a 0 and there is none.
 */
function findBit(bytes: Buffer | Uint8Array, from: number, count: number, bit: number): number {
  const skip = bit === 1 ? 0 : 0xff;
  for (let i = 0; i < count; i++) {
    const b = bytes[from + i];
    if (b === skip) continue;
    const x = bit === 1 ? b : ~b & 0xff;
    return i * 8 + (Math.clz32(x) - 24);
  }
  return bit === 1 ? -1 : count * 8;
}

/** BITPOS key bit [start [end [BYTE|BIT]]] with Redis 7.0's argument order and edge rules. */
function bitpos(ctx: CommandContext, argv: string[]): void {
  const bit = intArg(ctx, argv[2]);
  if (bit === null) return;
  if (bit !== 0 && bit !== 1) {
    ctx.reply.error('ERR The bit argument must be 1 or 0.');
    return;
  }
  const v = readKey(ctx, argv[1]);
  if (v === undefined) {
    // A missing key is an infinite run of zeros.
    ctx.reply.integer(bit === 1 ? -1 : 0);
    return;
  }
  if (!isString(v)) {
    ctx.reply.error(ERR.wrongType);
    return;
  }
  const len = v.length;
  let endGiven = false;
  let range: ByteRange;
  if (argv.length >= 4 && argv.length <= 6) {
    const start = intArg(ctx, argv[3]);
    if (start === null) return;
    const isBit = argv.length === 6 ? unitArg(ctx, argv[5]) : false;
    if (isBit === null) return;
    let end: Int64;
    if (argv.length >= 5) {
      const e = intArg(ctx, argv[4]);
      if (e === null) return;
      end = e;
      endGiven = true;
    } else {
      end = isBit ? len * 8 + 7 : len - 1;
    }
    range = normalizeRange(start, end, len, isBit);
  } else if (argv.length === 3) {
    range = { first: 0, last: len - 1, firstMask: 0, lastMask: 0 };
  } else {
    ctx.reply.error(ERR.syntax);
    return;
  }
  if (range.first > range.last) {
    ctx.reply.integer(-1);
    return;
  }
  ctx.reply.integer(bitposInRange(stringBytes(v), range, bit, endGiven));
}

/** The search of Redis's bitposCommand over a non-empty normalized range. */
function bitposInRange(p: Buffer, range: ByteRange, bit: number, endGiven: boolean): number {
  const { firstMask, lastMask, last } = range;
  let start = range.first;
  let bytes = last - start + 1;
  const one = new Uint8Array(1);
  // pos is relative to the current start; with an explicit end, clear bits past the range are
  // not assumed, so finding no 0 means -1.
  const result = (pos: number): number => {
    if (endGiven && bit === 0 && pos === bytes * 8) return -1;
    return pos === -1 ? -1 : pos + start * 8;
  };
  if (firstMask !== 0) {
    // Bits before the range start count as the opposite of what we look for.
    let b = bit === 1 ? p[start] & ~firstMask : p[start] | firstMask;
    if (lastMask !== 0 && bytes === 1) b = bit === 1 ? b & ~lastMask : b | lastMask;
    one[0] = b;
    const pos = findBit(one, 0, 1, bit);
    if (bytes === 1 || (pos !== -1 && pos !== 8)) return result(pos);
    start++;
    bytes--;
  }
  const middle = bytes - (lastMask !== 0 ? 1 : 0);
  if (middle > 0) {
    const pos = findBit(p, start, middle, bit);
    if (bytes === middle || (pos !== -1 && pos !== middle * 8)) return result(pos);
    start += middle;
    bytes -= middle;
  }
  one[0] = bit === 1 ? p[last] & ~lastMask : p[last] | lastMask;
  return result(findBit(one, 0, 1, bit));
}

/** BITOP AND|OR|XOR|NOT destkey key [key ...] */
function bitop(ctx: CommandContext, argv: string[]): void {
  const op = bitopName(argv[1]);
  if (op === null) {
    ctx.reply.error(ERR.syntax);
    return;
  }
  if (op === 'not' && argv.length !== 4) {
    ctx.reply.error('ERR BITOP NOT must be called with a single source key.');
    return;
  }
  const sources: Buffer[] = [];
  let maxLen = 0;
  for (let i = 3; i < argv.length; i++) {
    const v = readKey(ctx, argv[i]);
    if (v === undefined) {
      sources.push(EMPTY);
      continue;
    }
    if (!isString(v)) {
      ctx.reply.error(ERR.wrongType);
      return;
    }
    const bytes = stringBytes(v);
    sources.push(bytes);
    if (bytes.length > maxLen) maxLen = bytes.length;
  }
  const dest = argv[2];
  const db = ctx.db;
  if (maxLen > 0) {
    db.set(dest, new MutableString(combine(op, sources, maxLen), maxLen));
    ctx.changed(dest, '$', 'set');
  } else if (db.delete(dest)) {
    ctx.changed(dest, 'g', 'del');
  }
  ctx.reply.integer(maxLen);
}

const EMPTY = Buffer.alloc(0);

type BitOp = 'and' | 'or' | 'xor' | 'not';

function bitopName(arg: string): BitOp | null {
  if (optionIs(arg, 'AND')) return 'and';
  if (optionIs(arg, 'OR')) return 'or';
  if (optionIs(arg, 'XOR')) return 'xor';
  if (optionIs(arg, 'NOT')) return 'not';
  return null;
}

/** The result bytes; shorter sources are zero-padded (missing keys are empty). */
function combine(op: BitOp, sources: Buffer[], maxLen: number): Buffer {
  const out = Buffer.alloc(maxLen);
  const first = sources[0];
  if (op === 'not') {
    for (let i = 0; i < maxLen; i++) out[i] = ~first[i] & 0xff;
    return out;
  }
  first.copy(out);
  for (let k = 1; k < sources.length; k++) {
    const src = sources[k];
    if (op === 'and') {
      for (let i = 0; i < maxLen; i++) out[i] &= i < src.length ? src[i] : 0;
    } else if (op === 'or') {
      for (let i = 0; i < src.length; i++) out[i] |= src[i];
    } else {
      for (let i = 0; i < src.length; i++) out[i] ^= src[i];
    }
  }
  return out;
}

// ---- BITFIELD ----

const TYPE_ERROR =
  'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';

enum Overflow {
  Wrap,
  Sat,
  Fail,
}

enum Write {
  Refused,
  Same,
  Changed,
}

interface FieldOp {
  write: 'get' | 'set' | 'incrby';
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: Overflow;
}

/** i1..i64 or u1..u63 (lower-case prefix only, as Redis; the C string ends at a NUL). */
function fieldType(ctx: CommandContext, arg: string): { signed: boolean; bits: number } | null {
  const nul = arg.indexOf('\0');
  const s = nul < 0 ? arg : arg.slice(0, nul);
  const signed = s.charCodeAt(0) === 0x69;
  const bits = signed || s.charCodeAt(0) === 0x75 ? parseInt64(s.slice(1)) : null;
  if (bits === null || bits < 1 || bits > (signed ? 64 : 63)) {
    ctx.reply.error(TYPE_ERROR);
    return null;
  }
  return { signed, bits: Number(bits) };
}

/** Parses BITFIELD's operations; null after replying an error. */
function parseFieldOps(ctx: CommandContext, argv: string[]): FieldOp[] | null {
  const ops: FieldOp[] = [];
  let overflow = Overflow.Wrap;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const sub = argv[j];
    let write: FieldOp['write'];
    if (optionIs(sub, 'GET') && remaining >= 2) write = 'get';
    else if (optionIs(sub, 'SET') && remaining >= 3) write = 'set';
    else if (optionIs(sub, 'INCRBY') && remaining >= 3) write = 'incrby';
    else if (optionIs(sub, 'OVERFLOW') && remaining >= 1) {
      const kind = argv[++j];
      if (optionIs(kind, 'WRAP')) overflow = Overflow.Wrap;
      else if (optionIs(kind, 'SAT')) overflow = Overflow.Sat;
      else if (optionIs(kind, 'FAIL')) overflow = Overflow.Fail;
      else {
        ctx.reply.error('ERR Invalid OVERFLOW type specified');
        return null;
      }
      continue;
    } else {
      ctx.reply.error(ERR.syntax);
      return null;
    }
    const type = fieldType(ctx, argv[j + 1]);
    if (type === null) return null;
    const offset = bitOffsetArg(ctx, argv[j + 2], type.bits);
    if (offset === null) return null;
    let value = 0n;
    if (write !== 'get') {
      const v = intArg(ctx, argv[j + 3]);
      if (v === null) return null;
      value = BigInt(v);
    }
    ops.push({ write, signed: type.signed, bits: type.bits, offset, value, overflow });
    j += write === 'get' ? 2 : 3;
  }
  return ops;
}

function bitfield(ctx: CommandContext, argv: string[]): void {
  bitfieldGeneric(ctx, argv, false);
}

function bitfieldRo(ctx: CommandContext, argv: string[]): void {
  bitfieldGeneric(ctx, argv, true);
}

/** BITFIELD / BITFIELD_RO: all operations are parsed before the key is looked up. */
function bitfieldGeneric(ctx: CommandContext, argv: string[], readOnly: boolean): void {
  const ops = parseFieldOps(ctx, argv);
  if (ops === null) return;
  const key = argv[1];
  let highestWrite = -1;
  for (const op of ops) {
    if (op.write !== 'get') highestWrite = Math.max(highestWrite, op.offset + op.bits - 1);
  }
  let target: StringValue | undefined;
  let grew = false;
  if (highestWrite < 0) {
    const v = readKey(ctx, key);
    if (v !== undefined && !isString(v)) {
      ctx.reply.error(ERR.wrongType);
      return;
    }
    target = v;
  } else {
    if (readOnly) {
      ctx.reply.error('ERR BITFIELD_RO only supports the GET subcommand');
      return;
    }
    const m = stringForBitWrite(ctx, key, highestWrite);
    if (m === null) return;
    target = m;
    grew = bitWriteGrew;
  }
  ctx.reply.array(ops.length);
  let changes = 0;
  for (const op of ops) {
    if (op.write === 'get') {
      const raw = target === undefined ? 0n : readField(target, op.offset, op.bits);
      ctx.reply.integer(normalizeInt64(op.signed ? BigInt.asIntN(op.bits, raw) : raw));
      continue;
    }
    // Like SETBIT, a write counts only if the string was created or grew, or the field changed;
    // one refused by OVERFLOW FAIL never counts.
    const outcome = applyFieldWrite(ctx, target as MutableString, op);
    if (outcome === Write.Changed || (outcome === Write.Same && grew)) changes++;
  }
  if (changes > 0) {
    ctx.changed(key, '$', 'setbit');
    ctx.addDirty(changes - 1);
  }
}

/**
 * SET or INCRBY of one field, replying the old (SET) or new (INCRBY) value, or nil when OVERFLOW
 * FAIL refuses it.
 */
function applyFieldWrite(ctx: CommandContext, m: MutableString, op: FieldOp): Write {
  const raw = readField(m, op.offset, op.bits);
  const old = op.signed ? BigInt.asIntN(op.bits, raw) : raw;
  const incr = op.write === 'incrby';
  // SET checks the new value alone (increment 0), with unsigned SET taking it as uint64.
  const base = incr ? old : op.signed ? op.value : BigInt.asUintN(64, op.value);
  const by = incr ? op.value : 0n;
  const check = op.signed ? signedOverflow(base, by, op.bits) : unsignedOverflow(base, by, op.bits);
  let next = base + by;
  if (check !== 0) {
    if (op.overflow === Overflow.Fail) {
      ctx.reply.nil();
      return Write.Refused;
    }
    if (op.overflow === Overflow.Wrap)
      next = op.signed ? BigInt.asIntN(op.bits, next) : BigInt.asUintN(op.bits, next);
    else next = saturate(op, check);
  }
  ctx.reply.integer(normalizeInt64(incr ? next : old));
  writeField(m, op.offset, op.bits, BigInt.asUintN(op.bits, next));
  return next !== old ? Write.Changed : Write.Same;
}

function saturate(op: FieldOp, direction: number): bigint {
  const bits = BigInt(op.bits);
  if (op.signed) return direction > 0 ? (1n << (bits - 1n)) - 1n : -(1n << (bits - 1n));
  return direction > 0 ? (1n << bits) - 1n : 0n;
}

/**
 * Redis's checkUnsignedBitfieldOverflow, with its int64 arithmetic: 1 above the range, -1 below,
 * 0 when value + incr fits. value is a uint64, incr an int64.
 */
function unsignedOverflow(value: bigint, incr: bigint, bits: number): number {
  const max = (1n << BigInt(bits)) - 1n;
  const maxIncr = BigInt.asIntN(64, max - value);
  const minIncr = BigInt.asIntN(64, -value);
  if (value > max || (incr > 0n && incr > maxIncr)) return 1;
  if (incr < 0n && incr < minIncr) return -1;
  return 0;
}

const INT64_MAX_BIG = (1n << 63n) - 1n;

/** Redis's checkSignedBitfieldOverflow, int64 wrap-around included (it decides SAT's direction). */
function signedOverflow(value: bigint, incr: bigint, bits: number): number {
  const max = bits === 64 ? INT64_MAX_BIG : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxIncr = BigInt.asIntN(64, max - value);
  const minIncr = BigInt.asIntN(64, min - value);
  if (value > max || (bits !== 64 && incr > maxIncr) || (value >= 0n && incr > 0n && incr > maxIncr)) {
    return 1;
  }
  if (value < min || (bits !== 64 && incr < minIncr) || (value < 0n && incr < 0n && incr < minIncr)) {
    return -1;
  }
  return 0;
}

/** The unsigned value of `bits` bits at bit `offset` (MSB first), zeros past the end. */
function readField(v: StringValue, offset: number, bits: number): bigint {
  const firstByte = Math.floor(offset / 8);
  const lastByte = Math.floor((offset + bits - 1) / 8);
  let acc = 0n;
  for (let i = firstByte; i <= lastByte; i++) acc = (acc << 8n) | BigInt(byteAt(v, i));
  const trailing = (lastByte - firstByte + 1) * 8 - (offset % 8) - bits;
  return BigInt.asUintN(bits, acc >> BigInt(trailing));
}

/** Stores the low `bits` bits of value at bit `offset`; the string is already long enough. */
function writeField(m: MutableString, offset: number, bits: number, value: bigint): void {
  const digits = value.toString(2).padStart(bits, '0');
  const bytes = m.bytes;
  for (let j = 0; j < bits; j++) {
    const pos = offset + j;
    const byte = Math.floor(pos / 8);
    const mask = 1 << (7 - (pos % 8));
    if (digits.charCodeAt(j) === 0x31) bytes[byte] |= mask;
    else bytes[byte] &= ~mask;
  }
}

export const bitmapCommands: CommandFamily = {
  setbit,
  getbit,
  bitcount,
  bitpos,
  bitop,
  bitfield,
  bitfield_ro: bitfieldRo,
};
