import type { MasterClient, MasterClientHooks } from '../core/host.js';
import type { Client } from './client.js';
import type { Server } from './server.js';

/**
 * The replica's link to its master as a client (flag M): the stream's commands run through
 * dispatch on it, replies are dropped, and error replies (which Redis never sends a master) are
 * counted as unexpected and handed to the link, which logs them.
 */
export class StreamClient implements MasterClient {
  /** The link closes its client itself when it goes down: only other closes are kills. */
  private closing = false;

  constructor(
    private readonly server: Server,
    private readonly client: Client,
    hooks: MasterClientHooks,
  ) {
    const countError = client.reply.onError;
    client.reply.onError = (msg) => {
      countError?.(msg);
      server.stats.unexpectedErrors++;
      hooks.onError(msg);
    };
    client.onInternalClose = () => {
      if (!this.closing) hooks.onKilled();
    };
  }

  get id(): number {
    return this.client.id;
  }

  execute(argv: string[]): void {
    this.server.execute(this.client, argv);
    this.client.reply.discard();
  }

  get inTransaction(): boolean {
    return this.client.multi !== null;
  }

  get lastCommandName(): string {
    return this.client.lastCommandName;
  }

  get db(): number {
    return this.client.db.id;
  }

  close(): void {
    this.closing = true;
    this.client.close();
  }
}
