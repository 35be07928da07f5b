#!/usr/bin/env node
import { fork } from 'node:child_process';
import { readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assemble } from '../assemble.js';
import { allFamilies } from '../commands/index.js';
import { Commands } from '../core/command-table.js';
import type { ShutdownOptions } from '../core/context.js';
import type { HeapPlan } from '../lib/heap-plan.js';
import { REDIS_VERSION, TSREDIS_VERSION } from '../lib/version.js';
import { FatalLoadError } from '../persistence/rdb-load.js';
/** tsredis-server: command line, configuration, daemonizing and process lifecycle around Server. */
import { LuaVm } from '../scripting/lua-vm.js';
import { banner } from '../server/banner.js';
import type { Config } from '../server/config.js';
import { processHost } from '../server/config-directive.js';
import {
  attachToLauncher,
  HEAP_CHILD_ENV,
  heapLaunchOptions,
  heapToRelaunchWith,
  relaunch,
} from '../server/heap-relaunch.js';
import { ListenError } from '../server/listeners.js';
import { Logger } from '../server/log.js';
import type { Server } from '../server/server.js';
import {
  assembleConfigText,
  type CommandLine,
  ConfigFileError,
  ConfigOpenError,
  loadConfig,
  parseCommandLine,
  reachabilityWarnings,
} from '../server/startup.js';

const PROGRAM = 'tsredis-server';

const USAGE = `Usage: ./${PROGRAM} [/path/to/redis.conf] [options] [-]
       ./${PROGRAM} - (read config from stdin)
       ./${PROGRAM} -v or --version
       ./${PROGRAM} -h or --help
       ./${PROGRAM} /path/to/redis.conf --test-config (load the configuration, report, exit)

Examples:
       ./${PROGRAM} (run the server with default conf)
       echo 'maxmemory 128mb' | ./${PROGRAM} -
       ./${PROGRAM} /etc/redis/6379.conf
       ./${PROGRAM} --port 7777
       ./${PROGRAM} --port 7777 --replicaof 127.0.0.1 8888
       ./${PROGRAM} /etc/myredis.conf --loglevel verbose -
       ./${PROGRAM} /etc/myredis.conf --loglevel verbose

`;

/** Set in the environment of the detached copy that `daemonize yes` starts. */
const DAEMON_ENV = 'TSREDIS_DAEMON_CHILD';

type ParentMessage = { ready: true } | { failed: true };

async function main(): Promise<void> {
  const cl = parseCommandLine(process.argv.slice(2));
  if (cl.mode === 'version') {
    process.stdout.write(
      `Redis server v=${REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=tsredis-${TSREDIS_VERSION}\n`,
    );
    return;
  }
  if (cl.mode === 'help') {
    process.stderr.write(USAGE);
    process.exit(1);
  }
  if (cl.mode === 'sentinel') {
    process.stderr.write('tsredis-server does not implement Sentinel mode.\n');
    process.exit(1);
  }
  const logger = new Logger();
  const isDaemonChild = process.env[DAEMON_ENV] === '1';
  const isHeapChild = process.env[HEAP_CHILD_ENV] === '1';
  const startDir = process.cwd();
  const text = isDaemonChild
    ? await receiveConfigText()
    : isHeapChild
      ? await attachToLauncher()
      : readConfigText(cl, logger);
  const config = loadOrExit(cl, text, logger);
  if (cl.mode === 'test-config') {
    process.stdout.write('Configuration OK\n');
    return;
  }
  const heap = heapToRelaunchWith(config.num('maxmemory'));
  if (config.bool('daemonize') && !isDaemonChild) {
    process.exit(await daemonize(text, startDir, heap));
  }
  if (heap !== null) process.exit(await relaunch(fileURLToPath(import.meta.url), heap, text, startDir));
  if (isDaemonChild && config.str('logfile') === '') logger.silent = true;
  await run(cl, config, logger);
}

function readConfigText(cl: CommandLine, logger: Logger): string {
  try {
    return assembleConfigText(
      cl,
      () => readFileSync(0, 'latin1'),
      (message) => logger.log('warning', message),
    );
  } catch (e) {
    if (!(e instanceof ConfigOpenError)) throw e;
    logger.log('warning', e.message);
    process.exit(1);
  }
}

/** Loads the configuration; a bad line is reported on stderr as Redis does, exit code 1. */
function loadOrExit(cl: CommandLine, text: string, logger: Logger): Config {
  try {
    const names = () => [...new Commands(allFamilies).all()].map((d) => d.name);
    return loadConfig(cl, text, { host: processHost, commandNames: names });
  } catch (e) {
    if (e instanceof ConfigFileError) {
      writeSync(2, e.report(REDIS_VERSION));
      process.exit(1);
    }
    if (e instanceof ConfigOpenError) {
      logger.log('warning', e.message);
      process.exit(1);
    }
    throw e;
  }
}

/** main() after loading: start-up log lines in Redis's order, listeners, pidfile, signals. */
async function run(cl: CommandLine, config: Config, logger: Logger): Promise<void> {
  logger.file = config.str('logfile');
  config.watch('loglevel', (v) => (logger.level = v as Logger['level']));
  logger.log('warning', 'oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo');
  logger.log(
    'warning',
    `Redis version=${REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid=${process.pid}, just started`,
  );
  if (cl.bare) {
    logger.log(
      'warning',
      `Warning: no config file specified, using the default config. In order to specify a config file use ${PROGRAM} /path/to/redis.conf`,
    );
  } else {
    logger.log('warning', 'Configuration loaded');
  }
  const node = assemble(await LuaVm.load(), { config, logger });
  const server = node.server;
  server.onShutdownComplete = (code) => process.exit(code);
  installSignalHandlers(server, config, logger);
  logger.role = config.get('replicaof') ? 'S' : 'M';
  logger.log('notice', 'monotonic clock: POSIX clock_gettime');
  const heap = server.heapGuard;
  logger.log(
    'notice',
    `Heap limit ${Math.round(heap.limit / 2 ** 20)} MB (${heap.source}); past ${Math.round(heap.ceiling / 2 ** 20)} MB commands that grow memory get -OOM`,
  );
  try {
    await server.start();
  } catch (e) {
    if (!(e instanceof ListenError)) throw e;
    if (e.message !== '') logger.log('warning', e.message);
    reportToParent({ failed: true });
    process.exit(1);
  }
  const unixsocket = config.str('unixsocket');
  if (server.port === 0 && server.tlsPort === 0 && unixsocket === '') {
    logger.log('warning', 'Configured to not listen anywhere, exiting.');
    reportToParent({ failed: true });
    process.exit(1);
  }
  if (config.bool('daemonize') || config.str('pidfile') !== '') server.writePidFile();
  const port = config.num('port');
  const showLogo = config.bool('always-show-logo') || (logger.file === '' && process.stdout.isTTY === true);
  if (showLogo) logger.raw(banner(port, process.pid, 'standalone'));
  else logger.log('notice', `Running mode=standalone, port=${port}.`);
  logger.log('warning', 'Server initialized');
  if (!config.get('replicaof')) for (const w of reachabilityWarnings(config)) logger.log('warning', w);
  refuseModules(config, logger);
  if (config.ignoredSet.size > 0) {
    logger.log(
      'notice',
      `Directives accepted for compatibility but without effect in tsredis: ${[...config.ignoredSet].join(', ')}`,
    );
  }
  // loadDataFromDisk: the RDB (or the AOF); a file that cannot be loaded stops the server.
  try {
    await node.loadDataFromDisk();
  } catch (e) {
    if (!(e instanceof FatalLoadError)) throw e;
    reportToParent({ failed: true });
    process.exit(1);
  }
  if (server.port !== 0 || server.tlsPort !== 0) logger.log('notice', 'Ready to accept connections');
  node.startReplication();
  if (unixsocket !== '')
    logger.log('notice', `The server is now ready to accept connections at ${unixsocket}`);
  reportToParent({ ready: true });
}

/** tsredis cannot load Redis modules (native code): Redis's own failure lines, exit code 1. */
function refuseModules(config: Config, logger: Logger): void {
  const first = config.modules[0];
  if (first !== undefined) {
    const path = first.args[0];
    logger.log('warning', `Module ${path} failed to load: tsredis cannot load Redis modules`);
    logger.log('warning', `Can't load module from ${path}: server aborting`);
    reportToParent({ failed: true });
    process.exit(1);
  }
  if (config.moduleConfigs.length > 0) {
    logger.log(
      'warning',
      'Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting',
    );
    reportToParent({ failed: true });
    process.exit(1);
  }
}

/** shutdown-on-sigterm / shutdown-on-sigint flags as SHUTDOWN options. */
function signalShutdownOptions(flags: string): ShutdownOptions {
  const set = new Set(flags.split(' '));
  return {
    save: set.has('nosave') ? false : set.has('save') ? true : null,
    now: set.has('now'),
    force: set.has('force'),
  };
}

function installSignalHandlers(server: Server, config: Config, logger: Logger): void {
  let requested = false;
  const handler = (signal: 'SIGTERM' | 'SIGINT') => {
    if (requested && signal === 'SIGINT') {
      logger.raw(
        `${process.pid}:signal-handler (${Math.floor(Date.now() / 1000)}) You insist... exiting now.\n`,
      );
      process.exit(1);
    }
    requested = true;
    logger.raw(
      `${process.pid}:signal-handler (${Math.floor(Date.now() / 1000)}) Received ${signal} scheduling shutdown...\n`,
    );
    const flags = config.str(signal === 'SIGTERM' ? 'shutdown-on-sigterm' : 'shutdown-on-sigint');
    void server.shutdown(signalShutdownOptions(flags)).then((ok) => {
      if (ok) process.exit(0);
      logger.log(
        'warning',
        `${signal} received but errors trying to shut down the server, check the logs for more information`,
      );
      requested = false;
    });
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGHUP', () => {});
  process.on('SIGPIPE', () => {});
}

/**
 * `daemonize yes`: starts a detached copy of this program (same arguments, the config text over
 * IPC, the original working directory) and returns its fate once it listens (0) or fails (1).
 */
function daemonize(configText: string, startDir: string, heap: HeapPlan | null): Promise<number> {
  const launch = heap === null ? { execArgv: process.execArgv, env: process.env } : heapLaunchOptions(heap);
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), process.argv.slice(2), {
      detached: true,
      cwd: startDir,
      execArgv: launch.execArgv,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...launch.env, [DAEMON_ENV]: '1' },
    });
    child.send({ configText });
    child.on('message', (m: ParentMessage) => {
      child.disconnect();
      child.unref();
      resolve('ready' in m ? 0 : 1);
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

function receiveConfigText(): Promise<string> {
  return new Promise((resolve) => {
    process.once('message', (m: { configText: string }) => resolve(m.configText));
  });
}

function reportToParent(message: ParentMessage): void {
  if (process.env[DAEMON_ENV] !== '1' || process.send === undefined || !process.connected) return;
  process.send(message);
  process.disconnect();
}

await main();
