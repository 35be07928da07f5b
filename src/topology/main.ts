/**
 * `tsredis`: the seed's whole topology in one command (`up`), and everything around it: status, down,
 * add/remove a replica, logs, failover, doctor, a live dashboard, and Docker Compose / Kubernetes files.
 */
import { NodeError } from './client.js';
import { dashboardCommand, startDashboard } from './dashboard.js';
import { emitCompose, emitK8s } from './deploy.js';
import { doctorCommand } from './doctor.js';
import { plainErrno, UserError } from './errors.js';
import { failover } from './failover.js';
import { down, logs, removeReplica, status } from './manage.js';
import { intOption, type ParsedOptions, parseOptions } from './options.js';
import { addReplica, up } from './up.js';
import { DEFAULT_DIR } from './workspace.js';

const USAGE = `Usage: tsredis <command> [options]

The seed's master + replicas topology as local processes, from config files in a working folder
(--dir, default ./${DEFAULT_DIR}: redis-master.conf, redis-replica1.conf, …; edit them freely).

Commands:
  up [--replicas N] [--port P]     start a master and N replicas (default 2; the folder's files are the
                                   truth: none is removed), wait until in sync, verify,
     [--engine E] [--master-engine E] [--replica-engine E]   (E: tsredis | redis-server | /path/to/binary)
     [--detach] [--dashboard [--dashboard-port P]] [--timeout SECONDS]
                                   then stay in the foreground (Ctrl-C stops every node) unless --detach
  status [--watch] [--json]        the table of nodes; exit code 1 when a node is down or a link broken
  down                             stop every node (no process, no pidfile left)
  add-replica [--port P] [--engine E] [--of NODE]
  remove-replica [NODE]            stop a replica (the last one by default) and delete its files
  logs [NODE] [-n LINES] [-f]      the nodes' log files
  failover [--to NODE] [--force]   promote a replica (FAILOVER, or REPLICAOF NO ONE if the master is down)
  doctor [HOST:PORT ...] [-a PASSWORD] [--sample SECONDS]
                                   explain what is wrong with a topology (tsredis or real Redis) and the fix
  dashboard [HOST:PORT ...] [--port P]   a live web page: topology graph, links, lag chart, ops/s, memory
  compose [--replicas N] [--port P] [--out DIR]   docker-compose.yml + config files for the seed's topology
  k8s [--replicas N] [--out FILE]  Kubernetes manifests (ConfigMap, headless Services, StatefulSets)

Every command on a local topology (up … dashboard) takes --dir DIR, the working folder;
doctor and dashboard use it when no HOST:PORT is given. compose and k8s write files for other
machines instead: --out.
`;

const DIR = ['dir'];

function dirOf(o: ParsedOptions): string {
  return o.values.get('dir') ?? DEFAULT_DIR;
}

function timeoutOf(o: ParsedOptions, fallbackSeconds: number): number {
  return intOption(o, 'timeout', fallbackSeconds, 1, 86400) * 1000;
}

async function dispatch(command: string, args: string[]): Promise<number> {
  switch (command) {
    case 'up': {
      const o = parseOptions(
        args,
        {
          values: [
            ...DIR,
            'replicas',
            'port',
            'engine',
            'master-engine',
            'replica-engine',
            'timeout',
            'dashboard-port',
          ],
          flags: ['detach', 'dashboard'],
          aliases: { d: 'detach' },
        },
        command,
      );
      if (o.flags.has('dashboard') && o.flags.has('detach')) {
        throw new UserError(
          "--dashboard needs the foreground: drop --detach (or run 'tsredis dashboard' later)",
        );
      }
      const dashboardPort = intOption(o, 'dashboard-port', 0);
      return up({
        dir: dirOf(o),
        replicas: o.values.has('replicas') ? intOption(o, 'replicas', 2, 0, 64) : null,
        port: o.values.has('port') ? intOption(o, 'port', 0, 1) : null,
        engine: o.values.get('engine') ?? null,
        masterEngine: o.values.get('master-engine') ?? null,
        replicaEngine: o.values.get('replica-engine') ?? null,
        detach: o.flags.has('detach'),
        timeoutMs: timeoutOf(o, 120),
        onReady: o.flags.has('dashboard')
          ? async (ws) => {
              const d = await startDashboard({
                workspace: ws,
                port: dashboardPort,
                portOption: '--dashboard-port',
              });
              process.stdout.write(`Dashboard: ${d.url}\n`);
              return d;
            }
          : undefined,
      });
    }
    case 'status': {
      const o = parseOptions(
        args,
        { values: [...DIR, 'interval'], flags: ['watch', 'json'], aliases: { w: 'watch' } },
        command,
      );
      return status(dirOf(o), {
        watch: o.flags.has('watch'),
        json: o.flags.has('json'),
        intervalMs: intOption(o, 'interval', 1, 1, 3600) * 1000,
      });
    }
    case 'down':
      return down(dirOf(parseOptions(args, { values: DIR }, command)));
    case 'add-replica': {
      const o = parseOptions(args, { values: [...DIR, 'port', 'engine', 'of', 'timeout'] }, command);
      return addReplica(dirOf(o), {
        port: o.values.has('port') ? intOption(o, 'port', 0, 1) : null,
        engine: o.values.get('engine') ?? null,
        of: o.values.get('of') ?? null,
        timeoutMs: timeoutOf(o, 120),
      });
    }
    case 'remove-replica': {
      const o = parseOptions(args, { values: DIR }, command);
      return removeReplica(dirOf(o), o.positional[0] ?? null);
    }
    case 'logs': {
      const o = parseOptions(
        args,
        { values: [...DIR, 'lines'], flags: ['follow'], aliases: { n: 'lines', f: 'follow' } },
        command,
      );
      return logs(dirOf(o), o.positional[0] ?? null, {
        lines: intOption(o, 'lines', 50, 1, 1_000_000),
        follow: o.flags.has('follow'),
      });
    }
    case 'failover': {
      const o = parseOptions(args, { values: [...DIR, 'to', 'timeout'], flags: ['force'] }, command);
      return failover(dirOf(o), {
        to: o.values.get('to') ?? null,
        force: o.flags.has('force'),
        timeoutMs: timeoutOf(o, 10),
      });
    }
    case 'doctor':
      return doctorCommand(args);
    case 'dashboard':
      return dashboardCommand(args);
    case 'compose':
      return emitCompose(args);
    case 'k8s':
      return emitK8s(args);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UserError(`unknown command '${command}'\n\n${USAGE}`);
  }
}

export async function main(args: string[]): Promise<number> {
  // `tsredis status --watch | head`: a closed pipe ends the program quietly, as for any Unix tool.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const [command, ...rest] = args;
  if (command === undefined) {
    process.stderr.write(USAGE);
    return 1;
  }
  try {
    return await dispatch(command, rest);
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`tsredis ${command}: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof NodeError) {
      process.stderr.write(`tsredis ${command}: ${e.message}\n`);
      return 1;
    }
    // A failed system call (a file that cannot be written …) is no bug: one line, no stack trace.
    const plain = plainErrno(e);
    if (plain !== null) {
      process.stderr.write(`tsredis ${command}: ${plain}\n`);
      return 1;
    }
    throw e;
  }
}
