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
        metrics.batchesAnchored.inc();
        metrics.anchorDuration.observe(event.durationMs / 1000);
        if (batch.anchor?.gasUsed) metrics.gasUsed.inc(batch.anchor.gasUsed);
        if (batch.anchor?.feeWei) metrics.feesPaid.inc(Number(batch.anchor.feeWei));
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
