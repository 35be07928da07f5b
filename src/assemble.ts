/**
 * The composition root: builds a node's command table, server, persistence and replication and
 * connects them through core/ interfaces and events. tsredis-server, startServer() and the tests
 * build servers here; nothing else constructs these parts or wires one into another.
 */
import { allFamilies } from './commands/index.js';
import { Commands } from './core/command-table.js';
import { Persistence } from './persistence/manager.js';
import { Replication } from './replication/replication.js';
import { Scripting } from './scripting/engine.js';
import type { LuaVm } from './scripting/lua-vm.js';
import { ServerScriptHost } from './server/script-host.js';
import { Server, type ServerOptions } from './server/server.js';

export interface Node {
  readonly server: Server;
  readonly persistence: Persistence;
  readonly replication: Replication;
  /** Start-up load (the RDB, or the AOF with appendonly); throws FatalLoadError when it failed. */
  loadDataFromDisk(): Promise<void>;
  /**
   * Starts replication once the data is loaded: the link to our master (replicaof), resuming from
   * the replication id and offset saved in the RDB when there is one.
   */
  startReplication(): void;
}

/** lua: the loaded Lua VM (LuaVm.load(), once per process). */
export function assemble(
  lua: LuaVm,
  options: Omit<ServerOptions, 'commands'> & { luaMemoryLimit?: number } = {},
): Node {
  const config = options.config;
  const commands = new Commands(allFamilies);
  for (const [from, to] of config?.renames ?? []) {
    if (!commands.rename(from, to)) throw new Error(`No such command in rename-command: ${from}`);
  }
  const server = new Server({ ...options, commands });
  const persistence = new Persistence(server);
  const replication = new Replication(server, persistence);
  const scripting = new Scripting(lua, new ServerScriptHost(server), options.luaMemoryLimit);
  server.attach({ persistence, replication, scripting });
  persistence.connectFunctions(scripting.functions);
  persistence.connectReplication(replication);
  return {
    server,
    persistence,
    replication,
    loadDataFromDisk: () => persistence.loadDataFromDisk(),
    startReplication: () => {
      replication.restoreFromRdb(persistence.startupAux);
      replication.start();
    },
  };
}
