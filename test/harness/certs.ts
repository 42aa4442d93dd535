import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertificateAuthority {
  readonly ca: string;
  /**
   * Issues a certificate (and key) signed by this CA; returns the two paths. `san` is a client
   * certificate's subjectAltName in openssl's syntax (`DNS:x,URI:y`).
   */
  issue(
    name: string,
    opts: { cn: string; server?: boolean; san?: string },
  ): Promise<{ cert: string; key: string }>;
}

/** A throw-away CA made with openssl, in `dir` (EC P-256 keys, valid two days). */
export async function makeCa(dir: string, name: string): Promise<CertificateAuthority> {
  const ca = join(dir, `${name}-ca.pem`);
  const caKey = join(dir, `${name}-ca-key.pem`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    '2',
    '-subj',
    `/CN=${name} test CA`,
  ]);
  return {
    ca,
    issue: async (certName, { cn, server, san }) => {
      const key = join(dir, `${certName}-key.pem`);
      const csr = join(dir, `${certName}.csr`);
      const cert = join(dir, `${certName}.pem`);
      const ext = join(dir, `${certName}.ext`);
      await writeFile(
        ext,
        server
          ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
          : `${san ? `subjectAltName=${san}\n` : ''}extendedKeyUsage=clientAuth\n`,
      );
      await run('openssl', ['req', ...ec, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
      await run('openssl', [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        ca,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-out',
        cert,
        '-days',
        '2',
        '-extfile',
        ext,
      ]);
      return { cert, key };
    },
  };
}
