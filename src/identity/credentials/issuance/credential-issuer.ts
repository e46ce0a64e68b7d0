// Issuing credentials as the service DID, and revoking, suspending and reinstating them. Each status
// change publishes a new signed status list version whose hash goes to the notary after the commit.
import { createHash, randomUUID } from 'node:crypto';
import type { Resolvable } from 'did-resolver';
import { DomainError } from '../../../core/errors';
import type { ServiceIdentity } from '../../did/service-identity';
import type { CredentialStore, IssuedCredentialRecord, NewCredentialRecord, StatusPurpose } from '../../sql/credential-store';
import { normalizeSignedCredential, signCredentialJwt } from './credential-jwt';
import { microBatcher } from '../../../platform/micro-batcher';
import { TurnQueue } from './turn-queue';
import {
  canonicalJson,
  validateIdempotencyKey,
  validateIssueRequest,
  type IssueCredentialRequest,
  type ValidatedIssueRequest,
  type ValidatedSdJwtVcRequest,
} from './issue-request';
import { resolutionProblem } from '../../did/did-resolution';
import type { ClaimPath } from '../sd-jwt/claim-paths';
import { SaltSource } from '../sd-jwt/disclosures';
import { signSdJwtVc, type SdJwtVcIssuerKey } from './sd-jwt-vc-credential';
import type { VcJwtIssuer } from './vc-jose-credential';
import { sha256Of, type AllocatedStatusEntry, type ClaimedStatusIndex, type PublishedStatusListVersion, type StatusLists, type TokenStatusReference } from '../status-lists/status-lists';
import { STATUS_LIST_CONTEXT, VC_CONTEXT_V1, type VcDataModel } from '../verification/vc-payload';
import { signVcJoseCredential, vcJoseCredentialBody } from './vc-jose-credential';
import type { CredentialStatusEvents, CredentialStatusView } from '../status-changes';

/** Where failures that must not fail a request (notarizing a list version, clean-ups) are reported. */
export interface ErrorReporter {
  error(details: object, message: string): void;
}

/** The response to an issue request (also what an idempotency key replays). */
export type IssuedCredential = IssuedJwtVc | IssuedSdJwtVc;

/** A W3C credential as a JWT (`jwt_vc_json`). */
export interface IssuedJwtVc {
  id: string;
  format: 'jwt_vc_json';
  /** The W3C data model the credential follows. */
  dataModel: VcDataModel;
  /** The signed credential: a compact JWT (served as application/vc+jwt). */
  jwt: string;
  /**
   * The credential in JSON: the VC Data Model 2.0 credential the JWT carries, or for 1.1 its W3C form
   * (did-jwt-vc normalisation).
   */
  credential: Record<string, unknown>;
  /** Its `credentialStatus` entries: one for revocation, one for suspension. */
  status: AllocatedStatusEntry[];
}

/** An IETF SD-JWT VC (`dc+sd-jwt`). */
export interface IssuedSdJwtVc {
  id: string;
  format: 'dc+sd-jwt';
  /** The SD-JWT with every disclosure (served as application/dc+sd-jwt); the holder picks which to present. */
  sdJwt: string;
  /** Every claim as issued: the registered ones (iss, vct, cnf, status…) and the claims about the subject. */
  credential: Record<string, unknown>;
  /** Each disclosure and the claim it reveals. */
  disclosures: Array<{ path: ClaimPath; disclosure: string }>;
  /** Its entry in a Token Status List (revocation and suspension alike). */
  status: TokenStatusReference[];
}

export type CredentialState = 'active' | 'suspended' | 'revoked';
export type StatusAction = 'revoke' | 'suspend' | 'reinstate';

/** Who asks for a status change: the owning tenant, or an admin acting for any tenant. */
export interface StatusCaller {
  tenantId: string;
  admin: boolean;
}

export interface CredentialIssuerOptions {
  store: CredentialStore;
  statusLists: StatusLists;
  /** Signs W3C credentials as the service's did:ethr (ES256K). */
  identity: ServiceIdentity;
  /** Signs W3C credentials as the service's did:web (ES256), for requests with `alg: ES256`. */
  didWebSigner: () => VcJwtIssuer;
  /** Signs SD-JWT VCs as the service's HTTPS issuer (ES256). */
  sdJwtVcKey: () => SdJwtVcIssuerKey;
  /** Resolves a holder DID to the key a credential is bound to. */
  resolver: Resolvable;
  /** Announces a committed status list version (notarizes its SHA-256); must not throw. */
  publish: (version: PublishedStatusListVersion) => Promise<void>;
  reporter?: ErrorReporter;
  now?: () => number;
  /** How long idempotency keys (and the responses they replay) are kept (default 24 h). */
  idempotencyRetentionMs?: number;
  /** Told of every status change inside its transaction (webhooks subscribe here). */
  statusEvents?: CredentialStatusEvents;
}

/**
 * Concurrent issues are recorded in groups of this many: while one group's write commits (in the
 * database's own thread or process), the next group signs, instead of every issue waiting on one write
 * with the CPU idle. Smaller groups cost the database more statements per credential.
 */
const RECORD_GROUP = 8;

export class CredentialIssuer {
  private readonly now: () => number;
  private lastCleanup = 0;
  /** Concurrent issues share one statement (group commit). */
  private readonly recordBatched: (record: NewCredentialRecord) => Promise<boolean>;
  /** Signatures take turns, so concurrent issues do not sign in lock step (turn-queue.ts). */
  private readonly signingTurns = new TurnQueue();
  /** Salts of SD-JWT disclosures. */
  private readonly salts = new SaltSource();

  constructor(private readonly options: CredentialIssuerOptions) {
    this.now = options.now ?? Date.now;
    this.recordBatched = microBatcher((records: NewCredentialRecord[]) => options.store.insertCredentials(options.store.db, records), {
      flushAt: RECORD_GROUP,
      maxInFlight: 2,
      moreComing: () => this.signingTurns.waiting > 0,
    });
  }

  /**
   * Issues a credential for a tenant. With an idempotency key, a repeated request (same tenant, key
   * and body) returns the first response (`replayed: true`); a different body is refused. A credential
   * is returned only once it is recorded, so it can be revoked even after a crash.
   */
  async issue(tenantId: string, input: IssueCredentialRequest | unknown, idempotencyKey?: string): Promise<{ result: IssuedCredential; replayed: boolean }> {
    const { store, statusLists } = this.options;
    const nowMs = this.now();
    const request = validateIssueRequest(input, nowMs);
    const key = idempotencyKey === undefined ? undefined : validateIdempotencyKey(idempotencyKey);
    const cnf = request.format === 'dc+sd-jwt' && request.holder ? await this.confirmationKey(request.holder) : undefined;
    this.cleanUpOccasionally(nowMs);
    if (key === undefined) {
      if (request.id !== undefined && (await store.credentialExists(store.db, request.id))) throw alreadyExists(request.id);
      const status = await this.allocate(request);
      let issued: { result: IssuedCredential; record: NewCredentialRecord };
      try {
        issued = await this.sign(tenantId, request, nowMs, status, cnf);
      } catch (error) {
        statusLists.release(status.claimed);
        throw error;
      }
      if (!(await this.recordBatched(issued.record))) throw alreadyExists(issued.record.id);
      return { result: issued.result, replayed: false };
    }
    const requestHash = sha256Of(canonicalJson(request));
    // Before the transaction: claiming indices uses the store's own connection, and an embedded
    // database's transaction holds off every other statement, so it must not wait for a signature.
    const status = await this.allocate(request);
    let recording = false;
    let outcome: { result: IssuedCredential; replayed: boolean };
    try {
      const issued = await this.sign(tenantId, request, nowMs, status, cnf);
      outcome = await store.transaction(async (tx) => {
        const claim = await store.claimIdempotencyKey(tx, tenantId, key, requestHash);
        if (!claim.claimed) {
          if (Buffer.compare(Buffer.from(claim.requestSha256), Buffer.from(requestHash)) !== 0) {
            throw new DomainError('IDEMPOTENCY_KEY_MISMATCH', 'this Idempotency-Key was used with a different request body');
          }
          if (!claim.response) throw new DomainError('IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is still in progress');
          return { result: claim.response as IssuedCredential, replayed: true };
        }
        if (request.id !== undefined && (await store.credentialExists(tx, request.id))) throw alreadyExists(request.id);
        recording = true;
        const [recorded] = await store.insertCredentials(tx, [issued.record]);
        if (!recorded) throw alreadyExists(issued.record.id);
        await store.saveIdempotentResponse(tx, tenantId, key, issued.result);
        return { result: issued.result, replayed: false };
      });
    } catch (error) {
      // Nothing holds the indices unless the credential's insert was sent: they can go to the next issue.
      if (!recording) statusLists.release(status.claimed);
      throw error;
    }
    if (outcome.replayed) statusLists.release(status.claimed);
    return outcome;
  }

  /** The status indices a credential of this request takes: two W3C lists, or one Token Status List. */
  private async allocate(request: ValidatedIssueRequest): Promise<AllocatedStatus> {
    const { statusLists } = this.options;
    if (request.format === 'dc+sd-jwt') {
      const token = await statusLists.allocateToken();
      return { kind: 'token', token, claimed: [token] };
    }
    const w3c = await statusLists.allocate(request.alg);
    return { kind: 'bitstring', ...w3c, claimed: [w3c.revocation, w3c.suspension] };
  }

  /** The `cnf` of a holder: its JWK, or the DID URL of its key (a bare DID: its first authentication key). */
  private async confirmationKey(holder: NonNullable<ValidatedSdJwtVcRequest['holder']>): Promise<Record<string, unknown>> {
    if ('jwk' in holder) return { jwk: holder.jwk };
    if (holder.did.includes('#')) return { kid: holder.did };
    const resolution = await this.options.resolver.resolve(holder.did);
    const problem = resolutionProblem(holder.did, resolution);
    if (problem) throw new DomainError('INVALID_CREDENTIAL_REQUEST', `holder ${problem.message}`, { field: 'holder' });
    const first = resolution.didDocument?.authentication?.[0];
    const kid = typeof first === 'string' ? first : first?.id;
    if (!kid) throw new DomainError('INVALID_CREDENTIAL_REQUEST', `holder ${holder.did} has no authentication key to bind the credential to`, { field: 'holder' });
    return { kid: kid.startsWith('#') ? `${holder.did}${kid}` : kid };
  }

  /** Signs the credential with its claimed status indices: the credential, its JSON view and the record to store. */
  private async sign(
    tenantId: string,
    request: ValidatedIssueRequest,
    nowMs: number,
    status: AllocatedStatus,
    cnf: Record<string, unknown> | undefined,
  ): Promise<{ result: IssuedCredential; record: NewCredentialRecord }> {
    const id = request.id ?? `urn:uuid:${randomUUID()}`;
    const validFromSeconds = request.validFromSeconds ?? Math.floor(nowMs / 1000);
    const expiresAt = request.expiresAtSeconds === undefined ? null : new Date(request.expiresAtSeconds * 1000);
    await this.signingTurns.next();
    if (request.format === 'dc+sd-jwt' && status.kind === 'token') {
      const key = this.options.sdJwtVcKey();
      const signed = signSdJwtVc(
        key,
        {
          vct: request.vct,
          claims: request.claims,
          disclosable: request.disclosable,
          iatSeconds: Math.floor(nowMs / 1000),
          ...(request.validFromSeconds !== undefined ? { nbfSeconds: request.validFromSeconds } : {}),
          ...(request.expiresAtSeconds !== undefined ? { expSeconds: request.expiresAtSeconds } : {}),
          ...(request.subject !== undefined ? { sub: request.subject } : {}),
          ...(cnf !== undefined ? { cnf } : {}),
          status: status.token.entry,
        },
        this.salts,
      );
      const credential: Record<string, unknown> = { iss: key.iss, vct: request.vct, ...(request.subject !== undefined ? { sub: request.subject } : {}), ...(cnf ? { cnf } : {}), status: status.token.entry, ...request.claims };
      return {
        result: { id, format: 'dc+sd-jwt', sdJwt: signed.sdJwt, credential, disclosures: signed.disclosures, status: [status.token.entry] },
        record: {
          id,
          tenantId,
          subject: request.subject ?? holderName(cnf) ?? '',
          types: [request.vct],
          jwtSha256: sha256Of(signed.jwt),
          issuedAt: new Date(nowMs),
          expiresAt,
          // A Token Status List holds both states of a credential in one entry.
          revocationList: status.token.listId,
          revocationIndex: status.token.index,
          suspensionList: status.token.listId,
          suspensionIndex: status.token.index,
        },
      };
    }
    if (request.format !== 'jwt_vc_json' || status.kind !== 'bitstring') throw new Error('status lists do not match the credential format');
    const entries = [status.revocation.entry, status.suspension.entry];
    const types = ['VerifiableCredential', ...request.types];
    let jwt: string;
    let credential: Record<string, unknown>;
    if (request.dataModel === '2.0') {
      const signer = request.alg === 'ES256' ? this.options.didWebSigner() : this.options.identity;
      credential = vcJoseCredentialBody(
        signer.did,
        { id, type: types, credentialSubject: { id: request.subject, ...request.claims }, credentialStatus: entries },
        { fromSeconds: validFromSeconds, ...(request.expiresAtSeconds !== undefined ? { untilSeconds: request.expiresAtSeconds } : {}) },
      );
      jwt = await signVcJoseCredential(signer, credential);
    } else {
      if (request.alg !== 'ES256K') throw new DomainError('INVALID_CREDENTIAL_REQUEST', 'the 1.1 form is signed ES256K by the did:ethr only', { field: 'alg' });
      const signed = await signCredentialJwt(this.options.identity, {
        id,
        subject: request.subject,
        validFromSeconds,
        ...(request.expiresAtSeconds !== undefined ? { expiresAtSeconds: request.expiresAtSeconds } : {}),
        context: [VC_CONTEXT_V1, STATUS_LIST_CONTEXT],
        types,
        claims: request.claims,
        credentialStatus: entries,
      });
      jwt = signed.jwt;
      credential = normalizeSignedCredential(signed);
    }
    return {
      result: { id, format: 'jwt_vc_json', dataModel: request.dataModel, jwt, credential, status: entries },
      record: {
        id,
        tenantId,
        subject: request.subject,
        types,
        jwtSha256: sha256Of(jwt),
        issuedAt: new Date(nowMs),
        expiresAt,
        revocationList: status.revocation.listId,
        revocationIndex: status.revocation.index,
        suspensionList: status.suspension.listId,
        suspensionIndex: status.suspension.index,
      },
    };
  }

  /** Revokes (final), suspends or reinstates a credential; repeating a change is a no-op. */
  async changeStatus(caller: StatusCaller, id: string, action: StatusAction): Promise<CredentialStatusView> {
    const { store, statusLists } = this.options;
    const published: PublishedStatusListVersion[] = [];
    const view = await store.transaction(async (tx) => {
      const found = await store.findCredential(tx, id);
      if (!found || (!caller.admin && found.tenantId !== caller.tenantId)) {
        throw new DomainError('CREDENTIAL_NOT_FOUND', `no credential ${id.slice(0, 200)} issued for this tenant`);
      }
      const purpose = action === 'revoke' ? 'revocation' : 'suspension';
      // Lock order: the list, then the credential; every status change of a list is serialised.
      const list = (await store.lockStatusList(tx, purpose === 'revocation' ? found.revocationList : found.suspensionList))!;
      const credential = (await store.findCredential(tx, id, { forUpdate: true }))!;
      const at = new Date(this.now());
      let changed = false;
      if (action === 'revoke') {
        if (!credential.revokedAt) {
          await store.updateCredentialStatus(tx, id, { revokedAt: at });
          credential.revokedAt = at;
          changed = true;
        }
      } else {
        if (credential.revokedAt) {
          throw new DomainError('CREDENTIAL_REVOKED', `credential ${id} is revoked; revocation is final`, { id });
        }
        const suspend = action === 'suspend';
        if (suspend !== (credential.suspendedAt !== null)) {
          await store.updateCredentialStatus(tx, id, { suspendedAt: suspend ? at : null });
          credential.suspendedAt = suspend ? at : null;
          changed = true;
        }
      }
      let version = list.version;
      if (changed) {
        const next = await statusLists.republish(tx, list);
        published.push(next);
        version = next.version;
      }
      const view = statusView(credential, { id: list.id, purpose, version });
      if (changed) {
        const change = action === 'revoke' ? 'revoked' : action === 'suspend' ? 'suspended' : 'reinstated';
        await this.options.statusEvents?.record({ change, tenantId: found.tenantId, at, status: view }, tx);
      }
      return view;
    });
    for (const version of published) await this.options.publish(version);
    return view;
  }

  private cleanUpOccasionally(nowMs: number): void {
    if (nowMs - this.lastCleanup < 3_600_000) return;
    this.lastCleanup = nowMs;
    const cutoff = new Date(nowMs - (this.options.idempotencyRetentionMs ?? 86_400_000));
    this.options.store.deleteIdempotencyKeysBefore(cutoff).catch((error: unknown) => {
      this.options.reporter?.error({ err: error }, 'could not delete old idempotency keys');
    });
  }
}

/** The status indices one credential holds. */
type AllocatedStatus =
  | ({ kind: 'bitstring'; claimed: ClaimedStatusIndex[] } & Record<StatusPurpose, ClaimedStatusIndex>)
  | { kind: 'token'; token: ClaimedStatusIndex<TokenStatusReference>; claimed: Array<ClaimedStatusIndex<TokenStatusReference>> };

/** What names the holder of an SD-JWT VC without a subject: its DID URL, or its key's thumbprint URI (RFC 9278). */
function holderName(cnf: Record<string, unknown> | undefined): string | undefined {
  if (typeof cnf?.kid === 'string') return cnf.kid;
  const jwk = cnf?.jwk as { kty: string; crv: string; x: string; y?: string } | undefined;
  if (!jwk) return undefined;
  const members = jwk.kty === 'OKP' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return `urn:ietf:params:oauth:jwk-thumbprint:sha-256:${createHash('sha256').update(JSON.stringify(members)).digest('base64url')}`;
}

function alreadyExists(id: string): DomainError<'CREDENTIAL_ALREADY_EXISTS'> {
  return new DomainError('CREDENTIAL_ALREADY_EXISTS', `a credential with id ${id} already exists`, { id });
}

function statusView(credential: IssuedCredentialRecord, statusList: CredentialStatusView['statusList']): CredentialStatusView {
  return {
    id: credential.id,
    state: credential.revokedAt ? 'revoked' : credential.suspendedAt ? 'suspended' : 'active',
    revokedAt: credential.revokedAt?.toISOString() ?? null,
    suspendedAt: credential.suspendedAt?.toISOString() ?? null,
    statusList,
  };
}
