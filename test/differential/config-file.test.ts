/**
 * Config file loading: every FATAL CONFIG FILE ERROR of the golden corpus byte for byte, and a
 * battery of bad configurations run through both tsredis-server and the real redis-server 7.0.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DIST, findRedisServer, SERVER_BIN, skipWithoutRedis, tempDir } from '../support/servers.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'config');

interface Outcome {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs a server binary to completion (bad configs exit at once; 5 s is a safety net). */
function run(bin: 'tsredis' | 'redis', args: string[], cwd: string, input?: string): Outcome {
  const r =
    bin === 'tsredis'
      ? spawnSync(process.execPath, [SERVER_BIN, ...args], { cwd, input, encoding: 'latin1', timeout: 5000 })
      : spawnSync(findRedisServer()!, args, { cwd, input, encoding: 'latin1', timeout: 5000 });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

/** Log lines with the pid and the time masked. */
function maskLog(text: string): string {
  return text.replace(/^\d+:([A-Z]) \d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} /gm, 'PID:$1 TIME ');
}

interface Golden {
  name: string;
  args: string[];
  file: string | null;
  stdout: string;
  stderr: string;
  code: number;
}

/** Reads a golden config-error capture: the command, the file content, stdout, stderr, exit code. */
function readGolden(name: string): Golden {
  const lines = readFileSync(join(FIXTURES, name), 'latin1').split('\n');
  const command = lines.find((l) => l.startsWith('# command: '))!.slice('# command: '.length);
  const args = command.split('   ')[0].split(' ').slice(1);
  let file: string | null = null;
  const start = lines.indexOf('# ----');
  if (start >= 0) {
    const end = lines.indexOf('# ----', start + 1);
    file = `${lines
      .slice(start + 1, end)
      .map((l) => l.slice(2))
      .join('\n')}\n`;
  }
  const out = lines.indexOf('# --- stdout ---');
  const err = lines.indexOf('# --- stderr ---');
  const exit = lines.findIndex((l) => l.startsWith('[process exit code: '));
  const joined = (from: number, to: number) =>
    lines
      .slice(from, to)
      .map((l) => `${l}\n`)
      .join('');
  return {
    name,
    args,
    file,
    stdout: joined(out + 1, err),
    stderr: joined(err + 1, exit),
    code: Number(/\d+/.exec(lines[exit])![0]),
  };
}

describe('golden FATAL CONFIG FILE ERROR texts', () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));
  const goldens = readdirSync(FIXTURES).filter((f) => f.startsWith('config-error-'));

  test('the corpus is all here', () => assert.equal(goldens.length, 12));

  for (const name of goldens) {
    test(name, () => {
      const g = readGolden(name);
      const args = g.args.map((a) => {
        if (!a.startsWith('/path/to/')) return a;
        const path = join(dir, a.slice('/path/to/'.length));
        writeFileSync(path, g.file!);
        return path;
      });
      const r = run('tsredis', args, dir);
      assert.equal(r.code, g.code, r.stdout + r.stderr);
      assert.equal(r.stderr, g.stderr);
      assert.equal(maskLog(r.stdout), maskLog(g.stdout));
    });
  }
});

/** Bad configurations: [file content or null, extra arguments, stdin]. */
const BAD: Array<{
  name: string;
  file?: string;
  args?: string[];
  stdin?: string;
  files?: Record<string, string>;
}> = [
  { name: 'unbalanced double quote', file: 'port 7000\nrequirepass "abc\n' },
  { name: 'text right after a closing quote', file: 'requirepass "a"b\n' },
  { name: 'unbalanced single quote', file: "requirepass 'abc\n" },
  { name: 'directive name in upper case is echoed as typed', file: '# comment\n\n   PORT   abc  \n' },
  { name: 'tabs and CR around a line', file: '\t port 70000\r\n' },
  { name: 'wrong number of arguments for a one-value directive', file: 'timeout 1 2\n' },
  {
    name: 'unknown directive after includes',
    file: 'include INC1\nfoobar\n',
    files: { INC1: 'port 7001\n' },
  },
  {
    name: 'error inside an included file',
    file: 'port 7002\ninclude INC2\n',
    files: { INC2: '\n\nmaxmemory 1zb\n' },
  },
  { name: 'include with a glob matching nothing', file: 'include NOMATCH*.conf\nnosuch yes\n' },
  {
    name: 'include with a glob',
    file: 'include GLOB-*.conf\n',
    files: { 'GLOB-a.conf': 'port 7003\n', 'GLOB-b.conf': 'hz x\n' },
  },
  { name: 'include with two arguments', file: 'include a b\n' },
  { name: 'rename-command of an unknown command', file: 'rename-command NOSUCHCMD foo\n' },
  { name: 'rename-command onto an existing command', file: 'rename-command get set\n' },
  { name: 'rename-command of a removed command', file: 'rename-command get ""\nrename-command GET foo\n' },
  { name: 'rename-command with one argument', file: 'rename-command get\n' },
  { name: 'save: seconds below 1', file: 'save 0 1\n' },
  { name: 'save: negative changes', file: 'save 10 -1\n' },
  { name: 'save: not numbers', file: 'save a b\n' },
  { name: 'client-output-buffer-limit: count', file: 'client-output-buffer-limit normal 0 0\n' },
  { name: 'client-output-buffer-limit: class', file: 'client-output-buffer-limit master 0 0 0\n' },
  { name: 'client-output-buffer-limit: values', file: 'client-output-buffer-limit pubsub 1x 0 0\n' },
  { name: 'client-output-buffer-limit: seconds', file: 'client-output-buffer-limit pubsub 1mb 0 -1\n' },
  { name: 'oom-score-adj-values: count', file: 'oom-score-adj-values 1 2\n' },
  {
    name: 'too many bind addresses',
    file: `bind ${Array.from({ length: 17 }, (_, i) => `127.0.0.${i + 1}`).join(' ')}\n`,
  },
  { name: 'replicaof: bad port', file: 'replicaof localhost 70000\n' },
  { name: 'slaveof: one argument', file: 'slaveof localhost\n' },
  { name: 'dir that does not exist', file: 'dir /nonexistent/tsredis/dir\n' },
  { name: 'dir that is a file', file: 'dir /etc/hostname\n' },
  { name: 'logfile that cannot be opened', file: 'logfile /nonexistent/dir/redis.log\nport 7004\n' },
  { name: 'unixsocketperm: not octal', file: 'unixsocketperm 800\n' },
  { name: 'unixsocketperm: out of range', file: 'unixsocketperm 1000\n' },
  { name: 'notify-keyspace-events: bad class', file: 'notify-keyspace-events KEq\n' },
  { name: 'maxmemory-clients: percentage over 100', file: 'maxmemory-clients 101%\n' },
  { name: 'maxmemory-clients: not a value', file: 'maxmemory-clients 5%%\n' },
  {
    name: 'latency-tracking-info-percentiles: not numbers',
    file: 'latency-tracking-info-percentiles 50 x\n',
  },
  {
    name: 'latency-tracking-info-percentiles: out of range',
    file: 'latency-tracking-info-percentiles 50 101\n',
  },
  { name: 'loglevel nothing is 7.2', file: 'loglevel nothing\n' },
  { name: 'shutdown-on-sigterm: bad flag', file: 'shutdown-on-sigterm now later\n' },
  { name: 'module config without value', file: 'mymodule.option\n' },
  { name: 'sentinel directive outside sentinel mode', file: 'sentinel monitor m 127.0.0.1 6379 2\n' },
  { name: 'deprecated directive with a wrong count', file: 'list-max-ziplist-entries 1 2\n' },
  {
    name: 'deprecated directive is accepted',
    file: 'list-max-ziplist-value 64\nlua-replicate-commands yes\nbogus\n',
  },
  { name: 'appendfilename: a path', file: 'appendfilename a/b.aof\n' },
  { name: 'appenddirname: empty', file: 'appenddirname ""\n' },
  { name: 'dbfilename: a path', file: 'dbfilename /tmp/x.rdb\n' },
  { name: 'cluster-announce-hostname: bad characters', file: 'cluster-announce-hostname a_b\n' },
  { name: 'proc-title-template: unknown variable', file: 'proc-title-template "{title} {nope}"\n' },
  { name: 'maxclients: zero', file: 'maxclients 0\n' },
  { name: 'tcp-backlog: negative', file: 'tcp-backlog -1\n' },
  { name: 'integers: leading zero and plus sign', file: 'hz 010\n' },
  { name: 'integers: plus sign', file: 'databases +5\n' },
  { name: 'memory: negative', file: 'proto-max-bulk-len -1mb\n' },
  { name: 'memory: below the minimum', file: 'client-query-buffer-limit 1kb\n' },
  { name: 'memory: 2^64 wraps to a negative signed value', file: 'repl-backlog-size 18446744073709551615\n' },
  {
    name: 'enum values are case-insensitive, errors list them',
    file: 'appendfsync EVERYSEC\nmaxmemory-policy ALLKEYS-LRU\nsupervised maybe\n',
  },
  {
    name: 'bool values are case-insensitive',
    file: 'protected-mode YES\nactiverehashing No\nappendonly y\n',
  },
  { name: 'argv: bad value', args: ['--timeout', '-1'] },
  { name: 'argv: option with no value at the end', args: ['--port'] },
  { name: 'argv: --save followed by an option', args: ['--save', '--port', 'abc'] },
  { name: 'argv: several values quoted', args: ['--save', '60', '10', '--maxmemory-policy', 'no such'] },
  { name: 'argv: name and value in one argument', args: ['--timeout 5', '--hz', 'x y'] },
  { name: 'argv: values with quotes and escapes', args: ['--requirepass', 'a"b\\c\n', '--nope', 'x'] },
  {
    name: 'file then argv: line numbers continue',
    file: 'port 7005\n',
    args: ['--hz', '10', '--loglevel', 'loud'],
  },
  { name: 'stdin', args: ['-'], stdin: 'port 7006\nnosuch directive\n' },
  { name: 'file, stdin and argv', file: 'port 7007\n', args: ['--hz', '5', '-'], stdin: 'hz 6\nhz\n' },
];

describe('bad configurations, against redis-server 7.0', { skip: skipWithoutRedis() }, () => {
  const root = tempDir();
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const [i, c] of BAD.entries()) {
    test(c.name, () => {
      const dir = join(root, String(i));
      mkdirSync(dir);
      for (const [f, content] of Object.entries(c.files ?? {})) writeFileSync(join(dir, f), content);
      const args = [...(c.args ?? [])];
      if (c.file !== undefined) {
        writeFileSync(
          join(dir, 'test.conf'),
          c.file.replace(/INC\d|GLOB-\*|NOMATCH\*/g, (m) => join(dir, m)),
        );
        args.unshift(join(dir, 'test.conf'));
      }
      const redis = run('redis', args, dir, c.stdin);
      const ts = run('tsredis', args, dir, c.stdin);
      assert.notEqual(redis.code, null, `redis-server did not exit: ${redis.stdout}`);
      assert.equal(ts.stderr, redis.stderr);
      assert.equal(maskLog(ts.stdout), maskLog(redis.stdout));
      assert.equal(ts.code, redis.code);
    });
  }

  test('a missing include is fatal with the log line Redis prints', () => {
    const dir = join(root, 'missing-include');
    mkdirSync(dir);
    writeFileSync(join(dir, 'test.conf'), `port 7008\ninclude ${join(dir, 'absent.conf')}\n`);
    const args = [join(dir, 'test.conf')];
    const redis = run('redis', args, dir);
    const ts = run('tsredis', args, dir);
    assert.equal(ts.code, 1);
    assert.equal(maskLog(ts.stdout), maskLog(redis.stdout));
    assert.match(
      ts.stdout,
      /# Fatal error, can't open config file '.*absent.conf': No such file or directory/,
    );
  });
});
