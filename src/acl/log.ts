/** The ACL log (ACL LOG): denied commands, keys, channels and failed AUTHs, newest first. */

/** Entries this close in time (and otherwise equal) are one entry with a count. */
const GROUPING_MAX_DELTA_MS = 60000;

export type DenialReason = 'command' | 'key' | 'channel' | 'auth';
export type DenialContext = 'toplevel' | 'multi' | 'lua' | 'module';

export interface AclLogEntry {
  count: number;
  reason: DenialReason;
  context: DenialContext;
  object: string;
  username: string;
  /** Milliseconds, the last time it happened. */
  ctime: number;
  clientInfo: string;
}

export class AclLog {
  readonly entries: AclLogEntry[] = [];

  constructor(private readonly maxLen: () => number) {}

  /** addACLLogEntry: bumps a similar recent entry among the newest ten, or adds one. */
  add(e: Omit<AclLogEntry, 'count' | 'ctime'>, now = Date.now()): void {
    const scan = Math.min(10, this.entries.length);
    for (let i = 0; i < scan; i++) {
      const old = this.entries[i];
      if (
        old.reason === e.reason &&
        old.context === e.context &&
        Math.abs(old.ctime - now) <= GROUPING_MAX_DELTA_MS &&
        old.object === e.object &&
        old.username === e.username
      ) {
        this.entries.splice(i, 1);
        this.entries.unshift(old);
        old.clientInfo = e.clientInfo;
        old.ctime = now;
        old.count++;
        return;
      }
    }
    this.entries.unshift({ ...e, count: 1, ctime: now });
    const max = this.maxLen();
    if (this.entries.length > max) this.entries.length = Math.max(0, max);
  }

  reset(): void {
    this.entries.length = 0;
  }
}
