/**
 * Interactive mode under a real pseudo-terminal (util-linux `script`): prompt, commands, help,
 * SELECT/MULTI prompts, reconnecting after a server restart, history, Ctrl-C in SUBSCRIBE.
 * TERM=dumb gives the plain prompt (like linenoise on such a terminal); one test uses the editor.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../../src/index.js';
import { Pty } from '../support/cli-support.js';
import { RawClient } from '../support/raw-client.js';
import {
  CLI_BIN,
  freePort,
  type ProcessServer,
  skipWithoutRedis,
  startRedis,
  tempDir,
} from '../support/servers.js';

const skip = Pty.available() ? false : 'util-linux script not installed';

interface Restartable {
  port: number;
  stop(): Promise<unknown>;
  start(): Promise<void>;
}

/** tsredis in this process, restartable on the same port. */
async function tsredisOn(port: number): Promise<Restartable> {
  let running = await startServer({ port });
  return {
    port,
    stop: () => running.stop(),
    start: async () => {
      running = await startServer({ port });
    },
  };
}

/** A real redis-server process, restartable on the same port. */
async function redisOn(port: number): Promise<Restartable> {
  let proc: ProcessServer = await startRedis(['--port', String(port)]);
  return {
    port,
    stop: () => proc.stop(),
    start: async () => {
      proc = await startRedis(['--port', String(port)]);
    },
  };
}

const SET_HELP =
  '\r\n' +
  '  \x1b[1mSET\x1b[0m \x1b[90mkey value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|' +
  'PXAT unix-time-milliseconds|KEEPTTL]\x1b[0m\r\n' +
  '  \x1b[33msummary:\x1b[0m Set the string value of a key\r\n' +
  '  \x1b[33msince:\x1b[0m 1.0.0\r\n' +
  '  \x1b[33mgroup:\x1b[0m string\r\n' +
  '\r\n';

function interactiveSuite(name: string, startOn: (port: number) => Promise<Restartable>) {
  describe(name, { skip }, () => {
    let server: Restartable;
    const home = tempDir('tsredis-cli-home-');
    const histfile = join(home, 'history');
    const cli = (args = '') => `${process.execPath} ${CLI_BIN} -p ${server.port} ${args}`;
    const env = { HOME: home, REDISCLI_HISTFILE: histfile };

    before(async () => {
      server = await startOn(await freePort());
    });
    after(() => server.stop());

    test('prompt, a command, help set, quit', async () => {
      const pty = new Pty(cli(), env);
      try {
        const prompt = `127.0.0.1:${server.port}> `;
        assert.equal(await pty.waitFor(/> $/), prompt);
        assert.equal(await pty.command('set greeting hello'), `OK\n${prompt}`);
        assert.equal(await pty.command('get greeting'), `"hello"\n${prompt}`);
        assert.equal(await pty.command('help set'), `${SET_HELP}${prompt}`);
        assert.equal(await pty.command('hgetall nokey'), `(empty array)\n${prompt}`);
        pty.type('quit');
        assert.equal(await pty.exited, 0);
      } finally {
        pty.kill();
      }
    });

    test('the prompt shows [db] after SELECT and (TX) inside MULTI', async () => {
      const pty = new Pty(cli('-n 1'), env);
      try {
        const base = `127.0.0.1:${server.port}`;
        assert.equal(await pty.waitFor(/> $/), `${base}[1]> `);
        assert.equal(await pty.command('select 2'), `OK\n${base}[2]> `);
        assert.equal(await pty.command('multi'), `OK\n${base}[2](TX)> `);
        assert.equal(await pty.command('select 3'), `QUEUED\n${base}[3](TX)> `);
        assert.equal(await pty.command('discard'), `OK\n${base}[2]> `);
        assert.equal(await pty.command('multi'), `OK\n${base}[2](TX)> `);
        assert.equal(await pty.command('ping'), `QUEUED\n${base}[2](TX)> `);
        assert.equal(await pty.command('exec'), `1) PONG\n${base}[2]> `);
        assert.equal(await pty.command('select 0'), `OK\n${base}> `);
        assert.equal(await pty.command('select 99'), `(error) ERR DB index is out of range\n${base}> `);
        assert.equal(await pty.command('3 ping'), `PONG\nPONG\nPONG\n${base}> `);
        assert.equal(
          await pty.command('0 ping'),
          `Invalid redis-cli repeat command option value.\n${base}> `,
        );
        assert.equal(await pty.command('set "open'), `Invalid argument(s)\n${base}> `);
        assert.equal(await pty.command('clear'), `\x1b[H\x1b[2J${base}> `);
        pty.type('exit');
        assert.equal(await pty.exited, 0);
      } finally {
        pty.kill();
      }
    });

    test('reconnects after the server restarts; "not connected>" while it is down', async () => {
      const pty = new Pty(cli(), env);
      const prompt = `127.0.0.1:${server.port}> `;
      try {
        await pty.waitFor(/> $/);
        assert.equal(await pty.command('select 4'), `OK\n127.0.0.1:${server.port}[4]> `);
        assert.equal(await pty.command('set k v'), `OK\n127.0.0.1:${server.port}[4]> `);
        await server.stop();
        assert.equal(await pty.command('get k'), 'Error: Server closed the connection\nnot connected> ');
        assert.equal(
          await pty.command('get k'),
          `Could not connect to Redis at 127.0.0.1:${server.port}: Connection refused\nnot connected> `,
        );
        await server.start();
        const seeded = await RawClient.connect(server.port);
        await seeded.call(['SELECT', '4']);
        await seeded.call(['SET', 'k', 'after-restart']);
        seeded.close();
        // The db chosen before the restart is selected again on the new connection.
        assert.equal(await pty.command('get k'), `"after-restart"\n127.0.0.1:${server.port}[4]> `);
        assert.equal(await pty.command('select 0'), `OK\n${prompt}`);
        pty.type('quit');
        assert.equal(await pty.exited, 0);
      } finally {
        pty.kill();
      }
    });

    test('Ctrl-C ends SUBSCRIBE output and returns to the prompt', async () => {
      const pty = new Pty(cli(), env);
      const prompt = `127.0.0.1:${server.port}> `;
      try {
        await pty.waitFor(/> $/);
        const at = pty.type('subscribe news');
        await pty.waitFor(
          /Reading messages... \(press Ctrl-C to quit\)\n1\) "subscribe"\n2\) "news"\n3\) \(integer\) 1\n$/,
          at,
        );
        const publisher = await RawClient.connect(server.port);
        await publisher.call(['PUBLISH', 'news', 'hello']);
        publisher.close();
        await pty.waitFor(/1\) "message"\n2\) "news"\n3\) "hello"\n$/, at);
        const ctrlC = pty.output.length;
        pty.sendRaw('\x03');
        const seen = await pty.waitFor(/> $/, ctrlC);
        // As with redis-cli: the terminal echoes ^C, then the duration (when >= 0.5s) and the prompt.
        assert.match(seen, new RegExp(`^\\^C(\\(\\d+\\.\\d\\ds\\)\\n)?${prompt}$`));
        // The next command reconnects quietly.
        assert.equal(await pty.command('ping'), `PONG\n${prompt}`);
        pty.type('quit');
        assert.equal(await pty.exited, 0);
      } finally {
        pty.kill();
      }
    });

    test('a slow command prints its duration; Ctrl-D (end of input) exits with 0', async () => {
      const pty = new Pty(cli(), env);
      try {
        await pty.waitFor(/> $/);
        assert.match(await pty.command('blpop nolist 0.6'), /^\(nil\)\n\(0\.[6-9]\ds\)\n127\.0\.0\.1:\d+> $/);
        pty.sendRaw('\x04');
        assert.equal(await pty.exited, 0);
      } finally {
        pty.kill();
      }
    });

    test('history is saved (not AUTH lines); the line editor recalls it and completes with Tab', async () => {
      writeFileSync(histfile, 'get previous\n');
      const pty = new Pty(cli(), env);
      try {
        await pty.waitFor(/> $/);
        await pty.command('set fromhistory 1');
        await pty.command('auth secret');
        pty.type('quit');
        await pty.exited;
      } finally {
        pty.kill();
      }
      assert.equal(readFileSync(histfile, 'latin1'), 'get previous\nset fromhistory 1\nquit\n');

      // With a capable terminal the line editor is used: Up twice recalls "set fromhistory 1".
      const editor = new Pty(cli(), { ...env, TERM: 'xterm' });
      try {
        await editor.waitFor(/> \x1b\[\d+G$/);
        const at = editor.output.length;
        editor.sendRaw('\x1b[A');
        await editor.waitFor(/quit/, at);
        editor.sendRaw('\x1b[A');
        await editor.waitFor(/set fromhistory 1/, at);
        editor.sendRaw('\r');
        await editor.waitFor(/OK\n/, at);
        // Tab completes command names and, after "help", group topics.
        const tab = editor.output.length;
        editor.sendRaw('help @stri\t');
        await editor.waitFor(/help @string/, tab);
        editor.sendRaw('\r');
        await editor.waitFor(/GETRANGE/, tab);
        editor.sendRaw('\x03');
        assert.equal(await editor.exited, 0);
      } finally {
        editor.kill();
      }
    });

    test('~/.redisclirc preferences are read like redis-cli reads them', async () => {
      writeFileSync(join(home, '.redisclirc'), ':set hints\n:set colors\n:nope\n');
      const pty = new Pty(cli(), env);
      try {
        assert.equal(
          await pty.waitFor(/> $/),
          ".redisclirc: unknown redis-cli preference 'colors'\n" +
            ".redisclirc: unknown redis-cli internal command ':nope'\n" +
            `127.0.0.1:${server.port}> `,
        );
        assert.equal(await pty.command(':set nohints'), `127.0.0.1:${server.port}> `);
        pty.type('quit');
        assert.equal(await pty.exited, 0);
      } finally {
        pty.kill();
        writeFileSync(join(home, '.redisclirc'), '');
      }
    });

    test('not connected at start: the error, then "not connected>"; help works offline', async () => {
      const port = await freePort();
      const pty = new Pty(`${process.execPath} ${CLI_BIN} -p ${port}`, env);
      try {
        assert.equal(
          await pty.waitFor(/> $/),
          `Could not connect to Redis at 127.0.0.1:${port}: Connection refused\nnot connected> `,
        );
        assert.equal(await pty.command('help set'), `${SET_HELP}not connected> `);
        pty.type('quit');
        assert.equal(await pty.exited, 0);
      } finally {
        pty.kill();
      }
    });
  });
}

interactiveSuite('interactive tsredis-cli against tsredis', tsredisOn);

describe('against redis-server', { skip: skipWithoutRedis() }, () => {
  interactiveSuite('interactive tsredis-cli against redis-server 7.0', redisOn);
});
