/**
 * The `struct` library Redis bundles (Roberto Ierusalimschy's struct): pack, unpack and size of
 * binary records, with the sizes of Redis's x86-64 build (long and size_t 8 bytes, int 4, native
 * little-endian, alignment up to 8 with `!`).
 */
import type { LuaState, LuaVm } from './lua-vm.js';
import type { LibraryMembers } from './sandbox.js';

const MAXINTSIZE = 32;
const MAXALIGN = 8;
const SIZES: Record<string, number> = { b: 1, B: 1, h: 2, H: 2, l: 8, L: 8, T: 8, f: 4, d: 8, x: 1 };
const INTEGER_OPTIONS = 'bBhHlLTiI';

interface Header {
  little: boolean;
  align: number;
}

class Format {
  pos = 0;
  constructor(
    private readonly vm: LuaVm,
    private readonly L: LuaState,
    readonly text: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.text.length || this.text.charCodeAt(this.pos) === 0;
  }

  next(): string {
    return this.text[this.pos++];
  }

  /** getnum: the digits at the current position, or df. */
  number(df: number): number {
    const isDigit = () =>
      this.pos < this.text.length && this.text[this.pos] >= '0' && this.text[this.pos] <= '9';
    if (!isDigit()) return df;
    let a = 0;
    do {
      const d = this.text.charCodeAt(this.pos++) - 48;
      if (a > Math.floor(2147483647 / 10) || a * 10 > 2147483647 - d) {
        this.vm.raiseMessage(this.L, 'integral size overflow', true);
      }
      a = a * 10 + d;
    } while (isDigit());
    return a;
  }

  /** optsize: the size of an option's item (0 for the control options). */
  size(opt: string): number {
    const fixed = SIZES[opt];
    if (fixed !== undefined) return fixed;
    if (opt === 'c') return this.number(1);
    if (opt === 'i' || opt === 'I') {
      const size = this.number(4);
      if (size > MAXINTSIZE) {
        this.vm.raiseMessage(this.L, `integral size ${size} is larger than limit of ${MAXINTSIZE}`, true);
      }
      return size;
    }
    return 0;
  }

  /** controloptions: spaces, endianness, alignment; anything else is an invalid option. */
  control(opt: string, h: Header): void {
    if (opt === ' ') return;
    if (opt === '>') h.little = false;
    else if (opt === '<') h.little = true;
    else if (opt === '!') {
      const a = this.number(MAXALIGN);
      if ((a & (a - 1)) !== 0 || a === 0)
        this.vm.raiseMessage(this.L, `alignment ${a} is not a power of 2`, true);
      h.align = a;
    } else this.vm.argError(this.L, 1, `invalid format option '${opt}'`);
  }
}

/** gettoalign: padding before an item of this size at offset len. */
function padding(len: number, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === 'c') return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function integerBytes(n: number, size: number, little: boolean): Buffer {
  let value = BigInt.asUintN(64, BigInt(Math.trunc(Number.isFinite(n) ? n : 0)));
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) {
    out[little ? i : size - 1 - i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

function readInteger(data: Buffer, at: number, size: number, little: boolean, signed: boolean): number {
  let l = 0n;
  for (let i = 0; i < size; i++)
    l = ((l << 8n) | BigInt(data[little ? at + size - 1 - i : at + i])) & 0xffffffffffffffffn;
  if (!signed) return Number(l);
  const bits = BigInt(Math.min(size * 8, 64));
  return Number(BigInt.asIntN(Number(bits), l));
}

export function structLibrary(vm: LuaVm): LibraryMembers {
  return {
    pack: (L) => {
      const fmt = new Format(vm, L, vm.checkString(L, 1));
      // b_pack's mark between the arguments and its buffer: a missing argument reads as nil.
      vm.pushNil(L);
      const h: Header = { little: true, align: 1 };
      const parts: Buffer[] = [];
      let arg = 2;
      let total = 0;
      while (!fmt.done) {
        const opt = fmt.next();
        let size = fmt.size(opt);
        const pad = padding(total, h, opt, size);
        total += pad;
        if (pad > 0) parts.push(Buffer.alloc(pad));
        if (INTEGER_OPTIONS.includes(opt)) parts.push(integerBytes(vm.checkNumber(L, arg++), size, h.little));
        else if (opt === 'x') parts.push(Buffer.alloc(1));
        else if (opt === 'f' || opt === 'd') {
          const b = Buffer.alloc(size);
          const n = vm.checkNumber(L, arg++);
          if (opt === 'f') (h.little ? b.writeFloatLE : b.writeFloatBE).call(b, Math.fround(n));
          else (h.little ? b.writeDoubleLE : b.writeDoubleBE).call(b, n);
          parts.push(b);
        } else if (opt === 'c' || opt === 's') {
          const s = vm.checkBytes(L, arg++);
          if (size === 0) size = s.length;
          if (!(s.length >= size)) vm.argError(L, arg, 'string too short');
          parts.push(s.subarray(0, size));
          if (opt === 's') {
            parts.push(Buffer.alloc(1));
            size++;
          }
        } else fmt.control(opt, h);
        total += size;
      }
      vm.pushBytes(L, Buffer.concat(parts));
      return 1;
    },
    unpack: (L) => {
      const fmt = new Format(vm, L, vm.checkString(L, 1));
      const data = vm.checkBytes(L, 2);
      let pos = vm.optInteger(L, 3, 1);
      if (!(pos > 0)) vm.argError(L, 3, 'offset must be 1 or greater');
      pos--;
      const h: Header = { little: true, align: 1 };
      let n = 0;
      while (!fmt.done) {
        const opt = fmt.next();
        let size = fmt.size(opt);
        pos += padding(pos, h, opt, size);
        if (!(size <= data.length && pos <= data.length - size)) vm.argError(L, 2, 'data string too short');
        if (!vm.checkStack(L, 2)) vm.raiseMessage(L, 'stack overflow (too many results)', true);
        if (INTEGER_OPTIONS.includes(opt)) {
          vm.pushNumber(L, readInteger(data, pos, size, h.little, opt === opt.toLowerCase()));
          n++;
        } else if (opt === 'x') {
          // padding only
        } else if (opt === 'f') {
          vm.pushNumber(L, h.little ? data.readFloatLE(pos) : data.readFloatBE(pos));
          n++;
        } else if (opt === 'd') {
          vm.pushNumber(L, h.little ? data.readDoubleLE(pos) : data.readDoubleBE(pos));
          n++;
        } else if (opt === 'c') {
          if (size === 0) {
            if (n === 0 || !vm.isNumber(L, -1)) vm.raiseMessage(L, "format 'c0' needs a previous size", true);
            size = Math.trunc(vm.toNumber(L, -1));
            vm.pop(L);
            n--;
            if (!(size <= data.length && pos <= data.length - size))
              vm.argError(L, 2, 'data string too short');
          }
          vm.pushBytes(L, data, pos, pos + size);
          n++;
        } else if (opt === 's') {
          const end = data.indexOf(0, pos);
          if (end < 0) vm.raiseMessage(L, 'unfinished string in data', true);
          size = end - pos + 1;
          vm.pushBytes(L, data, pos, end);
          n++;
        } else fmt.control(opt, h);
        pos += size;
      }
      vm.pushNumber(L, pos + 1);
      return n + 1;
    },
    size: (L) => {
      const fmt = new Format(vm, L, vm.checkString(L, 1));
      const h: Header = { little: true, align: 1 };
      let pos = 0;
      while (!fmt.done) {
        const opt = fmt.next();
        const size = fmt.size(opt);
        pos += padding(pos, h, opt, size);
        if (opt === 's') vm.argError(L, 1, "option 's' has no fixed size");
        else if (opt === 'c' && size === 0) vm.argError(L, 1, "option 'c0' has no fixed size");
        if (!/[0-9A-Za-z]/.test(opt)) fmt.control(opt, h);
        pos += size;
      }
      vm.pushNumber(L, pos);
      return 1;
    },
  };
}
