// The time-stamp authority as an operator configures it: a key and chain issued by a CA (RSA), API
// keys required (TSA_AUTH=api-key, as a Bearer token or a Basic password sent by curl), and a rate
// per client address (TSA_RATE_LIMIT). Tokens are verified by openssl against the CA alone.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, makeTempDir, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { openssl, opensslOk } from '../helpers/openssl';

const run = promisify(execFile);

describe('the time-stamp authority with a CA-issued key, API keys and a per-client rate', () => {
  let service: ServiceProcess;
  let timestampKey: string;
  let notarizeKey: string;
  const dir = makeTempDir('did-notary-tsa-access-');

  /** POST /tsa as a client at `address` (TRUST_PROXY=loopback lets the test name it). */
  const post = (address: string, headers: Record<string, string> = {}) =>
    fetch(`${service.url}/tsa`, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', 'x-forwarded-for': address, ...headers },
      body: fs.readFileSync(path.join(dir, 'query.tsq')),
    });

  beforeAll(async () => {
    fs.writeFileSync(path.join(dir, 'document.txt'), 'a signed invoice\n');
    fs.writeFileSync(path.join(dir, 'tsa.ext'), 'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\n');
    await opensslOk(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-subj', '/CN=Example Time-Stamping CA', '-days', '30'], dir);
    await opensslOk(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tsa-key.pem', '-out', 'tsa.csr', '-subj', '/O=Example/CN=Example TSA'], dir);
    await opensslOk(['x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '30', '-extfile', 'tsa.ext', '-out', 'tsa-cert.pem'], dir);
    fs.writeFileSync(path.join(dir, 'tsa-chain.pem'), fs.readFileSync(path.join(dir, 'tsa-cert.pem'), 'utf8') + fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8'));
    await opensslOk(['ts', '-query', '-data', 'document.txt', '-sha256', '-cert', '-out', 'query.tsq'], dir);
    service = await startServiceProcess({
      dataDir: path.join(dir, 'service'),
      env: {
        TSA_AUTH: 'api-key',
        TSA_RATE_LIMIT: '2',
        TRUST_PROXY: 'loopback',
        TSA_KEY_FILE: path.join(dir, 'tsa-key.pem'),
        TSA_CERTIFICATE_FILE: path.join(dir, 'tsa-chain.pem'),
        TSA_POLICY: '1.3.6.1.4.1.99999.7.1',
      },
    });
    timestampKey = (await api(service, 'POST', '/v1/keys', { tenant: 'signing-server', scopes: ['timestamp'] })).json.secret;
    notarizeKey = (await api(service, 'POST', '/v1/keys', { tenant: 'acme', scopes: ['notarize'] })).json.secret;
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('asks for a key, naming Bearer and Basic, and refuses a key without the timestamp scope', async () => {
    const anonymous = await post('203.0.113.1');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer, Basic realm="did-notary"/);
    const wrongScope = await post('203.0.113.2', { authorization: `Bearer ${notarizeKey}` });
    expect(wrongScope.status).toBe(403);
    expect((await wrongScope.json()).detail).toContain('"timestamp" scope');
  });

  it('grants a Bearer key and a Basic password (curl -u), and openssl verifies the RSA token against the CA alone', async () => {
    const bearer = await post('203.0.113.3', { authorization: `Bearer ${timestampKey}` });
    expect(bearer.status).toBe(200);
    fs.writeFileSync(path.join(dir, 'bearer.tsr'), Buffer.from(await bearer.arrayBuffer()));
    const { stdout: status } = await run(
      'curl',
      ['-s', '-u', `pdf-signer:${timestampKey}`, '-H', 'Content-Type: application/timestamp-query', '-H', 'X-Forwarded-For: 203.0.113.4', '--data-binary', '@query.tsq', '-o', 'basic.tsr', '-w', '%{http_code}', `${service.url}/tsa`],
      { cwd: dir },
    );
    expect(status).toBe('200');
    for (const reply of ['bearer.tsr', 'basic.tsr']) {
      const text = await opensslOk(['ts', '-reply', '-in', reply, '-text'], dir);
      expect(text).toContain('Status: Granted.');
      expect(text).toContain('Policy OID: 1.3.6.1.4.1.99999.7.1');
      expect(text).toContain('TSA: DirName:/O=Example/CN=Example TSA');
      const verified = await openssl(['ts', '-verify', '-data', 'document.txt', '-in', reply, '-CAfile', 'ca.pem'], dir);
      expect(verified.code, verified.stderr).toBe(0);
    }
    const chain = await (await fetch(`${service.url}/tsa/certificate`)).text();
    expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  it('limits queries per client address with a 429 problem, leaving other clients alone', async () => {
    const burst = await Promise.all(Array.from({ length: 12 }, () => post('203.0.113.5', { authorization: `Bearer ${timestampKey}` })));
    const limited = burst.filter((response) => response.status === 429);
    // 2 per second: whatever windows the burst spans, most of it is refused.
    expect(limited.length).toBeGreaterThanOrEqual(6);
    expect(burst.every((response) => response.status === 200 || response.status === 429)).toBe(true);
    const problem = await limited[0]!.json();
    expect(problem).toMatchObject({ type: 'urn:did-notary:problem:rate-limited', status: 429 });
    expect(problem.detail).toContain('2 requests per second per client');
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await post('203.0.113.6', { authorization: `Bearer ${timestampKey}` })).status).toBe(200);
  });
});
