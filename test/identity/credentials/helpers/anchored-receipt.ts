// An anchored receipt made up for the tests that sign receipt credentials: the signature is what they
// check, not the anchoring, which nothing here reads from a chain.
import type { AnchoredReceipt } from '../../../../src/core/receipts/receipt';

export const ANCHORED_RECEIPT: AnchoredReceipt = {
  version: 'did-notary/receipt/1',
  status: 'anchored',
  document: { cid: 'bafkreie7q3iidccmpvszul7kudcvvuavuo7u6gzlbobczuk5nqk3b4akba', multihash: '12209f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' },
  submittedAt: '2026-11-24T12:00:00.000Z',
  batch: { id: '1', root: 'ab'.repeat(32), treeSize: 1 },
  proof: { type: 'rfc9162-sha256-inclusion', leafIndex: 0, treeSize: 1, auditPath: [] },
  anchor: { chain: 'eip155:31337', contract: '0x' + '12'.repeat(20), transactionHash: '0x' + '34'.repeat(32), blockNumber: 7, blockHash: '0x' + '56'.repeat(32), timestamp: 1764000000 },
  issuer: 'did:ethr:0x7a69:0x0000000000000000000000000000000000000000',
};
