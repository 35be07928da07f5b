/**
 * Embedding API: run a tsredis server inside a Node process (tests, apps).
 *
 *   const srv = await startServer({ config: { 'maxclients': '100' } });
 *   // connect to 127.0.0.1:srv.port …
 *   await srv.stop();
 */

import { assemble, type Node } from './assemble.js';
import { quoteRepr } from './protocol/split-args.js';
import { LuaVm } from './scripting/lua-vm.js';
import { Config } from './server/config.js';
import { Logger } from './server/log.js';
import type { Server } from './server/server.js';
import type { Clock } from './store/keyspace.js';

export { Config } from './server/config.js';
export { Server } from './server/server.js';
export { type Clock, ManualClock } from './store/keyspace.js';

export interface StartOptions {
  /** Directives, as in a config file: { 'requirepass': 'secret' } or config-file text. */
  config?: Record<string, string> | string;
  /** A fixed port; default: one the OS picks. */
  port?: number;
  /** Clock for expiry (a ManualClock makes TTL tests instant). */
  clock?: Clock;
  /** Log lines (Redis format) go here; default: discarded. */
  log?: (line: string) => void;
  /** Bytes Lua scripts may allocate in all (default 512 MB; then "not enough memory"). */
  luaMemoryLimit?: number;
}

export interface RunningServer {
  readonly server: Server;
  /** The server with its persistence and replication, as assemble() built them. */
  readonly node: Node;
  readonly port: number;
  readonly host: string;
  stop(): Promise<void>;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const config = new Config();
  const text =
    typeof options.config === 'string'
      ? options.config
      : Object.entries(options.config ?? {})
          .map(([k, v]) => `${k} ${quoteRepr(v)}`)
          .join('\n');
  config.load(
    `bind 127.0.0.1\nsave ""\n${text}${options.port !== undefined ? `\nport ${options.port}` : ''}`,
  );
  const logger = new Logger();
  const sink = options.log;
  if (sink === undefined) logger.silent = true;
  else logger.raw = (line: string) => sink(line);
  const node = assemble(await LuaVm.load(), {
    luaMemoryLimit: options.luaMemoryLimit,
    config,
    logger,
    clock: options.clock,
    ephemeralPort: options.port === undefined,
  });
  const server = node.server;
  await server.start();
  node.startReplication();
  return {
    server,
    node,
    port: server.port,
    host: '127.0.0.1',
    stop: async () => {
      await server.shutdown();
    },
  };
}
