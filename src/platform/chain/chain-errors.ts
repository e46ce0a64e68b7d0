// Which failures of an ethers call mean "the chain could not be reached", as opposed to an answer
// (a revert, a nonce too low): ethers passes socket errors through with their system code, and
// reports its own request timeout and bad gateway answers with its codes.
import { ChainUnavailableError } from '../../core/errors';

/** ethers' per-request timeout for every RPC call of the service: a stalled endpoint fails, never hangs. */
export const RPC_REQUEST_TIMEOUT_MS = 30_000;

const TRANSPORT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'TIMEOUT', 'NETWORK_ERROR', 'SERVER_ERROR']);

/** Whether `error` (or its cause) is a failure to reach the RPC endpoint rather than its answer. */
export function isChainUnreachable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof ChainUnavailableError) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSPORT_CODES.has(code)) return true;
    if (/fetch failed|socket hang up|request timeout/i.test(String((current as { message?: unknown }).message ?? ''))) return true;
  }
  return false;
}

/** Runs an RPC call; a failure to reach the chain comes back as ChainUnavailableError, anything else unchanged. */
export async function callChain<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ChainUnavailableError || !isChainUnreachable(error)) throw error;
    throw new ChainUnavailableError(`the chain did not answer ${what}: ${(error as Error).message?.slice(0, 200) ?? String(error)}`, { cause: error });
  }
}
