/**
 * The `cjson` library Redis bundles (lua-cjson 2.1.0): JSON encoding of Lua values (tables as
 * arrays when their keys are 1..n and not too sparse, numbers with %.14g, '/' escaped, null as
 * cjson.null) and a decoder with cjson's tokens, error texts and positions; its settings
 * (encode_sparse_array, encode_max_depth, …) belong to each module table, as cjson.new() makes.
 */
import { formatG } from '../lib/numbers.js';
import { LUA_GLOBALSINDEX, type LuaFunction, type LuaState, LuaType, type LuaVm } from './lua-vm.js';
import type { LibraryBuilder } from './sandbox.js';

interface Settings {
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  precision: number;
  keepBuffer: boolean;
  /** 0 off (an error), 1 on (NaN, Infinity), 2 null. */
  invalidNumbers: number;
  decodeInvalidNumbers: boolean;
}

const defaults = (): Settings => ({
  sparseConvert: false,
  sparseRatio: 2,
  sparseSafe: 10,
  encodeMaxDepth: 1000,
  decodeMaxDepth: 1000,
  precision: 14,
  keepBuffer: true,
  invalidNumbers: 0,
  decodeInvalidNumbers: true,
});

const INT_MAX = 2147483647;
/** lua_upvalueindex(1): each function's settings, as a light userdata id. */
const UPVALUE_1 = LUA_GLOBALSINDEX - 1;

/** char2escape: what a byte becomes inside a JSON string (undefined: itself). */
const ESCAPES: (string | undefined)[] = [];
for (let c = 0; c < 32; c++) ESCAPES[c] = `\\u00${c.toString(16).padStart(2, '0')}`;
Object.assign(ESCAPES, {
  8: '\\b',
  9: '\\t',
  10: '\\n',
  12: '\\f',
  13: '\\r',
  34: '\\"',
  47: '\\/',
  92: '\\\\',
});
ESCAPES[127] = '\\u007f';

function quote(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const e = ESCAPES[s.charCodeAt(i)];
    if (e !== undefined) {
      out += s.slice(from, i) + e;
      from = i + 1;
    }
  }
  return `${out}${s.slice(from)}"`;
}

const TOKEN_NAMES = [
  'T_OBJ_BEGIN',
  'T_OBJ_END',
  'T_ARR_BEGIN',
  'T_ARR_END',
  'T_STRING',
  'T_NUMBER',
  'T_BOOLEAN',
  'T_NULL',
  'T_COLON',
  'T_COMMA',
  'T_END',
  'T_WHITESPACE',
  'T_ERROR',
  'T_UNKNOWN',
] as const;
type TokenType = (typeof TOKEN_NAMES)[number];

interface Token {
  type: TokenType;
  /** 0-based offset where it starts (where an error was found, for T_ERROR). */
  index: number;
  string?: Buffer;
  number?: number;
  boolean?: boolean;
  error?: string;
}

const SINGLE: Record<number, TokenType> = {
  123: 'T_OBJ_BEGIN',
  125: 'T_OBJ_END',
  91: 'T_ARR_BEGIN',
  93: 'T_ARR_END',
  58: 'T_COLON',
  44: 'T_COMMA',
};
const ESCAPE_CHARS: Record<number, number> = {
  34: 0x22,
  92: 0x5c,
  47: 0x2f,
  98: 8,
  116: 9,
  110: 10,
  102: 12,
  114: 13,
};

const DECIMAL = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/;
const HEX = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?/;
const INFINITE = /^([+-]?)inf(?:inity)?/i;
const NAN = /^[+-]?nan(?:\([0-9a-zA-Z_]*\))?/i;

/** C's strtod on the text at the start of s: the value and how many chars it used (0: none). */
function strtod(s: string): { value: number; used: number } {
  let m = HEX.exec(s);
  if (m !== null) {
    const sign = m[0].startsWith('-') ? -1 : 1;
    const body = m[0].replace(/^[+-]?0[xX]/, '');
    const [mantissa, exp] = body.split(/[pP]/);
    const [int, frac = ''] = mantissa.split('.');
    let v = Number.parseInt(int || '0', 16);
    for (let i = 0; i < frac.length; i++) v += Number.parseInt(frac[i], 16) / 16 ** (i + 1);
    return { value: sign * v * 2 ** Number(exp ?? 0), used: m[0].length };
  }
  m = DECIMAL.exec(s);
  if (m !== null) return { value: Number(m[0]), used: m[0].length };
  m = INFINITE.exec(s);
  if (m !== null) return { value: m[1] === '-' ? -Infinity : Infinity, used: m[0].length };
  m = NAN.exec(s);
  if (m !== null) return { value: Number.NaN, used: m[0].length };
  return { value: 0, used: 0 };
}

class Decoder {
  pos = 0;
  depth = 0;
  /** The input up to its first NUL byte, as C sees it. */
  private readonly end: number;

  constructor(
    private readonly vm: LuaVm,
    private readonly L: LuaState,
    private readonly data: Buffer,
    private readonly settings: Settings,
  ) {
    const nul = data.indexOf(0);
    this.end = nul < 0 ? data.length : nul;
  }

  private at(i: number): number {
    return i < this.end ? this.data[i] : 0;
  }

  private startsWith(word: string): boolean {
    return this.data.toString('latin1', this.pos, Math.min(this.end, this.pos + word.length)) === word;
  }

  /** json_is_invalid_number: hex, leading zeros, a leading +, inf and nan. */
  private invalidNumber(): boolean {
    let p = this.pos;
    if (this.at(p) === 0x2b) return true;
    if (this.at(p) === 0x2d) p++;
    const c = this.at(p);
    if (c === 0x30) {
      const c2 = this.at(p + 1);
      return (c2 | 0x20) === 0x78 || (c2 >= 0x30 && c2 <= 0x39);
    }
    if (c <= 0x39) return false;
    const word = this.data.toString('latin1', p, Math.min(this.end, p + 3)).toLowerCase();
    return word === 'inf' || word === 'nan';
  }

  next(): Token {
    for (;;) {
      const c = this.at(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
    const index = this.pos;
    const c = this.at(index);
    if (c === 0) return { type: 'T_END', index };
    const single = SINGLE[c];
    if (single !== undefined) {
      this.pos++;
      return { type: single, index };
    }
    if (c === 0x22) return this.stringToken(index);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      if (!this.settings.decodeInvalidNumbers && this.invalidNumber())
        return this.error(index, 'invalid number');
      return this.numberToken(index);
    }
    if (this.startsWith('true')) {
      this.pos += 4;
      return { type: 'T_BOOLEAN', index, boolean: true };
    }
    if (this.startsWith('false')) {
      this.pos += 5;
      return { type: 'T_BOOLEAN', index, boolean: false };
    }
    if (this.startsWith('null')) {
      this.pos += 4;
      return { type: 'T_NULL', index };
    }
    const unknownStart = 'ftnNiI+'.includes(String.fromCharCode(c));
    if (unknownStart && this.settings.decodeInvalidNumbers && this.invalidNumber())
      return this.numberToken(index);
    return this.error(index, 'invalid token');
  }

  private error(index: number, message: string): Token {
    return { type: 'T_ERROR', index, error: message };
  }

  private numberToken(index: number): Token {
    const text = this.data.toString('latin1', this.pos, Math.min(this.end, this.pos + 400));
    const { value, used } = strtod(text);
    if (used === 0) return this.error(index, 'invalid number');
    this.pos += used;
    return { type: 'T_NUMBER', index, number: value };
  }

  private stringToken(index: number): Token {
    this.pos++;
    const out: number[] = [];
    for (;;) {
      const c = this.at(this.pos);
      if (c === 0x22) break;
      if (c === 0) return this.error(this.pos, 'unexpected end of string');
      if (c === 0x5c) {
        const e = this.at(this.pos + 1);
        if (e === 0x75) {
          if (!this.unicodeEscape(out)) return this.error(this.pos, 'invalid unicode escape code');
          continue;
        }
        const ch = ESCAPE_CHARS[e];
        if (ch === undefined) return this.error(this.pos, 'invalid escape code');
        out.push(ch);
        this.pos += 2;
        continue;
      }
      out.push(c);
      this.pos++;
    }
    this.pos++;
    return { type: 'T_STRING', index, string: Buffer.from(out) };
  }

  private hex4(at: number): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const d = Number.parseInt(String.fromCharCode(this.at(at + i)), 16);
      if (Number.isNaN(d)) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  /** json_append_unicode_escape: \uXXXX (and a surrogate pair) as UTF-8. */
  private unicodeEscape(out: number[]): boolean {
    let cp = this.hex4(this.pos + 2);
    if (cp < 0) return false;
    let length = 6;
    if ((cp & 0xf800) === 0xd800) {
      if (cp & 0x400) return false;
      if (this.at(this.pos + 6) !== 0x5c || this.at(this.pos + 7) !== 0x75) return false;
      const low = this.hex4(this.pos + 8);
      if (low < 0 || (low & 0xfc00) !== 0xdc00) return false;
      cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
      length = 12;
    }
    out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
    this.pos += length;
    return true;
  }

  fail(expected: string, token: Token): never {
    const found = token.type === 'T_ERROR' ? token.error! : token.type;
    return this.vm.raiseMessage(
      this.L,
      `Expected ${expected} but found ${found} at character ${token.index + 1}`,
      true,
    );
  }

  private descend(slots: number): void {
    this.depth++;
    if (this.depth <= this.settings.decodeMaxDepth && this.vm.checkStack(this.L, slots)) return;
    this.vm.raiseMessage(
      this.L,
      `Found too many nested data structures (${this.depth}) at character ${this.pos}`,
      true,
    );
  }

  value(token: Token): void {
    const vm = this.vm;
    const L = this.L;
    switch (token.type) {
      case 'T_STRING':
        vm.pushBytes(L, token.string!);
        return;
      case 'T_NUMBER':
        vm.pushNumber(L, token.number!);
        return;
      case 'T_BOOLEAN':
        vm.pushBoolean(L, token.boolean!);
        return;
      case 'T_NULL':
        vm.pushNullUserdata(L);
        return;
      case 'T_OBJ_BEGIN':
        this.object();
        return;
      case 'T_ARR_BEGIN':
        this.array();
        return;
      default:
        this.fail('value', token);
    }
  }

  private object(): void {
    const vm = this.vm;
    this.descend(3);
    vm.newTable(this.L);
    let token = this.next();
    if (token.type === 'T_OBJ_END') {
      this.depth--;
      return;
    }
    for (;;) {
      if (token.type !== 'T_STRING') this.fail('object key string', token);
      vm.pushBytes(this.L, token.string!);
      token = this.next();
      if (token.type !== 'T_COLON') this.fail('colon', token);
      this.value(this.next());
      vm.rawSet(this.L, -3);
      token = this.next();
      if (token.type === 'T_OBJ_END') {
        this.depth--;
        return;
      }
      if (token.type !== 'T_COMMA') this.fail('comma or object end', token);
      token = this.next();
    }
  }

  private array(): void {
    const vm = this.vm;
    this.descend(2);
    vm.newTable(this.L);
    let token = this.next();
    if (token.type === 'T_ARR_END') {
      this.depth--;
      return;
    }
    for (let i = 1; ; i++) {
      this.value(token);
      vm.rawSetI(this.L, -2, i);
      token = this.next();
      if (token.type === 'T_ARR_END') {
        this.depth--;
        return;
      }
      if (token.type !== 'T_COMMA') this.fail('comma or array end', token);
      token = this.next();
    }
  }
}

class Encoder {
  out: string[] = [];

  constructor(
    private readonly vm: LuaVm,
    private readonly L: LuaState,
    private readonly settings: Settings,
  ) {}

  private fail(index: number, reason: string): never {
    const type = this.vm.typeName(this.L, index);
    return this.vm.raiseMessage(this.L, `Cannot serialise ${type}: ${reason}`, true);
  }

  private number(index: number): string {
    const n = this.vm.toNumber(this.L, index);
    if (Number.isFinite(n)) return n === 0 && Object.is(n, -0) ? '-0' : formatG(n, this.settings.precision);
    if (this.settings.invalidNumbers === 0) this.fail(index, 'must not be NaN or Inf');
    if (this.settings.invalidNumbers === 2) return 'null';
    return Number.isNaN(n) ? 'NaN' : n < 0 ? '-Infinity' : 'Infinity';
  }

  /** lua_array_length: the array's length, or -1 for an object (or an error if too sparse). */
  private arrayLength(): number {
    const vm = this.vm;
    const L = this.L;
    let max = 0;
    let items = 0;
    vm.pushNil(L);
    while (vm.next(L, -2)) {
      const k = vm.type(L, -2) === LuaType.number ? vm.toNumber(L, -2) : 0;
      if (k !== 0 && Math.floor(k) === k && k >= 1) {
        if (k > max) max = k;
        items++;
        vm.pop(L);
        continue;
      }
      vm.pop(L, 2);
      return -1;
    }
    const s = this.settings;
    if (s.sparseRatio > 0 && max > items * s.sparseRatio && max > s.sparseSafe) {
      if (!s.sparseConvert) this.fail(-1, 'excessively sparse array');
      return -1;
    }
    return max;
  }

  /** json_append_data: the value on top of the stack. */
  value(depth: number): void {
    const vm = this.vm;
    const L = this.L;
    switch (vm.type(L, -1)) {
      case LuaType.string:
        this.out.push(quote(vm.toString(L, -1)!));
        return;
      case LuaType.number:
        this.out.push(this.number(-1));
        return;
      case LuaType.boolean:
        this.out.push(vm.toBoolean(L, -1) ? 'true' : 'false');
        return;
      case LuaType.nil:
        this.out.push('null');
        return;
      case LuaType.lightuserdata:
        if (vm.isNullUserdata(L, -1)) {
          this.out.push('null');
          return;
        }
        break;
      case LuaType.table: {
        depth++;
        if (depth > this.settings.encodeMaxDepth || !vm.checkStack(L, 3)) {
          vm.raiseMessage(L, `Cannot serialise, excessive nesting (${depth})`, true);
        }
        const length = this.arrayLength();
        if (length > 0) this.array(depth, length);
        else this.object(depth);
        return;
      }
    }
    this.fail(-1, 'type not supported');
  }

  private array(depth: number, length: number): void {
    const vm = this.vm;
    this.out.push('[');
    for (let i = 1; i <= length; i++) {
      if (i > 1) this.out.push(',');
      vm.rawGetI(this.L, -1, i);
      this.value(depth);
      vm.pop(this.L);
    }
    this.out.push(']');
  }

  private object(depth: number): void {
    const vm = this.vm;
    const L = this.L;
    this.out.push('{');
    let comma = false;
    vm.pushNil(L);
    while (vm.next(L, -2)) {
      if (comma) this.out.push(',');
      comma = true;
      const keyType = vm.type(L, -2);
      if (keyType === LuaType.number) this.out.push(`"${this.number(-2)}":`);
      else if (keyType === LuaType.string) this.out.push(`${quote(vm.toString(L, -2)!)}:`);
      else this.fail(-2, 'table key must be a number or string');
      this.value(depth);
      vm.pop(L);
    }
    this.out.push('}');
  }
}

/** The cjson module: a builder that pushes a new module table (cjson.new() makes more). */
export function cjsonLibrary(vm: LuaVm): LibraryBuilder {
  const instances = new Map<number, Settings>();
  let nextId = 1;
  const settingsOf = (L: LuaState) => instances.get(vm.toPointer(L, UPVALUE_1))!;

  /** json_arg_init: at most n arguments, padded with nils. */
  const args = (L: LuaState, n: number) => {
    if (vm.top(L) > n) vm.argError(L, n + 1, 'found too many arguments');
    while (vm.top(L) < n) vm.pushNil(L);
  };
  const integerOption = (
    L: LuaState,
    index: number,
    get: () => number,
    set: (v: number) => void,
    min: number,
    max: number,
  ) => {
    if (vm.type(L, index) !== LuaType.nil) {
      const v = vm.checkInteger(L, index);
      if (!(v >= min && v <= max)) vm.argError(L, 1, `expected integer between ${min} and ${max}`);
      set(v);
    }
    vm.pushNumber(L, get());
  };
  /** json_enum_option for the on/off settings (and "null" for encode_invalid_numbers). */
  const enumOption = (
    L: LuaState,
    index: number,
    get: () => number,
    set: (v: number) => void,
    options: string[],
  ) => {
    if (vm.type(L, index) !== LuaType.nil) {
      if (vm.type(L, index) === LuaType.boolean) set(vm.toBoolean(L, index) ? 1 : 0);
      else {
        const s = vm.checkString(L, index);
        const i = options.indexOf(s);
        if (i < 0) vm.argError(L, index, `invalid option '${s}'`);
        set(i);
      }
    }
    const v = get();
    if (v <= 1) vm.pushBoolean(L, v === 1);
    else vm.pushString(L, options[v]);
  };
  const onOff = ['off', 'on'];

  const functions: Record<string, LuaFunction> = {
    encode: (L) => {
      if (vm.top(L) !== 1) vm.argError(L, 1, 'expected 1 argument');
      const encoder = new Encoder(vm, L, settingsOf(L));
      encoder.value(0);
      vm.pushString(L, encoder.out.join(''));
      return 1;
    },
    decode: (L) => {
      if (vm.top(L) !== 1) vm.argError(L, 1, 'expected 1 argument');
      const data = vm.checkBytes(L, 1);
      if (data.length >= 2 && (data[0] === 0 || data[1] === 0)) {
        vm.raiseMessage(L, 'JSON parser does not support UTF-16 or UTF-32', true);
      }
      const decoder = new Decoder(vm, L, data, settingsOf(L));
      decoder.value(decoder.next());
      const last = decoder.next();
      if (last.type !== 'T_END') decoder.fail('the end', last);
      return 1;
    },
    encode_sparse_array: (L) => {
      const s = settingsOf(L);
      args(L, 3);
      const b = (v: boolean) => (v ? 1 : 0);
      enumOption(
        L,
        1,
        () => b(s.sparseConvert),
        (v) => (s.sparseConvert = v === 1),
        onOff,
      );
      integerOption(
        L,
        2,
        () => s.sparseRatio,
        (v) => (s.sparseRatio = v),
        0,
        INT_MAX,
      );
      integerOption(
        L,
        3,
        () => s.sparseSafe,
        (v) => (s.sparseSafe = v),
        0,
        INT_MAX,
      );
      return 3;
    },
    encode_max_depth: (L) => {
      const s = settingsOf(L);
      args(L, 1);
      integerOption(
        L,
        1,
        () => s.encodeMaxDepth,
        (v) => (s.encodeMaxDepth = v),
        1,
        INT_MAX,
      );
      return 1;
    },
    decode_max_depth: (L) => {
      const s = settingsOf(L);
      args(L, 1);
      integerOption(
        L,
        1,
        () => s.decodeMaxDepth,
        (v) => (s.decodeMaxDepth = v),
        1,
        INT_MAX,
      );
      return 1;
    },
    encode_number_precision: (L) => {
      const s = settingsOf(L);
      args(L, 1);
      integerOption(
        L,
        1,
        () => s.precision,
        (v) => (s.precision = v),
        1,
        14,
      );
      return 1;
    },
    encode_keep_buffer: (L) => {
      const s = settingsOf(L);
      args(L, 1);
      enumOption(
        L,
        1,
        () => (s.keepBuffer ? 1 : 0),
        (v) => (s.keepBuffer = v === 1),
        onOff,
      );
      return 1;
    },
    encode_invalid_numbers: (L) => {
      const s = settingsOf(L);
      args(L, 1);
      enumOption(
        L,
        1,
        () => s.invalidNumbers,
        (v) => (s.invalidNumbers = v),
        ['off', 'on', 'null'],
      );
      return 1;
    },
    decode_invalid_numbers: (L) => {
      const s = settingsOf(L);
      args(L, 1);
      enumOption(
        L,
        1,
        () => (s.decodeInvalidNumbers ? 1 : 0),
        (v) => (s.decodeInvalidNumbers = v === 1),
        onOff,
      );
      return 1;
    },
  };

  /** A module table with settings of its own: its functions carry the settings' id as an upvalue. */
  const pushModule = (L: LuaState) => {
    const id = nextId++;
    instances.set(id, defaults());
    vm.newTable(L);
    for (const [name, fn] of Object.entries(functions)) {
      vm.pushPointer(L, id);
      vm.pushClosure(L, fn, 1);
      vm.setField(L, -2, name);
    }
    vm.pushPointer(L, id);
    vm.pushClosure(L, newModule, 1);
    vm.setField(L, -2, 'new');
    vm.pushString(L, 'cjson');
    vm.setField(L, -2, '_NAME');
    vm.pushString(L, '2.1.0');
    vm.setField(L, -2, '_VERSION');
    vm.pushNullUserdata(L);
    vm.setField(L, -2, 'null');
  };
  const newModule: LuaFunction = (L) => {
    pushModule(L);
    return 1;
  };
  return pushModule;
}
