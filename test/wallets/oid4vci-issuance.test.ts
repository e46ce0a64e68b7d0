// OpenID4VCI 1.0 against the real service (`did-notary serve`, embedded chain and database) over HTTP,
// with the holder side of @openid4vc/openid4vci as the wallet: the pre-authorized flow with and without
// a transaction code, in both formats, and every way a wallet's request can be refused — each refusal
// an OAuth error, and nothing spent by it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Openid4vciRetrieveCredentialsError } from '@openid4vc/openid4vci';
import { Oauth2ClientErrorResponseError } from '@openid4vc/oauth2';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { api, CLI, makeTempDir, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { freshWalletKey, LibraryIssuanceWallet, walletCallbacks } from './helpers/library-wallet';

let service: ServiceProcess;
beforeAll(async () => {
  service = await startServiceProcess({ env: { VALIDATE_RESPONSES: 'true' } });
});
afterAll(async () => {
  await service?.stop();
});

const PERSON = { given_name: 'Alice', family_name: 'Smith', birthdate: '2000-01-01', age_over_18: true };

async function offer(body: Record<string, unknown>) {
  const response = await api(service, 'POST', '/v1/credential-offers', { credentialConfigurationId: 'IdentityCredential_sd_jwt', claims: PERSON, ...body });
  expect(response.status, JSON.stringify(response.json)).toBe(201);
  return response.json as { id: string; offerUri: string; credentialOfferUri: string; txCode?: string; qrCode: { png: string; svg: string } };
}

function newWallet() {
  const key = freshWalletKey();
  return new LibraryIssuanceWallet(key, walletCallbacks([key]));
}

const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('~')[0]!.split('.')[1]!, 'base64url').toString()) as Record<string, any>;

/** The OAuth error a library call was refused with. */
async function oauthError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Oauth2ClientErrorResponseError) return error.errorResponse.error;
    if (error instanceof Openid4vciRetrieveCredentialsError) return (error.response.credentialErrorResponseResult?.data as { error?: string } | undefined)?.error ?? 'no error code';
    throw error;
  }
  throw new Error('the request was not refused');
}

describe('OpenID4VCI issuance to a library wallet', () => {
  it('publishes issuer and authorization server metadata the library reads, with display metadata', async () => {
    const wallet = newWallet();
    const metadata = await wallet.client.resolveIssuerMetadata(service.url);
    expect(metadata.credentialIssuer.credential_issuer).toBe(service.url);
    expect(metadata.authorizationServers[0]!.token_endpoint).toBe(`${service.url}/oid4vci/token`);
    const sdJwt = metadata.credentialIssuer.credential_configurations_supported.IdentityCredential_sd_jwt as Record<string, any>;
    expect(sdJwt).toMatchObject({ format: 'dc+sd-jwt', vct: `${service.url}/vct/IdentityCredential` });
    expect(sdJwt.credential_metadata.display[0]).toMatchObject({ name: 'Identity credential', background_color: expect.stringMatching(/^#/), logo: { uri: `${service.url}/oid4vci/logo.svg` } });
    const logo = await fetch(`${service.url}/oid4vci/logo.svg`);
    expect(logo.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('issues an SD-JWT VC bound to the wallet\'s key through the whole pre-authorized flow, without a transaction code', async () => {
    const created = await offer({});
    expect(created.offerUri).toMatch(/^openid-credential-offer:\/\/\?credential_offer_uri=/);
    const png = await fetch(`${service.url}${created.qrCode.png}`);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await png.arrayBuffer()).slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const svg = await (await fetch(`${service.url}${created.qrCode.svg}`)).text();
    expect(svg).toMatch(/^<svg/);

    const wallet = newWallet();
    const credential = await wallet.receive(created.offerUri);
    const payload = decode(credential);
    expect(payload).toMatchObject({ iss: service.url, vct: `${service.url}/vct/IdentityCredential`, cnf: { jwk: { x: wallet.key.publicJwk.x, y: wallet.key.publicJwk.y } } });
    const verified = await api(service, 'POST', '/v1/credentials/verify', { credential });
    expect(verified.json).toMatchObject({ verified: true, format: 'dc+sd-jwt', claims: PERSON });
  });

  it('issues a W3C VC-JWT to the wallet\'s DID with a transaction code', async () => {
    const created = await offer({ credentialConfigurationId: 'IdentityCredential_jwt_vc', txCode: { length: 6, description: 'sent by SMS' } });
    expect(created.txCode).toMatch(/^\d{6}$/);
    const wallet = newWallet();
    const resolved = await wallet.resolve(created.offerUri);
    expect(resolved.offer.grants?.['urn:ietf:params:oauth:grant-type:pre-authorized_code']?.tx_code).toMatchObject({ input_mode: 'numeric', length: 6, description: 'sent by SMS' });
    const credential = await wallet.receive(created.offerUri, { txCode: created.txCode!, binding: 'did' });
    const payload = decode(credential);
    expect(payload.sub).toBe(wallet.key.did);
    expect(payload.type ?? payload.vc?.type).toContain('IdentityCredential');
    const verified = await api(service, 'POST', '/v1/credentials/verify', { credential });
    expect(verified.json).toMatchObject({ verified: true, format: 'jwt_vc_json', subject: wallet.key.did, claims: PERSON });
  });

  it('refuses a wrong transaction code, then accepts the right one: the wrong one spent nothing', async () => {
    const created = await offer({ txCode: true });
    const wallet = newWallet();
    const resolved = await wallet.resolve(created.offerUri);
    const wrong = created.txCode === '000000' ? '111111' : '000000';
    expect(await oauthError(wallet.token(resolved, wrong))).toBe('invalid_grant');
    const accessToken = await wallet.token(resolved, created.txCode!);
    expect(accessToken).toMatch(/^ey/);
  });

  it('refuses a pre-authorized code used twice, and the offer once accepted', async () => {
    const created = await offer({});
    const wallet = newWallet();
    const resolved = await wallet.resolve(created.offerUri);
    await wallet.token(resolved);
    expect(await oauthError(wallet.token(resolved))).toBe('invalid_grant');
    const again = await fetch(created.credentialOfferUri);
    expect(again.status).toBe(410);
    expect(((await again.json()) as { type: string }).type).toBe('urn:did-notary:problem:credential-offer-used');
  });

  it('refuses an expired offer and its code', async () => {
    const created = await offer({ expiresInSeconds: 1 });
    const wallet = newWallet();
    const resolved = await wallet.resolve(created.offerUri);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(await oauthError(wallet.token(resolved))).toBe('invalid_grant');
    const response = await fetch(created.credentialOfferUri);
    expect(response.status).toBe(410);
    expect(((await response.json()) as { type: string }).type).toBe('urn:did-notary:problem:credential-offer-expired');
  });

  it('refuses a proof signed by another key, and a stale or unknown nonce, spending neither nonce nor offer', async () => {
    const created = await offer({});
    const wallet = newWallet();
    const resolved = await wallet.resolve(created.offerUri);
    const accessToken = await wallet.token(resolved);
    const { c_nonce } = await wallet.client.requestNonce({ issuerMetadata: resolved.metadata });

    // The proof names the wallet's key in its header, but another key signed it.
    const other = freshWalletKey();
    const otherWallet = new LibraryIssuanceWallet(other, walletCallbacks([other]));
    const signedByOther = await otherWallet.proof(resolved, c_nonce);
    const [, payload, signature] = signedByOther.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'openid4vci-proof+jwt', jwk: wallet.key.publicJwk })).toString('base64url');
    expect(await oauthError(wallet.credential(resolved, accessToken, `${header}.${payload}.${signature}`))).toBe('invalid_proof');

    // A nonce the service never issued, then one already spent by another issuance.
    expect(await oauthError(wallet.credential(resolved, accessToken, await wallet.proof(resolved, 'not-a-nonce-of-the-service')))).toBe('invalid_nonce');
    const spent = (await wallet.client.requestNonce({ issuerMetadata: resolved.metadata })).c_nonce;
    const otherOffer = await offer({});
    const otherResolved = await otherWallet.resolve(otherOffer.offerUri);
    await otherWallet.credential(otherResolved, await otherWallet.token(otherResolved), await otherWallet.proof(otherResolved, spent));
    expect(await oauthError(wallet.credential(resolved, accessToken, await wallet.proof(resolved, spent)))).toBe('invalid_nonce');

    // None of that spent the first nonce or the offer: the right proof with it still gets the credential, once.
    const credential = await wallet.credential(resolved, accessToken, await wallet.proof(resolved, c_nonce));
    expect(decode(credential).cnf.jwk.x).toBe(wallet.key.publicJwk.x);
    const fresh = (await wallet.client.requestNonce({ issuerMetadata: resolved.metadata })).c_nonce;
    expect(await oauthError(wallet.credential(resolved, accessToken, await wallet.proof(resolved, fresh)))).toBe('credential_request_denied');
  });

  it('refuses a credential request without a valid access token as invalid_token (401)', async () => {
    const response = await fetch(`${service.url}/oid4vci/credential`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-token' },
      body: JSON.stringify({ credential_configuration_id: 'IdentityCredential_sd_jwt' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
  });

  it('refuses a bad offer request as a problem', async () => {
    const response = await api(service, 'POST', '/v1/credential-offers', { credentialConfigurationId: 'NoSuchConfiguration', claims: {} });
    expect(response.status).toBe(400);
    expect(response.json.type).toBe('urn:did-notary:problem:invalid-credential-offer-request');
  });

  it('offers from the CLI: `did-notary offer create` prints the URI, the QR code and the transaction code, and a wallet accepts it', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'offer', 'create', '--server', service.url, '--api-key', service.adminKey, '--claims', JSON.stringify(PERSON), '--tx-code', '8'], { timeout: 30_000 });
    const uri = stdout.match(/^openid-credential-offer:\/\/\S+$/m)?.[0];
    const txCode = stdout.match(/^transaction code: (\d{8}) /m)?.[1];
    expect(uri, stdout).toBeDefined();
    expect(txCode, stdout).toBeDefined();
    expect(stdout).toMatch(/[▀▄█]/);
    expect(decode(await newWallet().receive(uri!, { txCode: txCode! })).iss).toBe(service.url);
  });
});

describe('OpenID4VCI with a business\'s own credential configurations (WALLET_CREDENTIALS_FILE)', () => {
  let own: ServiceProcess;
  beforeAll(async () => {
    const file = path.join(makeTempDir('did-notary-wallet-credentials-'), 'credentials.json');
    fs.writeFileSync(
      file,
      JSON.stringify([
        {
          id: 'EmployeeBadge',
          format: 'dc+sd-jwt',
          vct: '/vct/EmployeeBadge',
          display: [{ name: 'ACME employee badge', locale: 'en', logo: { uri: '/oid4vci/logo.svg', alt_text: 'ACME' }, background_color: '#aa0000', text_color: '#ffffff' }],
        },
      ]),
    );
    own = await startServiceProcess({ env: { WALLET_CREDENTIALS_FILE: file } });
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('publishes exactly those configurations, and the library wallet receives one with its vct', async () => {
    const wallet = newWallet();
    const metadata = await wallet.client.resolveIssuerMetadata(own.url);
    const supported = metadata.credentialIssuer.credential_configurations_supported as Record<string, any>;
    expect(Object.keys(supported)).toEqual(['EmployeeBadge']);
    expect(supported.EmployeeBadge).toMatchObject({ format: 'dc+sd-jwt', vct: `${own.url}/vct/EmployeeBadge` });
    expect(supported.EmployeeBadge.credential_metadata.display[0]).toMatchObject({ name: 'ACME employee badge', background_color: '#aa0000', logo: { uri: `${own.url}/oid4vci/logo.svg` } });

    const refused = await api(own, 'POST', '/v1/credential-offers', { credentialConfigurationId: 'IdentityCredential_sd_jwt', claims: PERSON });
    expect(refused.status).toBe(400);
    const created = await api(own, 'POST', '/v1/credential-offers', { credentialConfigurationId: 'EmployeeBadge', claims: PERSON });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const credential = await wallet.receive((created.json as { offerUri: string }).offerUri);
    expect(decode(credential)).toMatchObject({ iss: own.url, vct: `${own.url}/vct/EmployeeBadge` });
    expect((await api(own, 'POST', '/v1/credentials/verify', { credential })).json).toMatchObject({ verified: true, format: 'dc+sd-jwt', claims: PERSON });
  });

  it('refuses to start with a configuration file that is wrong, saying what is wrong', async () => {
    const file = path.join(makeTempDir('did-notary-wallet-credentials-'), 'credentials.json');
    fs.writeFileSync(file, JSON.stringify([{ id: 'Badge', format: 'dc+sd-jwt', display: [{ name: 'Badge' }] }]));
    const started = await promisify(execFile)(process.execPath, [CLI, 'serve'], { env: { PATH: process.env.PATH, DATA_DIR: makeTempDir('did-notary-wallet-bad-'), PORT: '0', WALLET_CREDENTIALS_FILE: file }, timeout: 60_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(started.code).not.toBe(0);
    expect(started.stderr).toContain('WALLET_CREDENTIALS_FILE');
    expect(started.stderr).toContain('configuration 1: a dc+sd-jwt configuration needs its vct');
  });
});
