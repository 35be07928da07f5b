/** The replication graph of a workspace's nodes: who replicates from whom, in what order to start. */
import { sameNode } from './status.js';
import type { NodeConf } from './workspace.js';

/** Orders nodes so that each one starts after the node it replicates from. */
export function startOrder(confs: NodeConf[]): NodeConf[] {
  const ordered: NodeConf[] = [];
  const pending = [...confs];
  while (pending.length > 0) {
    const i = pending.findIndex(
      (c) =>
        c.replicaof === null ||
        !confs.some((m) => m !== c && sameNode(c.replicaof!, m)) ||
        ordered.some((m) => sameNode(c.replicaof!, m)),
    );
    ordered.push(...pending.splice(Math.max(i, 0), 1));
  }
  return ordered;
}

/** The node a replica replicates from, when it is one of ours. */
export function masterOf(conf: NodeConf, confs: NodeConf[]): NodeConf | undefined {
  return conf.replicaof === null ? undefined : confs.find((m) => m !== conf && sameNode(conf.replicaof!, m));
}

/** The master at the top of the chain a node is in. */
export function rootOf(conf: NodeConf, confs: NodeConf[]): NodeConf {
  let cur = conf;
  const seen = new Set<NodeConf>();
  while (!seen.has(cur)) {
    seen.add(cur);
    const m = masterOf(cur, confs);
    if (m === undefined) return cur;
    cur = m;
  }
  return cur;
}
