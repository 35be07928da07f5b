/** redis-cli's TLS options as Node's: the CAs to trust, our certificate, SNI, --insecure. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { CliTls } from './options.js';

function caFiles(t: CliTls): Buffer[] | undefined {
  const out: Buffer[] = [];
  if (t.cacert !== undefined) out.push(readFileSync(t.cacert));
  if (t.cacertdir !== undefined) {
    for (const n of readdirSync(t.cacertdir).sort()) {
      const p = join(t.cacertdir, n);
      if (statSync(p).isFile()) out.push(readFileSync(p));
    }
  }
  // No CA given: the system's, as OpenSSL's default paths would be.
  return out.length > 0 ? out : undefined;
}

export function tlsOptions(t: CliTls): ConnectionOptions {
  return {
    ca: caFiles(t),
    ...(t.cert !== undefined ? { cert: readFileSync(t.cert) } : {}),
    ...(t.key !== undefined ? { key: readFileSync(t.key) } : {}),
    ...(t.sni !== undefined ? { servername: t.sni } : {}),
    ...(t.ciphers !== undefined || t.ciphersuites !== undefined
      ? { ciphers: [t.ciphersuites, t.ciphers].filter((c) => c !== undefined).join(':') }
      : {}),
    rejectUnauthorized: !t.insecure,
    // hiredis checks the chain, not the host name.
    checkServerIdentity: () => undefined,
  };
}
