// What the notary needs from the chain, as an interface: the chain layer implements it with ethers,
// and fault-injection tests can wrap it.
import type { ReceiptVerification } from '../core/receipts/receipt';

/** The contract's record of a root (DocumentAnchor.anchorOf). */
export interface ChainAnchoring {
  timestamp: number;
  blockNumber: number;
  treeSize: number;
  submitter: string;
}

/** A signed transaction not yet (or not necessarily) broadcast. */
export interface PreparedTransaction {
  hash: string;
  nonce: number;
  raw: string;
}

export interface MinedTransaction {
  blockNumber: number;
  blockHash: string;
  succeeded: boolean;
  gasUsed: number;
  feeWei: string;
}

export interface AnchoringChain {
  /** CAIP-2 id, `eip155:<chainId>`. */
  readonly chain: string;
  readonly chainId: number;
  /** Lower-case anchor contract address. */
  readonly contract: string;
  readonly signerAddress: string;
  readAnchoring(rootHex: string): Promise<ChainAnchoring | null>;
  /** The transaction and block that anchored `rootHex` in `blockNumber`, from the RootAnchored event. */
  findAnchoringEvent(rootHex: string, blockNumber: number): Promise<{ transactionHash: string; blockHash: string } | null>;
  prepareAnchorTransaction(rootHex: string, treeSize: number): Promise<PreparedTransaction>;
  /** The same transaction (same nonce) with fees raised enough for nodes to accept it as a replacement. */
  prepareReplacement(raw: string): Promise<PreparedTransaction>;
  /** Broadcasts a signed transaction; an "already known" answer counts as success. */
  broadcast(raw: string): Promise<void>;
  /** The mined transaction, or null when it is not (yet) in a block. */
  getMinedTransaction(hash: string): Promise<MinedTransaction | null>;
  /** The signer's next nonce counting only mined transactions. */
  getConfirmedNonce(): Promise<number>;
  getBlockNumber(): Promise<number>;
  /** Verifies a receipt against the chain alone (not the store). */
  verifyReceipt(receipt: unknown, hash?: string): Promise<ReceiptVerification>;
}
