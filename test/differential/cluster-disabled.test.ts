/** Cluster commands on a server without cluster support: the same errors as redis-server 7.0. */
import { after, before, describe, test } from 'node:test';
import { DiffPair } from '../support/diff.js';
import { skipWithoutRedis } from '../support/servers.js';

describe('cluster support disabled: differential', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('READONLY, READWRITE, ASKING and CLUSTER subcommands, with arity and unknown-subcommand errors', () =>
    pair.run([
      'READONLY',
      'READWRITE',
      'ASKING',
      'READONLY x',
      'CLUSTER',
      'CLUSTER INFO',
      'CLUSTER HELP',
      'CLUSTER NODES',
      'CLUSTER SLOTS',
      'CLUSTER SHARDS',
      'CLUSTER MYID',
      'CLUSTER KEYSLOT foo',
      'CLUSTER KEYSLOT',
      'CLUSTER COUNTKEYSINSLOT 1',
      'CLUSTER GETKEYSINSLOT 1 1',
      'CLUSTER MEET 127.0.0.1 1',
      'CLUSTER FOO',
      'COMMAND INFO readonly asking cluster|info',
    ]));
});
