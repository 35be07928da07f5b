/**
 * The state redis-cli keeps around one server connection (selected db, MULTI, reconnects) and its
 * command path: issueCommandRepeat -> cliSendCommand -> cliReadReply, with the same messages.
 */
import { isIPv6 } from 'node:net';
import type { RespValue } from '../protocol/resp-reader.js';
import { ConnectError, RedisConnection, type Target } from './connection.js';
import { formatReply } from './format.js';
import { bundledEntries, entriesFromDocs, type HelpEntry, helpText, sortEntries } from './help.js';
import type { CliOptions } from './options.js';
import { CliExit, cString, writeErr, writeOut } from './output.js';
import { tlsOptions } from './tls.js';

/** Commands whose reply redis-cli prints raw even on a tty (they return preformatted text). */
function wantsRawOutput(argv: string[]): boolean {
  const cmd = argv[0].toLowerCase();
  const sub = argv.length >= 2 ? argv[1].toLowerCase() : '';
  const n = argv.length;
  return (
    cmd === 'info' ||
    cmd === 'lolwut' ||
    (n >= 2 && cmd === 'debug' && (sub === 'htstats' || sub === 'htstats-key')) ||
    (n >= 2 && cmd === 'memory' && (sub === 'malloc-stats' || sub === 'doctor')) ||
    (n === 2 && cmd === 'cluster' && (sub === 'nodes' || sub === 'info')) ||
    (n >= 2 && cmd === 'client' && (sub === 'list' || sub === 'info')) ||
    (n === 3 && cmd === 'latency' && sub === 'graph') ||
    (n === 2 && cmd === 'latency' && sub === 'doctor') ||
    (n >= 2 && cmd === 'proxy' && sub === 'info')
  );
}

/** Errors after which an interactive session just drops the link (and reconnects on the next command). */
const LINK_LOST = new Set(['Server closed the connection', 'Connection reset by peer', 'Broken pipe']);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Session {
  conn: RedisConnection | null = null;
  /** The db the connection is on (shown in the prompt). */
  dbnum = 0;
  /** The db wanted (-n, -u, or the last successful SELECT); selected again after a reconnect. */
  inputDbnum: number;
  inMulti = false;
  private preMultiDbnum = 0;
  interactive = false;
  private shutdown = false;
  /** MONITOR or SUBSCRIBE output in progress: Ctrl-C ends it instead of exiting. */
  private blocking: 'monitor' | 'pubsub' | null = null;
  private blockingAborted = false;
  /** The link was closed by Ctrl-C: the prompt stays, the next command reconnects quietly. */
  private linkAborted = false;
  private lastReplyType: RespValue['type'] | null = null;
  private helpEntries: HelpEntry[] | undefined;

  constructor(readonly o: CliOptions) {
    this.inputDbnum = o.dbnum;
  }

  /** "host:port" as redis-cli prints it (IPv6 in brackets), or the socket path. */
  address(): string {
    if (this.o.socket !== undefined) return this.o.socket;
    return isIPv6(this.o.host) ? `[${this.o.host}]:${this.o.port}` : `${this.o.host}:${this.o.port}`;
  }

  prompt(): string {
    if (this.conn === null) return 'not connected> ';
    let p = this.o.socket !== undefined ? `redis ${this.o.socket}` : this.address();
    if (this.dbnum !== 0) p += `[${this.dbnum}]`;
    if (this.inMulti) p += '(TX)';
    return `${p}> `;
  }

  private target(): Target {
    if (this.o.socket !== undefined) return { path: this.o.socket };
    return {
      host: this.o.host,
      port: this.o.port,
      ...(this.o.tls !== null ? { tls: tlsOptions(this.o.tls) } : {}),
    };
  }

  /**
   * cliConnect: opens the link, then AUTH, SELECT and HELLO 3 as configured. A failed AUTH/SELECT/
   * HELLO is reported and returns false but keeps the link (the command then gets the server's error).
   */
  async connect(force: boolean, quiet: boolean): Promise<boolean> {
    if (this.conn !== null && !force) return true;
    if (this.conn !== null) this.conn.close();
    this.conn = null;
    this.linkAborted = false;
    // A new link starts on db 0 outside MULTI; SELECT below restores the wanted db.
    this.dbnum = 0;
    this.inMulti = false;
    try {
      this.conn = await RedisConnection.open(this.target());
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      if (!quiet) writeErr(`Could not connect to Redis at ${this.connectLabel()}: ${err.message}\n`);
      return false;
    }
    if (this.o.pushOutput) this.conn.pushHandling = (push) => this.printPush(push);
    return (await this.authenticate()) && (await this.selectDb()) && (await this.switchProtocol());
  }

  private connectLabel(): string {
    return this.o.socket !== undefined ? this.o.socket : `${this.o.host}:${this.o.port}`;
  }

  private async setupCall(args: string[], onError: (msg: string) => string): Promise<RespValue | null> {
    const r = await this.conn!.call(args);
    if (!r.ok) {
      writeErr('\nI/O error\n');
      return null;
    }
    if (r.value.type === 'error') {
      writeErr(onError(cString(r.value.value)));
      return null;
    }
    return r.value;
  }

  private async authenticate(): Promise<boolean> {
    if (this.o.auth === undefined) return true;
    const args = this.o.user === undefined ? ['AUTH', this.o.auth] : ['AUTH', this.o.user, this.o.auth];
    return (await this.setupCall(args, (m) => `AUTH failed: ${m}\n`)) !== null;
  }

  /** cliSelect: SELECT the wanted db unless the link is already on it. */
  private async selectDb(): Promise<boolean> {
    if (this.inputDbnum === this.dbnum) return true;
    const db = this.inputDbnum;
    const ok = (await this.setupCall(['SELECT', String(db)], (m) => `SELECT ${db} failed: ${m}\n`)) !== null;
    if (ok) this.dbnum = db;
    return ok;
  }

  private async switchProtocol(): Promise<boolean> {
    if (!this.o.resp3 || this.o.resp2) return true;
    return (await this.setupCall(['HELLO', '3'], (m) => `HELLO 3 failed: ${m}\n`)) !== null;
  }

  private printPush(push: RespValue): void {
    writeOut(
      this.o.output === 'standard' && isInvalidate(push)
        ? formatInvalidate(push)
        : formatReply(push, this.o.output, false, this.o),
    );
  }

  /** issueCommandRepeat: `help` locally, otherwise (re)connect if needed and send. */
  async issueCommand(argv: string[], repeat: number): Promise<boolean> {
    const cmd = argv[0].toLowerCase();
    if (cmd === 'help' || cmd === '?') {
      writeOut(helpText(argv.slice(1), await this.help()));
      return true;
    }
    if ((this.conn === null || this.linkAborted) && !(await this.connect(true, false))) return false;
    if (!(await this.sendCommand(argv, repeat))) {
      if (this.conn !== null) writeErr(`Error: ${this.conn.error ?? ''}\n`);
      this.conn?.close();
      this.conn = null;
      return false;
    }
    return true;
  }

  /**
   * Help entries, decided once like redis-cli: the server's COMMAND DOCS when it answers, else the
   * Redis 7.0.15 docs bundled with tsredis (redis-cli's built-in help.h).
   */
  private async help(): Promise<HelpEntry[]> {
    if (this.helpEntries !== undefined) return this.helpEntries;
    let entries: Map<string, HelpEntry> | undefined;
    // Not inside MULTI: the server would queue COMMAND DOCS into the user's transaction.
    if (this.conn !== null && this.conn.error === null && !this.inMulti) {
      const r = await this.conn.call(['COMMAND', 'DOCS']);
      if (r.ok && (r.value.type === 'array' || r.value.type === 'map')) entries = entriesFromDocs(r.value);
    }
    this.helpEntries = sortEntries(entries ?? (await bundledEntries()));
    return this.helpEntries;
  }

  /** Command names and "@group" topics, for tab completion. */
  async helpNames(): Promise<string[]> {
    const entries = await this.help();
    const groups = new Set(entries.map((e) => `@${e.group}`));
    return [...groups, ...entries.map((e) => e.full)];
  }

  /** cliSendCommand: sends argv `repeat` times (forever when negative) and prints each reply. */
  private async sendCommand(argv: string[], repeat: number): Promise<boolean> {
    const cmd = argv[0].toLowerCase();
    const outputRaw = wantsRawOutput(argv);
    this.shutdown = cmd === 'shutdown';
    if (cmd === 'monitor') this.blocking = 'monitor';
    if (cmd === 'subscribe' || cmd === 'psubscribe' || cmd === 'ssubscribe') this.blocking = 'pubsub';
    while (repeat < 0 || repeat-- > 0) {
      if (this.conn === null) return true; // SHUTDOWN closed it
      this.conn.send(argv);
      if (this.blocking !== null) return this.readBlockingOutput(outputRaw);
      if (!(await this.readReply(outputRaw))) return false;
      await this.afterReply(argv);
      if (this.o.intervalMs > 0) await sleep(this.o.intervalMs);
    }
    return true;
  }

  /** MONITOR and SUBSCRIBE: print everything the server sends until Ctrl-C (or an error reply). */
  private async readBlockingOutput(outputRaw: boolean): Promise<boolean> {
    const conn = this.conn!;
    if (this.blocking === 'pubsub') {
      if (this.o.output !== 'raw') writeOut('Reading messages... (press Ctrl-C to quit)\n');
      // Subscription messages are RESP3 pushes: print them as replies.
      conn.pushHandling = 'return';
    }
    try {
      for (;;) {
        if (!(await this.readReply(outputRaw))) {
          if (!this.blockingAborted) throw new CliExit(1, '', `Error: ${conn.error}\n`);
          // Ctrl-C closed the link: back to the prompt, the next command reconnects.
          this.linkAborted = true;
          return true;
        }
        if (this.blocking === 'pubsub' && this.lastReplyType === 'error') return true;
      }
    } finally {
      this.blocking = null;
      this.blockingAborted = false;
      if (this.o.pushOutput) conn.pushHandling = (push) => this.printPush(push);
      else conn.pushHandling = 'drop';
    }
  }

  /** Ctrl-C during MONITOR/SUBSCRIBE: stop reading. Returns false when nothing was blocking. */
  abortBlocking(): boolean {
    if (this.blocking === null || this.conn === null) return false;
    this.blockingAborted = true;
    this.conn.close();
    return true;
  }

  /** cliReadReply: reads one reply and prints it. False when the link was lost (interactive). */
  private async readReply(outputRaw: boolean): Promise<boolean> {
    const r = await this.conn!.read();
    if (!r.ok) {
      if (this.shutdown || this.blockingAborted) {
        if (this.shutdown) this.conn = null;
        return this.shutdown;
      }
      if (this.interactive && LINK_LOST.has(r.error)) return false;
      throw new CliExit(1, '', `Error: ${r.error}\n`);
    }
    const reply = r.value;
    this.lastReplyType = reply.type;
    if (!this.interactive && this.o.setErrcode && reply.type === 'error') {
      throw new CliExit(1, '', `${cString(reply.value)}\n`);
    }
    writeOut(formatReply(reply, this.o.output, outputRaw, this.o));
    return true;
  }

  /** Tracks SELECT, AUTH and MULTI/EXEC/DISCARD the way redis-cli does, for the prompt. */
  private async afterReply(argv: string[]): Promise<void> {
    const cmd = argv[0].toLowerCase();
    const failed = this.lastReplyType === 'error';
    if (cmd === 'select' && argv.length === 2 && !failed) {
      this.dbnum = this.inputDbnum = atoiDb(argv[1]);
    } else if (cmd === 'auth' && (argv.length === 2 || argv.length === 3)) {
      await this.selectDb();
    } else if (cmd === 'multi' && argv.length === 1 && !failed) {
      this.inMulti = true;
      this.preMultiDbnum = this.dbnum;
    } else if (cmd === 'exec' && argv.length === 1 && this.inMulti) {
      this.inMulti = false;
      // An aborted transaction did not switch db.
      if (failed || this.lastReplyType === 'null') this.dbnum = this.inputDbnum = this.preMultiDbnum;
    } else if (cmd === 'discard' && argv.length === 1 && !failed) {
      this.inMulti = false;
      this.dbnum = this.inputDbnum = this.preMultiDbnum;
    }
  }

  close(): void {
    this.conn?.close();
    this.conn = null;
  }
}

function atoiDb(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number(m[1]);
}

function isInvalidate(r: RespValue): boolean {
  return (
    r.type === 'push' &&
    r.value.length === 2 &&
    r.value[0].type === 'bulk' &&
    r.value[0].value.latin1Slice(0, 10) === 'invalidate' &&
    r.value[1].type === 'array'
  );
}

/** RESP3 client-tracking invalidations on a tty: "-> invalidate: 'k1', 'k2'". */
function formatInvalidate(r: RespValue): string {
  const keys = (r as { value: RespValue[] }).value[1] as { value: RespValue[] };
  const names = keys.value.map(
    (k) => `'${k.type === 'bulk' ? cString(k.value.latin1Slice(0, k.value.length)) : ''}'`,
  );
  return `-> invalidate: ${names.join(', ')}\n`;
}
