// Webhook delivery lag: from a batch's anchoring being recorded to the first delivery attempt of its
// batch.anchored event reaching a receiver, on the real service (`did-notary serve`, embedded store
// and chain, default webhook settings but for the loopback receiver allowed). The anchoring's time is
// the event's own `timestamp` (the database's clock in the transaction that records the anchoring);
// the receiver notes its arrival on the same machine's clock. The peer, from the same recorded time:
// the answer of the POST /v1/batches/anchor that anchored the batch reaching its client — what a
// client that waits synchronously learns, against what the webhook tells a backend that does not.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { figure, formatRatio, formatSeconds, type Figure } from './report';
import type { ResourceScope } from './resources';
import { callService, startBenchService } from './service-process';
import { median, round } from './stats';

/** The target for the median. */
const TARGET_MS = 1_000;

interface Arrival {
  batchId: string;
  /** When the anchoring was recorded (the payload's timestamp), epoch ms. */
  anchoredAt: number;
  receivedAt: number;
}

export async function benchWebhookLag(scope: ResourceScope, options: { quick: boolean; log: (line: string) => void }): Promise<Figure[]> {
  const { quick, log } = options;
  const rounds = quick ? 15 : 50;
  const arrivals = new Map<string, Arrival>();
  const receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const receivedAt = Date.now();
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; timestamp: string; data: { batch?: { id: string } } };
      const batchId = event.data.batch?.id;
      // First attempts only: a retry would measure the retry schedule, not the lag.
      if (event.type === 'batch.anchored' && batchId && !arrivals.has(batchId)) arrivals.set(batchId, { batchId, anchoredAt: Date.parse(event.timestamp), receivedAt });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  scope.defer('webhook receiver', () => new Promise((resolve) => receiver.close(() => resolve())));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  log('webhooks: starting did-notary serve (embedded PGlite + Anvil) with a loopback receiver allowed');
  const service = await startBenchService(scope, {
    dataDir: scope.tempDir('webhooks'),
    env: { RATE_LIMIT: '0', BATCH_INTERVAL: '1h', LOG_LEVEL: 'warn', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_ALLOW_HTTP: 'true' },
  });
  try {
    await callService(service, 'POST', '/v1/webhooks', { url: receiverUrl, eventTypes: ['batch.anchored'] });
    const lags: number[] = [];
    const answers: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await callService(service, 'POST', '/v1/documents', { hashes: Array.from({ length: 10 }, () => randomBytes(32).toString('hex')) });
      const anchored = await callService<{ batch: { id: string } | null }>(service, 'POST', '/v1/batches/anchor');
      const answeredAt = Date.now();
      const batchId = anchored.batch?.id;
      if (!batchId) throw new Error('POST /v1/batches/anchor sealed no batch');
      const deadline = Date.now() + 30_000;
      while (!arrivals.has(batchId)) {
        if (Date.now() > deadline) throw new Error(`no batch.anchored event for batch ${batchId} within 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const arrival = arrivals.get(batchId)!;
      lags.push(arrival.receivedAt - arrival.anchoredAt);
      answers.push(answeredAt - arrival.anchoredAt);
    }
    const sorted = [...lags].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
    const medianLag = median(lags);
    const medianAnswer = median(answers);
    log(`webhooks: lag median ${formatSeconds(medianLag)}, p99 ${formatSeconds(p99)}; the anchor request's own answer ${formatSeconds(medianAnswer)} after the same moment`);
    const details = { rounds, lagsMs: lags, anchorAnswerMs: answers };
    const note =
      `${rounds} batches, each anchored by POST /v1/batches/anchor on the embedded service; lag = first attempt's arrival at a loopback receiver − the event's timestamp ` +
      `(when the anchoring was recorded, database clock, same machine). Peer: the anchor request's answer reaching its client, from the same moment. ` +
      'The event is written in the anchoring transaction, expanded and sent by the same replica at once; a replica that did not record it hears of it by NOTIFY, at worst WEBHOOK_POLL_INTERVAL (1 s) later.';
    return [
      figure({
        id: 'webhook.lag.median',
        figure: 'webhook delivery lag, anchoring → first attempt (median)',
        value: round(medianLag),
        unit: 'ms',
        valueText: formatSeconds(medianLag),
        targetText: '≤ 1 s',
        peerText: `${formatSeconds(medianAnswer)} (anchor request's answer)`,
        ratioText: medianAnswer > 0 ? formatRatio(medianLag / medianAnswer) : '—',
        verdict: medianLag <= TARGET_MS ? 'PASS' : 'MISS',
        note,
        details,
      }),
      figure({
        id: 'webhook.lag.p99',
        figure: `webhook delivery lag, anchoring → first attempt (p99 of ${rounds})`,
        value: round(p99),
        unit: 'ms',
        valueText: formatSeconds(p99),
        targetText: '—',
        peerText: `${formatSeconds([...answers].sort((a, b) => a - b)[Math.min(answers.length - 1, Math.ceil(answers.length * 0.99) - 1)]!)} (anchor request's answer)`,
        verdict: 'info',
      }),
    ];
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- service log (tail) ---\n${service.logTail(15)}`);
  } finally {
    await service.stop();
  }
}
