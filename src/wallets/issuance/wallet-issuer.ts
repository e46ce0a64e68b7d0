// The OpenID4VCI 1.0 issuer (pre-authorized code flow) on @openid4vc/openid4vci and @openid4vc/oauth2:
// a business's offer, the wallet's token, nonce and credential requests. The libraries parse and check
// the protocol messages; this file keeps the state (single-use codes and nonces in the database) and
// hands the credential to the identity feature's issuer, bound to the key the wallet proved it holds.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import {
  Oauth2AuthorizationServer,
  Oauth2ErrorCodes,
  Oauth2ResourceServer,
  Oauth2ServerErrorResponseError,
  preAuthorizedCodeGrantIdentifier,
  SupportedAuthenticationScheme,
  type AuthorizationServerMetadata,
  type Jwk,
  type RequestLike,
} from '@openid4vc/oauth2';
import { Openid4vciIssuer, Openid4vciVersion, type CredentialIssuerMetadata, type IssuerMetadataResult } from '@openid4vc/openid4vci';
import { DomainError } from '../../core/errors';
import type { CredentialIssuer, IssuedCredential } from '../../identity/credentials/issuance/credential-issuer';
import { validateIssueRequest, type IssueCredentialRequest } from '../../identity/credentials/issuance/issue-request';
import type { ServiceCallbacks } from '../protocol-callbacks';
import type { OfferRecord, WalletStore } from '../sql/wallet-store';
import { WalletProtocolError } from '../wallet-errors';
import type { WalletCredentialConfiguration } from './credential-configurations';

/** What a business asks for in `POST /v1/credential-offers`. */
export interface CredentialOfferRequest {
  /** A credential configuration of the issuer metadata. */
  credentialConfigurationId: string;
  /** Claims about the holder. */
  claims: Record<string, unknown>;
  /** SD-JWT VC: the claims the holder may disclose one by one (default: every top-level claim). */
  disclosable?: Array<Array<string | number | null>>;
  /** When the credential expires (ISO 8601). */
  validUntil?: string;
  /** How long the offer (its pre-authorized code) stays redeemable, in seconds (default 600, at most 86,400). */
  expiresInSeconds?: number;
  /** Ask the wallet for a transaction code the business gives the user another way (default: none). */
  txCode?: boolean | { length?: number; description?: string };
}

/** What the business gets back: the URI to show (as a QR code) and, if asked for, the transaction code. */
export interface CreatedCredentialOffer {
  id: string;
  credentialConfigurationId: string;
  /** `openid-credential-offer://?credential_offer_uri=…` */
  offerUri: string;
  /** Where the wallet fetches the offer object. */
  credentialOfferUri: string;
  /** The transaction code (shown once; the service keeps only its hash). */
  txCode?: string;
  expiresAt: string;
}

export interface WalletIssuerOptions {
  store: WalletStore;
  credentials: CredentialIssuer;
  callbacks: ServiceCallbacks;
  /** The public base URL: the credential issuer identifier and the authorization server. */
  baseUrl: () => string;
  configurations: (base: string) => WalletCredentialConfiguration[];
  /** The ES256 key access tokens are signed with, as a public JWK with its kid. */
  accessTokenKey: () => Jwk;
  now?: () => number;
  /** Lifetime of an access token (default 300 s) and of a c_nonce (default 300 s). */
  accessTokenTtlSeconds?: number;
  nonceTtlSeconds?: number;
}

const DEFAULT_OFFER_TTL = 600;
const MAX_OFFER_TTL = 86_400;
const OFFER_FIELDS = new Set(['credentialConfigurationId', 'claims', 'disclosable', 'validUntil', 'expiresInSeconds', 'txCode']);

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

export class WalletIssuer {
  private readonly now: () => number;
  private readonly issuer: Openid4vciIssuer;
  private readonly authorizationServer: Oauth2AuthorizationServer;
  private readonly resourceServer: Oauth2ResourceServer;

  constructor(private readonly options: WalletIssuerOptions) {
    this.now = options.now ?? Date.now;
    this.issuer = new Openid4vciIssuer({ callbacks: options.callbacks });
    this.authorizationServer = new Oauth2AuthorizationServer({ callbacks: options.callbacks });
    this.resourceServer = new Oauth2ResourceServer({ callbacks: options.callbacks });
  }

  private base(): string {
    return this.options.baseUrl().replace(/\/+$/, '');
  }

  /** The configurations by id. */
  configurations(): Map<string, WalletCredentialConfiguration> {
    return new Map(this.options.configurations(this.base()).map((configuration) => [configuration.id, configuration]));
  }

  /** OAuth 2.0 Authorization Server Metadata (RFC 8414) of the service as its own authorization server. */
  authorizationServerMetadata(): AuthorizationServerMetadata {
    const base = this.base();
    return this.authorizationServer.createAuthorizationServerMetadata({
      issuer: base,
      token_endpoint: `${base}/oid4vci/token`,
      jwks_uri: `${base}/oid4vci/jwks`,
      grant_types_supported: [preAuthorizedCodeGrantIdentifier],
      'pre-authorized_grant_anonymous_access_supported': true,
    });
  }

  /** Credential Issuer Metadata (OpenID4VCI 1.0 §12.2). */
  credentialIssuerMetadata(): CredentialIssuerMetadata {
    const base = this.base();
    const supported = Object.fromEntries(
      [...this.configurations().values()].map((configuration) => {
        const common = {
          scope: configuration.id,
          proof_types_supported: { jwt: { proof_signing_alg_values_supported: ['ES256', 'ES256K', 'EdDSA'] } },
          credential_metadata: { display: configuration.display },
        };
        return [
          configuration.id,
          configuration.format === 'dc+sd-jwt'
            ? { ...common, format: 'dc+sd-jwt', vct: configuration.vct, cryptographic_binding_methods_supported: ['jwk', 'did:key', 'did:ethr', 'did:web'], credential_signing_alg_values_supported: ['ES256'] }
            : {
                ...common,
                format: 'jwt_vc_json',
                credential_definition: { type: configuration.types },
                cryptographic_binding_methods_supported: ['did:key', 'did:ethr', 'did:web'],
                credential_signing_alg_values_supported: ['ES256K'],
              },
        ];
      }),
    );
    return this.issuer.createCredentialIssuerMetadata({
      credential_issuer: base,
      credential_endpoint: `${base}/oid4vci/credential`,
      nonce_endpoint: `${base}/oid4vci/nonce`,
      display: [{ name: 'did-notary', locale: 'en', logo: { uri: `${base}/oid4vci/logo.svg`, alt_text: 'did-notary' } }],
      credential_configurations_supported: supported as unknown as CredentialIssuerMetadata['credential_configurations_supported'],
    });
  }

  private issuerMetadata(): IssuerMetadataResult {
    const credentialIssuer = this.credentialIssuerMetadata();
    return {
      originalDraftVersion: Openid4vciVersion.V1,
      credentialIssuer,
      authorizationServers: [this.authorizationServerMetadata()],
      knownCredentialConfigurations: this.issuer.getKnownCredentialConfigurationsSupported(credentialIssuer),
    };
  }

  /** Creates an offer for a tenant: checked as the credential will be issued, stored with its code's hash. */
  async createOffer(tenantId: string, input: unknown): Promise<CreatedCredentialOffer> {
    const request = validateOfferRequest(input);
    const configuration = this.configurations().get(request.credentialConfigurationId);
    if (!configuration) throw invalidOffer('credentialConfigurationId', `is not one of ${[...this.configurations().keys()].join(', ')}`);
    const nowMs = this.now();
    // The claims are checked now, with a stand-in holder, so a bad offer fails here and not in the wallet.
    validateIssueRequest(issueRequestFor(configuration, request, { did: 'did:example:holder' }), nowMs);
    const ttl = request.expiresInSeconds ?? DEFAULT_OFFER_TTL;
    const id = randomBytes(18).toString('base64url');
    const code = randomBytes(24).toString('base64url');
    const txCode = request.txCode ? generateTxCode(typeof request.txCode === 'object' ? (request.txCode.length ?? 6) : 6) : undefined;
    const expiresAt = new Date(nowMs + ttl * 1000);
    await this.options.store.insertOffer({
      id,
      tenantId,
      configurationId: configuration.id,
      credential: { claims: request.claims, ...(request.disclosable ? { disclosable: request.disclosable } : {}), ...(request.validUntil ? { validUntil: request.validUntil } : {}), ...(request.txCode ? { txCode: request.txCode } : {}) },
      codeHash: sha256Hex(code),
      txCodeHash: txCode === undefined ? null : sha256Hex(txCode),
      createdAt: new Date(nowMs),
      expiresAt,
    });
    const credentialOfferUri = `${this.base()}/oid4vci/offers/${id}`;
    return {
      id,
      credentialConfigurationId: configuration.id,
      offerUri: offerUri(credentialOfferUri),
      credentialOfferUri,
      ...(txCode !== undefined ? { txCode } : {}),
      expiresAt: expiresAt.toISOString(),
    };
  }

  /** The `openid-credential-offer://` URI of a tenant's offer (what its QR code holds). */
  async offerUriFor(id: string): Promise<string> {
    const offer = await this.options.store.offerById(id);
    if (!offer) throw new DomainError('CREDENTIAL_OFFER_NOT_FOUND', 'no such credential offer');
    return offerUri(`${this.base()}/oid4vci/offers/${id}`);
  }

  /**
   * The credential offer object a wallet fetches by reference. It carries the pre-authorized code, and
   * only its hash is stored: each fetch makes a new code and voids the one handed out before, so only
   * the last wallet to fetch an unredeemed offer can redeem it.
   */
  async offerObject(id: string): Promise<Record<string, unknown>> {
    const offer = await this.options.store.offerById(id);
    if (!offer) throw new DomainError('CREDENTIAL_OFFER_NOT_FOUND', 'no such credential offer');
    if (offer.redeemedAt) throw new DomainError('CREDENTIAL_OFFER_USED', 'this credential offer was already accepted by a wallet');
    if (offer.expiresAt.getTime() <= this.now()) throw new DomainError('CREDENTIAL_OFFER_EXPIRED', 'this credential offer expired');
    const code = randomBytes(24).toString('base64url');
    await this.options.store.rekeyOffer(id, sha256Hex(code));
    const txCode = (offer.credential.txCode ?? undefined) as CredentialOfferRequest['txCode'];
    const { credentialOfferObject } = await this.issuer.createCredentialOffer({
      issuerMetadata: this.issuerMetadata(),
      credentialConfigurationIds: [offer.configurationId],
      grants: {
        [preAuthorizedCodeGrantIdentifier]: {
          'pre-authorized_code': code,
          ...(txCode
            ? { tx_code: { input_mode: 'numeric', length: typeof txCode === 'object' ? (txCode.length ?? 6) : 6, ...(typeof txCode === 'object' && txCode.description ? { description: txCode.description } : {}) } }
            : {}),
        },
      },
    });
    return credentialOfferObject;
  }

  /** The token endpoint: redeems a pre-authorized code (and its transaction code) once, for an access token. */
  async token(request: RequestLike, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const authorizationServerMetadata = this.authorizationServerMetadata();
    const parsed = await asWalletError(async () => this.authorizationServer.parseAccessTokenRequest({ request, accessTokenRequest: body, authorizationServerMetadata }));
    if (parsed.grant.grantType !== preAuthorizedCodeGrantIdentifier) {
      throw new WalletProtocolError('unsupported_grant_type', 'only the pre-authorized code grant is supported');
    }
    const { preAuthorizedCode, txCode } = parsed.grant;
    const now = new Date(this.now());
    const offer = await this.options.store.offerByCodeHash(sha256Hex(preAuthorizedCode));
    if (!offer) throw new WalletProtocolError('invalid_grant', 'the pre-authorized code is unknown, or was replaced by a newer fetch of the offer');
    if (offer.redeemedAt) throw new WalletProtocolError('invalid_grant', 'the pre-authorized code was already used');
    if (offer.expiresAt <= now) throw new WalletProtocolError('invalid_grant', 'the pre-authorized code expired');
    if (offer.txCodeHash !== null) {
      if (txCode === undefined) throw new WalletProtocolError('invalid_request', 'this offer needs its transaction code (tx_code)');
      if (sha256Hex(txCode) !== offer.txCodeHash) {
        await this.options.store.recordTxCodeFailure(offer.id);
        throw new WalletProtocolError('invalid_grant', 'the transaction code (tx_code) is wrong');
      }
    } else if (txCode !== undefined) throw new WalletProtocolError('invalid_request', 'this offer has no transaction code, and the request sends one');
    await asWalletError(() =>
      this.authorizationServer.verifyPreAuthorizedCodeAccessTokenRequest({
        authorizationServerMetadata,
        grant: parsed.grant as Extract<typeof parsed.grant, { grantType: typeof preAuthorizedCodeGrantIdentifier }>,
        accessTokenRequest: parsed.accessTokenRequest,
        request,
        expectedPreAuthorizedCode: preAuthorizedCode,
        ...(txCode !== undefined ? { expectedTxCode: txCode } : {}),
        preAuthorizedCodeExpiresAt: offer.expiresAt,
        now,
      }),
    );
    const redeemed = await this.options.store.redeemCode(offer.codeHash, now);
    if (typeof redeemed === 'string') throw new WalletProtocolError('invalid_grant', redeemed === 'used' ? 'the pre-authorized code was already used' : `the pre-authorized code is ${redeemed}`);
    return this.authorizationServer.createAccessTokenResponse({
      authorizationServer: authorizationServerMetadata.issuer,
      audience: this.base(),
      signer: { method: 'jwk', alg: 'ES256', publicJwk: this.options.accessTokenKey() },
      subject: offer.id,
      scope: offer.configurationId,
      expiresInSeconds: this.options.accessTokenTtlSeconds ?? 300,
      now,
    });
  }

  /** The nonce endpoint: a fresh single-use c_nonce, stored so any replica can check it. */
  async nonce(): Promise<{ c_nonce: string; c_nonce_expires_in: number }> {
    const ttl = this.options.nonceTtlSeconds ?? 300;
    const nonce = randomBytes(24).toString('base64url');
    await this.options.store.insertNonce(nonce, new Date(this.now() + ttl * 1000));
    this.cleanUpOccasionally();
    return this.issuer.createNonceResponse({ cNonce: nonce, cNonceExpiresIn: ttl }) as { c_nonce: string; c_nonce_expires_in: number };
  }

  /**
   * The credential endpoint: the access token, the request, the proof of possession (signed by the
   * wallet's key over a live c_nonce of ours), then the offer's one credential, bound to that key.
   * Every check runs before anything is written: a refused request spends neither nonce nor offer.
   */
  async credential(request: RequestLike, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const issuerMetadata = this.issuerMetadata();
    const { tokenPayload } = await asWalletError(() =>
      this.resourceServer.verifyResourceRequest({
        request,
        resourceServer: this.base(),
        authorizationServers: issuerMetadata.authorizationServers,
        allowedAuthenticationSchemes: [SupportedAuthenticationScheme.Bearer, SupportedAuthenticationScheme.DPoP],
        now: new Date(this.now()),
      }),
    );
    const offer = typeof tokenPayload.sub === 'string' ? await this.options.store.offerById(tokenPayload.sub) : undefined;
    if (!offer) throw new WalletProtocolError('invalid_token', 'the access token names no credential offer', 401);
    const parsed = await asWalletError(async () => this.issuer.parseCredentialRequest({ issuerMetadata, credentialRequest: body }));
    const configurationId = parsed.credentialConfigurationId ?? parsed.credentialIdentifier;
    if (configurationId !== offer.configurationId) {
      throw new WalletProtocolError('unknown_credential_configuration', `this access token is for ${offer.configurationId}, not ${configurationId ?? 'an unnamed configuration'}`);
    }
    const configuration = this.configurations().get(offer.configurationId);
    if (!configuration) throw new WalletProtocolError('unknown_credential_configuration', `${offer.configurationId} is no longer offered`);
    const proofs = parsed.proofs?.jwt;
    if (!proofs || proofs.length !== 1) throw new WalletProtocolError('invalid_proof', 'send exactly one proof of possession of type jwt');
    const proofJwt = proofs[0]!;
    const nonce = nonceOfProof(proofJwt);
    const now = new Date(this.now());
    const nonceExpiresAt = nonce === undefined ? undefined : await this.options.store.liveNonce(nonce, now);
    if (!nonceExpiresAt) throw new WalletProtocolError('invalid_nonce', 'the proof must carry a live c_nonce from the nonce endpoint (this one is missing, unknown, used or expired)');
    const verified = await asWalletError(
      () => this.issuer.verifyCredentialRequestJwtProof({ issuerMetadata, jwt: proofJwt, expectedNonce: nonce!, nonceExpiresAt, now }),
      'invalid_proof',
    );
    const holder = verified.signer.method === 'jwk' ? { jwk: publicPart(verified.signer.publicJwk) } : verified.signer.method === 'did' ? { did: verified.signer.didUrl } : undefined;
    if (!holder) throw new WalletProtocolError('invalid_proof', 'the proof must name its key as a jwk or a DID URL kid');
    if (configuration.format === 'jwt_vc_json' && !('did' in holder)) {
      throw new WalletProtocolError('invalid_proof', 'a jwt_vc_json credential is bound to a DID: sign the proof with a DID key (kid: a DID URL)');
    }
    if (offer.issuedAt) throw new WalletProtocolError('credential_request_denied', 'the credential of this offer was already issued');
    if (!(await this.options.store.spendNonce(nonce!, now))) throw new WalletProtocolError('invalid_nonce', 'the c_nonce was used by another request meanwhile');
    if (!(await this.options.store.claimIssuance(offer.id, now))) throw new WalletProtocolError('credential_request_denied', 'the credential of this offer was already issued');
    let issued: IssuedCredential;
    try {
      ({ result: issued } = await this.options.credentials.issue(offer.tenantId, issueRequestFor(configuration, offerRequestOf(offer), holder)));
    } catch (error) {
      await this.options.store.releaseIssuance(offer.id);
      if (error instanceof DomainError) throw new WalletProtocolError('invalid_credential_request', error.message);
      throw error;
    }
    await this.options.store.recordIssuedCredential(offer.id, issued.id);
    const credential = issued.format === 'dc+sd-jwt' ? issued.sdJwt : issued.jwt;
    const { credentialResponse } = await this.issuer.createCredentialResponse({ credentialRequest: parsed, credentials: [{ credential }] });
    return credentialResponse;
  }

  private lastCleanup = 0;
  private cleanUpOccasionally(): void {
    const nowMs = this.now();
    if (nowMs - this.lastCleanup < 600_000) return;
    this.lastCleanup = nowMs;
    this.options.store.deleteExpiredBefore(new Date(nowMs - 86_400_000)).catch(() => undefined);
  }
}

/** The identity feature's issue request for an offer, bound to the holder's key (SD-JWT VC) or DID (W3C). */
function issueRequestFor(configuration: WalletCredentialConfiguration, offer: Pick<CredentialOfferRequest, 'claims' | 'disclosable' | 'validUntil'>, holder: { jwk: Record<string, unknown> } | { did: string }): IssueCredentialRequest {
  const validity = offer.validUntil ? { validUntil: offer.validUntil } : {};
  if (configuration.format === 'dc+sd-jwt') {
    return { format: 'dc+sd-jwt', vct: configuration.vct, claims: offer.claims, ...(offer.disclosable ? { disclosable: offer.disclosable } : {}), holder, ...validity };
  }
  const subject = 'did' in holder ? holder.did.split('#')[0]! : 'did:example:holder';
  return { format: 'jwt_vc_json', type: configuration.types.filter((type) => type !== 'VerifiableCredential'), subject, claims: offer.claims, ...validity };
}

function offerRequestOf(offer: OfferRecord): Pick<CredentialOfferRequest, 'claims' | 'disclosable' | 'validUntil'> {
  return offer.credential as Pick<CredentialOfferRequest, 'claims' | 'disclosable' | 'validUntil'>;
}

function offerUri(credentialOfferUri: string): string {
  return `openid-credential-offer://?credential_offer_uri=${encodeURIComponent(credentialOfferUri)}`;
}

function validateOfferRequest(input: unknown): CredentialOfferRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidOffer('body', 'must be a JSON object');
  const body = input as Record<string, unknown>;
  const unknown = Object.keys(body).find((field) => !OFFER_FIELDS.has(field));
  if (unknown) throw invalidOffer(unknown, 'is not a field of a credential offer request');
  if (typeof body.credentialConfigurationId !== 'string') throw invalidOffer('credentialConfigurationId', 'must be a string');
  if (typeof body.claims !== 'object' || body.claims === null || Array.isArray(body.claims)) throw invalidOffer('claims', 'must be an object');
  const ttl = body.expiresInSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || (ttl as number) < 1 || (ttl as number) > MAX_OFFER_TTL)) throw invalidOffer('expiresInSeconds', `must be a whole number from 1 to ${MAX_OFFER_TTL}`);
  const txCode = body.txCode;
  if (txCode !== undefined && typeof txCode !== 'boolean') {
    if (typeof txCode !== 'object' || txCode === null) throw invalidOffer('txCode', 'must be true, false or {length, description}');
    const { length, description, ...rest } = txCode as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw invalidOffer(`txCode.${Object.keys(rest)[0]}`, 'is not a field of txCode');
    if (length !== undefined && (!Number.isInteger(length) || (length as number) < 4 || (length as number) > 12)) throw invalidOffer('txCode.length', 'must be a whole number from 4 to 12');
    if (description !== undefined && (typeof description !== 'string' || description.length > 300)) throw invalidOffer('txCode.description', 'must be a string of at most 300 characters');
  }
  return body as unknown as CredentialOfferRequest;
}

function invalidOffer(field: string, message: string): DomainError {
  return new DomainError('INVALID_CREDENTIAL_OFFER_REQUEST', `${field} ${message}`, { field });
}

function generateTxCode(length: number): string {
  return Array.from({ length }, () => String(randomInt(10))).join('');
}

function nonceOfProof(jwt: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { nonce?: unknown };
    return typeof payload.nonce === 'string' ? payload.nonce : undefined;
  } catch {
    return undefined;
  }
}

function publicPart(jwk: Jwk): Record<string, unknown> {
  const { kty, crv, x, y } = jwk as Record<string, unknown>;
  return { kty, crv, x, ...(y !== undefined ? { y } : {}) };
}

/** Runs a library step; its OAuth error response (or a malformed message) becomes the wallet's answer. */
async function asWalletError<T>(step: () => Promise<T>, fallback: string = Oauth2ErrorCodes.InvalidRequest): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof WalletProtocolError) throw error;
    if (error instanceof Oauth2ServerErrorResponseError) {
      const code = error.errorResponse.error;
      const status = code === 'invalid_token' || code === 'invalid_dpop_proof' ? 401 : error.status >= 400 && error.status < 500 ? error.status : 400;
      throw new WalletProtocolError(code, error.errorResponse.error_description ?? error.message, status);
    }
    if (error instanceof Error && /Oauth2|Openid4vci|Validation|Jwt|ResourceUnauthorized/i.test(error.name + error.constructor.name)) {
      const unauthorized = error.constructor.name === 'Oauth2ResourceUnauthorizedError';
      throw new WalletProtocolError(unauthorized ? 'invalid_token' : fallback, error.message, unauthorized ? 401 : 400);
    }
    throw error;
  }
}

