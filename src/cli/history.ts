/** Interactive history kept like linenoise: oldest first, no immediate duplicates, 100 lines, saved after each line. */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const MAX_LINES = 100;

/** REDISCLI_HISTFILE if set ("/dev/null" disables saving), else ~/.tsrediscli_history. */
export function historyPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const override = env.REDISCLI_HISTFILE;
  if (override !== undefined && override !== '') return override === '/dev/null' ? null : override;
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
  return home === '' ? null : join(home, '.tsrediscli_history');
}

export class History {
  /** Lines as latin1 byte strings, oldest first. */
  readonly lines: string[] = [];

  constructor(private readonly path: string | null) {
    if (path === null) return;
    try {
      const text = readFileSync(path).latin1Slice();
      for (const line of text.split('\n')) if (line !== '') this.lines.push(line.replace(/\r$/, ''));
      this.lines.splice(0, Math.max(0, this.lines.length - MAX_LINES));
    } catch {
      // No history yet.
    }
  }

  add(line: string): void {
    if (this.lines[this.lines.length - 1] === line) return;
    this.lines.push(line);
    if (this.lines.length > MAX_LINES) this.lines.shift();
  }

  save(): void {
    if (this.path === null) return;
    try {
      writeFileSync(this.path, Buffer.from(this.lines.map((l) => `${l}\n`).join(''), 'latin1'), {
        mode: 0o600,
      });
    } catch {
      // Like linenoise: an unwritable history file is not an error.
    }
  }
}
