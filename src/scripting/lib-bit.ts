/**
 * The `bit` library Redis bundles (LuaBitOp 1.0): 32-bit operations on Lua numbers, results as
 * signed 32-bit numbers, arguments reduced modulo 2^32 as LuaBitOp does (through 2^52 + 2^51).
 */
import type { LuaFunction, LuaState, LuaVm } from './lua-vm.js';
import type { LibraryMembers } from './sandbox.js';

const TRICK = new Float64Array(1);
const WORDS = new Int32Array(TRICK.buffer);

/** LuaBitOp's barg: the number's value modulo 2^32, rounded as the FPU rounds. */
function toBits(n: number): number {
  TRICK[0] = n + 6755399441055744.0;
  return WORDS[0];
}

export function bitLibrary(vm: LuaVm): LibraryMembers {
  const arg = (L: LuaState, n: number) => toBits(vm.checkNumber(L, n));
  const ret = (L: LuaState, b: number) => {
    vm.pushNumber(L, b | 0);
    return 1;
  };
  /** band/bor/bxor take one or more arguments. */
  const fold = (op: (a: number, b: number) => number): LuaFunction => {
    return (L) => {
      let b = arg(L, 1);
      for (let i = vm.top(L); i > 1; i--) b = op(b, arg(L, i));
      return ret(L, b);
    };
  };
  const shift = (op: (b: number, n: number) => number): LuaFunction => {
    return (L) => ret(L, op(arg(L, 1), arg(L, 2) & 31));
  };
  return {
    tobit: (L) => ret(L, arg(L, 1)),
    bnot: (L) => ret(L, ~arg(L, 1)),
    band: fold((a, b) => a & b),
    bor: fold((a, b) => a | b),
    bxor: fold((a, b) => a ^ b),
    lshift: shift((b, n) => b << n),
    rshift: shift((b, n) => b >>> n),
    arshift: shift((b, n) => b >> n),
    rol: shift((b, n) => (b << n) | (b >>> (32 - n))),
    ror: shift((b, n) => (b >>> n) | (b << (32 - n))),
    bswap: (L) => {
      const b = arg(L, 1);
      return ret(L, ((b >>> 24) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24)) >>> 0);
    },
    tohex: (L) => {
      let b = arg(L, 1) >>> 0;
      let n = vm.top(L) < 2 ? 8 : arg(L, 2);
      const digits = n < 0 ? '0123456789ABCDEF' : '0123456789abcdef';
      if (n < 0) n = -n;
      if (n > 8) n = 8;
      let out = '';
      for (let i = 0; i < n; i++) {
        out = digits[b & 15] + out;
        b >>>= 4;
      }
      vm.pushString(L, out);
      return 1;
    },
  };
}
