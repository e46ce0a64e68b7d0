// The notary's view of the chain (AnchoringChain in notarization/ports.ts), implemented with ethers v6:
// reads anchorings, signs anchoring transactions ahead of broadcast, and follows them to a block.
import { Transaction, isError, keccak256, type Provider, type Wallet } from 'ethers';
import { ChainUnavailableError, DomainError } from '../../core/errors';
import { callChain, isChainUnreachable } from './chain-errors';
import type { Anchoring } from '../../core/receipts/verify';
import { AnchorContractError, encodeAnchorCall, findAnchoringEvent, readAnchoring } from './anchor-contract';
import type { AnchorLookup } from '../../core/receipts/verify';
import { cachedAnchorLookup, createAnchorLookup } from './receipt-verification';

/** Gas headroom over the estimate; anchor() costs the same for every root, so this is generous. */
const GAS_LIMIT_MARGIN = 1.25;

/**
 * The accounts the service anchors from: the current one, and earlier ones by address. A transaction
 * recorded before a key rotation is followed, and replaced if stuck, by the account that signed it.
 */
export interface AnchoringAccounts {
  current(): Wallet;
  byAddress(address: string): Wallet | undefined;
}

export class AnchorClient {
  readonly chain: string;
  readonly contract: string;

  /**
   * Clients' receipt checks read anchorings through a short cache (receipt-verification.ts). A chain
   * that does not answer is ChainUnavailableError; an address without the contract, no anchoring.
   */
  readonly lookupAnchor: AnchorLookup;
  private readonly accounts: AnchoringAccounts;
  constructor(
    private readonly provider: Provider,
    accounts: Wallet | AnchoringAccounts,
    readonly chainId: number,
    contractAddress: string,
  ) {
    const cached = cachedAnchorLookup(createAnchorLookup(provider));
    this.lookupAnchor = (query) =>
      callChain('the anchoring lookup', async () => {
        try {
          return await cached(query);
        } catch (error) {
          if (error instanceof AnchorContractError && error.code === 'ANCHOR_CONTRACT_NOT_FOUND') return null;
          throw error;
        }
      });
    this.chain = `eip155:${chainId}`;
    this.contract = contractAddress.toLowerCase();
    this.accounts = 'current' in accounts ? accounts : { current: () => accounts, byAddress: (address) => (address.toLowerCase() === accounts.address.toLowerCase() ? accounts : undefined) };
  }

  /** The account new anchoring transactions are sent from. */
  get signerAddress(): string {
    return this.accounts.current().address.toLowerCase();
  }

  readAnchoring(rootHex: string): Promise<Anchoring | null> {
    return callChain('anchorOf', () => readAnchoring(this.provider, this.contract, rootHex));
  }

  async findAnchoringEvent(rootHex: string, blockNumber: number): Promise<{ transactionHash: string; blockHash: string } | null> {
    const event = await callChain('eth_getLogs', () => findAnchoringEvent(this.provider, this.contract, rootHex, blockNumber));
    return event ? { transactionHash: event.transactionHash.toLowerCase(), blockHash: event.blockHash.toLowerCase() } : null;
  }

  /** Signs (does not send) an anchoring transaction at the current account's next pending nonce. */
  async prepareAnchorTransaction(rootHex: string, treeSize: number): Promise<{ hash: string; nonce: number; raw: string }> {
    const wallet = this.accounts.current();
    const call = encodeAnchorCall(this.contract, rootHex, treeSize);
    const [nonce, fees, estimate] = await callChain('the nonce, fee and gas estimate', () =>
      Promise.all([
        this.provider.getTransactionCount(wallet.address, 'pending'),
        this.provider.getFeeData(),
        this.provider.estimateGas({ ...call, from: wallet.address }),
      ]),
    ).catch((error: unknown) => {
      throw isError(error, 'INSUFFICIENT_FUNDS') ? unfunded(wallet.address) : error;
    });
    const gasLimit = BigInt(Math.ceil(Number(estimate) * GAS_LIMIT_MARGIN));
    const raw = await wallet.signTransaction({
      ...call,
      nonce,
      chainId: this.chainId,
      gasLimit,
      ...(fees.maxFeePerGas != null
        ? { type: 2, maxFeePerGas: fees.maxFeePerGas * 2n, maxPriorityFeePerGas: fees.maxPriorityFeePerGas ?? 1_000_000_000n }
        : { type: 0, gasPrice: fees.gasPrice ?? 1_000_000_000n }),
    });
    return { hash: keccak256(raw), nonce, raw };
  }

  /** The same transaction, same account and nonce, with fees raised; signed by the account that signed `raw`. */
  async prepareReplacement(raw: string): Promise<{ hash: string; nonce: number; raw: string }> {
    const previous = Transaction.from(raw);
    const wallet = this.accounts.byAddress(previous.from!);
    if (!wallet) throw new Error(`the anchoring transaction ${previous.hash} was signed by ${previous.from}, whose key this service no longer has`);
    const fees = await callChain('eth_feeHistory', () => this.provider.getFeeData());
    // Nodes accept a replacement only with fees at least 10% higher; bump by 25%, or to the market.
    const bump = (old: bigint | null, market: bigint | null) => {
      const raised = ((old ?? 0n) * 125n) / 100n + 1n;
      return market != null && market > raised ? market : raised;
    };
    const signed = await wallet.signTransaction({
      to: previous.to,
      data: previous.data,
      nonce: previous.nonce,
      chainId: this.chainId,
      gasLimit: previous.gasLimit,
      ...(previous.type === 2
        ? {
            type: 2,
            maxFeePerGas: bump(previous.maxFeePerGas, fees.maxFeePerGas == null ? null : fees.maxFeePerGas * 2n),
            maxPriorityFeePerGas: bump(previous.maxPriorityFeePerGas, fees.maxPriorityFeePerGas),
          }
        : { type: 0, gasPrice: bump(previous.gasPrice, fees.gasPrice) }),
    });
    return { hash: keccak256(signed), nonce: previous.nonce, raw: signed };
  }

  async broadcast(raw: string): Promise<void> {
    try {
      await this.provider.broadcastTransaction(raw);
    } catch (error) {
      // Re-sending a transaction the node already has, or that is already mined, is expected after a
      // restart. Geth says "already known", Anvil "transaction already imported".
      const message = (error as Error).message ?? '';
      if (/already known|already imported|known transaction|nonce too low|nonce has already been used|NONCE_EXPIRED/i.test(message)) return;
      if ((error as { code?: string }).code === 'NONCE_EXPIRED') return;
      if (isError(error, 'INSUFFICIENT_FUNDS')) throw unfunded(Transaction.from(raw).from!);
      if (isChainUnreachable(error)) throw new ChainUnavailableError(`the chain did not take the transaction: ${message.slice(0, 200)}`, { cause: error });
      throw error;
    }
  }

  async getMinedTransaction(hash: string) {
    const receipt = await callChain('eth_getTransactionReceipt', () => this.provider.getTransactionReceipt(hash));
    if (!receipt || receipt.blockNumber == null) return null;
    return {
      blockNumber: receipt.blockNumber,
      blockHash: receipt.blockHash.toLowerCase(),
      succeeded: receipt.status === 1,
      gasUsed: Number(receipt.gasUsed),
      feeWei: (receipt.gasUsed * receipt.gasPrice).toString(),
    };
  }

  /** The next nonce of the account that signed `raw`, counting only mined transactions. */
  getConfirmedNonce(raw: string): Promise<number> {
    const sender = Transaction.from(raw).from!;
    return callChain('eth_getTransactionCount', () => this.provider.getTransactionCount(sender, 'latest'));
  }

  getBlockNumber(): Promise<number> {
    return callChain('eth_blockNumber', () => this.provider.getBlockNumber());
  }
}

/**
 * `ANCHORING_ACCOUNT_UNFUNDED`: the account anchoring transactions are sent from cannot pay for them
 * (it ran dry, or a key rotation kept the ether in the old account). Anchoring resumes once it is funded.
 */
function unfunded(account: string): DomainError<'ANCHORING_ACCOUNT_UNFUNDED'> {
  return new DomainError('ANCHORING_ACCOUNT_UNFUNDED', `the anchoring account ${account.toLowerCase()} cannot pay for the anchoring transaction: send it ether`, {
    account: account.toLowerCase(),
  });
}
