// Durability: kill -9 the service at random moments while documents stream in; every acknowledged
// document must end up anchored exactly once, with a receipt that verifies against the chain.
import { afterAll, describe, expect, it } from 'vitest';
import { auditAnchoring } from '../helpers/anchoring-audit';
import { api, makeTempDir, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { startSubmissionLoad } from '../helpers/submission-load';

const ROUNDS = 4;

describe('kill -9 during submission and anchoring', () => {
  const dataDir = makeTempDir('did-notary-crash-');
  let service: ServiceProcess | undefined;
  afterAll(async () => {
    await service?.kill();
  });

  it('loses no acknowledged document and anchors each exactly once', async () => {
    const acknowledged = new Set<string>();
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

    for (let round = 0; round < ROUNDS; round++) {
      service = await startServiceProcess({ dataDir, env: { BATCH_INTERVAL: '200ms' } });
      const current = service;
      const load = startSubmissionLoad(() => [current], { clients: 1, maxPerRequest: 40, acknowledged });
      await new Promise((r) => setTimeout(r, 300 + random() * 1500));
      await current.kill();
      await load.stop();
    }

    service = await startServiceProcess({ dataDir, env: { BATCH_INTERVAL: '200ms' } });
    const final = await api(service, 'POST', '/v1/batches/anchor');
    expect(final.status).toBe(200);
    expect(acknowledged.size).toBeGreaterThan(50);

    const audit = await auditAnchoring(service, acknowledged, { verify: true });
    expect(audit.lost).toEqual([]);
    expect(audit.invalid).toEqual([]);
    // The contract holds each root once, with one RootAnchored event per batch and none extra, and no
    // anchoring transaction was wasted either: one per batch.
    expect(audit).toMatchObject({ anchoredTwice: 0, unmatched: 0, extraTransactions: 0 });
    expect(audit.events).toBe(audit.batches);
  }, 240_000);
});
