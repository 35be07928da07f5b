/**
 * Scripting (Redis 7.0's eval.c and script_lua.c): the script cache, one Lua state for all EVAL
 * scripts, the redis.* API both it and the Functions state (functions.ts) call, redis.call/pcall
 * running commands through the server's script client, and the conversion of the result or the
 * error into the caller's reply.
 */
import { createHash } from 'node:crypto';
import type { CommandContext, LogLevel, ScriptingControl } from '../core/context.js';
import { ReplTarget, ScriptFlag, type ScriptHost, type ScriptRun } from '../core/scripting.js';
import { formatG } from '../lib/numbers.js';
import { cString, oneLine, pushErrorTable, pushReply } from './convert.js';
import { Functions } from './functions.js';
import { bitLibrary } from './lib-bit.js';
import { cjsonLibrary } from './lib-cjson.js';
import { cmsgpackLibrary } from './lib-cmsgpack.js';
import { structLibrary } from './lib-struct.js';
import { luaStringFormat } from './lua-format.js';
import { LUA_REGISTRYINDEX, type LuaFunction, type LuaState, LuaType, type LuaVm } from './lua-vm.js';
import { parseNumkeys } from './numkeys.js';
import { LRAND48_MAX, Rand48 } from './rand48.js';
import {
  createSandbox,
  type FunctionsMode,
  type LibraryBuilder,
  type LibraryMembers,
  type Sandbox,
  type SandboxFunctions,
} from './sandbox.js';
import { pushArray, ScriptRunner } from './script-run.js';
import { parseShebang } from './shebang.js';

interface CachedScript {
  body: string;
  /** The compiled chunk, in the registry. */
  ref: number;
  flags: number;
}

/** Lua heap bound for EVAL scripts: past it an allocation fails with "not enough memory". */
export const LUA_MEMORY_LIMIT = 512 * 1024 * 1024;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'verbose', 'notice', 'warning'];

export function sha1hex(s: string): string {
  return createHash('sha1').update(s, 'latin1').digest('hex');
}

const NAN_VIEW = new DataView(new ArrayBuffer(8));

/** printf("%.17g") as Redis turns a Lua number argument into a command argument. */
function numberArgument(n: number): string {
  if (Number.isNaN(n)) {
    NAN_VIEW.setFloat64(0, n);
    return (NAN_VIEW.getUint8(0) & 0x80) !== 0 ? '-nan' : 'nan';
  }
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return formatG(n, 17);
}

export class Scripting implements ScriptingControl {
  private L: LuaState;
  private globalsRef: number;
  private readonly scripts = new Map<string, CachedScript>();
  private scriptBytes = 0;
  private readonly runner: ScriptRunner;
  private readonly rand = new Rand48();
  readonly functions: Functions;

  constructor(
    private readonly vm: LuaVm,
    private readonly host: ScriptHost,
    private readonly memoryLimit = LUA_MEMORY_LIMIT,
  ) {
    this.runner = new ScriptRunner(vm, host, (level, message) => host.log(level, message));
    this.stringFormat = luaStringFormat(vm);
    this.libraries = {
      cjson: cjsonLibrary(vm),
      struct: structLibrary(vm),
      cmsgpack: cmsgpackLibrary(vm),
      bit: bitLibrary(vm),
    };
    ({ L: this.L, globalsRef: this.globalsRef } = this.newState());
    this.functions = new Functions(vm, this.runner, host, (registerFunction) =>
      this.newState({ registerFunction }),
    );
  }

  /** The JS side of the sandbox, made once: each function is registered with the VM only once. */
  private readonly sandboxFunctions: SandboxFunctions = {
    call: (L) => this.redisCall(L, true),
    pcall: (L) => this.redisCall(L, false),
    log: (L) => this.redisLog(L),
    sha1hex: (L) => this.redisSha1hex(L),
    setresp: (L) => this.redisSetResp(L),
    setRepl: (L) => this.redisSetRepl(L),
    aclCheckCmd: (L) => this.redisAclCheckCmd(L),
    random: (L) => this.mathRandom(L),
    randomseed: (L) => this.mathRandomSeed(L),
    luaPcall: (L) => this.luaPcall(L),
    pcallEnter: (L) => {
      this.runner.enterPcall(L, this.vm.toThread(L, 1));
      return 0;
    },
    pcallLeave: (L) => {
      this.runner.leavePcall(this.vm.toThread(L, 1));
      return 0;
    },
    format: (L) => this.stringFormat(L),
    pausedByHook: (L) => {
      this.vm.pushBoolean(L, this.runner.takePause(this.vm.toThread(L, 1)));
      return 1;
    },
    readonlyAssign: (L) => this.raise(L, `${this.where(L)}Attempt to modify a readonly table`),
    readonlyRaw: (L) => this.raise(L, 'Attempt to modify a readonly table'),
    missingGlobal: (L) => {
      const name = this.vm.toString(L, 2) ?? '?';
      return this.raise(
        L,
        `${this.where(L)}Script attempted to access nonexistent global variable '${name}'`,
      );
    },
  };
  private readonly libraries: Record<string, LibraryMembers | LibraryBuilder>;
  private readonly stringFormat: LuaFunction;

  /** EVAL's state, or with functions the functions state (the same API and libraries). */
  private newState(functions: FunctionsMode | null = null): Sandbox {
    const [major, minor, patch] = this.host.version.split('.').map(Number);
    const version = { text: this.host.version, num: (major << 16) | (minor << 8) | patch };
    return createSandbox(
      this.vm,
      this.memoryLimit,
      this.sandboxFunctions,
      this.libraries,
      version,
      functions,
    );
  }

  // --- ScriptingControl ---

  get cachedScripts(): number {
    return this.scripts.size;
  }

  memory(): { vm: number; scripts: number; functionsVm: number; functions: number } {
    const f = this.functions.memory();
    return {
      vm: this.vm.memory(this.L),
      scripts: this.scriptBytes,
      functionsVm: f.vm,
      functions: f.libraries,
    };
  }

  exists(sha: string): boolean {
    return this.scripts.has(sha.toLowerCase());
  }

  load(body: string): { sha: string } | { error: string } {
    const r = this.compile(body);
    return 'error' in r ? r : { sha: r.sha };
  }

  /** SCRIPT FLUSH: a new Lua state, as Redis's scriptingReset. */
  flush(): void {
    this.vm.close(this.L);
    this.runner.forgetState(this.L);
    this.scripts.clear();
    this.scriptBytes = 0;
    ({ L: this.L, globalsRef: this.globalsRef } = this.newState());
  }

  kill(kind: 'eval' | 'function'): string | null {
    return this.runner.kill(kind);
  }

  get busyError(): string | null {
    return this.runner.busyError;
  }

  scriptFlags(argv: string[], command: 'eval' | 'evalsha' | 'fcall'): number | null {
    if (command === 'fcall') return this.functions.flagsOf(argv[1]);
    if (command === 'evalsha') {
      if (argv[1].length !== 40) return null;
      return this.scripts.get(argv[1].toLowerCase())?.flags ?? null;
    }
    const cached = this.scripts.get(sha1hex(argv[1]));
    if (cached !== undefined) return cached.flags;
    const shebang = parseShebang(argv[1]);
    return 'error' in shebang ? null : shebang.flags;
  }

  eval(ctx: CommandContext, argv: string[], bySha: boolean, readOnly: boolean): void {
    const keyCount = parseNumkeys(argv, 'ERR value is not an integer or out of range');
    if (typeof keyCount !== 'number') {
      ctx.reply.error(keyCount.error);
      return;
    }
    let sha: string;
    let script: CachedScript | undefined;
    if (bySha) {
      sha = argv[1].toLowerCase();
      script = argv[1].length === 40 ? this.scripts.get(sha) : undefined;
      if (script === undefined) {
        ctx.reply.error('NOSCRIPT No matching script. Please use EVAL.');
        return;
      }
    } else {
      const compiled = this.compile(argv[1]);
      if ('error' in compiled) {
        ctx.reply.error(compiled.error);
        return;
      }
      ({ sha, script } = compiled);
    }
    const refusal = this.host.refuseRun(ctx, script.flags, readOnly);
    if (refusal !== null) {
      ctx.reply.error(refusal);
      return;
    }
    const compat = (script.flags & ScriptFlag.evalCompat) !== 0;
    this.execute(ctx, argv, sha, script, argv.slice(3, 3 + keyCount), argv.slice(3 + keyCount), {
      readOnly: readOnly || (!compat && (script.flags & ScriptFlag.noWrites) !== 0),
      allowOom: !compat && (script.flags & ScriptFlag.allowOom) !== 0,
      wroteDirty: false,
      replTargets: ReplTarget.all,
    });
    // The script's commands were propagated; EVAL itself never is (scriptResetRun).
    ctx.preventPropagation();
  }

  // --- running ---

  private compile(body: string): { sha: string; script: CachedScript } | { error: string } {
    const sha = sha1hex(body);
    const cached = this.scripts.get(sha);
    if (cached !== undefined) return { sha, script: cached };
    const shebang = parseShebang(body);
    if ('error' in shebang) return { error: shebang.error };
    const vm = this.vm;
    const L = this.L;
    // The shebang line is skipped but its line feed kept, so line numbers stay the user's.
    if (vm.load(L, body.slice(shebang.length), '@user_script') !== 0) {
      const msg = vm.toString(L, -1) ?? '';
      vm.pop(L);
      return { error: oneLine(`ERR Error compiling script (new function): ${cString(msg)}`) };
    }
    const script = { body, ref: vm.ref(L), flags: shebang.flags };
    this.scripts.set(sha, script);
    this.scriptBytes += body.length + 40;
    return { sha, script };
  }

  private execute(
    ctx: CommandContext,
    argv: string[],
    sha: string,
    script: CachedScript,
    keys: string[],
    args: string[],
    state: ScriptRun,
  ): void {
    const vm = this.vm;
    const L = this.L;
    vm.setTop(L, 0);
    vm.rawGetI(L, LUA_REGISTRYINDEX, this.globalsRef);
    this.setArray(L, 'KEYS', keys);
    this.setArray(L, 'ARGV', args);
    vm.setTop(L, 0);
    const target = { kind: 'eval', name: sha, fn: script.ref, args: null, argv } as const;
    this.runner.start(L, ctx, target, state, this.host.scriptClient(ctx));
  }

  private setArray(L: LuaState, name: string, items: string[]): void {
    this.vm.pushString(L, name);
    pushArray(this.vm, L, items);
    this.vm.rawSet(L, -3);
  }

  // --- the redis.* functions ---

  /** Raises msg as a Lua error (a string, as luaL_error / lua_error with a pushed string). */
  private raise(L: LuaState, msg: string): number {
    this.vm.pushString(L, msg);
    return this.vm.error(L);
  }

  /** Raises an error table {err = …} as luaPushError + luaError do. */
  private raiseTable(L: LuaState, msg: string): number {
    pushErrorTable(this.vm, L, msg, false);
    return this.vm.error(L);
  }

  /** luaL_where(L, 1): "user_script:3: " for the Lua function calling the running C function. */
  private where(L: LuaState): string {
    const frame = this.vm.frame(L, 1);
    if (frame === null || frame.currentLine <= 0) return '';
    return `${shortSource(frame.source)}:${frame.currentLine}: `;
  }

  private redisCall(L: LuaState, raise: boolean): number {
    const vm = this.vm;
    const run = this.runner.current;
    if (run === null)
      return this.raiseTable(L, 'redis.call/pcall can only be called inside a script invocation');
    const argc = vm.top(L);
    if (argc === 0) {
      pushErrorTable(vm, L, 'Please specify at least one argument for this redis lib call', false);
      return raise ? vm.error(L) : 1;
    }
    const argv: string[] = [];
    for (let j = 1; j <= argc; j++) {
      const t = vm.type(L, j);
      if (t === LuaType.number) argv.push(numberArgument(vm.toNumber(L, j)));
      else if (t === LuaType.string) argv.push(vm.toString(L, j)!);
      else break;
    }
    vm.setTop(L, 0);
    if (argv.length !== argc) {
      pushErrorTable(vm, L, 'Lua redis lib command arguments must be strings or integers', false);
      return raise ? vm.error(L) : 1;
    }
    let isError: boolean;
    let failure: string | null = null;
    try {
      const refusal = run.client.call(run.state, argv);
      if (refusal !== null) {
        pushErrorTable(vm, L, refusal, true);
        isError = true;
      } else {
        const reply = run.client.reply();
        isError = reply[0] === 0x2d;
        try {
          pushReply(vm, L, reply, 0);
        } finally {
          run.client.release();
        }
      }
    } catch (e) {
      failure = (e as Error).message;
      isError = true;
    }
    if (failure !== null) {
      vm.setTop(L, 0);
      pushErrorTable(vm, L, `ERR ${failure}`, false);
    }
    return raise && isError ? vm.error(L) : 1;
  }

  /** Redis 7.0's pcall: a table error with an err field comes back as that field. */
  private luaPcall(L: LuaState): number {
    const vm = this.vm;
    const argc = vm.top(L);
    vm.pushBoolean(L, true);
    vm.insert(L, 1);
    if (vm.pcall(L, argc - 1, -1, 0) !== 0) {
      vm.remove(L, 1);
      if (vm.type(L, -1) === LuaType.table) {
        vm.getField(L, -1, 'err');
        const t = vm.type(L, -1);
        if (t === LuaType.string || t === LuaType.number) vm.replace(L, -2);
        else vm.pop(L);
      }
      vm.pushBoolean(L, false);
      vm.insert(L, 1);
    }
    return vm.top(L);
  }

  private redisLog(L: LuaState): number {
    const vm = this.vm;
    const argc = vm.top(L);
    if (argc < 2) return this.raiseTable(L, 'redis.log() requires two arguments or more.');
    if (!vm.isNumber(L, 1)) return this.raiseTable(L, 'First argument must be a number (log level).');
    const level = Math.trunc(vm.toNumber(L, 1));
    if (!(level >= 0 && level <= 3)) return this.raiseTable(L, 'Invalid debug level.');
    const parts: string[] = [];
    for (let j = 2; j <= argc; j++) {
      const s = vm.toString(L, j);
      if (s !== null) parts.push(s);
    }
    const name = LOG_LEVELS[level];
    if (LOG_LEVELS.indexOf(this.host.logLevel) <= level) this.host.log(name, parts.join(' '));
    return 0;
  }

  private redisSha1hex(L: LuaState): number {
    const vm = this.vm;
    if (vm.top(L) !== 1) return this.raiseTable(L, 'wrong number of arguments');
    vm.pushString(L, sha1hex(cString(vm.toString(L, 1) ?? '')));
    return 1;
  }

  private redisSetResp(L: LuaState): number {
    const vm = this.vm;
    const run = this.runner.current;
    if (run === null)
      return this.raiseTable(L, 'redis.setresp can only be called inside a script invocation');
    if (vm.top(L) !== 1) return this.raiseTable(L, 'redis.setresp() requires one argument.');
    const resp = Math.trunc(vm.toNumber(L, 1));
    if (resp !== 2 && resp !== 3) return this.raiseTable(L, 'RESP version must be 2 or 3.');
    run.client.resp = resp;
    return 0;
  }

  private redisSetRepl(L: LuaState): number {
    const vm = this.vm;
    const run = this.runner.current;
    if (run === null)
      return this.raiseTable(L, 'redis.set_repl can only be called inside a script invocation');
    if (vm.top(L) !== 1) return this.raiseTable(L, 'redis.set_repl() requires two arguments.');
    const flags = Math.trunc(vm.toNumber(L, 1));
    if ((flags & ~ReplTarget.all) !== 0) {
      return this.raiseTable(
        L,
        'Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.',
      );
    }
    run.state.replTargets = flags;
    return 0;
  }

  private redisAclCheckCmd(L: LuaState): number {
    const vm = this.vm;
    if (this.runner.current === null) {
      return this.raiseTable(L, 'redis.acl_check_cmd can only be called inside a script invocation');
    }
    const argc = vm.top(L);
    if (argc === 0) return this.raiseTable(L, 'Please specify at least one argument for this redis lib call');
    const name = vm.type(L, 1) === LuaType.number ? numberArgument(vm.toNumber(L, 1)) : vm.toString(L, 1);
    for (let j = 1; j <= argc; j++) {
      const t = vm.type(L, j);
      if (t !== LuaType.number && t !== LuaType.string) {
        return this.raiseTable(L, 'Lua redis lib command arguments must be strings or integers');
      }
    }
    if (name === null || !this.runner.current.client.knows(name)) {
      return this.raiseTable(L, 'Invalid command passed to redis.acl_check_cmd()');
    }
    // The default user is the only user there is, and it may run every command.
    vm.setTop(L, 0);
    vm.pushBoolean(L, true);
    return 1;
  }

  /** math.random as Redis's redis_math_random (lrand48, not the C library's rand). */
  private mathRandom(L: LuaState): number {
    const vm = this.vm;
    const r = (this.rand.next() % LRAND48_MAX) / LRAND48_MAX;
    switch (vm.top(L)) {
      case 0:
        vm.pushNumber(L, r);
        return 1;
      case 1: {
        const u = vm.checkInteger(L, 1);
        if (!(u >= 1)) vm.argError(L, 1, 'interval is empty');
        vm.pushNumber(L, Math.floor(r * u) + 1);
        return 1;
      }
      case 2: {
        const l = vm.checkInteger(L, 1);
        const u = vm.checkInteger(L, 2);
        if (!(l <= u)) vm.argError(L, 2, 'interval is empty');
        vm.pushNumber(L, Math.floor(r * (u - l + 1)) + l);
        return 1;
      }
      default:
        return this.raise(L, `${this.where(L)}wrong number of arguments`);
    }
  }

  private mathRandomSeed(L: LuaState): number {
    this.rand.seed(this.vm.checkInteger(L, 1));
    return 0;
  }
}

/** Lua's chunk id for messages: "@user_script" → "user_script". */
function shortSource(source: string): string {
  if (source.startsWith('@') || source.startsWith('=')) return source.slice(1);
  return `[string "${source.split('\n')[0]}"]`;
}
