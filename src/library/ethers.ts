// The `did-notary/ethers` package entry: the chain lookup of `did-notary` on an ethers v6 Provider
// (the consumer's own ethers, a peer dependency), and receipt verification against that provider.
export { cachedAnchorLookup, createAnchorLookup, verifyReceiptOnChain } from '../platform/chain/receipt-verification';
export { AnchorContractError, DOCUMENT_ANCHOR_ABI, findAnchoringEvent, readAnchoring } from '../platform/chain/anchor-contract';
export type { AnchoringEvent } from '../platform/chain/anchor-contract';
