/** The pidfile (configured, or Redis's default path when daemonized) and the files removed at shutdown. */
import { unlinkSync, writeFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { Config } from './config.js';

export function pidFilePath(config: Config): string {
  const configured = config.str('pidfile');
  if (configured !== '') return resolvePath(configured);
  return config.bool('daemonize') ? '/var/run/redis.pid' : '';
}

/** Writes the pidfile if there is one; returns the warning to log when it cannot be written. */
export function writePidFile(config: Config): string | null {
  const pidfile = pidFilePath(config);
  if (pidfile === '') return null;
  try {
    writeFileSync(pidfile, `${process.pid}\n`);
    return null;
  } catch (e) {
    return `Failed to write PID file: ${(e as Error).message}`;
  }
}

/** Removes the pidfile and the unix socket file, logging each as Redis does. */
export function removeRunFiles(config: Config, log: (message: string) => void): void {
  const pidfile = pidFilePath(config);
  if (pidfile !== '') {
    log('Removing the pid file.');
    unlinkQuietly(pidfile);
  }
  const unixsocket = config.str('unixsocket');
  if (unixsocket !== '') {
    log('Removing the unix socket file.');
    unlinkQuietly(unixsocket);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}
