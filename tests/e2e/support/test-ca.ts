/**
 * Certificates for the TLS tests, made with the `openssl` command line (node:crypto cannot issue
 * X.509 certificates): a self-signed CA, and server certificates it signs for 127.0.0.1/localhost.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestCa {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ServerCert {
  readonly certFile: string;
  readonly keyFile: string;
  /**
   * base64 sha256 of the certificate's SubjectPublicKeyInfo (the HPKP `pin-sha256` of RFC 7469),
   * computed by openssl: `openssl pkey -pubout -outform DER | openssl dgst -sha256 -binary | base64`.
   */
  readonly spkiSha256: string;
}

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A new CA (EC P-256 key, self-signed, valid 2 days) in `dir` under `name`. */
export function makeCa(dir: string, name: string): TestCa {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  openssl([
    ...['req', '-x509', '-new', '-key', keyFile, '-sha256', '-days', '2'],
    ...['-subj', `/CN=${name} test CA`, '-addext', 'basicConstraints=critical,CA:TRUE'],
    ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', certFile],
  ]);
  return { certFile, keyFile };
}

/** A new server key and a certificate for 127.0.0.1 and localhost signed by `ca`. */
export function makeServerCert(dir: string, name: string, ca: TestCa): ServerCert {
  const keyFile = path.join(dir, `${name}.key`);
  const csrFile = path.join(dir, `${name}.csr`);
  const certFile = path.join(dir, `${name}.crt`);
  const extFile = path.join(dir, `${name}.ext`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  openssl(['req', '-new', '-key', keyFile, '-subj', '/CN=127.0.0.1', '-out', csrFile]);
  fs.writeFileSync(
    extFile,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  openssl([
    ...['x509', '-req', '-in', csrFile, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial'],
    ...['-days', '2', '-sha256', '-extfile', extFile, '-out', certFile],
  ]);
  const spkiDer = openssl(['pkey', '-in', keyFile, '-pubout', '-outform', 'DER']);
  const spkiSha256 = openssl(['dgst', '-sha256', '-binary'], spkiDer).toString('base64');
  return { certFile, keyFile, spkiSha256 };
}
