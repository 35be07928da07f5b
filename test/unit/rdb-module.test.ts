/**
 * Module data in RDB files (hand-built fixtures, see rdb-module-fixtures.ts): an
 * RDB_OPCODE_MODULE_AUX record is read with its "when" field and skipped with a warning naming the
 * module; a key of a module type is refused with an error naming the key and the module type
 * (its 9-character name decoded from the 64-bit id as Redis's moduleTypeNameByID does).
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RdbError } from '../../src/rdb/cursor.js';
import { moduleTypeId, moduleTypeName, readRdb } from '../../src/rdb/reader.js';
import { RdbWriter } from '../../src/rdb/writer.js';
import { checkRdb, freshDir, startTsredisIn } from '../support/persistence-helpers.js';
import { RawClient } from '../support/raw-client.js';
import {
  buildModuleAuxRdb,
  buildModuleKeyRdb,
  MODULE_ENCVER,
  MODULE_NAME,
} from '../support/rdb-module-fixtures.js';
import { DIST, findTool } from '../support/servers.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'rdb');
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('module ids', () => {
  test('name and encoding version round trip through the 64-bit id', () => {
    for (const name of [MODULE_NAME, 'ReJSON-RL', 'AAAAAAAAA', '_________', 'graphdata']) {
      for (const encver of [0, 1, 1023]) {
        const id = moduleTypeId(name, encver);
        assert.equal(moduleTypeName(id), name);
        assert.equal(Number(id & 1023n), encver);
      }
    }
  });
});

describe('RDB module records', () => {
  test('the committed fixtures are exactly what rdb-module-fixtures.ts builds', () => {
    assert.ok(readFileSync(join(FIXTURES, 'module_aux.rdb')).equals(buildModuleAuxRdb()));
    assert.ok(readFileSync(join(FIXTURES, 'module_key.rdb')).equals(buildModuleKeyRdb()));
  });

  test('redis-check-rdb accepts both fixtures and decodes the same module name', {
    skip: findTool('redis-check-rdb') === null ? 'redis-check-rdb not installed' : false,
  }, () => {
    const aux = checkRdb(join(FIXTURES, 'module_aux.rdb'));
    assert.equal(aux.code, 0, aux.output);
    assert.match(aux.output, /RDB looks OK/);
    assert.equal(aux.output.match(new RegExp(`MODULE AUX for: ${MODULE_NAME}`, 'g'))?.length, 2);
    const key = checkRdb(join(FIXTURES, 'module_key.rdb'));
    assert.equal(key.code, 0, key.output);
    assert.match(key.output, /3 keys read/);
  });

  test('MODULE_AUX: the when field is read (opcode then value), the module value skipped', () => {
    const aux: Array<[string, number, bigint]> = [];
    const keys: string[] = [];
    readRdb(readFileSync(join(FIXTURES, 'module_aux.rdb')), {
      entry: (e) => keys.push(`${e.key}=${(e.value as { value: string }).value}`),
      moduleAux: (id, name, when) => aux.push([name, when, id]),
    });
    const id = moduleTypeId(MODULE_NAME, MODULE_ENCVER);
    assert.deepEqual(aux, [
      [MODULE_NAME, 1, id],
      [MODULE_NAME, 2, id],
    ]);
    assert.deepEqual(keys, ['before=value-1', 'after=value-2']);
  });

  test('MODULE_AUX with a when field not prefixed by the UINT opcode is refused (bad when_opcode)', () => {
    const w = new RdbWriter(false);
    w.header();
    w.byte(0xf7);
    w.length(12345);
    w.length(1); // RDB_MODULE_OPCODE_SINT instead of UINT
    w.length(2);
    w.length(0);
    w.end();
    assert.throws(
      () => readRdb(Buffer.concat(w.take()), { entry: () => {} }),
      (e: unknown) => e instanceof RdbError && /bad when_opcode/.test(e.message),
    );
  });

  test('a module-type key: the error names the key and the module type', () => {
    assert.throws(
      () => readRdb(readFileSync(join(FIXTURES, 'module_key.rdb')), { entry: () => {} }),
      (e: unknown) =>
        e instanceof RdbError &&
        e.message.includes(
          `The RDB file contains module data I can't load: no matching module type '${MODULE_NAME}'`,
        ) &&
        e.message.includes("key 'modkey'"),
    );
  });

  test('tsredis-server starts from an RDB with module AUX data, with a clear warning', async () => {
    const dir = freshDir('rdb-module-aux');
    dirs.push(dir);
    copyFileSync(join(FIXTURES, 'module_aux.rdb'), join(dir, 'dump.rdb'));
    const s = await startTsredisIn(dir);
    try {
      const c = await RawClient.connect(s.port);
      assert.equal(await c.callRaw('GET before'), '$7\r\nvalue-1\r\n');
      assert.equal(await c.callRaw('GET after'), '$7\r\nvalue-2\r\n');
      assert.equal(await c.callRaw('DBSIZE'), ':2\r\n');
      c.close();
      const warnings = s
        .output()
        .split('\n')
        .filter((l) =>
          l.includes(
            `The RDB file contains AUX module data I can't load: no matching module '${MODULE_NAME}'`,
          ),
        );
      assert.equal(warnings.length, 2, s.output());
      assert.match(warnings[0], / # /, 'logged at warning level');
    } finally {
      await s.stop();
    }
  });

  test('tsredis-server refuses to start from an RDB with a module-type key, naming key and module', async () => {
    const dir = freshDir('rdb-module-key');
    dirs.push(dir);
    copyFileSync(join(FIXTURES, 'module_key.rdb'), join(dir, 'dump.rdb'));
    await assert.rejects(startTsredisIn(dir), (e: Error) => {
      assert.match(e.message, /server exited with 1 before ready/);
      assert.match(e.message, /no matching module type 'mymodtype' \(key 'modkey'/);
      return true;
    });
  });
});
