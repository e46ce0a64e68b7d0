// A submission: a tenant's document in the durable queue, as acknowledged to its submitter.

export interface NewSubmission {
  multihash: Uint8Array;
  /** Lower-case hex of `multihash` when the caller has it already (saves re-encoding a thousand per bulk insert). */
  multihashHex?: string;
  label?: string;
  externalRef?: string;
}

export interface TenantSubmission extends NewSubmission {
  tenantId: string;
}

export interface SubmissionRecord {
  seq: number;
  tenantId: string;
  multihash: Uint8Array;
  submittedAt: Date;
  label: string | null;
  externalRef: string | null;
  /** True when this tenant had already submitted the document (idempotent resubmission). */
  existing: boolean;
}

/** Acknowledgement times of a range of submissions: run i starts at seq `seqs[i]`, at `times[i]` (epoch ms). */
export interface SubmissionTimeRuns {
  seqs: Float64Array;
  times: Float64Array;
}

/** A submission as a tenant's document listing shows it. */
export type ListedSubmission = Pick<SubmissionRecord, 'seq' | 'multihash' | 'submittedAt' | 'label' | 'externalRef'>;

/** Which of a tenant's submissions to read: a sequence range, and optionally an acknowledgement window. */
export interface TenantSubmissionQuery {
  tenantId: string;
  /** Exclusive. */
  afterSeq: number;
  /** Inclusive. */
  throughSeq: number;
  /** Acknowledged at or after. */
  since?: Date;
  /** Acknowledged before. */
  until?: Date;
  limit: number;
}
