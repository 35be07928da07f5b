import type { ConfigView, LatencyEventSeries, LatencyMonitorView } from '../core/context.js';

/** Samples kept per event, as Redis's LATENCY_TS_LEN. */
const SERIES_LEN = 160;

class Series implements LatencyEventSeries {
  /** Ring of [unix seconds, latency ms]; time 0 marks an unused slot. */
  readonly times = new Array<number>(SERIES_LEN).fill(0);
  readonly latencies = new Array<number>(SERIES_LEN).fill(0);
  index = 0;
  max = 0;

  add(now: number, latency: number): void {
    if (latency > this.max) this.max = latency;
    const prev = (this.index + SERIES_LEN - 1) % SERIES_LEN;
    // One sample per second: a later spike in the same second only raises it.
    if (this.times[prev] === now) {
      if (latency > this.latencies[prev]) this.latencies[prev] = latency;
      return;
    }
    this.times[this.index] = now;
    this.latencies[this.index] = latency;
    this.index = (this.index + 1) % SERIES_LEN;
  }

  latest(): [number, number] {
    const last = (this.index + SERIES_LEN - 1) % SERIES_LEN;
    return [this.times[last], this.latencies[last]];
  }

  /** Samples oldest first. */
  samples(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let j = 0; j < SERIES_LEN; j++) {
      const i = (this.index + j) % SERIES_LEN;
      if (this.times[i] !== 0) out.push([this.times[i], this.latencies[i]]);
    }
    return out;
  }
}

/**
 * The latency monitor (LATENCY LATEST/HISTORY/RESET/DOCTOR): per event, the spikes at or above
 * latency-monitor-threshold milliseconds, one sample per second.
 */
export class LatencyMonitor implements LatencyMonitorView {
  readonly events = new Map<string, Series>();

  constructor(private readonly config: ConfigView) {}

  get threshold(): number {
    return Number(this.config.get('latency-monitor-threshold') ?? 0);
  }

  /** latencyAddSampleIfNeeded: records when monitoring is on and the latency reaches the threshold. */
  addSampleIfNeeded(event: string, ms: number): void {
    const threshold = this.threshold;
    if (threshold > 0 && ms >= threshold) this.addSample(event, ms);
  }

  addSample(event: string, ms: number): void {
    let series = this.events.get(event);
    if (series === undefined) this.events.set(event, (series = new Series()));
    series.add(Math.floor(Date.now() / 1000), ms);
  }

  series(event: string): LatencyEventSeries | undefined {
    return this.events.get(event);
  }

  /** Resets the named events (all when none are named); returns how many existed. */
  reset(events: string[]): number {
    if (events.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const [name] of this.events) {
      if (events.some((e) => e.toLowerCase() === name.toLowerCase())) {
        this.events.delete(name);
        n++;
      }
    }
    return n;
  }
}
