/**
 * Redis Functions (7.0's functions.c and function_lua.c): libraries loaded with FUNCTION LOAD into a
 * Lua state of their own, the functions they register, FCALL running one of them through the same
 * runner as EVAL, and the all-or-nothing restores of FUNCTION RESTORE and of an RDB's libraries.
 */
import { performance } from 'node:perf_hooks';
import type { CommandContext, FunctionsControl, LibraryView, RestorePolicy } from '../core/context.js';
import { ReplTarget, SCRIPT_FLAG_NAMES, ScriptFlag, type ScriptHost } from '../core/scripting.js';
import { cString, oneLine, pushErrorTable } from './convert.js';
import { INVALID_NAME, type LibraryMetadata, parseLibraryMetadata, validName } from './library-metadata.js';
import {
  HookMask,
  LUA_REGISTRYINDEX,
  type LuaFunction,
  type LuaState,
  LuaType,
  type LuaVm,
} from './lua-vm.js';
import { parseNumkeys } from './numkeys.js';
import type { Sandbox } from './sandbox.js';
import type { ScriptRunner } from './script-run.js';

/** FUNCTION LOAD's bound on running a library's code (function_lua.c's LOAD_TIMEOUT_MS). */
export const LOAD_TIMEOUT_MS = 500;
const HOOK_INSTRUCTIONS = 100_000;

interface FunctionEntry {
  readonly name: string;
  readonly description: string | null;
  readonly flags: number;
  /** The callback, in the registry. */
  readonly ref: number;
}

interface Library {
  readonly name: string;
  readonly code: string;
  /** By exact name (a library may hold both "a" and "A", as in Redis). */
  readonly functions: Map<string, FunctionEntry>;
}

/**
 * Libraries with the index of their functions (Redis's functionsLibCtx). The index is
 * case-insensitive as Redis's: of a library's "a" and "A" only the first is reached by FCALL.
 */
class LibrarySet {
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, FunctionEntry>();
  /** Functions of all libraries (Redis's engine stats count each library's own). */
  count = 0;

  link(lib: Library): void {
    this.libraries.set(lib.name, lib);
    this.count += lib.functions.size;
    for (const [name, fn] of lib.functions) {
      const key = name.toLowerCase();
      if (!this.functions.has(key)) this.functions.set(key, fn);
    }
  }

  unlink(lib: Library): void {
    this.libraries.delete(lib.name);
    this.count -= lib.functions.size;
    for (const name of lib.functions.keys()) this.functions.delete(name.toLowerCase());
  }

  /** A function of lib whose name another library already has. */
  collision(lib: Library): FunctionEntry | undefined {
    for (const [name, fn] of lib.functions) if (this.functions.has(name.toLowerCase())) return fn;
    return undefined;
  }
}

export class Functions implements FunctionsControl {
  private readonly L: LuaState;
  private readonly setLoadingRef: number;
  private current = new LibrarySet();
  /** The library whose code runs now (FUNCTION LOAD): redis.register_function adds to it. */
  private loading: Library | null = null;
  private loadStarted = 0;
  private loadTimeoutMs = 0;
  private readonly loadHook = (L: LuaState) => this.onLoadHook(L);

  constructor(
    private readonly vm: LuaVm,
    private readonly runner: ScriptRunner,
    private readonly host: ScriptHost,
    createState: (registerFunction: LuaFunction) => Sandbox,
  ) {
    ({ L: this.L, setLoadingRef: this.setLoadingRef } = createState((L) => this.registerFunction(L)));
  }

  get libraryCount(): number {
    return this.current.libraries.size;
  }

  get functionCount(): number {
    return this.current.count;
  }

  /** used_memory_vm_functions and used_memory_functions (the libraries' own bookkeeping). */
  memory(): { vm: number; libraries: number } {
    let libraries = 0;
    for (const lib of this.current.libraries.values()) {
      libraries += 96 + lib.name.length + lib.code.length;
      for (const fn of lib.functions.values())
        libraries += 112 + fn.name.length + (fn.description?.length ?? 0);
    }
    return { vm: this.vm.memory(this.L), libraries };
  }

  /** The flags of the function FCALL would run, or null. */
  flagsOf(name: string): number | null {
    return this.current.functions.get(name.toLowerCase())?.flags ?? null;
  }

  codes(): string[] {
    return [...this.current.libraries.values()].map((lib) => lib.code);
  }

  list(): LibraryView[] {
    return [...this.current.libraries.values()].map((lib) => ({
      name: lib.name,
      engine: 'LUA',
      code: lib.code,
      functions: [...lib.functions.values()].map(({ name, description, flags }) => ({
        name,
        description,
        flags,
      })),
    }));
  }

  load(ctx: CommandContext, code: string, replace: boolean): { name: string } | { error: string } {
    return this.create(code, replace, this.host.mustObey(ctx) ? 0 : LOAD_TIMEOUT_MS, this.current);
  }

  delete(name: string): boolean {
    const lib = this.current.libraries.get(name);
    if (lib === undefined) return false;
    this.current.unlink(lib);
    this.free(lib);
    return true;
  }

  flush(): void {
    for (const lib of this.current.libraries.values()) this.free(lib);
    this.current = new LibrarySet();
    this.vm.gc(this.L, 2, 0);
  }

  restore(codes: readonly string[], policy: RestorePolicy): string | null {
    const restored = new LibrarySet();
    for (const code of codes) {
      const r = this.create(code, false, 0, restored);
      if ('error' in r) {
        for (const lib of restored.libraries.values()) this.free(lib);
        return r.error;
      }
    }
    if (policy === 'flush') {
      this.flush();
      this.current = restored;
      return null;
    }
    const error = this.join(restored, policy === 'replace');
    if (error !== null) for (const lib of restored.libraries.values()) this.free(lib);
    return error;
  }

  running(): { name: string; argv: readonly string[]; durationMs: number } | null {
    const run = this.runner.current;
    if (run === null || run.kind !== 'function' || run.release === null) return null;
    return { name: run.sha, argv: run.argv, durationMs: Math.floor(performance.now() - run.start) };
  }

  fcall(ctx: CommandContext, argv: string[], readOnly: boolean): void {
    const fn = this.current.functions.get(argv[1].toLowerCase());
    if (fn === undefined) {
      ctx.reply.error('ERR Function not found');
      return;
    }
    const keyCount = parseNumkeys(argv, 'ERR Bad number of keys provided');
    if (typeof keyCount !== 'number') {
      ctx.reply.error(keyCount.error);
      return;
    }
    const refusal = this.host.refuseRun(ctx, fn.flags, readOnly);
    if (refusal !== null) {
      ctx.reply.error(refusal);
      return;
    }
    this.runner.start(
      this.L,
      ctx,
      {
        kind: 'function',
        name: fn.name,
        fn: fn.ref,
        args: [argv.slice(3, 3 + keyCount), argv.slice(3 + keyCount)],
        argv,
      },
      {
        readOnly: readOnly || (fn.flags & ScriptFlag.noWrites) !== 0,
        allowOom: (fn.flags & ScriptFlag.allowOom) !== 0,
        wroteDirty: false,
        replTargets: ReplTarget.all,
      },
      this.host.scriptClient(ctx),
    );
    // The function's commands were propagated; FCALL itself never is.
    ctx.preventPropagation();
  }

  // --- loading a library ---

  /** functionsCreateWithLibraryCtx: the new library linked into set, or the error. */
  private create(
    code: string,
    replace: boolean,
    timeoutMs: number,
    set: LibrarySet,
  ): { name: string } | { error: string } {
    const md = parseLibraryMetadata(code);
    if ('error' in md) return md;
    if (!validName(md.name)) return { error: INVALID_NAME };
    if (md.engine.toLowerCase() !== 'lua') return { error: `Engine '${md.engine}' not found` };
    const old = set.libraries.get(md.name);
    if (old !== undefined && !replace) return { error: `Library '${md.name}' already exists` };
    if (old !== undefined) set.unlink(old);
    const lib = this.compile(md, code, timeoutMs);
    let error: string | null = 'error' in lib ? lib.error : null;
    if (!('error' in lib)) {
      if (lib.functions.size === 0) error = 'No functions registered';
      else {
        const clash = set.collision(lib);
        if (clash !== undefined) error = `Function ${clash.name} already exists`;
      }
      if (error !== null) this.free(lib);
    }
    if (error !== null) {
      if (old !== undefined) set.link(old);
      return { error };
    }
    set.link(lib as Library);
    if (old !== undefined) this.free(old);
    return { name: md.name };
  }

  /** Runs the library's code with the load-time globals: it registers its functions. */
  private compile(md: LibraryMetadata, code: string, timeoutMs: number): Library | { error: string } {
    const vm = this.vm;
    const L = this.L;
    this.setLoading(true);
    try {
      if (vm.load(L, code.slice(md.codeStart), '@user_function') !== 0) {
        const msg = vm.toString(L, -1) ?? '';
        vm.pop(L);
        return { error: oneLine(`Error compiling function: ${cString(msg)}`) };
      }
      const lib: Library = { name: md.name, code, functions: new Map() };
      this.loading = lib;
      this.loadStarted = performance.now();
      this.loadTimeoutMs = timeoutMs;
      vm.setHook(L, this.loadHook, HookMask.count, HOOK_INSTRUCTIONS);
      if (vm.pcall(L, 0, 0, 0) !== 0) {
        const msg = this.errorMessage(L);
        vm.pop(L);
        this.free(lib);
        return { error: oneLine(`Error registering functions: ${msg}`) };
      }
      return lib;
    } finally {
      this.loading = null;
      vm.setHook(L, null, 0, 0);
      this.setLoading(false);
    }
  }

  /** luaExtractErrorInformation's message: a string error gets ERR, a table gives its err field. */
  private errorMessage(L: LuaState): string {
    const vm = this.vm;
    const t = vm.type(L, -1);
    if (t === LuaType.string || t === LuaType.number) return `ERR ${cString(vm.toString(L, -1)!)}`;
    if (t !== LuaType.table) return '(null)';
    vm.getField(L, -1, 'err');
    const err = vm.type(L, -1) === LuaType.string ? cString(vm.toString(L, -1)!) : '(null)';
    vm.pop(L);
    return err;
  }

  private setLoading(on: boolean): void {
    const vm = this.vm;
    vm.rawGetI(this.L, LUA_REGISTRYINDEX, this.setLoadingRef);
    vm.pushBoolean(this.L, on);
    vm.pcall(this.L, 1, 0, 0);
  }

  private onLoadHook(L: LuaState): void {
    if (this.loadTimeoutMs <= 0 || performance.now() - this.loadStarted <= this.loadTimeoutMs) return;
    // Every line from now on, so a pcall in the library cannot catch the timeout for good.
    this.vm.setHook(L, this.loadHook, HookMask.line, 0);
    pushErrorTable(this.vm, L, 'FUNCTION LOAD timeout', false);
    this.vm.error(L);
  }

  /** libraryJoin: restored's libraries into the current set, all or none. */
  private join(restored: LibrarySet, replace: boolean): string | null {
    const dst = this.current;
    const replaced: Library[] = [];
    let error: string | null = null;
    for (const lib of restored.libraries.values()) {
      const old = dst.libraries.get(lib.name);
      if (old === undefined) continue;
      if (!replace) {
        error = `Library ${lib.name} already exists`;
        break;
      }
      dst.unlink(old);
      replaced.push(old);
    }
    if (error === null) {
      for (const lib of restored.libraries.values()) {
        const clash = dst.collision(lib);
        if (clash === undefined) continue;
        error = `Function ${clash.name} already exists`;
        break;
      }
    }
    if (error !== null) {
      for (const old of replaced) dst.link(old);
      return error;
    }
    for (const lib of restored.libraries.values()) dst.link(lib);
    for (const old of replaced) this.free(old);
    return null;
  }

  private free(lib: Library): void {
    for (const fn of lib.functions.values()) this.vm.unref(this.L, fn.ref);
  }

  // --- redis.register_function ---

  private raise(L: LuaState, msg: string): number {
    pushErrorTable(this.vm, L, msg, false);
    return this.vm.error(L);
  }

  private registerFunction(L: LuaState): number {
    const lib = this.loading;
    if (lib === null)
      return this.raise(L, 'redis.register_function can only be called on FUNCTION LOAD command');
    const argc = this.vm.top(L);
    if (argc < 1 || argc > 2) return this.raise(L, 'wrong number of arguments to redis.register_function');
    const args = argc === 1 ? this.namedArgs(L) : this.positionalArgs(L);
    if ('error' in args) return this.raise(L, args.error);
    let error: string | null = null;
    if (!validName(args.name)) error = INVALID_NAME;
    else if (lib.functions.has(args.name)) error = 'Function already exists in the library';
    if (error !== null) {
      this.vm.unref(L, args.ref);
      return this.raise(L, error);
    }
    lib.functions.set(args.name, args);
    return 0;
  }

  private isString(L: LuaState, idx: number): boolean {
    const t = this.vm.type(L, idx);
    return t === LuaType.string || t === LuaType.number;
  }

  /** The string at idx, read from a copy (a number key converted in place would upset lua_next). */
  private stringAt(L: LuaState, idx: number): string {
    this.vm.pushValue(L, idx);
    const s = this.vm.toString(L, -1) ?? '';
    this.vm.pop(L);
    return s;
  }

  private positionalArgs(L: LuaState): FunctionEntry | { error: string } {
    const vm = this.vm;
    if (!this.isString(L, 1)) return { error: 'first argument to redis.register_function must be a string' };
    if (vm.type(L, 2) !== LuaType.function)
      return { error: 'second argument to redis.register_function must be a function' };
    const name = this.stringAt(L, 1);
    return { name, description: null, flags: 0, ref: vm.ref(L) };
  }

  private namedArgs(L: LuaState): FunctionEntry | { error: string } {
    const vm = this.vm;
    if (vm.type(L, 1) !== LuaType.table) {
      return {
        error:
          'calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).',
      };
    }
    let name: string | null = null;
    let description: string | null = null;
    let flags = 0;
    let ref = 0;
    let error: string | null = null;
    vm.pushNil(L);
    while (vm.next(L, 1)) {
      if (!this.isString(L, -2)) {
        error = 'named argument key given to redis.register_function is not a string';
        break;
      }
      const key = this.stringAt(L, -2).toLowerCase();
      if (key === 'callback') {
        if (vm.type(L, -1) !== LuaType.function) {
          error = 'callback argument given to redis.register_function must be a function';
          break;
        }
        if (ref !== 0) vm.unref(L, ref);
        ref = vm.ref(L);
        continue;
      }
      if (key === 'function_name' || key === 'description') {
        if (!this.isString(L, -1)) {
          error = `${key} argument given to redis.register_function must be a string`;
          break;
        }
        if (key === 'function_name') name = this.stringAt(L, -1);
        else description = this.stringAt(L, -1);
      } else if (key === 'flags') {
        if (vm.type(L, -1) !== LuaType.table) {
          error = 'flags argument to redis.register_function must be a table representing function flags';
          break;
        }
        const read = this.readFlags(L);
        if (read === null) {
          error = 'unknown flag given';
          break;
        }
        flags = read;
      } else {
        error = 'unknown argument given to redis.register_function';
        break;
      }
      vm.pop(L);
    }
    if (error === null && name === null) error = 'redis.register_function must get a function name argument';
    if (error === null && ref === 0) error = 'redis.register_function must get a callback argument';
    if (error !== null) {
      if (ref !== 0) vm.unref(L, ref);
      return { error };
    }
    return { name: name!, description, flags, ref };
  }

  /** The flags table on top of the stack: its flags, or null for an unknown one. */
  private readFlags(L: LuaState): number | null {
    const vm = this.vm;
    let flags = 0;
    for (let j = 1; ; j++) {
      vm.pushNumber(L, j);
      vm.getTable(L, -2);
      const t = vm.type(L, -1);
      if (t === LuaType.nil) {
        vm.pop(L);
        return flags;
      }
      const flag =
        t === LuaType.string ? SCRIPT_FLAG_NAMES.get((vm.toString(L, -1) ?? '').toLowerCase()) : undefined;
      vm.pop(L);
      if (flag === undefined) return null;
      flags |= flag;
    }
  }
}
