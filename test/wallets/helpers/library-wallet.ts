// A wallet for tests, none of it this project's code: the holder side of @openid4vc/openid4vci and
// @openid4vc/openid4vp, with keys and signatures from node:crypto and jose, SD-JWT presentations by
// @sd-jwt/sd-jwt-vc, VP-JWTs by did-jwt-vc and credential selection by dcql. It talks to the service
// over HTTP only; `fetch` may be replaced (to send some requests to another replica).
import { createHash, generateKeyPairSync, randomBytes, sign as nodeSign, type KeyObject } from 'node:crypto';
import { clientAuthenticationAnonymous, type CallbackContext, type Jwk, type JwtSigner } from '@openid4vc/oauth2';
import { Openid4vciClient } from '@openid4vc/openid4vci';
import { Openid4vpClient } from '@openid4vc/openid4vp';
import { setGlobalConfig } from '@openid4vc/utils';
import { bytesToMultibase, EdDSASigner } from 'did-jwt';
import { createVerifiablePresentationJwt } from 'did-jwt-vc';
import { DcqlQuery } from 'dcql';
import { compactVerify, importJWK } from 'jose';
import { libraryHolder } from '../../identity/credentials/helpers/sd-jwt-library';

// The service under test listens on http://127.0.0.1: the libraries must accept http URLs.
setGlobalConfig({ allowInsecureUrls: true });

export interface WalletKey {
  /** A P-256 key (jwk binding). */
  publicJwk: Jwk;
  privateKey: KeyObject;
  /** An Ed25519 did:key (DID binding) and the DID URL of its key. */
  did: string;
  didUrl: string;
  didPrivate: { d: string; x: string };
}

/** A fresh holder: a P-256 key and an Ed25519 did:key. */
export function freshWalletKey(): WalletKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as { d: string; x: string };
  const did = `did:key:${bytesToMultibase(Buffer.from(ed.x, 'base64url'), 'base58btc', 'ed25519-pub')}`;
  return { publicJwk: { kty: kty!, crv, x, y }, privateKey, did, didUrl: `${did}#${did.slice('did:key:'.length)}`, didPrivate: ed };
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The wallet's callbacks: it signs with its own keys, and checks the verifier's request object via its did:web document. */
export function walletCallbacks(keys: WalletKey[], options: { fetch?: typeof fetch; didWebDocumentUrl?: string } = {}): CallbackContext {
  return {
    fetch: options.fetch ?? fetch,
    hash: (data, alg) => new Uint8Array(createHash(alg.replace('-', '')).update(data).digest()),
    generateRandom: (length) => new Uint8Array(randomBytes(length)),
    clientAuthentication: clientAuthenticationAnonymous(),
    signJwt: (signer: JwtSigner, { header, payload }) => {
      const input = (alg: string) => `${b64({ ...header, alg })}.${b64(payload)}`;
      if (signer.method === 'jwk') {
        const key = keys.find((k) => k.publicJwk.x === signer.publicJwk.x);
        if (!key) throw new Error('the wallet holds no such key');
        const signingInput = input('ES256');
        return { jwt: `${signingInput}.${nodeSign('sha256', Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`, signerJwk: key.publicJwk };
      }
      if (signer.method === 'did') {
        const key = keys.find((k) => k.didUrl === signer.didUrl);
        if (!key) throw new Error('the wallet holds no such DID key');
        const signingInput = input('EdDSA');
        const signature = EdDSASigner(Buffer.from(key.didPrivate.d, 'base64url'))(signingInput) as Promise<string>;
        return signature.then((sig) => ({ jwt: `${signingInput}.${sig}`, signerJwk: { kty: 'OKP', crv: 'Ed25519', x: key.didPrivate.x } }));
      }
      throw new Error(`the wallet cannot sign as ${signer.method}`);
    },
    // The verifier's request object is signed by a key of its did:web: fetched over HTTP (the test service has no TLS).
    verifyJwt: async (signer, { compact }) => {
      if (signer.method !== 'did' || !options.didWebDocumentUrl) return { verified: false };
      const document = (await (await fetch(options.didWebDocumentUrl)).json()) as { verificationMethod: Array<{ id: string; publicKeyJwk?: Jwk }> };
      const method = document.verificationMethod.find((m) => m.id === signer.didUrl);
      if (!method?.publicKeyJwk) return { verified: false };
      try {
        await compactVerify(compact, await importJWK(method.publicKeyJwk as never, 'ES256'));
        return { verified: true, signerJwk: method.publicKeyJwk };
      } catch {
        return { verified: false };
      }
    },
    encryptJwe: () => {
      throw new Error('not used');
    },
    decryptJwe: () => {
      throw new Error('not used');
    },
  };
}

/** The steps of a pre-authorized issuance, each open to a test that wants to break one. */
export class LibraryIssuanceWallet {
  readonly client: Openid4vciClient;
  constructor(
    readonly key: WalletKey,
    callbacks: CallbackContext,
  ) {
    this.client = new Openid4vciClient({ callbacks });
  }

  async resolve(offerUri: string) {
    const offer = await this.client.resolveCredentialOffer(offerUri);
    const metadata = await this.client.resolveIssuerMetadata(offer.credential_issuer);
    return { offer, metadata };
  }

  async token(resolved: Awaited<ReturnType<LibraryIssuanceWallet['resolve']>>, txCode?: string) {
    const { accessTokenResponse } = await this.client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: resolved.offer,
      issuerMetadata: resolved.metadata,
      ...(txCode !== undefined ? { txCode } : {}),
    });
    return accessTokenResponse.access_token;
  }

  async proof(resolved: Awaited<ReturnType<LibraryIssuanceWallet['resolve']>>, nonce: string, binding: 'jwk' | 'did' = 'jwk', signWith: WalletKey = this.key) {
    const configurationId = resolved.offer.credential_configuration_ids[0]!;
    const signer: JwtSigner = binding === 'jwk' ? { method: 'jwk', alg: 'ES256', publicJwk: signWith.publicJwk } : { method: 'did', alg: 'EdDSA', didUrl: signWith.didUrl };
    return (await this.client.createCredentialRequestJwtProof({ issuerMetadata: resolved.metadata, credentialConfigurationId: configurationId, nonce, signer })).jwt;
  }

  async credential(resolved: Awaited<ReturnType<LibraryIssuanceWallet['resolve']>>, accessToken: string, proofJwt: string) {
    const response = await this.client.retrieveCredentials({
      issuerMetadata: resolved.metadata,
      accessToken,
      credentialConfigurationId: resolved.offer.credential_configuration_ids[0]!,
      proofs: { jwt: [proofJwt] },
    });
    const credentials = response.credentialResponse.credentials as Array<{ credential: string }> | undefined;
    return credentials![0]!.credential;
  }

  /** Offer → metadata → token → nonce → proof → credential. */
  async receive(offerUri: string, options: { txCode?: string; binding?: 'jwk' | 'did' } = {}): Promise<string> {
    const resolved = await this.resolve(offerUri);
    const accessToken = await this.token(resolved, options.txCode);
    const { c_nonce } = await this.client.requestNonce({ issuerMetadata: resolved.metadata });
    return this.credential(resolved, accessToken, await this.proof(resolved, c_nonce, options.binding));
  }
}

/** The holder side of OpenID4VP: resolve the request by reference, pick what the DCQL query asks, answer by direct_post. */
export class LibraryPresentationWallet {
  readonly client: Openid4vpClient;
  constructor(
    readonly key: WalletKey,
    private readonly callbacks: CallbackContext,
  ) {
    this.client = new Openid4vpClient({ callbacks });
  }

  async resolve(requestUri: string) {
    const parsed = this.client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: requestUri });
    return this.client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params as never, responseMode: { type: 'direct_post' } as never });
  }

  /**
   * The vp_token for a resolved request: for each credential query, an SD-JWT presentation with exactly
   * the claims dcql selects (KB-JWT over the request's nonce, for `audience`), or a VP-JWT around a W3C credential.
   */
  async vpToken(resolved: Awaited<ReturnType<LibraryPresentationWallet['resolve']>>, held: Record<string, string>, options: { audience?: string; nonce?: string; omitClaims?: string[] } = {}): Promise<Record<string, string[]>> {
    const payload = resolved.authorizationRequestPayload as { nonce: string; client_id: string };
    const query = DcqlQuery.parse(resolved.dcql!.query as DcqlQuery.Input);
    const token: Record<string, string[]> = {};
    for (const credentialQuery of query.credentials) {
      const credential = held[credentialQuery.id];
      if (!credential) continue;
      const nonce = options.nonce ?? payload.nonce;
      const audience = options.audience ?? payload.client_id;
      if (credentialQuery.format === 'dc+sd-jwt') {
        const frame: Record<string, boolean> = {};
        for (const claim of credentialQuery.claims ?? []) {
          const name = String((claim as { path: unknown[] }).path[0]);
          if (!options.omitClaims?.includes(name)) frame[name] = true;
        }
        const holder = libraryHolder(async (data) => nodeSign('sha256', Buffer.from(data), { key: this.key.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url'));
        token[credentialQuery.id] = [await holder.present(credential, frame as never, { kb: { payload: { iat: Math.floor(Date.now() / 1000), aud: audience, nonce } } })];
      } else {
        const vp = await createVerifiablePresentationJwt(
          { vp: { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiablePresentation'], verifiableCredential: [credential] }, aud: audience, nonce },
          { did: this.key.did, signer: EdDSASigner(Buffer.from(this.key.didPrivate.d, 'base64url')), alg: 'EdDSA' },
        );
        token[credentialQuery.id] = [vp];
      }
    }
    return token;
  }

  /** Posts a vp_token to the request's response_uri (or another); the HTTP answer. */
  async submit(resolved: Awaited<ReturnType<LibraryPresentationWallet['resolve']>>, vpToken: Record<string, string[]>, responseUri?: string) {
    const payload = resolved.authorizationRequestPayload as { response_uri: string; state?: string };
    const { response } = await this.client.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: { response_uri: responseUri ?? payload.response_uri },
      authorizationResponsePayload: { vp_token: vpToken, ...(payload.state ? { state: payload.state } : {}) },
    });
    void this.callbacks;
    return { status: response.status, body: (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined };
  }
}
