// The notary's events as Prometheus metrics: one subscriber, so the notary knows nothing of metrics.
import type { ServiceMetrics } from '../../platform/observability/metrics';
import type { NotarySubscriber } from '../events';

/** Counts submissions, batch sizes and durations, gas and fees, failed rounds and receipt checks. */
export function notaryMetricsSubscriber(metrics: ServiceMetrics): NotarySubscriber {
  // When each sealed batch's first document was acknowledged, until the batch is anchored.
  const oldestSubmission = new Map<string, Date>();
  return (event) => {
    switch (event.type) {
      case 'documents-submitted':
        metrics.documentsSubmitted.inc({ fresh: 'true' }, event.fresh);
        if (event.count > event.fresh) metrics.documentsSubmitted.inc({ fresh: 'false' }, event.count - event.fresh);
        break;
      case 'batch-sealed':
        // Documents, not tree leaves: a batch's tree has one more, its log commitment.
        metrics.batchSize.observe(event.batch.treeSize - (event.batch.logCommitment ? 1 : 0));
        metrics.sealDuration.observe(event.durationMs / 1000);
        oldestSubmission.set(event.batch.id, event.oldestSubmittedAt);
        break;
      case 'batch-anchored': {
        const { batch } = event;
        const anchoring = batch.anchors.find((anchor) => anchor.chain === event.chain) ?? batch.anchor;
        metrics.chainAnchorings.inc({ chain: event.chain });
        metrics.anchorDuration.observe(event.durationMs / 1000);
        if (anchoring?.gasUsed) metrics.gasUsed.inc(anchoring.gasUsed);
        if (anchoring?.feeWei) metrics.feesPaid.inc(Number(anchoring.feeWei));
        // A batch counts once, when its first chain anchors it: that is when its receipts hold.
        if (batch.anchors.length > 1) break;
        metrics.batchesAnchored.inc();
        const oldest = oldestSubmission.get(batch.id);
        if (oldest) metrics.submissionToAnchor.observe((Date.now() - oldest.getTime()) / 1000);
        oldestSubmission.delete(batch.id);
        break;
      }
      case 'round-failed':
        metrics.anchorErrors.inc();
        break;
      case 'receipt-verified':
        metrics.verifications.inc({ kind: 'receipt', outcome: event.result.valid ? 'valid' : event.result.reason });
        break;
    }
  };
}
