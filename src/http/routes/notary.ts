// Receipts, receipt verification and batches.
import type { Express, RequestHandler } from 'express';
import type { AppDependencies } from '../app';

export function notaryRoutes(app: Express, deps: Pick<AppDependencies, 'notary' | 'identity'>, admin: RequestHandler): void {
  app.get('/v1/receipts/:id', async (req, res) => {
    const receipt = await deps.notary.getReceipt(String(req.params.id));
    if (req.query.format === 'vc') {
      // The anchored receipt as a VC-JWT by the service DID: "this service vouched for it", checkable offline.
      res.type('application/vc+jwt').send(await deps.identity.signReceipt(receipt));
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
    const after = Number(req.query.after ?? 0);
    const limit = Number(req.query.limit ?? 100);
    const batches = await deps.notary.listBatches(after, limit);
    res.json({ batches, next: batches.length === limit ? batches[batches.length - 1]!.id : null });
  });
  app.get('/v1/batches/:id', async (req, res) => {
    res.json(await deps.notary.getBatch(String(req.params.id)));
  });
}
