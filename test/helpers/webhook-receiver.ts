// A webhook receiver on 127.0.0.1 for tests: records every request (headers, raw body, when), answers
// with whatever status the test decides per request, and counts attempts of one webhook-id that
// overlap (there must never be two at once).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { documentIdFromDigest } from '../../src/core/ids/document-id';

/** Service settings that let webhooks reach this receiver (loopback, plain http) and retry fast. */
export const LOOPBACK_WEBHOOK_ENV = {
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_RETRY_DELAY: '100ms',
  WEBHOOK_RETRY_MAX_DELAY: '300ms',
  WEBHOOK_POLL_INTERVAL: '100ms',
};

/** The CID a batch.anchored event names a document by, from its hex SHA-256. */
export function cidOf(sha256Hex: string): string {
  return documentIdFromDigest(Buffer.from(sha256Hex, 'hex')).cid;
}

export interface ReceivedWebhook {
  /** The request's path: tests register endpoints under different paths of one receiver. */
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The parsed body. */
  json: { type: string; timestamp: string; data: any };
  receivedAt: number;
  /** What the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  readonly received: ReceivedWebhook[];
  /** The status to answer a request with (the default answers 200); `attempt` counts this webhook-id's requests from 1. */
  answer: (request: { path: string; id: string; attempt: number; json: ReceivedWebhook['json'] }) => number;
  /** The most requests of one webhook-id that were open at the same time. */
  maxConcurrentPerId(): number;
  /** The 2xx-answered requests, one entry per request. */
  accepted(): ReceivedWebhook[];
  waitFor<T>(what: string, probe: () => T | undefined, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const open = new Map<string, number>();
  const attempts = new Map<string, number>();
  let maxConcurrent = 0;
  const receiver: WebhookReceiver = {
    url: '',
    received,
    answer: () => 200,
    maxConcurrentPerId: () => maxConcurrent,
    accepted: () => received.filter((request) => request.status >= 200 && request.status < 300),
    async waitFor(what, probe, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((request, response) => {
    const id = String(request.headers['webhook-id'] ?? '');
    open.set(id, (open.get(id) ?? 0) + 1);
    maxConcurrent = Math.max(maxConcurrent, open.get(id)!);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      let json: ReceivedWebhook['json'];
      try {
        json = JSON.parse(body) as ReceivedWebhook['json'];
      } catch {
        json = { type: 'unparsable', timestamp: '', data: body };
      }
      const path = request.url ?? '';
      const status = receiver.answer({ path, id, attempt, json });
      received.push({
        path,
        id,
        timestamp: String(request.headers['webhook-timestamp'] ?? ''),
        signature: String(request.headers['webhook-signature'] ?? ''),
        body,
        json,
        receivedAt: Date.now(),
        status,
      });
      open.set(id, open.get(id)! - 1);
      response.statusCode = status;
      response.end(status >= 200 && status < 300 ? 'ok' : 'not now');
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  return receiver;
}

/** The fact an event reports: a page of a batch anchoring, or a credential's status list version. */
function factOf(request: ReceivedWebhook): string {
  return request.json.type === 'batch.anchored'
    ? `batch ${request.json.data.batch.id} (${request.json.data.batch.anchor.transactionHash}) page ${request.json.data.documents.page}`
    : `${request.json.type} ${request.json.data.statusList?.id} v${request.json.data.statusList?.version}`;
}

/** Facts reported under more than one webhook-id: events the outbox wrote twice. */
export function factsWrittenTwice(requests: readonly ReceivedWebhook[]): string[] {
  const idsByFact = new Map<string, Set<string>>();
  for (const request of requests) idsByFact.set(factOf(request), (idsByFact.get(factOf(request)) ?? new Set()).add(request.id));
  return [...idsByFact].filter(([, ids]) => ids.size > 1).map(([fact]) => fact);
}

/** Each document id (CID) named by an accepted batch.anchored event, with the webhook-ids that named it. */
export function announcedDocuments(receiver: Pick<WebhookReceiver, 'accepted'>): Map<string, Set<string>> {
  const events = new Map<string, Set<string>>();
  for (const request of receiver.accepted()) {
    if (request.json.type !== 'batch.anchored') continue;
    for (const cid of request.json.data.documents.ids as string[]) events.set(cid, (events.get(cid) ?? new Set()).add(request.id));
  }
  return events;
}
