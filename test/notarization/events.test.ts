// The notary's events reach every subscriber, in order; a failing subscriber is reported and stops
// neither the others nor the publisher. The metrics subscriber turns them into the service's metrics.
import { describe, expect, it } from 'vitest';
import type { BatchRecord } from '../../src/notarization/batch';
import { NotaryEvents, type NotaryEvent } from '../../src/notarization/events';
import { notaryMetricsSubscriber } from '../../src/notarization/subscribers/notary-metrics';
import { ServiceMetrics } from '../../src/platform/observability/metrics';

const batch: BatchRecord = {
  id: '7', firstSeq: 1, lastSeq: 3, treeSize: 3, logIndex: 0, logCommitment: null, root: new Uint8Array(32), sealedAt: new Date(), status: 'anchored',
  anchor: { chain: 'eip155:31337', contract: '0x1', transactionHash: '0x2', blockNumber: 4, blockHash: '0x3', timestamp: 5, gasUsed: 46_900, feeWei: '1000' },
  anchors: [{ chain: 'eip155:31337', contract: '0x1', transactionHash: '0x2', blockNumber: 4, blockHash: '0x3', timestamp: 5, gasUsed: 46_900, feeWei: '1000' }],
};

describe('NotaryEvents', () => {
  it('calls every subscriber in order, reports one that throws, and forgets one that unsubscribed', () => {
    const failures: Array<[unknown, string]> = [];
    const events = new NotaryEvents((error, event) => failures.push([error, event.type]));
    const seen: string[] = [];
    events.subscribe((event) => seen.push(`a:${event.type}`));
    events.subscribe(() => {
      throw new Error('broken subscriber');
    });
    const unsubscribe = events.subscribe((event) => seen.push(`c:${event.type}`));
    events.publish({ type: 'documents-submitted', count: 2, fresh: 1 });
    unsubscribe();
    events.publish({ type: 'round-failed', error: new Error('x') });
    expect(seen).toEqual(['a:documents-submitted', 'c:documents-submitted', 'a:round-failed']);
    expect(failures.map(([error, type]) => [(error as Error).message, type])).toEqual([
      ['broken subscriber', 'documents-submitted'],
      ['broken subscriber', 'round-failed'],
    ]);
  });
});

describe('notaryMetricsSubscriber', () => {
  it('counts submissions, batches, gas, fees and failed rounds', async () => {
    const metrics = new ServiceMetrics({ processMetrics: false });
    const subscriber = notaryMetricsSubscriber(metrics);
    const publish = (event: NotaryEvent) => subscriber(event);
    publish({ type: 'documents-submitted', count: 5, fresh: 3 });
    publish({ type: 'batch-sealed', batch: { ...batch, status: 'sealed', anchor: null, anchors: [] }, durationMs: 20, oldestSubmittedAt: new Date(Date.now() - 2_000) });
    publish({ type: 'batch-anchored', batch, chain: 'eip155:31337', durationMs: 300 });
    publish({ type: 'round-failed', error: new Error('chain down') });
    publish({ type: 'receipt-verified', result: { valid: false, reason: 'not-anchored', message: 'no' } });
    const text = (await metrics.render()).body;
    expect(text).toMatch(/did_notary_documents_submitted_total\{fresh="true"\} 3/);
    expect(text).toMatch(/did_notary_documents_submitted_total\{fresh="false"\} 2/);
    expect(text).toMatch(/did_notary_batches_anchored_total 1/);
    expect(text).toMatch(/did_notary_gas_used_total 46900/);
    expect(text).toMatch(/did_notary_fees_paid_wei_total 1000/);
    expect(text).toMatch(/did_notary_anchor_errors_total 1/);
    expect(text).toMatch(/did_notary_submission_to_anchor_seconds_count 1/);
    expect(text).toMatch(/did_notary_verifications_total\{kind="receipt",outcome="not-anchored"\} 1/);
  });
});
