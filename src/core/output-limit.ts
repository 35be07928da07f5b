/** One class of client-output-buffer-limit (normal, replica, pubsub). */
export interface OutputBufferLimit {
  hard: bigint;
  soft: bigint;
  seconds: number;
}

/**
 * Redis's checkClientOutputBufferLimits for one client: over the hard limit at once, or over the
 * soft limit for longer than its seconds. Remembers since when the soft limit has been exceeded.
 */
export class OutputLimitState {
  private softSince = 0;

  exceeded(used: number, limit: OutputBufferLimit, now: number): boolean {
    const bytes = BigInt(used);
    if (limit.hard > 0n && bytes >= limit.hard) return true;
    if (limit.soft > 0n && bytes >= limit.soft) {
      if (this.softSince === 0) this.softSince = now;
      return now - this.softSince > limit.seconds * 1000;
    }
    this.softSince = 0;
    return false;
  }

  reset(): void {
    this.softSince = 0;
  }
}
