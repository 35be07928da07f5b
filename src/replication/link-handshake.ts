/**
 * A replica link's handshake with its master (Redis's syncWithMaster): PING, AUTH, REPLCONF
 * listening-port / ip-address / capa, then PSYNC. Commands and replies go over the shared RESP
 * connection; the PSYNC answer is a bare line (keep-alive newlines may precede it), after which
 * the bytes belong to the transfer or the stream.
 */
import type { Socket } from 'node:net';
import type { ConfigView } from '../core/context.js';
import { RespConnection } from '../protocol/resp-connection.js';
import type { RespValue } from '../protocol/resp-reader.js';

/** What the handshake needs from the link that runs it. */
export interface HandshakeOwner {
  readonly config: ConfigView;
  /** Our own port, announced unless replica-announce-port is set. */
  readonly ownPort: number;
  log(level: 'notice' | 'warning', message: string): void;
  /** The handshake failed: the message is logged, `reason` becomes the link's last error. */
  failed(message: string | null, reason: string): void;
  /** The PSYNC command to send (partial or full, failover or not), with its log line. */
  psyncCommand(): string[];
  /** The PSYNC reply line and the bytes after it. */
  psyncReplied(line: string, rest: Buffer): void;
}

const AUTH_LIKE = /^(NOAUTH|NOPERM|ERR operation not permitted)/;

export class LinkHandshake {
  private readonly conn: RespConnection;
  private readonly expecting: Array<(reply: RespValue) => void> = [];
  private psyncPending = false;
  private partialLine = '';
  private done = false;

  constructor(
    socket: Socket,
    private readonly owner: HandshakeOwner,
  ) {
    // The link reads the socket into its own buffer, so bytes come through feed().
    this.conn = new RespConnection(socket, { manualFeed: true });
    this.conn.onReply = (reply) => {
      const onReply = this.expecting.shift();
      if (!this.done) onReply?.(reply.value);
    };
  }

  start(): void {
    this.send(['PING'], (r) => {
      if (r.type === 'error' && !AUTH_LIKE.test(r.value)) {
        const denied = r.value.startsWith('DENIED');
        const reason = denied
          ? "the master refuses this host: it runs in protected mode without a password. On the master set 'requirepass' (and 'masterauth' here) or 'protected-mode no'"
          : `the master replied to PING with: ${r.value}`;
        if (denied) this.owner.log('warning', `Explanation: ${reason}.`);
        this.fail(`Error reply to PING from master: '-${r.value}'`, reason);
        return;
      }
      this.owner.log('notice', 'Master replied to PING, replication can continue...');
      this.sendReplconf();
    });
  }

  /** Bytes from the master while the handshake runs. */
  feed(data: Buffer): void {
    if (this.done) return;
    if (!this.psyncPending) {
      this.conn.feed(data);
      return;
    }
    // The PSYNC reply is a line; newlines may come first while the master prepares.
    let i = 0;
    while (i < data.length && data[i] === 0x0a) i++;
    const combined = this.partialLine + data.latin1Slice(i);
    const nl = combined.indexOf('\r\n');
    if (nl < 0) {
      this.partialLine = combined;
      return;
    }
    this.done = true;
    this.owner.psyncReplied(combined.slice(0, nl), Buffer.from(combined.slice(nl + 2), 'latin1'));
  }

  private send(argv: string[], onReply: (reply: RespValue) => void): void {
    this.conn.send(argv);
    this.expecting.push(onReply);
  }

  private fail(message: string, reason: string): void {
    this.done = true;
    this.owner.failed(message, reason);
  }

  private sendReplconf(): void {
    const config = this.owner.config;
    const masterauth = config.str('masterauth');
    if (masterauth !== '') {
      const user = config.str('masteruser');
      this.send(user !== '' ? ['AUTH', user, masterauth] : ['AUTH', masterauth], (r) => {
        if (r.type === 'error')
          this.fail(
            `Unable to AUTH to MASTER: -${r.value}`,
            `the master refused our credentials (check 'masterauth'/'masteruser' here against the master's 'requirepass'): ${r.value}`,
          );
      });
    }
    const nonCritical = (what: string) => (r: RespValue) => {
      if (r.type === 'error')
        this.owner.log('notice', `(Non critical) Master does not understand REPLCONF ${what}: -${r.value}`);
    };
    const announcedPort = config.num('replica-announce-port') || this.owner.ownPort;
    this.send(['REPLCONF', 'listening-port', String(announcedPort)], nonCritical('listening-port'));
    const ip = config.str('replica-announce-ip');
    if (ip !== '') this.send(['REPLCONF', 'ip-address', ip], nonCritical('ip-address'));
    this.send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2'], (r) => {
      nonCritical('capa')(r);
      if (this.done) return;
      this.conn.send(this.owner.psyncCommand());
      // Whatever follows the last handshake reply belongs to the PSYNC answer.
      this.psyncPending = true;
      const rest = this.conn.takeRemaining();
      if (rest.length > 0) this.feed(rest);
    });
  }
}
