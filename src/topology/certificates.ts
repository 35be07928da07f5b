/**
 * A private CA and certificates signed by it, for TLS between the nodes of a topology and their
 * clients (and for the tests). Keys come from Node's crypto; the X.509 structures from node-forge.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface KeyPairPem {
  cert: string;
  key: string;
}

export interface CertificateOptions {
  commonName: string;
  /** Host names and IP addresses the certificate is valid for (subjectAltName). */
  altNames?: string[];
  /** Days from now (default about two years). */
  days?: number;
}

function rsaKeys(): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  pem: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    privateKey: forge.pki.privateKeyFromPem(pem),
    publicKey: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
    pem,
  };
}

function baseCertificate(
  publicKey: forge.pki.PublicKey,
  commonName: string,
  days: number,
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the top bit clear.
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now + days * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  return cert;
}

/** A self-signed certificate authority. */
export function createCa(commonName = 'tsredis CA', days = 3650): KeyPairPem {
  const keys = rsaKeys();
  const cert = baseCertificate(keys.publicKey, commonName, days);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

/** A certificate signed by ca, good for both ends of a connection (server and client auth). */
export function createCertificate(ca: KeyPairPem, options: CertificateOptions): KeyPairPem {
  const keys = rsaKeys();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const cert = baseCertificate(keys.publicKey, options.commonName, options.days ?? 730);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = (options.altNames ?? []).map((n) =>
    isIP(n) ? { type: 7, ip: n } : { type: 2, value: n },
  );
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.key), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}
