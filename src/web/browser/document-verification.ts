// What the document tab does, without the DOM: get the receipt (looked up by the file's fingerprint, or
// from a receipt file), then verify it with the core's verifyReceipt against the chain over JSON-RPC.
// Every situation the page must explain is one variant of VerificationOutcome.
import { hexToBytes } from '../../core/hex';
import { decodeMultihash } from '../../core/ids/multihash';
import { InvalidReceiptError } from '../../core/errors';
import { parseReceipt, type AnchoredReceipt, type PendingReceipt, type Receipt } from '../../core/receipts/receipt';
import { verifyReceipt, type ReceiptFailureReason, type ReceiptVerified } from '../../core/receipts/verify';
import { ChainRequestError } from './anchor-contract-calls';
import { createChainAnchorLookup, createJsonRpcClient, readChainId } from './chain-anchor-lookup';
import { hashDocumentFile, type HashedDocument } from './document-hashing';
import { fetchReceipt, ServiceUnavailableError, type ServiceInfo } from './service-client';

/** Where the receipt comes from. */
export type ReceiptSource = { kind: 'lookup'; apiBase: string } | { kind: 'file'; name: string; text: string };

export interface DocumentVerificationRequest {
  /** The file the person chose; without it only the receipt itself is checked. */
  document?: HashedDocument;
  receiptSource: ReceiptSource;
  /** JSON-RPC URL of the chain to ask. */
  rpcUrl: string;
  /** The service's own description, when reachable: its contract is expected for receipts it issued. */
  service?: ServiceInfo;
}

export type VerificationOutcome =
  | { kind: 'valid'; verification: ReceiptVerified; receipt: AnchoredReceipt; rpcUrl: string; document?: HashedDocument }
  | {
      kind: 'invalid';
      reason: ReceiptFailureReason;
      message: string;
      receipt?: Receipt;
      rpcUrl?: string;
      document?: HashedDocument;
    }
  | { kind: 'pending'; receipt: PendingReceipt; document?: HashedDocument }
  | { kind: 'unknown-document'; document: HashedDocument; apiBase: string }
  | { kind: 'service-unreachable'; apiBase: string; detail: string }
  | { kind: 'chain-unreachable'; rpcUrl: string; detail: string; receipt: AnchoredReceipt }
  | { kind: 'incomplete'; missing: 'document' | 'receipt' | 'rpc-url'; detail: string };

/** Runs one verification; never throws for anything a person or a remote party can cause. */
export async function verifyDocument(request: DocumentVerificationRequest): Promise<VerificationOutcome> {
  const { document } = request;
  const obtained = await obtainReceipt(request);
  if ('kind' in obtained) return obtained;

  let receipt: Receipt;
  try {
    receipt = parseReceipt(obtained.json);
  } catch (error) {
    if (error instanceof InvalidReceiptError) return { kind: 'invalid', reason: 'invalid-receipt', message: error.message, document };
    throw error;
  }
  const hash = document === undefined ? undefined : await documentHashFor(document, receipt);

  if (receipt.status === 'pending') {
    const result = await verifyReceipt(receipt, {
      hash,
      lookupAnchor: () => Promise.reject(new Error('a pending receipt names no anchoring')),
    });
    if (!result.valid && result.reason === 'pending') return { kind: 'pending', receipt, document };
    return { kind: 'invalid', reason: result.valid ? 'pending' : result.reason, message: result.valid ? '' : result.message, receipt, document };
  }

  const rpcUrl = request.rpcUrl.trim();
  const badUrl = rpcUrlProblem(rpcUrl);
  if (badUrl !== undefined) return { kind: 'incomplete', missing: 'rpc-url', detail: badUrl };
  const client = createJsonRpcClient(rpcUrl);
  let chain = receipt.anchor.chain;
  try {
    chain = `eip155:${await readChainId(client)}`;
    const service = request.service;
    const issuedByThisService = service !== undefined && service.did === receipt.issuer;
    // The chosen RPC URL answers for its chain; the service's other chains are asked at the URLs it
    // publishes for them, so every anchor of a multi-chain receipt that can be reached is checked.
    const lookups = new Map([[chain, createChainAnchorLookup(client)]]);
    for (const other of issuedByThisService ? (service.chains ?? []) : []) {
      if (!lookups.has(other.chain) && /^https?:\/\//.test(other.rpcUrl)) lookups.set(other.chain, createChainAnchorLookup(createJsonRpcClient(other.rpcUrl)));
    }
    const contracts = issuedByThisService
      ? Object.fromEntries([[service.chain, service.contracts.anchor], ...(service.chains ?? []).map((c): [string, string] => [c.chain, c.contract])])
      : undefined;
    const result = await verifyReceipt(receipt, {
      hash,
      lookupAnchor: (query) => lookups.get(query.chain)!(query),
      expectedChains: [...lookups.keys()],
      expectedContracts: contracts,
    });
    if (result.valid) return { kind: 'valid', verification: result, receipt, rpcUrl, document };
    return { kind: 'invalid', reason: result.reason, message: result.message, receipt, rpcUrl, document };
  } catch (error) {
    if (!(error instanceof ChainRequestError)) throw error;
    if (error.code === 'ANCHOR_CONTRACT_NOT_FOUND') {
      return { kind: 'invalid', reason: 'wrong-contract', message: `${error.message} on ${chain}`, receipt, rpcUrl, document };
    }
    return { kind: 'chain-unreachable', rpcUrl, detail: error.message, receipt };
  }
}

async function obtainReceipt(request: DocumentVerificationRequest): Promise<{ json: unknown } | VerificationOutcome> {
  const { document, receiptSource } = request;
  if (receiptSource.kind === 'file') {
    try {
      return { json: JSON.parse(receiptSource.text) as unknown };
    } catch {
      return { kind: 'invalid', reason: 'invalid-receipt', message: `${receiptSource.name} is not JSON`, document };
    }
  }
  if (document === undefined) {
    return { kind: 'incomplete', missing: 'document', detail: 'Choose the document first: its receipt is looked up by its fingerprint.' };
  }
  try {
    const json = await fetchReceipt(receiptSource.apiBase, document.id.cid);
    if (json === null) return { kind: 'unknown-document', document, apiBase: receiptSource.apiBase };
    return { json };
  } catch (error) {
    if (error instanceof ServiceUnavailableError) return { kind: 'service-unreachable', apiBase: error.apiBase, detail: error.message };
    throw error;
  }
}

/** The file's multihash under the receipt's algorithm (hashing again only for a non-SHA-256 receipt). */
async function documentHashFor(document: HashedDocument, receipt: Receipt): Promise<string> {
  const { algorithm } = decodeMultihash(hexToBytes(receipt.document.multihash));
  if (algorithm.code === document.id.code) return document.id.multihashHex;
  return (await hashDocumentFile(document.file, algorithm)).multihashHex;
}

function rpcUrlProblem(rpcUrl: string): string | undefined {
  if (rpcUrl === '') return 'Enter the JSON-RPC URL of the chain the receipt names (under “Chain and service”).';
  try {
    const url = new URL(rpcUrl);
    if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  } catch {
    // fall through
  }
  return `“${rpcUrl.slice(0, 100)}” is not an http(s) URL.`;
}
