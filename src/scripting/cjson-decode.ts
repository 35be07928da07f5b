/**
 * lua-cjson 2.1.0's decoder: its tokens (T_OBJ_BEGIN …), strtod numbers (hex, inf and nan with
 * decode_invalid_numbers), \u escapes with surrogate pairs, the nesting limit, and its error
 * texts with their character positions.
 */
import type { Settings } from './cjson-settings.js';
import type { LuaState, LuaVm } from './lua-vm.js';

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

export class Decoder {
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
