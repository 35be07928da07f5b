/**
 * INFO: every section's field names and order against redis-server 7.0.15's (golden captures and
 * differential runs), value formats, section selection, and the statistics behind commandstats,
 * errorstats and latencystats.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LatencyHistogram } from '../../src/server/stats.js';
import { DiffPair } from '../support/diff.js';
import { RawClient, type Reply } from '../support/raw-client.js';
import { DIST, skipWithoutRedis, startTsredis } from '../support/servers.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'info');

type Section = { title: string; fields: Array<[string, string]> };

/** Splits an INFO payload into sections of [name, value] fields. */
function parseInfo(text: string): Section[] {
  const sections: Section[] = [];
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) sections.push({ title: line.slice(2), fields: [] });
    else if (line !== '') {
      const colon = line.indexOf(':');
      sections[sections.length - 1].fields.push([line.slice(0, colon), line.slice(colon + 1)]);
    }
  }
  return sections;
}

/** Field families whose members depend on what ran (commands, errors). */
const DYNAMIC = /^(cmdstat_|latency_percentiles_usec_|errorstat_)/;
/** tsredis's own fields, at the end of their sections: its version and the V8 heap's limit. */
const TSREDIS_OWN = /^(tsredis_version$|heap_)/;

function shape(sections: Section[]): string[] {
  return sections.map(
    (s) =>
      `${s.title}: ${s.fields
        .map(([n]) => n)
        .filter((n) => !DYNAMIC.test(n) && !TSREDIS_OWN.test(n))
        .join(' ')}`,
  );
}

/** The kind of a value: what a parser of INFO relies on. */
function kind(value: string): string {
  if (/^-?\d+$/.test(value)) return 'int';
  if (/^-?\d+\.\d+$/.test(value)) return 'float';
  if (/^\d+\.\d\d%$/.test(value)) return 'percent';
  if (/^\d+(\.\d\d)?[BKMGTP]$/.test(value)) return 'human';
  return 'text';
}

function payload(reply: Reply): string {
  const v = reply.value;
  assert.ok(v.type === 'bulk' || v.type === 'verbatim', `INFO reply type ${v.type}`);
  return (v.value as Buffer).toString('latin1');
}

async function seed(c: RawClient): Promise<void> {
  await c.call('SET somekey somevalue');
  await c.call('EXPIRE somekey 1000');
  await c.call('SET other 1');
  await c.call('PING');
}

describe('INFO against the golden captures of redis-server 7.0.15', () => {
  let srv: Awaited<ReturnType<typeof startTsredis>>;
  let c: RawClient;
  before(async () => {
    srv = await startTsredis();
    c = await RawClient.connect(srv.port);
    await seed(c);
  });
  after(async () => {
    c.close();
    await srv.stop();
  });

  for (const [file, args] of [
    ['plain.info-server.txt', 'INFO server'],
    ['plain.info-default.txt', 'INFO'],
    ['plain.info-all.txt', 'INFO all'],
    ['plain.info-everything.txt', 'INFO everything'],
    ['plain.info-keyspace.txt', 'INFO keyspace'],
  ] as const) {
    test(`${args}: same sections, field names and order; values of the same kind`, async () => {
      const golden = parseInfo(readFileSync(join(FIXTURES, file), 'latin1'));
      const ours = parseInfo(payload(await c.call(args)));
      assert.deepEqual(shape(ours), shape(golden));
      const goldenValues = new Map(golden.flatMap((s) => s.fields));
      for (const [name, value] of ours.flatMap((s) => s.fields)) {
        const expected = goldenValues.get(name);
        if (expected === undefined || DYNAMIC.test(name)) continue;
        assert.equal(kind(value), kind(expected), `${name}: ${value} vs redis ${expected}`);
      }
    });
  }

  test('server section values', async () => {
    const fields = new Map(parseInfo(payload(await c.call('INFO server')))[0].fields);
    assert.equal(fields.get('redis_version'), '7.0.15');
    assert.match(fields.get('tsredis_version')!, /^\d+\.\d+\.\d+/);
    assert.equal(fields.get('redis_mode'), 'standalone');
    assert.equal(fields.get('process_id'), String(process.pid));
    assert.equal(fields.get('tcp_port'), String(srv.port));
    assert.match(fields.get('run_id')!, /^[0-9a-f]{40}$/);
    assert.equal(fields.get('config_file'), '');
    const usec = Number(fields.get('server_time_usec'));
    assert.ok(Math.abs(usec / 1000 - Date.now()) < 5000, 'server_time_usec is the current time');
    assert.equal(Number(fields.get('lru_clock')), Math.floor(usec / 1e6) & 0xffffff);
  });

  test('keyspace, stats and clients figures follow what happened', async () => {
    const info = new Map(parseInfo(payload(await c.call('INFO everything'))).flatMap((s) => s.fields));
    assert.match(info.get('db0')!, /^keys=2,expires=1,avg_ttl=\d+$/);
    assert.equal(info.get('connected_clients'), '1');
    assert.ok(Number(info.get('total_commands_processed')) >= 4);
    assert.ok(Number(info.get('total_connections_received')) >= 1);
    assert.ok(Number(info.get('used_memory')) > 0);
    assert.ok(Number(info.get('used_memory_rss')) > 0);
    assert.match(
      info.get('cmdstat_set')!,
      /^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/,
    );
    assert.match(
      info.get('latency_percentiles_usec_set')!,
      /^p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/,
    );
    assert.match(info.get('used_cpu_user')!, /^\d+\.\d{6}$/);
  });

  test('RESP3 gets a verbatim string', async () => {
    const c3 = await RawClient.connect(srv.port);
    await c3.call('HELLO 3');
    const r = await c3.call('INFO cluster');
    assert.equal(r.raw.toString('latin1'), '=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n');
    c3.close();
  });
});

/** Section titles of an INFO reply (for differential comparisons of section selection). */
function titles(r: Reply): string {
  if (r.value.type === 'error') return `error ${(r.value as { value: string }).value}`;
  return parseInfo(payload(r))
    .map((s) => s.title)
    .join(',');
}

/** Sorted INFO lines with timing values masked: commandstats and errorstats compare across servers. */
function maskedLines(r: Reply): string {
  return payload(r)
    .split('\r\n')
    .map((l) => l.replace(/usec=\d+/, 'usec=*').replace(/usec_per_call=[\d.]+/, 'usec_per_call=*'))
    .sort()
    .join('\n');
}

const sameTitles = (a: Reply, b: Reply) => (titles(a) === titles(b) ? null : `${titles(a)} vs ${titles(b)}`);
const sameMasked = (a: Reply, b: Reply) =>
  maskedLines(a) === maskedLines(b) ? null : `redis:\n${maskedLines(a)}\ntsredis:\n${maskedLines(b)}`;

describe('INFO: differential against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  let pair: DiffPair;
  before(async () => {
    pair = await DiffPair.start();
  });
  after(() => pair.stop());

  test('section selection: default, all, everything, names in any case, unknown ones', () =>
    pair.run([
      'INFO nosuchsection',
      { cmd: 'INFO', compare: sameTitles },
      { cmd: 'INFO default', compare: sameTitles },
      { cmd: 'INFO all', compare: sameTitles },
      { cmd: 'INFO everything', compare: sameTitles },
      { cmd: 'INFO Keyspace CPU', compare: sameTitles },
      { cmd: 'INFO server nosuch clients server', compare: sameTitles },
      { cmd: 'INFO modules', compare: sameTitles },
      { cmd: 'INFO module_list', compare: sameTitles },
      { cmd: 'INFO commandstats latencystats errorstats', compare: sameTitles },
      { cmd: 'INFO default commandstats', compare: sameTitles },
      'INFO modules',
      'INFO cluster',
      'INFO nosuch other',
    ]));

  test('commandstats and errorstats: calls, rejected and failed calls, error codes', () =>
    pair.run([
      'CONFIG RESETSTAT',
      'SET k v',
      'GET k',
      'GET',
      'GET a b',
      'SET k',
      'INCR k',
      'HSET k f v',
      'NOSUCHCOMMAND x',
      'CLIENT NOSUCH',
      'CLIENT',
      'CONFIG GET',
      'AUTH x',
      'MULTI',
      'SET a',
      'INCR k',
      'EXEC',
      'MULTI',
      'INCR k',
      'EXEC',
      'EXEC',
      'SUBSCRIBE ch',
      'GET k',
      'UNSUBSCRIBE ch',
      { cmd: 'INFO commandstats', compare: sameMasked },
      'INFO errorstats',
      { cmd: 'INFO stats', compare: (a, b) => sameStat(a, b, 'total_error_replies') },
    ]));

  test('latencystats: percentile labels follow latency-tracking-info-percentiles; off empties it', () =>
    pair.run([
      'CONFIG RESETSTAT',
      'CONFIG SET latency-tracking-info-percentiles "50 99.99 100 0.5"',
      'PING',
      { cmd: 'INFO latencystats', compare: sameLabels },
      'CONFIG SET latency-tracking no',
      'INFO latencystats',
      'CONFIG SET latency-tracking yes',
      'CONFIG SET latency-tracking-info-percentiles "50 99 99.9"',
    ]));
});

function sameStat(a: Reply, b: Reply, name: string): string | null {
  const get = (r: Reply) => new Map(parseInfo(payload(r)).flatMap((s) => s.fields)).get(name);
  return get(a) === get(b) ? null : `${name}: ${get(a)} vs ${get(b)}`;
}

/** latencystats lines with the figures masked: "latency_percentiles_usec_ping:p50=*,p99.99=*". */
function sameLabels(a: Reply, b: Reply): string | null {
  const mask = (r: Reply) =>
    payload(r)
      .split('\r\n')
      .map((l) => l.replace(/=\d+\.\d{3}/g, '=*'))
      .sort()
      .join('\n');
  return mask(a) === mask(b) ? null : `${mask(a)}\nvs\n${mask(b)}`;
}

describe('latency histograms (HdrHistogram layout, as Redis)', () => {
  test('percentiles round to the bucket edges Redis reports', () => {
    // Pairs from the golden INFO: a command that took N microseconds reports these values.
    for (const [usec, reported] of [
      [4, '4.015'],
      [22, '22.015'],
      [96, '96.255'],
      [7, '7.007'],
      [8, '8.031'],
      [9, '9.023'],
      [0, '0.001'],
    ] as const) {
      const h = new LatencyHistogram();
      h.recordUsec(usec);
      assert.equal((h.valueAtPercentile(50) / 1000).toFixed(3), reported, `${usec}us`);
    }
  });

  test('p50/p99 pick the right sample and the distribution is cumulative by powers of two', () => {
    const h = new LatencyHistogram();
    for (const usec of [1, 3, 5, 70]) h.recordUsec(usec);
    assert.equal(h.valueAtPercentile(50), 3007);
    assert.equal(h.valueAtPercentile(99), 70143);
    assert.deepEqual(h.cumulativeDistribution(), [
      [1, 1],
      [4, 2],
      [8, 3],
      [132, 4],
    ]);
    const slow = new LatencyHistogram();
    slow.recordUsec(5_000_000);
    assert.equal(slow.valueAtPercentile(100), 1_002_438_655);
  });
});
