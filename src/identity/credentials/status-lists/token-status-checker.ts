// Reads an SD-JWT VC's status in a Token Status List: ours straight from the store, anyone else's fetched
// through the guarded fetcher and accepted only when signed by the credential's own issuer.
import { verifyStatusListJwtClaims, verifyStatusListJwtHeader } from '@owf/token-status-list';
import { LRUCache } from 'lru-cache';
import type { OutboundFetcher } from '../../../platform/outbound/outbound-fetch';
import { CREDENTIAL_JWT_LIMITS, decodeCompactJwt } from '../verification/compact-jwt';
import type { SdJwtIssuerKeys } from '../verification/sd-jwt-issuer-keys';
import { StatusUnavailableError } from './status-checker';
import type { StatusLists } from './status-lists';
import { readTokenStatus, STATUS_LIST_JWT_MEDIA_TYPE, type TokenStatus } from './token-status-list';

export interface TokenStatusCheckerOptions {
  ownLists: StatusLists;
  /** Whether an issuer is this service (its lists are read from the store). */
  isOwnIssuer: (issuer: string) => boolean;
  issuerKeys: SdJwtIssuerKeys;
  fetcher: OutboundFetcher;
  now?: () => number;
  skewSeconds?: number;
  /** Foreign lists are cached this long (default 60 s). */
  cacheTtlMs?: number;
}

/** A compressed list of 131,072 two-bit entries is a few hundred bytes; a full random one about 32 KiB. */
const MAX_STATUS_LIST_TOKEN_BYTES = 128 * 1024;

export class TokenStatusChecker {
  /** Verified foreign list tokens by issuer and URI. */
  private readonly cache: LRUCache<string, string, { uri: string; issuer: string }>;
  private readonly now: () => number;

  constructor(private readonly options: TokenStatusCheckerOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new LRUCache({
      max: 100,
      ttl: options.cacheTtlMs ?? 60_000,
      perf: { now: this.now },
      ttlResolution: 0,
      fetchMethod: (_key, _stale, { context }) => this.fetchList(context.uri, context.issuer),
    });
  }

  /** The credential's state, or for an application-specific value its number; throws StatusUnavailableError. */
  async status(reference: { idx: number; uri: string }, issuer: string): Promise<TokenStatus | number> {
    if (this.options.isOwnIssuer(issuer)) {
      const own = await this.options.ownLists.lookupToken(reference.uri, reference.idx);
      if (own === undefined) throw new StatusUnavailableError(`${reference.uri} is not a token status list of this service`);
      return own;
    }
    const jwt = (await this.cache.fetch(`${issuer} ${reference.uri}`, { context: { uri: reference.uri, issuer } }))!;
    let value: number;
    try {
      value = readTokenStatus(jwt, reference.idx);
    } catch (error) {
      throw new StatusUnavailableError(`status list ${reference.uri}: ${(error as Error).message}`);
    }
    return value === 0 ? 'valid' : value === 1 ? 'revoked' : value === 2 ? 'suspended' : value;
  }

  private async fetchList(uri: string, issuer: string): Promise<string> {
    let jwt: string;
    try {
      jwt = (await this.options.fetcher.get(uri, [STATUS_LIST_JWT_MEDIA_TYPE], { maxBytes: MAX_STATUS_LIST_TOKEN_BYTES })).body.toString('utf8').trim();
    } catch (error) {
      throw new StatusUnavailableError(`status list ${uri}: ${(error as Error).message}`);
    }
    try {
      const decoded = decodeCompactJwt(jwt, { ...CREDENTIAL_JWT_LIMITS, maxLength: MAX_STATUS_LIST_TOKEN_BYTES });
      verifyStatusListJwtHeader(decoded.header);
      const signature = await this.options.issuerKeys.checkSignature(jwt, decoded, issuer);
      if (signature) throw new Error(signature.message);
      verifyStatusListJwtClaims(decoded.payload as Parameters<typeof verifyStatusListJwtClaims>[0], {
        uri,
        now: new Date(this.now()),
        skewSeconds: this.options.skewSeconds ?? 60,
      });
    } catch (error) {
      throw new StatusUnavailableError(`status list ${uri}: ${(error as Error).message}`);
    }
    return jwt;
  }
}
