// express-openapi-validator 5 compiles every documented path with path-to-regexp on every request
// (`lookupRoute` in its openapi.metadata middleware) until one matches: on the receipt route that was
// about a tenth of the main thread's busy time. The result depends only on the path and the options,
// so each is compiled once; the validator still does all its matching and validation itself.
import { createRequire } from 'node:module';

type PathToRegexp = (path: unknown, options?: Record<string, unknown>) => unknown;

let installed = false;

/** Memoises path-to-regexp's `pathToRegexp` export (the one the validator calls) for string paths. */
export function memoizeRoutePatterns(): void {
  if (installed) return;
  installed = true;
  const pathToRegexpModule = createRequire(__filename)('path-to-regexp') as { pathToRegexp: PathToRegexp };
  const compile = pathToRegexpModule.pathToRegexp;
  const compiled = new Map<string, unknown>();
  pathToRegexpModule.pathToRegexp = (path, options) => {
    if (typeof path !== 'string') return compile(path, options);
    // The key names every option; only plain string paths with primitive options are cached.
    let key = path;
    if (options !== undefined) {
      for (const name in options) {
        const value = options[name];
        if ((typeof value === 'object' && value !== null) || typeof value === 'function') return compile(path, options);
        key += `\u0000${name}=${String(value)}`;
      }
    }
    let result = compiled.get(key);
    if (result === undefined) {
      result = compile(path, options);
      // The documented paths are a fixed set; a bound keeps a misuse from growing without end.
      if (compiled.size < 1_000) compiled.set(key, result);
    }
    return result;
  };
}
