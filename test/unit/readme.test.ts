import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { render } from '../../scripts/gen-readme.js';
import { DIST } from '../support/servers.js';

test('README lists exactly the commands and directives in the code (npm run readme)', () => {
  const readme = readFileSync(join(DIST, '..', 'README.md'), 'utf8');
  assert.equal(render(readme), readme);
});
