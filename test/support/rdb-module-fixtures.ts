/**
 * The hand-built module fixtures of test/fixtures/rdb (tsredis cannot produce module data and the
 * test machines have no Redis module, so these are written byte by byte following Redis 7.0's
 * rdb.c): module_aux.rdb holds an RDB_OPCODE_MODULE_AUX record (rdbSaveSingleModuleAux) around
 * ordinary keys, module_key.rdb a key of a module type (RDB_TYPE_MODULE_2). redis-check-rdb accepts
 * both. rdb-module.test.ts checks that the committed files are exactly what this builds.
 */
import { moduleTypeId } from '../../src/rdb/reader.js';
import { RdbWriter } from '../../src/rdb/writer.js';

export const MODULE_NAME = 'mymodtype';
export const MODULE_ENCVER = 3;

const RDB_OPCODE_MODULE_AUX = 0xf7;
const RDB_TYPE_MODULE_2 = 7;
const MODULE_OPCODE_EOF = 0;
const MODULE_OPCODE_SINT = 1;
const MODULE_OPCODE_UINT = 2;
const MODULE_OPCODE_FLOAT = 3;
const MODULE_OPCODE_DOUBLE = 4;
const MODULE_OPCODE_STRING = 5;
/** REDISMODULE_AUX_BEFORE_RDB / AFTER_RDB. */
const AUX_BEFORE_RDB = 1;
const AUX_AFTER_RDB = 2;

/** rdbSaveLen of a 64-bit value (module ids do not fit 32 bits). */
function len64(w: RdbWriter, v: bigint): void {
  w.byte(0x81);
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  w.raw(b);
}

/** A module value as RM_Save* writes it: every field after an opcode, then the EOF opcode. */
function moduleValue(w: RdbWriter, tag: string): void {
  w.length(MODULE_OPCODE_UINT);
  w.length(12345);
  w.length(MODULE_OPCODE_SINT);
  w.length(7);
  w.length(MODULE_OPCODE_STRING);
  w.string(`module payload ${tag} ${'x'.repeat(100)}`);
  w.length(MODULE_OPCODE_DOUBLE);
  w.binaryDouble(3.5);
  w.length(MODULE_OPCODE_FLOAT);
  const f = Buffer.alloc(4);
  f.writeFloatLE(1.25);
  w.raw(f);
  w.length(MODULE_OPCODE_EOF);
}

function moduleAux(w: RdbWriter, when: number): void {
  w.byte(RDB_OPCODE_MODULE_AUX);
  len64(w, moduleTypeId(MODULE_NAME, MODULE_ENCVER));
  w.length(MODULE_OPCODE_UINT);
  w.length(when);
  moduleValue(w, `aux-${when}`);
}

function begin(): RdbWriter {
  const w = new RdbWriter(false);
  w.header();
  w.aux('redis-ver', '7.0.15');
  w.aux('redis-bits', '64');
  w.aux('ctime', '1700000000');
  w.aux('used-mem', '1000000');
  w.aux('aof-base', '0');
  return w;
}

function plainKeys(w: RdbWriter): void {
  w.byte(0);
  w.string('before');
  w.string('value-1');
  w.byte(0);
  w.string('after');
  w.string('value-2');
}

/** Module AUX data before and after the keys, as a module with aux_save_triggers both would write. */
export function buildModuleAuxRdb(): Buffer {
  const w = begin();
  moduleAux(w, AUX_BEFORE_RDB);
  w.selectDb(0);
  w.resizeDb(2, 0);
  plainKeys(w);
  moduleAux(w, AUX_AFTER_RDB);
  w.end();
  return Buffer.concat(w.take());
}

/** A key of the module type between two ordinary keys (after `leading` more: k:0, k:1 …). */
export function buildModuleKeyRdb(leading = 0): Buffer {
  const w = begin();
  w.selectDb(0);
  w.resizeDb(3 + leading, 0);
  for (let i = 0; i < leading; i++) {
    w.byte(0);
    w.string(`k:${i}`);
    w.string(String(i));
  }
  w.byte(0);
  w.string('before');
  w.string('value-1');
  w.byte(RDB_TYPE_MODULE_2);
  w.string('modkey');
  len64(w, moduleTypeId(MODULE_NAME, MODULE_ENCVER));
  moduleValue(w, 'key');
  w.byte(0);
  w.string('after');
  w.string('value-2');
  w.end();
  return Buffer.concat(w.take());
}
