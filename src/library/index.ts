// The `did-notary` package entry: what anyone needs to check a receipt against the chain, without
// trusting this service. Browser-safe (no Node built-ins, no ethers): the chain is reached through an
// injected `AnchorLookup`, from `did-notary/ethers`, `jsonRpcAnchorLookup` below, or one's own.
import type { AnchorLookup } from '../core/receipts/verify';
import { createChainAnchorLookup, createJsonRpcClient } from '../web/browser/chain-anchor-lookup';

export { verifyReceipt } from '../core/receipts/verify';
export type {
  AnchorLookup,
  AnchorQuery,
  Anchoring,
  ReceiptFailureReason,
  ReceiptRejected,
  ReceiptVerification,
  ReceiptVerified,
  VerifyReceiptOptions,
} from '../core/receipts/verify';
export { INCLUSION_PROOF_TYPE, parseReceipt, RECEIPT_VERSION } from '../core/receipts/receipt';
export type { AnchoredReceipt, PendingReceipt, Receipt, ReceiptAnchor, ReceiptBatch, ReceiptDocument, ReceiptProof, ReceiptStatus } from '../core/receipts/receipt';
export { documentIdFromDigest, documentIdFromMultihash, hashDocument, parseDocumentId } from '../core/ids/document-id';
export type { DocumentId } from '../core/ids/document-id';
export { SHA2_256, SHA2_512 } from '../core/ids/multihash';
export type { MultihashAlgorithm } from '../core/ids/multihash';
export { rootFromInclusionProof, verifyInclusion } from '../core/merkle/proof';
export type { InclusionProof, InclusionProofRoot } from '../core/merkle/proof';
export { buildMerkleTree, hashChildren, hashLeaf, merkleRoot, MerkleTree } from '../core/merkle/tree';
export { bytesToHex, hexToBytes } from '../core/hex';
export { ChainUnavailableError, DomainError, InvalidDocumentIdError, InvalidHexError, InvalidMerkleArgumentError, InvalidReceiptError } from '../core/errors';
export { ChainRequestError } from '../web/browser/anchor-contract-calls';

/**
 * An `AnchorLookup` over JSON-RPC with nothing but `fetch` (one `eth_call` of the anchor contract's
 * `anchorOf`, one `eth_getLogs` for the anchoring transaction): what the verification page uses, for
 * browsers and other runtimes without ethers. Failures reject with `ChainRequestError`.
 */
export function jsonRpcAnchorLookup(rpcUrl: string, options: { timeoutMs?: number } = {}): AnchorLookup {
  return createChainAnchorLookup(createJsonRpcClient(rpcUrl, options.timeoutMs));
}
