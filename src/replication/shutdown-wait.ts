import type { ShutdownOptions } from '../core/context.js';
import type { Replication } from './replication.js';

/**
 * prepareForShutdown and finishShutdown's replica part. Unless SHUTDOWN NOW (or shutdown-timeout
 * 0), writes are paused and every replica is asked for its offset, and the shutdown waits until
 * all have acknowledged everything or shutdown-timeout seconds pass, so a write acknowledged to
 * a client is not lost with the master. Then the lagging replicas are named.
 */
export async function waitForReplicas(
  repl: Replication,
  o: ShutdownOptions,
  aborted: () => boolean,
): Promise<boolean> {
  repl.flushStream();
  const timeout = repl.server.config.num('shutdown-timeout');
  if (!o.now && timeout > 0 && !replicasCaughtUp(repl)) {
    if (!repl.server.clientsPaused) repl.requestAcks();
    const deadline = Date.now() + timeout * 1000;
    repl.server.pauseWritesForShutdown(deadline);
    repl.server.log('notice', 'Waiting for replicas before shutting down.');
    // serverCron's check: at most every 100 ms.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (!aborted() && Date.now() < deadline && !replicasCaughtUp(repl)) return;
        clearInterval(timer);
        resolve();
      }, 100);
    });
    if (aborted()) return true;
  }
  const replicas = [...repl.master.replicas.values()];
  let lagging = 0;
  for (const r of replicas) {
    if (r.ackOffset === repl.offset) continue;
    lagging++;
    const lag = r.state === 'online' ? Math.floor((Date.now() - r.ackTime) / 1000) : 0;
    repl.server.log(
      'warning',
      `Lagging replica ${r.name} reported offset ${repl.offset - r.ackOffset} behind master, lag=${lag}, state=${r.state}.`,
    );
  }
  if (replicas.length > 0) {
    repl.server.log(
      'notice',
      `${replicas.length - lagging} of ${replicas.length} replicas are in sync when shutting down.`,
    );
  }
  return true;
}

/** isReadyToShutdown: every replica has acknowledged the whole stream. */
function replicasCaughtUp(repl: Replication): boolean {
  for (const r of repl.master.replicas.values()) if (r.ackOffset !== repl.offset) return false;
  return true;
}
