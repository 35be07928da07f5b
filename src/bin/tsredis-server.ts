#!/usr/bin/env node
/** tsredis-server: command line, configuration, daemonizing and process lifecycle around Server. */
import { fork } from 'node:child_process';
import { readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { banner } from '../server/banner.js';
import type { Config } from '../server/config.js';
import { Logger } from '../server/log.js';
import { ListenError, Server } from '../server/server.js';
import {
  assembleConfigText,
  ConfigFileError,
  ConfigOpenError,
  loadConfig,
  parseCommandLine,
} from '../server/startup.js';
import { REDIS_VERSION, TSREDIS_VERSION } from '../server/version.js';

const USAGE = `Usage: tsredis-server [/path/to/redis.conf] [options] [-]
       tsredis-server - (read config from stdin)
       tsredis-server -v or --version
       tsredis-server -h or --help
       tsredis-server /path/to/redis.conf --test-config (check the configuration and exit)

Examples:
       tsredis-server (run the server with default conf)
       echo 'maxmemory 128mb' | tsredis-server -
       tsredis-server /etc/redis/6379.conf
       tsredis-server --port 7777
       tsredis-server --port 7777 --replicaof 127.0.0.1 8888
       tsredis-server /etc/myredis.conf --loglevel verbose -
       tsredis-server /etc/myredis.conf --loglevel verbose
`;

const DAEMON_ENV = 'TSREDIS_DAEMON_CHILD';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const cl = parseCommandLine(args);
  if (cl.mode === 'version') {
    process.stdout.write(
      `Redis server v=${REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=tsredis-${TSREDIS_VERSION}\n`,
    );
    return;
  }
  if (cl.mode === 'help') {
    process.stderr.write(USAGE);
    process.exitCode = 1;
    return;
  }
  const logger = new Logger();
  const isDaemonChild = process.env[DAEMON_ENV] === '1';
  let text: string;
  if (isDaemonChild) {
    text = await receiveConfigText();
  } else {
    try {
      text = assembleConfigText(cl, () => readFileSync(0, 'latin1'));
    } catch (e) {
      if (!(e instanceof ConfigOpenError)) throw e;
      logger.log('warning', e.message);
      process.exit(1);
    }
  }
  let config: Config;
  try {
    config = loadConfig(cl, text);
  } catch (e) {
    if (!(e instanceof ConfigFileError)) throw e;
    writeSync(2, e.report(REDIS_VERSION));
    process.exit(1);
  }
  if (cl.mode === 'test-config') {
    process.stdout.write('Configuration OK\n');
    return;
  }
  if (config.bool('daemonize') && !isDaemonChild) {
    process.exit(await daemonize(text));
  }
  logger.file = config.str('logfile');
  if (isDaemonChild && logger.file === '') logger.silent = true;
  logger.level = config.str('loglevel') as Logger['level'];
  if (config.str('dir') !== '') {
    try {
      process.chdir(config.str('dir'));
    } catch (e) {
      logger.log('warning', `Can't chdir to '${config.str('dir')}': ${(e as Error).message}`);
      process.exit(1);
    }
  }
  logger.log('warning', 'oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo');
  logger.log(
    'warning',
    `Redis version=${REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid=${process.pid}, just started (tsredis ${TSREDIS_VERSION})`,
  );
  if (cl.bare) {
    logger.log(
      'warning',
      'Warning: no config file specified, using the default config. In order to specify a config file use tsredis-server /path/to/redis.conf',
    );
  } else {
    logger.log('warning', 'Configuration loaded');
  }
  let server: Server;
  try {
    server = new Server({ config, logger });
  } catch (e) {
    writeSync(2, `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n${(e as Error).message}\n`);
    process.exit(1);
  }
  logger.role = 'M';
  logger.log('notice', 'monotonic clock: POSIX clock_gettime');
  try {
    await server.start();
  } catch (e) {
    if (!(e instanceof ListenError)) throw e;
    logger.log('warning', e.message);
    reportToParent({ failed: 1 });
    process.exit(1);
  }
  for (const name of config.ignoredSet) {
    logger.log(
      'notice',
      `Config directive '${name}' is accepted for compatibility but has no effect in tsredis.`,
    );
  }
  if (config.bool('always-show-logo') || (process.stdout.isTTY && logger.file === '' && !logger.silent)) {
    logger.raw(banner(server.port, process.pid, 'standalone'));
  } else {
    logger.log('notice', `Running mode=standalone, port=${server.port}.`);
  }
  server.writePidFile();
  logger.log('warning', 'Server initialized');
  logger.log('notice', 'Ready to accept connections');
  reportToParent({ ready: 1 });
  installSignalHandlers(server, logger);
  server.onShutdownComplete = (code) => process.exit(code);
}

function installSignalHandlers(server: Server, logger: Logger): void {
  let requested = false;
  const handler = (signal: 'SIGTERM' | 'SIGINT') => {
    if (requested && signal === 'SIGINT') {
      logger.log('warning', 'You insist... exiting now.');
      process.exit(1);
    }
    requested = true;
    logger.raw(
      `${process.pid}:signal-handler (${Math.floor(Date.now() / 1000)}) Received ${signal} scheduling shutdown...\n`,
    );
    void server.shutdown().then((ok) => {
      if (ok) process.exit(0);
      requested = false;
    });
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGHUP', () => {});
}

/** Starts a detached copy of this program and returns once it listens (0) or failed (1). */
function daemonize(configText: string): Promise<number> {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, [DAEMON_ENV]: '1' },
    });
    child.send({ configText });
    child.on('message', (m: { ready?: number; failed?: number }) => {
      child.disconnect();
      child.unref();
      resolve(m.ready ? 0 : 1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

function receiveConfigText(): Promise<string> {
  return new Promise((resolve) => {
    process.once('message', (m: { configText: string }) => resolve(m.configText));
  });
}

function reportToParent(message: { ready?: number; failed?: number }): void {
  if (process.send === undefined) return;
  process.send(message);
  process.disconnect();
}

await main();
