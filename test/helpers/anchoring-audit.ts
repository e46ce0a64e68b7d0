// The check every kill -9 run ends with: each acknowledged document has an anchored receipt, the
// contract holds each batch root once (one RootAnchored event per batch, none extra), and the signer
// sent no anchoring transaction beyond one per batch.
import { computeAddress, Interface, JsonRpcProvider } from 'ethers';
import { DOCUMENT_ANCHOR_ABI } from '../../src/platform/chain/anchor-contract';
import { api, type ServiceProcess } from './service-process';

export interface AnchoringAudit {
  acknowledged: number;
  /** Acknowledged documents without an anchored receipt. */
  lost: string[];
  /** Anchored receipts that POST /v1/receipts/verify does not find valid (with `verify`). */
  invalid: string[];
  /** Roots with more than one RootAnchored event. */
  anchoredTwice: number;
  batches: number;
  events: number;
  /** Batches the service lists that the chain has no event for, and events no batch explains. */
  unmatched: number;
  /** Signer transactions beyond one per anchoring (and `otherTransactions`). */
  extraTransactions: number;
}

/** Audits `acknowledged` against `service` (any replica) and its chain; `concurrency` receipt reads at once. */
export async function auditAnchoring(
  service: ServiceProcess,
  acknowledged: Iterable<string>,
  options: { signerKey?: string; otherTransactions?: number; concurrency?: number; verify?: boolean } = {},
): Promise<AnchoringAudit> {
  const hashes = [...acknowledged];
  const lost: string[] = [];
  const invalid: string[] = [];
  let next = 0;
  const reader = async () => {
    while (next < hashes.length) {
      const hash = hashes[next++]!;
      const receipt = await api(service, 'GET', `/v1/receipts/${hash}`);
      if (receipt.status !== 200 || receipt.json.status !== 'anchored') {
        lost.push(hash);
        continue;
      }
      if (options.verify) {
        const verified = await api(service, 'POST', '/v1/receipts/verify', { receipt: receipt.json, hash });
        if (verified.json.valid !== true) invalid.push(hash);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, reader));

  const info = (await api(service, 'GET', '/v1/info')).json;
  const provider = new JsonRpcProvider(info.rpcUrl, info.chainId, { staticNetwork: true, batchMaxCount: 1 });
  try {
    const iface = new Interface(DOCUMENT_ANCHOR_ABI);
    const logs = await provider.getLogs({ address: info.contracts.anchor, topics: [iface.getEvent('RootAnchored')!.topicHash], fromBlock: 0 });
    const eventRoots = logs.map((log) => log.topics[1]!.slice(2));
    const batches: Array<{ id: string; root: string; status: string }> = [];
    for (let after = '0'; ; ) {
      const page = await api(service, 'GET', `/v1/batches?after=${after}&limit=1000`);
      batches.push(...page.json.batches);
      if (page.json.next === null) break;
      after = page.json.next;
    }
    const batchRoots = new Set(batches.map((batch) => batch.root));
    const events = new Set(eventRoots);
    const signer = options.signerKey ? computeAddress(options.signerKey) : info.signer;
    const sent = await provider.getTransactionCount(signer, 'latest');
    return {
      acknowledged: hashes.length,
      lost,
      invalid,
      anchoredTwice: eventRoots.length - events.size,
      batches: batches.length,
      events: eventRoots.length,
      unmatched: batches.filter((batch) => batch.status !== 'anchored' || !events.has(batch.root)).length + [...events].filter((root) => !batchRoots.has(root)).length,
      extraTransactions: sent - eventRoots.length - (options.otherTransactions ?? 0),
    };
  } finally {
    provider.destroy();
  }
}
