// Webhooks delivered by two replicas (real processes) on one PostgreSQL database and one chain, while
// documents stream into both and credential statuses change through both: each event is written once
// and delivered once, and no two attempts of one event ever overlap, whichever replica makes them.
// (kill -9 of the service between an anchoring and its delivery: test/integration/durability.test.ts.)
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { TEST_DATABASE_URL } from '../helpers/postgres';
import { startReplicaCluster, type ReplicaCluster } from '../helpers/replica-cluster';
import { api, type ServiceProcess } from '../helpers/service-process';
import { startSubmissionLoad } from '../helpers/submission-load';
import { announcedDocuments, cidOf, factsWrittenTwice, LOOPBACK_WEBHOOK_ENV, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';


describe.skipIf(!TEST_DATABASE_URL)('webhooks with two replicas on PostgreSQL', () => {
  let cluster: ReplicaCluster | undefined;
  let receiver: WebhookReceiver | undefined;
  afterAll(async () => {
    await cluster?.close();
    await receiver?.close();
  });

  it('delivers each event once, one attempt at a time, whichever replica attempts it', async () => {
    receiver = await startWebhookReceiver();
    // Every event's first attempt fails: its retry may be claimed by either replica.
    receiver.answer = ({ attempt }) => (attempt === 1 ? 503 : 200);
    cluster = await startReplicaCluster({ count: 2, batchInterval: '300ms', prefix: 'did-notary-webhook-replicas', env: LOOPBACK_WEBHOOK_ENV });
    const [first, second] = cluster.replicas as [ServiceProcess, ServiceProcess];
    expect((await api(first, 'POST', '/v1/webhooks', { url: receiver.url })).status).toBe(201);

    const load = startSubmissionLoad(cluster.alive, { clients: 2 });
    onTestFinished(() => load.stop());
    // Credential status changes through both replicas meanwhile.
    let changes = 0;
    for (let i = 0; i < 2; i++) {
      const issued = await api(first, 'POST', '/v1/credentials', { subject: `did:example:${i}`, type: 'MembershipCredential', claims: { member: true } });
      expect(issued.status).toBe(201);
      const id = encodeURIComponent(issued.json.id as string);
      for (const [replica, action] of [[second, 'suspend'], [first, 'reinstate'], [second, 'revoke']] as const) {
        expect((await api(replica, 'POST', `/v1/credentials/${id}/${action}`)).status).toBe(200);
        changes += 1;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await load.stop();
    const { acknowledged } = load;
    expect(acknowledged.size).toBeGreaterThan(20);
    // One of them anchors what is left now; the other answers 409 and asks it to.
    const anchorings = [await api(first, 'POST', '/v1/batches/anchor'), await api(second, 'POST', '/v1/batches/anchor')].map((r) => r.status).sort();
    expect(anchorings).toEqual([200, 409]);

    await receiver.waitFor(
      'every document and status change announced',
      () => {
        const documents = announcedDocuments(receiver!);
        const credentialEvents = receiver!.accepted().filter((request) => request.json.type.startsWith('credential.')).length;
        return [...acknowledged].every((hash) => documents.has(cidOf(hash))) && credentialEvents >= changes ? true : undefined;
      },
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const accepted = receiver.accepted();
    const acceptedPerId = new Map<string, number>();
    for (const request of accepted) acceptedPerId.set(request.id, (acceptedPerId.get(request.id) ?? 0) + 1);
    expect([...acceptedPerId].filter(([, count]) => count !== 1)).toEqual([]);
    expect(receiver.maxConcurrentPerId()).toBe(1);
    expect(factsWrittenTwice(receiver.received)).toEqual([]);
    expect([...announcedDocuments(receiver)].filter(([, events]) => events.size > 1)).toEqual([]);
    expect(accepted.filter((request) => request.json.type.startsWith('credential.'))).toHaveLength(changes);
    const retriesBy = cluster.replicas.map((replica) => replica.output().split('\n').filter((line) => line.includes('webhook attempt failed; will retry')).length);
    console.log(`webhooks, two replicas: ${acceptedPerId.size} events delivered once each; first attempts refused and logged by the replicas: ${retriesBy.join(' and ')}`);
  }, 240_000);
});
