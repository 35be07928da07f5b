/** The commands shown to the user: how to connect to each node, how to run `tsredis …` again. */
import { execFileSync } from 'node:child_process';
import { formatAddress } from './client.js';
import { TSREDIS_CLI_JS } from './processes.js';
import { type NodeConf, Workspace } from './workspace.js';

function onPath(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The commands to connect to each node. */
export function connectCommands(confs: NodeConf[]): string {
  const cli = onPath('tsredis-cli') ? 'tsredis-cli' : `node ${TSREDIS_CLI_JS}`;
  const rows = confs.map((c) => {
    const host = c.host === '127.0.0.1' ? '' : ` -h ${c.host}`;
    const role =
      c.replicaof === null
        ? `${c.name === 'master' ? '' : 'the master, '}writes go here`
        : `read-only replica of ${formatAddress(c.replicaof)}`;
    return [`${cli}${host} -p ${c.port}`, `# ${c.name}: ${role}`];
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([cmd, note]) => `  ${cmd.padEnd(w)}  ${note}`).join('\n');
}

/** How to run `tsredis …` again from here. */
export function selfCommand(sub: string, ws: Workspace): string {
  const dirArg = ws.dir === new Workspace('tsredis-up').dir ? '' : ` --dir ${ws.dir}`;
  const bin = onPath('tsredis') ? 'tsredis' : `node ${process.argv[1]}`;
  return `${bin} ${sub}${dirArg}`;
}
