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
    // Only plain string paths with flat options are cached; anything else compiles as before.
    if (typeof path !== 'string' || (options !== undefined && Object.values(options).some((v) => typeof v === 'object' && v !== null))) {
      return compile(path, options);
    }
    const key = `${path}\u0000${options === undefined ? '' : JSON.stringify(options)}`;
    let result = compiled.get(key);
    if (result === undefined) {
      result = compile(path, options);
      // The documented paths are a fixed set; a bound keeps a misuse from growing without end.
      if (compiled.size < 1_000) compiled.set(key, result);
    }
    return result;
  };
}
