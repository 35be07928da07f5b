/** The directive table and Config: names, defaults, parsing rules, CONFIG GET/SET semantics, REWRITE. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Config } from '../../src/server/config.js';
import { formatMemoryForRewrite, memtoull, strtollWhole } from '../../src/server/config-directive.js';
import { DIRECTIVES } from '../../src/server/config-directives.js';
import { validProcTitleTemplate } from '../../src/server/config-special.js';
import { DIST } from '../support/servers.js';

const FIXTURES = join(DIST, '..', 'test', 'fixtures', 'config');

/** CONFIG GET * of redis-server 7.0.15 started with --port 23000 --bind 127.0.0.1 --save '' … */
function goldenConfig(): Map<string, string> {
  const text = readFileSync(join(FIXTURES, 'plain.config-get-all.txt'), 'latin1');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const tab = line.indexOf('\t');
    out.set(line.slice(0, tab), line.slice(tab + 1));
  }
  return out;
}

function configLike(text: string): Config {
  const c = new Config();
  c.load(text);
  return c;
}

describe('the directive table', () => {
  test('CONFIG GET * lists exactly the names and values of redis-server 7.0.15', () => {
    const golden = goldenConfig();
    const c = configLike('port 23000\nbind 127.0.0.1\nsave ""\nappendonly no\n');
    const ours = new Map(c.getMatching(['*']));
    golden.delete('dir');
    ours.delete('dir');
    assert.deepEqual([...ours.keys()].sort(), [...golden.keys()].sort());
    for (const [name, value] of golden) assert.equal(ours.get(name), value, name);
    assert.equal(golden.size, 191);
  });

  test('hidden directives answer only to their exact name', () => {
    const c = new Config();
    assert.deepEqual(c.getMatching(['rdb-key-save-delay']), [['rdb-key-save-delay', '0']]);
    assert.deepEqual(c.getMatching(['WATCHDOG-PERIOD']), [['WATCHDOG-PERIOD', '0']]);
    assert.deepEqual(c.getMatching(['rdb-key-*']), []);
    assert.deepEqual(c.getMatching(['loading-process-events-interval-bytes']), [
      ['loading-process-events-interval-bytes', '2097152'],
    ]);
  });

  test('implemented directives are the ones tsredis acts on', () => {
    const implemented = DIRECTIVES.filter((d) => d.implemented).map((d) => d.name);
    for (const name of [
      'port',
      'bind',
      'requirepass',
      'maxclients',
      'timeout',
      'dir',
      'notify-keyspace-events',
    ]) {
      assert.ok(implemented.includes(name), name);
    }
    assert.ok(implemented.includes('maxmemory'));
    assert.ok(!implemented.includes('maxmemory-clients'));
  });

  test('every alias maps to its directive', () => {
    const c = new Config();
    c.load('slave-read-only no\nhash-max-ziplist-entries 7\nlua-time-limit 99\nslaveof 10.0.0.1 7000\n');
    assert.equal(c.format('replica-read-only'), 'no');
    assert.equal(c.format('hash-max-listpack-entries'), '7');
    assert.equal(c.format('busy-reply-threshold'), '99');
    assert.equal(c.format('replicaof'), '10.0.0.1 7000');
    assert.deepEqual(c.getMatching(['slaveof']), [['slaveof', '10.0.0.1 7000']]);
  });
});

describe('value parsing', () => {
  test('memtoull: units, saturation and wrap-around like the C code', () => {
    assert.equal(memtoull('1gb'), 1073741824n);
    assert.equal(memtoull('1G'), 1000000000n);
    assert.equal(memtoull('5B'), 5n);
    assert.equal(memtoull(''), 0n);
    assert.equal(memtoull('kb'), 0n);
    assert.equal(memtoull('05'), 5n);
    assert.equal(memtoull('99999999999999999999'), 18446744073709551615n);
    assert.equal(memtoull('18446744073709551615kb'), 18446744073709550592n);
    assert.equal(memtoull('17179869184gb'), 0n);
    assert.equal(memtoull('-1'), null);
    assert.equal(memtoull('+5'), null);
    assert.equal(memtoull('1.5mb'), null);
    assert.equal(memtoull('1 mb'), null);
    assert.equal(memtoull(`${'0'.repeat(127)}1`), null);
  });

  test('strtoll with a full-string check', () => {
    assert.deepEqual(strtollWhole('  -12'), { value: -12n, overflow: false });
    assert.deepEqual(strtollWhole(''), { value: 0n, overflow: false });
    assert.equal(strtollWhole('12 '), null);
    assert.equal(strtollWhole('x'), null);
    assert.deepEqual(strtollWhole('777', 8), { value: 511n, overflow: false });
    assert.equal(strtollWhole('8', 8), null);
    assert.equal(strtollWhole('99999999999999999999')?.overflow, true);
  });

  test('CONFIG REWRITE memory notation', () => {
    assert.equal(formatMemoryForRewrite(0n), '0');
    assert.equal(formatMemoryForRewrite(1024n), '1kb');
    assert.equal(formatMemoryForRewrite(67108864n), '64mb');
    assert.equal(formatMemoryForRewrite(2147483648n), '2gb');
    assert.equal(formatMemoryForRewrite(1000n), '1000');
  });

  test('proc-title-template validation', () => {
    assert.ok(validProcTitleTemplate('{title} {listen-addr} {server-mode}'));
    assert.ok(validProcTitleTemplate('}'));
    assert.ok(validProcTitleTemplate('{{x}}'));
    assert.ok(!validProcTitleTemplate('{title'));
    assert.ok(!validProcTitleTemplate('{unknown}'));
    assert.ok(!validProcTitleTemplate(' '));
  });

  test('formatting of special directives', () => {
    const c = new Config();
    const set = (name: string, value: string) =>
      assert.equal(c.setPairs([name, value], { local: true }), null);
    set('notify-keyspace-events', 'KEA');
    assert.equal(c.format('notify-keyspace-events'), 'AKE');
    set('notify-keyspace-events', 'g$lshzxetdn');
    assert.equal(c.format('notify-keyspace-events'), 'A');
    set('notify-keyspace-events', 'Ex');
    assert.equal(c.format('notify-keyspace-events'), 'xE');
    set('shutdown-on-sigint', 'default now');
    assert.equal(c.format('shutdown-on-sigint'), 'now');
    set('shutdown-on-sigint', 'force nosave');
    assert.equal(c.format('shutdown-on-sigint'), 'nosave force');
    set('latency-tracking-info-percentiles', '1e1 33.333333333 0.00001');
    assert.equal(c.format('latency-tracking-info-percentiles'), '10 33.333333 0.00001');
    // Client eviction is not implemented: any limit is refused (fail closed), 0 and 0% load.
    assert.match(String(c.setPairs(['maxmemory-clients', '10%'], { local: true })), /client eviction/);
    set('maxmemory-clients', '0%');
    assert.equal(c.format('maxmemory-clients'), '0');
    set('oom-score-adj', 'relative');
    assert.equal(c.format('oom-score-adj'), 'yes');
    set('client-output-buffer-limit', 'replica 1kb 2mb 3 normal 1 2 3');
    assert.equal(
      c.format('client-output-buffer-limit'),
      'normal 1 2 3 slave 1024 2097152 3 pubsub 33554432 8388608 60',
    );
    assert.match(
      String(c.setPairs(['oom-score-adj-values', '1 2 3000'], { local: true })),
      /between -2000 and 2000/,
    );
    set('hz', '1000');
    assert.equal(c.format('hz'), '500');
    set('hz', '0');
    assert.equal(c.format('hz'), '1');
    set('maxmemory', '99999999999999999999');
    assert.equal(c.format('maxmemory'), '18446744073709551615');
  });

  test('save lines in files accumulate; CONFIG SET replaces', () => {
    const c = configLike('save 900 1\nsave 300 10\n');
    assert.equal(c.format('save'), '900 1 300 10');
    assert.equal(c.setPairs(['save', '100 1'], { local: true }), null);
    assert.equal(c.format('save'), '100 1');
    assert.equal(configLike('save ""\n').format('save'), '');
    // As redis-server 7.0.15: `save ""` clears the earlier lines, later lines add up again.
    assert.equal(configLike('save 100 1\nsave ""\n').format('save'), '');
    assert.equal(configLike('save 100 1\nsave ""\nsave 50 5\n').format('save'), '50 5');
    assert.equal(configLike('save 10 4294967297\n').format('save'), '10 1');
  });

  test('last value wins and the file line is kept for errors', () => {
    const c = configLike('port 1000\nport 2000\ntimeout 3\n');
    assert.equal(c.num('port'), 2000);
    assert.equal(c.num('timeout'), 3);
  });
});

describe('CONFIG SET semantics', () => {
  const local = { local: true };

  test('errors: unknown first, then immutable/protected, duplicate, bad value', () => {
    const c = new Config();
    assert.equal(
      c.setPairs(['timeout', '1', 'nonex', '2', 'daemonize', 'yes'], local),
      "ERR Unknown option or number of arguments for CONFIG SET - 'nonex'",
    );
    assert.equal(
      c.setPairs(['daemonize', 'yes', 'nonex', '2'], local),
      "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config",
    );
    assert.equal(
      c.setPairs(['timeout', 'abc', 'daemonize', 'yes'], local),
      "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config",
    );
    assert.equal(
      c.setPairs(['timeout', '1', 'TIMEOUT', '2'], local),
      "ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter",
    );
    assert.equal(
      c.setPairs(['dir', '/tmp'], local),
      "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config",
    );
    assert.equal(
      c.setPairs(['MAXMEMORY-POLICY', 'bogus'], local),
      "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
    );
  });

  test('atomic: a bad value restores the values set before it', () => {
    const c = new Config();
    assert.notEqual(c.setPairs(['maxmemory', '1gb', 'timeout', '5', 'hz', 'x'], local), null);
    assert.equal(c.format('maxmemory'), '0');
    assert.equal(c.format('timeout'), '0');
  });

  test('a failing applier restores values and re-applies the old state', async () => {
    const c = new Config();
    const applied: number[] = [];
    c.onApply('timeout', () => {
      applied.push(c.num('timeout'));
      return c.num('timeout') === 7 ? 'no sevens' : null;
    });
    assert.equal(
      c.setPairs(['timeout', '7'], local),
      "ERR CONFIG SET failed (possibly related to argument 'timeout') - no sevens",
    );
    assert.equal(c.num('timeout'), 0);
    c.onApply('port', async () => (c.num('port') === 1 ? 'busy' : null));
    const r = c.setPairs(['port', '1'], local);
    assert.ok(r instanceof Promise);
    assert.equal(await r, "ERR CONFIG SET failed (possibly related to argument 'port') - busy");
    assert.equal(c.num('port'), 6379);
    assert.deepEqual(applied, [7, 0]);
  });

  test('an alias and its name are different parameters, like Redis', () => {
    const c = new Config();
    assert.equal(c.setPairs(['slave-read-only', 'yes', 'replica-read-only', 'no'], local), null);
    assert.equal(c.format('replica-read-only'), 'no');
  });

  test('enable-protected-configs local allows local clients only', () => {
    const c = configLike(`enable-protected-configs local\n`);
    assert.equal(c.setPairs(['dbfilename', 'x.rdb'], { local: true }), null);
    assert.match(String(c.setPairs(['dbfilename', 'y.rdb'], { local: false })), /protected config/);
  });
});

describe('CONFIG REWRITE text (as captured from redis-server 7.0.15)', () => {
  test('keeps comments and unknown lines, rewrites in place, appends after the signature', () => {
    const old = [
      '# top comment',
      'port 23453',
      'bind 127.0.0.1',
      '',
      '# save section',
      'save 900 1',
      'save 300 10',
      'slave-read-only yes',
      'timeout 5',
      '   maxmemory   100mb   ',
      'rename-command FLUSHALL ""',
      'notify-keyspace-events ""',
      'hz 10',
      'unixsocketperm 700',
      'client-output-buffer-limit pubsub 32mb 8mb 60',
      '# Generated by CONFIG REWRITE',
      'loglevel notice',
      '',
    ].join('\n');
    const c = configLike(old);
    for (const [k, v] of [
      ['timeout', '0'],
      ['maxmemory', '2gb'],
      ['save', '100 1'],
      ['maxmemory-policy', 'allkeys-lru'],
      ['notify-keyspace-events', 'KEA'],
      ['hash-max-listpack-value', '1024'],
      ['proto-max-bulk-len', '1000000000'],
    ]) {
      assert.equal(c.setPairs([k, v], { local: true }), null);
    }
    const text = c.rewriteText(old);
    const [inPlace, appended] = text.split('# Generated by CONFIG REWRITE\n');
    assert.equal(
      inPlace,
      [
        '# top comment',
        'port 23453',
        'bind 127.0.0.1',
        '',
        '# save section',
        'save 100 1',
        '',
        'replica-read-only yes',
        'timeout 0',
        'maxmemory 2gb',
        'rename-command FLUSHALL ""',
        'notify-keyspace-events "AKE"',
        'hz 10',
        'unixsocketperm 700',
        'client-output-buffer-limit normal 0 0 0',
        '',
      ].join('\n'),
    );
    const lines = appended.split('\n');
    assert.equal(lines[0], 'loglevel notice');
    assert.equal(lines[1], '');
    assert.deepEqual(lines.slice(2).sort(), [
      '',
      `dir ${JSON.stringify(c.host.cwd())}`,
      'hash-max-listpack-value 1kb',
      'latency-tracking-info-percentiles 50 99 99.9',
      'maxmemory-policy allkeys-lru',
      'proto-max-bulk-len 1000000000',
      'user default on nopass ~* &* +@all',
    ]);
  });

  test('blanks directives back at their defaults, comments out unknown ones', () => {
    const old =
      'port 23454\n# c\nslaveof 127.0.0.1 1\nsave ""\nlist-max-ziplist-entries 5\nsentinel\nmymod.opt 1\n';
    const c = new Config();
    c.load('port 23454\nslaveof 127.0.0.1 1\nsave ""\n');
    const first = c.rewriteText(old);
    assert.ok(
      first.startsWith(
        'port 23454\n# c\nreplicaof 127.0.0.1 1\nsave ""\n# ??? list-max-ziplist-entries 5\nsentinel\n# ??? mymod.opt 1\n\n# Generated by CONFIG REWRITE\n',
      ),
      first,
    );
    const second = new Config();
    second.load('port 23454\nsave ""\n');
    assert.equal(second.setPairs(['bind', '127.0.0.1 -::1'], { local: true }), null);
    const text = second.rewriteText(first);
    assert.ok(text.startsWith('port 23454\n# c\n\nsave ""\n'), text);
    assert.ok(text.endsWith('\nbind 127.0.0.1 -::1\n'), text);
    assert.equal(text.match(/# Generated by CONFIG REWRITE/g)?.length, 1);
  });

  test('requirepass becomes a quoted line and a hashed default user', () => {
    const c = new Config();
    assert.equal(c.setPairs(['requirepass', 'se cr"et'], { local: true }), null);
    const text = c.rewriteText('');
    assert.match(text, /^requirepass "se cr\\"et"$/m);
    assert.match(
      text,
      /^user default on #62f88e045a91d85f7da746460269fb729ee4903ed92f1b4a493090898a73e288 ~\* &\* \+@all$/m,
    );
  });
});
