/**
 * lua-cjson 2.1.0's encoder: arrays when the keys are 1..n and not excessively sparse (else objects,
 * or the error), numbers with %.14g (NaN and Inf by encode_invalid_numbers), '/' escaped, null for
 * nil and cjson.null, and its errors.
 */
import { formatG } from '../lib/numbers.js';
import type { Settings } from './cjson-settings.js';
import { type LuaState, LuaType, type LuaVm } from './lua-vm.js';

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

export class Encoder {
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
