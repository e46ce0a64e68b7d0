// The OpenID4VP 1.0 verifier on @openid4vc/openid4vp: an app's presentation request (a DCQL query and a
// purpose) becomes a request object signed by the service's did:web key, fetched by reference; the
// wallet's `direct_post` answer is parsed by the library, each presentation checked by the identity
// feature's verifiers (signature, disclosures, status, key binding to this request's nonce and this
// verifier), matched against the query with `dcql`, and only then recorded, once, with the claims the
// query asked for. A refused answer records nothing: the request stays open until it expires.
import { randomBytes } from 'node:crypto';
import { Openid4vpVerifier } from '@openid4vc/openid4vp';
import { DcqlPresentationResult, DcqlQuery } from 'dcql';
import { DomainError } from '../../core/errors';
import type { CredentialVerificationResult, CredentialVerifier } from '../../identity/credentials/verification/credential-verifier';
import type { PresentationChallenges } from '../../identity/credentials/verification/presentation-challenges';
import type { PresentationVerifier } from '../../identity/credentials/verification/presentation-verifier';
import type { ServiceCallbacks } from '../protocol-callbacks';
import type { PresentationRequestRecord, WalletStore } from '../sql/wallet-store';
import { WalletProtocolError } from '../wallet-errors';

/** What an app asks for in `POST /v1/presentation-requests`. */
export interface PresentationRequestInput {
  /** A DCQL query (OpenID4VP 1.0 §6) over `dc+sd-jwt` and `jwt_vc_json` credentials. */
  dcqlQuery: Record<string, unknown>;
  /** What the app will do with the answer: shown to the user by the wallet (client_name). */
  purpose: string;
  /** How long the wallet has to answer, in seconds (default 600, at most 3,600). */
  expiresInSeconds?: number;
}

export interface CreatedPresentationRequest {
  id: string;
  /** `openid4vp://?client_id=…&request_uri=…`: what the QR code holds. */
  requestUri: string;
  /** Where the wallet fetches the signed request object. */
  requestObjectUri: string;
  clientId: string;
  expiresAt: string;
}

/** One credential of a verified answer: its format, issuer, type and the claims the query asked for. */
export interface PresentedCredential {
  format: 'dc+sd-jwt' | 'jwt_vc_json';
  issuer: string | null;
  holder: string | null;
  types: string[];
  claims: Record<string, unknown>;
}

export interface PresentationRequestStatusView {
  id: string;
  status: 'pending' | 'verified' | 'expired';
  purpose: string;
  createdAt: string;
  expiresAt: string;
  answeredAt: string | null;
  /** Verified answers: by credential query id. */
  credentials?: Record<string, PresentedCredential>;
}

/** Told of a verified answer inside the transaction that records it (webhooks subscribe here). */
export type PresentationVerifiedListener = (tx: Parameters<Parameters<WalletStore['db']['transaction']>[0]>[0], event: { tenantId: string; view: PresentationRequestStatusView }) => Promise<void>;

export interface WalletVerifierOptions {
  store: WalletStore;
  callbacks: ServiceCallbacks;
  credentials: CredentialVerifier;
  presentations: PresentationVerifier;
  challenges: PresentationChallenges;
  baseUrl: () => string;
  /** The service's did:web and the DID URL of its active ES256 key, which signs request objects. */
  didWeb: () => string;
  signingKeyId: () => string;
  now?: () => number;
  onVerified?: PresentationVerifiedListener;
}

const SUPPORTED_FORMATS = new Set(['dc+sd-jwt', 'jwt_vc_json']);
const REQUEST_FIELDS = new Set(['dcqlQuery', 'purpose', 'expiresInSeconds']);

export class WalletVerifier {
  private readonly now: () => number;
  private readonly verifier: Openid4vpVerifier;

  constructor(private readonly options: WalletVerifierOptions) {
    this.now = options.now ?? Date.now;
    this.verifier = new Openid4vpVerifier({ callbacks: options.callbacks });
  }

  private base(): string {
    return this.options.baseUrl().replace(/\/+$/, '');
  }

  /** The verifier's client identifier: its did:web, with the OpenID4VP 1.0 prefix for DIDs. */
  clientId(): string {
    return `decentralized_identifier:${this.options.didWeb()}`;
  }

  /** Creates a request for a tenant: the nonce is a presentation challenge bound to this verifier. */
  async create(tenantId: string, input: unknown): Promise<CreatedPresentationRequest> {
    const request = validateRequest(input);
    const ttl = request.expiresInSeconds ?? 600;
    const clientId = this.clientId();
    const challenge = await this.options.challenges.create(tenantId, { domain: clientId, ttlSeconds: ttl });
    const id = randomBytes(18).toString('base64url');
    const requestObjectUri = `${this.base()}/oid4vp/requests/${id}`;
    const { jar } = await this.verifier.createOpenId4vpAuthorizationRequest({
      authorizationRequestPayload: {
        response_type: 'vp_token',
        client_id: clientId,
        response_mode: 'direct_post',
        response_uri: `${this.base()}/oid4vp/responses/${id}`,
        nonce: challenge.nonce,
        state: id,
        dcql_query: request.dcqlQuery,
        client_metadata: {
          client_name: request.purpose,
          vp_formats_supported: { 'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256', 'ES256K', 'EdDSA'] }, jwt_vc_json: { alg_values: ['ES256K', 'ES256', 'EdDSA'] } },
        },
      },
      jar: { requestUri: requestObjectUri, jwtSigner: { method: 'did', didUrl: this.options.signingKeyId(), alg: 'ES256' }, expiresInSeconds: ttl },
      now: new Date(this.now()),
    });
    const createdAt = new Date(this.now());
    const expiresAt = new Date(challenge.expiresAt);
    await this.options.store.insertPresentationRequest({
      id,
      tenantId,
      dcqlQuery: request.dcqlQuery,
      purpose: request.purpose,
      nonce: challenge.nonce,
      requestObject: jar!.authorizationRequestJwt,
      createdAt,
      expiresAt,
    });
    return { id, requestUri: requestUri(clientId, requestObjectUri), requestObjectUri, clientId, expiresAt: expiresAt.toISOString() };
  }

  /** The `openid4vp://` URI of a request (what its QR code holds). */
  async requestUriFor(id: string): Promise<string> {
    const record = await this.options.store.presentationRequestById(id);
    if (!record) throw new DomainError('PRESENTATION_REQUEST_NOT_FOUND', 'no presentation request with this id');
    return requestUri(requestPayloadOf(record.requestObject).client_id as string, `${this.base()}/oid4vp/requests/${id}`);
  }

  /** The signed request object a wallet fetches (while the request is open). */
  async requestObject(id: string): Promise<string> {
    const record = await this.options.store.presentationRequestById(id);
    if (!record || record.answeredAt || record.expiresAt.getTime() <= this.now()) {
      throw new DomainError('PRESENTATION_REQUEST_NOT_FOUND', 'no open presentation request with this id (unknown, answered or expired)');
    }
    return record.requestObject;
  }

  /** A tenant's request and, once verified, the claims the query asked for. */
  async status(tenantId: string, id: string): Promise<PresentationRequestStatusView> {
    const record = await this.options.store.presentationRequestById(id);
    if (!record || record.tenantId !== tenantId) throw new DomainError('PRESENTATION_REQUEST_NOT_FOUND', 'no presentation request with this id for this tenant');
    return statusView(record, this.now());
  }

  /**
   * The `direct_post` response endpoint. The library parses the answer against the request it answers
   * (`state`, the DCQL query ids); each presentation is verified; nothing is written unless all hold.
   */
  async respond(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const record = await this.options.store.presentationRequestById(id);
    if (!record) throw new WalletProtocolError('invalid_request', 'no presentation request with this id', 404);
    if (record.answeredAt) throw new WalletProtocolError('invalid_request', 'this presentation request was already answered: a presentation is accepted once');
    if (record.expiresAt.getTime() <= this.now()) throw new WalletProtocolError('invalid_request', 'this presentation request expired');
    const authorizationRequestPayload = requestPayloadOf(record.requestObject);
    let parsed;
    try {
      parsed = await this.verifier.parseOpenid4vpAuthorizationResponse({ authorizationResponse: body, authorizationRequestPayload: authorizationRequestPayload as never, callbacks: this.options.callbacks });
    } catch (error) {
      throw new WalletProtocolError('invalid_request', `the authorization response does not answer this request: ${(error as Error).message}`.slice(0, 500));
    }
    if (parsed.type !== 'dcql') throw new WalletProtocolError('invalid_request', 'answer with a DCQL vp_token');
    const query = DcqlQuery.parse(record.dcqlQuery as DcqlQuery.Input);
    const clientId = authorizationRequestPayload.client_id as string;
    const credentials: Record<string, PresentedCredential> = {};
    const dcqlPresentations: Record<string, unknown> = {};
    for (const [queryId, presentations] of Object.entries(parsed.dcql.presentations)) {
      const credentialQuery = query.credentials.find((candidate) => candidate.id === queryId);
      if (!credentialQuery) throw new WalletProtocolError('invalid_presentation', `the vp_token answers ${queryId}, which the query does not ask for`);
      if (presentations.length !== 1) throw new WalletProtocolError('invalid_presentation', `send one presentation for ${queryId}`);
      const presentation = presentations[0];
      if (typeof presentation !== 'string') throw new WalletProtocolError('invalid_presentation', `the presentation for ${queryId} must be a compact SD-JWT or VP-JWT`);
      const checked = await this.verifyPresentation(record, credentialQuery.format, presentation, clientId);
      credentials[queryId] = checked.presented;
      dcqlPresentations[queryId] = checked.dcql;
    }
    // The DCQL match: every required credential query answered, with the claims (and values) it names.
    let match;
    try {
      match = DcqlPresentationResult.fromDcqlPresentation(dcqlPresentations as never, { dcqlQuery: query });
    } catch (error) {
      throw new WalletProtocolError('invalid_presentation', `the presentations do not match the query: ${(error as Error).message}`.slice(0, 500));
    }
    if (!match.can_be_satisfied) {
      const missing = Object.entries(match.credential_matches)
        .filter(([, result]) => !result.success)
        .map(([queryId]) => queryId);
      throw new WalletProtocolError('invalid_presentation', `the presentation does not satisfy the query: ${missing.join(', ') || 'a required credential'} lacks a requested claim or value`);
    }
    for (const [queryId, presented] of Object.entries(credentials)) {
      const credentialQuery = query.credentials.find((candidate) => candidate.id === queryId)!;
      presented.claims = onlyRequested(presented.claims, credentialQuery.claims as Array<{ path: Array<string | number | null> }> | undefined, presented.format);
    }
    // Single use: the nonce (the identity feature's challenge) is spent, then the answer recorded once.
    // (A jwt_vc_json presentation's verifier spent it already, once the holder's signature held.)
    if (!Object.values(credentials).some((credential) => credential.format === 'jwt_vc_json')) {
      const consumption = await this.options.challenges.consume(record.tenantId, record.nonce);
      if (consumption.outcome !== 'consumed') {
        throw new WalletProtocolError('invalid_request', `the request's nonce is ${consumption.outcome === 'replayed' ? 'already used: this is a replay' : consumption.outcome}`);
      }
    }
    const now = new Date(this.now());
    const result = { credentials };
    const answered = await this.options.store.db.transaction(async (tx) => {
      if (!(await this.options.store.recordVerifiedAnswer(tx, record.id, result, now))) return false;
      if (this.options.onVerified) {
        await this.options.onVerified(tx, { tenantId: record.tenantId, view: statusView({ ...record, answeredAt: now, status: 'verified', result }, now.getTime()) });
      }
      return true;
    });
    if (!answered) throw new WalletProtocolError('invalid_request', 'this presentation request was already answered: a presentation is accepted once');
    return {};
  }

  /** Verifies one presentation with the identity feature and shapes it for `dcql`. */
  private async verifyPresentation(
    record: PresentationRequestRecord,
    format: string,
    presentation: string,
    clientId: string,
  ): Promise<{ presented: PresentedCredential; dcql: Record<string, unknown> }> {
    if (format === 'dc+sd-jwt') {
      const verification = await this.options.credentials.verify({ credential: presentation, nonce: record.nonce, audience: clientId });
      if (verification.format !== 'dc+sd-jwt') throw new WalletProtocolError('invalid_presentation', 'the query asks for a dc+sd-jwt credential');
      refuseFailures(verification);
      const claims = verification.claims ?? {};
      const vct = verification.types?.[0] ?? '';
      return {
        presented: { format: 'dc+sd-jwt', issuer: verification.issuer, holder: verification.subject, types: [vct], claims },
        dcql: { credential_format: 'dc+sd-jwt', vct, claims, cryptographic_holder_binding: verification.checks.keyBinding === true },
      };
    }
    // jwt_vc_json: a VP-JWT signed by the holder for this verifier and nonce (the challenge is spent by the verifier).
    const verification = await this.options.presentations.verify(record.tenantId, { jwt: presentation, nonce: record.nonce, domain: clientId });
    if (!verification.verified) {
      const first = verification.errors[0];
      throw new WalletProtocolError('invalid_presentation', `the presentation is not valid: ${first ? `${first.code}: ${first.message}` : 'unknown reason'}`);
    }
    if (verification.credentials.length !== 1) throw new WalletProtocolError('invalid_presentation', 'a jwt_vc_json presentation here carries exactly one credential');
    const credential = verification.credentials[0]!;
    const types = credential.types ?? [];
    const claims = credential.claims ?? {};
    return {
      presented: { format: 'jwt_vc_json', issuer: credential.issuer, holder: verification.holder, types, claims },
      dcql: { credential_format: 'jwt_vc_json', type: types, claims: { credentialSubject: claims }, cryptographic_holder_binding: true },
    };
  }
}

function refuseFailures(verification: CredentialVerificationResult): void {
  if (verification.verified) return;
  const first = verification.errors[0];
  throw new WalletProtocolError('invalid_presentation', `the presentation is not valid: ${first ? `${first.code}: ${first.message}` : 'unknown reason'}`);
}

/** Only the claims the query named (all shown ones when it named none): the app gets nothing else. */
function onlyRequested(claims: Record<string, unknown>, requested: Array<{ path: Array<string | number | null> }> | undefined, format: PresentedCredential['format']): Record<string, unknown> {
  if (!requested || requested.length === 0) return claims;
  const out: Record<string, unknown> = {};
  for (const { path } of requested) {
    const relative = format === 'jwt_vc_json' && path[0] === 'credentialSubject' ? path.slice(1) : path;
    copyPath(claims, out, relative);
  }
  return out;
}

function copyPath(from: unknown, to: Record<string, unknown>, path: Array<string | number | null>): void {
  const [head, ...rest] = path;
  if (typeof head !== 'string' || typeof from !== 'object' || from === null || !(head in from)) return;
  const value = (from as Record<string, unknown>)[head];
  if (rest.length === 0 || typeof value !== 'object' || value === null || Array.isArray(value)) {
    to[head] = value;
    return;
  }
  const child = (to[head] ??= {}) as Record<string, unknown>;
  copyPath(value, child, rest);
}

function statusView(record: PresentationRequestRecord, nowMs: number): PresentationRequestStatusView {
  const status = record.status === 'verified' ? 'verified' : record.expiresAt.getTime() <= nowMs ? 'expired' : 'pending';
  return {
    id: record.id,
    status,
    purpose: record.purpose,
    createdAt: record.createdAt.toISOString(),
    expiresAt: record.expiresAt.toISOString(),
    answeredAt: record.answeredAt?.toISOString() ?? null,
    ...(status === 'verified' && record.result ? { credentials: (record.result as { credentials: Record<string, PresentedCredential> }).credentials } : {}),
  };
}

/** `openid4vp://?client_id=…&request_uri=…` (OpenID4VP 1.0 §5.10): the request by reference. */
function requestUri(clientId: string, requestObjectUri: string): string {
  return `openid4vp://?client_id=${encodeURIComponent(clientId)}&request_uri=${encodeURIComponent(requestObjectUri)}`;
}

function requestPayloadOf(requestObject: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(requestObject.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function validateRequest(input: unknown): PresentationRequestInput {
  const invalid = (field: string, message: string) => new DomainError('INVALID_PRESENTATION_REQUEST', `${field} ${message}`, { field });
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('body', 'must be a JSON object');
  const body = input as Record<string, unknown>;
  const unknown = Object.keys(body).find((field) => !REQUEST_FIELDS.has(field));
  if (unknown) throw invalid(unknown, 'is not a field of a presentation request');
  if (typeof body.purpose !== 'string' || body.purpose.trim() === '' || body.purpose.length > 300) throw invalid('purpose', 'must be a non-empty string of at most 300 characters');
  const ttl = body.expiresInSeconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || (ttl as number) < 10 || (ttl as number) > 3_600)) throw invalid('expiresInSeconds', 'must be a whole number from 10 to 3600');
  let query: DcqlQuery;
  try {
    query = DcqlQuery.parse(body.dcqlQuery as DcqlQuery.Input);
    DcqlQuery.validate(query);
  } catch (error) {
    throw invalid('dcqlQuery', `is not a valid DCQL query: ${(error as Error).message}`.slice(0, 500));
  }
  const unsupported = query.credentials.find((credential) => !SUPPORTED_FORMATS.has(credential.format));
  if (unsupported) throw invalid('dcqlQuery', `asks for ${unsupported.format} credentials; this verifier takes dc+sd-jwt and jwt_vc_json`);
  return body as unknown as PresentationRequestInput;
}
