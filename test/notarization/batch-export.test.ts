// The bulk export's lines are the receipts GET /v1/receipts/{id} answers, byte for byte: written from
// pieces and packed rows rather than one object each, they must not drift from the one receipt format.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentIdFromMultihash } from '../../src/core/ids/document-id';
import { merkleRoot } from '../../src/core/merkle/tree';
import { anchoredReceiptPieces, buildAnchoredReceipt } from '../../src/core/receipts/build';
import type { BatchRecord } from '../../src/notarization/batch';
import { Notary } from '../../src/notarization/notary';
import type { AnchoringChain } from '../../src/notarization/ports';
import { createLogger } from '../../src/platform/observability/logger';
import { makeTempDir } from '../helpers/service-process';
import { openTestStores, recordAnchoring, sealNextBatch, type TestStores } from '../helpers/stores';

/** Nothing here is anchored through the chain: any chain call is a failure. */
const unreachableChain = new Proxy({} as AnchoringChain, {
  get: (_, property) => {
    if (property === 'then') return undefined;
    throw new Error(`the chain was called (${String(property)})`);
  },
});

const multihash = () => Uint8Array.from([0x12, 0x20, ...randomBytes(32)]);

async function collect(lines: AsyncGenerator<Buffer>): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of lines) {
    expect(chunk[chunk.length - 1]).toBe(0x0a); // whole lines only
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8').split('\n').filter((line) => line !== '');
}

describe('the bulk export of a batch\'s receipts', () => {
  let stores: TestStores;
  let notary: Notary;
  let batch: BatchRecord;
  const acme: Uint8Array[] = [];

  beforeAll(async () => {
    stores = await openTestStores({ dataDir: makeTempDir('did-notary-export-') });
    // 12,000 of acme's documents among 12,000 of globex's, in runs of 1,000: more than one read of the export.
    for (let run = 0; run < 24; run++) {
      const documents = Array.from({ length: 1000 }, multihash);
      if (run % 2 === 0) acme.push(...documents);
      await stores.notary.insertTenantSubmissions(documents.map((m) => ({ tenantId: run % 2 === 0 ? 'acme' : 'globex', multihash: m })));
    }
    const sealed = await sealNextBatch(stores.notary, 100_000, (leaves) => merkleRoot(leaves.multihashes));
    batch = await recordAnchoring(stores.notary, sealed!.batch.id, {
      chain: 'eip155:31337',
      contract: `0x${'ab'.repeat(20)}`,
      transactionHash: `0x${'cd'.repeat(32)}`,
      blockNumber: 9,
      blockHash: `0x${'ef'.repeat(32)}`,
      timestamp: 1_800_000_123,
      gasUsed: 46_876,
      feeWei: '12',
    });
    notary = new Notary(
      stores.notary,
      unreachableChain,
      { batchIntervalMs: 60_000, batchMaxSize: 100_000, confirmations: 1, maxDocumentsPerRequest: 1000, issuerDid: 'did:ethr:0x7a69:0x00000000000000000000000000000000000000aa' },
      createLogger('silent'),
    );
  }, 60_000);
  afterAll(async () => {
    await stores?.close();
  });

  it('writes, in leaf order, exactly the tenant\'s receipts that GET /v1/receipts/{id} answers', async () => {
    const lines = await collect(await notary.batchReceiptLines('acme', batch.id));
    expect(lines).toHaveLength(acme.length);
    expect(lines.map((line) => JSON.parse(line).document.cid)).toEqual(acme.map((m) => documentIdFromMultihash(m).cid));
    const leaves = lines.map((line) => JSON.parse(line).proof.leafIndex as number);
    expect(leaves.slice(0, 3)).toEqual([0, 1, 2]);
    expect(leaves[1000]).toBe(2000); // globex's thousand in between
    // Byte for byte the receipt of the one-document path, at the edges of each read and elsewhere.
    for (const index of [0, 1, 999, 1000, 4999, 5000, 9999, 10_000, 10_001, 11_999, ...Array.from({ length: 40 }, () => Math.floor(Math.random() * acme.length))]) {
      const receipt = await notary.getReceipt(documentIdFromMultihash(acme[index]!).cid);
      expect(lines[index], `line ${index}`).toBe(JSON.stringify(receipt));
    }
  });

  it('resumes after a leaf, and leaves other tenants\' receipts out', async () => {
    const all = await collect(await notary.batchReceiptLines('acme', batch.id));
    const afterLeaf = JSON.parse(all[6_500]!).proof.leafIndex as number;
    expect(await collect(await notary.batchReceiptLines('acme', batch.id, afterLeaf))).toEqual(all.slice(6_501));
    expect(await collect(await notary.batchReceiptLines('initech', batch.id))).toEqual([]);
    expect(await collect(await notary.batchReceiptLines('globex', batch.id))).toHaveLength(12_000);
    await expect(notary.batchReceiptLines('acme', '999')).rejects.toMatchObject({ code: 'BATCH_NOT_FOUND' });
  });

  it('fills the receipt pieces to the JSON of buildAnchoredReceipt', () => {
    const issuer = 'did:ethr:0x7a69:0x00000000000000000000000000000000000000aa';
    const batchPart = { id: '42', root: 'ab'.repeat(32), treeSize: 5 };
    const anchor = { chain: 'eip155:1', contract: `0x${'Ab'.repeat(20)}`, transactionHash: `0x${'01'.repeat(32)}`, blockNumber: 7, blockHash: `0x${'02'.repeat(32)}`, timestamp: 1_700_000_000 };
    const pieces = anchoredReceiptPieces(issuer, batchPart, [anchor]);
    for (const [cidIndex, auditPath] of [[0, ['11'.repeat(32), '22'.repeat(32), '33'.repeat(32)]], [4, ['44'.repeat(32)]], [1, []]] as const) {
      const id = documentIdFromMultihash(multihash());
      const document = { cid: id.cid, multihash: id.multihashHex };
      const filled =
        pieces[0] + JSON.stringify(document.cid) + pieces[1] + JSON.stringify(document.multihash) + pieces[2] + JSON.stringify('2026-12-07T10:00:00.123Z') +
        pieces[3] + String(cidIndex) + pieces[4] + auditPath.map((node) => JSON.stringify(node)).join(',') + pieces[5];
      expect(filled).toBe(JSON.stringify(buildAnchoredReceipt({ document, submittedAt: '2026-12-07T10:00:00.123Z', issuer }, batchPart, { leafIndex: cidIndex, auditPath: [...auditPath] }, [anchor])));
    }
  });
});
