// The one table of the service's routes, read from openapi.yaml: which pattern labels a request in
// the metrics and which paths are open to other origins. Express, the fast lane in front of it and
// the response writer all ask this table, so a documented route gets its label and its CORS rule
// without a second list to keep in step.
import { isPublicOperation, openApiPaths } from './openapi-document';

interface RouteEntry {
  /** The Express form of the path template (`/v1/receipts/:id`): the metrics label. */
  pattern: string;
  methods: ReadonlySet<string>;
  /** Every operation on the path needs no credentials. */
  public: boolean;
  match: RegExp;
}

let table: RouteEntry[] | undefined;

function routes(): RouteEntry[] {
  table ??= Object.entries(openApiPaths())
    .map(([template, operations]) => ({
      pattern: template.replace(/\{(\w+)\}/g, ':$1'),
      methods: new Set(Object.keys(operations).map((method) => method.toUpperCase())),
      public: Object.values(operations).every(isPublicOperation),
      match: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`),
      params: (template.match(/\{/g) ?? []).length,
    }))
    // A literal path wins over a template that also matches it (OpenAPI's rule): /v1/receipts/verify
    // is not /v1/receipts/{id}.
    .sort((a, b) => a.params - b.params)
    .map(({ params: _params, ...entry }) => entry);
  return table;
}

/** The documented path a request path (no query string) falls under, if any. */
function documentedPath(path: string): RouteEntry | undefined {
  return routes().find((entry) => entry.match.test(path));
}

/**
 * The metrics label of a request: its documented pattern, else the route Express matched (pages,
 * /metrics), else a fixed label. Never the path itself: ids in paths would grow the label set
 * without bound.
 */
export function routeLabel(method: string, path: string, expressRoute?: string): string {
  const documented = documentedPath(path);
  if (documented?.methods.has(method)) return documented.pattern;
  if (expressRoute) return expressRoute;
  return path.startsWith('/docs/assets/') ? '/docs/assets/*' : 'unmatched';
}

/**
 * Whether a response carries `Access-Control-Allow-Origin: *`: a request without credentials to a
 * path whose operations need none, so a verification page hosted elsewhere can use the service.
 * Endpoints that take an API key stay same-origin only.
 */
export function isPublicCorsRequest(path: string, authorization: string | undefined): boolean {
  return !authorization && documentedPath(path)?.public === true;
}
