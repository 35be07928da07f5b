/**
 * The environment scripts run in, as Redis 7.0 builds it: Lua's base (with coroutine), table,
 * string and math libraries, the `redis` table, `__redis__err__handler`, and globals that cannot be
 * created or changed. Redis's Lua has read-only tables built into the VM; stock Lua 5.1 has not, so
 * every protected table is a proxy (an empty table whose metatable reads through to the real one and
 * refuses writes), and the few functions that bypass metatables (rawset, rawget, next, pairs,
 * ipairs, unpack, setmetatable and table.*) see through the proxies or refuse to write to them.
 */
import { LUA_GLOBALSINDEX, type LuaFunction, type LuaState, type LuaVm } from './lua-vm.js';

/** A library table's members: C functions, or constants such as _VERSION. */
export type LibraryMembers = Record<string, LuaFunction | string | number>;
/** Or a function that pushes the library's table (one whose functions need upvalues). */
export type LibraryBuilder = (L: LuaState) => void;

/** The redis.* and helper functions implemented in JS, handed to the prelude. */
export interface SandboxFunctions {
  call: LuaFunction;
  pcall: LuaFunction;
  log: LuaFunction;
  sha1hex: LuaFunction;
  setresp: LuaFunction;
  setRepl: LuaFunction;
  aclCheckCmd: LuaFunction;
  random: LuaFunction;
  randomseed: LuaFunction;
  /** pcall that hands back the err field of a table error, as Redis 7.0's does (for C functions). */
  luaPcall: LuaFunction;
  /** A pcall coroutine starts (its argument) and ends; whether the hook paused it (and forget it). */
  pcallEnter: LuaFunction;
  pcallLeave: LuaFunction;
  pausedByHook: LuaFunction;
  /** __newindex of protected tables: "Attempt to modify a readonly table", with the script position. */
  readonlyAssign: LuaFunction;
  /** The same error without a position (raised by a C function in Redis: rawset, table.insert …). */
  readonlyRaw: LuaFunction;
  /** __index of the globals: "Script attempted to access nonexistent global variable '…'". */
  missingGlobal: LuaFunction;
  /** string.format with 64-bit integers (lua-format.ts), in place of the VM's own. */
  format: LuaFunction;
}

/** A functions state (Redis 7.0's function_lua.c) has redis.register_function while a library loads. */
export interface FunctionsMode {
  registerFunction: LuaFunction;
}

/**
 * Runs with the libraries opened and the JS functions as arguments; leaves the real globals table
 * in the registry (for KEYS and ARGV) and makes the proxy the thread's globals.
 */
const PRELUDE = `
local f = {...}
local real = _G
local dbg = debug
local rawset_, rawget_, next_, pairs_, ipairs_, unpack_ = rawset, rawget, next, pairs, ipairs, unpack
local setmetatable_, type_, tostring_, setfenv_ = setmetatable, type, tostring, setfenv
local tinsert, tremove, tsort, tsetn = table.insert, table.remove, table.sort, table.setn
local tconcat, tgetn, tmaxn, tforeach, tforeachi = table.concat, table.getn, table.maxn, table.foreach, table.foreachi
local readonly_assign, readonly_raw, missing_global = f[11], f[12], f[13]
local proxies = setmetatable_({}, {__mode = 'k'})
local guard = {}
local function protect(t)
  local p = {}
  proxies[p] = t
  local mt = {__index = t, __newindex = readonly_assign, __metatable = guard}
  setmetatable_(p, mt)
  return p, mt
end
local function real_of(t) return proxies[t] or t end

local redis = {
  call = f[1], pcall = f[2], log = f[3], sha1hex = f[4], setresp = f[5], set_repl = f[6],
  acl_check_cmd = f[7],
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  REDIS_VERSION = f[14], REDIS_VERSION_NUM = f[15],
}
local function error_table(s)
  local code, msg = 'ERR', s
  if s:sub(1, 1) == '-' then
    local space = s:find(' ', 1, true)
    if space then code, msg = s:sub(2, space - 1), s:sub(space + 1) else msg = s:sub(2) end
  end
  msg = msg:gsub('^[\\r\\n]+', ''):gsub('[\\r\\n]+$', '')
  return {err = code .. ' ' .. msg}
end
function redis.error_reply(...)
  local s = ...
  if select('#', ...) ~= 1 or type_(s) ~= 'string' then return error_table('wrong number or type of arguments') end
  if s:sub(1, 1) ~= '-' then s = '-' .. s end
  return error_table(s)
end
function redis.status_reply(...)
  local s = ...
  if select('#', ...) ~= 1 or type_(s) ~= 'string' then return error_table('wrong number or type of arguments') end
  return {ok = s}
end
function redis.replicate_commands() return true end
function redis.breakpoint() return false end
function redis.debug() end

math.random, math.randomseed = f[8], f[9]
-- Redis 7.0's pcall (a table error comes back as its err field, f[10]). A Lua function runs as a
-- coroutine of its own, so a script past busy-reply-threshold can pause inside it: the pause of the
-- inner coroutine is passed up from here, and the script resumes where it stopped.
local js_pcall, pcall_enter, pcall_leave, paused_by_hook = f[10], f[16], f[17], f[18]
local co_create, co_resume, co_status, co_yield = coroutine.create, coroutine.resume, coroutine.status, coroutine.yield
local getinfo = dbg.getinfo
local function pcall_step(co, ok, ...)
  if ok and co_status(co) == 'suspended' then
    if paused_by_hook(co) then
      co_yield()
      return pcall_step(co, co_resume(co))
    end
    pcall_leave(co)
    return false, 'attempt to yield across metamethod/C-call boundary'
  end
  pcall_leave(co)
  if ok then return true, ... end
  local e = ...
  if type_(e) == 'table' then
    local m = e.err
    if type_(m) == 'string' or type_(m) == 'number' then e = m end
  end
  return false, e
end
pcall = function(fn, ...)
  if type_(fn) ~= 'function' or getinfo(fn, 'S').what == 'C' then return js_pcall(fn, ...) end
  local co = co_create(fn)
  pcall_enter(co)
  return pcall_step(co, co_resume(co, ...))
end

rawset = function(t, k, v)
  if proxies[t] then return readonly_raw() end
  return rawset_(t, k, v)
end
setmetatable = function(t, mt)
  if proxies[t] then return readonly_raw() end
  return setmetatable_(t, mt)
end
rawget = function(t, k) return rawget_(real_of(t), k) end
next = function(t, k) return next_(real_of(t), k) end
pairs = function(t) if proxies[t] then return next_, proxies[t], nil end return pairs_(t) end
ipairs = function(t) return ipairs_(real_of(t)) end
unpack = function(t, ...) return unpack_(real_of(t), ...) end
local function writer(fn) return function(t, ...) if proxies[t] then return readonly_raw() end return fn(t, ...) end end
local function reader(fn) return function(t, ...) return fn(real_of(t), ...) end end
table.insert, table.remove, table.sort, table.setn = writer(tinsert), writer(tremove), writer(tsort), writer(tsetn)
table.concat, table.getn, table.maxn = reader(tconcat), reader(tgetn), reader(tmaxn)
table.foreach, table.foreachi = reader(tforeach), reader(tforeachi)

local function_mode, register_function = f[19], f[20]
-- The position reported is the user's line: past a C function, and past this file's wrappers.
local function err_handler(err)
  local level = 2
  local i = dbg.getinfo(level, 'nSl')
  if i and i.what == 'C' then level = 3; i = dbg.getinfo(level, 'nSl') end
  while i and i.source == '=sandbox' do level = level + 1; i = dbg.getinfo(level, 'nSl') end
  if type_(err) ~= 'table' then err = {err = 'ERR ' .. tostring_(err)} end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end
-- A global of EVAL's state only (the functions state keeps its handler in the registry).
if not function_mode then real.__redis__err__handler = err_handler end

-- glibc prints a NULL pointer as (nil): cjson.null reads as on redis-server.
if real.cjson then
  local null = real.cjson.null
  tostring = function(v) if v == null then return 'userdata: (nil)' end return tostring_(v) end
end

-- Removed as Redis 7.0 removes them.
print, dofile, loadfile, require, module, newproxy = nil, nil, nil, nil, nil, nil
getfenv, setfenv, debug = nil, nil, nil
real.redis = protect(redis)
for _, name in ipairs_({'string', 'table', 'math', 'coroutine', 'bit', 'cjson', 'struct', 'cmsgpack'}) do
  if real[name] then real[name] = protect(real[name]) end
end
getmetatable('').__index = real.string
local env, env_mt = protect(real)
real._G = env
setmetatable_(real, {__index = missing_global, __metatable = guard})
setfenv_(0, env)
-- While a library loads, its code sees only redis.register_function, redis.log and the version
-- (function_lua.c's library API): the globals read through to that table instead of the real ones.
local set_loading
if function_mode then
  local api_redis = {
    register_function = register_function, log = redis.log,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
  }
  setmetatable_(api_redis, {__index = missing_global, __metatable = guard})
  local api = setmetatable_({redis = protect(api_redis)}, {__index = missing_global, __metatable = guard})
  set_loading = function(on) env_mt.__index = on and api or real end
end
return real, set_loading
`;

/** Lua's own libraries, as luaLoadLibraries opens them (debug only for the prelude). */
const LIBRARIES = ['base', 'table', 'string', 'math', 'debug'] as const;

export interface Sandbox {
  L: LuaState;
  /** The registry reference of the real globals table. */
  globalsRef: number;
  /** Functions mode: the registry reference of set_loading(on), which switches the globals. */
  setLoadingRef: number;
}

/** A new scripting state (EVAL's, or with functions the functions state). */
export function createSandbox(
  vm: LuaVm,
  memoryLimit: number,
  fns: SandboxFunctions,
  libraries: Record<string, LibraryMembers | LibraryBuilder>,
  version: { text: string; num: number },
  functions: FunctionsMode | null = null,
): Sandbox {
  const L = vm.newState(memoryLimit);
  vm.openLibraries(L, LIBRARIES);
  vm.getField(L, LUA_GLOBALSINDEX, 'string');
  vm.pushFunction(L, fns.format);
  vm.setField(L, -2, 'format');
  vm.pop(L);
  for (const [name, library] of Object.entries(libraries)) {
    if (typeof library === 'function') {
      library(L);
      vm.setField(L, LUA_GLOBALSINDEX, name);
      continue;
    }
    vm.newTable(L);
    for (const [field, member] of Object.entries(library)) {
      if (typeof member === 'string') vm.pushString(L, member);
      else if (typeof member === 'number') vm.pushNumber(L, member);
      else vm.pushFunction(L, member);
      vm.setField(L, -2, field);
    }
    vm.setField(L, LUA_GLOBALSINDEX, name);
  }
  if (vm.load(L, PRELUDE, '=sandbox') !== 0) throw new Error(`sandbox: ${vm.toString(L, -1)}`);
  const order: LuaFunction[] = [
    fns.call,
    fns.pcall,
    fns.log,
    fns.sha1hex,
    fns.setresp,
    fns.setRepl,
    fns.aclCheckCmd,
    fns.random,
    fns.randomseed,
    fns.luaPcall,
    fns.readonlyAssign,
    fns.readonlyRaw,
    fns.missingGlobal,
  ];
  for (const fn of order) vm.pushFunction(L, fn);
  vm.pushString(L, version.text);
  vm.pushNumber(L, version.num);
  for (const fn of [fns.pcallEnter, fns.pcallLeave, fns.pausedByHook]) vm.pushFunction(L, fn);
  vm.pushBoolean(L, functions !== null);
  if (functions !== null) vm.pushFunction(L, functions.registerFunction);
  else vm.pushNil(L);
  if (vm.pcall(L, order.length + 7, 2, 0) !== 0) throw new Error(`sandbox: ${vm.toString(L, -1)}`);
  // The thread's globals are the proxy now (setfenv(0, …)); the real table is kept by reference.
  const setLoadingRef = functions !== null ? vm.ref(L) : 0;
  if (functions === null) vm.pop(L);
  const globalsRef = vm.ref(L);
  return { L, globalsRef, setLoadingRef };
}
