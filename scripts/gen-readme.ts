/**
 * Regenerates the README sections that come from code: the supported commands (from the command
 * table) and the config directives (from the directive table).
 *   node dist/scripts/gen-readme.js          rewrite README.md
 *   node dist/scripts/gen-readme.js --check  exit 1 if README.md is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { allFamilies } from '../src/commands/index.js';
import { Commands } from '../src/core/command-table.js';
import { DIRECTIVES } from '../src/server/config-directives.js';
import { REFUSALS } from '../src/server/config-refusals.js';
import { leafText, mapGet } from '../src/specs/spec-node.js';

const README = new URL('../../README.md', import.meta.url);

export function commandsSection(): string {
  const table = new Commands(allFamilies);
  const groups = new Map<string, string[]>();
  for (const def of table.all()) {
    const group = leafText(mapGet(def.docs ?? null, 'group') ?? '$other');
    const names = def.subcommands
      ? [...def.subcommands.values()].map((s) => s.name.replace('|', ' ').toUpperCase())
      : [def.name.toUpperCase()];
    const list = groups.get(group) ?? [];
    list.push(...names);
    groups.set(group, list);
  }
  let out = '';
  for (const group of [...groups.keys()].sort()) {
    const names = groups.get(group)!.sort();
    out += `- **${group}** (${names.length}): ${names.map((n) => `\`${n}\``).join(', ')}\n`;
  }
  return out;
}

export function directivesSection(): string {
  const implemented = DIRECTIVES.filter((d) => d.implemented)
    .map((d) => d.name)
    .sort();
  const refused = Object.entries(REFUSALS).sort(([a], [b]) => a.localeCompare(b));
  const ignored = DIRECTIVES.filter((d) => !d.implemented && REFUSALS[d.name] === undefined)
    .map((d) => d.name)
    .sort();
  return (
    `Implemented (${implemented.length}): ${implemented.map((n) => `\`${n}\``).join(', ')}\n\n` +
    `Refused unless left at their default, because tsredis cannot honour them yet (${refused.length}): ` +
    `${refused.map(([n, r]) => `\`${n} ${r.allowed}\``).join(', ')}\n\n` +
    `Accepted for compatibility, no effect yet; none of them can weaken access control or durability (${ignored.length}): ${ignored.map((n) => `\`${n}\``).join(', ')}\n`
  );
}

export function render(readme: string): string {
  const replace = (text: string, name: string, body: string) => {
    const start = `<!-- ${name}:start -->\n`;
    const end = `<!-- ${name}:end -->`;
    const i = text.indexOf(start);
    const j = text.indexOf(end);
    if (i < 0 || j < 0) throw new Error(`README is missing the ${name} markers`);
    return text.slice(0, i + start.length) + body + text.slice(j);
  };
  return replace(replace(readme, 'commands', commandsSection()), 'directives', directivesSection());
}

if (process.argv[1]?.endsWith('gen-readme.js')) {
  const current = readFileSync(README, 'utf8');
  const next = render(current);
  if (process.argv.includes('--check')) {
    if (next !== current) {
      console.error('README.md is stale: run `npm run readme`');
      process.exit(1);
    }
  } else {
    writeFileSync(README, next);
  }
}
