// What a database's receipts and credentials point at: one chain (its id and which chain it is), one
// anchor contract, one DID registry and one service DID. Replicas share a database, so they must
// share all of these: a replica on its own chain would hand out receipts that point at a chain
// nobody else sees, re-anchor a batch elsewhere after a failover (changing receipts already given
// out), and sign credentials as a DID the others do not know. The first start on a database
// records the binding; every later start compares and refuses to run on a different one.
import type { SqlClient } from '../platform/database/sql-client';

export interface DeploymentBinding {
  chainId: number;
  /**
   * Which chain, beyond its id (platform/chain/connect-chain.ts): `genesis:<hash>` for a configured
   * chain, `embedded:<id>` for an embedded one. Two embedded Anvils with one chain id differ here.
   */
  chainInstance: string;
  anchorContract: string;
  didRegistry: string;
  serviceDid: string;
}

/** A replica configured for another deployment than the one its database belongs to. */
export class DeploymentMismatchError extends Error {
  constructor(readonly differences: string[]) {
    super(
      `this database belongs to another deployment: ${differences.join('; ')}. ` +
        'Replicas sharing DATABASE_URL must share one chain (the same RPC_URL, not each an embedded chain), ' +
        'ANCHOR_CONTRACT, DID_REGISTRY and signer key (SIGNER_PRIVATE_KEY or SIGNER_KEY_FILE).',
    );
    this.name = 'DeploymentMismatchError';
  }
}

const FIELDS: Array<{ key: keyof DeploymentBinding; label: string }> = [
  { key: 'chainId', label: 'chain id' },
  { key: 'chainInstance', label: 'chain' },
  { key: 'anchorContract', label: 'anchor contract' },
  { key: 'didRegistry', label: 'DID registry' },
  { key: 'serviceDid', label: 'service DID' },
];

/** How `current` differs from `recorded`, one readable line per field (empty: the same deployment). */
export function bindingDifferences(recorded: DeploymentBinding, current: DeploymentBinding): string[] {
  return FIELDS.filter(({ key }) => String(recorded[key]).toLowerCase() !== String(current[key]).toLowerCase()).map(
    ({ key, label }) => `${label} is ${String(recorded[key])} in the database, ${String(current[key])} here`,
  );
}

/**
 * Records `current` when the database has no binding yet (a first start, or the first start after
 * an upgrade); otherwise throws DeploymentMismatchError unless it is the recorded one. Two replicas
 * starting at once on an empty database: one insert wins, the other compares against it.
 */
export async function bindDeployment(db: Pick<SqlClient, 'query'>, current: DeploymentBinding): Promise<'recorded' | 'matched'> {
  const inserted = await db.query(
    `INSERT INTO deployment_binding (chain_id, chain_instance, anchor_contract, did_registry, service_did)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (singleton) DO NOTHING RETURNING singleton`,
    [current.chainId, current.chainInstance.toLowerCase(), current.anchorContract.toLowerCase(), current.didRegistry.toLowerCase(), current.serviceDid],
  );
  if (inserted.length === 1) return 'recorded';
  const rows = await db.query('SELECT chain_id, chain_instance, anchor_contract, did_registry, service_did FROM deployment_binding');
  const row = rows[0]!;
  const recorded: DeploymentBinding = {
    chainId: Number(row.chain_id),
    chainInstance: String(row.chain_instance),
    anchorContract: String(row.anchor_contract),
    didRegistry: String(row.did_registry),
    serviceDid: String(row.service_did),
  };
  const differences = bindingDifferences(recorded, current);
  if (differences.length > 0) throw new DeploymentMismatchError(differences);
  return 'matched';
}

/**
 * The transparency log's origin for this database: the one recorded at its first start with a log,
 * else `configured ?? fallback`, recorded now with the log key. A configured origin or a log key
 * other than the recorded ones is a DeploymentMismatchError: checkpoints already signed, and the
 * commitments inside anchored batches, name the recorded origin and key.
 */
export async function bindTransparencyLog(
  db: Pick<SqlClient, 'query'>,
  log: { configuredOrigin?: string; fallbackOrigin: string; publicKey: string },
): Promise<string> {
  const origin = log.configuredOrigin ?? log.fallbackOrigin;
  await db.query('UPDATE deployment_binding SET log_origin = $1, log_public_key = $2 WHERE log_origin IS NULL', [origin, log.publicKey]);
  const rows = await db.query('SELECT log_origin, log_public_key FROM deployment_binding');
  const recorded = { origin: String(rows[0]!.log_origin), publicKey: String(rows[0]!.log_public_key) };
  const differences: string[] = [];
  if (log.configuredOrigin !== undefined && log.configuredOrigin !== recorded.origin) {
    differences.push(`log origin is ${recorded.origin} in the database, ${log.configuredOrigin} here (LOG_ORIGIN)`);
  }
  if (log.publicKey !== recorded.publicKey) {
    differences.push(`log key is ${recorded.publicKey} in the database, ${log.publicKey} here (LOG_KEY_FILE: replicas must share one log key)`);
  }
  if (differences.length > 0) throw new DeploymentMismatchError(differences);
  return recorded.origin;
}

/** An anchoring chain besides the primary one, as the binding records it. */
export interface BoundChain {
  /** CAIP-2 id, `eip155:<id>`. */
  chain: string;
  /** Which chain, beyond its id (as DeploymentBinding.chainInstance). */
  chainInstance: string;
  anchorContract: string;
}

/**
 * Records the extra chains not recorded yet, each anchoring from `logSize` (the batches sealed before
 * it joined stay anchored where they were), and returns each chain's first log place. A recorded
 * chain that is not configured, or configured with another instance or contract, is a
 * DeploymentMismatchError: replicas on one database anchor on the same chains.
 */
export async function bindExtraChains(db: Pick<SqlClient, 'query'>, chains: readonly BoundChain[], logSize: number): Promise<Map<string, number>> {
  for (const chain of chains) {
    await db.query(
      `INSERT INTO deployment_chains (chain, chain_instance, anchor_contract, first_log_index) VALUES ($1, $2, $3, $4) ON CONFLICT (chain) DO NOTHING`,
      [chain.chain, chain.chainInstance.toLowerCase(), chain.anchorContract.toLowerCase(), logSize],
    );
  }
  const rows = await db.query('SELECT chain, chain_instance, anchor_contract, first_log_index FROM deployment_chains ORDER BY chain');
  const differences: string[] = [];
  const firstIndexes = new Map<string, number>();
  for (const row of rows) {
    const configured = chains.find((chain) => chain.chain === row.chain);
    if (!configured) {
      differences.push(`the database also anchors on ${String(row.chain)} (contract ${String(row.anchor_contract)}), which CHAINS does not name`);
      continue;
    }
    if (String(row.chain_instance) !== configured.chainInstance.toLowerCase()) differences.push(`chain ${configured.chain} is ${String(row.chain_instance)} in the database, ${configured.chainInstance} here`);
    if (String(row.anchor_contract) !== configured.anchorContract.toLowerCase()) differences.push(`the anchor contract on ${configured.chain} is ${String(row.anchor_contract)} in the database, ${configured.anchorContract} here`);
    firstIndexes.set(configured.chain, Number(row.first_log_index));
  }
  if (differences.length > 0) throw new DeploymentMismatchError(differences);
  return firstIndexes;
}
