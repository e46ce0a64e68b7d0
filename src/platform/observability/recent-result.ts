// One result shared by every caller for a short while: what an endpoint anyone may poll needs when
// answering it costs a remote call.

/**
 * Wraps `compute` so that callers share one run of it: while it runs, and for `ttlMs` after it
 * resolves. A rejection is not kept (the next caller runs it again). GET /health is public and
 * asks the chain RPC for the signer's balance: without this, a client polling it in a loop spends
 * the operator's RPC quota one call per request.
 */
export function reuseRecentResult<T>(compute: () => Promise<T>, ttlMs: number, now: () => number = Date.now): () => Promise<T> {
  let current: Promise<T> | undefined;
  let resolvedAt: number | undefined;
  return () => {
    if (current && (resolvedAt === undefined || now() - resolvedAt < ttlMs)) return current;
    const run = compute();
    current = run;
    resolvedAt = undefined;
    run.then(
      () => {
        if (current === run) resolvedAt = now();
      },
      () => {
        if (current === run) current = undefined;
      },
    );
    return run;
  };
}
