/**
 * A fake replica of a real redis-server: SYNC, skip the RDB payload, then collect the propagated
 * commands with the db they apply to. Writes to a marker db delimit test steps (waitMarkers).
 */
import { connect, type Socket } from 'node:net';

export interface TappedCommand {
  db: number;
  argv: string[];
}

export class ReplicationTap {
  readonly commands: TappedCommand[] = [];
  private buf = Buffer.alloc(0);
  private rdbLeft = -1;
  /** The RDB payload was consumed: the stream is being recorded. */
  synced = false;
  private db = 0;
  private onProgress: (() => void) | null = null;
  private markers = 0;

  private constructor(
    private readonly socket: Socket,
    private readonly markerDb: number,
  ) {
    socket.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.parse();
      this.onProgress?.();
    });
  }

  /**
   * SYNCs with the server and resolves once the RDB payload is consumed (a FLUSHALL during the
   * sync's BGSAVE would make Redis kill it, so callers must not write before that).
   */
  static connect(port: number, markerDb = 9): Promise<ReplicationTap> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.once('error', reject);
      socket.once('connect', () => {
        const tap = new ReplicationTap(socket, markerDb);
        socket.write('SYNC\r\n');
        tap.waitUntil(() => tap.synced).then(() => resolve(tap), reject);
      });
    });
  }

  private parse(): void {
    for (;;) {
      if (this.rdbLeft < 0) {
        while (this.buf.length > 0 && this.buf[0] === 0x0a) this.buf = this.buf.subarray(1);
        const eol = this.buf.indexOf('\r\n');
        if (eol < 0) return;
        this.rdbLeft = Number(this.buf.subarray(1, eol).toString());
        this.buf = this.buf.subarray(eol + 2);
      }
      if (!this.synced) {
        if (this.buf.length < this.rdbLeft) return;
        this.buf = this.buf.subarray(this.rdbLeft);
        this.synced = true;
      }
      const cmd = this.nextCommand();
      if (cmd === null) return;
      this.record(cmd);
    }
  }

  private nextCommand(): string[] | null {
    if (this.buf.length === 0) return null;
    let at = this.buf.indexOf('\r\n');
    if (at < 0) return null;
    const count = Number(this.buf.subarray(1, at).toString());
    let pos = at + 2;
    const argv: string[] = [];
    for (let i = 0; i < count; i++) {
      at = this.buf.indexOf('\r\n', pos);
      if (at < 0) return null;
      const len = Number(this.buf.subarray(pos + 1, at).toString());
      if (this.buf.length < at + 2 + len + 2) return null;
      argv.push(this.buf.subarray(at + 2, at + 2 + len).toString('latin1'));
      pos = at + 2 + len + 2;
    }
    this.buf = this.buf.subarray(pos);
    return argv;
  }

  private record(argv: string[]): void {
    const name = argv[0].toUpperCase();
    if (name === 'SELECT') this.db = Number(argv[1]);
    else if (name === 'PING') return;
    else if (this.db === this.markerDb) this.markers++;
    else this.commands.push({ db: this.db, argv });
  }

  /** Resolves once n markers (writes to the marker db) have been seen. */
  waitMarkers(n: number): Promise<void> {
    return this.waitUntil(() => this.markers >= n);
  }

  /** Resolves once a command on this key was seen. */
  waitForKey(key: string): Promise<void> {
    return this.waitUntil(() => this.commands.some((c) => c.argv[1] === key));
  }

  /** Commands of one db, as argument vectors. */
  argvs(db = 0): string[][] {
    return this.commands.filter((c) => c.db === db).map((c) => c.argv);
  }

  private waitUntil(done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('replication stream timed out')), 10_000);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.onProgress = null;
        resolve();
      };
      this.onProgress = check;
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
