// The page's hand-encoded DocumentAnchor calls agree with ethers and the contract's ABI, so the browser
// bundle can do without ethers.
import { AbiCoder, getAddress, Interface } from 'ethers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_ANCHOR_ABI } from '../../src/platform/chain/anchor-contract';
import {
  ANCHOR_OF_SELECTOR,
  ChainRequestError,
  decodeAnchorOfResult,
  encodeAnchorOfCall,
  rootAnchoredLogFilter,
  ROOT_ANCHORED_TOPIC,
} from '../../src/web/browser/anchor-contract-calls';

const anchorInterface = new Interface(DOCUMENT_ANCHOR_ABI);
const CONTRACT = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('hex'));
const uint32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((bytes) => getAddress(`0x${Buffer.from(bytes).toString('hex')}`));

describe('hand-encoded anchor contract calls', () => {
  it('use the selector and event topic the ABI defines', () => {
    expect(ANCHOR_OF_SELECTOR).toBe(anchorInterface.getFunction('anchorOf')!.selector);
    expect(ROOT_ANCHORED_TOPIC).toBe(anchorInterface.getEvent('RootAnchored')!.topicHash);
  });

  it('encode anchorOf(root) exactly as ethers does', () => {
    fc.assert(
      fc.property(hex32, (root) => {
        expect(encodeAnchorOfCall(root)).toBe(anchorInterface.encodeFunctionData('anchorOf', [`0x${root}`]));
      }),
    );
    expect(() => encodeAnchorOfCall('AB'.repeat(32))).toThrow(ChainRequestError);
  });

  it('decode any anchorOf answer as ethers does, a zero submitter as "never anchored"', () => {
    fc.assert(
      fc.property(uint32, uint32, uint32, address, (timestamp, blockNumber, treeSize, submitter) => {
        const data = anchorInterface.encodeFunctionResult('anchorOf', [timestamp, blockNumber, treeSize, submitter]);
        const decoded = decodeAnchorOfResult(data, CONTRACT);
        if (/^0x0{40}$/.test(submitter)) expect(decoded).toBeNull();
        else expect(decoded).toEqual({ timestamp, blockNumber, treeSize, submitter: submitter.toLowerCase() });
      }),
    );
    const zero = anchorInterface.encodeFunctionResult('anchorOf', [0, 0, 0, `0x${'0'.repeat(40)}`]);
    expect(decodeAnchorOfResult(zero, CONTRACT)).toBeNull();
  });

  it('reject answers that are no anchorOf result, and name a missing contract', () => {
    expect(() => decodeAnchorOfResult('0x', CONTRACT)).toThrow(expect.objectContaining({ code: 'ANCHOR_CONTRACT_NOT_FOUND' }));
    for (const bad of ['0x1234', null, 42, `0x${'0'.repeat(255)}`]) {
      expect(() => decodeAnchorOfResult(bad, CONTRACT)).toThrow(expect.objectContaining({ code: 'CHAIN_RPC_ERROR' }));
    }
    // A word too big for uint32, or an address word with high bytes set.
    const tooBig = AbiCoder.defaultAbiCoder().encode(['uint256', 'uint32', 'uint32', 'address'], [2n ** 32n, 1, 1, CONTRACT]);
    expect(() => decodeAnchorOfResult(tooBig, CONTRACT)).toThrow(/uint32/);
    const dirtyAddress = `${anchorInterface.encodeFunctionResult('anchorOf', [1, 1, 1, CONTRACT]).slice(0, -64)}ff${'0'.repeat(22)}${CONTRACT.slice(2)}`;
    expect(() => decodeAnchorOfResult(dirtyAddress, CONTRACT)).toThrow(/address/);
  });

  it('filter RootAnchored logs by root topic in one block', () => {
    const root = 'ab'.repeat(32);
    const filter = rootAnchoredLogFilter(CONTRACT, root, 42);
    expect(filter).toEqual({
      address: CONTRACT.toLowerCase(),
      topics: [anchorInterface.getEvent('RootAnchored')!.topicHash, `0x${root}`],
      fromBlock: '0x2a',
      toBlock: '0x2a',
    });
  });
});
