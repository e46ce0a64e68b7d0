// The RFC 3161 time-stamp authority against openssl, which no one here wrote: `openssl ts -query`
// makes the queries, the real service answers them over HTTP, and `openssl ts -reply -text` and
// `openssl ts -verify` judge the replies. A changed file, a changed token and a token of another TSA
// (openssl's own `ts -reply`) must fail; malformed and unsupported queries get rejections openssl
// reads; serial numbers stay unique, across a restart too. Every token's SHA-256 is anchored, and
// `did-notary verify-tsr` checks token and anchor against the chain alone.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, CLI, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { openssl, opensslOk, opensslTsa } from '../helpers/openssl';

const run = promisify(execFile);
/** `did-notary <args>` as a user runs it; a non-zero exit is a result. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, timeout: 120_000, env: { PATH: process.env.PATH } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const QUERY_TYPE = 'application/timestamp-query';

describe('RFC 3161 time stamps, checked by openssl', () => {
  let service: ServiceProcess;
  const dir = makeTempDir('did-notary-tsa-');
  const file = (name: string) => path.join(dir, name);
  const serials: bigint[] = [];

  /** POSTs a query file to /tsa and writes the reply to `out`; returns the HTTP status and type. */
  const post = async (queryFile: string, out: string, contentType = QUERY_TYPE) => {
    const response = await fetch(`${service.url}/tsa`, { method: 'POST', headers: { 'content-type': contentType }, body: fs.readFileSync(file(queryFile)) });
    fs.writeFileSync(file(out), Buffer.from(await response.arrayBuffer()));
    return { status: response.status, type: response.headers.get('content-type') };
  };
  /** What `openssl ts -reply -text` reads in a reply. */
  const replyText = (reply: string) => opensslOk(['ts', '-reply', '-in', reply, '-text'], dir);
  const serialOf = (text: string) => BigInt(/Serial number: (0x[0-9A-F]+)/.exec(text)![1]!);
  const stamp = async (data: string, name: string, options: string[] = ['-sha256', '-cert']) => {
    await opensslOk(['ts', '-query', '-data', data, ...options, '-out', `${name}.tsq`], dir);
    const answer = await post(`${name}.tsq`, `${name}.tsr`);
    expect(answer).toEqual({ status: 200, type: 'application/timestamp-reply' });
    return replyText(`${name}.tsr`);
  };

  beforeAll(async () => {
    fs.writeFileSync(file('document.txt'), 'a contract, signed\n');
    fs.writeFileSync(file('changed.txt'), 'a contract, signed.\n');
    service = await startServiceProcess({ dataDir: path.join(dir, 'service'), env: { TSA_RATE_LIMIT: '0' } });
    const response = await fetch(`${service.url}/tsa/certificate`);
    expect(response.headers.get('content-type')).toBe('application/pem-certificate-chain; charset=utf-8');
    fs.writeFileSync(file('tsa.pem'), await response.text());
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('grants a SHA-256 query with its nonce, policy, accuracy and certificate, and openssl verifies the token', async () => {
    const text = await stamp('document.txt', 'sha256');
    expect(text).toContain('Status: Granted.');
    expect(text).toContain('Hash Algorithm: sha256');
    expect(text).toContain('Policy OID: 2.25.75792755104331145319500195820232060075');
    expect(text).toContain('Accuracy: 0x01 seconds');
    expect(text).toContain('TSA: DirName:/O=did-notary/CN=did-notary time-stamping authority');
    const queryNonce = /Nonce: (0x[0-9A-F]+)/.exec(await opensslOk(['ts', '-query', '-in', 'sha256.tsq', '-text'], dir))![1];
    expect(queryNonce).toBeDefined();
    expect(text).toContain(`Nonce: ${queryNonce}`);
    serials.push(serialOf(text));
    const verified = await openssl(['ts', '-verify', '-data', 'document.txt', '-in', 'sha256.tsr', '-CAfile', 'tsa.pem'], dir);
    expect(verified.stdout + verified.stderr).toContain('Verification: OK');
    expect(verified.code).toBe(0);
  });

  it('verifies SHA-384 and SHA-512 queries, and a query without nonce gets a token without one', async () => {
    for (const algorithm of ['sha384', 'sha512']) {
      const text = await stamp('document.txt', algorithm, [`-${algorithm}`, '-cert']);
      expect(text).toContain(`Hash Algorithm: ${algorithm}`);
      serials.push(serialOf(text));
      const verified = await openssl(['ts', '-verify', '-data', 'document.txt', '-in', `${algorithm}.tsr`, '-CAfile', 'tsa.pem'], dir);
      expect(verified.code, verified.stderr).toBe(0);
    }
    const text = await stamp('document.txt', 'no-nonce', ['-sha256', '-cert', '-no_nonce']);
    expect(text).toContain('Nonce: unspecified');
    serials.push(serialOf(text));
  });

  it('leaves the certificate out unless the query asks for it (certReq), and the token still verifies with it given', async () => {
    await stamp('document.txt', 'no-cert', ['-sha256']);
    const without = await openssl(['ts', '-verify', '-data', 'document.txt', '-in', 'no-cert.tsr', '-CAfile', 'tsa.pem'], dir);
    expect(without.code).not.toBe(0);
    const given = await openssl(['ts', '-verify', '-data', 'document.txt', '-in', 'no-cert.tsr', '-CAfile', 'tsa.pem', '-untrusted', 'tsa.pem'], dir);
    expect(given.code, given.stderr).toBe(0);
  });

  it('fails verification for a changed file, a changed token and a token of another TSA', async () => {
    const changedFile = await openssl(['ts', '-verify', '-data', 'changed.txt', '-in', 'sha256.tsr', '-CAfile', 'tsa.pem'], dir);
    expect(changedFile.code).not.toBe(0);
    expect(changedFile.stderr).toContain('message imprint mismatch');

    // One bit of the signature flipped (the last bytes of the reply are the signature's).
    const reply = fs.readFileSync(file('sha256.tsr'));
    reply[reply.length - 3]! ^= 0x01;
    fs.writeFileSync(file('tampered.tsr'), reply);
    const tampered = await openssl(['ts', '-verify', '-data', 'document.txt', '-in', 'tampered.tsr', '-CAfile', 'tsa.pem'], dir);
    expect(tampered.code).not.toBe(0);

    const other = await opensslTsa(path.join(dir, 'other-tsa'));
    await opensslOk(other.replyArgs(file('sha256.tsq'), file('other.tsr')), dir);
    const itsOwn = await openssl(['ts', '-verify', '-data', 'document.txt', '-in', 'other.tsr', '-CAfile', other.certificate], dir);
    expect(itsOwn.code, `openssl's own TSA must verify against its own certificate: ${itsOwn.stderr}`).toBe(0);
    const againstOurs = await openssl(['ts', '-verify', '-data', 'document.txt', '-in', 'other.tsr', '-CAfile', 'tsa.pem'], dir);
    expect(againstOurs.code).not.toBe(0);
    const oursAgainstTheirs = await openssl(['ts', '-verify', '-data', 'document.txt', '-in', 'sha256.tsr', '-CAfile', other.certificate], dir);
    expect(oursAgainstTheirs.code).not.toBe(0);
  });

  it('rejects malformed, empty and unsupported queries with a failure info openssl reads', async () => {
    fs.writeFileSync(file('garbage.tsq'), 'not a time-stamp query');
    fs.writeFileSync(file('empty.tsq'), '');
    await opensslOk(['ts', '-query', '-data', 'document.txt', '-sha1', '-out', 'sha1.tsq'], dir);
    await opensslOk(['ts', '-query', '-data', 'document.txt', '-sha3-256', '-out', 'sha3.tsq'], dir);
    await opensslOk(['ts', '-query', '-data', 'document.txt', '-sha256', '-tspolicy', '1.2.3.4.5', '-out', 'policy.tsq'], dir);
    const cases = [
      ['garbage.tsq', 'the data submitted has the wrong format'],
      ['empty.tsq', 'the data submitted has the wrong format'],
      ['sha1.tsq', 'unrecognized or unsupported algorithm identifier'],
      ['sha3.tsq', 'unrecognized or unsupported algorithm identifier'],
      ['policy.tsq', 'the requested TSA policy is not supported by the TSA'],
    ] as const;
    for (const [query, failure] of cases) {
      expect(await post(query, `${query}.tsr`)).toEqual({ status: 200, type: 'application/timestamp-reply' });
      const text = await replyText(`${query}.tsr`);
      expect(text, query).toContain('Status: Rejected.');
      expect(text, query).toContain(`Failure info: ${failure}`);
    }
  });

  it('answers what is no time-stamp query with a problem: another media type (415), a body over 16 kB (413)', async () => {
    const response = await fetch(`${service.url}/tsa`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: fs.readFileSync(file('sha256.tsq')) });
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect((await response.json()).type).toBe('urn:did-notary:problem:unsupported-media-type');
    const large = await fetch(`${service.url}/tsa`, { method: 'POST', headers: { 'content-type': QUERY_TYPE }, body: Buffer.alloc(16 * 1024 + 1, 0x30) });
    expect(large.status).toBe(413);
    expect((await large.json()).type).toBe('urn:did-notary:problem:payload-too-large');
  });

  it('serves the certificate as DER on request, the same one as the PEM', async () => {
    const response = await fetch(`${service.url}/tsa/certificate`, { headers: { accept: 'application/pkix-cert' } });
    expect(response.headers.get('content-type')).toBe('application/pkix-cert');
    fs.writeFileSync(file('tsa.der'), Buffer.from(await response.arrayBuffer()));
    const fromDer = await opensslOk(['x509', '-inform', 'DER', '-in', 'tsa.der', '-noout', '-fingerprint', '-sha256'], dir);
    const fromPem = await opensslOk(['x509', '-in', 'tsa.pem', '-noout', '-fingerprint', '-sha256', '-ext', 'extendedKeyUsage,keyUsage'], dir);
    expect(fromPem).toContain(fromDer.trim());
    expect(fromPem).toMatch(/Extended Key Usage: critical\s+Time Stamping/);
    expect(fromPem).toMatch(/Key Usage: critical\s+Digital Signature/);
  });

  it('anchors every token\'s SHA-256, and verify-tsr checks the token and its anchor against the chain alone', async () => {
    // The token as PDF and code signatures embed it, and its SHA-256: what the service anchored.
    await opensslOk(['ts', '-reply', '-in', 'sha256.tsr', '-token_out', '-out', 'sha256.tst'], dir);
    const tokenSha256 = createHash('sha256').update(fs.readFileSync(file('sha256.tst'))).digest('hex');
    const pending = await api(service, 'GET', `/v1/receipts/${tokenSha256}`);
    expect(pending.status).toBe(200);
    expect(pending.json.document.multihash).toBe(`1220${tokenSha256}`);
    expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
    const info = (await api(service, 'GET', '/v1/info')).json;
    const common = ['--ca-file', file('tsa.pem'), '--rpc', info.rpcUrl, '--contract', info.contracts.anchor];

    const valid = await cli(['verify-tsr', file('document.txt'), file('sha256.tsr'), ...common, '--server', service.url, '--save-receipt']);
    expect(valid.code, valid.stdout + valid.stderr).toBe(0);
    expect(valid.stdout).toMatch(/^TSA token: VALID: .*document\.txt \(sha256\) existed at /m);
    expect(valid.stdout).toContain(`chain anchor: VALID: the token (SHA-256 ${tokenSha256}) was anchored at`);
    // The saved receipt is all an individual needs later: no service, the token alone, the plain verify.
    expect(fs.existsSync(file('sha256.tsr.receipt.json'))).toBe(true);
    fs.copyFileSync(file('sha256.tsr.receipt.json'), file('sha256.tst.receipt.json'));
    const offline = await cli(['verify-tsr', file('document.txt'), file('sha256.tst'), ...common, '--json']);
    expect(offline.code, offline.stdout + offline.stderr).toBe(0);
    expect(JSON.parse(offline.stdout)).toMatchObject({ valid: true, tokenSha256, token: { valid: true, algorithm: 'sha256' }, anchor: { valid: true } });
    const plain = await cli(['verify', file('sha256.tst'), file('sha256.tst.receipt.json'), '--rpc', info.rpcUrl]);
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);

    const changed = await cli(['verify-tsr', file('changed.txt'), file('sha256.tsr'), ...common]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('TSA token: INVALID (wrong-document)');
    // A token of another TSA: its certificate is not trusted, and the chain never saw it.
    const foreign = await cli(['verify-tsr', file('document.txt'), file('other.tsr'), ...common, '--server', service.url]);
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toContain('TSA token: INVALID (untrusted-certificate)');
    expect(foreign.stdout).toContain('chain anchor: INVALID (no-receipt)');

    const help = await cli(['verify-tsr', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: did-notary verify-tsr [options] <file> <token>');
    expect(help.stdout).toContain('What it checks:');
  });

  it('gives every token its own serial number, under concurrent queries and across a restart', async () => {
    await opensslOk(['ts', '-query', '-data', 'document.txt', '-sha256', '-out', 'concurrent.tsq'], dir);
    // Two waves of 16 at once: the most one client address may have open (TSA_RATE_LIMIT=0 lifts only the rate).
    for (const wave of [0, 16]) {
      const replies = await Promise.all(Array.from({ length: 16 }, (_, i) => post('concurrent.tsq', `concurrent-${wave + i}.tsr`)));
      expect(replies.map((reply) => reply.status)).toEqual(Array.from({ length: 16 }, () => 200));
    }
    for (let i = 0; i < 32; i += 1) serials.push(serialOf(await replyText(`concurrent-${i}.tsr`)));
    expect(new Set(serials).size).toBe(serials.length);

    const certificate = fs.readFileSync(file('tsa.pem'), 'utf8');
    expect(await service.stop()).toBe(0);
    service = await startServiceProcess({ dataDir: path.join(dir, 'service'), env: { TSA_RATE_LIMIT: '0' } });
    expect(await (await fetch(`${service.url}/tsa/certificate`)).text()).toBe(certificate);
    const text = await stamp('document.txt', 'after-restart');
    const serial = serialOf(text);
    expect(serials.every((earlier) => earlier < serial)).toBe(true);
    const verified = await openssl(['ts', '-verify', '-data', 'document.txt', '-in', 'after-restart.tsr', '-CAfile', 'tsa.pem'], dir);
    expect(verified.code, verified.stderr).toBe(0);
  });
});
