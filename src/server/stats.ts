/** Counters behind INFO stats; CONFIG RESETSTAT zeroes them. */
export class Stats {
  startTime = Date.now();
  totalConnections = 0;
  totalCommands = 0;
  rejectedConnections = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  totalErrorReplies = 0;
  /** errorstats: error code (ERR, WRONGTYPE, …) to count. */
  readonly errors = new Map<string, number>();
  /** Unexpected errors while processing, e.g. a handler bug reported to the client. */
  unexpectedErrors = 0;
  /** Samples for instantaneous_ops_per_sec and friends (ring of 16, one per 100 ms). */
  private readonly samples = new Map<
    string,
    { ring: number[]; index: number; lastValue: number; lastTime: number }
  >();

  reset(): void {
    this.totalConnections = 0;
    this.totalCommands = 0;
    this.rejectedConnections = 0;
    this.netInputBytes = 0;
    this.netOutputBytes = 0;
    this.totalErrorReplies = 0;
    this.errors.clear();
    this.unexpectedErrors = 0;
    this.samples.clear();
  }

  /** Records a metric's current total; instantaneous() is the per-second rate over recent samples. */
  sample(metric: string, value: number, now = Date.now()): void {
    let s = this.samples.get(metric);
    if (s === undefined) {
      s = { ring: new Array(16).fill(0), index: 0, lastValue: value, lastTime: now };
      this.samples.set(metric, s);
      return;
    }
    const dt = now - s.lastTime;
    if (dt <= 0) return;
    s.ring[s.index] = ((value - s.lastValue) * 1000) / dt;
    s.index = (s.index + 1) % s.ring.length;
    s.lastValue = value;
    s.lastTime = now;
  }

  instantaneous(metric: string): number {
    const s = this.samples.get(metric);
    if (s === undefined) return 0;
    let sum = 0;
    for (const v of s.ring) sum += v;
    return sum / s.ring.length;
  }
}
