// `did-notary deploy`: deploys DocumentAnchor (and optionally an ERC-1056 registry) to any EVM chain,
// for running the service against a public chain.
import { Command, Option } from 'commander';
import { JsonRpcProvider, Wallet, formatEther } from 'ethers';
import { loadDidRegistryArtifact, loadDocumentAnchorArtifact } from '../platform/chain/artifacts';
import { deployContract } from '../platform/chain/deployment';
import { redactUrl } from '../config/config';

export function registerDeployCommand(program: Command): void {
  program
    .command('deploy')
    .description('deploy the DocumentAnchor contract to a chain; prints the settings to run the service against it')
    .addOption(new Option('--rpc-url <url>', 'JSON-RPC URL of the chain').env('RPC_URL').makeOptionMandatory())
    .addOption(new Option('--signer-private-key <hex>', 'funded account that pays for the deployment').env('SIGNER_PRIVATE_KEY').makeOptionMandatory())
    .option('--did-registry', 'also deploy an ERC-1056 DID registry (only for chains without the canonical one)')
    .addHelpText('after', '\nExample:\n  RPC_URL=https://sepolia.example/rpc SIGNER_PRIVATE_KEY=0x... did-notary deploy\n')
    .action(async (options: { rpcUrl: string; signerPrivateKey: string; didRegistry?: boolean }) => {
      const provider = new JsonRpcProvider(options.rpcUrl, undefined, { cacheTimeout: -1 });
      try {
        const key = options.signerPrivateKey.startsWith('0x') ? options.signerPrivateKey : `0x${options.signerPrivateKey}`;
        if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error('--signer-private-key is not a 32-byte hex key');
        const wallet = new Wallet(key, provider);
        const network = await provider.getNetwork();
        const balance = await provider.getBalance(wallet.address);
        process.stderr.write(`deploying from ${wallet.address} (balance ${formatEther(balance)}) on chain ${network.chainId} via ${redactUrl(options.rpcUrl)}\n`);
        const anchor = await deployContract(wallet, loadDocumentAnchorArtifact());
        process.stderr.write(`DocumentAnchor at ${anchor.address} (block ${anchor.blockNumber}, tx ${anchor.transactionHash})\n`);
        let registry: string | undefined;
        if (options.didRegistry) {
          registry = (await deployContract(wallet, loadDidRegistryArtifact())).address;
          process.stderr.write(`EthereumDIDRegistry at ${registry}\n`);
        }
        console.log(`CHAIN_ID=${network.chainId}`);
        console.log(`ANCHOR_CONTRACT=${anchor.address.toLowerCase()}`);
        if (registry) console.log(`DID_REGISTRY=${registry.toLowerCase()}`);
      } finally {
        provider.destroy();
      }
    });
}
