/**
 * Files for other machines: the repository's Dockerfile / docker-compose.yml and what `tsredis compose`
 * and `tsredis k8s` emit for any number of replicas. No Docker engine or Kubernetes here, so: the YAML
 * must parse, names and ports must agree, every node's config file must pass `tsredis-server
 * --test-config`, and the very same config files run as local processes (only host names rewritten)
 * must form the seed's topology, with the health checks passing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { cmd, info, waitInSync } from '../support/replication.js';
import { CLI_BIN, DIST, type ProcessServer, SERVER_BIN, spawnServer } from '../support/servers.js';
import {
  Folders,
  freePortRange,
  hasStackTrace,
  type RunResult,
  tsredis,
} from '../support/topology-support.js';

const run = promisify(execFile);
const ROOT = join(DIST, '..');
const folders = new Folders();
const servers: ProcessServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  await folders.cleanup();
});

interface Service {
  build?: { context: string };
  image: string;
  command: string[];
  volumes: string[];
  ports: string[];
  networks: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck: { test: string[] };
  links?: unknown;
}
interface Compose {
  services: Record<string, Service>;
  networks: Record<string, { driver: string }>;
}

async function testConfig(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, [SERVER_BIN, file, '--test-config']);
  return stdout;
}

/** Checks one emitted compose folder; returns the config files by service. */
async function checkCompose(dir: string, replicas: number, basePort: number): Promise<Map<string, string>> {
  const compose = parse(readFileSync(join(dir, 'docker-compose.yml'), 'utf8')) as Compose;
  const names = Object.keys(compose.services);
  assert.deepEqual(names, [
    'redis-master',
    ...Array.from({ length: replicas }, (_, i) => `redis-replica${i + 1}`),
  ]);
  assert.deepEqual(compose.networks, { tsredis: { driver: 'bridge' } }, 'a user-defined network');
  const confs = new Map<string, string>();
  for (const [name, s] of Object.entries(compose.services)) {
    assert.equal(s.links, undefined, 'no deprecated --link');
    assert.deepEqual(s.networks, ['tsredis']);
    assert.equal(s.image, 'tsredis:latest');
    assert.ok(s.build !== undefined);
    // The seed's -v: the node's config file mounted where the command reads it.
    const [hostPath, containerPath] = s.volumes[0].split(':');
    assert.equal(s.command[1], containerPath);
    assert.equal(s.command[0], 'tsredis-server');
    const conf = join(dir, hostPath);
    assert.ok(existsSync(conf), `${conf} exists`);
    const text = readFileSync(conf, 'utf8');
    confs.set(name, conf);
    const port = Number(/^port (\d+)$/m.exec(text)![1]);
    assert.equal(port, basePort + (name === 'redis-master' ? 0 : Number(name.replace('redis-replica', ''))));
    assert.deepEqual(s.ports, [`127.0.0.1:${port}:${port}`]);
    assert.match(text, /^bind 0\.0\.0\.0$/m, "the seed's fix");
    assert.match(text, /^daemonize no$/m);
    assert.equal(s.healthcheck.test[0], 'CMD-SHELL');
    assert.match(s.healthcheck.test[1], new RegExp(`^tsredis-cli -p ${port} `));
    if (name === 'redis-master') {
      assert.doesNotMatch(text, /^replicaof/m);
    } else {
      assert.match(text, new RegExp(`^replicaof redis-master ${basePort}$`, 'm'));
      assert.deepEqual(s.depends_on, { 'redis-master': { condition: 'service_healthy' } });
      assert.match(s.healthcheck.test[1], /info replication \| grep -q master_link_status:up/);
    }
    assert.equal(await testConfig(conf), 'Configuration OK\n');
  }
  return confs;
}

test('the repository docker-compose.yml is what `tsredis compose --replicas 2` emits', async () => {
  const r = await tsredis(['compose', '--replicas', '2', '--stdout']);
  assert.equal(r.code, 0, r.stderr);
  const committed = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  // The build context is relative to where the file is written: '.' at the repository root.
  assert.equal(committed, r.stdout.replace(/context: .*/g, 'context: .'));
  const out = folders.make('tsredis-compose-');
  await tsredis(['compose', '--replicas', '2', '--out', out]);
  for (const f of readdirSync(join(ROOT, 'docker'))) {
    assert.equal(
      readFileSync(join(ROOT, 'docker', f), 'utf8'),
      readFileSync(join(out, 'docker', f), 'utf8'),
      f,
    );
  }
  await checkCompose(ROOT, 2, 6379);
});

test('the Dockerfile: official Node base, only existing files copied, the commands it links exist', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.ok(froms.length >= 1 && froms.every((f) => /^node:\d+(-alpine|-slim)?$/.test(f)), froms.join());
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
  for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of m[1].split(' ')) {
      assert.ok(existsSync(join(ROOT, src)), `COPY source ${src} exists`);
      assert.match(
        ignore,
        new RegExp(`^!${src.replace('.', '\\.')}/?$`, 'm'),
        `${src} is not excluded by .dockerignore`,
      );
    }
  }
  for (const m of dockerfile.matchAll(/ln -s \/app\/(\S+) \/usr\/local\/bin\/(\S+)/g)) {
    const built = join(DIST, m[1].replace(/^dist\//, ''));
    assert.ok(existsSync(built), `${m[1]} is built`);
    assert.ok(
      readFileSync(built, 'utf8').startsWith('#!/usr/bin/env node'),
      `${m[1]} is executable as ${m[2]}`,
    );
  }
  assert.match(dockerfile, /^HEALTHCHECK .*tsredis-cli ping/m);
  assert.match(dockerfile, /^CMD \["tsredis-server"/m);
});

for (const replicas of [1, 3]) {
  test(`tsredis compose --replicas ${replicas}: files parse, agree, and run as local processes`, async () => {
    const out = folders.make('tsredis-compose-');
    const base = await freePortRange(replicas + 1);
    const r = await tsredis([
      'compose',
      '--replicas',
      String(replicas),
      '--port',
      String(base),
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const confs = await checkCompose(out, replicas, base);
    // The same files as local processes: only the master's host name changes (the compose network's
    // name resolution is Docker's); each node's working directory stands for the image's /data.
    for (const [service, conf] of confs) {
      const local = join(out, `${service}.local.conf`);
      writeFileSync(
        local,
        readFileSync(conf, 'utf8').replace(/^replicaof redis-master /m, 'replicaof 127.0.0.1 '),
      );
      const data = join(out, 'data', service);
      mkdirSync(data, { recursive: true });
      const port = Number(/^port (\d+)$/m.exec(readFileSync(local, 'utf8'))![1]);
      servers.push(await spawnServer(SERVER_BIN, [local], { port, dir: data, cwd: data }));
    }
    await waitInSync(base, replicas);
    assert.equal((await info(base)).get('connected_slaves'), String(replicas));
    assert.equal(await cmd(base, 'SET', 'master', 'liuwei'), 'OK');
    await waitInSync(base, replicas);
    for (let i = 1; i <= replicas; i++) assert.equal(await cmd(base + i, 'GET', 'master'), 'liuwei');
    // The health checks pass (tsredis-cli stands for the image's linked command).
    const compose = parse(readFileSync(join(out, 'docker-compose.yml'), 'utf8')) as Compose;
    for (const s of Object.values(compose.services)) {
      const check = s.healthcheck.test[1].replace(/^tsredis-cli/, `"${process.execPath}" "${CLI_BIN}"`);
      await run('sh', ['-c', check]);
    }
  });
}

interface K8sDoc {
  kind: string;
  metadata: { name: string; labels: Record<string, string> };
  data?: Record<string, string>;
  spec: {
    clusterIP?: string;
    selector?: Record<string, string> & { matchLabels?: Record<string, string> };
    ports?: Array<{ name: string; port: number; targetPort: string }>;
    serviceName?: string;
    replicas?: number;
    template?: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: Array<{
          image: string;
          command: string[];
          ports: Array<{ name: string; containerPort: number }>;
          readinessProbe: { exec: { command: string[] } };
          volumeMounts: Array<{ name: string; mountPath: string; subPath?: string }>;
        }>;
        volumes: Array<{ name: string; configMap?: { name: string } }>;
      };
    };
  };
}

for (const replicas of [1, 4]) {
  test(`tsredis k8s --replicas ${replicas}: manifests parse and agree; the configs pass --test-config`, async () => {
    const out = folders.make('tsredis-k8s-');
    const file = join(out, 'tsredis.yaml');
    const r = await tsredis(['k8s', '--replicas', String(replicas), '--out', file]);
    assert.equal(r.code, 0, r.stderr);
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
      assert.deepEqual(d.errors, []);
      return d.toJS() as K8sDoc;
    });
    assert.deepEqual(docs.map((d) => d.kind).sort(), [
      'ConfigMap',
      'Service',
      'Service',
      'StatefulSet',
      'StatefulSet',
    ]);
    const configMap = docs.find((d) => d.kind === 'ConfigMap')!;
    const services = docs.filter((d) => d.kind === 'Service');
    const sets = docs.filter((d) => d.kind === 'StatefulSet');
    for (const [key, text] of Object.entries(configMap.data!)) {
      const conf = join(out, key);
      writeFileSync(conf, text);
      assert.equal(await testConfig(conf), 'Configuration OK\n', key);
      assert.match(text, /^port 6379$/m);
    }
    const byRole = (role: string) => sets.find((s) => s.metadata.labels.role === role)!;
    assert.equal(byRole('master').spec.replicas, 1);
    assert.equal(byRole('replica').spec.replicas, replicas);
    for (const set of sets) {
      const svc = services.find((s) => s.metadata.name === set.spec.serviceName);
      assert.ok(svc !== undefined, `headless Service ${set.spec.serviceName}`);
      assert.equal(svc.spec.clusterIP, 'None');
      const labels = set.spec.template!.metadata.labels;
      for (const [k, v] of Object.entries(svc.spec.selector!)) assert.equal(labels[k], v);
      for (const [k, v] of Object.entries(set.spec.selector!.matchLabels!)) assert.equal(labels[k], v);
      const c = set.spec.template!.spec.containers[0];
      assert.equal(c.ports[0].containerPort, svc.spec.ports![0].port);
      assert.equal(svc.spec.ports![0].targetPort, c.ports[0].name);
      assert.match(
        c.readinessProbe.exec.command.join(' '),
        /tsredis-cli -p 6379 info replication \| grep -q/,
      );
      const mount = c.volumeMounts.find((m) => m.name === 'config')!;
      assert.equal(c.command[1], mount.mountPath);
      assert.ok(mount.subPath! in configMap.data!, `${mount.subPath} is in the ConfigMap`);
      assert.equal(
        set.spec.template!.spec.volumes.find((v) => v.name === 'config')?.configMap?.name,
        configMap.metadata.name,
      );
    }
    // Replicas find the master pod by its stable name through the master's headless Service.
    const master = byRole('master');
    assert.match(
      configMap.data!['redis-replica.conf'],
      new RegExp(`^replicaof ${master.metadata.name}-0\\.${master.spec.serviceName} 6379$`, 'm'),
    );
    assert.match(
      byRole('master').spec.template!.spec.containers[0].readinessProbe.exec.command[2],
      /\^role:master/,
    );
    assert.match(
      byRole('replica').spec.template!.spec.containers[0].readinessProbe.exec.command[2],
      /\^master_link_status:up/,
    );
  });
}

/** A failure: exit code 1, one plain message on stderr, no stack trace, no hang. */
function assertPlain(r: RunResult, message: RegExp): void {
  assert.equal(r.signal, null, `hung:\n${r.stdout}${r.stderr}`);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, message);
  assert.equal(hasStackTrace(r.stdout + r.stderr), false, r.stderr);
}

test('compose and k8s output paths that cannot be written (/proc used to spin at 100% CPU)', {
  skip: existsSync('/proc/self') ? false : 'needs /proc (Linux)',
}, async () => {
  assertPlain(
    await tsredis(['k8s', '--out', '/nonexistent/x.yaml']),
    /^tsredis k8s: cannot write \/nonexistent\/x\.yaml: no such file or folder$/m,
  );
  // Bounded: before the fix this never returned (20 s ends it as a hang).
  assertPlain(
    await tsredis(['compose', '--out', '/proc/tsredis-compose'], 20000),
    /^tsredis compose: cannot create \/proc\/tsredis-compose\/docker: \/proc does not accept new folders$/m,
  );
  const dir = folders.make('tsredis-compose-');
  const file = join(dir, 'file');
  writeFileSync(file, '');
  assertPlain(
    await tsredis(['compose', '--out', file]),
    new RegExp(`cannot create ${file}/docker: ${file} is a file, not a folder`),
  );
});

test('compose and k8s have no working folder: --dir gets told to use --out', async () => {
  assertPlain(
    await tsredis(['compose', '--dir', 'x']),
    /^tsredis compose: compose has no working folder \(--dir is for the local topology\): write the files with --out DIR/m,
  );
  assertPlain(await tsredis(['k8s', '--dir=x']), /^tsredis k8s: k8s has no working folder .*--out FILE/m);
});
