/**
 * Conversions between Redis replies and Lua values, as Redis 7.0's script_lua.c does them: a
 * command's RESP reply becomes Lua values (redisProtocolToLuaType), a script's return value
 * becomes the caller's reply (luaReplyToRedisReply).
 */
import type { Reply } from '../protocol/reply.js';
import { type LuaState, LuaType, type LuaVm } from './lua-vm.js';

const CR = 0x0d;
const INT64_MIN = '-9223372036854775808';
const TWO_63 = 2 ** 63;

/** Where the line starting at pos ends (the index of its \r). */
function lineEnd(buf: Buffer, pos: number): number {
  let i = pos;
  while (buf[i] !== CR) i++;
  return i;
}

/** Pushes the Lua value of a "-CODE message" error line: {err = "CODE message"} (luaPushErrorBuff). */
export function pushErrorTable(vm: LuaVm, L: LuaState, text: string, ignoreStats: boolean): void {
  let code = 'ERR';
  let msg = text;
  if (text.startsWith('-')) {
    const space = text.indexOf(' ');
    if (space < 0) msg = text.slice(1);
    else {
      code = text.slice(1, space);
      msg = text.slice(space + 1);
    }
  }
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, '');
  vm.newTable(L, 0, 2);
  vm.pushString(L, `${code} ${msg}`);
  vm.setField(L, -2, 'err');
  if (ignoreStats) {
    vm.pushBoolean(L, true);
    vm.setField(L, -2, 'ignore_error_stats_update');
  }
}

/**
 * Pushes the value of the RESP reply at buf[pos] and returns where it ends; with push false the
 * reply is only skipped (an attribute's contents).
 */
export function pushReply(vm: LuaVm, L: LuaState, buf: Buffer, pos: number, push = true): number {
  const type = buf[pos];
  // The most common replies without building a string of the line: small integers.
  if (type === 0x3a && push) {
    let i = pos + 1;
    const negative = buf[i] === 0x2d;
    if (negative) i++;
    let n = 0;
    let digits = 0;
    while (buf[i] !== CR && digits < 15) {
      n = n * 10 + buf[i++] - 0x30;
      digits++;
    }
    if (buf[i] === CR) {
      vm.pushNumber(L, negative ? -n : n);
      return i + 2;
    }
  }
  const end = lineEnd(buf, pos + 1);
  const line = buf.toString('latin1', pos + 1, end);
  const next = end + 2;
  vm.checkStack(L, 5);
  switch (type) {
    case 0x2b: // + status: {ok = "…"}
      if (push) {
        vm.newTable(L, 0, 1);
        vm.pushString(L, line);
        vm.setField(L, -2, 'ok');
      }
      return next;
    case 0x2d: // - error
      if (push) pushErrorTable(vm, L, `-${line}`, true);
      return next;
    case 0x3a: // : integer
      if (push) vm.pushNumber(L, Number(line));
      return next;
    case 0x24: // $ bulk, $-1 null: false
    case 0x3d: {
      // = verbatim: {verbatim_string = {format = "txt", string = "…"}}
      const n = Number(line);
      if (n < 0) {
        if (push) vm.pushBoolean(L, false);
        return next;
      }
      if (push) {
        if (type === 0x24) vm.pushBytes(L, buf, next, next + n);
        else {
          vm.newTable(L, 0, 1);
          vm.newTable(L, 0, 2);
          vm.pushBytes(L, buf, next + 4, next + n);
          vm.setField(L, -2, 'string');
          vm.pushBytes(L, buf, next, next + 3);
          vm.setField(L, -2, 'format');
          vm.setField(L, -2, 'verbatim_string');
        }
      }
      return next + n + 2;
    }
    case 0x2a: {
      // * array (*-1: false)
      const n = Number(line);
      if (n < 0) {
        if (push) vm.pushBoolean(L, false);
        return next;
      }
      if (push) vm.newTable(L, n, 0);
      let at = next;
      for (let j = 1; j <= n; j++) {
        if (push) vm.pushNumber(L, j);
        at = pushReply(vm, L, buf, at, push);
        if (push) vm.setTable(L, -3);
      }
      return at;
    }
    case 0x25: // % map: {map = {k = v}}
    case 0x7e: {
      // ~ set: {set = {member = true}}
      const n = Number(line);
      if (push) {
        vm.newTable(L, 0, 1);
        vm.newTable(L, 0, n);
      }
      let at = next;
      for (let j = 0; j < n; j++) {
        at = pushReply(vm, L, buf, at, push);
        if (type === 0x25) at = pushReply(vm, L, buf, at, push);
        else if (push) vm.pushBoolean(L, true);
        if (push) vm.setTable(L, -3);
      }
      if (push) vm.setField(L, -2, type === 0x25 ? 'map' : 'set');
      return at;
    }
    case 0x5f: // _ null: nil
      if (push) vm.pushNil(L);
      return next;
    case 0x23: // # boolean
      if (push) vm.pushBoolean(L, line === 't');
      return next;
    case 0x2c: // , double: {double = n}
      if (push) {
        vm.newTable(L, 0, 1);
        vm.pushNumber(L, parseRespDouble(line));
        vm.setField(L, -2, 'double');
      }
      return next;
    case 0x28: // ( big number: {big_number = "…"}
      if (push) {
        vm.newTable(L, 0, 1);
        vm.pushString(L, line);
        vm.setField(L, -2, 'big_number');
      }
      return next;
    case 0x7c: {
      // | attribute: not shown to scripts; the reply after it is
      let at = next;
      for (let j = 0; j < Number(line) * 2; j++) at = pushReply(vm, L, buf, at, false);
      return pushReply(vm, L, buf, at, push);
    }
    default:
      throw new Error(`unexpected reply type ${String.fromCharCode(type)} from a script's command`);
  }
}

function parseRespDouble(s: string): number {
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  if (s === 'nan' || s === '-nan') return Number.NaN;
  return Number(s);
}

/** C's (long long) of a double on x86-64: truncation, INT64_MIN when out of range or NaN. */
export function luaNumberToInteger(n: number): number | bigint | string {
  if (!(n >= -TWO_63 && n < TWO_63)) return INT64_MIN;
  const t = Math.trunc(n);
  return Number.isSafeInteger(t) ? t : BigInt(t);
}

/** The error of a script's reply or failure, written by the engine (stats may already count it). */
export type ErrorWriter = (msg: string, ignoreStats: boolean) => void;

/** Error reply texts never hold line breaks (addReplyErrorFormat maps them to spaces). */
export function oneLine(s: string): string {
  return s.replace(/[\r\n]/g, ' ');
}

/**
 * luaReplyToRedisReply: writes the value on top of the stack to reply and pops it. scriptResp is
 * the protocol the script chose (booleans are 1/null under RESP2).
 */
export function replyFromLua(
  vm: LuaVm,
  L: LuaState,
  reply: Reply,
  scriptResp: 2 | 3,
  writeError: ErrorWriter,
): void {
  if (!vm.checkStack(L, 4)) {
    writeError('ERR reached lua stack limit', false);
    vm.pop(L);
    return;
  }
  switch (vm.type(L, -1)) {
    case LuaType.string:
      reply.bulk(vm.toString(L, -1)!);
      break;
    case LuaType.boolean:
      if (scriptResp === 2) {
        if (vm.toBoolean(L, -1)) reply.integer(1);
        else reply.nil();
      } else reply.bool(vm.toBoolean(L, -1));
      break;
    case LuaType.number: {
      const v = luaNumberToInteger(vm.toNumber(L, -1));
      if (typeof v === 'string') reply.integer(BigInt(v));
      else reply.integer(v);
      break;
    }
    case LuaType.table:
      tableReply(vm, L, reply, scriptResp, writeError);
      return;
    default:
      reply.nil();
  }
  vm.pop(L);
}

/** The field of the table on top of the stack, pushed, and its type. */
function field(vm: LuaVm, L: LuaState, name: string): number {
  vm.getField(L, -1, name);
  return vm.type(L, -1);
}

function tableReply(vm: LuaVm, L: LuaState, reply: Reply, resp: 2 | 3, writeError: ErrorWriter): void {
  if (field(vm, L, 'err') === LuaType.string) {
    const msg = vm.toString(L, -1)!;
    vm.pop(L);
    const ignore = field(vm, L, 'ignore_error_stats_update') === LuaType.boolean && vm.toBoolean(L, -1);
    vm.pop(L, 2);
    writeError(oneLine(cString(msg)), ignore);
    return;
  }
  vm.pop(L);
  if (field(vm, L, 'ok') === LuaType.string) {
    reply.simple(oneLine(cString(vm.toString(L, -1)!)));
    vm.pop(L, 2);
    return;
  }
  vm.pop(L);
  if (field(vm, L, 'double') === LuaType.number) {
    reply.double(vm.toNumber(L, -1));
    vm.pop(L, 2);
    return;
  }
  vm.pop(L);
  if (field(vm, L, 'big_number') === LuaType.string) {
    reply.bigNumber(oneLine(vm.toString(L, -1)!));
    vm.pop(L, 2);
    return;
  }
  vm.pop(L);
  if (field(vm, L, 'verbatim_string') === LuaType.table) {
    if (field(vm, L, 'format') === LuaType.string) {
      const format = cString(vm.toString(L, -1)!);
      vm.getField(L, -2, 'string');
      if (vm.type(L, -1) === LuaType.string) {
        reply.verbatim(vm.toString(L, -1)!, format);
        vm.pop(L, 4);
        return;
      }
      vm.pop(L);
    }
    vm.pop(L);
  }
  vm.pop(L);
  for (const kind of ['map', 'set'] as const) {
    if (field(vm, L, kind) === LuaType.table) {
      let n = 0;
      vm.pushNil(L);
      while (vm.next(L, -2)) {
        vm.pop(L);
        n++;
      }
      if (kind === 'map') reply.map(n);
      else reply.set(n);
      vm.pushNil(L);
      while (vm.next(L, -2)) {
        if (kind === 'map') {
          vm.pushValue(L, -2);
          replyFromLua(vm, L, reply, resp, writeError); // the key
          replyFromLua(vm, L, reply, resp, writeError); // the value
        } else {
          vm.pop(L);
          vm.pushValue(L, -1);
          replyFromLua(vm, L, reply, resp, writeError);
        }
      }
      vm.pop(L, 2);
      return;
    }
    vm.pop(L);
  }
  // An array: elements 1, 2, … up to the first nil.
  let n = 0;
  for (;;) {
    vm.pushNumber(L, n + 1);
    vm.getTable(L, -2);
    const t = vm.type(L, -1);
    vm.pop(L);
    if (t === LuaType.nil) break;
    n++;
  }
  reply.array(n);
  for (let j = 1; j <= n; j++) {
    vm.pushNumber(L, j);
    vm.getTable(L, -2);
    replyFromLua(vm, L, reply, resp, writeError);
  }
  vm.pop(L);
}

/** What C sees of a Lua string: up to its first NUL byte. */
export function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}
