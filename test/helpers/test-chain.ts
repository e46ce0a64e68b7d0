// A real chain to anchor on: an embedded Anvil, the DocumentAnchor contract deployed by Anvil's dev
// funder, and an AnchorClient signing with one of Anvil's other dev keys.
import { JsonRpcProvider, Wallet } from 'ethers';
import { AnchorClient } from '../../src/platform/chain/anchor-client';
import { loadDocumentAnchorArtifact } from '../../src/platform/chain/artifacts';
import { deployContract } from '../../src/platform/chain/deployment';
import { ANVIL_DEV_FUNDER_KEY, startEmbeddedAnvil, type EmbeddedAnvil } from '../../src/platform/chain/embedded-anvil/embedded-anvil';
import { connectEmbeddedChain } from '../../src/platform/chain/embedded-anvil/embedded-provider';
import { makeTempDir } from './service-process';

export interface TestChain {
  anvil: EmbeddedAnvil;
  provider: JsonRpcProvider;
  /** Lower-case address of the deployed DocumentAnchor. */
  contract: string;
  signer: Wallet;
  client: AnchorClient;
  close(): Promise<void>;
}

export async function startTestChain(signerKey: string, chainId?: number): Promise<TestChain> {
  const anvil = await startEmbeddedAnvil({ dataDir: makeTempDir('did-notary-anchoring-chain-'), ...(chainId === undefined ? {} : { chainId }) });
  const provider = connectEmbeddedChain(anvil);
  const contract = (await deployContract(new Wallet(ANVIL_DEV_FUNDER_KEY, provider), loadDocumentAnchorArtifact())).address.toLowerCase();
  const signer = new Wallet(signerKey, provider);
  return {
    anvil,
    provider,
    contract,
    signer,
    client: new AnchorClient(provider, signer, anvil.chainId, contract),
    async close() {
      provider.destroy();
      await anvil.stop();
    },
  };
}
