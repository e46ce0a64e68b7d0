// Writes to the ERC-1056 DID registry for the service's own did:ethr when its key rotates: a new key
// becomes a delegate (veriKey), or the owner. Every write is a signed meta-transaction
// (`addDelegateSigned`, `changeOwnerSigned`): the identity's owner key signs, the funded anchoring
// account sends and pays, so an owner key that holds no ether can still rotate.
import { Contract, isError, keccak256, solidityPacked, toUtf8Bytes, Wallet, zeroPadBytes, type Provider } from 'ethers';
import { DomainError } from '../../core/errors';
import { callChain } from './chain-errors';

const REGISTRY_ABI = [
  'function identityOwner(address identity) view returns (address)',
  'function nonce(address) view returns (uint256)',
  'function validDelegate(address identity, bytes32 delegateType, address delegate) view returns (bool)',
  'function addDelegateSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, bytes32 delegateType, address delegate, uint validity)',
  'function changeOwnerSigned(address identity, uint8 sigV, bytes32 sigR, bytes32 sigS, address newOwner)',
];

/** Gas of one signed registry write, generously: addDelegateSigned uses about 60,000, changeOwnerSigned less. */
const REGISTRY_WRITE_GAS = 100_000n;

/** `veriKey`: a delegate that may sign for the DID (assertionMethod), as ethr-did-resolver reads it. */
const VERIFICATION_KEY = zeroPadBytes(toUtf8Bytes('veriKey'), 32);

/** `INSUFFICIENT_FUNDS`: the sending account cannot pay for the transaction; nothing was sent. */
export class InsufficientFundsError extends DomainError<'INSUFFICIENT_FUNDS'> {
  constructor(readonly account: string) {
    super('INSUFFICIENT_FUNDS', `the account ${account} cannot pay for the transaction`, { account });
  }
}

export interface RegistryTransaction {
  purpose: string;
  hash: string;
}

/** The ERC-1056 registry at `registry` on `provider`; transactions are sent by `sender` (0x-hex key) and awaited. */
export class DidRegistryWriter {
  private readonly contract: Contract;

  constructor(
    private readonly provider: Provider,
    private readonly registry: string,
  ) {
    this.contract = new Contract(registry, REGISTRY_ABI, provider);
  }

  /** The address that controls `identity` today (itself until an owner change). */
  async identityOwner(identity: string): Promise<string> {
    return ((await callChain('identityOwner', () => this.contract.getFunction('identityOwner')(identity))) as string).toLowerCase();
  }

  /** Whether `delegate` is a valid veriKey delegate of `identity`. */
  async isVerificationDelegate(identity: string, delegate: string): Promise<boolean> {
    return (await callChain('validDelegate', () => this.contract.getFunction('validDelegate')(identity, VERIFICATION_KEY, delegate))) as boolean;
  }

  /**
   * Whether `account` can pay for `transactions` registry writes at today's fees (with room to spare):
   * checked before the first one, so that a rotation does not stop halfway for want of ether.
   */
  async canPay(account: string, transactions: number): Promise<boolean> {
    const [balance, fees] = await callChain('balance and fees', () => Promise.all([this.provider.getBalance(account), this.provider.getFeeData()]));
    const pricePerGas = fees.maxFeePerGas ?? fees.gasPrice ?? 1_000_000_000n;
    return balance >= BigInt(transactions) * REGISTRY_WRITE_GAS * pricePerGas * 2n;
  }

  /** Makes `delegate` a veriKey of `identity` for `validitySeconds`, signed by the owner's key. */
  async addVerificationDelegate(identity: string, ownerPrivateKey: string, delegate: string, validitySeconds: number, senderPrivateKey: string): Promise<RegistryTransaction> {
    const owner = new Wallet(ownerPrivateKey);
    const nonce = await this.ownerNonce(owner.address);
    const hash = keccak256(
      solidityPacked(
        ['bytes1', 'bytes1', 'address', 'uint256', 'address', 'string', 'bytes32', 'address', 'uint256'],
        ['0x19', '0x00', this.registry, nonce, identity, 'addDelegate', VERIFICATION_KEY, delegate, validitySeconds],
      ),
    );
    const { v, r, s } = owner.signingKey.sign(hash);
    const data = this.contract.interface.encodeFunctionData('addDelegateSigned', [identity, v, r, s, VERIFICATION_KEY, delegate, validitySeconds]);
    return { purpose: `add ${delegate} as a veriKey delegate of ${identity}`, hash: await this.send(senderPrivateKey, data) };
  }

  /** Makes `newOwner` the owner of `identity`, signed by the current owner's key. */
  async changeOwner(identity: string, ownerPrivateKey: string, newOwner: string, senderPrivateKey: string): Promise<RegistryTransaction> {
    const owner = new Wallet(ownerPrivateKey);
    const nonce = await this.ownerNonce(owner.address);
    const hash = keccak256(
      solidityPacked(['bytes1', 'bytes1', 'address', 'uint256', 'address', 'string', 'address'], ['0x19', '0x00', this.registry, nonce, identity, 'changeOwner', newOwner]),
    );
    const { v, r, s } = owner.signingKey.sign(hash);
    const data = this.contract.interface.encodeFunctionData('changeOwnerSigned', [identity, v, r, s, newOwner]);
    return { purpose: `make ${newOwner} the owner of ${identity}`, hash: await this.send(senderPrivateKey, data) };
  }

  /** Sends all of `from`'s ether but the transfer's fee to `to`; undefined when there is nothing to send. */
  async transferBalance(fromPrivateKey: string, to: string): Promise<RegistryTransaction | undefined> {
    const wallet = new Wallet(fromPrivateKey, this.provider);
    const [balance, fees, nonce] = await callChain('balance and fees', () =>
      Promise.all([this.provider.getBalance(wallet.address), this.provider.getFeeData(), this.provider.getTransactionCount(wallet.address, 'pending')]),
    );
    const gasLimit = 21_000n;
    // The node wants value + gasLimit × (max) fee covered: what stays behind is what the fee did not use.
    const maxFeePerGas = fees.maxFeePerGas != null ? fees.maxFeePerGas * 2n : undefined;
    const gasPrice = fees.gasPrice ?? 1_000_000_000n;
    const fee = gasLimit * (maxFeePerGas ?? gasPrice);
    const pricing =
      maxFeePerGas !== undefined
        ? { type: 2, maxFeePerGas, maxPriorityFeePerGas: (fees.maxPriorityFeePerGas ?? 1n) < maxFeePerGas ? (fees.maxPriorityFeePerGas ?? 1n) : maxFeePerGas }
        : { type: 0, gasPrice };
    if (balance <= fee) return undefined;
    const transaction = await sendOrExplain(wallet, () => wallet.sendTransaction({ to, value: balance - fee, gasLimit, nonce, ...pricing }));
    await this.confirmed(transaction.hash);
    return { purpose: `move the anchoring account's ${balance - fee} wei to ${to}`, hash: transaction.hash.toLowerCase() };
  }

  private async ownerNonce(owner: string): Promise<bigint> {
    return (await callChain('nonce', () => this.contract.getFunction('nonce')(owner))) as bigint;
  }

  private async send(senderPrivateKey: string, data: string): Promise<string> {
    const sender = new Wallet(senderPrivateKey, this.provider);
    const nonce = await callChain('eth_getTransactionCount', () => this.provider.getTransactionCount(sender.address, 'pending'));
    const transaction = await sendOrExplain(sender, () => sender.sendTransaction({ to: this.registry, data, nonce }));
    await this.confirmed(transaction.hash);
    return transaction.hash.toLowerCase();
  }

  private async confirmed(hash: string): Promise<void> {
    const receipt = await callChain('the registry transaction\'s receipt', () => this.provider.waitForTransaction(hash, 1, 120_000));
    if (!receipt || receipt.status !== 1) throw new Error(`registry transaction ${hash} failed`);
  }
}

/** Sends through `call`; an account that cannot pay is an InsufficientFundsError, an unreachable chain a ChainUnavailableError. */
async function sendOrExplain<T>(wallet: Wallet, call: () => Promise<T>): Promise<T> {
  try {
    return await callChain('the registry transaction', call);
  } catch (error) {
    if (isError(error, 'INSUFFICIENT_FUNDS')) throw new InsufficientFundsError(wallet.address.toLowerCase());
    throw error;
  }
}
