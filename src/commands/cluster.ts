/**
 * Cluster commands on a server without cluster support (tsredis refuses cluster-enabled yes):
 * Redis 7.0 answers every CLUSTER subcommand, READONLY, READWRITE and ASKING with the same error,
 * after its usual arity and subcommand checks, and so does tsredis.
 */
import type { CommandContext, CommandFamily } from '../core/context.js';
import { REDIS_COMMAND_INFO } from '../specs/redis-specs.generated.js';
import type { SpecNode } from '../specs/spec-node.js';

function clusterDisabled(ctx: CommandContext): void {
  ctx.reply.error('ERR This instance has cluster support disabled');
}

/** Full names ("cluster|info", …) of CLUSTER's subcommands, as redis-server lists them. */
function clusterSubcommands(): string[] {
  const subs = (REDIS_COMMAND_INFO.cluster as SpecNode[])[9] as SpecNode[][];
  return subs.map((s) => (s[0] as string).slice(1));
}

export const clusterCommands: CommandFamily = {
  readonly: clusterDisabled,
  readwrite: clusterDisabled,
  asking: clusterDisabled,
  ...Object.fromEntries(clusterSubcommands().map((name) => [name, clusterDisabled])),
};
