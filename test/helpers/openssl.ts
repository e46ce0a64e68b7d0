// The openssl command as the other side of the RFC 3161 tests: queries, reply reading, verification,
// and a time-stamp authority of openssl's own (`openssl ts -reply`) for tokens this project did not make.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `openssl <args>` in `cwd`; a non-zero exit is a result, not an exception. */
export async function openssl(args: string[], cwd: string): Promise<OpensslResult> {
  try {
    const { stdout, stderr } = await run('openssl', args, { cwd, timeout: 30_000, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Like `openssl`, but a non-zero exit throws with openssl's own words. */
export async function opensslOk(args: string[], cwd: string): Promise<string> {
  const result = await openssl(args, cwd);
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

/**
 * A TSA run by openssl itself in `dir`: a P-256 key, a self-signed certificate with the critical
 * timeStamping EKU, and the `[tsa]` configuration `openssl ts -reply -config` reads. Returns the
 * arguments that make a reply for a query file, and the certificate's path.
 */
export async function opensslTsa(dir: string): Promise<{ certificate: string; replyArgs: (query: string, out: string) => string[] }> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'openssl-tsa.cnf'),
    `[req]
distinguished_name = dn
prompt = no
x509_extensions = tsa_cert
[dn]
CN = openssl test TSA
[tsa_cert]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
[tsa]
default_tsa = tsa_config
[tsa_config]
serial = ${dir}/openssl-tsa-serial
crypto_device = builtin
signer_cert = ${dir}/openssl-tsa.pem
certs = ${dir}/openssl-tsa.pem
signer_key = ${dir}/openssl-tsa-key.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`,
  );
  fs.writeFileSync(path.join(dir, 'openssl-tsa-serial'), '01\n');
  await opensslOk(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'openssl-tsa-ec.pem'], dir);
  await opensslOk(['pkcs8', '-topk8', '-nocrypt', '-in', 'openssl-tsa-ec.pem', '-out', 'openssl-tsa-key.pem'], dir);
  await opensslOk(['req', '-new', '-x509', '-key', 'openssl-tsa-key.pem', '-days', '30', '-config', 'openssl-tsa.cnf', '-out', 'openssl-tsa.pem'], dir);
  return {
    certificate: path.join(dir, 'openssl-tsa.pem'),
    replyArgs: (query, out) => ['ts', '-reply', '-config', path.join(dir, 'openssl-tsa.cnf'), '-queryfile', query, '-out', out],
  };
}
