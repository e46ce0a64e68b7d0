// The transparency log of batches: signed checkpoints, entries, inclusion and consistency proofs
// (docs/transparency-log.md). Public: anyone may monitor the log.
import type { Express } from 'express';
import { bytesToHex } from '../../core/hex';
import type { SignedCheckpoints } from '../../notarization/log/signed-checkpoints';
import type { Notary } from '../../notarization/notary';
import { HttpProblem } from '../problems';

/** Most entries one request returns. */
const MAX_ENTRIES = 1000;

export function logRoutes(app: Express, deps: { notary: Notary; checkpoints: SignedCheckpoints }): void {
  app.get('/v1/log/checkpoint', async (_req, res) => {
    // C2SP serves checkpoints as plain text; never cached by intermediaries for long, it grows.
    res.type('text/plain; charset=utf-8').setHeader('Cache-Control', 'no-cache');
    res.send(await deps.checkpoints.latest());
  });
  app.get('/v1/log/entries', async (req, res) => {
    const start = queryInteger(req.query.start, 'start');
    const end = req.query.end === undefined ? start + 1 : queryInteger(req.query.end, 'end');
    if (end - start > MAX_ENTRIES) throw new HttpProblem('validation-failed', `at most ${MAX_ENTRIES} entries per request`);
    res.json({ entries: await deps.notary.logEntries(start, end) });
  });
  app.get('/v1/log/proofs/inclusion', async (req, res) => {
    const log = deps.notary.log;
    const size = req.query.size === undefined ? await log.catchUp() : (await log.catchUp(), queryInteger(req.query.size, 'size'));
    const index = queryInteger(req.query.index, 'index');
    const auditPath = log.inclusionProof(index, size).map(bytesToHex);
    res.json({ index, size, root: bytesToHex(log.head(size).root), auditPath });
  });
  app.get('/v1/log/proofs/consistency', async (req, res) => {
    const log = deps.notary.log;
    const current = await log.catchUp();
    const from = queryInteger(req.query.from, 'from');
    const to = req.query.to === undefined ? current : queryInteger(req.query.to, 'to');
    const proof = log.consistencyProof(from, to).map(bytesToHex);
    res.json({ from, to, fromRoot: bytesToHex(log.head(from).root), toRoot: bytesToHex(log.head(to).root), proof });
  });
}

/** A required non-negative integer query parameter (openapi.yaml states the same). */
function queryInteger(value: unknown, name: string): number {
  // The OpenAPI validator has already coerced it to a number; a string only if it did not run.
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 0) throw new HttpProblem('validation-failed', `query parameter ${name} must be a non-negative integer`);
  return number;
}
