/**
 * The `cmsgpack` library Redis bundles (lua-cmsgpack 0.4.0): MessagePack encoding of Lua values
 * with its choices — the smallest integer form for integral numbers, float32 when exact, tables
 * as arrays when their keys are exactly 1..n, tables nested past 16 levels as nil — and its
 * decoding, errors and offsets.
 */
import { type LuaState, LuaType, type LuaVm } from './lua-vm.js';
import type { LibraryMembers } from './sandbox.js';

const MAX_NESTING = 16;
const TWO_63 = 2 ** 63;

class Encoder {
  private buf = Buffer.allocUnsafe(256);
  len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }

  head(b: number, value: number, bytes: 1 | 2 | 4): void {
    this.room(1 + bytes);
    this.buf[this.len++] = b;
    this.buf.writeUIntBE(value, this.len, bytes);
    this.len += bytes;
  }

  int(n: number): void {
    if (n >= 0) {
      if (n <= 127) this.byte(n);
      else if (n <= 0xff) this.head(0xcc, n, 1);
      else if (n <= 0xffff) this.head(0xcd, n, 2);
      else if (n <= 0xffffffff) this.head(0xce, n, 4);
      else this.big(0xcf, BigInt(n));
    } else if (n >= -32) this.byte(n & 0xff);
    else if (n >= -128) this.head(0xd0, n & 0xff, 1);
    else if (n >= -32768) this.head(0xd1, n & 0xffff, 2);
    else if (n >= -2147483648) this.head(0xd2, n >>> 0, 4);
    else this.big(0xd3, BigInt(n));
  }

  private big(b: number, v: bigint): void {
    this.room(9);
    this.buf[this.len++] = b;
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.len);
    this.len += 8;
  }

  double(d: number): void {
    const f = Math.fround(d);
    this.room(9);
    if (f === d) {
      this.buf[this.len++] = 0xca;
      this.buf.writeFloatBE(f, this.len);
      this.len += 4;
    } else {
      this.buf[this.len++] = 0xcb;
      this.buf.writeDoubleBE(d, this.len);
      this.len += 8;
    }
  }

  bytes(s: string): void {
    const n = s.length;
    if (n < 32) this.byte(0xa0 | n);
    else if (n <= 0xff) this.head(0xd9, n, 1);
    else if (n <= 0xffff) this.head(0xda, n, 2);
    else this.head(0xdb, n, 4);
    this.room(n);
    this.buf.write(s, this.len, 'latin1');
    this.len += n;
  }

  collection(fix: number, b16: number, n: number): void {
    if (n <= 15) this.byte(fix | n);
    else if (n <= 0xffff) this.head(b16, n, 2);
    else this.head(b16 + 1, n, 4);
  }

  result(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** table_is_an_array: every key a positive integer, and as many keys as the largest one. */
function isArray(vm: LuaVm, L: LuaState): boolean {
  let count = 0;
  let max = 0;
  vm.pushNil(L);
  while (vm.next(L, -2)) {
    vm.pop(L);
    if (vm.type(L, -1) !== LuaType.number) {
      vm.pop(L);
      return false;
    }
    const n = vm.toNumber(L, -1);
    if (!Number.isInteger(n) || n < 1) {
      vm.pop(L);
      return false;
    }
    count++;
    if (n > max) max = n;
  }
  return count === max;
}

/** Encodes the value on top of the stack (left there). */
function encode(vm: LuaVm, L: LuaState, out: Encoder, level: number): void {
  let t = vm.type(L, -1);
  if (t === LuaType.table && level === MAX_NESTING) t = LuaType.nil;
  switch (t) {
    case LuaType.string:
      out.bytes(vm.toString(L, -1)!);
      return;
    case LuaType.boolean:
      out.byte(vm.toBoolean(L, -1) ? 0xc3 : 0xc2);
      return;
    case LuaType.number: {
      const n = vm.toNumber(L, -1);
      if (Number.isInteger(n) && n >= -TWO_63 && n < TWO_63) out.int(n);
      else out.double(n);
      return;
    }
    case LuaType.table:
      vm.checkStack(L, 3);
      if (isArray(vm, L)) {
        const n = vm.objLen(L, -1);
        out.collection(0x90, 0xdc, n);
        for (let j = 1; j <= n; j++) {
          vm.pushNumber(L, j);
          vm.getTable(L, -2);
          encode(vm, L, out, level + 1);
          vm.pop(L);
        }
      } else {
        let n = 0;
        vm.pushNil(L);
        while (vm.next(L, -2)) {
          vm.pop(L);
          n++;
        }
        out.collection(0x80, 0xde, n);
        vm.pushNil(L);
        while (vm.next(L, -2)) {
          vm.pushValue(L, -2);
          encode(vm, L, out, level + 1);
          vm.pop(L);
          encode(vm, L, out, level + 1);
          vm.pop(L);
        }
      }
      return;
    default:
      out.byte(0xc0);
  }
}

const EOF = 1;
const BAD_FORMAT = 2;

/** The decoder's cursor over the input (mp_cur). */
interface Cursor {
  buf: Buffer;
  pos: number;
  end: number;
  err: number;
}

function need(c: Cursor, n: number): boolean {
  if (c.end - c.pos < n) {
    c.err = EOF;
    return false;
  }
  return true;
}

/** mp_decode_to_lua_type: pushes one decoded value (or sets c.err). */
function decode(vm: LuaVm, L: LuaState, c: Cursor): void {
  if (!vm.checkStack(L, 3)) vm.raiseMessage(L, 'stack overflow (in function mp_decode_to_lua_type)', true);
  if (!need(c, 1)) return;
  const b = c.buf[c.pos];
  const buf = c.buf;
  const num = (size: number, read: () => number) => {
    if (!need(c, 1 + size)) return;
    const v = read();
    c.pos += 1 + size;
    vm.pushNumber(L, v);
  };
  const at = c.pos + 1;
  switch (b) {
    case 0xcc:
      num(1, () => buf[at]);
      return;
    case 0xcd:
      num(2, () => buf.readUInt16BE(at));
      return;
    case 0xce:
      num(4, () => buf.readUInt32BE(at));
      return;
    case 0xcf:
      num(8, () => Number(buf.readBigUInt64BE(at)));
      return;
    case 0xd0:
      num(1, () => buf.readInt8(at));
      return;
    case 0xd1:
      num(2, () => buf.readInt16BE(at));
      return;
    case 0xd2:
      num(4, () => buf.readInt32BE(at));
      return;
    case 0xd3:
      num(8, () => Number(buf.readBigInt64BE(at)));
      return;
    case 0xca:
      num(4, () => buf.readFloatBE(at));
      return;
    case 0xcb:
      num(8, () => buf.readDoubleBE(at));
      return;
    case 0xc0:
      c.pos++;
      vm.pushNil(L);
      return;
    case 0xc2:
    case 0xc3:
      c.pos++;
      vm.pushBoolean(L, b === 0xc3);
      return;
    case 0xd9:
      raw(vm, L, c, 1);
      return;
    case 0xda:
      raw(vm, L, c, 2);
      return;
    case 0xdb:
      raw(vm, L, c, 4);
      return;
    case 0xdc:
      array(vm, L, c, 2);
      return;
    case 0xdd:
      array(vm, L, c, 4);
      return;
    case 0xde:
      map(vm, L, c, 2);
      return;
    case 0xdf:
      map(vm, L, c, 4);
      return;
  }
  if ((b & 0x80) === 0) {
    c.pos++;
    vm.pushNumber(L, b);
  } else if ((b & 0xe0) === 0xe0) {
    c.pos++;
    vm.pushNumber(L, b - 256);
  } else if ((b & 0xe0) === 0xa0) raw(vm, L, c, 0);
  else if ((b & 0xf0) === 0x90) array(vm, L, c, 0);
  else if ((b & 0xf0) === 0x80) map(vm, L, c, 0);
  else c.err = BAD_FORMAT;
}

/** The length after a type byte: in its low bits (fix types) or in the next 1, 2 or 4 bytes. */
function length(c: Cursor, bytes: 0 | 1 | 2 | 4, fixMask: number): number | null {
  if (bytes === 0) {
    const n = c.buf[c.pos] & fixMask;
    c.pos++;
    return n;
  }
  if (!need(c, 1 + bytes)) return null;
  const n = c.buf.readUIntBE(c.pos + 1, bytes);
  c.pos += 1 + bytes;
  return n;
}

function raw(vm: LuaVm, L: LuaState, c: Cursor, bytes: 0 | 1 | 2 | 4): void {
  const start = c.pos;
  const n = length(c, bytes, 0x1f);
  if (n === null) return;
  if (!need(c, n)) {
    c.pos = start;
    return;
  }
  vm.pushBytes(L, c.buf, c.pos, c.pos + n);
  c.pos += n;
}

function array(vm: LuaVm, L: LuaState, c: Cursor, bytes: 0 | 2 | 4): void {
  const n = length(c, bytes, 0x0f);
  if (n === null) return;
  vm.newTable(L);
  for (let j = 1; j <= n; j++) {
    vm.pushNumber(L, j);
    decode(vm, L, c);
    if (c.err !== 0) return;
    vm.setTable(L, -3);
  }
}

function map(vm: LuaVm, L: LuaState, c: Cursor, bytes: 0 | 2 | 4): void {
  const n = length(c, bytes, 0x0f);
  if (n === null) return;
  vm.newTable(L);
  for (let j = 0; j < n; j++) {
    decode(vm, L, c);
    if (c.err !== 0) return;
    decode(vm, L, c);
    if (c.err !== 0) return;
    vm.setTable(L, -3);
  }
}

/** mp_unpack_full: limit values from offset (0, 0: all of them, without the offset result). */
function unpackFull(vm: LuaVm, L: LuaState, limit: number, offset: number): number {
  const s = vm.checkBytes(L, 1);
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0) {
    return vm.raiseMessage(
      L,
      `Invalid request to unpack with offset of ${offset} and limit of ${s.length}.`,
      true,
    );
  }
  if (offset > s.length) {
    return vm.raiseMessage(L, `Start offset ${offset} greater than input length ${s.length}.`, true);
  }
  if (decodeAll) limit = Number.MAX_SAFE_INTEGER;
  const c: Cursor = { buf: s, pos: offset, end: s.length, err: 0 };
  let count = 0;
  for (; c.pos < c.end && count < limit; count++) {
    decode(vm, L, c);
    if (c.err === EOF) return vm.raiseMessage(L, 'Missing bytes in input.', true);
    if (c.err === BAD_FORMAT) return vm.raiseMessage(L, 'Bad data format in input.', true);
  }
  if (!decodeAll) {
    vm.pushNumber(L, c.pos === c.end ? -1 : c.pos);
    vm.insert(L, 2);
    count++;
  }
  return count;
}

export function cmsgpackLibrary(vm: LuaVm): LibraryMembers {
  return {
    _NAME: 'cmsgpack',
    _VERSION: 'lua-cmsgpack 0.4.0',
    _COPYRIGHT: 'Copyright (C) 2012, Salvatore Sanfilippo',
    _DESCRIPTION: 'MessagePack C implementation for Lua',
    pack: (L) => {
      const argc = vm.top(L);
      if (argc === 0) return vm.argError(L, 0, 'MessagePack pack needs input.');
      const out = new Encoder();
      for (let i = 1; i <= argc; i++) {
        vm.pushValue(L, i);
        encode(vm, L, out, 0);
        vm.pop(L);
      }
      vm.pushBytes(L, out.result());
      return 1;
    },
    unpack: (L) => unpackFull(vm, L, 0, 0),
    unpack_one: (L) => {
      const offset = vm.optInteger(L, 2, 0);
      vm.setTop(L, 1);
      return unpackFull(vm, L, 1, offset);
    },
    unpack_limit: (L) => {
      const limit = vm.checkInteger(L, 2);
      const offset = vm.optInteger(L, 3, 0);
      vm.setTop(L, 1);
      return unpackFull(vm, L, limit, offset);
    },
  };
}
