// Finds the key an SD-JWT VC (or a Token Status List) was signed with, as SD-JWT VC verifiers do: for an
// HTTPS issuer, in its JWT VC Issuer Metadata (`/.well-known/jwt-vc-issuer`, SD-JWT VC §4), fetched
// through the guarded fetcher and cached; for a DID issuer, in its DID document; for this service, in
// its own published keys, without a fetch.
import { verifyJWS } from 'did-jwt';
import type { Resolvable, VerificationMethod } from 'did-resolver';
import { LRUCache } from 'lru-cache';
import { resolutionProblem } from '../../did/did-resolution';
import type { OutboundFetcher } from '../../../platform/outbound/outbound-fetch';
import type { DecodedJwt } from './compact-jwt';
import { verifyWithJwk } from './jwk-signature';
import { issue, type VerificationIssue } from './verification-errors';

/** The well-known path of JWT VC Issuer Metadata. */
export const JWT_VC_ISSUER_METADATA_PATH = '/.well-known/jwt-vc-issuer';

export interface SdJwtIssuerKeysOptions {
  /** This service's issuer identifier (its public base URL), when it has one. */
  ownIssuer: () => string | undefined;
  /** This service's public JWKs (each with `kid`) that may sign SD-JWT VCs: active and retired. */
  ownJwks: () => ReadonlyArray<Record<string, unknown>>;
  fetcher: OutboundFetcher;
  resolver: Resolvable;
  /** Foreign issuer metadata is cached this long (default 60 s). */
  cacheTtlMs?: number;
  now?: () => number;
}

/** The metadata URL of an HTTPS issuer: the well-known segment goes between host and path. */
export function jwtVcIssuerMetadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return `${url.origin}${JWT_VC_ISSUER_METADATA_PATH}${path}`;
}

const MAX_METADATA_BYTES = 64 * 1024;

export class SdJwtIssuerKeys {
  /** Foreign issuers' JWKs by issuer; `fetch` merges concurrent lookups, failures are not kept. */
  private readonly metadata: LRUCache<string, Array<Record<string, unknown>>>;

  constructor(private readonly options: SdJwtIssuerKeysOptions) {
    this.metadata = new LRUCache({
      max: 200,
      ttl: options.cacheTtlMs ?? 60_000,
      ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
      fetchMethod: (issuer) => this.fetchJwks(issuer),
    });
  }

  /**
   * Checks the signature of `jwt` (compact, decoded as `decoded`) by `issuer`. Undefined when it holds;
   * `unknown-issuer-key` when the issuer publishes no key with its `kid`, `invalid-signature` when the
   * key does not verify it, `issuer-metadata-unavailable` or a DID resolution code when the keys cannot be had.
   */
  async checkSignature(jwt: string, decoded: DecodedJwt, issuer: string): Promise<VerificationIssue | undefined> {
    const kid = typeof decoded.header.kid === 'string' ? decoded.header.kid : undefined;
    if (issuer.startsWith('did:')) return this.checkWithDid(jwt, issuer, kid);
    let jwks: ReadonlyArray<Record<string, unknown>>;
    if (issuer === this.options.ownIssuer()) jwks = this.options.ownJwks();
    else {
      if (!/^https:\/\//.test(issuer) && !this.isTestHttpIssuer(issuer)) {
        return issue('invalid-credential', `the issuer ${issuer.slice(0, 200)} is neither an HTTPS URL nor a DID`);
      }
      try {
        jwks = (await this.metadata.fetch(issuer))!;
      } catch (error) {
        return issue('issuer-metadata-unavailable', `the issuer metadata of ${issuer} could not be read: ${(error as Error).message}`);
      }
    }
    const candidates = kid === undefined ? (jwks.length === 1 ? jwks : []) : jwks.filter((jwk) => jwk.kid === kid);
    if (candidates.length === 0) {
      return issue('unknown-issuer-key', kid === undefined ? `the JWT names no key (kid) and ${issuer} publishes ${jwks.length} keys` : `${issuer} publishes no key ${kid}`);
    }
    const alg = decoded.header.alg;
    return candidates.some((jwk) => verifyWithJwk(decoded.signingInput, decoded.signature, alg, jwk))
      ? undefined
      : issue('invalid-signature', `the signature does not verify with ${issuer}'s key ${kid ?? ''}`.trim());
  }

  private async checkWithDid(jwt: string, did: string, kid: string | undefined): Promise<VerificationIssue | undefined> {
    const resolution = await this.options.resolver.resolve(did);
    const problem = resolutionProblem(did, resolution);
    if (problem) return problem;
    const document = resolution.didDocument!;
    const methods: VerificationMethod[] = (document.verificationMethod ?? []).filter((method) => {
      if (kid === undefined) return true;
      return method.id === kid || `${document.id}${method.id}` === kid || method.id === `${document.id}${kid}`;
    });
    if (methods.length === 0) return issue('unknown-issuer-key', `${did} has no key ${kid ?? ''}`.trim());
    try {
      verifyJWS(jwt, methods);
      return undefined;
    } catch {
      return issue('invalid-signature', `the signature does not verify with any key of ${did}`);
    }
  }

  /** Plain http is fetched only where the fetcher allows it (tests, with allow-listed hosts). */
  private isTestHttpIssuer(issuer: string): boolean {
    try {
      return new URL(issuer).protocol === 'http:' && this.options.fetcher.schemeFor(new URL(issuer).host) === 'http:';
    } catch {
      return false;
    }
  }

  private async fetchJwks(issuer: string): Promise<Array<Record<string, unknown>>> {
    const url = jwtVcIssuerMetadataUrl(issuer);
    const metadata = parseJson((await this.options.fetcher.get(url, ['application/json'], { maxBytes: MAX_METADATA_BYTES })).body);
    if (metadata.issuer !== issuer) throw new Error(`${url} is the metadata of ${String(metadata.issuer).slice(0, 200)}, not of ${issuer}`);
    let jwks = metadata.jwks;
    if (jwks === undefined && typeof metadata.jwks_uri === 'string') {
      jwks = parseJson((await this.options.fetcher.get(metadata.jwks_uri, ['application/json', 'application/jwk-set+json'], { maxBytes: MAX_METADATA_BYTES })).body);
    }
    const keys = (jwks as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(keys)) throw new Error(`${url} lists no keys (jwks or jwks_uri)`);
    return keys.filter((key): key is Record<string, unknown> => typeof key === 'object' && key !== null && !Array.isArray(key));
  }
}

function parseJson(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error('the answer is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the answer is not a JSON object');
  return value as Record<string, unknown>;
}
