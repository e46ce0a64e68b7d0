// Credentials through the whole service process, on the embedded store and on PostgreSQL: issue,
// verify, revoke, the status list, and the service's DIDs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSettings, TEST_DATABASE_URL } from '../helpers/postgres';
import { api, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

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
