// Issuing credentials as the service DID, and revoking, suspending and reinstating them. Each status
// change publishes a new signed status list version whose hash goes to the notary after the commit.
import { randomUUID } from 'node:crypto';
import { createVerifiableCredentialJwt, normalizeCredential } from 'did-jwt-vc';
import { DomainError } from '../core/errors';
import type { ServiceIdentity } from '../did/service-identity';
import type { CredentialStore, IssuedCredentialRecord } from './credential-store';
import { canonicalJson, validateIdempotencyKey, validateIssueRequest } from './issue-request';
import { sha256Of, type AllocatedStatusEntry, type PublishedStatusListVersion, type StatusLists } from './status-lists';
import { STATUS_LIST_CONTEXT, VC_CONTEXT_V1 } from './vc-payload';

/** Submits a SHA-256 digest to the notary (the service passes one that notarizes for tenant `system`). */
export type Notarize = (sha256Digest: Uint8Array) => Promise<void>;

/** Where failures that must not fail the request (notarizing a list version) are reported. */
export interface ErrorReporter {
  error(details: object, message: string): void;
}

/** The response to an issue request (also what an idempotency key replays). */
export interface IssuedCredential {
  id: string;
  jwt: string;
  /** The credential decoded into its W3C JSON form (did-jwt-vc normalisation). */
  credential: Record<string, unknown>;
  /** Its `credentialStatus` entries: one for revocation, one for suspension. */
  status: AllocatedStatusEntry[];
}

export type CredentialState = 'active' | 'suspended' | 'revoked';
export type StatusAction = 'revoke' | 'suspend' | 'reinstate';

/** A credential's status after a change. */
export interface CredentialStatusView {
  id: string;
  state: CredentialState;
  revokedAt: string | null;
  suspendedAt: string | null;
  /** The status list version that now reflects this state. */
  statusList: { id: string; purpose: 'revocation' | 'suspension'; version: number };
}

/** Who asks for a status change: the owning tenant, or an admin acting for any tenant. */
export interface StatusCaller {
  tenantId: string;
  admin: boolean;
}

export interface CredentialIssuerOptions {
  store: CredentialStore;
  statusLists: StatusLists;
  identity: ServiceIdentity;
  notarize: Notarize;
  reporter?: ErrorReporter;
  now?: () => number;
  /** How long idempotency keys (and the responses they replay) are kept (default 24 h). */
  idempotencyRetentionMs?: number;
}

export class CredentialIssuer {
  private readonly now: () => number;
  private lastCleanup = 0;

  constructor(private readonly options: CredentialIssuerOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Issues a credential for a tenant. With an idempotency key, a repeated request (same tenant, key
   * and body) returns the first response (`replayed: true`); a different body is refused.
   */
  async issue(tenantId: string, input: unknown, idempotencyKey?: string): Promise<{ result: IssuedCredential; replayed: boolean }> {
    const { store, statusLists, identity } = this.options;
    const nowMs = this.now();
    const request = validateIssueRequest(input, nowMs);
    const key = idempotencyKey === undefined ? undefined : validateIdempotencyKey(idempotencyKey);
    const requestHash = sha256Of(canonicalJson(request));
    this.cleanUpOccasionally(nowMs);
    const published: PublishedStatusListVersion[] = [];

    const outcome = await store.transaction(async (tx) => {
      if (key !== undefined) {
        const claim = await store.claimIdempotencyKey(tx, tenantId, key, requestHash);
        if (!claim.claimed) {
          if (Buffer.compare(Buffer.from(claim.requestSha256), Buffer.from(requestHash)) !== 0) {
            throw new DomainError('IDEMPOTENCY_KEY_MISMATCH', 'this Idempotency-Key was used with a different request body');
          }
          return { result: claim.response as IssuedCredential, replayed: true };
        }
      }
      const id = request.id ?? `urn:uuid:${randomUUID()}`;
      if (request.id !== undefined && (await store.credentialExists(tx, id))) {
        throw new DomainError('CREDENTIAL_ALREADY_EXISTS', `a credential with id ${id} already exists`, { id });
      }
      const revocation = await statusLists.allocate(tx, 'revocation');
      const suspension = await statusLists.allocate(tx, 'suspension');
      for (const p of [revocation.published, suspension.published]) if (p) published.push(p);
      const status = [revocation.entry, suspension.entry];
      const validFromSeconds = request.validFromSeconds ?? Math.floor(nowMs / 1000);
      const jwt = await createVerifiableCredentialJwt(
        {
          jti: id,
          sub: request.subject,
          nbf: validFromSeconds,
          ...(request.expiresAtSeconds !== undefined ? { exp: request.expiresAtSeconds } : {}),
          vc: {
            '@context': [VC_CONTEXT_V1, STATUS_LIST_CONTEXT],
            type: ['VerifiableCredential', ...request.types],
            // the id also in the subject (besides `sub`): did-jwt-vc refuses an empty credentialSubject
            credentialSubject: { id: request.subject, ...request.claims },
            // an array of entries (VCDM allows it; did-jwt-vc's type says one object)
            credentialStatus: status as unknown as { id: string; type: string },
          },
        },
        { did: identity.did, signer: identity.signer, alg: identity.alg },
      );
      await store.insertCredential(tx, {
        id,
        tenantId,
        subject: request.subject,
        types: ['VerifiableCredential', ...request.types],
        jwtSha256: sha256Of(jwt),
        issuedAt: new Date(nowMs),
        expiresAt: request.expiresAtSeconds === undefined ? null : new Date(request.expiresAtSeconds * 1000),
        revocationList: revocation.listId,
        revocationIndex: revocation.index,
        suspensionList: suspension.listId,
        suspensionIndex: suspension.index,
      });
      const result: IssuedCredential = { id, jwt, credential: normalizeCredential(jwt) as unknown as Record<string, unknown>, status };
      if (key !== undefined) await store.saveIdempotentResponse(tx, tenantId, key, result);
      return { result, replayed: false };
    });
    await this.notarizeVersions(published);
    return outcome;
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
      return statusView(credential, { id: list.id, purpose, version });
    });
    await this.notarizeVersions(published);
    return view;
  }

  private async notarizeVersions(versions: PublishedStatusListVersion[]): Promise<void> {
    for (const version of versions) {
      try {
        await this.options.notarize(version.sha256);
      } catch (error) {
        // The status change is committed and served; only its anchoring failed. Report, do not fail.
        this.options.reporter?.error({ err: error, statusList: version.listId, version: version.version }, 'could not notarize a status list version');
      }
    }
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

function statusView(credential: IssuedCredentialRecord, statusList: CredentialStatusView['statusList']): CredentialStatusView {
  return {
    id: credential.id,
    state: credential.revokedAt ? 'revoked' : credential.suspendedAt ? 'suspended' : 'active',
    revokedAt: credential.revokedAt?.toISOString() ?? null,
    suspendedAt: credential.suspendedAt?.toISOString() ?? null,
    statusList,
  };
}
