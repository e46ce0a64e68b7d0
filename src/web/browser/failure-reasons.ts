// Human words for the core's receipt failure codes: what the page says when a receipt does not hold.
import type { ReceiptFailureReason } from '../../core/receipts/verify';

export interface ReasonText {
  /** One line, the verdict's headline. */
  title: string;
  /** What it means and what the person can do. */
  explanation: string;
}

/** One entry per code of `ReceiptFailureReason` (the compiler insists on all of them). */
export const FAILURE_REASONS: Readonly<Record<ReceiptFailureReason, ReasonText>> = {
  'invalid-receipt': {
    title: 'This is not a valid receipt',
    explanation: 'The receipt file is damaged or is not a did-notary receipt (version 1). Ask the sender for the original receipt.',
  },
  'wrong-document': {
    title: 'This file is not the one the receipt is for',
    explanation:
      'The file’s fingerprint differs from the one in the receipt. Any change, even re-saving or editing metadata, changes the fingerprint: this file was changed, or it is a different file.',
  },
  pending: {
    title: 'Not anchored yet',
    explanation: 'The service has accepted the document but has not yet written its batch to the chain.',
  },
  'wrong-chain': {
    title: 'The receipt is for another chain',
    explanation: 'The receipt names a different chain from the one this RPC URL serves. Use an RPC URL of the chain the receipt names.',
  },
  'bad-log-commitment': {
    title: 'The receipt’s log position does not hold',
    explanation:
      'The receipt says its batch extends the service’s transparency log at a given size, but the batch it names does not commit to that log. The receipt was altered, or the service issued a contradictory one.',
  },
  'wrong-contract': {
    title: 'The receipt names an unknown anchor contract',
    explanation: 'The contract the receipt names is not there on this chain, or it is not the contract of the service that issued the receipt.',
  },
  'root-mismatch': {
    title: 'The receipt contradicts itself',
    explanation: 'Its proof and its batch disagree about the size of the batch: the receipt was altered.',
  },
  'bad-proof': {
    title: 'The receipt’s proof does not hold',
    explanation: 'The Merkle path from this document does not lead to the batch root the receipt names: the receipt was altered or damaged.',
  },
  'not-anchored': {
    title: 'The chain has no record of this batch',
    explanation:
      'The anchor contract never recorded the batch root this receipt names. The receipt may be forged, its anchoring may have been undone by a chain reorganisation, or this is another chain with the same id.',
  },
  'anchor-mismatch': {
    title: 'The chain disagrees with the receipt',
    explanation: 'The chain recorded this batch, but in another block, at another time or in another transaction than the receipt says.',
  },
};
