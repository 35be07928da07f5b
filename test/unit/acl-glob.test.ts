/** The ACL's compiled key patterns answer exactly as the glob matcher does. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGlob } from '../../src/acl/selector.js';
import { globMatch } from '../../src/lib/glob.js';

test('compiled key patterns match as globMatch does', () => {
  const patterns = ['key:*', 'a', 'a*', '*', '', 'a?*', '[ab]*', 'a\\*', 'ab*c*', 'key:', '**', 'k*y'];
  const subjects = ['', 'a', 'ab', 'abc', 'a*', 'key:', 'key:1', 'kkey:1', 'b', 'key', 'k\x00y', 'abcc'];
  for (const p of patterns) {
    const compiled = compileGlob(p);
    for (const s of subjects)
      assert.equal(compiled(s), globMatch(p, s), `${JSON.stringify(p)} ~ ${JSON.stringify(s)}`);
  }
});
