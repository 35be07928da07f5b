/**
 * Running one script: in a Lua coroutine with a count hook, as Redis runs it under its
 * luaMaskCountHook. Past busy-reply-threshold the hook pauses the coroutine at the next point where
 * Lua allows it (no C function between it and the script: not inside pcall, a metamethod or a sort
 * comparator); the event loop then serves other clients, who get -BUSY, and SCRIPT KILL or SHUTDOWN
 * NOSAVE, and the script resumes on the next turn. Until the threshold it runs without pause, so
 * a script is atomic as in Redis; a killed script fails at its next instruction.
 */
import { performance } from 'node:perf_hooks';
import type { CommandContext, LogLevel } from '../core/context.js';
import { BUSY_SCRIPT_ERROR, type ScriptClient, type ScriptHost, type ScriptRun } from '../core/scripting.js';
import { cString, oneLine, pushErrorTable, replyFromLua } from './convert.js';
import { HookMask, LUA_REGISTRYINDEX, type LuaState, LuaStatus, LuaType, type LuaVm } from './lua-vm.js';

/** Redis's hook period: every 100,000 instructions. */
const HOOK_INSTRUCTIONS = 100_000;
/** Redis's LUA_GC_CYCLE_PERIOD: a GC step every this many scripts. */
const GC_PERIOD = 50;

/** What runs: an EVAL script (named by its sha) or a function (FCALL, named by its name). */
export type RunKind = 'eval' | 'function';

/** Redis's slowevalerr and slowscripterr: the BUSY reply while a script or a function runs long. */
export const BUSY_ERRORS: Record<RunKind, string> = {
  eval: BUSY_SCRIPT_ERROR,
  function: 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.',
};

/** The function to run and its arguments: FCALL's keys and args tables (EVAL's are globals). */
export interface RunTarget {
  kind: RunKind;
  /** The sha or the function name, in errors and the log. */
  name: string;
  /** Registry reference of the function. */
  fn: number;
  args: readonly [string[], string[]] | null;
  /** The caller's command (FUNCTION STATS shows it). */
  argv: readonly string[];
}

export interface ActiveRun {
  readonly kind: RunKind;
  readonly argv: readonly string[];
  readonly state: ScriptRun;
  readonly client: ScriptClient;
  readonly ctx: CommandContext;
  readonly sha: string;
  readonly thread: LuaState;
  /** Arguments of the first resume (the function's keys and args). */
  nargs: number;
  readonly start: number;
  readonly canSuspend: boolean;
  /** Past the threshold (the slow-script line was logged). */
  timedOut: boolean;
  killed: boolean;
  /** Ends the caller's hold, once it was suspended. */
  release: (() => void) | null;
}

interface Coroutine {
  thread: LuaState;
  ref: number;
}

export class ScriptRunner {
  current: ActiveRun | null = null;
  /** Each Lua state's scripting coroutine (EVAL's state and the functions state). */
  private readonly coroutines = new Map<LuaState, Coroutine>();
  private runs = 0;
  private readonly hook = (T: LuaState) => this.onHook(T);
  /** The count hook is set on the coroutine once, not for every script (a kill changes it: reset). */
  private hookedThread: LuaState | null = null;
  private threadHooked = false;

  constructor(
    private readonly vm: LuaVm,
    private readonly host: ScriptHost,
    private readonly log: (level: LogLevel, message: string) => void,
  ) {}

  /** The state closed (SCRIPT FLUSH): its coroutine went with it. */
  forgetState(L: LuaState): void {
    this.coroutines.delete(L);
  }

  /** A scripting coroutine of L: the last one again if it ended well, else a new one. */
  private coroutine(L: LuaState): LuaState {
    const vm = this.vm;
    const co = this.coroutines.get(L);
    if (co !== undefined && vm.status(co.thread) === 0 && vm.top(co.thread) === 0) return co.thread;
    if (co !== undefined) vm.unref(L, co.ref);
    const thread = vm.newThread(L);
    this.coroutines.set(L, { thread, ref: vm.ref(L) });
    this.hookedThread = null;
    return thread;
  }

  /**
   * pcall coroutines of the running script, and whether the hook may pause each: only if every
   * coroutine between it and the script's own could pass the pause up (none inside a C function).
   */
  private readonly pcallChain = new Map<LuaState, boolean>();
  private readonly paused = new Set<LuaState>();

  enterPcall(parent: LuaState, co: LuaState): void {
    const run = this.current;
    const parentCan = run !== null && (parent === run.thread || this.pcallChain.get(parent) === true);
    this.pcallChain.set(co, parentCan && this.vm.yieldable(parent));
  }

  leavePcall(co: LuaState): void {
    this.pcallChain.delete(co);
    this.paused.delete(co);
  }

  /** Whether the hook paused co (so the pcall wrapper passes the pause up); forgets it. */
  takePause(co: LuaState): boolean {
    return this.paused.delete(co);
  }

  /** Runs target's function in L; the reply goes to ctx when it ends. */
  start(L: LuaState, ctx: CommandContext, target: RunTarget, state: ScriptRun, client: ScriptClient): void {
    const vm = this.vm;
    const T = this.coroutine(L);
    vm.rawGetI(T, LUA_REGISTRYINDEX, target.fn);
    if (target.args !== null) for (const items of target.args) pushArray(vm, T, items);
    const hooked = this.host.busyReplyThreshold > 0;
    if (hooked !== this.threadHooked || T !== this.hookedThread) {
      vm.setHook(T, hooked ? this.hook : null, hooked ? HookMask.count : 0, HOOK_INSTRUCTIONS);
      this.threadHooked = hooked;
      this.hookedThread = T;
    }
    this.current = {
      kind: target.kind,
      argv: target.argv,
      state,
      client,
      ctx,
      sha: target.name,
      thread: T,
      nargs: target.args === null ? 0 : 2,
      start: performance.now(),
      canSuspend: this.vm.canYield && this.host.canSuspend(ctx),
      timedOut: false,
      killed: false,
      release: null,
    };
    this.step(L);
  }

  /** SCRIPT KILL (eval) or FUNCTION KILL: null when the running one was told to stop, else the error reply. */
  kill(kind: RunKind): string | null {
    const run = this.current;
    if (run === null || run.release === null) return 'NOTBUSY No scripts in execution right now.';
    if (run.state.wroteDirty) {
      return 'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.';
    }
    // Each KILL stops only its own kind; the reply names the right one.
    if (run.kind !== kind) return BUSY_ERRORS[run.kind];
    run.killed = true;
    return null;
  }

  /** The BUSY reply while a script runs past busy-reply-threshold, else null. */
  get busyError(): string | null {
    const run = this.current;
    return run?.release != null ? BUSY_ERRORS[run.kind] : null;
  }

  private step(L: LuaState): void {
    const vm = this.vm;
    const run = this.current!;
    if (this.host.stopped) {
      this.current = null;
      return;
    }
    const status = vm.resume(run.thread, run.nargs);
    run.nargs = 0;
    if (status === LuaStatus.yield) {
      if (run.release === null) {
        run.release = this.host.suspendCaller(run.ctx);
        this.host.setScriptBusy(BUSY_ERRORS[run.kind]);
      }
      setImmediate(() => this.step(L));
      return;
    }
    this.current = null;
    this.pcallChain.clear();
    this.paused.clear();
    if (++this.runs % GC_PERIOD === 0) vm.gc(L, 5, GC_PERIOD);
    const T = run.thread;
    const reply = run.ctx.reply;
    if (status !== LuaStatus.ok) this.replyError(run, status);
    else {
      // The script's first result only (lua_pcall with one result), nil when it returned none.
      vm.setTop(T, 1);
      replyFromLua(vm, T, reply, run.client.resp, (msg, ignore) => reply.error(msg, ignore));
    }
    vm.setTop(T, 0);
    if (run.release !== null) {
      this.host.setScriptBusy(null);
      run.release();
    }
  }

  private onHook(T: LuaState): void {
    const run = this.current;
    if (run === null) return;
    const vm = this.vm;
    if (run.killed) {
      this.log('warning', 'Lua script killed by user with SCRIPT KILL.');
      // Every line from now on, in the script and its pcalls, so a pcall cannot catch it for good.
      vm.setHook(run.thread, this.hook, HookMask.line, 0);
      this.hookedThread = null;
      if (T !== run.thread) vm.setHook(T, this.hook, HookMask.line, 0);
      pushErrorTable(vm, T, 'Script killed by user with SCRIPT KILL...', false);
      vm.error(T);
    }
    if (!run.timedOut) {
      const elapsed = performance.now() - run.start;
      if (elapsed < this.host.busyReplyThreshold) return;
      run.timedOut = true;
      this.log(
        'warning',
        `Slow script detected: still in execution after ${Math.floor(elapsed)} milliseconds. You can try killing the script using the ${run.kind === 'eval' ? 'SCRIPT KILL' : 'FUNCTION KILL'} command. Script name is: ${run.sha}.`,
      );
    }
    if (!run.canSuspend || !vm.yieldable(T)) return;
    if (T === run.thread) vm.yieldFromHook(T);
    else if (this.pcallChain.get(T) === true) {
      this.paused.add(T);
      vm.yieldFromHook(T);
    }
  }

  /**
   * The error on top of the failed coroutine as the caller's reply (luaCallFunction with
   * __redis__err__handler's position: the erroring Lua line, past a C function and this
   * sandbox's wrappers).
   */
  private replyError(run: ActiveRun, status: number): void {
    const vm = this.vm;
    const T = run.thread;
    const reply = run.ctx.reply;
    if (status === LuaStatus.errMem) {
      const msg = vm.type(T, -1) === LuaType.string ? cString(vm.toString(T, -1)!) : 'execution failure';
      reply.error(oneLine(`ERR Error running script ${run.sha}, ${msg.slice(0, 100)}\n`));
      return;
    }
    let level = 0;
    let frame = vm.frame(T, level);
    if (frame !== null && frame.what === 'C') frame = vm.frame(T, ++level);
    while (frame !== null && (frame.source === '=sandbox' || frame.what === 'tail'))
      frame = vm.frame(T, ++level);
    let msg: string;
    let ignore = false;
    if (vm.type(T, -1) === LuaType.table) {
      vm.getField(T, -1, 'err');
      const t = vm.type(T, -1);
      msg = t === LuaType.string || t === LuaType.number ? cString(vm.toString(T, -1)!) : '';
      vm.pop(T);
      vm.getField(T, -1, 'ignore_error_stats_update');
      ignore = vm.type(T, -1) === LuaType.boolean && vm.toBoolean(T, -1);
      vm.pop(T);
    } else msg = `ERR ${cString(vm.toDisplay(T, -1))}`;
    const where = frame !== null ? ` script: ${run.sha}, on ${frame.source}:${frame.currentLine}.` : '';
    reply.error(oneLine(`${msg}${where}`), ignore);
  }
}

/** A Lua array of the strings (KEYS, ARGV, or a function's keys and args). */
export function pushArray(vm: LuaVm, L: LuaState, items: readonly string[]): void {
  vm.newTable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    vm.pushString(L, items[i]);
    vm.rawSetI(L, -2, i + 1);
  }
}
