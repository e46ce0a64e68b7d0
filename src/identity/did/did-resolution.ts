// The service's DID resolver: did:ethr (ERC-1056 on the configured chains), did:key and did:web, behind a
// bounded TTL'd cache of documents. Uncached did:ethr resolution costs two RPC round trips, so the cache
// is what makes verification fast; its TTL bounds how long a key rotation can go unnoticed. Failures
// are remembered briefly, so anonymous traffic naming an unreachable DID does not fetch it each time.
import { parse, Resolver, type DIDResolutionOptions, type DIDResolutionResult, type Resolvable, type ResolverRegistry } from 'did-resolver';
import { getResolver as getEthrResolver } from 'ethr-did-resolver';
import type { Provider } from 'ethers';
import { didWebResolver } from './did-web';
import type { OutboundFetcher } from '../../platform/outbound/outbound-fetch';
import { LRUCache } from 'lru-cache';

/** DID methods this service resolves. */
export const SUPPORTED_DID_METHODS = ['ethr', 'key', 'web'] as const;

/** One chain for did:ethr: `did:ethr:0x<chainId hex>:…` resolves against `registry` through it. */
export interface EthrNetworkConfig {
  chainId: number;
  /** ERC-1056 registry address on that chain. */
  registry: string;
  /** A provider (preferred: reuses the service's failover setup) or an RPC URL. */
  provider?: Provider;
  rpcUrl?: string;
  /** An extra network name, e.g. `sepolia` for `did:ethr:sepolia:…`. */
  name?: string;
}

export interface DidResolverOptions {
  ethrNetworks: readonly EthrNetworkConfig[];
  /** The guarded fetcher did:web uses. */
  fetcher: OutboundFetcher;
  /** Document cache: defaults 1,000 DIDs for 60 s, failed resolutions for 5 s. */
  cache?: { maxEntries?: number; ttlMs?: number; failureTtlMs?: number; now?: () => number };
  /** Give up on one resolution after this long (default 10 s): an RPC that hangs must not hang us. */
  timeoutMs?: number;
}

/** A resolution failure as a verification error code (see verification-errors.ts). */
export interface ResolutionProblem {
  code: 'invalid-did' | 'unsupported-did-method' | 'unknown-did' | 'unresolvable-did' | 'deactivated-did';
  message: string;
}

/** Resolves DIDs; implements did-resolver's Resolvable, so did-jwt and did-jwt-vc can use it directly. */
export class DidResolver implements Resolvable {
  /** Results by DID; `fetch` merges concurrent resolutions of one DID into one. */
  private readonly cache: LRUCache<string, DIDResolutionResult, DIDResolutionOptions>;
  private resolver: Promise<Resolver> | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: DidResolverOptions) {
    const failureTtlMs = options.cache?.failureTtlMs ?? 5_000;
    this.cache = new LRUCache({
      max: options.cache?.maxEntries ?? 1_000,
      ttl: options.cache?.ttlMs ?? 60_000,
      // An injected clock is read on every lookup (lru-cache otherwise reuses a reading for 1 ms).
      ...(options.cache?.now ? { perf: { now: options.cache.now }, ttlResolution: 0 } : {}),
      fetchMethod: async (did, _stale, { options: entry, context }) => {
        const result = await this.resolveUncached(did, context);
        if (result.didResolutionMetadata.error || !result.didDocument) entry.ttl = failureTtlMs;
        return result;
      },
    });
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Never throws: failures are reported in `didResolutionMetadata.error` (DID Resolution spec). */
  async resolve(didUrl: string, options: DIDResolutionOptions = {}): Promise<DIDResolutionResult> {
    const parsed = typeof didUrl === 'string' && didUrl.length <= 2048 ? parse(didUrl) : null;
    if (!parsed) return failure('invalidDid', `not a DID: ${String(didUrl).slice(0, 100)}`);
    if (!(SUPPORTED_DID_METHODS as readonly string[]).includes(parsed.method)) {
      return failure('unsupportedDidMethod', `did:${parsed.method} is not supported; supported: ${SUPPORTED_DID_METHODS.map((m) => `did:${m}`).join(', ')}`);
    }
    const result = await this.cache.fetch(parsed.did, { context: options });
    return { ...result! };
  }

  /** Forgets every cached document (after a key rotation the service made itself, for instance). */
  clearCache(): void {
    this.cache.clear();
  }

  private async resolveUncached(did: string, options: DIDResolutionOptions): Promise<DIDResolutionResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DIDResolutionResult>((resolve) => {
      timer = setTimeout(() => resolve(failure('internalError', `resolving ${did} took longer than ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const resolver = await this.loadResolver();
      return await Promise.race([resolver.resolve(did, options), timeout]);
    } catch (error) {
      return failure('internalError', `resolving ${did} failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private loadResolver(): Promise<Resolver> {
    this.resolver ??= (async () => {
      // key-did-resolver is ESM-only with ESM-only dependencies: load it with a real dynamic import.
      const keyResolver = await import('key-did-resolver');
      const registry: ResolverRegistry = {
        ...(keyResolver.getResolver() as ResolverRegistry),
        ...(didWebResolver(this.options.fetcher) as ResolverRegistry),
      };
      if (this.options.ethrNetworks.length > 0) {
        const networks = this.options.ethrNetworks.map((n) => ({
          chainId: n.chainId,
          registry: n.registry,
          ...(n.name ? { name: n.name } : {}),
          ...(n.provider ? { provider: n.provider } : { rpcUrl: n.rpcUrl }),
        }));
        Object.assign(registry, getEthrResolver({ networks }) as ResolverRegistry);
      }
      return new Resolver(registry, { cache: false });
    })();
    return this.resolver;
  }
}

/**
 * Why a resolution result cannot be used to verify a signature, as a verification code; undefined
 * when it can. did:ethr reports RPC failures as `notFound` although every address has a document, so
 * for did:ethr that means "unresolvable", not "unknown".
 */
export function resolutionProblem(did: string, result: DIDResolutionResult): ResolutionProblem | undefined {
  const { error, message } = result.didResolutionMetadata as { error?: string; message?: string };
  const detail = message ? `: ${message}` : '';
  if (!error && result.didDocument) {
    if (result.didDocumentMetadata?.deactivated) return { code: 'deactivated-did', message: `${did} is deactivated` };
    return undefined;
  }
  switch (error) {
    case 'invalidDid':
      return { code: 'invalid-did', message: `${did.slice(0, 200)} is not a valid DID${detail}` };
    case 'unsupportedDidMethod':
    case 'methodNotSupported':
      return { code: 'unsupported-did-method', message: `cannot resolve ${did.slice(0, 200)}${detail}` };
    case 'notFound':
      return did.startsWith('did:ethr:')
        ? { code: 'unresolvable-did', message: `${did} could not be resolved${detail}` }
        : { code: 'unknown-did', message: `${did} does not exist${detail}` };
    default:
      return { code: 'unresolvable-did', message: `${did.slice(0, 200)} could not be resolved (${error ?? 'no document'})${detail}` };
  }
}

function failure(error: string, message: string): DIDResolutionResult {
  return { didDocument: null, didDocumentMetadata: {}, didResolutionMetadata: { error, message } };
}
