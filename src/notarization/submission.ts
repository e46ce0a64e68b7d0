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
