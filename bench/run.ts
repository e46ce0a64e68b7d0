// `npm run bench [-- --quick]`: every performance figure of issue 6 on this machine, with peers measured
// in the same run, printed as one table and written to bench-results/latest.json. Each section runs
// under a deadline with its own resources (child processes, temp dirs, databases), released whatever
// happens; a figure that could not be measured is printed as such, with MISS where it has a target.
import fs from 'node:fs';
import path from 'node:path';
import { CREDENTIAL_FIGURES, credentialFigures, credentialTargetText, missingCredentialFigures, type CredentialBenchModule } from './credentials-hook';
import { benchMerkleMemory } from './merkle-memory';
import { benchMerkleTrees } from './merkle-trees';
import { benchPostgresService } from './postgres-service';
import { machineInfo, notMeasured, renderTable, writeReport, type Figure } from './report';
import { installExitCleanup, withScope, type ResourceScope } from './resources';
import { benchEmbeddedService } from './service-figures';
import { benchPostgresSeal } from './store-seal';
import { benchTimeStamps } from './time-stamps';
import { benchWebhookLag } from './webhook-lag';
import { benchWalletRounds } from './wallet-rounds';
import { benchTransparencyLog } from './transparency-log';
import { benchTwoChains } from './multichain-figures';

const PROJECT_ROOT = path.resolve(__dirname, '..');
const RESULTS_DIR = path.join(PROJECT_ROOT, 'bench-results');
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

interface Expected {
  id: string;
  name: string;
  target: string;
}

/** Order of the table (issue 6's order), and the rows to print when a section fails before making them. */
function expectedFigures(quick: boolean): Expected[] {
  const big = quick ? '100,000' : '1,000,000';
  return [
    { id: 'merkle.2^10', name: 'RFC 9162 tree 2^10: build + every proof (peer merkletreejs)', target: '—' },
    { id: 'merkle.2^10.openzeppelin', name: 'RFC 9162 tree 2^10: build + every proof (peer @openzeppelin/merkle-tree)', target: '—' },
    ...(quick ? [] : [{ id: 'merkle.2^14.openzeppelin', name: 'RFC 9162 tree 2^14: build + every proof (peer @openzeppelin/merkle-tree)', target: '—' }]),
    { id: 'merkle.2^16', name: 'RFC 9162 tree 2^16: build + every proof (peer merkletreejs)', target: '—' },
    { id: 'merkle.2^20', name: 'RFC 9162 tree 2^20: build + every proof (peer merkletreejs)', target: '≤ 1.0 s and ≥ 10x' },
    { id: 'merkle.2^20.limit', name: 'RFC 9162 tree 2^20: build + every proof, against the SHA-256 limit (openssl speed, both cores)', target: '≥ 0.6x of the limit' },
    { id: 'log.consistency.build', name: 'log: consistency proof 2^20 → 2^20 + 1,000 batches, build', target: '≤ 1 ms' },
    { id: 'log.consistency.verify', name: 'log: consistency proof 2^20 → 2^20 + 1,000 batches, verify', target: '≤ 1 ms' },
    { id: 'memory.sealed-2^20', name: 'memory: sealed 2^20 batch, tree kept for proofs (RSS growth)', target: '≤ 256 MiB' },
    { id: 'memory.sealing-peak', name: 'memory: peak RSS growth while sealing 2^20', target: '—' },
    { id: 'seal.pglite', name: `seal a ${big}-document batch, embedded PGlite`, target: '≤ 10 s per 1M' },
    { id: 'seal.postgres', name: `seal a ${big}-document batch, PostgreSQL`, target: '≤ 10 s per 1M' },
    { id: 'store.bytes.pglite', name: 'store bytes per document, embedded PGlite (table + indexes)', target: '≤ 160 bytes' },
    { id: 'store.bytes.postgres', name: `store bytes per document, ${quick ? '100,000' : big} documents, PostgreSQL (table + indexes)`, target: '≤ 160 bytes' },
    { id: 'submit.bulk.docs-per-second', name: 'bulk submission over HTTP (1,000 ids/request, embedded)', target: '≥ 50,000 docs/s' },
    { id: 'submit.single.rps', name: 'single-document submission over HTTP (embedded)', target: '≥ 2,000 req/s' },
    { id: 'submit.single.p99', name: 'single-document submission p99 latency (embedded)', target: '≤ 25 ms' },
    { id: 'submit.postgres.bulk.docs-per-second', name: 'bulk submission over HTTP (1,000 ids/request, PostgreSQL; peer raw COPY)', target: '≥ 50,000 docs/s and ≥ 0.5x peer' },
    { id: 'submit.postgres.single.rps', name: 'single-document submission over HTTP (PostgreSQL)', target: '≥ 2,000 req/s' },
    { id: 'submit.postgres.single.p99', name: 'single-document submission p99 latency (PostgreSQL)', target: '≤ 25 ms' },
    { id: 'receipt.p99', name: `receipt fetch p99 at 5000/s, doc in a ${quick ? '10,000' : big}-doc anchored batch (peer: a bare node:http server)`, target: "≤ 2x the bare server's p99" },
    { id: 'receipt.cold', name: `first receipt from a ${quick ? '10,000' : big}-document batch after a restart (tree not in memory)`, target: '≤ 500 ms' },
    { id: 'export.receipts-per-second', name: `receipt export: receipts/s streamed from a ${quick ? '10,000' : big}-document batch`, target: '≥ 100,000 receipts/s' },
    ...(quick ? [1, 1_000, 10_000] : [1, 1_000, 100_000, 1_000_000]).map((size) => ({
      id: `gas.${size}`,
      name: `gas per anchor, batch of ${size.toLocaleString('en-US')}`,
      target: '≤ 50,000',
    })),
    { id: 'gas.flatness', name: 'gas per anchor: spread from 1 document up', target: 'flat (≤ 1 %)' },
    { id: 'latency.submit-to-anchored', name: 'submission → anchored receipt, embedded chain, BATCH_INTERVAL=1s', target: '≤ interval + 2 s = 3 s' },
    { id: 'gas.two-chains.eip155:31337', name: 'gas per anchor on eip155:31337, two chains, batches of 1 and 1,000', target: '≤ 50,000, flat' },
    { id: 'gas.two-chains.eip155:31338', name: 'gas per anchor on eip155:31338, two chains, batches of 1 and 1,000', target: '≤ 50,000, flat' },
    { id: 'latency.two-chains', name: 'submission → first anchored receipt, two embedded chains, BATCH_INTERVAL=1s', target: '≤ interval + 2 s = 3 s, no slower than one chain' },
    ...Object.values(CREDENTIAL_FIGURES).map((spec) => ({ id: spec.id, name: spec.name, target: credentialTargetText(spec) })),
    { id: 'tsa.tokens-per-second', name: 'RFC 3161 tokens over HTTP (openssl-format queries, embedded)', target: '≥ 1,000/s' },
    { id: 'tsa.p99', name: 'RFC 3161 token p99 latency at 1,000/s', target: '≤ 20 ms' },
    { id: 'webhook.lag.median', name: 'webhook delivery lag, anchoring → first attempt (median)', target: '≤ 1 s' },
    { id: 'webhook.lag.p99', name: 'webhook delivery lag, anchoring → first attempt (p99)', target: '—' },
    { id: 'wallet.issuance.median', name: 'OpenID4VCI pre-authorized issuance, whole round over HTTP (median)', target: '—' },
    { id: 'wallet.issuance.p99', name: 'OpenID4VCI pre-authorized issuance (p99)', target: '—' },
    { id: 'wallet.presentation.median', name: 'OpenID4VP round (DCQL, SD-JWT VC), whole round over HTTP (median)', target: '—' },
    { id: 'wallet.presentation.p99', name: 'OpenID4VP round (p99)', target: '—' },
    { id: 'wallet.rounds-per-second', name: 'issuance + presentation rounds/s, 10 wallets at once', target: '—' },
  ];
}

// ======================================================================================
// CREDENTIALS HOOK. bench/credentials.ts is written with src/credentials/ (issue 4) and
// exports `benchCredentials({ durationMs, tmpDir })` (contract: bench/credentials-hook.ts).
// When the file is missing, or gives no row for a figure, that figure prints as
// "not measured" with MISS: no number is ever made up here.
// ======================================================================================
async function runCredentialsHook(scope: ResourceScope, log: (line: string) => void): Promise<Figure[]> {
  const file = path.join(__dirname, 'credentials.ts');
  if (!fs.existsSync(file)) return missingCredentialFigures('bench/credentials.ts does not exist', 'not measured (credentials module missing)');
  // A run-time require, so that the bench type-checks and runs without the file.
    const loaded = require(file) as Partial<CredentialBenchModule>;
  if (typeof loaded.benchCredentials !== 'function') return missingCredentialFigures('not measured: bench/credentials.ts does not export benchCredentials');
  const durationMs = 3_000;
  log(`credentials: bench/credentials.ts, ${durationMs / 1000} s per measurement`);
  return credentialFigures(await loaded.benchCredentials({ durationMs, tmpDir: scope.tempDir('credentials') }), durationMs);
}

async function main(): Promise<void> {
  const args = process.argv.slice(3);
  const quick = args.includes('--quick');
  const onlyAt = args.indexOf('--only');
  // `--only postgres,credentials`: the sections whose names contain one of the words (while working on one figure).
  const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',').filter((word) => word.length > 0) : undefined;
  const unknown = args.filter((a, i) => a !== '--quick' && i !== onlyAt && i !== onlyAt + 1);
  if (unknown.length > 0 || (only !== undefined && only.length === 0)) {
    process.stderr.write(`usage: npm run bench [-- --quick] [--only <section words, comma-separated>]   (unknown: ${unknown.join(' ')})\n`);
    process.exit(2);
  }
  installExitCleanup();
  const postgresUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? DEFAULT_POSTGRES;
  const started = performance.now();
  const machine = machineInfo();
  const log = (line: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  log(`did-notary bench, ${quick ? 'quick' : 'full'} mode; load average ${machine.loadAverageAtStart.join(' ')} on ${machine.cpus} CPUs`);

  const figures = new Map<string, Figure>();
  const emit = (f: Figure) => figures.set(f.id, f);
  const expected = expectedFigures(quick);

  /** Runs one section under a deadline; rows it did not produce are filled in as not measured. */
  const section = async (name: string, ids: string[], timeoutMs: number, work: (scope: ResourceScope) => Promise<void>, fullOnly?: string) => {
    if (only && !only.some((word) => name.includes(word))) return;
    if (quick && fullOnly !== undefined && !only) {
      // Quick mode keeps to the notarization core, in under a minute; `--quick --only <name>` runs it short.
      for (const id of ids) {
        const e = expected.find((x) => x.id === id)!;
        emit({ ...notMeasured(id, e.name, e.target, `${name}: only in the full bench (${fullOnly}); \`npm run bench -- --quick --only ${name.split(' ')[0]}\` runs it short`), valueText: 'not run (--quick)', verdict: 'skip' });
      }
      return;
    }
    const sectionStarted = performance.now();
    try {
      await withScope(name, timeoutMs, work);
      log(`${name}: done in ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s`);
    } catch (error) {
      const message = (error as Error).message;
      log(`${name} failed: ${message}`);
      for (const id of ids) {
        if (figures.has(id)) continue;
        const e = expected.find((x) => x.id === id)!;
        emit(notMeasured(id, e.name, e.target, `${name} failed: ${message.split('\n')[0]!.slice(0, 300)}`));
      }
    }
  };
  const ids = (prefix: string) => expected.filter((e) => e.id.startsWith(prefix)).map((e) => e.id);

  await section('merkle trees', ids('merkle.'), quick ? 45_000 : 300_000, async () => {
    (await benchMerkleTrees({ quick, log })).forEach(emit);
  });
  await section('transparency log', ids('log.'), 120_000, async () => {
    benchTransparencyLog({ quick, log }).forEach(emit);
  });
  await section('memory', ids('memory.'), quick ? 45_000 : 180_000, async (scope) => {
    (await benchMerkleMemory(scope, { quick, log })).forEach(emit);
  });
  await section('seal on PostgreSQL', ['seal.postgres', 'store.bytes.postgres'], quick ? 60_000 : 300_000, async (scope) => {
    (await benchPostgresSeal(scope, { quick, serverUrl: postgresUrl, log })).forEach(emit);
  });
  await section(
    'embedded service',
    ['seal.pglite', 'store.bytes.pglite', ...ids('submit.').filter((id) => !id.startsWith('submit.postgres.')), ...ids('receipt.'), ...ids('export.'), ...ids('gas.').filter((id) => !id.startsWith('gas.two-chains')), 'latency.submit-to-anchored'],
    quick ? 120_000 : 900_000,
    async (scope) => benchEmbeddedService(scope, { quick, log, emit }),
  );
  await section('PostgreSQL service', ids('submit.postgres.'), quick ? 60_000 : 300_000, async (scope) =>
    benchPostgresService(scope, { quick, serverUrl: postgresUrl, log, emit }),
  );
  await section(
    'two chains',
    ['gas.two-chains.eip155:31337', 'gas.two-chains.eip155:31338', 'latency.two-chains'],
    quick ? 120_000 : 300_000,
    async (scope) => {
      const oneChain = figures.get('latency.submit-to-anchored')?.value;
      await benchTwoChains(scope, { quick, log, emit, oneChainLatencyMs: typeof oneChain === 'number' ? oneChain : undefined });
    },
    'two more chains and a service, about 8 s',
  );
  await section(
    'credentials',
    Object.values(CREDENTIAL_FIGURES).map((f) => f.id),
    300_000,
    async (scope) => (await runCredentialsHook(scope, log)).forEach(emit),
    'its set-up alone takes about 15 s',
  );
  await section('time-stamp authority', ids('tsa.'), quick ? 120_000 : 300_000, async (scope) => benchTimeStamps(scope, { quick, log, emit }), 'a service and the openssl peer, about 17 s');
  await section(
    'webhooks',
    ids('webhook.'),
    quick ? 90_000 : 180_000,
    async (scope) => (await benchWebhookLag(scope, { quick, log })).forEach(emit),
    'a service and a receiver, about 6 s',
  );
  await section('wallets', ids('wallet.'), quick ? 90_000 : 300_000, async (scope) => (await benchWalletRounds(scope, { quick, log })).forEach(emit), 'a service and the wallet library, about 15 s');

  // Issue 6's order, then anything extra a section reported.
  const order = expected.map((e) => e.id);
  const rows = [...figures.values()].sort((a, b) => rank(order, a.id) - rank(order, b.id));
  const durationSeconds = Math.round((performance.now() - started) / 100) / 10;
  const file = writeReport({ date: new Date().toISOString(), mode: quick ? 'quick' : 'full', durationSeconds, machine, figures: rows }, RESULTS_DIR);
  process.stdout.write(`\n${renderTable(rows)}\n\n`);
  const misses = rows.filter((r) => r.verdict === 'MISS').length;
  process.stdout.write(`${rows.length} figures, ${misses} MISS, ${durationSeconds} s (${quick ? 'quick' : 'full'}); JSON: ${path.relative(PROJECT_ROOT, file)}\n`);
}

function rank(order: string[], id: string): number {
  const index = order.indexOf(id);
  return index < 0 ? order.length : index;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
