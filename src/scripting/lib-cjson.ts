/**
 * The `cjson` library Redis bundles (lua-cjson 2.1.0): encode (cjson-encode.ts), decode
 * (cjson-decode.ts), cjson.null, and the settings functions (encode_sparse_array,
 * encode_max_depth, …), whose values belong to each module table, as cjson.new() makes.
 */

import { Decoder } from './cjson-decode.js';
import { Encoder } from './cjson-encode.js';
import { defaults, type Settings } from './cjson-settings.js';
import { LUA_GLOBALSINDEX, type LuaFunction, type LuaState, LuaType, type LuaVm } from './lua-vm.js';
import type { LibraryBuilder } from './sandbox.js';

const INT_MAX = 2147483647;
const ON_OFF = ['off', 'on'] as const;
type IntegerSetting = 'sparseRatio' | 'sparseSafe' | 'encodeMaxDepth' | 'decodeMaxDepth' | 'precision';
type EnumSetting = 'sparseConvert' | 'keepBuffer' | 'invalidNumbers' | 'decodeInvalidNumbers';
/** lua_upvalueindex(1): each function's settings, as a light userdata id. */
const UPVALUE_1 = LUA_GLOBALSINDEX - 1;
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
  /** json_integer_option: sets the setting from argument index unless nil; pushes its value. */
  const integerOption = (L: LuaState, index: number, key: IntegerSetting, min: number, max: number) => {
    const s = settingsOf(L);
    if (vm.type(L, index) !== LuaType.nil) {
      const v = vm.checkInteger(L, index);
      if (!(v >= min && v <= max)) vm.argError(L, 1, `expected integer between ${min} and ${max}`);
      s[key] = v;
    }
    vm.pushNumber(L, s[key]);
  };
  /** json_enum_option: a boolean or one of the options' names; pushes a boolean or the name. */
  const enumOption = (L: LuaState, index: number, key: EnumSetting, options: readonly string[]) => {
    const s = settingsOf(L);
    if (vm.type(L, index) !== LuaType.nil) {
      if (vm.type(L, index) === LuaType.boolean) s[key] = vm.toBoolean(L, index) ? 1 : 0;
      else {
        const name = vm.checkString(L, index);
        const i = options.indexOf(name);
        if (i < 0) vm.argError(L, index, `invalid option '${name}'`);
        s[key] = i;
      }
    }
    if (s[key] <= 1) vm.pushBoolean(L, s[key] === 1);
    else vm.pushString(L, options[s[key]]);
  };
  const integerSetting = (key: IntegerSetting, min: number, max: number): LuaFunction => {
    return (L) => {
      args(L, 1);
      integerOption(L, 1, key, min, max);
      return 1;
    };
  };
  const enumSetting = (key: EnumSetting, options: readonly string[]): LuaFunction => {
    return (L) => {
      args(L, 1);
      enumOption(L, 1, key, options);
      return 1;
    };
  };

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
      args(L, 3);
      enumOption(L, 1, 'sparseConvert', ON_OFF);
      integerOption(L, 2, 'sparseRatio', 0, INT_MAX);
      integerOption(L, 3, 'sparseSafe', 0, INT_MAX);
      return 3;
    },
    encode_max_depth: integerSetting('encodeMaxDepth', 1, INT_MAX),
    decode_max_depth: integerSetting('decodeMaxDepth', 1, INT_MAX),
    encode_number_precision: integerSetting('precision', 1, 14),
    encode_keep_buffer: enumSetting('keepBuffer', ON_OFF),
    encode_invalid_numbers: enumSetting('invalidNumbers', ['off', 'on', 'null']),
    decode_invalid_numbers: enumSetting('decodeInvalidNumbers', ON_OFF),
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
