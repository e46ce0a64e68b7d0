// Replicas as the replica test and the soak run them: one Anvil with the contracts deployed by
// `did-notary deploy`, one PostgreSQL scratch database, and service processes sharing both (and one
// data directory, which then only holds the admin key file).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startEmbeddedAnvil } from '../../src/platform/chain/embedded-anvil/embedded-anvil';
import { createTestDatabase } from './postgres';
import { CLI, isAlive, makeTempDir, PROJECT_ROOT, startServiceProcess, type ServiceProcess } from './service-process';

const run = promisify(execFile);
/** Anvil's second dev account: public knowledge, funded on any fresh Anvil; the replicas' signer. */
export const REPLICA_SIGNER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
/** What the signer sent before any anchoring: `deploy --did-registry` deploys two contracts. */
export const DEPLOYMENT_TRANSACTIONS = 2;

export interface ReplicaCluster {
  /** Every replica started, the killed ones included. */
  readonly replicas: ServiceProcess[];
  /** The replicas still running. */
  alive(): ServiceProcess[];
  /** Starts one more replica on the same database and chain. */
  startReplica(): Promise<ServiceProcess>;
  /** Kills every replica, stops the chain and drops the database. */
  close(): Promise<void>;
}

/** Starts the chain, the database and `count` replicas with BATCH_INTERVAL `batchInterval` (and `env` besides). */
export async function startReplicaCluster(options: { count: number; batchInterval: string; prefix: string; env?: Record<string, string> }): Promise<ReplicaCluster> {
  const chain = await startEmbeddedAnvil({ dataDir: makeTempDir(`${options.prefix}-chain-`) });
  const database = await createTestDatabase();
  const replicas: ServiceProcess[] = [];
  const close = async () => {
    for (const replica of replicas) await replica.kill();
    await chain.stop();
    await database.drop();
  };
  try {
    const { stdout } = await run(process.execPath, [CLI, 'deploy', '--did-registry'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, RPC_URL: chain.rpcUrl, SIGNER_PRIVATE_KEY: REPLICA_SIGNER_KEY },
      timeout: 60_000,
    });
    const deployed = Object.fromEntries(stdout.trim().split('\n').map((line) => line.split('=') as [string, string]));
    const dataDir = makeTempDir(`${options.prefix}-`);
    const env = {
      DATABASE_URL: database.url,
      RPC_URL: chain.rpcUrl,
      CHAIN_ID: String(chain.chainId),
      ANCHOR_CONTRACT: deployed.ANCHOR_CONTRACT!,
      DID_REGISTRY: deployed.DID_REGISTRY!,
      SIGNER_PRIVATE_KEY: REPLICA_SIGNER_KEY,
      BATCH_INTERVAL: options.batchInterval,
      RATE_LIMIT: '0',
      ...options.env,
    };
    const startReplica = async () => {
      const replica = await startServiceProcess({ dataDir, env });
      replicas.push(replica);
      return replica;
    };
    for (let i = 0; i < options.count; i++) await startReplica();
    return { replicas, alive: () => replicas.filter(isAlive), startReplica, close };
  } catch (error) {
    await close();
    throw error;
  }
}
