// Issuing credentials as the service DID, and revoking, suspending and reinstating them. Each status
// change publishes a new signed status list version whose hash goes to the notary after the commit.
import { randomUUID } from 'node:crypto';
import { createVerifiableCredentialJwt, normalizeCredential } from 'did-jwt-vc';
import { DomainError } from '../core/errors';
import type { ServiceIdentity } from '../did/service-identity';
import type { SqlExecutor } from '../store/sql-client';
import type { CredentialStore, CredentialWrite, CredentialWriteOutcome, IssuedCredentialRecord, OpenStatusList, StatusPurpose } from './credential-store';
import { microBatcher } from './micro-batcher';
import { canonicalJson, validateIdempotencyKey, validateIssueRequest, type ValidatedIssueRequest } from './issue-request';
import { sha256Of, type AllocatedStatusEntry, type PublishedStatusListVersion, type StatusCandidate, type StatusLists } from './status-lists';
import { STATUS_LIST_CONTEXT, VC_CONTEXT_V1 } from './vc-payload';

/** Where failures that must not fail a request (notarizing a list version, clean-ups) are reported. */
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
  /** Announces a committed status list version (notarizes its SHA-256); must not throw. */
  publish: (version: PublishedStatusListVersion) => Promise<void>;
  reporter?: ErrorReporter;
  now?: () => number;
  /** How long idempotency keys (and the responses they replay) are kept (default 24 h). */
  idempotencyRetentionMs?: number;
}

/** The open list of a purpose filled up while issuing: retry with the next one. */
class StatusListFullError extends Error {}

const PURPOSES = ['revocation', 'suspension'] as const;

/** The status indices a credential being issued has picked, and which of them it already holds. */
interface Allocation {
  chosen: Partial<Record<StatusPurpose, StatusCandidate>>;
  held: Record<StatusPurpose, boolean>;
}

function newAllocation(): Allocation {
  return { chosen: {}, held: { revocation: false, suspension: false } };
}

export class CredentialIssuer {
  private readonly now: () => number;
  private lastCleanup = 0;
  /** Concurrent issues share one statement (group commit). */
  private readonly batchedWrite: (write: CredentialWrite) => Promise<CredentialWriteOutcome>;

  constructor(private readonly options: CredentialIssuerOptions) {
    this.now = options.now ?? Date.now;
    this.batchedWrite = microBatcher((writes: CredentialWrite[]) => options.store.insertCredentialsClaimingIndices(options.store.db, writes));
  }

  /**
   * Issues a credential for a tenant. With an idempotency key, a repeated request (same tenant, key
   * and body) returns the first response (`replayed: true`); a different body is refused.
   */
  async issue(tenantId: string, input: unknown, idempotencyKey?: string): Promise<{ result: IssuedCredential; replayed: boolean }> {
    const { store, statusLists } = this.options;
    const nowMs = this.now();
    const request = validateIssueRequest(input, nowMs);
    const key = idempotencyKey === undefined ? undefined : validateIdempotencyKey(idempotencyKey);
    this.cleanUpOccasionally(nowMs);
    // Indices claimed outside a transaction stay claimed: keep them across rounds.
    const allocation = newAllocation();
    for (let round = 0; ; round++) {
      // Outside any transaction: finding or creating the open lists uses the store's own connection.
      const lists = await statusLists.openLists();
      try {
        if (key === undefined) return { result: await this.signAndRecord(store.db, tenantId, request, nowMs, lists, allocation), replayed: false };
        const requestHash = sha256Of(canonicalJson(request));
        return await store.transaction(async (tx) => {
          const claim = await store.claimIdempotencyKey(tx, tenantId, key, requestHash);
          if (!claim.claimed) {
            if (Buffer.compare(Buffer.from(claim.requestSha256), Buffer.from(requestHash)) !== 0) {
              throw new DomainError('IDEMPOTENCY_KEY_MISMATCH', 'this Idempotency-Key was used with a different request body');
            }
            if (!claim.response) throw new DomainError('IDEMPOTENCY_KEY_IN_USE', 'a request with this Idempotency-Key is still in progress');
            return { result: claim.response as IssuedCredential, replayed: true };
          }
          // a rolled-back round holds nothing: start each one afresh
          const result = await this.signAndRecord(tx, tenantId, request, nowMs, lists, newAllocation());
          await store.saveIdempotentResponse(tx, tenantId, key, result);
          return { result, replayed: false };
        });
      } catch (error) {
        if (error instanceof StatusListFullError && round < 3) continue;
        throw error;
      }
    }
  }

  /**
   * Picks random indices, signs, and records the credential claiming those indices in one statement
   * (batched with concurrent issues when `executor` is the store itself). An index someone else holds
   * is picked again and the credential signed again: rare while lists are far from full, and no lock
   * is ever held.
   */
  private async signAndRecord(
    executor: SqlExecutor,
    tenantId: string,
    request: ValidatedIssueRequest,
    nowMs: number,
    lists: Record<StatusPurpose, OpenStatusList>,
    allocation: Allocation,
  ): Promise<IssuedCredential> {
    const { store, statusLists } = this.options;
    const id = request.id ?? `urn:uuid:${randomUUID()}`;
    if (request.id !== undefined && (await store.credentialExists(executor, id))) {
      throw new DomainError('CREDENTIAL_ALREADY_EXISTS', `a credential with id ${id} already exists`, { id });
    }
    // Only fresh UUIDs join a batch: a duplicate explicit id would fail everybody's statement.
    const write = executor === store.db && request.id === undefined ? this.batchedWrite : (w: CredentialWrite) => store.insertCredentialsClaimingIndices(executor, [w]).then((o) => o[0]!);
    const { held } = allocation;
    for (const purpose of PURPOSES) {
      if (allocation.chosen[purpose]?.listId === lists[purpose].id) continue;
      allocation.chosen[purpose] = statusLists.candidate(lists[purpose]);
      held[purpose] = false;
    }
    const chosen = allocation.chosen as Record<StatusPurpose, StatusCandidate>;
    for (;;) {
      const status = [chosen.revocation.entry, chosen.suspension.entry];
      const jwt = await this.sign(id, request, nowMs, status);
      const outcome = await write({
        record: {
          id,
          tenantId,
          subject: request.subject,
          types: ['VerifiableCredential', ...request.types],
          jwtSha256: sha256Of(jwt),
          issuedAt: new Date(nowMs),
          expiresAt: request.expiresAtSeconds === undefined ? null : new Date(request.expiresAtSeconds * 1000),
          revocationList: chosen.revocation.listId,
          revocationIndex: chosen.revocation.index,
          suspensionList: chosen.suspension.listId,
          suspensionIndex: chosen.suspension.index,
        },
        claimRevocation: !held.revocation,
        claimSuspension: !held.suspension,
      });
      if (outcome.inserted) {
        for (const purpose of PURPOSES) if (!held[purpose]) statusLists.noteClaimed(chosen[purpose].listId);
        return { id, jwt, credential: normalizeCredential(jwt) as unknown as Record<string, unknown>, status };
      }
      // Indices claimed now are ours; pick again only where somebody else holds the index.
      held.revocation = outcome.revocationHeld;
      held.suspension = outcome.suspensionHeld;
      if (held.revocation && held.suspension) throw new Error('the credential was not recorded although it holds both status indices');
      for (const purpose of PURPOSES) {
        if (held[purpose]) continue;
        if (statusLists.noteCollision(lists[purpose])) throw new StatusListFullError(`the ${purpose} list ${lists[purpose].id} is full`);
        chosen[purpose] = statusLists.candidate(lists[purpose]);
      }
    }
  }

  private sign(id: string, request: ValidatedIssueRequest, nowMs: number, status: AllocatedStatusEntry[]): Promise<string> {
    const { identity } = this.options;
    return createVerifiableCredentialJwt(
      {
        jti: id,
        sub: request.subject,
        nbf: request.validFromSeconds ?? Math.floor(nowMs / 1000),
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

function statusView(credential: IssuedCredentialRecord, statusList: CredentialStatusView['statusList']): CredentialStatusView {
  return {
    id: credential.id,
    state: credential.revokedAt ? 'revoked' : credential.suspendedAt ? 'suspended' : 'active',
    revokedAt: credential.revokedAt?.toISOString() ?? null,
    suspendedAt: credential.suspendedAt?.toISOString() ?? null,
    statusList,
  };
}
