// Service-level routes: health, info and the OpenAPI document itself.
import type { Express } from 'express';
import type { HealthReport } from '../../platform/observability/health';
import { openApiText } from '../openapi-document';
import { HttpProblem } from '../problems';

export interface ServiceInfo {
  name: string;
  version: string;
  did: string;
  didWeb?: string;
  chain: string;
  chainId: number;
  rpcUrl: string;
  contracts: { anchor: string; didRegistry: string };
  signer: string;
  batch: { intervalMs: number; maxSize: number; confirmations: number };
  /** The transparency log of batches: its name and the key its checkpoints are signed with. */
  log: { origin: string; verifierKey: string; checkpoint: string };
  /** Every chain the service anchors on (the primary one first, whose values `chain`, `rpcUrl` and `contracts` repeat). */
  chains: Array<{ chain: string; chainId: number; contract: string; rpcUrl: string; primary: boolean; confirmations: number }>;
}


export function serviceRoutes(app: Express, deps: { info: () => ServiceInfo; health: () => Promise<HealthReport> }): void {
  app.get('/health', async (_req, res) => {
    const report = await deps.health();
    if (report.status === 'unavailable') {
      const failing = Object.entries(report.checks)
        .filter(([, c]) => !c.ok)
        .map(([name, c]) => `${name}: ${c.detail ?? 'failing'}`);
      throw new HttpProblem('not-ready', failing.join('; ') || 'not ready', { checks: report.checks });
    }
    res.json(report);
  });
  app.get('/v1/info', (_req, res) => {
    res.json(deps.info());
  });
  const spec = openApiText();
  app.get('/openapi.yaml', (_req, res) => {
    res.type('application/yaml').send(spec);
  });
}
