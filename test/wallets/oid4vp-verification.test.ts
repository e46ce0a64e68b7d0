// OpenID4VP 1.0 against the real service over HTTP, with the holder side of @openid4vc/openid4vp as the
// wallet (credentials received through OpenID4VCI first): the wallet resolves the signed request by
// reference, discloses only what the DCQL query asks, and the app's status URL shows exactly those
// claims. Replays, answers to another request, a KB-JWT for another audience and a missing claim are
// refused with an OAuth error, and the request stays open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { LOOPBACK_WEBHOOK_ENV, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { freshWalletKey, LibraryIssuanceWallet, LibraryPresentationWallet, walletCallbacks, type WalletKey } from './helpers/library-wallet';

let service: ServiceProcess;
let receiver: WebhookReceiver;
let holder: WalletKey;
let sdJwt: string;
let w3c: string;
const PERSON = { given_name: 'Alice', family_name: 'Smith', birthdate: '2000-01-01', age_over_18: true };

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  service = await startServiceProcess({ env: { VALIDATE_RESPONSES: 'true', ...LOOPBACK_WEBHOOK_ENV } });
  expect((await api(service, 'POST', '/v1/webhooks', { url: receiver.url, eventTypes: ['presentation.verified'] })).status).toBe(201);
  holder = freshWalletKey();
  const issuance = new LibraryIssuanceWallet(holder, walletCallbacks([holder]));
  const offer = async (configuration: string) => (await api(service, 'POST', '/v1/credential-offers', { credentialConfigurationId: configuration, claims: PERSON })).json.offerUri as string;
  sdJwt = await issuance.receive(await offer('IdentityCredential_sd_jwt'));
  w3c = await issuance.receive(await offer('IdentityCredential_jwt_vc'), { binding: 'did' });
});
afterAll(async () => {
  await service?.stop();
  await receiver?.close();
});

const vct = () => `${service.url}/vct/IdentityCredential`;
const sdJwtQuery = () => ({ credentials: [{ id: 'identity', format: 'dc+sd-jwt', meta: { vct_values: [vct()] }, claims: [{ path: ['given_name'] }, { path: ['age_over_18'] }] }] });

async function request(dcqlQuery: Record<string, unknown>) {
  const response = await api(service, 'POST', '/v1/presentation-requests', { dcqlQuery, purpose: 'Check your age to open an account' });
  expect(response.status, JSON.stringify(response.json)).toBe(201);
  return response.json as { id: string; requestUri: string; status: string; clientId: string; qrCode: { png: string } };
}

function wallet() {
  return new LibraryPresentationWallet(holder, walletCallbacks([holder], { didWebDocumentUrl: `${service.url}/.well-known/did.json` }));
}

const status = async (id: string) => (await api(service, 'GET', `/v1/presentation-requests/${id}`)).json as { status: string; credentials?: Record<string, { claims: Record<string, unknown>; format: string }> };

describe('OpenID4VP verification of a library wallet', () => {
  it('gets an SD-JWT presentation that discloses only what the DCQL query asked, and shows the app exactly those claims', async () => {
    const created = await request(sdJwtQuery());
    expect(created.requestUri).toMatch(/^openid4vp:\/\/\?client_id=decentralized_identifier%3Adid%3Aweb%3A/);
    expect((await fetch(`${service.url}${created.qrCode.png}`)).headers.get('content-type')).toBe('image/png');
    expect((await status(created.id)).status).toBe('pending');

    const presenter = wallet();
    const resolved = await presenter.resolve(created.requestUri);
    expect(resolved.jar?.signer).toMatchObject({ method: 'did' });
    expect((resolved.authorizationRequestPayload as { client_metadata?: { client_name?: string } }).client_metadata?.client_name).toBe('Check your age to open an account');
    const vpToken = await presenter.vpToken(resolved, { identity: sdJwt });
    // The wallet disclosed two claims of four: the others are not in the presentation at all.
    const disclosures = vpToken.identity![0]!.split('~').slice(1, -1).map((d) => JSON.parse(Buffer.from(d, 'base64url').toString())[1]);
    expect(disclosures.sort()).toEqual(['age_over_18', 'given_name']);
    const answer = await presenter.submit(resolved, vpToken);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);

    const result = await status(created.id);
    expect(result.status).toBe('verified');
    expect(result.credentials).toEqual({ identity: { format: 'dc+sd-jwt', issuer: service.url, holder: null, types: [vct()], claims: { given_name: 'Alice', age_over_18: true } } });

    // The app's backend hears of it too: a presentation.verified webhook with the same claims.
    const event = await receiver.waitFor('presentation.verified', () => receiver.accepted().find((request) => request.json.data?.presentationRequest?.id === created.id));
    expect(event.json).toMatchObject({ type: 'presentation.verified', data: { presentationRequest: { status: 'verified', credentials: result.credentials } } });

    // The same presentation again: refused, and the verified result stands.
    const replay = await presenter.submit(resolved, vpToken);
    expect(replay.status).toBe(400);
    expect(replay.body?.error).toBe('invalid_request');
  });

  it('verifies a W3C credential in a VP-JWT signed by the holder\'s DID', async () => {
    const created = await request({ credentials: [{ id: 'w3c', format: 'jwt_vc_json', meta: { type_values: [['IdentityCredential']] }, claims: [{ path: ['credentialSubject', 'birthdate'] }] }] });
    const presenter = wallet();
    const resolved = await presenter.resolve(created.requestUri);
    const answer = await presenter.submit(resolved, await presenter.vpToken(resolved, { w3c }));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    const result = await status(created.id);
    expect(result.credentials?.w3c).toMatchObject({ format: 'jwt_vc_json', holder: holder.did, claims: { birthdate: '2000-01-01' } });
    expect(Object.keys(result.credentials!.w3c!.claims)).toEqual(['birthdate']);
  });

  it('refuses a presentation posted to another request\'s endpoint, and one whose KB-JWT names another audience', async () => {
    const first = await request(sdJwtQuery());
    const second = await request(sdJwtQuery());
    const presenter = wallet();
    const resolvedFirst = await presenter.resolve(first.requestUri);
    const resolvedSecond = await presenter.resolve(second.requestUri);
    const forFirst = await presenter.vpToken(resolvedFirst, { identity: sdJwt });
    const crossed = await presenter.submit(resolvedSecond, forFirst, (resolvedSecond.authorizationRequestPayload as { response_uri: string }).response_uri);
    expect(crossed.status).toBe(400);
    expect(crossed.body).toMatchObject({ error: 'invalid_presentation', error_description: expect.stringMatching(/nonce/) });

    const otherAudience = await presenter.vpToken(resolvedSecond, { identity: sdJwt }, { audience: 'decentralized_identifier:did:web:verifier.example' });
    const refused = await presenter.submit(resolvedSecond, otherAudience);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: 'invalid_presentation', error_description: expect.stringMatching(/wrong-audience/) });

    // Nothing was recorded: both requests are still open, and the right answers are still accepted.
    expect((await status(first.id)).status).toBe('pending');
    expect((await status(second.id)).status).toBe('pending');
    expect((await presenter.submit(resolvedFirst, forFirst)).status).toBe(200);
    expect((await presenter.submit(resolvedSecond, await presenter.vpToken(resolvedSecond, { identity: sdJwt }))).status).toBe(200);
  });

  it('refuses a presentation that omits a required claim', async () => {
    const created = await request(sdJwtQuery());
    const presenter = wallet();
    const resolved = await presenter.resolve(created.requestUri);
    const answer = await presenter.submit(resolved, await presenter.vpToken(resolved, { identity: sdJwt }, { omitClaims: ['age_over_18'] }));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_presentation', error_description: expect.stringMatching(/identity/) });
    expect((await status(created.id)).status).toBe('pending');
  });

  it('refuses a DCQL query for a format it cannot verify, as a problem', async () => {
    const response = await api(service, 'POST', '/v1/presentation-requests', { purpose: 'x', dcqlQuery: { credentials: [{ id: 'm', format: 'mso_mdoc', meta: { doctype_value: 'org.iso.18013.5.1.mDL' } }] } });
    expect(response.status).toBe(400);
    expect(response.json.type).toBe('urn:did-notary:problem:invalid-presentation-request');
  });
});
