// DocumentAnchor on a real Anvil, through the hand-written bindings and through a plain ethers
// Contract built from the compiled artifact. Needs `npm run compile` first.
import { connectEmbeddedChain } from '../../src/platform/chain/embedded-anvil/embedded-provider';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Contract,
  ContractFactory,
  Interface,
  JsonRpcProvider,
  Wallet,
  ZeroAddress,
  ZeroHash,
  hexlify,
  parseEther,
  randomBytes,
  toBeHex,
  zeroPadValue,
  type TransactionReceipt,
} from 'ethers';
import { ANVIL_DEV_FUNDER_KEY, startEmbeddedAnvil, type EmbeddedAnvil } from '../../src/platform/chain/embedded-anvil/embedded-anvil';
import { loadDocumentAnchorArtifact } from '../../src/platform/chain/artifacts';
import {
  AnchorContractError,
  DOCUMENT_ANCHOR_ABI,
  anchorRoot,
  findAnchoringEvent,
  readAnchoring,
} from '../../src/platform/chain/anchor-contract';

const MAX_UINT32 = 2 ** 32 - 1;
const GAS_BUDGET = 50_000n;
const artifact = loadDocumentAnchorArtifact();
const anchorInterface = new Interface(artifact.abi);
const rootAnchoredTopic = anchorInterface.getEvent('RootAnchored')!.topicHash;

const randomRoot = (): string => hexlify(randomBytes(32)).slice(2);

interface TestChain {
  anvil: EmbeddedAnvil;
  provider: JsonRpcProvider;
  funder: Wallet;
  dataDir: string;
}

async function startChain(extraArgs: string[] = []): Promise<TestChain> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'did-notary-anchor-'));
  const anvil = await startEmbeddedAnvil({ dataDir, extraArgs });
  // cacheTimeout -1: Anvil mines faster than ethers' 250 ms result cache, which would serve stale nonces.
  const provider = connectEmbeddedChain(anvil, 50);
  return { anvil, provider, funder: new Wallet(ANVIL_DEV_FUNDER_KEY, provider), dataDir };
}

async function stopChain(chain: TestChain | undefined): Promise<void> {
  if (!chain) return;
  chain.provider.destroy();
  await chain.anvil.stop();
  fs.rmSync(chain.dataDir, { recursive: true, force: true });
}

async function deployAnchor(deployer: Wallet): Promise<{ address: string; contract: Contract }> {
  const deployed = await new ContractFactory(artifact.abi, artifact.bytecode, deployer).deploy();
  await deployed.waitForDeployment();
  const address = await deployed.getAddress();
  return { address, contract: new Contract(address, artifact.abi, deployer) };
}

/** The custom error a call reverts with, decoded from the revert data. */
async function revertName(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: string; info?: { error?: { data?: string } } }).data ??
      (error as { info?: { error?: { data?: string } } }).info?.error?.data;
    return data ? anchorInterface.parseError(data)?.name : `no revert data: ${String(error)}`;
  }
  return undefined;
}

describe('DocumentAnchor', { timeout: 30_000 }, () => {
  let chain: TestChain;
  let anchorAddress: string;
  let contract: Contract;
  let second: Wallet;

  beforeAll(async () => {
    chain = await startChain();
    ({ address: anchorAddress, contract } = await deployAnchor(chain.funder));
    second = new Wallet(Wallet.createRandom().privateKey, chain.provider);
    await (await chain.funder.sendTransaction({ to: second.address, value: parseEther('1') })).wait();
  }, 30_000);

  afterAll(() => stopChain(chain));

  it('has the ABI the bindings were written for', () => {
    const sorted = (abi: Interface) => [...abi.format()].sort();
    expect(sorted(new Interface(DOCUMENT_ANCHOR_ABI))).toEqual(sorted(anchorInterface));
  });

  it('stores the first anchoring of a root and returns it from anchorOf', async () => {
    const root = randomRoot();
    expect(await readAnchoring(chain.provider, anchorAddress, root)).toBeNull();
    expect(await contract.anchor.staticCall(`0x${root}`, 1000)).toBe(true);

    const receipt = (await (await anchorRoot(chain.funder, anchorAddress, root, 1000)).wait())!;
    const block = (await chain.provider.getBlock(receipt.blockNumber))!;
    const expected = {
      timestamp: block.timestamp,
      blockNumber: receipt.blockNumber,
      treeSize: 1000,
      submitter: chain.funder.address,
    };
    expect(await readAnchoring(chain.provider, anchorAddress, root)).toEqual(expected);
    const [timestamp, blockNumber, treeSize, submitter] = await contract.anchorOf(`0x${root}`);
    expect({ timestamp: Number(timestamp), blockNumber: Number(blockNumber), treeSize: Number(treeSize), submitter }).toEqual(expected);
  });

  it('emits RootAnchored with the root as a topic, findable by root and block', async () => {
    const root = randomRoot();
    const receipt = (await (await anchorRoot(chain.funder, anchorAddress, root, 7)).wait())!;
    const block = (await chain.provider.getBlock(receipt.blockNumber))!;

    expect(receipt.logs).toHaveLength(1);
    const [log] = receipt.logs;
    expect(log.topics).toEqual([rootAnchoredTopic, `0x${root}`, zeroPadValue(chain.funder.address, 32).toLowerCase()]);
    const event = anchorInterface.parseLog(log)!;
    expect(event.name).toBe('RootAnchored');
    expect(event.args.toObject()).toEqual({
      root: `0x${root}`,
      submitter: chain.funder.address,
      treeSize: 7n,
      blockNumber: BigInt(receipt.blockNumber),
      timestamp: BigInt(block.timestamp),
    });

    expect(await findAnchoringEvent(chain.provider, anchorAddress, root, receipt.blockNumber)).toEqual({
      transactionHash: receipt.hash,
      blockHash: receipt.blockHash,
      blockNumber: receipt.blockNumber,
      logIndex: log.index,
    });
    expect(await findAnchoringEvent(chain.provider, anchorAddress, root, receipt.blockNumber - 1)).toBeNull();
    expect(await findAnchoringEvent(chain.provider, anchorAddress, randomRoot(), receipt.blockNumber)).toBeNull();
  });

  it('ignores re-anchoring: same record, first submitter kept, no event, returns false', async () => {
    const root = randomRoot();
    await (await anchorRoot(chain.funder, anchorAddress, root, 1000)).wait();
    const first = await readAnchoring(chain.provider, anchorAddress, root);

    const secondContract = contract.connect(second) as Contract;
    expect(await secondContract.anchor.staticCall(`0x${root}`, 5)).toBe(false);
    const retry = (await (await anchorRoot(second, anchorAddress, root, 5)).wait())!;
    expect(retry.status).toBe(1);
    expect(retry.logs).toHaveLength(0);
    expect(await readAnchoring(chain.provider, anchorAddress, root)).toEqual(first);
    expect(first?.submitter).toBe(chain.funder.address);
    console.log(`re-anchoring an anchored root: ${retry.gasUsed} gas`);
  });

  it('reverts with ZeroRoot and ZeroTreeSize custom errors', async () => {
    expect(await revertName(contract.anchor.staticCall(ZeroHash, 1))).toBe('ZeroRoot');
    expect(await revertName(contract.anchor.staticCall(`0x${randomRoot()}`, 0))).toBe('ZeroTreeSize');
    expect(await revertName(contract.anchor.estimateGas(ZeroHash, 0))).toBe('ZeroRoot');
  });

  it('rejects malformed input in the bindings before sending anything', async () => {
    const nonce = await chain.provider.getTransactionCount(chain.funder.address);
    for (const [root, size] of [
      ['00'.repeat(32), 1],
      [randomRoot().toUpperCase(), 1],
      [`0x${randomRoot()}`, 1],
      [randomRoot(), 0],
      [randomRoot(), 2 ** 32],
      [randomRoot(), 1.5],
    ] as const) {
      await expect(anchorRoot(chain.funder, anchorAddress, root, size)).rejects.toMatchObject({
        code: 'INVALID_ANCHOR_INPUT',
      });
    }
    await expect(readAnchoring(chain.provider, anchorAddress, 'nothex')).rejects.toBeInstanceOf(AnchorContractError);
    await expect(readAnchoring(chain.provider, chain.funder.address, randomRoot())).rejects.toMatchObject({
      code: 'ANCHOR_CONTRACT_NOT_FOUND',
    });
    expect(await chain.provider.getTransactionCount(chain.funder.address)).toBe(nonce);
  });

  it(`costs at most ${GAS_BUDGET} gas per anchor whatever the tree size`, async () => {
    const gasUsed: bigint[] = [];
    for (const treeSize of [1, 1000, 100_000, MAX_UINT32]) {
      for (let i = 0; i < 3; i++) {
        const root = randomRoot();
        const receipt: TransactionReceipt = (await (await anchorRoot(chain.funder, anchorAddress, root, treeSize)).wait())!;
        expect((await readAnchoring(chain.provider, anchorAddress, root))?.treeSize).toBe(treeSize);
        console.log(`anchor treeSize=${treeSize}: ${receipt.gasUsed} gas`);
        gasUsed.push(receipt.gasUsed);
      }
    }
    for (const gas of gasUsed) expect(gas).toBeLessThanOrEqual(GAS_BUDGET);
    // Constant up to calldata pricing (16 gas per non-zero byte, 4 per zero byte of root and size).
    const spread = gasUsed.reduce((a, b) => (a > b ? a : b)) - gasUsed.reduce((a, b) => (a < b ? a : b));
    expect(spread).toBeLessThan(500n);
  });

  it('refuses timestamps and block numbers beyond 32 bits instead of truncating them', async () => {
    const call = (blockOverrides: { number: number; time: number }) =>
      chain.provider.send('eth_call', [
        { to: anchorAddress, from: chain.funder.address, data: anchorInterface.encodeFunctionData('anchor', [`0x${randomRoot()}`, 1]) },
        'latest',
        {},
        { number: toBeHex(blockOverrides.number), time: toBeHex(blockOverrides.time) },
      ]);
    expect(await call({ number: MAX_UINT32, time: MAX_UINT32 })).toBe(toBeHex(1, 32));
    expect(await revertName(call({ number: MAX_UINT32 + 1, time: 1_800_000_000 }))).toBe('BlockNumberOutOfRange');
    expect(await revertName(call({ number: 1_000, time: MAX_UINT32 + 1 }))).toBe('TimestampOutOfRange');
  });
});

describe('DocumentAnchor at the 32-bit limits', { timeout: 30_000 }, () => {
  let chain: TestChain | undefined;
  afterAll(() => stopChain(chain));

  it('stores block 2^32-1, timestamp 2^32-1 and tree size 2^32-1 exactly, then refuses block 2^32', async () => {
    // Genesis at 2^32 - 3: the deployment is mined in block 2^32 - 2, the anchor in 2^32 - 1.
    chain = await startChain(['--number', String(MAX_UINT32 - 2)]);
    const { address, contract } = await deployAnchor(chain.funder);
    await chain.provider.send('evm_setNextBlockTimestamp', [MAX_UINT32]);
    const root = randomRoot();
    const receipt = (await (await anchorRoot(chain.funder, address, root, MAX_UINT32)).wait())!;

    expect(receipt.blockNumber).toBe(MAX_UINT32);
    expect(await readAnchoring(chain.provider, address, root)).toEqual({
      timestamp: MAX_UINT32,
      blockNumber: MAX_UINT32,
      treeSize: MAX_UINT32,
      submitter: chain.funder.address,
    });

    // Block 2^32 (and timestamp >= 2^32): the transaction is mined but reverts, storing nothing.
    const late = randomRoot();
    const failed = await anchorRoot(chain.funder, address, late, 1, { gasLimit: 100_000 });
    await expect(failed.wait()).rejects.toMatchObject({ code: 'CALL_EXCEPTION', receipt: { status: 0, blockNumber: MAX_UINT32 + 1 } });
    expect(await readAnchoring(chain.provider, address, late)).toBeNull();
    expect(await contract.anchorOf(`0x${late}`)).toEqual([0n, 0n, 0n, ZeroAddress]);
  });
});
