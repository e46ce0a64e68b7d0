// Receipts, receipt verification, batches and a batch's receipts in bulk.
import { once } from 'node:events';
import type { Express, RequestHandler } from 'express';
import type { IdentityServices } from '../../identity/identity-services';
import type { Notary } from '../../notarization/notary';
import { callerKey } from '../guards';
import { queryInteger } from '../query-parameters';

export function notaryRoutes(app: Express, deps: { notary: Notary; identity: IdentityServices }, admin: RequestHandler, notarize: RequestHandler): void {
  app.get('/v1/receipts/:id', async (req, res) => {
    const receipt = await deps.notary.getReceipt(String(req.params.id));
    if (req.query.format === 'vc') {
      // The anchored receipt as a VC-JWT by the service DID: "this service vouched for it", checkable offline.
      res.type('application/vc+jwt').send(await deps.identity.signReceipt(receipt, req.query.dataModel === '1.1' ? '1.1' : '2.0'));
      return;
    }
    res.json(receipt);
  });
  app.post('/v1/receipts/verify', async (req, res) => {
    const body = req.body as { receipt: unknown; hash?: string };
    res.json(await deps.notary.verifyReceipt(body.receipt, body.hash));
  });
  app.post('/v1/batches/anchor', admin, async (_req, res) => {
    res.json({ batch: await deps.notary.anchorNow() });
  });
  app.get('/v1/batches', async (req, res) => {
    const after = queryInteger(req.query.after, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = queryInteger(req.query.limit, 'limit', 100, 1, 1000);
    const batches = await deps.notary.listBatches(after, limit);
    res.json({ batches, next: batches.length === limit ? batches[batches.length - 1]!.id : null });
  });
  app.get('/v1/batches/:id', async (req, res) => {
    res.json(await deps.notary.getBatch(String(req.params.id)));
  });
  app.get('/v1/batches/:id/receipts', notarize, async (req, res) => {
    const after = queryInteger(req.query.after, 'after', -1, -1, Number.MAX_SAFE_INTEGER);
    // An unknown or unanchored batch is a problem, answered before anything is sent.
    const lines = await deps.notary.batchReceiptLines(callerKey(res).tenantId, String(req.params.id), after);
    res.status(200).setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    try {
      for await (const text of lines) {
        if (!res.write(text)) await once(res, 'drain');
        if (res.destroyed) return;
      }
      res.end();
    } catch (error) {
      // Mid-stream there is no status left to send: the client sees a cut stream and resumes with
      // `after` set to the last leafIndex it received.
      res.destroy(error as Error);
    }
  });
}
