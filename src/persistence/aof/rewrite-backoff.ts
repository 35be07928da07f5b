import type { Host } from '../../core/host.js';
import { nowSec } from './appender.js';

/** AOF_REWRITE_LIMITE_THRESHOLD / _MAX_MINUTES: back-off after repeated rewrite failures. */
const REWRITE_LIMIT_THRESHOLD = 3;
const REWRITE_LIMIT_MAX_MINUTES = 60;

export class RewriteBackoff {
  /** aof_rewrites_consecutive_failures. */
  consecutiveFailures = 0;
  private nextDelayMinutes = 0;
  private nextRewriteSec = 0;

  constructor(private readonly server: Host) {}

  /** aofRewriteLimited: after 3 failures in a row, wait 1, 2, 4 … 60 minutes between automatic tries. */
  limited(): boolean {
    if (this.consecutiveFailures < REWRITE_LIMIT_THRESHOLD) {
      this.nextDelayMinutes = 0;
      this.nextRewriteSec = 0;
      return false;
    }
    const now = nowSec();
    if (this.nextRewriteSec !== 0) {
      if (now < this.nextRewriteSec) return true;
      this.nextRewriteSec = 0;
      return false;
    }
    this.nextDelayMinutes = Math.min(
      this.nextDelayMinutes === 0 ? 1 : this.nextDelayMinutes * 2,
      REWRITE_LIMIT_MAX_MINUTES,
    );
    this.nextRewriteSec = now + this.nextDelayMinutes * 60;
    this.server.log(
      'warning',
      `Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.nextDelayMinutes} minutes`,
    );
    return true;
  }
}
