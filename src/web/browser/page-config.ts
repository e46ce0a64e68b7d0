// Where the page's data comes from: the service at the page's own origin unless `?api=` names another,
// a chain RPC URL from `?rpc=` when given, and the relay the serving process announces in the HTML.

export interface PageConfig {
  /** Base URL of the did-notary API, ending in '/'. */
  apiBase: string;
  /** True when `?api=` chose the service (the page says so: a link chose whom to ask). */
  apiFromLink: boolean;
  /** RPC URL from `?rpc=`, which wins over every default. */
  rpcFromLink?: string;
  /** Absolute URL of the serving process's read-only chain relay, when it has one. */
  chainRpcRelay?: string;
}

/** Reads the configuration from the page's URL and the `data-chain-rpc-relay` attribute of <body>. */
export function readPageConfig(location: Location, body: HTMLElement): PageConfig {
  const params = new URLSearchParams(location.search);
  const api = httpUrl(params.get('api'));
  const rpc = httpUrl(params.get('rpc'));
  const relayPath = body.dataset.chainRpcRelay;
  const relay = relayPath ? new URL(relayPath, location.href).href : undefined;
  return {
    apiBase: withTrailingSlash(api ?? new URL('/', location.href).href),
    apiFromLink: api !== undefined,
    ...(rpc !== undefined ? { rpcFromLink: rpc } : {}),
    // The relay reaches this origin's chain only: a service chosen by ?api= has its own RPC URL.
    ...(relay !== undefined && api === undefined ? { chainRpcRelay: relay } : {}),
  };
}

/** `text` as an absolute http(s) URL, or undefined. */
export function httpUrl(text: string | null | undefined): string | undefined {
  if (!text) return undefined;
  try {
    const url = new URL(text.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
