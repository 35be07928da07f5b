/** Counters behind INFO stats; CONFIG RESETSTAT zeroes them. */
export class Stats {
  startTime = Date.now();
  totalConnections = 0;
  totalCommands = 0;
  rejectedConnections = 0;
  netInputBytes = 0;
  netOutputBytes = 0;
  /** Socket reads and writes (INFO total_reads_processed / total_writes_processed). */
  readsProcessed = 0;
  writesProcessed = 0;
  totalErrorReplies = 0;
  /** totalErrorReplies already attributed to a command (failed_calls), as Redis's prev_err_count. */
  attributedErrors = 0;
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
    this.readsProcessed = 0;
    this.writesProcessed = 0;
    this.totalErrorReplies = 0;
    this.attributedErrors = 0;
    this.errors.clear();
    this.unexpectedErrors = 0;
    this.samples.clear();
  }

  /** Counts one error reply under its code (the text up to the first space), as errorstats does. */
  countError(msg: string): void {
    this.totalErrorReplies++;
    const space = msg.indexOf(' ');
    const code = space < 0 ? msg : msg.slice(0, space);
    const seen = this.errors.get(code);
    // Like Redis, stop tracking new error codes past 128 of them (existing ones keep counting).
    if (seen !== undefined) this.errors.set(code, seen + 1);
    else if (this.errors.size < MAX_ERROR_CODES) this.errors.set(code, 1);
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

const MAX_ERROR_CODES = 128;

/*
 * Per-command latency histograms with the layout of HdrHistogram (the library Redis uses for
 * latencystats and LATENCY HISTOGRAM): 2 significant figures, values in nanoseconds from 1 to
 * 1 s. Using the same buckets makes the reported percentiles round exactly like Redis's.
 */
const SUB_BUCKET_HALF_COUNT_MAGNITUDE = 7;
const SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE; // 128
const SUB_BUCKET_MASK = 2 * SUB_BUCKET_HALF_COUNT - 1; // 255
const HISTOGRAM_MIN_NS = 1;
const HISTOGRAM_MAX_NS = 1_000_000_000;
/** Buckets needed to reach HISTOGRAM_MAX_NS: 256 << 22 > 1e9, so 23 buckets, (23 + 1) * 128 counts. */
const COUNTS_LEN = 24 * SUB_BUCKET_HALF_COUNT;

function bucketIndex(v: number): number {
  return 32 - Math.clz32(v | SUB_BUCKET_MASK) - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1);
}

function countsIndex(v: number): number {
  const bucket = bucketIndex(v);
  const sub = v >>> bucket;
  return ((bucket + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (sub - SUB_BUCKET_HALF_COUNT);
}

function valueAtIndex(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/** The largest value that falls in the same bucket slot as v. */
export function highestEquivalentValue(v: number): number {
  const bucket = bucketIndex(v);
  const sub = v >>> bucket;
  const lowest = sub * 2 ** bucket;
  const adjusted = sub >= 2 * SUB_BUCKET_HALF_COUNT ? bucket + 1 : bucket;
  return lowest + 2 ** adjusted - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(COUNTS_LEN);
  total = 0;

  /** Records one command duration given in microseconds. */
  recordUsec(usec: number): void {
    let ns = usec * 1000;
    if (ns < HISTOGRAM_MIN_NS) ns = HISTOGRAM_MIN_NS;
    else if (ns > HISTOGRAM_MAX_NS) ns = HISTOGRAM_MAX_NS;
    this.counts[countsIndex(Math.floor(ns))]++;
    this.total++;
  }

  /** hdr_value_at_percentile, in nanoseconds. */
  valueAtPercentile(percentile: number): number {
    const requested = Math.min(percentile, 100);
    let target = Math.floor((requested / 100) * this.total + 0.5);
    if (target < 1) target = 1;
    let seen = 0;
    for (let i = 0; i < COUNTS_LEN; i++) {
      seen += this.counts[i];
      if (seen >= target) {
        const v = valueAtIndex(i);
        return percentile === 0 ? v : highestEquivalentValue(v);
      }
    }
    return 0;
  }

  /**
   * LATENCY HISTOGRAM's cumulative distribution: HdrHistogram's logarithmic iteration from 1024 ns
   * doubling each step, as [microseconds, cumulative count] pairs where the count grew.
   */
  cumulativeDistribution(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let previous = 0;
    let cumulative = 0;
    let index = 0;
    for (let level = 1024; level <= HISTOGRAM_MAX_NS * 2; level *= 2) {
      const last = Math.min(countsIndex(level), COUNTS_LEN - 1);
      for (; index <= last; index++) cumulative += this.counts[index];
      if (cumulative > previous) out.push([Math.floor(highestEquivalentValue(level) / 1000), cumulative]);
      previous = cumulative;
      if (cumulative >= this.total) break;
    }
    return out;
  }
}
