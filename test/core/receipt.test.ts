import { describe, expect, it } from 'vitest';
import { hashDocument } from '../../src/core/ids/document-id';
import { InvalidDocumentIdError, InvalidReceiptError } from '../../src/core/errors';
import { bytesToHex } from '../../src/core/hex';
import { buildMerkleTree } from '../../src/core/merkle/tree';
import { SHA2_512 } from '../../src/core/ids/multihash';
import { buildAnchoredReceipt, buildPendingReceipt } from '../../src/core/receipts/build';
import { parseReceipt, type AnchoredReceipt, type PendingReceipt } from '../../src/core/receipts/receipt';
import { verifyReceipt, type AnchorQuery, type Anchoring, type ReceiptFailureReason, type VerifyReceiptOptions } from '../../src/core/receipts/verify';

const CHAIN = 'eip155:31337';
const CONTRACT = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const TX = `0x${'ab'.repeat(32)}`;
const BLOCK_HASH = `0x${'cd'.repeat(32)}`;
const SUBMITTER = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const documents = Array.from({ length: 13 }, (_, i) => encode(`document-${i}`));
const ids = documents.map((bytes) => hashDocument(bytes));
const tree = buildMerkleTree(ids.map((id) => id.multihash));
const root = bytesToHex(tree.root);
const LEAF = 5;

function pendingReceipt(): PendingReceipt {
  return {
    version: 'did-notary/receipt/1',
    status: 'pending',
    document: { cid: ids[LEAF].cid, multihash: ids[LEAF].multihashHex },
    submittedAt: '2026-11-24T12:00:00.000Z',
    issuer: 'did:ethr:0x7a69:0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
  };
}

function anchoredReceipt(): AnchoredReceipt {
  return {
    ...pendingReceipt(),
    status: 'anchored',
    batch: { id: 'batch-1', root, treeSize: 13 },
    proof: {
      type: 'rfc9162-sha256-inclusion',
      leafIndex: LEAF,
      treeSize: 13,
      auditPath: tree.inclusionProof(LEAF).map(bytesToHex),
    },
    anchor: { chain: CHAIN, contract: CONTRACT, transactionHash: TX, blockNumber: 42, blockHash: BLOCK_HASH, timestamp: 1764000000 },
  };
}

const chainRecord = (): Anchoring => ({ timestamp: 1764000000, blockNumber: 42, treeSize: 13, submitter: SUBMITTER });

/** An in-memory chain: the anchor contract's storage, keyed like anchorOf(root) on one contract. */
function fakeChain(records: Record<string, Anchoring> = { [root]: chainRecord() }) {
  const queries: AnchorQuery[] = [];
  const lookupAnchor = async (query: AnchorQuery): Promise<Anchoring | null> => {
    queries.push(query);
    if (query.chain !== CHAIN || query.contract.toLowerCase() !== CONTRACT.toLowerCase()) return null;
    return records[query.root] ?? null;
  };
  return { lookupAnchor, queries };
}

function withChange<T>(value: T, change: (copy: T) => void): T {
  const copy = structuredClone(value);
  change(copy);
  return copy;
}

describe('verifyReceipt', () => {
  it('accepts a valid receipt and reports what the chain says', async () => {
    const chain = fakeChain({ [root]: { ...chainRecord(), transactionHash: TX, blockHash: BLOCK_HASH } });
    const result = await verifyReceipt(anchoredReceipt(), {
      lookupAnchor: chain.lookupAnchor,
      documentBytes: documents[LEAF],
      expectedChain: CHAIN,
      expectedContract: CONTRACT.toLowerCase(),
    });
    expect(result).toEqual({
      valid: true,
      document: { cid: ids[LEAF].cid, multihash: ids[LEAF].multihashHex },
      anchoredAt: 1764000000,
      blockNumber: 42,
      chain: CHAIN,
      contract: CONTRACT,
      transactionHash: TX,
      root,
      treeSize: 13,
      leafIndex: LEAF,
      submitter: SUBMITTER,
      anchors: [{ chain: CHAIN, contract: CONTRACT, transactionHash: TX, valid: true, anchoredAt: 1764000000, blockNumber: 42 }],
    });
    expect(chain.queries).toEqual([{ chain: CHAIN, contract: CONTRACT, root }]);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it.each([ids[LEAF].cid, ids[LEAF].digestHex, ids[LEAF].multihashHex, ids[LEAF].digestHex.toUpperCase()])(
    'accepts the document given by id %s',
    async (hash) => {
      const result = await verifyReceipt(anchoredReceipt(), { lookupAnchor: fakeChain().lookupAnchor, hash });
      expect(result.valid).toBe(true);
    },
  );

  it('accepts every leaf of the batch', async () => {
    for (let leafIndex = 0; leafIndex < 13; leafIndex++) {
      const receipt = withChange(anchoredReceipt(), (r) => {
        r.document = { cid: ids[leafIndex].cid, multihash: ids[leafIndex].multihashHex };
        r.proof.leafIndex = leafIndex;
        r.proof.auditPath = tree.inclusionProof(leafIndex).map(bytesToHex);
      });
      const result = await verifyReceipt(receipt, { lookupAnchor: fakeChain().lookupAnchor, documentBytes: documents[leafIndex] });
      expect(result.valid).toBe(true);
    }
  });

  it('checks a sha2-512 document with sha2-512', async () => {
    const id512 = hashDocument(encode('a large scan'), SHA2_512);
    const leaves = [ids[0].multihash, id512.multihash, ids[2].multihash];
    const tree512 = buildMerkleTree(leaves);
    const receipt = withChange(anchoredReceipt(), (r) => {
      r.document = { cid: id512.cid, multihash: id512.multihashHex };
      r.batch = { id: 'batch-2', root: bytesToHex(tree512.root), treeSize: 3 };
      r.proof = { type: 'rfc9162-sha256-inclusion', leafIndex: 1, treeSize: 3, auditPath: tree512.inclusionProof(1).map(bytesToHex) };
    });
    const chain = fakeChain({ [bytesToHex(tree512.root)]: { ...chainRecord(), treeSize: 3 } });
    const ok = await verifyReceipt(receipt, { lookupAnchor: chain.lookupAnchor, documentBytes: encode('a large scan') });
    expect(ok.valid).toBe(true);
    const wrong = await verifyReceipt(receipt, { lookupAnchor: chain.lookupAnchor, documentBytes: encode('another scan') });
    expect(wrong).toMatchObject({ valid: false, reason: 'wrong-document' });
  });

  const failures: Array<{
    name: string;
    reason: ReceiptFailureReason;
    receipt?: (receipt: AnchoredReceipt) => unknown;
    options?: Partial<VerifyReceiptOptions>;
    records?: Record<string, Anchoring>;
    message?: RegExp;
  }> = [
    { name: 'a receipt without proof.type', reason: 'invalid-receipt', receipt: (r) => withChange(r, (c) => delete (c.proof as Partial<typeof c.proof>).type), message: /proof\.type/ },
    { name: 'something that is not a receipt', reason: 'invalid-receipt', receipt: () => 'hello' },
    { name: 'the bytes of another document', reason: 'wrong-document', options: { documentBytes: documents[6] } },
    { name: 'the hash of another document', reason: 'wrong-document', options: { hash: ids[6].cid }, message: new RegExp(ids[6].cid) },
    { name: 'a pending receipt', reason: 'pending', receipt: () => pendingReceipt() },
    { name: 'another chain than expected', reason: 'wrong-chain', options: { expectedChain: 'eip155:1' } },
    { name: 'another contract than expected', reason: 'wrong-contract', options: { expectedContract: `0x${'11'.repeat(20)}` } },
    { name: 'proof.treeSize differing from batch.treeSize', reason: 'root-mismatch', receipt: (r) => withChange(r, (c) => (c.proof.treeSize = 12)) },
    { name: 'a flipped bit in the audit path', reason: 'bad-proof', receipt: (r) => withChange(r, (c) => (c.proof.auditPath[2] = flipFirstBit(c.proof.auditPath[2]))), message: /not to the batch root/ },
    { name: 'the leaf index of a neighbour', reason: 'bad-proof', receipt: (r) => withChange(r, (c) => (c.proof.leafIndex = 4)) },
    { name: 'a leaf index beyond the tree', reason: 'bad-proof', receipt: (r) => withChange(r, (c) => (c.proof.leafIndex = 13)), message: /leaf index 13 is not below tree size 13/ },
    { name: 'an audit path missing a hash', reason: 'bad-proof', receipt: (r) => withChange(r, (c) => c.proof.auditPath.pop()), message: /needs 4/ },
    { name: 'another batch root', reason: 'bad-proof', receipt: (r) => withChange(r, (c) => (c.batch.root = flipFirstBit(c.batch.root))) },
    { name: 'a root the chain never saw', reason: 'not-anchored', records: {} },
    { name: 'the contract answering zeros', reason: 'not-anchored', records: { [root]: { timestamp: 0, blockNumber: 0, treeSize: 0, submitter: `0x${'00'.repeat(20)}` } } },
    { name: 'another block on chain', reason: 'anchor-mismatch', records: { [root]: { ...chainRecord(), blockNumber: 43 } }, message: /block number is 43 on chain, 42 in the receipt/ },
    { name: 'another timestamp on chain', reason: 'anchor-mismatch', records: { [root]: { ...chainRecord(), timestamp: 1764000012 } } },
    { name: 'another tree size on chain', reason: 'anchor-mismatch', records: { [root]: { ...chainRecord(), treeSize: 14 } } },
    { name: 'another transaction on chain', reason: 'anchor-mismatch', records: { [root]: { ...chainRecord(), transactionHash: `0x${'ee'.repeat(32)}` } } },
    { name: 'another block hash on chain', reason: 'anchor-mismatch', records: { [root]: { ...chainRecord(), blockHash: `0x${'ee'.repeat(32)}` } } },
    {
      // Leaf 5 has the same audit path shape in trees of 13 and 14 leaves, so the path alone
      // verifies a forged size: only the tree size the contract stored catches it.
      name: 'a forged tree size whose path still leads to the root',
      reason: 'anchor-mismatch',
      receipt: (r) => withChange(r, (c) => (c.batch.treeSize = c.proof.treeSize = 14)),
      message: /tree size is 13 on chain, 14 in the receipt/,
    },
  ];

  it.each(failures)('says $reason for $name', async ({ reason, receipt, options, records, message }) => {
    const result = await verifyReceipt(receipt ? receipt(anchoredReceipt()) : anchoredReceipt(), {
      lookupAnchor: fakeChain(records).lookupAnchor,
      ...options,
    });
    expect(result).toMatchObject({ valid: false, reason });
    if (message && !result.valid) expect(result.message).toMatch(message);
  });

  it('throws for an unparsable hash option: the caller erred, not the receipt', async () => {
    await expect(verifyReceipt(anchoredReceipt(), { lookupAnchor: fakeChain().lookupAnchor, hash: 'not-a-hash' })).rejects.toThrow(
      InvalidDocumentIdError,
    );
  });

  it('passes a failing chain lookup through instead of calling the receipt invalid', async () => {
    const lookupAnchor = async (): Promise<Anchoring | null> => {
      throw new Error('RPC timeout');
    };
    await expect(verifyReceipt(anchoredReceipt(), { lookupAnchor })).rejects.toThrow('RPC timeout');
  });
});

describe('parseReceipt', () => {
  it('returns anchored and pending receipts unchanged', () => {
    expect(parseReceipt(anchoredReceipt())).toEqual(anchoredReceipt());
    expect(parseReceipt(pendingReceipt())).toEqual(pendingReceipt());
    expect(parseReceipt(JSON.parse(JSON.stringify(anchoredReceipt())))).toEqual(anchoredReceipt());
  });

  it('ignores unknown fields and copies the rest', () => {
    const input = { ...anchoredReceipt(), signature: 'eyJ…' };
    const parsed = parseReceipt(input);
    expect(parsed).toEqual(anchoredReceipt());
    expect(parsed.proof).not.toBe(input.proof);
  });

  const bad: Array<[string, (r: Record<string, any>) => void]> = [
    ['receipt', () => undefined],
    ['version', (r) => (r.version = 'did-notary/receipt/2')],
    ['status', (r) => (r.status = 'sealed')],
    ['document', (r) => (r.document = null)],
    ['document.cid', (r) => (r.document.cid = ids[6].cid)],
    ['document.multihash', (r) => (r.document.multihash = r.document.multihash.toUpperCase())],
    ['document.multihash', (r) => (r.document.multihash = `9920${'00'.repeat(32)}`)],
    ['submittedAt', (r) => (r.submittedAt = 'yesterday')],
    ['issuer', (r) => (r.issuer = 'the notary')],
    ['batch', (r) => delete r.batch],
    ['batch.id', (r) => (r.batch.id = '')],
    ['batch.root', (r) => (r.batch.root = r.batch.root.toUpperCase())],
    ['batch.treeSize', (r) => (r.batch.treeSize = 0)],
    ['proof.type', (r) => (r.proof.type = 'merkle')],
    ['proof.leafIndex', (r) => (r.proof.leafIndex = -1)],
    ['proof.leafIndex', (r) => (r.proof.leafIndex = '5')],
    ['proof.treeSize', (r) => (r.proof.treeSize = 1.5)],
    ['proof.auditPath', (r) => (r.proof.auditPath = 'abc')],
    ['proof.auditPath[3]', (r) => (r.proof.auditPath[3] = r.proof.auditPath[3].slice(2))],
    ['anchor', (r) => (r.anchor = [])],
    ['anchor.chain', (r) => (r.anchor.chain = '31337')],
    ['anchor.contract', (r) => (r.anchor.contract = '0x1234')],
    ['anchor.transactionHash', (r) => (r.anchor.transactionHash = TX.slice(2))],
    ['anchor.blockNumber', (r) => (r.anchor.blockNumber = -1)],
    ['anchor.blockHash', (r) => (r.anchor.blockHash = BLOCK_HASH.toUpperCase())],
    ['anchor.timestamp', (r) => (r.anchor.timestamp = '1764000000')],
  ];

  it.each(bad)('names %s when it is wrong', (field, change) => {
    const input: Record<string, any> | undefined = field === 'receipt' ? undefined : withChange(anchoredReceipt() as Record<string, any>, change);
    let thrown: unknown;
    try {
      parseReceipt(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidReceiptError);
    expect(thrown).toMatchObject({ code: 'INVALID_RECEIPT', details: { field } });
    expect((thrown as Error).message.startsWith(`receipt field ${field} `)).toBe(true);
  });

  it('rejects a pending receipt that carries anchoring fields', () => {
    expect(() => parseReceipt({ ...pendingReceipt(), anchor: anchoredReceipt().anchor })).toThrow(
      expect.objectContaining({ code: 'INVALID_RECEIPT', details: { field: 'anchor' } }),
    );
  });
});

function flipFirstBit(hex: string): string {
  return (parseInt(hex[0], 16) ^ 8).toString(16) + hex.slice(1);
}

describe('buildPendingReceipt and buildAnchoredReceipt', () => {
  it('write the receipt of the format, field for field and in its order', () => {
    const pending = pendingReceipt();
    const built = buildPendingReceipt(pending.document, pending.submittedAt, pending.issuer);
    expect(JSON.stringify(built)).toBe(JSON.stringify(pending));
    const anchored = anchoredReceipt();
    const builtAnchored = buildAnchoredReceipt(built, anchored.batch, { leafIndex: LEAF, auditPath: anchored.proof.auditPath }, [anchored.anchor]);
    expect(JSON.stringify(builtAnchored)).toBe(JSON.stringify(anchored));
    expect(parseReceipt(builtAnchored)).toEqual(anchored);
  });
});
