// GET /health's report: the service itself, its database and its chain, each checked so that a
// stalled part answers "unavailable" within seconds instead of stalling the probe.
import type { SqlClient } from '../database/sql-client';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'unavailable';
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface HealthSources {
  db: Pick<SqlClient, 'query'>;
  /** The shared signer balance read (platform/chain/signer-balance.ts): the chain check. */
  signerBalance: () => Promise<bigint>;
  lowBalanceWei: bigint;
  /** True once the service is stopping: probes then take it out of rotation. */
  stopping: () => boolean;
  /** Each anchoring chain's state: a failing one makes the service degraded, not unavailable (others anchor). */
  anchoring?: () => ReadonlyArray<{ chain: string; healthy: boolean; lastError: string | null; failures: number }>;
}

/** The health check: unavailable when the service, store or chain is; degraded when the balance is low. */
export function serviceHealth(sources: HealthSources): () => Promise<HealthReport> {
  return async () => {
    const checks: HealthReport['checks'] = {};
    checks.service = sources.stopping() ? { ok: false, detail: 'stopping' } : { ok: true };
    try {
      await sources.db.query('SELECT 1');
      checks.store = { ok: true };
    } catch (error) {
      checks.store = { ok: false, detail: (error as Error).message };
    }
    let lowBalance = false;
    try {
      const balance = await sources.signerBalance();
      lowBalance = balance < sources.lowBalanceWei;
      checks.chain = { ok: true };
      checks.signerBalance = { ok: !lowBalance, detail: `${balance} wei` };
    } catch (error) {
      checks.chain = { ok: false, detail: `unreachable: ${(error as Error).message.slice(0, 200)}` };
    }
    let anchoringFails = false;
    for (const chain of sources.anchoring?.() ?? []) {
      checks[`anchoring:${chain.chain}`] = chain.healthy
        ? { ok: true }
        : { ok: false, detail: `${chain.failures} failed round(s): ${chain.lastError ?? 'unknown error'}` };
      anchoringFails ||= !chain.healthy;
    }
    const unavailable = !checks.service.ok || !checks.store.ok || !checks.chain.ok;
    return { status: unavailable ? 'unavailable' : lowBalance || anchoringFails ? 'degraded' : 'ok', checks };
  };
}
