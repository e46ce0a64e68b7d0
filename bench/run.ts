// `npm run bench [-- --quick]`: every performance figure of issue 6 on this machine, with peers measured
// in the same run, printed as one table and written to bench-results/latest.json. Each section runs
// under a deadline with its own resources (child processes, temp dirs, databases), released whatever
// happens; a figure that could not be measured is printed as such, with MISS where it has a target.
import fs from 'node:fs';
import path from 'node:path';
import { CREDENTIAL_FIGURES, credentialFigures, credentialTargetText, missingCredentialFigures, type CredentialBenchModule } from './credentials-hook';
import { benchMerkleMemory } from './merkle-memory';
import { benchMerkleTrees } from './merkle-trees';
import { machineInfo, notMeasured, renderTable, writeReport, type Figure } from './report';
import { installExitCleanup, withScope, type ResourceScope } from './resources';
import { benchEmbeddedService } from './service-figures';
import { benchPostgresSeal } from './store-seal';

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
    { id: 'memory.sealed-2^20', name: 'memory: sealed 2^20 batch, tree kept for proofs (RSS growth)', target: '≤ 256 MiB' },
    { id: 'memory.sealing-peak', name: 'memory: peak RSS growth while sealing 2^20', target: '—' },
    { id: 'seal.pglite', name: `seal a ${big}-document batch, embedded PGlite`, target: '≤ 10 s per 1M' },
    { id: 'seal.postgres', name: `seal a ${big}-document batch, PostgreSQL`, target: '≤ 10 s per 1M' },
    { id: 'submit.bulk.docs-per-second', name: 'bulk submission over HTTP (1,000 ids/request, embedded)', target: '≥ 50,000 docs/s' },
    { id: 'submit.single.rps', name: 'single-document submission over HTTP (embedded)', target: '≥ 2,000 req/s' },
    { id: 'submit.single.p99', name: 'single-document submission p99 latency', target: '≤ 25 ms' },
    { id: 'receipt.p99', name: `receipt fetch p99 at 1000/s, doc in a ${quick ? '10,000' : big}-doc anchored batch`, target: '≤ 10 ms' },
    ...(quick ? [1, 1_000, 10_000] : [1, 1_000, 100_000, 1_000_000]).map((size) => ({
      id: `gas.${size}`,
      name: `gas per anchor, batch of ${size.toLocaleString('en-US')}`,
      target: '≤ 50,000',
    })),
    { id: 'gas.flatness', name: 'gas per anchor: spread from 1 document up', target: 'flat (≤ 1 %)' },
    { id: 'latency.submit-to-anchored', name: 'submission → anchored receipt, embedded chain, BATCH_INTERVAL=1s', target: '≤ interval + 2 s = 3 s' },
    ...Object.values(CREDENTIAL_FIGURES).map((spec) => ({ id: spec.id, name: spec.name, target: credentialTargetText(spec) })),
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
  const unknown = args.filter((a) => a !== '--quick');
  if (unknown.length > 0) {
    process.stderr.write(`usage: npm run bench [-- --quick]   (unknown: ${unknown.join(' ')})\n`);
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
  const section = async (name: string, ids: string[], timeoutMs: number, work: (scope: ResourceScope) => Promise<void>) => {
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
  await section('memory', ids('memory.'), quick ? 45_000 : 180_000, async (scope) => {
    (await benchMerkleMemory(scope, { quick, log })).forEach(emit);
  });
  await section('seal on PostgreSQL', ['seal.postgres'], quick ? 60_000 : 300_000, async (scope) => {
    emit(await benchPostgresSeal(scope, { quick, serverUrl: postgresUrl, log }));
  });
  await section(
    'embedded service',
    ['seal.pglite', ...ids('submit.'), ...ids('receipt.'), ...ids('gas.'), ...ids('latency.')],
    quick ? 120_000 : 900_000,
    async (scope) => benchEmbeddedService(scope, { quick, log, emit }),
  );
  await section('credentials', Object.values(CREDENTIAL_FIGURES).map((f) => f.id), 300_000, async (scope) => {
    if (quick) {
      // Its set-up alone (Anvil, a new PGlite store, the DID registry) takes about 15 s here.
      for (const spec of Object.values(CREDENTIAL_FIGURES)) {
        emit({ ...notMeasured(spec.id, spec.name, credentialTargetText(spec), 'bench/credentials.ts is only run by the full bench (its set-up alone takes about 15 s)'), valueText: 'not run (--quick)', verdict: 'skip' });
      }
      return;
    }
    (await runCredentialsHook(scope, log)).forEach(emit);
  });

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
