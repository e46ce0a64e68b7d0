// Single-use nonces for presentations: a relying party asks for one, the holder signs it into its VP,
// and the first verification consumes it, so a captured presentation cannot be replayed.
import { randomBytes } from 'node:crypto';
import { DomainError } from '../../../core/errors';
import type { ChallengeConsumption, CredentialStore } from '../../sql/credential-store';

export interface PresentationChallenge {
  nonce: string;
  domain?: string;
  expiresAt: string;
}

export interface PresentationChallengesOptions {
  store: CredentialStore;
  now?: () => number;
  /** Default lifetime of a nonce (5 minutes) and the longest a caller may ask for (1 hour). */
  defaultTtlSeconds?: number;
  maxTtlSeconds?: number;
}

export class PresentationChallenges {
  private readonly now: () => number;
  private lastCleanup = 0;

  constructor(private readonly options: PresentationChallengesOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Issues a nonce for a tenant, optionally bound to the domain (audience) the VP must name. */
  async create(tenantId: string, request: { domain?: string; ttlSeconds?: number } = {}): Promise<PresentationChallenge> {
    const maxTtl = this.options.maxTtlSeconds ?? 3_600;
    const ttl = request.ttlSeconds ?? this.options.defaultTtlSeconds ?? 300;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > maxTtl) {
      throw new DomainError('INVALID_PRESENTATION_REQUEST', `ttlSeconds must be a whole number from 1 to ${maxTtl}`, { field: 'ttlSeconds' });
    }
    if (request.domain !== undefined && (typeof request.domain !== 'string' || request.domain.length === 0 || request.domain.length > 500)) {
      throw new DomainError('INVALID_PRESENTATION_REQUEST', 'domain must be a non-empty string of at most 500 characters', { field: 'domain' });
    }
    const nowMs = this.now();
    this.cleanUpOccasionally(nowMs);
    const nonce = randomBytes(24).toString('base64url');
    const expiresAt = new Date(nowMs + ttl * 1000);
    await this.options.store.insertChallenge({ nonce, tenantId, domain: request.domain ?? null, expiresAt });
    return { nonce, ...(request.domain !== undefined ? { domain: request.domain } : {}), expiresAt: expiresAt.toISOString() };
  }

  /** Consumes a tenant's nonce; exactly one of several concurrent attempts succeeds. */
  consume(tenantId: string, nonce: string): Promise<ChallengeConsumption> {
    return this.options.store.consumeChallenge(nonce, tenantId, new Date(this.now()));
  }

  private cleanUpOccasionally(nowMs: number): void {
    if (nowMs - this.lastCleanup < 600_000) return;
    this.lastCleanup = nowMs;
    // Expired for a day: a replay of them is refused as "unknown" instead of "expired", which is fine.
    this.options.store.deleteChallengesExpiredBefore(new Date(nowMs - 86_400_000)).catch(() => undefined);
  }
}
