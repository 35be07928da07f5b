/**
 * Redis's tls-* directives as Node `tls` options (tlsConfigure): the server's context for the
 * TLS port, and the client side a replica uses to reach its master. Files are read when the
 * context is built (at start-up and whenever CONFIG SET changes one), so a renewed certificate
 * is picked up by `CONFIG SET tls-cert-file <same path>`.
 */

import { constants } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions, SecureVersion, TlsOptions } from 'node:tls';

/** The directives, as the configuration holds them ('' or null: unset). */
export interface TlsDirectives {
  str(name: string): string;
  bool(name: string): boolean;
  num(name: string): number;
}

export class TlsSettingsError extends Error {}

const PROTOCOLS: Record<string, SecureVersion> = {
  tlsv1: 'TLSv1',
  'tlsv1.1': 'TLSv1.1',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
};
const ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
/** OpenSSL's TLS 1.3 suites, kept when only tls-ciphers (TLS 1.2 and below) is set. */
const DEFAULT_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new TlsSettingsError(`Failed to load ${what} from ${path}: ${(e as Error).message}`);
  }
}

/** tls-protocols: the lowest and highest listed (default TLSv1.2 and TLSv1.3, as Redis). */
function versions(d: TlsDirectives): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  const listed = (d.str('tls-protocols') ?? '').split(/\s+/).filter((p) => p !== '');
  if (listed.length === 0) return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  const chosen: SecureVersion[] = [];
  for (const p of listed) {
    const v = PROTOCOLS[p.toLowerCase()];
    if (v === undefined) {
      throw new TlsSettingsError(
        "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.",
      );
    }
    chosen.push(v);
  }
  chosen.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  return { minVersion: chosen[0], maxVersion: chosen[chosen.length - 1] };
}

/** tls-ca-cert-file and every certificate file of tls-ca-cert-dir. */
function authorities(d: TlsDirectives): Buffer[] | undefined {
  const out: Buffer[] = [];
  const file = d.str('tls-ca-cert-file') ?? '';
  if (file !== '') out.push(read(file, 'CA certificate(s)'));
  const dir = d.str('tls-ca-cert-dir') ?? '';
  if (dir !== '') {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      throw new TlsSettingsError(
        `Failed to configure CA certificate(s) file/directory: ${(e as Error).message}`,
      );
    }
    for (const n of names.sort()) {
      const p = join(dir, n);
      if (statSync(p, { throwIfNoEntry: false })?.isFile()) out.push(read(p, 'CA certificate(s)'));
    }
  }
  return out.length > 0 ? out : undefined;
}

function ciphers(d: TlsDirectives): string | undefined {
  const list = d.str('tls-ciphers') ?? '';
  const suites = d.str('tls-ciphersuites') ?? '';
  if (list === '' && suites === '') return undefined;
  return [suites === '' ? DEFAULT_SUITES : suites, list].filter((s) => s !== '').join(':');
}

function certAndKey(d: TlsDirectives, certName: string, keyName: string, passName: string) {
  const cert = d.str(certName) ?? '';
  const key = d.str(keyName) ?? '';
  const pass = d.str(passName) ?? '';
  return {
    cert: read(cert, 'certificate'),
    key: read(key, 'private key'),
    ...(pass !== '' ? { passphrase: pass } : {}),
  };
}

/** The TLS port's options; tls-auth-clients decides whether a client certificate is asked for. */
export function serverTlsOptions(d: TlsDirectives): TlsOptions {
  if ((d.str('tls-cert-file') ?? '') === '') throw new TlsSettingsError('No tls-cert-file configured!');
  if ((d.str('tls-key-file') ?? '') === '') throw new TlsSettingsError('No tls-key-file configured!');
  const auth = d.str('tls-auth-clients');
  const dh = d.str('tls-dh-params-file') ?? '';
  const caching = d.bool('tls-session-caching');
  const options: TlsOptions = {
    ...certAndKey(d, 'tls-cert-file', 'tls-key-file', 'tls-key-file-pass'),
    ...versions(d),
    ca: authorities(d),
    ciphers: ciphers(d),
    honorCipherOrder: d.bool('tls-prefer-server-ciphers'),
    requestCert: auth !== 'no',
    // "optional" still refuses a certificate that does not verify (checked once connected).
    rejectUnauthorized: auth === 'yes',
    sessionTimeout: caching ? d.num('tls-session-cache-timeout') : 0,
    ...(caching ? {} : { secureOptions: constants.SSL_OP_NO_TICKET }),
    ...(dh !== '' ? { dhparam: read(dh, 'DH params') } : {}),
  };
  if (options.requestCert && options.ca === undefined) {
    throw new TlsSettingsError(
      'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-auth-clients is enabled!',
    );
  }
  return options;
}

/** A replica's connection to its master: tls-client-cert-file (or tls-cert-file) as its certificate. */
export function clientTlsOptions(d: TlsDirectives): ConnectionOptions {
  const own = (d.str('tls-client-cert-file') ?? '') !== '';
  const pair =
    own || (d.str('tls-cert-file') ?? '') !== ''
      ? own
        ? certAndKey(d, 'tls-client-cert-file', 'tls-client-key-file', 'tls-client-key-file-pass')
        : certAndKey(d, 'tls-cert-file', 'tls-key-file', 'tls-key-file-pass')
      : {};
  return {
    ...pair,
    ...versions(d),
    ca: authorities(d),
    ciphers: ciphers(d),
    // Redis verifies the master's chain against its CAs, not the host name it dialled.
    rejectUnauthorized: true,
    checkServerIdentity: () => undefined,
  };
}
