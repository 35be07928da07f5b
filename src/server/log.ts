import { closeSync, openSync, writeSync } from 'node:fs';
import type { LogLevel } from '../core/context.js';

const LEVELS: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };
const LEVEL_CHAR: Record<LogLevel, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Redis's timestamp: "24 Nov 2026 23:37:33.458", local time. */
export function logTimestamp(d = new Date()): string {
  const p2 = (n: number) => (n < 10 ? `0${n}` : String(n));
  const ms = d.getMilliseconds();
  const mss = ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : String(ms);
  return `${p2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p2(d.getHours())}:${p2(
    d.getMinutes(),
  )}:${p2(d.getSeconds())}.${mss}`;
}

/**
 * Log lines in Redis's format, "pid:R dd Mon yyyy hh:mm:ss.mmm L message", where R is the role
 * (C before the server is initialised, M master, S replica) and L the level (. - * #). Written
 * synchronously, line by line, like Redis, to the logfile or stdout.
 */
export class Logger {
  level: LogLevel = 'notice';
  /** Empty: standard output. */
  file = '';
  role: 'C' | 'M' | 'S' = 'C';
  /** Set when daemonized with no logfile: Redis then logs to /dev/null. */
  silent = false;

  log(level: LogLevel, message: string): void {
    if (LEVELS[level] < LEVELS[this.level]) return;
    this.raw(`${process.pid}:${this.role} ${logTimestamp()} ${LEVEL_CHAR[level]} ${message}\n`);
  }

  /** Writes text as is (the ASCII logo, signal-handler lines). */
  raw(text: string): void {
    if (this.silent) return;
    if (this.file === '') {
      try {
        writeSync(1, text);
      } catch {
        // stdout closed (EPIPE): nothing to report to.
      }
      return;
    }
    try {
      const fd = openSync(this.file, 'a');
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
    } catch {
      // Redis also drops a log line it cannot write.
    }
  }
}
