/**
 * Whether a new connection is served, and the addresses a client is shown with: maxclients and
 * protected mode refuse a connection with Redis's error before it becomes a client.
 */
import type { Socket } from 'node:net';
import type { Config } from './config.js';

export const PROTECTED_MODE_MESSAGE =
  "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";

/** The error a connection is refused with, or null when it is served. */
export function admissionRefusal(
  config: Config,
  clientCount: number,
  socket: Socket,
  unix: boolean,
): string | null {
  if (clientCount >= config.num('maxclients')) return '-ERR max number of clients reached\r\n';
  if (
    !unix &&
    config.bool('protected-mode') &&
    config.acl.defaultUser.nopass &&
    !isLoopback(socket.remoteAddress)
  )
    return `-${PROTECTED_MODE_MESSAGE}\r\n`;
  return null;
}

/** `ip:port` of both ends as CLIENT LIST shows them (a Unix socket's path with port 0). */
export function connectionAddresses(
  config: Config,
  socket: Socket,
  unix: boolean,
): { remote: string; local: string } {
  if (unix) {
    const path = `${config.str('unixsocket')}:0`;
    return { remote: path, local: path };
  }
  return {
    remote: formatAddr(socket.remoteAddress, socket.remotePort),
    local: formatAddr(socket.localAddress, socket.localPort),
  };
}

function formatAddr(ip: string | undefined, port: number | undefined): string {
  let host = ip ?? '?';
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice(7);
  return `${host}:${port ?? 0}`;
}

function isLoopback(ip: string | undefined): boolean {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
}
