// Credentials through the whole service process, on the embedded store and on PostgreSQL: issue,
// verify, revoke, the status list, SD-JWT VCs, a key rotation through the CLI, and the service's DIDs.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSettings, TEST_DATABASE_URL } from '../helpers/postgres';
import { api, CLI, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const run = promisify(execFile);

const SUBJECT = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';

describe.each([
  { name: 'embedded store', postgres: false },
  { name: 'PostgreSQL store', postgres: true },
])('credentials through the service on the $name', ({ postgres }) => {
  const skip = postgres && !TEST_DATABASE_URL;
  let service: ServiceProcess;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (skip) return;
    const store = await storeSettings(postgres);
    drop = store.drop;
    service = await startServiceProcess({ env: store.env });
  });
  afterAll(async () => {
    await service?.stop();
    await drop?.();
  });

  it.skipIf(skip)('issues, verifies, revokes and notarizes the status list version', async () => {
    const issued = await api(service, 'POST', '/v1/credentials', { subject: SUBJECT, type: 'MembershipCredential', claims: { member: true } });
    expect(issued.status).toBe(201);
    const info = (await api(service, 'GET', '/v1/info')).json;
    const verified = await api(service, 'POST', '/v1/credentials/verify', { jwt: issued.json.jwt });
    expect(verified.json).toMatchObject({ verified: true, issuer: info.did, subject: SUBJECT, errors: [] });

    const revoked = await api(service, 'POST', `/v1/credentials/${encodeURIComponent(issued.json.id)}/revoke`);
    expect(revoked.status).toBe(200);
    const after = await api(service, 'POST', '/v1/credentials/verify', { jwt: issued.json.jwt });
    expect(after.json.verified).toBe(false);
    expect(after.json.errors.map((e: { code: string }) => e.code)).toContain('revoked');

    // The new status list version was submitted to the notary and gets anchored with the next batch.
    const anchored = await api(service, 'POST', '/v1/batches/anchor');
    expect(anchored.json.batch?.status).toBe('anchored');
  });

  it.skipIf(skip)('issues an SD-JWT VC, publishes its key in the issuer metadata, verifies and revokes it', async () => {
    const issued = await api(service, 'POST', '/v1/credentials', { format: 'dc+sd-jwt', vct: 'https://example.com/member', claims: { level: 'gold', since: 2020 } });
    expect(issued.status).toBe(201);
    const metadata = (await api(service, 'GET', '/.well-known/jwt-vc-issuer')).json;
    const kid = JSON.parse(Buffer.from(issued.json.sdJwt.split('.')[0], 'base64url').toString()).kid;
    expect(metadata.issuer).toBe(issued.json.credential.iss);
    expect(metadata.jwks.keys.map((key: { kid: string }) => key.kid)).toContain(kid);
    const verified = await api(service, 'POST', '/v1/credentials/verify', { credential: issued.json.sdJwt });
    expect(verified.json).toMatchObject({ verified: true, format: 'dc+sd-jwt', claims: { level: 'gold', since: 2020 } });
    expect((await api(service, 'POST', `/v1/credentials/${encodeURIComponent(issued.json.id)}/revoke`)).status).toBe(200);
    const after = await api(service, 'POST', '/v1/credentials/verify', { credential: issued.json.sdJwt });
    expect(after.json.errors.map((e: { code: string }) => e.code)).toEqual(['revoked']);
  });

  it.skipIf(skip)('rotates its signing keys with `did-notary keys rotate-signer`: what it signed before still verifies, new anchors come from the new account', async () => {
    const infoBefore = (await api(service, 'GET', '/v1/info')).json;
    const before = await api(service, 'POST', '/v1/credentials', { subject: SUBJECT, type: 'MembershipCredential', claims: { member: true } });
    const { stdout } = await run(process.execPath, [CLI, 'keys', 'rotate-signer', '--server', service.url, '--api-key', service.adminKey], { cwd: PROJECT_ROOT, timeout: 120_000 });
    expect(stdout).toMatch(new RegExp(`^ES256K: ${infoBefore.signer} → (0x[0-9a-f]{40})\nES256: \\S+ → \\S+\n`));
    const infoAfter = (await api(service, 'GET', '/v1/info')).json;
    expect(infoAfter.did).toBe(infoBefore.did);
    expect(infoAfter.signer).not.toBe(infoBefore.signer);
    const after = await api(service, 'POST', '/v1/credentials', { subject: SUBJECT, type: 'MembershipCredential', claims: { member: true } });
    for (const jwt of [before.json.jwt, after.json.jwt]) {
      expect((await api(service, 'POST', '/v1/credentials/verify', { credential: jwt })).json).toMatchObject({ verified: true, issuer: infoAfter.did });
    }
    // The next anchoring transaction is the new account's.
    await api(service, 'POST', '/v1/documents', { hash: randomBytes(32).toString('hex') });
    const anchored = (await api(service, 'POST', '/v1/batches/anchor')).json.batch;
    const transaction = await new JsonRpcProvider(infoAfter.rpcUrl).getTransaction(anchored.anchor.transactionHash);
    expect(transaction!.from.toLowerCase()).toBe(infoAfter.signer);
  });

  it.skipIf(skip)('serves its did:web document and resolves its did:ethr', async () => {
    const info = (await api(service, 'GET', '/v1/info')).json;
    const didWeb = await api(service, 'GET', '/.well-known/did.json');
    expect(didWeb.status).toBe(200);
    expect(didWeb.json.id).toBe(info.didWeb);
    const resolved = await api(service, 'GET', `/v1/dids/${encodeURIComponent(info.did)}`);
    expect(resolved.status).toBe(200);
    expect(resolved.json.didDocument.id).toBe(info.did);
  });
});
