// Durability: kill -9 the service at random moments while documents stream in; every acknowledged
// document must end up anchored exactly once, with a receipt that verifies against the chain. A
// webhook endpoint listens throughout: each batch anchoring becomes exactly one batch.anchored event
// per page however the kills fall, and once, deterministically, the service dies between an anchoring
// and its delivery: the event is delivered after the restart.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { auditAnchoring } from '../helpers/anchoring-audit';
import { api, makeTempDir, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { startSubmissionLoad } from '../helpers/submission-load';
import { announcedDocuments, cidOf, factsWrittenTwice, LOOPBACK_WEBHOOK_ENV, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const ROUNDS = 4;
const ENV = { BATCH_INTERVAL: '200ms', ...LOOPBACK_WEBHOOK_ENV };

describe('kill -9 during submission and anchoring', () => {
  const dataDir = makeTempDir('did-notary-crash-');
  let service: ServiceProcess | undefined;
  let receiver: WebhookReceiver | undefined;
  afterAll(async () => {
    await service?.kill();
    await receiver?.close();
  });

  it('loses no acknowledged document, anchors each exactly once, and announces each by exactly one webhook event', async () => {
    const acknowledged = new Set<string>();
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    receiver = await startWebhookReceiver();

    for (let round = 0; round < ROUNDS; round++) {
      service = await startServiceProcess({ dataDir, env: ENV });
      if (round === 0) expect((await api(service, 'POST', '/v1/webhooks', { url: receiver.url, eventTypes: ['batch.anchored'] })).status).toBe(201);
      const current = service;
      const load = startSubmissionLoad(() => [current], { clients: 1, maxPerRequest: 40, acknowledged });
      await new Promise((r) => setTimeout(r, 300 + random() * 1500));
      await current.kill();
      await load.stop();
    }

    // Between an anchoring and its delivery: the receiver refuses, a batch is anchored and its first
    // attempt refused (so its event is in the outbox, undelivered), and the service dies.
    service = await startServiceProcess({ dataDir, env: ENV });
    receiver.answer = () => 503;
    const pending = Array.from({ length: 3 }, () => randomBytes(32).toString('hex'));
    expect((await api(service, 'POST', '/v1/documents', { hashes: pending })).status).toBe(202);
    for (const hash of pending) acknowledged.add(hash);
    const pendingCids = new Set(pending.map(cidOf));
    const names = (cids: string[]) => cids.some((cid) => pendingCids.has(cid));
    await receiver.waitFor('a refused attempt for the pending batch', () => receiver!.received.find((request) => names(request.json.data.documents.ids)));
    await service.kill();
    const killedAt = Date.now();
    receiver.answer = () => 200;

    service = await startServiceProcess({ dataDir, env: ENV });
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

    // Every acknowledged document is announced, by exactly one event; no anchoring was written to the
    // outbox twice; the event pending at the kill arrived after the restart.
    const announced = await receiver.waitFor('every acknowledged document announced', () => {
      const documents = announcedDocuments(receiver!);
      return [...acknowledged].every((hash) => documents.has(cidOf(hash))) ? documents : undefined;
    });
    expect([...announced].filter(([, events]) => events.size > 1)).toEqual([]);
    expect(factsWrittenTwice(receiver.received)).toEqual([]);
    expect(receiver.accepted().find((request) => names(request.json.data.documents.ids))!.receivedAt).toBeGreaterThan(killedAt);
  }, 240_000);
});
