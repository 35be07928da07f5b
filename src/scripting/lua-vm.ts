/**
 * The one module that knows which Lua VM runs scripts: PUC-Rio Lua 5.1.5 compiled to WebAssembly
 * (the `wasmoon-lua5.1` package), driven through its raw C API exports so that strings stay bytes
 * (latin1 JS strings here, one char per byte, as everywhere in tsredis). Swapping the VM means
 * rewriting this file only. Figures behind the choice are in the README ("Scripting").
 */
import { createRequire } from 'node:module';

/** A lua_State pointer. */
export type LuaState = number;

export const LUA_REGISTRYINDEX = -10000;
export const LUA_GLOBALSINDEX = -10002;
export const LUA_MULTRET = -1;

export const LuaType = {
  none: -1,
  nil: 0,
  boolean: 1,
  lightuserdata: 2,
  number: 3,
  string: 4,
  table: 5,
  function: 6,
  userdata: 7,
  thread: 8,
} as const;

const TYPE_NAMES = [
  'no value',
  'nil',
  'boolean',
  'userdata',
  'number',
  'string',
  'table',
  'function',
  'userdata',
  'thread',
];

/** lua_pcall / lua_resume / luaL_loadbuffer results. */
export const LuaStatus = { ok: 0, yield: 1, errRun: 2, errSyntax: 3, errMem: 4, errErr: 5 } as const;

export const HookMask = { call: 1, ret: 2, line: 4, count: 8 } as const;

/** A C function as Lua sees it: gets the state, returns how many results it pushed. */
export type LuaFunction = (L: LuaState) => number;

interface Emscripten {
  HEAPU8: Uint8Array;
  HEAP32: Int32Array;
  addFunction(fn: (...args: number[]) => number | undefined, signature: string): number;
  [name: `_${string}`]: (...args: number[]) => number;
}

type Instantiate = (...args: unknown[]) => Promise<unknown>;
interface WasmInstance {
  exports: Record<string, unknown>;
}

interface WasmoonPackage {
  LuaApi: { initialize(): Promise<{ module: Emscripten }> };
}

/** What lua_getinfo tells of a stack level. */
export interface FrameInfo {
  source: string;
  currentLine: number;
  what: string;
}

/** lua_Debug on wasm32 (lua.h 5.1): event, name, namewhat, what, source, currentline, … */
const DEBUG_SIZE = 100;
const DEBUG_WHAT = 12;
const DEBUG_SOURCE = 16;
const DEBUG_CURRENTLINE = 20;
/**
 * lua_State on wasm32 (lstate.h 5.1): nCcalls and baseCcalls, the C-call depth now and where the
 * running coroutine started. Equal means no C function (pcall, a metamethod, table.sort …) lies
 * between the hook and the coroutine's base, so lua_yield is allowed. Checked at load.
 */
const STATE_NCCALLS = 52;
const STATE_BASECCALLS = 54;
/** Strings up to this length are copied byte by byte in JS rather than through a Buffer. */
const SHORT = 48;

let loading: Promise<LuaVm> | null = null;

export class LuaVm {
  private readonly m: Emscripten;
  private scratch: number;
  private scratchSize = 4096;
  private readonly lenPtr: number;
  private readonly debugPtr: number;
  private readonly names = new Map<string, number>();
  private readonly functions = new Map<LuaFunction, number>();
  /** Bytes allocated per state (the allocator's user data is the state's slot here). */
  private readonly used: number[] = [];
  private readonly limits: number[] = [];
  private readonly allocator: number;
  private readonly slots = new Map<LuaState, number>();

  private constructor(m: Emscripten) {
    this.m = m;
    this.scratch = m._malloc(this.scratchSize);
    this.lenPtr = m._malloc(4);
    this.debugPtr = m._malloc(DEBUG_SIZE);
    // Lua's lua_Alloc, in JS so every state's memory is counted (used_memory_lua) and bounded.
    this.allocator = m.addFunction((ud: number, ptr: number, osize: number, nsize: number) => {
      if (nsize === 0) {
        if (ptr !== 0) {
          m._free(ptr);
          this.used[ud] -= osize;
        }
        return 0;
      }
      const old = ptr === 0 ? 0 : osize;
      if (nsize > old && this.used[ud] + nsize - old > this.limits[ud]) return 0;
      const out = m._realloc(ptr, nsize);
      if (out !== 0) this.used[ud] += nsize - old;
      return out;
    }, 'iiiii');
  }

  /** Loads the VM once per process (WebAssembly compilation is asynchronous). */
  static load(): Promise<LuaVm> {
    loading ??= (async () => {
      const require = createRequire(import.meta.url);
      const pkg = require('wasmoon-lua5.1') as WasmoonPackage;
      // The package's exported functions check the runtime on every call (and build two template
      // strings doing so): the instance's own exports are called instead, captured as it is made.
      const wasm = (globalThis as unknown as { WebAssembly: { instantiate: Instantiate } }).WebAssembly;
      const instantiate = wasm.instantiate;
      let exports: Record<string, unknown> = {};
      wasm.instantiate = async (...args: unknown[]) => {
        const made = (await instantiate(...args)) as WasmInstance | { instance: WasmInstance };
        exports = ('instance' in made ? made.instance : made).exports;
        return made;
      };
      let api: { module: Emscripten };
      try {
        api = await pkg.LuaApi.initialize();
      } finally {
        wasm.instantiate = instantiate;
      }
      const module = Object.create(api.module) as Emscripten;
      for (const [name, fn] of Object.entries(exports)) {
        if (typeof fn === 'function') (module as unknown as Record<string, unknown>)[`_${name}`] = fn;
      }
      const vm = new LuaVm(module);
      vm.canYield = vm.checkYieldProbe();
      return vm;
    })();
    return loading;
  }

  /** Hooks may yield: the lua_State layout read by yieldable() was confirmed on this build. */
  canYield = false;

  /** Whether a hook running in L may lua_yield now (see STATE_NCCALLS). */
  yieldable(L: LuaState): boolean {
    const heap = this.m.HEAPU8;
    const n = heap[L + STATE_NCCALLS] | (heap[L + STATE_NCCALLS + 1] << 8);
    const base = heap[L + STATE_BASECCALLS] | (heap[L + STATE_BASECCALLS + 1] << 8);
    return this.canYield && n === base && base > 0;
  }

  /** Confirms the nCcalls/baseCcalls offsets: equal in a resumed coroutine, one apart inside pcall. */
  private checkYieldProbe(): boolean {
    const L = this.newState(1 << 20);
    try {
      this.openLibraries(L, ['base']);
      const seen: boolean[] = [];
      this.canYield = true;
      const probe: LuaFunction = (T) => {
        seen.push(this.yieldable(T));
        return 0;
      };
      this.pushFunction(L, probe);
      this.setField(L, LUA_GLOBALSINDEX, 'probe');
      const T = this.newThread(L);
      if (this.load(L, 'probe() pcall(function() probe() end)', '=probe') !== 0) return false;
      this.xmove(L, T, 1);
      const ok = this.resume(T, 0) === 0;
      return ok && seen.length === 2 && seen[0] && !seen[1];
    } finally {
      this.close(L);
    }
  }

  /** lua_newthread: a coroutine, left on L's stack (keep it referenced while in use). */
  newThread(L: LuaState): LuaState {
    return this.m._lua_newthread(L);
  }

  /** lua_xmove: n values from the top of one thread's stack to another's. */
  xmove(from: LuaState, to: LuaState, n: number): void {
    this.m._lua_xmove(from, to, n);
  }

  /** lua_resume: runs the coroutine until it returns (0), yields (1) or fails (an error code). */
  resume(T: LuaState, nargs: number): number {
    return this.m._lua_resume(T, nargs);
  }

  /** lua_yield from a count hook: the coroutine stops after the hook returns. */
  yieldFromHook(T: LuaState): void {
    this.m._lua_yield(T, 0);
  }

  /** lua_tothread: the coroutine at idx (0 if it is none). */
  toThread(L: LuaState, idx: number): LuaState {
    return this.m._lua_tothread(L, idx);
  }

  status(T: LuaState): number {
    return this.m._lua_status(T);
  }

  /** A new state whose allocations are capped at limitBytes (then "not enough memory"). */
  newState(limitBytes: number): LuaState {
    let slot = this.used.indexOf(-1);
    if (slot < 0) slot = this.used.length;
    this.used[slot] = 0;
    this.limits[slot] = limitBytes;
    const L = this.m._lua_newstate(this.allocator, slot);
    if (L === 0) throw new Error('Lua state could not be created');
    this.slots.set(L, slot);
    return L;
  }

  close(L: LuaState): void {
    const slot = this.slots.get(L)!;
    this.m._lua_close(L);
    this.slots.delete(L);
    this.used[slot] = -1;
  }

  /** Bytes the state has allocated. */
  memory(L: LuaState): number {
    return this.used[this.slots.get(L)!];
  }

  setMemoryLimit(L: LuaState, bytes: number): void {
    this.limits[this.slots.get(L)!] = bytes;
  }

  /** Opens Lua's own libraries (base includes coroutine), as luaL_openlibs would one by one. */
  openLibraries(L: LuaState, names: readonly ('base' | 'table' | 'string' | 'math' | 'debug')[]): void {
    const top = this.top(L);
    for (const name of names) this.m[`_luaopen_${name}`](L);
    this.setTop(L, top);
  }

  // --- the stack ---

  top(L: LuaState): number {
    return this.m._lua_gettop(L);
  }

  setTop(L: LuaState, n: number): void {
    this.m._lua_settop(L, n);
  }

  pop(L: LuaState, n = 1): void {
    this.m._lua_settop(L, -n - 1);
  }

  pushValue(L: LuaState, idx: number): void {
    this.m._lua_pushvalue(L, idx);
  }

  insert(L: LuaState, idx: number): void {
    this.m._lua_insert(L, idx);
  }

  remove(L: LuaState, idx: number): void {
    this.m._lua_remove(L, idx);
  }

  checkStack(L: LuaState, n: number): boolean {
    return this.m._lua_checkstack(L, n) !== 0;
  }

  type(L: LuaState, idx: number): number {
    return this.m._lua_type(L, idx);
  }

  replace(L: LuaState, idx: number): void {
    this.m._lua_replace(L, idx);
  }

  /** lua_isnumber: a number or a string convertible to one. */
  isNumber(L: LuaState, idx: number): boolean {
    return this.m._lua_isnumber(L, idx) !== 0;
  }

  typeName(L: LuaState, idx: number): string {
    return TYPE_NAMES[this.type(L, idx) + 1];
  }

  /** luaL_checknumber: the argument, or Lua's own "bad argument" error (raised, unwinding JS). */
  checkNumber(L: LuaState, arg: number): number {
    return this.m._luaL_checknumber(L, arg);
  }

  /** luaL_checkinteger (a C int on this 32-bit VM, as luaL_checkint). */
  checkInteger(L: LuaState, arg: number): number {
    return this.m._luaL_checkinteger(L, arg);
  }

  optInteger(L: LuaState, arg: number, def: number): number {
    return this.m._luaL_optinteger(L, arg, def);
  }

  /** luaL_checklstring as a latin1 string. */
  checkString(L: LuaState, arg: number): string {
    this.m._luaL_checklstring(L, arg, this.lenPtr);
    return this.toString(L, arg)!;
  }

  /** luaL_checklstring as bytes (a copy). */
  checkBytes(L: LuaState, arg: number): Buffer {
    const p = this.m._luaL_checklstring(L, arg, this.lenPtr);
    const n = this.m.HEAP32[this.lenPtr >> 2];
    return Buffer.from(this.m.HEAPU8.subarray(p, p + n));
  }

  /** Raises msg as a string error; withWhere prefixes the caller's position as luaL_error does. */
  raiseMessage(L: LuaState, msg: string, withWhere = false): never {
    if (withWhere) this.m._luaL_where(L, 1);
    this.pushString(L, msg);
    if (withWhere) this.m._lua_concat(L, 2);
    return this.error(L);
  }

  /** luaL_argerror: "bad argument #arg to 'name' (message)", raised. */
  argError(L: LuaState, arg: number, message: string): never {
    this.m._luaL_argerror(L, arg, this.name(message));
    throw new Error('unreachable: luaL_argerror returned');
  }

  pushNil(L: LuaState): void {
    this.m._lua_pushnil(L);
  }

  pushNumber(L: LuaState, n: number): void {
    this.m._lua_pushnumber(L, n);
  }

  pushBoolean(L: LuaState, b: boolean): void {
    this.m._lua_pushboolean(L, b ? 1 : 0);
  }

  /** Pushes a latin1 string (one byte per char). */
  pushString(L: LuaState, s: string): void {
    const n = s.length;
    const p = this.room(n);
    const heap = this.m.HEAPU8;
    if (n <= SHORT) for (let i = 0; i < n; i++) heap[p + i] = s.charCodeAt(i);
    else heap.set(Buffer.from(s, 'latin1'), p);
    this.m._lua_pushlstring(L, p, n);
  }

  pushBytes(L: LuaState, b: Uint8Array, start = 0, end = b.length): void {
    const n = end - start;
    const p = this.room(n);
    this.m.HEAPU8.set(b.subarray(start, end), p);
    this.m._lua_pushlstring(L, p, n);
  }

  toNumber(L: LuaState, idx: number): number {
    return this.m._lua_tonumber(L, idx);
  }

  toBoolean(L: LuaState, idx: number): boolean {
    return this.m._lua_toboolean(L, idx) !== 0;
  }

  /** lua_tolstring as a latin1 string (a number is converted in place, as in C), or null. */
  toString(L: LuaState, idx: number): string | null {
    const p = this.m._lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.m.HEAP32[this.lenPtr >> 2];
    const heap = this.m.HEAPU8;
    if (n <= SHORT) {
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(heap[p + i]);
      return s;
    }
    return Buffer.from(heap.buffer, heap.byteOffset + p, n).toString('latin1');
  }

  /** What tostring shows of a value (addresses as this VM prints them). */
  toDisplay(L: LuaState, idx: number): string {
    const t = this.type(L, idx);
    if (t === LuaType.string || t === LuaType.number) {
      this.pushValue(L, idx);
      const s = this.toString(L, -1)!;
      this.pop(L);
      return s;
    }
    if (t === LuaType.nil || t === LuaType.none) return 'nil';
    if (t === LuaType.boolean) return this.toBoolean(L, idx) ? 'true' : 'false';
    return `${this.typeName(L, idx)}: 0x${(this.m._lua_topointer(L, idx) >>> 0).toString(16)}`;
  }

  objLen(L: LuaState, idx: number): number {
    return this.m._lua_objlen(L, idx);
  }

  // --- tables ---

  newTable(L: LuaState, narr = 0, nrec = 0): void {
    this.m._lua_createtable(L, narr, nrec);
  }

  getField(L: LuaState, idx: number, name: string): void {
    this.m._lua_getfield(L, idx, this.name(name));
  }

  setField(L: LuaState, idx: number, name: string): void {
    this.m._lua_setfield(L, idx, this.name(name));
  }

  /** lua_gettable / lua_settable: with metamethods, as Redis reads script replies. */
  getTable(L: LuaState, idx: number): void {
    this.m._lua_gettable(L, idx);
  }

  setTable(L: LuaState, idx: number): void {
    this.m._lua_settable(L, idx);
  }

  rawGet(L: LuaState, idx: number): void {
    this.m._lua_rawget(L, idx);
  }

  rawSet(L: LuaState, idx: number): void {
    this.m._lua_rawset(L, idx);
  }

  rawGetI(L: LuaState, idx: number, n: number): void {
    this.m._lua_rawgeti(L, idx, n);
  }

  rawSetI(L: LuaState, idx: number, n: number): void {
    this.m._lua_rawseti(L, idx, n);
  }

  /** lua_next: pops a key, pushes the next key and value; false at the end. */
  next(L: LuaState, idx: number): boolean {
    return this.m._lua_next(L, idx) !== 0;
  }

  setMetatable(L: LuaState, idx: number): void {
    this.m._lua_setmetatable(L, idx);
  }

  // --- functions and calls ---

  /** Pushes a JS function as a C function (registered once per function object). */
  pushFunction(L: LuaState, fn: LuaFunction): void {
    this.pushClosure(L, fn, 0);
  }

  /** lua_pushcclosure: the function with the n values on top of the stack as its upvalues. */
  pushClosure(L: LuaState, fn: LuaFunction, n: number): void {
    let index = this.functions.get(fn);
    if (index === undefined) {
      index = this.m.addFunction(fn, 'ii');
      this.functions.set(fn, index);
    }
    this.m._lua_pushcclosure(L, index, n);
  }

  /** A light userdata holding a number (an id; 0 is NULL, as cjson.null). */
  pushPointer(L: LuaState, p: number): void {
    this.m._lua_pushlightuserdata(L, p);
  }

  pushNullUserdata(L: LuaState): void {
    this.m._lua_pushlightuserdata(L, 0);
  }

  toPointer(L: LuaState, idx: number): number {
    return this.m._lua_touserdata(L, idx);
  }

  isNullUserdata(L: LuaState, idx: number): boolean {
    return this.type(L, idx) === LuaType.lightuserdata && this.m._lua_touserdata(L, idx) === 0;
  }

  /** luaL_loadbuffer of a latin1 string: the chunk on the stack, or an error message. */
  load(L: LuaState, code: string, chunkName: string): number {
    const bytes = Buffer.from(code, 'latin1');
    // The code may be large: a buffer of its own, so the scratch area stays small.
    const p = this.m._malloc(bytes.length + 1);
    this.m.HEAPU8.set(bytes, p);
    try {
      return this.m._luaL_loadbuffer(L, p, bytes.length, this.name(chunkName));
    } finally {
      this.m._free(p);
    }
  }

  pcall(L: LuaState, nargs: number, nresults: number, errfunc: number): number {
    return this.m._lua_pcall(L, nargs, nresults, errfunc);
  }

  /**
   * Raises the error value on top of the stack. Only from inside a LuaFunction: it unwinds through
   * the JS frames that called it (Emscripten's longjmp is a JS exception), so nothing after it runs.
   */
  error(L: LuaState): never {
    this.m._lua_error(L);
    throw new Error('unreachable: lua_error returned');
  }

  ref(L: LuaState): number {
    return this.m._luaL_ref(L, LUA_REGISTRYINDEX);
  }

  unref(L: LuaState, ref: number): void {
    this.m._luaL_unref(L, LUA_REGISTRYINDEX, ref);
  }

  /** The hook runs with the state and a lua_Debug pointer (use frame() for details). */
  setHook(L: LuaState, hook: ((L: LuaState) => void) | null, mask: number, count: number): void {
    const index = hook === null ? 0 : this.hookIndex(hook);
    this.m._lua_sethook(L, index, mask, count);
  }

  private readonly hooks = new Map<(L: LuaState) => void, number>();

  private hookIndex(hook: (L: LuaState) => void): number {
    let index = this.hooks.get(hook);
    if (index === undefined) {
      index = this.m.addFunction((L: number) => {
        hook(L);
        return undefined;
      }, 'vii');
      this.hooks.set(hook, index);
    }
    return index;
  }

  /** What runs at a stack level (0: the current function), or null past the stack's end. */
  frame(L: LuaState, level: number): FrameInfo | null {
    const m = this.m;
    if (m._lua_getstack(L, level, this.debugPtr) === 0) return null;
    m._lua_getinfo(L, this.name('Sl'), this.debugPtr);
    const heap32 = m.HEAP32;
    const base = this.debugPtr >> 2;
    return {
      source: this.cString(heap32[base + (DEBUG_SOURCE >> 2)]),
      currentLine: heap32[base + (DEBUG_CURRENTLINE >> 2)],
      what: this.cString(heap32[base + (DEBUG_WHAT >> 2)]),
    };
  }

  /** lua_gc(LUA_GCCOLLECT) and friends: what = 2 collect, 3 count (KB). */
  gc(L: LuaState, what: number, data = 0): number {
    return this.m._lua_gc(L, what, data);
  }

  // --- memory helpers ---

  private room(n: number): number {
    if (n > this.scratchSize) {
      this.m._free(this.scratch);
      this.scratchSize = Math.max(n, this.scratchSize * 2);
      this.scratch = this.m._malloc(this.scratchSize);
      if (this.scratch === 0) throw new Error('out of memory in the Lua VM');
    }
    return this.scratch;
  }

  /** A NUL-terminated copy of a name, kept for the VM's lifetime (field names, chunk names). */
  private name(s: string): number {
    let p = this.names.get(s);
    if (p === undefined) {
      const b = Buffer.from(`${s}\0`, 'latin1');
      p = this.m._malloc(b.length);
      this.m.HEAPU8.set(b, p);
      this.names.set(s, p);
    }
    return p;
  }

  private cString(p: number): string {
    if (p === 0) return '';
    const heap = this.m.HEAPU8;
    let end = p;
    while (heap[end] !== 0) end++;
    return Buffer.from(heap.buffer, heap.byteOffset + p, end - p).toString('latin1');
  }
}
