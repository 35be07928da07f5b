/** Running redis-benchmark and reading its --csv output. */
import { execFile } from 'node:child_process';

export interface BenchmarkRun {
  port: number;
  /** redis-benchmark -t names: set, get, incr, mset, lpush … */
  test: string;
  clients: number;
  pipeline: number;
  requests: number;
  /** -r: random keys from this keyspace (0: the single default key). */
  keyspace?: number;
  /** -d: value size in bytes. */
  dataSize?: number;
  /** A command of its own instead of the -t test (its argv; __rand_int__ is replaced per call). */
  command?: string[];
  /** --user and -a: every connection authenticates as this ACL user first. */
  auth?: readonly [string, string];
  /** --tls with these files (the port is then the TLS port). */
  tls?: BenchTlsFiles;
}

export interface BenchTlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface BenchmarkResult {
  /** The CSV "test" column, e.g. "SET" or "MSET (10 keys)". */
  label: string;
  rps: number;
  p50Ms: number;
}

export function runRedisBenchmark(bin: string, run: BenchmarkRun): Promise<BenchmarkResult> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(run.port),
    ...(run.command === undefined ? ['-t', run.test] : []),
    '-c',
    String(run.clients),
    '-P',
    String(run.pipeline),
    '-n',
    String(run.requests),
    '--csv',
  ];
  if (run.keyspace) args.push('-r', String(run.keyspace));
  if (run.dataSize) args.push('-d', String(run.dataSize));
  if (run.auth !== undefined) args.push('--user', run.auth[0], '-a', run.auth[1]);
  if (run.tls !== undefined)
    args.push('--tls', '--cacert', run.tls.ca, '--cert', run.tls.cert, '--key', run.tls.key);
  if (run.command !== undefined) args.push(...run.command);
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`redis-benchmark ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        return;
      }
      // Some tests print a set-up row first (lrange_100: "LPUSH (needed to benchmark LRANGE)");
      // the requested test's row is the last one.
      const rows = parseCsv(stdout);
      if (rows.length === 0) {
        reject(new Error(`redis-benchmark gave no result rows:\n${stdout}${stderr}`));
        return;
      }
      resolve(rows[rows.length - 1]);
    });
  });
}

/** Rows after the header: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",... */
export function parseCsv(text: string): BenchmarkResult[] {
  const lines = text.split('\n').filter((l) => l.startsWith('"'));
  const header = splitCsvLine(lines[0] ?? '');
  const rpsCol = header.indexOf('rps');
  const p50Col = header.indexOf('p50_latency_ms');
  if (rpsCol < 0) return [];
  return lines.slice(1).map((line) => {
    const cells = splitCsvLine(line);
    return { label: cells[0], rps: Number(cells[rpsCol]), p50Ms: Number(cells[p50Col]) };
  });
}

function splitCsvLine(line: string): string[] {
  return line.split('","').map((c) => c.replace(/^"|"$/g, ''));
}
