// The wallet protocols on two replicas (real processes) sharing one PostgreSQL database: every step of
// an issuance and of a presentation goes to the other replica than the step before (the wallet's fetch
// alternates), and racing the same pre-authorized code or the same presentation at both replicas lets
// exactly one through. Offers, codes, c_nonces and requests live in the database, not in a process.
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../helpers/postgres';
import { startReplicaCluster, type ReplicaCluster } from '../helpers/replica-cluster';
import { api, type ServiceProcess } from '../helpers/service-process';
import { freshWalletKey, LibraryIssuanceWallet, LibraryPresentationWallet, walletCallbacks } from './helpers/library-wallet';

/** The public URL both replicas publish; the wallet's fetch sends each request to one of them in turn. */
const PUBLIC_URL = 'http://wallets.replicas.invalid';

describe.skipIf(!TEST_DATABASE_URL)('wallet protocols across two replicas on PostgreSQL', () => {
  let cluster: ReplicaCluster | undefined;
  afterAll(async () => {
    await cluster?.close();
  });

  it('issues and verifies with every step on the other replica, and lets one of two racing redemptions through', async () => {
    cluster = await startReplicaCluster({ count: 2, batchInterval: '1h', prefix: 'did-notary-wallets-replicas', env: { PUBLIC_URL } });
    const replicas = cluster.replicas as [ServiceProcess, ServiceProcess];
    const seen: string[] = [];
    let turn = 0;
    const alternating = ((input: string | URL | Request, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      const replica = replicas[turn++ % 2]!;
      seen.push(`${replica.url} ${new URL(url).pathname}`);
      return fetch(url.replace(PUBLIC_URL, replica.url), init);
    }) as typeof fetch;
    const key = freshWalletKey();
    const issuance = new LibraryIssuanceWallet(key, walletCallbacks([key], { fetch: alternating }));

    const offer = async (replica: ServiceProcess) => {
      const response = await api(replica, 'POST', '/v1/credential-offers', { credentialConfigurationId: 'IdentityCredential_sd_jwt', claims: { given_name: 'Alice', age_over_18: true } });
      expect(response.status).toBe(201);
      return response.json.offerUri as string;
    };
    const credential = await issuance.receive(await offer(replicas[0]));
    expect(new Set(seen.map((line) => line.split(' ')[0])).size).toBe(2);

    // The same code at both replicas at once: one access token.
    const resolved = await issuance.resolve(await offer(replicas[1]));
    const code = (resolved.offer.grants as Record<string, { 'pre-authorized_code': string }>)['urn:ietf:params:oauth:grant-type:pre-authorized_code']!['pre-authorized_code'];
    const redeem = (replica: ServiceProcess) =>
      fetch(`${replica.url}/oid4vci/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code', 'pre-authorized_code': code }),
      }).then((response) => response.status);
    expect((await Promise.all([redeem(replicas[0]), redeem(replicas[1])])).sort()).toEqual([200, 400]);

    // A presentation request made on one replica, answered through both: its nonce and state are shared.
    const created = await api(replicas[1], 'POST', '/v1/presentation-requests', {
      purpose: 'Check your age',
      dcqlQuery: { credentials: [{ id: 'identity', format: 'dc+sd-jwt', meta: { vct_values: [`${PUBLIC_URL}/vct/IdentityCredential`] }, claims: [{ path: ['age_over_18'] }] }] },
    });
    expect(created.status).toBe(201);
    const presenter = new LibraryPresentationWallet(key, walletCallbacks([key], { fetch: alternating, didWebDocumentUrl: `${replicas[0].url}/.well-known/did.json` }));
    const request = await presenter.resolve(created.json.requestUri as string);
    const vpToken = await presenter.vpToken(request, { identity: credential });
    const responsePath = new URL((request.authorizationRequestPayload as { response_uri: string }).response_uri).pathname;
    // The same answer at both replicas at once: one accepted.
    const post = (replica: ServiceProcess) =>
      fetch(`${replica.url}${responsePath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ vp_token: JSON.stringify(vpToken), state: created.json.id as string }),
      }).then((response) => response.status);
    expect((await Promise.all([post(replicas[0]), post(replicas[1])])).sort()).toEqual([200, 400]);
    const status = await api(replicas[0], 'GET', `/v1/presentation-requests/${created.json.id as string}`);
    expect(status.json).toMatchObject({ status: 'verified', credentials: { identity: { claims: { age_over_18: true } } } });
  });
});
