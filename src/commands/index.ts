import type { CommandFamily } from '../core/context.js';
import { aclCommands } from './acl.js';
import { bitmapCommands } from './bitmaps.js';
import { clientCommands } from './client.js';
import { clientTrackingCommands } from './client-tracking.js';
import { clusterCommands } from './cluster.js';
import { configCommands } from './config.js';
import { connectionCommands } from './connection.js';
import { dumpCommands } from './dump.js';
import { expireCommands } from './expire.js';
import { functionCommands } from './functions.js';
import { geoCommands } from './geo.js';
import { hashCommands } from './hashes.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { introspectionCommands } from './introspection.js';
import { keyCommands } from './keys.js';
import { latencyCommands } from './latency.js';
import { listPopCommands } from './list-pops.js';
import { listCommands } from './lists.js';
import { lolwutCommands } from './lolwut.js';
import { moduleCommands } from './modules.js';
import { persistenceCommands } from './persistence.js';
import { pubsubCommands } from './pubsub.js';
import { replicationCommands } from './replication.js';
import { scriptingCommands } from './scripting.js';
import { setCommands } from './sets.js';
import { shutdownDebugCommands } from './shutdown-debug.js';
import { sortCommands } from './sort.js';
import { streamCommands } from './streams/index.js';
import { stringCounterCommands } from './string-counters.js';
import { stringRangeCommands } from './string-ranges.js';
import { stringCommands } from './strings.js';
import { transactionCommands } from './transactions.js';
import { zsetCommands } from './zsets.js';

/** Every command family; the command table is built from these and Redis's specs. */
export const allFamilies: CommandFamily[] = [
  connectionCommands,
  aclCommands,
  keyCommands,
  expireCommands,
  stringCommands,
  stringCounterCommands,
  stringRangeCommands,
  bitmapCommands,
  listCommands,
  listPopCommands,
  hashCommands,
  setCommands,
  zsetCommands,
  streamCommands,
  hyperloglogCommands,
  sortCommands,
  geoCommands,
  transactionCommands,
  pubsubCommands,
  replicationCommands,
  configCommands,
  clientCommands,
  clientTrackingCommands,
  clusterCommands,
  shutdownDebugCommands,
  introspectionCommands,
  latencyCommands,
  persistenceCommands,
  dumpCommands,
  scriptingCommands,
  functionCommands,
  lolwutCommands,
  moduleCommands,
];
