import { Flag } from '../core/command.js';
import type { CommandDef } from '../core/command-table.js';
import type { Client } from './client.js';
import type { Config } from './config.js';

const MAX_ARGS = 32;
const MAX_ARG_LEN = 128;

export interface SlowlogEntry {
  id: number;
  time: number;
  usec: number;
  args: string[];
  addr: string;
  name: string;
}

/** SLOWLOG: commands slower than slowlog-log-slower-than microseconds, newest first. */
export class SlowLog {
  entries: SlowlogEntry[] = [];
  private nextId = 0;

  /** slowlog-log-slower-than, kept current: read on every command. */
  private threshold = 10000;

  constructor(private readonly config: Config) {
    config.watch('slowlog-log-slower-than', (v) => {
      this.threshold = v as number;
    });
  }

  record(c: Client, argv: string[], usec: number, cmd: CommandDef): void {
    const threshold = this.threshold;
    if (threshold < 0 || usec < threshold || cmd.has(Flag.skip_slowlog)) return;
    const count = Math.min(argv.length, MAX_ARGS);
    const args: string[] = [];
    for (let i = 0; i < count; i++) {
      if (count !== argv.length && i === count - 1) {
        args.push(`... (${argv.length - count + 1} more arguments)`);
      } else if (argv[i].length > MAX_ARG_LEN) {
        args.push(`${argv[i].slice(0, MAX_ARG_LEN)}... (${argv[i].length - MAX_ARG_LEN} more bytes)`);
      } else {
        args.push(argv[i]);
      }
    }
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      usec,
      args,
      addr: c.addr,
      name: c.name,
    });
    const max = this.config.num('slowlog-max-len');
    if (this.entries.length > max) this.entries.length = max;
  }

  reset(): void {
    this.entries = [];
  }
}
