// `npm run soak -- --rounds 200`: kill -9 rounds under streaming load, against the three ways the
// service runs: one process on the embedded store, one on PostgreSQL, and three replicas on
// PostgreSQL sharing one chain (where each round kills the anchoring replica). After each setup's
// rounds, every acknowledged document must be anchored, each root once. Prints acknowledged, lost,
// anchored twice and the takeover times; exits 1 if anything was lost or anchored twice.
// Needs TEST_DATABASE_URL (a PostgreSQL server it may create scratch databases on) for two of them.
import { Command } from 'commander';
import { auditAnchoring, type AnchoringAudit } from '../helpers/anchoring-audit';
import { createTestDatabase, TEST_DATABASE_URL } from '../helpers/postgres';
import { isAnchoring, logTimes, TAKEOVER } from '../helpers/replica-logs';
import { DEPLOYMENT_TRANSACTIONS, REPLICA_SIGNER_KEY, startReplicaCluster } from '../helpers/replica-cluster';
import { api, makeTempDir, removeTempDirs, startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { startSubmissionLoad } from '../helpers/submission-load';
import { parseScriptArguments, positiveInteger } from '../helpers/script-arguments';


type Setup = 'embedded' | 'postgres' | 'replicas';

interface SetupResult {
  setup: Setup;
  rounds: number;
  audit: AnchoringAudit;
  takeoversMs: number[];
  seconds: number;
}

const program = new Command('soak')
  .description('kill -9 rounds under streaming load; every acknowledged document must be anchored exactly once')
  .option('--rounds <n>', 'kill -9 rounds in all, shared among the setups', positiveInteger, 30)
  .option('--setups <list>', 'comma-separated: embedded, postgres, replicas', 'embedded,postgres,replicas')
  .addHelpText('after', '\nTEST_DATABASE_URL names the PostgreSQL server for the postgres and replicas setups (scratch databases are created and dropped).');
parseScriptArguments(program);
const options = program.opts<{ rounds: number; setups: string }>();

let seed = 20261203;
/** A seeded generator: the same run kills at the same moments. */
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const log = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}\n`);

/** Runs the load while `rounds` times a victim is killed at a random moment and the setup restored. */
async function killRounds(
  rounds: number,
  targets: () => ServiceProcess[],
  round: (index: number) => Promise<void>,
  acknowledged: Set<string>,
  setup: Setup,
): Promise<void> {
  const load = startSubmissionLoad(targets, { clients: 4, maxPerRequest: 40, acknowledged });
  try {
    for (let index = 0; index < rounds; index++) {
      await sleep(300 + random() * 1500);
      await round(index);
      log(`${setup}: round ${index + 1}/${rounds}, ${acknowledged.size} acknowledged`);
    }
  } finally {
    await load.stop();
  }
}

/** One process, restarted on its data directory after each kill (the embedded chain dies with it). */
async function singleProcess(setup: 'embedded' | 'postgres', rounds: number): Promise<SetupResult> {
  const began = Date.now();
  const database = setup === 'postgres' ? await createTestDatabase() : undefined;
  const dataDir = makeTempDir(`did-notary-soak-${setup}-`);
  const env = { BATCH_INTERVAL: '200ms', RATE_LIMIT: '0', ...(database ? { DATABASE_URL: database.url } : {}) };
  let service = await startServiceProcess({ dataDir, env });
  const acknowledged = new Set<string>();
  try {
    await killRounds(
      rounds,
      () => [service],
      async () => {
        await service.kill();
        service = await startServiceProcess({ dataDir, env });
      },
      acknowledged,
      setup,
    );
    const final = await api(service, 'POST', '/v1/batches/anchor');
    if (final.status !== 200) throw new Error(`the final anchoring answered ${final.status}: ${JSON.stringify(final.json)}`);
    const audit = await auditAnchoring(service, acknowledged);
    return { setup, rounds, audit, takeoversMs: [], seconds: (Date.now() - began) / 1000 };
  } finally {
    await service.kill();
    await database?.drop();
  }
}

/** Three replicas on PostgreSQL and one external chain; each round kills the anchoring replica and starts a new one. */
async function replicas(rounds: number): Promise<SetupResult> {
  const began = Date.now();
  const cluster = await startReplicaCluster({ count: 3, batchInterval: '200ms', prefix: 'did-notary-soak-replicas' });
  const { alive } = cluster;
  try {
    const acknowledged = new Set<string>();
    const takeoversMs: number[] = [];
    await killRounds(
      rounds,
      alive,
      async () => {
        const leader = await waitForLeader(alive);
        const killedAt = Date.now();
        await leader.kill();
        takeoversMs.push(await waitForTakeover(alive, killedAt));
        await cluster.startReplica();
      },
      acknowledged,
      'replicas',
    );
    const follower = alive().find((replica) => !isAnchoring(replica)) ?? alive()[0]!;
    await api(follower, 'POST', '/v1/batches/anchor');
    // The anchoring replica was asked to anchor what is left: give it the few seconds that takes,
    // then re-read only what was not anchored yet (a full pass reads every receipt).
    await sleep(3_000);
    const auditOptions = { signerKey: REPLICA_SIGNER_KEY, otherTransactions: DEPLOYMENT_TRANSACTIONS };
    let audit = await auditAnchoring(alive()[0]!, acknowledged, auditOptions);
    for (let attempt = 0; attempt < 10 && audit.lost.length > 0; attempt++) {
      await sleep(1_000);
      audit = { ...(await auditAnchoring(alive()[0]!, audit.lost, auditOptions)), acknowledged: audit.acknowledged };
    }
    return { setup: 'replicas', rounds, audit, takeoversMs, seconds: (Date.now() - began) / 1000 };
  } finally {
    await cluster.close();
  }
}

async function waitForLeader(alive: () => ServiceProcess[]): Promise<ServiceProcess> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const anchoring = alive().filter(isAnchoring);
    if (anchoring.length === 1) return anchoring[0]!;
    await sleep(50);
  }
  throw new Error('no single anchoring replica within 20 s');
}

async function waitForTakeover(alive: () => ServiceProcess[], killedAt: number): Promise<number> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const times = alive().flatMap((replica) => logTimes(replica, TAKEOVER)).filter((time) => time >= killedAt);
    if (times.length > 0) return Math.min(...times) - killedAt;
    await sleep(50);
  }
  throw new Error('no replica took the anchoring over within 20 s');
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const setups = options.setups.split(',').map((setup) => setup.trim()) as Setup[];
  for (const setup of setups) if (!['embedded', 'postgres', 'replicas'].includes(setup)) throw new Error(`unknown setup ${setup}`);
  if (!TEST_DATABASE_URL && setups.some((setup) => setup !== 'embedded')) {
    throw new Error('TEST_DATABASE_URL is not set: the postgres and replicas setups need a PostgreSQL server (or pass --setups embedded)');
  }
  const results: SetupResult[] = [];
  for (const [i, setup] of setups.entries()) {
    const rounds = Math.floor(options.rounds / setups.length) + (i < options.rounds % setups.length ? 1 : 0);
    log(`${setup}: ${rounds} kill -9 rounds`);
    results.push(setup === 'replicas' ? await replicas(rounds) : await singleProcess(setup, rounds));
  }
  console.log('| setup | kill -9 rounds | acknowledged | lost | anchored twice | batches | takeover after kill (median / p95 / max) | minutes |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { setup, rounds, audit, takeoversMs, seconds } of results) {
    const takeovers = takeoversMs.length ? `${percentile(takeoversMs, 50)} / ${percentile(takeoversMs, 95)} / ${Math.max(...takeoversMs)} ms` : '—';
    console.log(`| ${setup} | ${rounds} | ${audit.acknowledged} | ${audit.lost.length} | ${audit.anchoredTwice} | ${audit.batches} | ${takeovers} | ${(seconds / 60).toFixed(1)} |`);
  }
  const failed = results.filter(({ audit }) => audit.lost.length > 0 || audit.anchoredTwice > 0 || audit.unmatched > 0 || audit.extraTransactions > 0);
  for (const { setup, audit } of failed) console.error(`${setup}: ${JSON.stringify({ ...audit, lost: audit.lost.slice(0, 10) })}`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  })
  .finally(removeTempDirs);
