// `did-notary verify`: files against their receipts using only the chain, never a did-notary service.
// A receipt comes from the file named after the document, from `<file>.receipt.json`, or from an
// export that `did-notary receipts export` wrote (NDJSON, one receipt a line), matched by hash.
import fs from 'node:fs';
import readline from 'node:readline';
import { Command, Option } from 'commander';
import { JsonRpcProvider } from 'ethers';
import type { ReceiptVerification } from '../core/receipts/verify';
import { cachedAnchorLookup, createAnchorLookup, verifyReceiptOnChains } from '../platform/chain/receipt-verification';
import { hashFile } from './documents';
import { createProgress, type Progress } from './progress';

/** Exit codes of `verify`: 0 valid, 1 invalid (with the reason), 2 usage error. */
const EXIT_VALID = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;
/** Verifications in flight at once: the chain is asked once per root, the rest is hashing. */
const VERIFY_CONCURRENCY = 8;
/** An argument ending so is read as an export of receipts, not as a document. */
const EXPORT_FILE = /\.(ndjson|jsonl)$/i;

/** A verification outcome, or why a document had no receipt to verify. */
type Outcome = ReceiptVerification | { valid: false; reason: 'no-receipt'; message: string };

/** One line of the report: which document, or which line of which export, and its outcome. */
type Result = ({ file: string } | { receipt: string }) & Outcome;

interface VerifyOptions {
  rpc?: string[];
  contract?: string;
  also?: string[];
  json?: boolean;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('verify files against their receipts using only the chain (exit 0 valid, 1 invalid, 2 usage error)')
    .argument('[file]', 'the document')
    .argument('[receipt]', 'its receipt JSON file (default: <file>.receipt.json), or an export of receipts (.ndjson)')
    .addOption(
      new Option('--rpc <url>', 'JSON-RPC URL of a chain the receipts name; repeat it (or separate URLs by commas) for receipts anchored on several chains')
        .env('DID_NOTARY_RPC_URL')
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').filter(Boolean)]),
    )
    .option('--contract <address>', 'only accept anchors by this contract')
    .option(
      '--also <paths...>',
      'more documents, and exports of receipts (*.ndjson, *.jsonl, as `receipts export` writes them): each document is checked against the receipt of its hash in an export, else against <file>.receipt.json; with exports and no document, every receipt of the exports is checked on its own',
    )
    .option('--json', 'print the verification results as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  did-notary verify contract.pdf contract.pdf.receipt.json --rpc https://sepolia.example/rpc',
        '  did-notary receipts export --batch 42 --server https://notary.example --api-key dnk_… > batch-42.ndjson',
        '  did-notary verify --also batch-42.ndjson archive/*.pdf --rpc https://sepolia.example/rpc',
        '  did-notary verify --also batch-42.ndjson --rpc https://sepolia.example/rpc   # every receipt, without the files',
      ].join('\n'),
    )
    .action(async (file: string | undefined, receiptFile: string | undefined, options: VerifyOptions) => {
      if (!options.rpc || options.rpc.length === 0) fail(EXIT_USAGE, '--rpc <url> (or DID_NOTARY_RPC_URL) is required: the receipt is checked against the chain, not a service');
      const plan = planVerification(file, receiptFile, options.also ?? []);
      // No request batching: on a loopback or nearby node it only adds latency.
      const providers = options.rpc.map((url) => new JsonRpcProvider(url, undefined, { cacheTimeout: -1, batchMaxCount: 1 }));
      try {
        const chains = new Map<string, JsonRpcProvider>();
        for (const [index, provider] of providers.entries()) {
          try {
            chains.set(`eip155:${Number((await provider.getNetwork()).chainId)}`, provider);
          } catch (error) {
            fail(EXIT_USAGE, `cannot reach the chain at ${options.rpc[index]}: ${(error as Error).message.slice(0, 200)}`);
          }
        }
        // Every receipt of an export shares its batch's root: each chain is asked once per root.
        const lookups = new Map([...chains].map(([chain, provider]) => [chain, cachedAnchorLookup(createAnchorLookup(provider))]));
        const verify = async (receipt: unknown, document: { bytes?: Uint8Array; hash?: string }): Promise<ReceiptVerification> => {
          try {
            return await verifyReceiptOnChains(receipt, { providers: chains, lookups, documentBytes: document.bytes, hash: document.hash, expectedContract: options.contract });
          } catch (error) {
            fail(EXIT_USAGE, `cannot check the chain: ${(error as Error).message.slice(0, 300)}`);
          }
        };
        await report(plan, options, (onResult, progress) => runPlan(plan, verify, onResult, progress));
      } finally {
        for (const provider of providers) provider.destroy();
      }
    });
}

interface Plan {
  documents: Array<{ file: string; receiptFile?: string }>;
  exports: string[];
}

/** Sorts the arguments into documents (with their receipt file when named) and exports. */
function planVerification(file: string | undefined, receiptFile: string | undefined, also: string[]): Plan {
  const plan: Plan = { documents: [], exports: [] };
  if (file !== undefined) {
    if (receiptFile !== undefined && EXPORT_FILE.test(receiptFile)) plan.exports.push(receiptFile);
    plan.documents.push({ file, ...(receiptFile !== undefined && !EXPORT_FILE.test(receiptFile) ? { receiptFile } : {}) });
  }
  for (const path of also) {
    if (EXPORT_FILE.test(path)) plan.exports.push(path);
    else plan.documents.push({ file: path });
  }
  if (plan.documents.length === 0 && plan.exports.length === 0) fail(EXIT_USAGE, 'name a document, or an export of receipts with --also');
  for (const path of plan.exports) {
    if (!fs.existsSync(path)) fail(EXIT_USAGE, `cannot read export ${path}: ENOENT`);
  }
  return plan;
}

type Verify = (receipt: unknown, document: { bytes?: Uint8Array; hash?: string }) => Promise<ReceiptVerification>;

/**
 * Verifies what the plan names, calling `onResult` for each outcome. Documents are hashed first; the
 * exports are then read once, line by line (an export of a million receipts is about 2 GB: it is never
 * held whole), and each receipt whose hash is a document's is verified against that document.
 */
async function runPlan(plan: Plan, verify: Verify, onResult: (result: Result) => void, progress: Progress): Promise<{ unmatched: number }> {
  const pool = new Pool(VERIFY_CONCURRENCY);
  if (plan.documents.length === 0) {
    for (const path of plan.exports) {
      await readExport(path, async (line, where) => {
        await pool.run(async () => {
          onResult({ receipt: where, ...(line.json ? await verify(line.receipt, {}) : line.failure) });
          progress.tick();
        });
      });
    }
    await pool.drain();
    return { unmatched: 0 };
  }

  // Documents whose receipt is to be found in the exports, by multihash (several files may share one).
  const byMultihash = new Map<string, number[]>();
  const matched = new Set<number>();
  if (plan.exports.length > 0) {
    for (const [index, document] of plan.documents.entries()) {
      if (document.receiptFile !== undefined) continue;
      const id = await hashFile(document.file);
      byMultihash.set(id.multihashHex, [...(byMultihash.get(id.multihashHex) ?? []), index]);
    }
  }
  let unmatched = 0;
  for (const path of plan.exports) {
    await readExport(path, async (line, where) => {
      if (!line.json) {
        onResult({ receipt: where, ...line.failure });
        return;
      }
      const indexes = byMultihash.get(line.multihash ?? '')?.filter((index) => !matched.has(index)) ?? [];
      if (indexes.length === 0) {
        unmatched += 1;
        return;
      }
      for (const index of indexes) matched.add(index);
      await pool.run(async () => {
        const result = await verify(line.receipt, { hash: line.multihash });
        for (const index of indexes) {
          onResult({ file: plan.documents[index]!.file, ...result });
          progress.tick();
        }
      });
    });
  }
  // The rest against their own receipt files.
  for (const [index, document] of plan.documents.entries()) {
    if (matched.has(index)) continue;
    await pool.run(async () => {
      onResult({ file: document.file, ...(await verifyWithReceiptFile(document, plan.exports, verify)) });
      progress.tick();
    });
  }
  await pool.drain();
  return { unmatched };
}

/** A document against `receiptFile` or `<file>.receipt.json`; with exports given, a missing one is a result, not a usage error. */
async function verifyWithReceiptFile(document: { file: string; receiptFile?: string }, exports: string[], verify: Verify): Promise<Outcome> {
  const receiptFile = document.receiptFile ?? `${document.file}.receipt.json`;
  if (exports.length > 0 && document.receiptFile === undefined && !fs.existsSync(receiptFile)) {
    if (!fs.existsSync(document.file)) fail(EXIT_USAGE, `cannot read ${document.file}: ENOENT`);
    return { valid: false, reason: 'no-receipt', message: `no receipt: its hash is in none of ${exports.join(', ')}, and there is no ${receiptFile}` };
  }
  let receiptJson: unknown;
  let documentBytes: Buffer;
  try {
    receiptJson = JSON.parse(fs.readFileSync(receiptFile, 'utf8'));
  } catch (error) {
    fail(EXIT_USAGE, `cannot read receipt ${receiptFile}: ${(error as Error).message}`);
  }
  try {
    documentBytes = fs.readFileSync(document.file);
  } catch (error) {
    fail(EXIT_USAGE, `cannot read ${document.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return verify(receiptJson, { bytes: documentBytes });
}

/** A line of an export: a receipt (JSON, not yet checked) with the multihash it names, or why it is none. */
type ExportLine = { json: true; receipt: unknown; multihash?: string } | { json: false; failure: Outcome };

/** Calls `onLine` for each non-empty line of an export, in order, waiting for each call. */
async function readExport(path: string, onLine: (line: ExportLine, where: string) => Promise<void>): Promise<void> {
  const lines = readline.createInterface({ input: fs.createReadStream(path, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let number = 0;
  for await (const text of lines) {
    number += 1;
    if (text.trim() === '') continue;
    let receipt: unknown;
    try {
      receipt = JSON.parse(text);
    } catch {
      await onLine({ json: false, failure: { valid: false, reason: 'invalid-receipt', message: 'the line is not JSON' } }, `${path}:${number}`);
      continue;
    }
    const multihash = (receipt as { document?: { multihash?: unknown } } | null)?.document?.multihash;
    await onLine({ json: true, receipt, ...(typeof multihash === 'string' ? { multihash } : {}) }, `${path}:${number}`);
  }
}

/** Prints what `run` finds: each invalid result as it comes, progress on standard error, a summary. */
async function report(
  plan: Plan,
  options: VerifyOptions,
  run: (onResult: (result: Result) => void, progress: Progress) => Promise<{ unmatched: number }>,
): Promise<void> {
  const single = plan.documents.length === 1 && plan.exports.length === 0;
  const total = plan.documents.length > 0 ? plan.documents.length : await countLines(plan.exports);
  const progress = options.json || single ? createProgress('verifying', 0) : createProgress('verifying', total);
  const results: Result[] = [];
  let valid = 0;
  let invalid = 0;
  const { unmatched } = await run((result) => {
    if (result.valid) valid += 1;
    else invalid += 1;
    if (options.json) results.push(result);
    else if (single || !result.valid) printResult(result);
  }, progress);
  if (options.json) {
    console.log(JSON.stringify(single ? results[0] : results, null, 2));
  } else if (!single) {
    const checked = plan.documents.length === 0 ? 'receipts, checked without their documents' : 'documents';
    const skipped = unmatched > 0 ? `; ${unmatched} receipts of the export matched none of the files given (not checked)` : '';
    progress.done(`${valid} valid, ${invalid} invalid ${checked}${skipped}`);
  }
  process.exitCode = invalid === 0 ? EXIT_VALID : EXIT_INVALID;
}

function printResult(result: Result): void {
  const name = 'file' in result ? result.file : result.receipt;
  if (result.valid) {
    console.log(`VALID: ${name} (${result.document.cid})`);
    console.log(`  anchored ${new Date(result.anchoredAt * 1000).toISOString()} in block ${result.blockNumber} on ${result.chain}`);
    console.log(`  transaction ${result.transactionHash}, contract ${result.contract}, submitter ${result.submitter}`);
    if (result.log) console.log(`  log ${result.log.origin}, entry ${result.log.index}`);
  } else {
    console.log(`INVALID (${result.reason}): ${name}: ${result.message}`);
  }
  // A receipt anchored on several chains: what each anchor came to.
  if ('anchors' in result && (result.anchors?.length ?? 0) > 1) {
    for (const anchor of result.anchors!) {
      console.log(`  ${anchor.valid ? 'holds' : `DOES NOT HOLD (${anchor.reason})`} on ${anchor.chain}${anchor.valid ? `, block ${anchor.blockNumber}` : `: ${anchor.message}`}`);
    }
  }
}

/** Lines in the exports, counted by newlines (about a second per gigabyte): the progress total. */
async function countLines(paths: string[]): Promise<number> {
  let count = 0;
  for (const path of paths) {
    let last = 0x0a;
    for await (const chunk of fs.createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) count += 1;
      last = chunk[chunk.length - 1]!;
    }
    if (last !== 0x0a) count += 1;
  }
  return count;
}

/** At most `size` tasks at once; `run` waits for a free slot, `drain` for all. */
class Pool {
  private readonly running = new Set<Promise<void>>();
  constructor(private readonly size: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.size) await Promise.race(this.running);
    const promise = task().finally(() => this.running.delete(promise));
    this.running.add(promise);
  }

  async drain(): Promise<void> {
    await Promise.all(this.running);
  }
}

function fail(code: number, message: string): never {
  process.stderr.write(`did-notary: ${message}\n`);
  process.exit(code);
}
