import type { FakeClient } from '../core/host.js';
import type { Client } from './client.js';
import type { Server } from './server.js';

/**
 * Redis's AOF client: commands run straight through their handler (cmd->proc), without
 * dispatch's checks, statistics, MONITOR or propagation, and the reply is dropped.
 */
export class DirectClient implements FakeClient {
  constructor(
    private readonly server: Server,
    private readonly client: Client,
  ) {}

  run(argv: string[]): 'ok' | 'unknown' | Error {
    const server = this.server;
    let cmd = server.commands.lookup(argv[0]);
    if (cmd?.subcommands != null && argv.length > 1) cmd = cmd.subcommands.get(argv[1].toLowerCase()) ?? cmd;
    if (cmd === undefined || cmd.handler === null) return 'unknown';
    const client = this.client;
    client.now = server.keyspace.tick();
    client.command = cmd;
    client.rewrittenArgv = null;
    client.propagationPrevented = false;
    server.callDepth++;
    try {
      cmd.handler(client, argv);
      return 'ok';
    } catch (e) {
      return e as Error;
    } finally {
      server.callDepth--;
      client.reply.discard();
    }
  }

  close(): void {
    this.client.close();
  }
}
