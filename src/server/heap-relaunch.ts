/**
 * V8 fixes the heap limit when the process starts, so a tsredis-server started without one of its
 * own (no --max-old-space-size) runs the server in a child process started with the planned limit
 * (lib/heap-plan.ts). The launcher stays as a thin shell around it: the configuration goes over
 * IPC (it may have come from stdin), signals are passed on, its exit status is the server's, and
 * the server ends at once when the launcher is gone (even by SIGKILL: the IPC channel closes), as
 * if it had been killed itself. The server's own pid is the child's (INFO process_id, pidfile).
 */
import { fork } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';
import { HEAP_SOURCE_ENV, type HeapPlan, heapFlag, heapSizeGiven, planHeap } from '../lib/heap-plan.js';

/** Set in the environment of the server a launcher started. */
export const HEAP_CHILD_ENV = 'TSREDIS_HEAP_CHILD';

const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;

/** The heap to relaunch with, or null when this process's limit already fits (or was chosen by its starter). */
export function heapToRelaunchWith(maxmemory: number): HeapPlan | null {
  if (process.env[HEAP_CHILD_ENV] === '1' || heapSizeGiven(process.execArgv, process.env.NODE_OPTIONS))
    return null;
  const plan = planHeap(maxmemory);
  const currentMb = getHeapStatistics().heap_size_limit / (1024 * 1024);
  return Math.abs(plan.oldSpaceMb - currentMb) < currentMb * 0.1 ? null : plan;
}

/** Node options and environment that give a child process the plan's heap. */
export function heapLaunchOptions(plan: HeapPlan): { execArgv: string[]; env: NodeJS.ProcessEnv } {
  return {
    execArgv: [...process.execArgv, heapFlag(plan)],
    env: { ...process.env, [HEAP_SOURCE_ENV]: plan.source },
  };
}

/** Runs script as the server with the plan's heap; resolves with the exit status to leave with. */
export function relaunch(script: string, plan: HeapPlan, configText: string, cwd: string): Promise<number> {
  const launch = heapLaunchOptions(plan);
  const child = fork(script, process.argv.slice(2), {
    execArgv: launch.execArgv,
    cwd,
    // Its own process group: a terminal's Ctrl-C reaches it once, through the launcher.
    detached: true,
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...launch.env, [HEAP_CHILD_ENV]: '1' },
  });
  child.send({ configText });
  const forwarders = FORWARDED_SIGNALS.map((signal) => {
    const forward = () => child.kill(signal);
    process.on(signal, forward);
    return [signal, forward] as const;
  });
  return new Promise((resolve) => {
    child.once('error', (e) => {
      process.stderr.write(`Could not start the server with its heap (${heapFlag(plan)}): ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const [name, forward] of forwarders) process.removeListener(name, forward);
      // Died of a signal: so does the launcher, for whoever waits on it.
      if (signal !== null) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}

/** In a relaunched server: the configuration text, and an end to the process with its launcher's. */
export function attachToLauncher(): Promise<string> {
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  return new Promise((resolve) => {
    process.once('message', (m: { configText: string }) => {
      // The channel stays open (its closing is the launcher's end) without keeping the process up.
      process.channel?.unref();
      resolve(m.configText);
    });
  });
}
