/**
 * LATENCY (Redis's latency.c): LATEST, HISTORY, RESET, GRAPH, DOCTOR and HISTOGRAM, over the
 * server's latency monitor and per-command histograms.
 */
import type { CommandInfo } from '../core/command.js';
import type { CommandContext, CommandFamily, LatencyEventSeries } from '../core/context.js';
import { lookupByFullName, topLevel } from './introspection.js';

function latencyLatest(ctx: CommandContext): void {
  const events = ctx.server.admin.latency.events;
  const r = ctx.reply;
  r.array(events.size);
  for (const [name, series] of events) {
    const [time, latency] = series.latest();
    r.array(4);
    r.bulk(name);
    r.integer(time);
    r.integer(latency);
    r.integer(series.max);
  }
}

function latencyHistory(ctx: CommandContext, argv: string[]): void {
  const series = ctx.server.admin.latency.events.get(argv[2]);
  const samples = series?.samples() ?? [];
  ctx.reply.array(samples.length);
  for (const [time, latency] of samples) {
    ctx.reply.array(2);
    ctx.reply.integer(time);
    ctx.reply.integer(latency);
  }
}

function latencyReset(ctx: CommandContext, argv: string[]): void {
  ctx.reply.integer(ctx.server.admin.latency.reset(argv.slice(2)));
}

/** analyzeLatencyForEvent: sample count, average, mean deviation and period. */
function analyze(series: LatencyEventSeries): { samples: number; avg: number; mad: number; period: number } {
  const samples = series.samples();
  if (samples.length === 0) return { samples: 0, avg: 0, mad: 0, period: 0 };
  let sum = 0;
  let oldest = 0;
  for (const [time, latency] of samples) {
    sum += latency;
    if (oldest === 0 || time < oldest) oldest = time;
  }
  const avg = Math.floor(sum / samples.length);
  let period = Math.floor(Date.now() / 1000) - oldest;
  if (period === 0) period = 1;
  let dev = 0;
  for (const [, latency] of samples) dev += Math.abs(avg - latency);
  return { samples: samples.length, avg, mad: Math.floor(dev / samples.length), period };
}

const LATENCY_DISABLED =
  "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";

/** createLatencyReport, for the events tsredis records (command and fast-command). */
function latencyReport(ctx: CommandContext): string {
  const events = ctx.server.admin.latency.events;
  const threshold = Number(ctx.server.config.get('latency-monitor-threshold') ?? 0);
  if (events.size === 0 && threshold === 0) return LATENCY_DISABLED;
  const slowlogThreshold = ctx.server.config.num('slowlog-log-slower-than');
  let report = '';
  let n = 0;
  let advices = 0;
  let slowlogEnabled = false;
  let slowlogTuning = false;
  let slowlogInspect = false;
  let largeObjects = false;
  let scheduler = false;
  for (const [name, series] of events) {
    n++;
    if (n === 1) {
      report +=
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    }
    const s = analyze(series);
    report += `${n}. ${name}: ${s.samples} latency spikes (average ${s.avg}ms, mean deviation ${s.mad}ms, period ${(s.period / s.samples).toFixed(2)} sec). Worst all time event ${series.max}ms.`;
    if (name.toLowerCase() === 'command') {
      if (slowlogThreshold < 0) {
        slowlogEnabled = true;
        advices++;
      } else if (Math.trunc(slowlogThreshold / 1000) > threshold) {
        slowlogTuning = true;
        advices++;
      }
      slowlogInspect = true;
      largeObjects = true;
      advices += 2;
    }
    if (name.toLowerCase() === 'fast-command') {
      scheduler = true;
      advices++;
    }
    report += '\n';
  }
  if (n === 0) {
    return 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
  }
  if (advices === 0) {
    return `${report}\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n`;
  }
  report += '\nI have a few advices for you:\n\n';
  if (slowlogEnabled) {
    report += `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${threshold * 1000}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
  }
  if (slowlogTuning) {
    report += `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${threshold * 1000}'.\n`;
  }
  if (slowlogInspect) {
    report +=
      '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
  }
  if (scheduler) {
    report +=
      '- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n' +
      '  1) Lower the system load.\n' +
      '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
      '  3) Check if you have a "noisy neighbour" problem.\n' +
      "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
      '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n';
  }
  if (largeObjects) {
    report +=
      '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
  }
  return report;
}

const GRAPH_COLUMNS = 80;
const GRAPH_ROWS = 4;
const SPARK_FILL = '_o#';

/**
 * Redis's sparklineRender with SPARKLINE_FILL: GRAPH_ROWS rows of bars (three steps per row, '|'
 * below the top), a blank row, then each sample's label written vertically; GRAPH_COLUMNS samples
 * per block.
 */
export function sparkline(samples: Array<{ value: number; label: string }>): string {
  let min = 0;
  let max = 0;
  samples.forEach((s, i) => {
    if (i === 0 || s.value < min) min = s.value;
    if (i === 0 || s.value > max) max = s.value;
  });
  const relmax = max - min === 0 ? 1 : max - min;
  const steps = SPARK_FILL.length * GRAPH_ROWS;
  let out = '';
  for (let offset = 0; offset < samples.length; offset += GRAPH_COLUMNS) {
    if (offset !== 0) out += '\n';
    const block = samples.slice(offset, offset + GRAPH_COLUMNS);
    const longest = Math.max(0, ...block.map((s) => s.label.length));
    for (let row = 0; row < GRAPH_ROWS; row++) {
      let line = '';
      for (const s of block) {
        let step = Math.trunc(Math.trunc((s.value - min) * steps) / relmax);
        if (step < 0) step = 0;
        if (step >= steps) step = steps - 1;
        const charidx = step - (GRAPH_ROWS - row - 1) * SPARK_FILL.length;
        line +=
          charidx >= 0 && charidx < SPARK_FILL.length
            ? SPARK_FILL[charidx]
            : charidx >= SPARK_FILL.length
              ? '|'
              : ' ';
      }
      out += `${line}\n`;
    }
    // One blank row between the bars and the labels, then the labels top to bottom.
    out += `${' '.repeat(block.length)}\n`;
    for (let i = 0; i < longest; i++) out += `${block.map((s) => s.label[i] ?? ' ').join('')}\n`;
  }
  return out;
}

/** "12s", "5m", "3h", "2d": how long ago a sample was taken. */
function ago(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

function latencyGraph(ctx: CommandContext, argv: string[]): void {
  const series = ctx.server.admin.latency.events.get(argv[2]);
  if (series === undefined) {
    ctx.reply.error(`ERR No samples available for event '${argv[2]}'`);
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const samples = series.samples().map(([time, latency]) => ({ value: latency, label: ago(now - time) }));
  const values = samples.map((s) => s.value);
  const header = `${argv[2]} - high ${Math.max(...values)} ms, low ${Math.min(...values)} ms (all time high ${series.max} ms)\n`;
  ctx.reply.verbatim(`${header}${'-'.repeat(GRAPH_COLUMNS)}\n${sparkline(samples)}`);
}

function latencyDoctor(ctx: CommandContext): void {
  ctx.reply.verbatim(latencyReport(ctx));
}

function latencyHistogram(ctx: CommandContext, argv: string[]): void {
  const defs: CommandInfo[] = [];
  if (argv.length === 2) {
    for (const def of topLevel(ctx)) {
      defs.push(def);
      if (def.subcommands !== null) defs.push(...def.subcommands.values());
    }
  } else {
    for (let i = 2; i < argv.length; i++) {
      const def = lookupByFullName(ctx, argv[i]);
      if (def === undefined) continue;
      defs.push(def);
      if (def.subcommands !== null) defs.push(...def.subcommands.values());
    }
  }
  const withData = defs.filter((d) => ctx.server.admin.latencyHistogram(d) !== undefined);
  const r = ctx.reply;
  r.map(withData.length);
  for (const def of withData) {
    const h = ctx.server.admin.latencyHistogram(def)!;
    const cdf = h.cumulativeDistribution();
    r.bulk(def.name);
    r.map(2);
    r.bulk('calls');
    r.integer(h.total);
    r.bulk('histogram_usec');
    r.map(cdf.length);
    for (const [usec, count] of cdf) {
      r.integer(usec);
      r.integer(count);
    }
  }
}

export const latencyCommands: CommandFamily = {
  'latency|latest': latencyLatest,
  'latency|history': latencyHistory,
  'latency|reset': latencyReset,
  'latency|doctor': latencyDoctor,
  'latency|graph': latencyGraph,
  'latency|histogram': latencyHistogram,
};
