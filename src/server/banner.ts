import { REDIS_VERSION, TSREDIS_VERSION } from '../lib/version.js';

/** The start-up banner shown with always-show-logo yes (or on a tty), in the place of Redis's logo. */
export function banner(port: number, pid: number, mode: string): string {
  const art = [
    '   _                     _ _     ',
    '  | |_ ___ _ __ ___  __| (_)___ ',
    "  | __/ __| '__/ _ \\/ _` | / __|",
    '  | |_\\__ \\ | |  __/ (_| | \\__ \\',
    '   \\__|___/_|  \\___|\\__,_|_|___/',
    '',
    '',
  ];
  const info = [
    `tsredis ${TSREDIS_VERSION} (Redis ${REDIS_VERSION} compatible) 64 bit`,
    '',
    `Running in ${mode} mode`,
    `Port: ${port}`,
    `PID: ${pid}`,
    '',
    'https://github.com/tsredis/tsredis',
  ];
  const lines = art.map((a, i) => `${a.padEnd(40)}${info[i] ?? ''}`.trimEnd());
  return `${lines.join('\n')}\n\n`;
}
