// Contracts of the embedded chain: deployed once, recorded in the data directory, and redeployed
// only when the chain they lived on is gone.
import fs from 'node:fs';
import path from 'node:path';
import { ContractFactory, getAddress, parseEther, type Provider, type Wallet } from 'ethers';
import { loadDidRegistryArtifact, loadDocumentAnchorArtifact, type ContractArtifact } from './artifacts';
import type { ChainLogger } from './embedded-anvil/embedded-anvil';

/** Contents of `<dataDir>/chain/deployment.json`. */
export interface EmbeddedDeployment {
  chainId: number;
  /** DocumentAnchor address (EIP-55). */
  anchorContract: string;
  /** ERC-1056 EthereumDIDRegistry address (EIP-55), for the `did:ethr` resolver. */
  didRegistry: string;
  /** Block of the first deployment transaction: where log scans may start. */
  deployedAtBlock: number;
}

export interface EnsureEmbeddedDeploymentOptions {
  dataDir: string;
  provider: Provider;
  /** Pays for deployment and funds the signer: Anvil's dev account on the embedded chain. */
  funder: Wallet;
  /** The chain's folder in the data directory (default `chain`). */
  directory?: string;
  /** The service's anchoring account, topped up so it can pay for anchors. */
  signerAddress: string;
  logger?: ChainLogger;
  /** Top up when the signer holds less than this (default 10 ETH). */
  minimumSignerBalance?: bigint;
  /** Amount sent on a top-up (default 100 ETH). */
  signerTopUp?: bigint;
}

/**
 * Makes sure DocumentAnchor and the DID registry exist on the embedded chain and the signer can pay
 * for gas. On first start it deploys and records the addresses; on later starts it reuses them while
 * code is still there, and redeploys (with a warning) when the chain was reset, since receipts that
 * point at the old chain can no longer be checked against it.
 */
export async function ensureEmbeddedDeployment(options: EnsureEmbeddedDeploymentOptions): Promise<EmbeddedDeployment> {
  const { provider, funder, logger } = options;
  const recordFile = path.join(path.resolve(options.dataDir), options.directory ?? 'chain', 'deployment.json');
  const chainId = Number((await provider.getNetwork()).chainId);
  const recorded = readRecord(recordFile, logger);

  let deployment: EmbeddedDeployment;
  let nextFunderNonce: number | undefined;
  const stillDeployed =
    recorded !== undefined &&
    recorded.chainId === chainId &&
    (await hasCode(provider, recorded.anchorContract)) &&
    (await hasCode(provider, recorded.didRegistry));
  if (recorded && stillDeployed) {
    deployment = recorded;
  } else {
    if (recorded) {
      warn(
        logger,
        `embedded chain no longer holds the contracts recorded in ${recordFile} (chain reset?): deploying new ones; ` +
          `receipts anchored on the old chain cannot be verified against this one`,
      );
    }
    const connectedFunder = funder.connect(provider);
    // Explicit nonces: ethers caches eth_getTransactionCount for 250 ms by default, and Anvil mines
    // faster than that, so back-to-back sends would otherwise reuse a nonce.
    const nonce = await provider.getTransactionCount(connectedFunder.address, 'pending');
    const anchor = await deployContract(connectedFunder, loadDocumentAnchorArtifact(), nonce);
    const registry = await deployContract(connectedFunder, loadDidRegistryArtifact(), nonce + 1);
    nextFunderNonce = nonce + 2;
    deployment = { chainId, anchorContract: anchor.address, didRegistry: registry.address, deployedAtBlock: anchor.blockNumber };
    writeRecord(recordFile, deployment);
    logger?.info(`deployed DocumentAnchor at ${anchor.address} and EthereumDIDRegistry at ${registry.address}`);
  }

  await topUpSigner(options, nextFunderNonce);
  return deployment;
}

/** Deploys a compiled contract and waits for it; also used by `did-notary deploy` for public chains. */
export async function deployContract(
  funder: Wallet,
  artifact: ContractArtifact,
  nonce?: number,
): Promise<{ address: string; blockNumber: number; transactionHash: string }> {
  const contract = await new ContractFactory(artifact.abi, artifact.bytecode, funder).deploy(nonce === undefined ? {} : { nonce });
  const receipt = await contract.deploymentTransaction()!.wait();
  if (!receipt?.contractAddress) throw new Error(`deploying ${artifact.contractName} produced no contract`);
  return { address: getAddress(receipt.contractAddress), blockNumber: receipt.blockNumber, transactionHash: receipt.hash };
}

async function topUpSigner(options: EnsureEmbeddedDeploymentOptions, nonce: number | undefined): Promise<void> {
  const { provider, funder, logger } = options;
  const signer = getAddress(options.signerAddress);
  if (signer === getAddress(funder.address)) return;
  const balance = await provider.getBalance(signer);
  if (balance >= (options.minimumSignerBalance ?? parseEther('10'))) return;
  const amount = options.signerTopUp ?? parseEther('100');
  const transaction = await funder.connect(provider).sendTransaction({
    to: signer,
    value: amount,
    nonce: nonce ?? (await provider.getTransactionCount(funder.address, 'pending')), // see the note on nonces above
  });
  await transaction.wait();
  logger?.info(`funded signer ${signer} with ${amount} wei on the embedded chain`);
}

async function hasCode(provider: Provider, address: string): Promise<boolean> {
  return (await provider.getCode(address)) !== '0x';
}

function readRecord(file: string, logger: ChainLogger | undefined): EmbeddedDeployment | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // first start
  }
  try {
    const record = JSON.parse(text) as Partial<Record<keyof EmbeddedDeployment, unknown>>;
    const { chainId, anchorContract, didRegistry, deployedAtBlock } = record;
    if (
      typeof chainId === 'number' &&
      typeof deployedAtBlock === 'number' &&
      typeof anchorContract === 'string' &&
      typeof didRegistry === 'string'
    ) {
      return { chainId, anchorContract: getAddress(anchorContract), didRegistry: getAddress(didRegistry), deployedAtBlock };
    }
  } catch {
    // fall through: treated as absent
  }
  warn(logger, `ignoring unreadable ${file}`);
  return undefined;
}

/** Written to a temporary file and renamed, so a crash never leaves half a record. */
function writeRecord(file: string, deployment: EmbeddedDeployment): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(deployment, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

function warn(logger: ChainLogger | undefined, message: string): void {
  if (logger) logger.warn(message);
  else process.emitWarning(message, { code: 'DID_NOTARY_CHAIN' });
}
