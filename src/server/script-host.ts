/** The server as the scripting engine sees it (core/scripting.ts's ScriptHost). */
import type { CommandContext, LogLevel } from '../core/context.js';
import type { ScriptClient, ScriptHost } from '../core/scripting.js';
import { clientOf } from './client.js';
import { refuseScriptRun, ScriptCommandClient } from './script-client.js';
import type { Server } from './server.js';

export class ServerScriptHost implements ScriptHost {
  private scriptClientInstance: ScriptCommandClient | null = null;

  constructor(private readonly server: Server) {}

  scriptClient(ctx: CommandContext): ScriptClient {
    this.scriptClientInstance ??= new ScriptCommandClient(this.server);
    return this.scriptClientInstance.prepare(clientOf(ctx));
  }

  canSuspend(ctx: CommandContext): boolean {
    const c = clientOf(ctx);
    return c.socket !== null && !c.inExec && !c.fromMaster && this.server.callDepth === 1;
  }

  mustObey(ctx: CommandContext): boolean {
    const c = clientOf(ctx);
    return c.fromMaster || c.socket === null;
  }

  suspendCaller(ctx: CommandContext): () => void {
    const c = clientOf(ctx);
    c.blocked = true;
    c.suspended = true;
    return () => {
      const finish = c.finishSuspended;
      c.finishSuspended = null;
      finish?.();
      c.blocked = false;
      c.afterCommand();
      c.flush();
      c.processInput();
      c.flush();
    };
  }

  setScriptBusy(error: string | null): void {
    this.server.scriptBusy = error;
  }

  get busyReplyThreshold(): number {
    return this.server.config.num('busy-reply-threshold');
  }

  get stopped(): boolean {
    return this.server.stopped;
  }

  refuseRun(ctx: CommandContext, flags: number, readOnlyCommand: boolean): string | null {
    return refuseScriptRun(this.server, ctx, flags, readOnlyCommand);
  }

  get logLevel(): LogLevel {
    return this.server.config.str('loglevel') as LogLevel;
  }

  log(level: LogLevel, message: string): void {
    this.server.log(level, message);
  }

  get version(): string {
    return this.server.version;
  }
}
