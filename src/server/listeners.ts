/**
 * The server's listening sockets (listenToPort, changeListenPort, changeBindAddr): every `bind`
 * address at `port` and at `tls-port` ('-' marks an address that may be unavailable), the Unix
 * socket, re-listening when CONFIG SET changes port, tls-port or bind, and new TLS contexts when
 * it changes a tls-* directive.
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import type { LogLevel } from '../core/context.js';
import { strerror } from '../lib/errno.js';
import { serverTlsOptions, TlsSettingsError } from '../lib/tls-settings.js';
import type { Config } from './config.js';

export class ListenError extends Error {}

export class Listeners {
  /** TCP port actually listened on (0: none). */
  port = 0;
  private readonly listeners: NetServer[] = [];
  /** The TCP subset of listeners (CONFIG SET port/bind replaces them). */
  private readonly tcpListeners: NetServer[] = [];
  /** TLS port actually listened on (0: none). */
  tlsPort = 0;
  private readonly tlsListeners: TlsServer[] = [];

  constructor(
    private readonly config: Config,
    private readonly log: (level: LogLevel, message: string) => void,
    private readonly onConnection: (socket: Socket, unix: boolean) => void,
  ) {}

  get count(): number {
    return this.listeners.length;
  }

  /** Listens on the configured port (or one the OS picks) and Unix socket; rejects on failure. */
  async open(ephemeralPort: boolean): Promise<void> {
    const port = ephemeralPort ? 0 : this.config.num('port');
    if (port !== 0 || ephemeralPort) {
      if (!(await this.listenTcp(port))) {
        throw new ListenError(`Failed listening on port ${port} (TCP), aborting.`);
      }
      if (ephemeralPort) this.config.setFromText('port', [String(this.port)]);
    }
    const tlsPort = this.config.num('tls-port');
    if (tlsPort !== 0 || this.config.bool('tls-replication')) this.configureTls();
    if (tlsPort !== 0 && !(await this.listenTls(tlsPort))) {
      this.closeAll();
      throw new ListenError(`Failed listening on port ${tlsPort} (tls), aborting.`);
    }
    const unixsocket = this.config.str('unixsocket');
    if (unixsocket !== '') {
      try {
        unlinkSync(unixsocket);
      } catch {
        // No stale socket file.
      }
      try {
        await this.listen({ path: unixsocket });
        const perm = this.config.num('unixsocketperm');
        if (perm !== 0) chmodSync(unixsocket, perm);
      } catch (e) {
        this.log('warning', `Failed opening Unix socket: ${describeListenError(e)}`);
        this.closeAll();
        throw new ListenError('');
      }
    }
  }

  /** tlsConfigure: the context is built from the files now; a bad one stops the start. */
  private configureTls(): void {
    try {
      serverTlsOptions(this.config);
    } catch (e) {
      if (!(e instanceof TlsSettingsError)) throw e;
      this.log('warning', e.message);
      throw new ListenError('Failed to configure TLS. Check logs for more info.');
    }
  }

  /**
   * CONFIG SET of a tls-* file or option: the listeners take a context built anew (a renewed
   * certificate at the same path included). Returns Redis's error, or null.
   */
  reloadTls(): string | null {
    let options: ReturnType<typeof serverTlsOptions>;
    try {
      options = serverTlsOptions(this.config);
    } catch (e) {
      if (!(e instanceof TlsSettingsError)) throw e;
      this.log('warning', e.message);
      return 'Unable to update TLS configuration. Check server logs.';
    }
    for (const l of this.tlsListeners) {
      l.setSecureContext(options);
      (l as unknown as { requestCert: boolean }).requestCert = options.requestCert ?? false;
      (l as unknown as { rejectUnauthorized: boolean }).rejectUnauthorized =
        options.rejectUnauthorized ?? true;
    }
    return null;
  }

  private listenTlsOn(host: string, port: number): Promise<TlsServer> {
    return new Promise((resolve, reject) => {
      const options = serverTlsOptions(this.config);
      const listener = createTlsServer(options, (socket: TLSSocket) => {
        // tls-auth-clients optional: no certificate is fine, a certificate that does not verify is not.
        const l = listener as unknown as { rejectUnauthorized: boolean; requestCert: boolean };
        if (l.requestCert && !socket.authorized && socket.getPeerCertificate()?.raw !== undefined) {
          socket.destroy();
          return;
        }
        socket.setNoDelay(true);
        this.onConnection(socket, false);
      });
      listener.on('tlsClientError', (e) =>
        this.log('verbose', `Error accepting a client connection: ${e.message}`),
      );
      listener.once('error', reject);
      const backlog = this.config.num('tcp-backlog');
      listener.listen({ host, port, backlog, exclusive: true, ipv6Only: host.includes(':') }, () => {
        listener.removeListener('error', reject);
        listener.on('error', (e) => this.log('warning', `Accepting client connection: ${e.message}`));
        this.listeners.push(listener);
        resolve(listener);
      });
    });
  }

  private listen(options: {
    host?: string;
    port?: number;
    ipv6Only?: boolean;
    path?: string;
  }): Promise<NetServer> {
    return new Promise((resolve, reject) => {
      const listener = createServer({ noDelay: true }, (socket) =>
        this.onConnection(socket, options.path !== undefined),
      );
      listener.once('error', reject);
      const backlog = this.config.num('tcp-backlog');
      listener.listen({ ...options, backlog, exclusive: true }, () => {
        listener.removeListener('error', reject);
        listener.on('error', (e) => this.log('warning', `Accepting client connection: ${e.message}`));
        this.listeners.push(listener);
        resolve(listener);
      });
    });
  }

  /** Closes every listener; resolves once each has closed (after its connections are gone). */
  async closeAll(): Promise<void> {
    const closing = this.listeners.map((l) => new Promise<void>((r) => l.close(() => r())));
    this.listeners.length = 0;
    this.tcpListeners.length = 0;
    this.tlsListeners.length = 0;
    await Promise.all(closing);
  }

  /**
   * Listens on every `bind` address at `port` (0 with ephemeralPort: one the OS picks), like
   * listenToPort (for the TLS port too, with tls): addresses with a leading '-' may be unavailable.
   * On failure logs Redis's line, closes what it opened and returns false.
   */
  private async listenTcp(port: number, tls = false): Promise<boolean> {
    let chosen = port;
    const opened: NetServer[] = [];
    for (const spec of this.config.get('bind') as string[]) {
      const optional = spec.startsWith('-');
      const addr = optional ? spec.slice(1) : spec;
      const host = addr === '*' ? '0.0.0.0' : addr === '::*' ? '::' : addr;
      try {
        const listener = tls
          ? await this.listenTlsOn(host, chosen)
          : await this.listen({ host, port: chosen, ipv6Only: host.includes(':') });
        opened.push(listener);
        const bound = listener.address();
        if (typeof bound === 'object' && bound !== null) chosen = bound.port;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (optional && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'EPROTONOSUPPORT')) {
          continue;
        }
        this.log(
          'warning',
          `Warning: Could not create server TCP listening socket ${addr}:${chosen}: ${describeListenError(e)}`,
        );
        this.closeGroup(opened);
        return false;
      }
    }
    // bind "" leaves nothing to listen on.
    if (tls) {
      this.tlsListeners.push(...(opened as TlsServer[]));
      this.tlsPort = opened.length > 0 ? chosen : 0;
    } else {
      this.tcpListeners.push(...opened);
      this.port = opened.length > 0 ? chosen : 0;
    }
    return true;
  }

  private listenTls(port: number): Promise<boolean> {
    return this.listenTcp(port, true);
  }

  /** CONFIG SET tls-port: the TLS listeners closed, and opened again on the new port. */
  async rebindTls(): Promise<string | null> {
    this.closeGroup(this.tlsListeners);
    this.tlsPort = 0;
    const port = this.config.num('tls-port');
    if (port === 0) return null;
    try {
      serverTlsOptions(this.config);
    } catch (e) {
      if (!(e instanceof TlsSettingsError)) throw e;
      this.log('warning', e.message);
      return 'Unable to update TLS configuration. Check server logs.';
    }
    if (await this.listenTls(port)) return null;
    return 'Unable to listen on this port. Check server logs.';
  }

  /** CONFIG SET port / bind: closes the TCP listeners and listens again with the new values. */
  /** Closes a group of listeners (TCP, TLS, or those a failed listen opened) and empties it. */
  private closeGroup(group: NetServer[]): void {
    for (const l of group) {
      l.close();
      this.listeners.splice(this.listeners.indexOf(l), 1);
    }
    group.length = 0;
  }

  async rebindTcp(): Promise<string | null> {
    this.closeGroup(this.tcpListeners);
    this.port = 0;
    const port = this.config.num('port');
    if (port === 0) return null;
    if (await this.listenTcp(port)) return null;
    return 'Unable to listen on this port. Check server logs.';
  }
}

function describeListenError(e: unknown): string {
  // anet's "bind: <strerror>", as Redis logs it.
  const code = (e as NodeJS.ErrnoException).code;
  return code !== undefined && /^E[A-Z]+$/.test(code) ? `bind: ${strerror(e)}` : (e as Error).message;
}
