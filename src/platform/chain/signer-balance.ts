// The signer's balance, which three parts of the service want (GET /health, the /metrics gauge and
// the low-balance warning): one cached, time-bounded RPC read serves them all, so a client polling
// a public endpoint cannot spend the operator's RPC quota one call per request.
import type { Provider } from 'ethers';
import type { Logger } from '../observability/logger';
import { reuseRecentResult } from '../observability/recent-result';

/** How long one balance read answers every caller. */
const BALANCE_TTL_MS = 5_000;
/** How long a read may take before callers are told the chain did not answer. */
const BALANCE_TIMEOUT_MS = 3_000;
/** How often the balance is checked against the low-balance threshold. */
const LOW_BALANCE_CHECK_MS = 60_000;

/**
 * Reads the balance of `address` (or of the account it names now: a key rotation changes it), shared
 * for a few seconds; rejects when the chain stalls or fails.
 * A failure is shared as long as a success: during an outage, polling callers do not each retry.
 */
export function signerBalanceReader(provider: Pick<Provider, 'getBalance'>, address: string | (() => string)): () => Promise<bigint> {
  const read = reuseRecentResult(async (): Promise<{ wei: bigint } | { error: Error }> => {
    try {
      const current = typeof address === 'string' ? address : address();
      return { wei: await withTimeout(provider.getBalance(current), BALANCE_TIMEOUT_MS, `no answer within ${BALANCE_TIMEOUT_MS} ms`) };
    } catch (error) {
      return { error: error as Error };
    }
  }, BALANCE_TTL_MS);
  return async () => {
    const outcome = await read();
    if ('error' in outcome) throw outcome.error;
    return outcome.wei;
  };
}

/** Warns now and every minute while the balance is under `thresholdWei`; returns the stop function. */
export function watchLowBalance(balance: () => Promise<bigint>, thresholdWei: bigint, signer: string | (() => string), logger: Logger): { first: Promise<void>; stop: () => void } {
  const check = () =>
    balance()
      .then((wei) => {
        if (wei < thresholdWei) {
          logger.warn({ signer: typeof signer === 'string' ? signer : signer(), balanceWei: wei.toString(), thresholdWei: thresholdWei.toString() }, 'signer balance is low: anchoring will stop when it runs out');
        }
      })
      .catch(() => undefined);
  const timer = setInterval(() => void check(), LOW_BALANCE_CHECK_MS);
  timer.unref();
  return { first: check(), stop: () => clearInterval(timer) };
}

/** `promise`, or a rejection with `message` after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
