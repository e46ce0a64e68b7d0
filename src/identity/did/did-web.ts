// did:web resolution (W3C CCG did:web method): the DID names an HTTPS URL, fetched through the
// guarded OutboundFetcher because the URL is chosen by whoever wrote the DID.
import type { DIDResolutionResult, DIDResolver } from 'did-resolver';
import { OutboundFetchError, type OutboundFetcher } from '../../platform/outbound/outbound-fetch';

const DID_DOCUMENT_TYPES = ['application/did+json', 'application/did+ld+json', 'application/json', 'application/ld+json'];

/** did:web's `host[%3Aport]` and the path segments that follow it. */
export interface DidWebLocation {
  /** `name` or `name:port`, lower case. */
  host: string;
  /** `/.well-known/did.json` or `/<segments>/did.json`. */
  path: string;
}

/** Parses a did:web DID into its host and document path; undefined when it is not a valid did:web. */
export function parseDidWeb(did: string): DidWebLocation | undefined {
  const match = /^did:web:([^#?/]+)$/.exec(did);
  if (!match) return undefined;
  const [encodedHost, ...segments] = match[1]!.split(':');
  let host: string;
  let pathSegments: string[];
  try {
    host = decodeURIComponent(encodedHost!).toLowerCase();
    pathSegments = segments.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:[0-9]{1,5})?$/.test(host)) return undefined;
  if (pathSegments.some((s) => s === '' || s === '.' || s === '..' || /[/\\?#]/.test(s))) return undefined;
  const path = pathSegments.length === 0 ? '/.well-known/did.json' : `/${pathSegments.map(encodeURIComponent).join('/')}/did.json`;
  return { host, path };
}

/** The did:web DID of a service reachable at `baseUrl` (its host; the port percent-encoded). */
export function didWebForUrl(baseUrl: string): string {
  return `did:web:${encodeURIComponent(new URL(baseUrl).host)}`;
}

/** A did-resolver registry entry for `web` that fetches through `fetcher`. */
export function didWebResolver(fetcher: OutboundFetcher): { web: DIDResolver } {
  return {
    web: async (did): Promise<DIDResolutionResult> => {
      const location = parseDidWeb(did);
      if (!location) return failure('invalidDid', `${did.slice(0, 200)} is not a valid did:web`);
      const url = `${fetcher.schemeFor(location.host)}//${location.host}${location.path}`;
      let body: Buffer;
      try {
        body = (await fetcher.get(url, DID_DOCUMENT_TYPES)).body;
      } catch (error) {
        if (error instanceof OutboundFetchError) {
          return failure(error.code === 'FETCH_NOT_FOUND' ? 'notFound' : 'internalError', `did:web document at ${url}: ${error.message}`);
        }
        throw error;
      }
      let document: unknown;
      try {
        document = JSON.parse(body.toString('utf8'));
      } catch {
        return failure('invalidDidDocument', `the document at ${url} is not JSON`);
      }
      if (typeof document !== 'object' || document === null || Array.isArray(document)) {
        return failure('invalidDidDocument', `the document at ${url} is not a JSON object`);
      }
      if ((document as { id?: unknown }).id !== did) return failure('invalidDidDocument', `the document at ${url} is not about ${did}`);
      return {
        didDocument: document as DIDResolutionResult['didDocument'],
        didDocumentMetadata: {},
        didResolutionMetadata: { contentType: 'application/did+json' },
      };
    },
  };
}

function failure(error: string, message: string): DIDResolutionResult {
  return { didDocument: null, didDocumentMetadata: {}, didResolutionMetadata: { error, message } };
}
