/**
 * The V8 heap limit a server should run with. Node's default caps the old generation at about
 * 4 GB whatever the machine has, and a dataset past it kills the process (every key lost), so the
 * limit is chosen from what the server may use: `maxmemory` when set, else the memory of the
 * machine or of the container (cgroup) it runs in.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

const MB = 1024 * 1024;

export interface HeapPlan {
  /** --max-old-space-size, in MB. */
  oldSpaceMb: number;
  /** Where the figure comes from: "maxmemory", "cgroup" or "machine". */
  source: 'maxmemory' | 'cgroup' | 'machine';
}

/** The memory this process may use: the machine's, or its cgroup's limit when lower. */
export function availableMemory(): { bytes: number; source: 'cgroup' | 'machine' } {
  const machine = totalmem();
  const cgroup = cgroupLimit();
  if (cgroup !== null && cgroup < machine) return { bytes: cgroup, source: 'cgroup' };
  return { bytes: machine, source: 'machine' };
}

/** cgroup v2's memory.max or v1's memory.limit_in_bytes; null when unlimited or unknown. */
function cgroupLimit(): number | null {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1').trim();
    } catch {
      continue;
    }
    const n = Number(text);
    // v1 reports "no limit" as a number near 2^63.
    return Number.isFinite(n) && n > 0 && n < 2 ** 60 ? n : null;
  }
  return null;
}

/**
 * The old-space size for a server: without maxmemory, three quarters of the available memory (the
 * rest is for buffers kept off the heap, code and the OS); with it, room for the dataset it allows
 * plus the garbage a collector needs, never more than that three quarters nor less than Node's default.
 */
export function planHeap(maxmemory: number, available = availableMemory()): HeapPlan {
  const machineMb = Math.floor((available.bytes * 0.75) / MB);
  const defaultMb = Math.floor(getHeapStatistics().heap_size_limit / MB);
  if (maxmemory > 0) {
    const wanted = Math.ceil((maxmemory * 1.5) / MB) + 512;
    return {
      oldSpaceMb: Math.max(Math.min(wanted, machineMb), Math.min(defaultMb, machineMb)),
      source: 'maxmemory',
    };
  }
  return { oldSpaceMb: Math.max(machineMb, 256), source: available.source };
}

/** Whether the heap size was chosen by whoever started node (a flag or NODE_OPTIONS). */
export function heapSizeGiven(execArgv: readonly string[], nodeOptions = ''): boolean {
  const given = (arg: string) => /^--max[-_]old[-_]space[-_]size(=|$)/.test(arg);
  return execArgv.some(given) || nodeOptions.split(/\s+/).some(given);
}

/** Set by a launcher that chose the heap size (tsredis-server's relaunch, tsredis up): the plan's source. */
export const HEAP_SOURCE_ENV = 'TSREDIS_HEAP_SOURCE';

/** What set this process's heap limit, as INFO memory shows it. */
export function heapSource(env = process.env, execArgv = process.execArgv): string {
  const planned = env[HEAP_SOURCE_ENV];
  if (planned !== undefined && planned !== '') return planned;
  return heapSizeGiven(execArgv, env.NODE_OPTIONS) ? 'node-option' : 'node-default';
}

/** The node flag for a plan. */
export function heapFlag(plan: HeapPlan): string {
  return `--max-old-space-size=${plan.oldSpaceMb}`;
}
