/**
 * The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core; no
 * browser download): `tsredis up --dashboard` serves the page, the topology graph shows the master and
 * its replicas with their link states, ops/s and memory, the lag chart fills in live, a broken link
 * and a stopped node show as such. A screenshot is saved under the OS temp dir (its path is printed).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { RawClient } from '../support/raw-client.js';
import { cmd } from '../support/replication.js';
import { waitFor } from '../support/tcp-proxy.js';
import {
  Folders,
  freePortRange,
  hasStackTrace,
  isAlive,
  pidsIn,
  spawnTsredis,
  tsredis,
} from '../support/topology-support.js';

const CHROMIUM = '/usr/bin/chromium';
/** Flags for Chromium on this machine kind (closed network, root, no GPU). */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function skipWithoutChromium(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is required in CI (apt-get install chromium)`);
  const reason = `${CHROMIUM} not installed (apt-get install chromium): dashboard browser test skipped`;
  process.stderr.write(`# SKIP ${reason}\n`);
  return reason;
}

const folders = new Folders();
let browser: Browser | null = null;
after(async () => {
  await browser?.close();
  await folders.cleanup();
});

/** Every polyline of both charts: its series and its points as [x, y] numbers. */
const CHART_POINTS = `[...document.querySelectorAll('.chart polyline')].map((p) => ({
  chart: p.closest('svg').id,
  series: p.getAttribute('data-series'),
  points: p.getAttribute('points').trim().split(/\\s+/).map((xy) => xy.split(',').map(Number)),
}))`;

type ChartLine = { chart: string; series: string; points: number[][] };

function assertFinitePoints(lines: ChartLine[]): void {
  assert.ok(lines.length > 0, 'the charts have lines');
  for (const l of lines) {
    assert.ok(l.points.length > 0, `${l.chart}/${l.series} has points`);
    for (const p of l.points) {
      assert.equal(p.length, 2, `${l.chart}/${l.series}: ${JSON.stringify(p)}`);
      assert.ok(
        p.every((n) => Number.isFinite(n)),
        `${l.chart}/${l.series}: a coordinate is not a finite number: ${JSON.stringify(p)}`,
      );
      assert.ok(
        p[0] >= 0 && p[0] <= 600 && p[1] >= 0 && p[1] <= 180,
        `${l.chart}/${l.series}: ${p} off the chart`,
      );
    }
  }
}

const portOf = (dir: string, name: string) =>
  Number(/^port (\d+)$/m.exec(readFileSync(join(dir, `redis-${name}.conf`), 'utf8'))![1]);

test('tsredis up --dashboard in headless Chromium: graph, links, ops/s, memory, live lag chart', {
  skip: skipWithoutChromium(),
}, async (t) => {
  const dir = folders.make();
  const base = await freePortRange(4);
  const up = spawnTsredis(['up', '--dir', dir, '--port', String(base), '--dashboard']);
  folders.track(up.proc.pid!);
  const url = await waitFor(
    'the dashboard URL',
    async () => /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(up.output())?.[1],
    30000,
  );
  for (const pid of pidsIn(dir)) folders.track(pid);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await page.goto(url);
  await page.waitForSelector('#status.live');
  await page.waitForFunction("document.querySelectorAll('#graph [data-node]').length === 3");
  assert.equal(await page.getAttribute('[data-node="master"]', 'data-role'), 'master');
  assert.equal(await page.getAttribute('[data-node="replica1"]', 'data-role'), 'replica');
  assert.equal(await page.getAttribute('[data-edge="replica1"]', 'data-state'), 'up');
  assert.equal(await page.getAttribute('[data-edge="replica2"]', 'data-state'), 'up');
  assert.match(
    (await page.textContent('[data-row="master"] [data-col="memory"]')) ?? '',
    /^\d+(\.\d)? (KB|MB)$/,
  );

  // Writes on the master: ops/s shows up, offsets move, the lag chart gets points for each replica.
  const c = await RawClient.connect(base);
  let writing = true;
  const load = (async () => {
    for (let i = 0; writing; i++) {
      for (let j = 0; j < 50; j++) c.send(['SET', `k${j}`, `v${i}`]);
      for (let j = 0; j < 50; j++) await c.read();
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await page.waitForFunction(
      `Number(document.querySelector('[data-row="master"] [data-col="ops"]').textContent) > 0`,
      undefined,
      {
        timeout: 15000,
      },
    );
    await page.waitForFunction(
      `Number(document.querySelector('#lag-chart polyline[data-series="replica1"]')?.getAttribute('data-points') ?? 0) >= 3`,
      undefined,
      { timeout: 15000 },
    );
  } finally {
    writing = false;
    await load;
    c.close();
  }
  assert.ok(Number(await page.textContent('[data-row="master"] [data-col="offset"]')) > 0);
  assert.ok((await page.$('#ops-chart polyline[data-series="master"]')) !== null);
  assert.match((await page.textContent('[data-node="master"]')) ?? '', /\d+ ops\/s/);
  // The lines are drawn where they belong: every coordinate of every line is a number on the chart.
  const lines = (await page.evaluate(CHART_POINTS)) as ChartLine[];
  assert.deepEqual([...new Set(lines.map((l) => `${l.chart}/${l.series}`))].sort(), [
    'lag-chart/replica1',
    'lag-chart/replica2',
    'ops-chart/master',
    'ops-chart/replica1',
    'ops-chart/replica2',
  ]);
  assertFinitePoints(lines);
  assert.deepEqual(await page.$$eval('#lag-legend span', (spans) => spans.map((x) => x.textContent)), [
    'replica1',
    'replica2',
  ]);
  const healthy = join(tmpdir(), `tsredis-dashboard-healthy-${process.pid}-${Date.now()}.png`);
  await page.screenshot({ path: healthy, fullPage: true });
  assert.ok(existsSync(healthy));
  t.diagnostic(`dashboard screenshot (healthy): ${healthy}`);
  process.stdout.write(`# dashboard screenshot (healthy): ${healthy}\n`);

  // A page opened later starts from the server's history, not from an empty chart.
  const kept = Number(await page.getAttribute('#lag-chart polyline[data-series="replica1"]', 'data-points'));
  const late = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await late.goto(url);
  // (A flat line, lag 0 throughout, has no height: Playwright calls it hidden, so: attached.)
  await late.waitForSelector('#lag-chart polyline[data-series="replica1"]', { state: 'attached' });
  assert.ok(
    Number(await late.getAttribute('#lag-chart polyline[data-series="replica1"]', 'data-points')) >= kept,
    'the history is drawn at once',
  );
  assertFinitePoints((await late.evaluate(CHART_POINTS)) as ChartLine[]);
  await late.close();

  // A broken link and a stopped node are shown as such.
  const closed = await freePortRange(1);
  assert.equal(await cmd(portOf(dir, 'replica1'), 'REPLICAOF', '127.0.0.1', String(closed)), 'OK');
  await page.waitForSelector('[data-edge="replica1"][data-state="down"]', { timeout: 10000 });
  assert.match((await page.textContent('#reasons')) ?? '', /replica1: link down \(.*refused/);
  const pid2 = Number(readFileSync(join(dir, 'replica2.pid'), 'utf8'));
  process.kill(pid2, 'SIGKILL');
  await waitFor('replica2 gone', async () => !isAlive(pid2));
  await page.waitForSelector('[data-node="replica2"][data-role="down"]', { timeout: 10000 });
  assert.equal(await page.textContent('[data-row="replica2"] [data-col="role"]'), 'DOWN');

  assertFinitePoints((await page.evaluate(CHART_POINTS)) as ChartLine[]);
  const shot = join(tmpdir(), `tsredis-dashboard-broken-${process.pid}-${Date.now()}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(existsSync(shot));
  t.diagnostic(`dashboard screenshot (a link down, a node down): ${shot}`);
  process.stdout.write(`# dashboard screenshot (a link down, a node down): ${shot}\n`);

  up.proc.kill('SIGINT');
  assert.equal(await up.exited, 0, up.output());
  assert.deepEqual(pidsIn(dir), []);
});

test('tsredis dashboard host:port discovers the topology from one address', async () => {
  const dir = folders.make();
  const base = await freePortRange(4);
  const r = await tsredis(['up', '--dir', dir, '--port', String(base), '--replicas', '2', '--detach']);
  assert.equal(r.code, 0, r.stderr);
  const d = spawnTsredis(['dashboard', `127.0.0.1:${portOf(dir, 'replica2')}`]);
  folders.track(d.proc.pid!);
  const url = await waitFor(
    'the dashboard URL',
    async () => /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(d.output())?.[1],
  );
  const snap = (await (await fetch(`${url}api/snapshot`)).json()) as {
    nodes: Array<{
      address: string;
      role: string;
      link: string | null;
      master: string | null;
      usedMemory: number;
    }>;
  };
  assert.equal(snap.nodes.length, 3);
  const master = snap.nodes.find((n) => n.role === 'master')!;
  assert.equal(master.address, `127.0.0.1:${base}`);
  const replicas = snap.nodes.filter((n) => n.role === 'replica');
  assert.equal(replicas.length, 2);
  for (const rep of replicas) {
    assert.equal(rep.link, 'up');
    assert.equal(rep.master, master.address);
    assert.ok(rep.usedMemory > 0);
  }
  const page = await fetch(url);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(await page.text(), /new EventSource\("\/events"\)/);
  // The event stream starts with the history, then a snapshot a second.
  const ac = new AbortController();
  const events = await fetch(`${url}events`, { signal: ac.signal });
  assert.equal(events.headers.get('content-type'), 'text/event-stream');
  const reader = events.body!.getReader();
  let text = '';
  while (!/event: snapshot\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  assert.match(text, /^retry: 1000\nevent: history\ndata: \[/);
  ac.abort();
  d.proc.kill('SIGINT');
  assert.equal(await d.exited, 0);
});

test('up --dashboard with a busy --dashboard-port: a plain error, the nodes stopped, no hang', async () => {
  const dir = folders.make();
  const base = await freePortRange(2);
  const busy = await new Promise<Server>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
  const busyPort = (busy.address() as { port: number }).port;
  try {
    // Before the fix it printed the error and never exited, its master left running: 30 s ends it.
    const r = await tsredis(
      [
        'up',
        ...['--dir', dir, '--port', String(base), '--replicas', '0'],
        ...['--dashboard', '--dashboard-port', String(busyPort)],
      ],
      30000,
    );
    assert.equal(r.signal, null, `up hung:\n${r.stdout}${r.stderr}`);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^tsredis up: dashboard port ${busyPort} is already in use: choose another with --dashboard-port$`,
        'm',
      ),
    );
    assert.equal(hasStackTrace(r.stderr), false, r.stderr);
    assert.match(r.stdout, /stopping the nodes this run started:\n {2}✓ master stopped/);
    assert.deepEqual(pidsIn(dir), []);
  } finally {
    busy.close();
  }
  // The dashboard command names its own option.
  const busy2 = await new Promise<Server>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
  try {
    const port2 = (busy2.address() as { port: number }).port;
    const d = await tsredis(['dashboard', '127.0.0.1:1', '--port', String(port2)], 30000);
    assert.equal(d.signal, null, d.stdout + d.stderr);
    assert.match(d.stderr, /already in use: choose another with --port$/m);
  } finally {
    busy2.close();
  }
});
