import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUNDLED_SPECS, Commands } from '../../src/core/command-table.js';
import type { CommandContext } from '../../src/core/context.js';

const handler = (ctx: CommandContext) => ctx.reply.simple('OK');

// A spec as the generated file writes one: name, arity, flags, first/last/step, ACL categories, tips,
// key specs, subcommands.
const overlayOnly = {
  info: {
    ...BUNDLED_SPECS.info,
    'x-own': [
      '$x-own',
      2,
      { '~': ['+readonly', '+fast'] },
      1,
      1,
      1,
      { '~': ['+@read', '+@fast'] },
      { '~': [] },
      { '~': [] },
      { '~': [] },
    ],
  },
  docs: BUNDLED_SPECS.docs,
};

test('a command without a spec in Redis or the overlay is refused when the table is built', () => {
  assert.throws(() => new Commands([{ 'x-own': handler }]), /no Redis spec for command x-own/);
});

test('a spec from the overlay makes a command Redis does not list: arity, flags, keys and ACL categories', () => {
  const table = new Commands([{ 'x-own': handler }], overlayOnly);
  const def = table.lookup('X-OWN');
  assert.ok(def !== undefined);
  assert.equal(def.name, 'x-own');
  assert.equal(def.arity, 2);
  assert.deepEqual([def.firstKey, def.lastKey, def.keyStep], [1, 1, 1]);
  assert.deepEqual(def.categories, ['@read', '@fast']);
});

test('the bundled specs cover every redis-server command (the overlay adds, never hides)', () => {
  assert.ok(BUNDLED_SPECS.info.get !== undefined && BUNDLED_SPECS.docs.get !== undefined);
  assert.ok(Object.keys(BUNDLED_SPECS.info).length >= 240);
});
