// Anchors one sealed batch, idempotently: the chain is asked about the root before anything is sent,
// the signed transaction is recorded before it is broadcast, and a restart resumes where it stopped.
import { bytesToHex } from '../core/hex';
import type { SqlExecutor } from '../platform/database/sql-client';
import type { Logger } from '../platform/observability/logger';
import type { BatchRecord, ChainAnchoringJob } from './batch';
import type { AnchoringChain, NotaryStore } from './ports';

export interface AnchorBatchOptions {
  confirmations: number;
  /** How long one round waits for its transaction before giving up (the next round resumes it). */
  transactionTimeoutMs: number;
  /** How long a transaction may sit unmined before a fee-bumped replacement (same nonce) is sent. */
  replaceAfterMs: number;
  pollIntervalMs: number;
  /** Stop waiting early (service shutdown). */
  signal?: AbortSignal;
  /** Runs in the transaction that records the batch's first anchoring on any chain (durable reactions, events.ts). */
  recordAlso?: (tx: SqlExecutor, batch: BatchRecord) => Promise<void>;
}

/**
 * Anchors the job's batch on `chain` and returns the batch as recorded. Throws when the chain cannot be reached or the
 * transaction does not make it in time; the caller retries with backoff, and every retry starts
 * by asking the contract, so a root is never anchored twice.
 */
export async function anchorBatch(
  store: Pick<NotaryStore, 'recordIntendedTransaction' | 'markAnchored'>,
  chain: AnchoringChain,
  job: Pick<ChainAnchoringJob, 'batch' | 'intendedTransaction'>,
  options: AnchorBatchOptions,
  logger: Logger,
): Promise<BatchRecord> {
  const { batch } = job;
  const rootHex = bytesToHex(batch.root);
  const log = logger.child({ batch: batch.id, root: rootHex, chain: chain.chain });

  const alreadyAnchored = await chain.readAnchoring(rootHex);
  if (alreadyAnchored) return recordAnchoring(store, chain, batch, rootHex, alreadyAnchored.blockNumber, options, log);

  let intended = job.intendedTransaction;
  if (intended) {
    const mined = await chain.getMinedTransaction(intended.hash);
    if (mined && mined.succeeded) return recordAnchoring(store, chain, batch, rootHex, mined.blockNumber, options, log, mined);
    if (mined && !mined.succeeded) {
      log.warn({ tx: intended.hash }, 'anchoring transaction reverted; sending a new one');
      intended = null;
    } else if ((await chain.getConfirmedNonce(intended.raw)) > intended.nonce) {
      // Its nonce was used by another transaction (replaced or dropped): this one can never be mined.
      log.warn({ tx: intended.hash, nonce: intended.nonce }, 'anchoring transaction was replaced; sending a new one');
      intended = null;
    } else {
      log.info({ tx: intended.hash }, 're-broadcasting the recorded anchoring transaction');
      await chain.broadcast(intended.raw);
    }
  }
  if (!intended) {
    const prepared = await chain.prepareAnchorTransaction(rootHex, batch.treeSize);
    await store.recordIntendedTransaction(batch.id, chain.chain, prepared);
    log.info({ tx: prepared.hash, nonce: prepared.nonce, treeSize: batch.treeSize }, 'sending anchoring transaction');
    await chain.broadcast(prepared.raw);
    intended = { ...prepared, sentAt: new Date() };
  }

  const giveUpAt = Date.now() + options.transactionTimeoutMs;
  let replaceAt = Date.now() + options.replaceAfterMs;
  while (Date.now() < giveUpAt) {
    if (options.signal?.aborted) throw new Error('anchoring interrupted by shutdown');
    const mined = await chain.getMinedTransaction(intended.hash);
    if (mined) {
      if (!mined.succeeded) throw new Error(`anchoring transaction ${intended.hash} reverted`);
      return recordAnchoring(store, chain, batch, rootHex, mined.blockNumber, options, log, mined);
    }
    // An earlier attempt (or a replaced transaction) may have anchored the root meanwhile.
    const anchoring = await chain.readAnchoring(rootHex);
    if (anchoring) return recordAnchoring(store, chain, batch, rootHex, anchoring.blockNumber, options, log);
    if (Date.now() >= replaceAt) {
      replaceAt = Date.now() + options.replaceAfterMs;
      if ((await chain.getConfirmedNonce(intended.raw)) <= intended.nonce) {
        // Stuck (fees too low, or dropped from the mempool): same nonce, higher fees.
        const replacement = await chain.prepareReplacement(intended.raw);
        await store.recordIntendedTransaction(batch.id, chain.chain, replacement);
        log.warn({ tx: intended.hash, replacement: replacement.hash, nonce: replacement.nonce }, 'anchoring transaction not mined in time: sent a fee-bumped replacement');
        await chain.broadcast(replacement.raw);
        intended = { ...replacement, sentAt: new Date() };
      }
    }
    await sleep(options.pollIntervalMs, options.signal);
  }
  throw new Error(`anchoring transaction ${intended.hash} not mined within ${options.transactionTimeoutMs} ms`);
}

async function recordAnchoring(
  store: Pick<NotaryStore, 'recordIntendedTransaction' | 'markAnchored'>,
  chain: AnchoringChain,
  batch: BatchRecord,
  rootHex: string,
  blockNumber: number,
  options: AnchorBatchOptions,
  log: Logger,
  mined?: { gasUsed: number; feeWei: string },
): Promise<BatchRecord> {
  // Wait for the confirmations, then read the anchoring back from the contract: the receipt
  // holds what the chain says, not what we hoped to send.
  while ((await chain.getBlockNumber()) - blockNumber + 1 < options.confirmations) {
    if (options.signal?.aborted) throw new Error('anchoring interrupted by shutdown');
    await sleep(options.pollIntervalMs, options.signal);
  }
  const anchoring = await chain.readAnchoring(rootHex);
  if (!anchoring) throw new Error(`root ${rootHex} is not anchored after its transaction was mined (reorg?)`);
  const event = await chain.findAnchoringEvent(rootHex, anchoring.blockNumber);
  if (!event) throw new Error(`no RootAnchored event for ${rootHex} in block ${anchoring.blockNumber}`);
  const anchored = await store.markAnchored(batch.id, chain.chain, {
    chain: chain.chain,
    contract: chain.contract,
    transactionHash: event.transactionHash,
    blockNumber: anchoring.blockNumber,
    blockHash: event.blockHash,
    timestamp: anchoring.timestamp,
    gasUsed: mined?.gasUsed ?? null,
    feeWei: mined?.feeWei ?? null,
  }, options.recordAlso);
  log.info(
    { tx: event.transactionHash, block: anchoring.blockNumber, treeSize: batch.treeSize, gasUsed: mined?.gasUsed },
    'batch anchored',
  );
  return anchored;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
