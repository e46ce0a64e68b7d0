// `did-notary hash`, `notarize` and `verify`: the document side of the CLI.
// `verify` trusts only the chain: it never talks to a did-notary service.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { apiKeyOption, serverOption } from './service-options';
import { JsonRpcProvider } from 'ethers';
import { documentIdFromDigest, type DocumentId } from '../core/ids/document-id';
import type { Receipt } from '../core/receipts/receipt';
import type { ReceiptVerification } from '../core/receipts/verify';
import { verifyReceiptOnChains } from '../platform/chain/receipt-verification';
import { createProgress } from './progress';

/** Exit codes of `verify`: 0 valid, 1 invalid (with the reason), 2 usage error. */
const EXIT_VALID = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;
const SUBMIT_CHUNK = 1000;
const VERIFY_CONCURRENCY = 8;

export function registerDocumentCommands(program: Command): void {
  program
    .command('hash')
    .description('print the CID and SHA-256 of files (what the service would notarize)')
    .argument('<file...>', 'files to hash')
    .option('--json', 'print JSON lines')
    .action(async (files: string[], options: { json?: boolean }) => {
      for (const file of files) {
        const id = await hashFile(file);
        if (options.json) console.log(JSON.stringify({ file, cid: id.cid, sha256: id.digestHex, multihash: id.multihashHex }));
        else console.log(`${id.cid}  ${id.digestHex}  ${file}`);
      }
    });

  program
    .command('notarize')
    .description('hash files locally (their content never leaves this machine), submit the hashes, write <file>.receipt.json')
    .argument('<file...>', 'files to notarize')
    .addOption(serverOption().makeOptionMandatory())
    .addOption(apiKeyOption('notarize'))
    .option('--wait', 'wait until every receipt is anchored, then rewrite the receipt files')
    .option('--timeout <seconds>', 'how long --wait waits', '300')
    .option('--label <text>', 'a label stored with the submissions (not anchored)')
    .action(async (files: string[], options: { server: string; apiKey: string; wait?: boolean; timeout: string; label?: string }) => {
      const timeoutMs = Number(options.timeout) * 1000;
      if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) fail(EXIT_USAGE, '--timeout must be a number of seconds');
      const hashing = createProgress('hashing', files.length);
      const ids: DocumentId[] = [];
      for (const file of files) {
        ids.push(await hashFile(file));
        hashing.tick();
      }
      hashing.done();
      const unique = new Map<string, number>();
      ids.forEach((id, i) => unique.set(id.multihashHex, unique.get(id.multihashHex) ?? i));
      const submitting = createProgress('submitting', unique.size);
      const receipts = new Map<string, Receipt>();
      const entries = [...unique.keys()];
      for (let start = 0; start < entries.length; start += SUBMIT_CHUNK) {
        const chunk = entries.slice(start, start + SUBMIT_CHUNK);
        const result = (await callService(options.server, options.apiKey, 'POST', '/v1/documents', {
          hashes: chunk.map((m) => ids[unique.get(m)!]!.cid),
          ...(options.label ? { label: options.label } : {}),
        })) as { receipts: Receipt[] };
        chunk.forEach((m, i) => receipts.set(m, result.receipts[i]!));
        submitting.tick(chunk.length);
      }
      submitting.done();
      writeReceipts(files, ids, receipts);

      if (options.wait) {
        const deadline = Date.now() + timeoutMs;
        const waiting = createProgress('anchoring', unique.size);
        let anchored = 0;
        while (anchored < unique.size) {
          if (Date.now() > deadline) fail(EXIT_INVALID, `timed out after ${options.timeout}s with ${unique.size - anchored} receipts still pending`);
          for (const [multihash, receipt] of receipts) {
            if (receipt.status === 'anchored') continue;
            const latest = (await callService(options.server, options.apiKey, 'GET', `/v1/receipts/${receipt.document.cid}`)) as Receipt;
            if (latest.status === 'anchored') {
              receipts.set(multihash, latest);
              anchored += 1;
              waiting.tick();
            }
          }
          if (anchored < unique.size) await new Promise((r) => setTimeout(r, 1000));
        }
        waiting.done();
        writeReceipts(files, ids, receipts);
      }
      const pending = [...receipts.values()].filter((r) => r.status === 'pending').length;
      console.log(`wrote ${files.length} receipt file(s): ${files.length - pending} anchored, ${pending} pending`);
    });

  program
    .command('verify')
    .description('verify a file against its receipt using only the chain (exit 0 valid, 1 invalid, 2 usage error)')
    .argument('<file>', 'the document')
    .argument('[receipt]', 'its receipt JSON file (default: <file>.receipt.json)')
    .addOption(
      new Option('--rpc <url>', 'JSON-RPC URL of a chain the receipt names; repeat it (or separate URLs by commas) for a receipt anchored on several chains')
        .env('DID_NOTARY_RPC_URL')
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').filter(Boolean)]),
    )
    .option('--contract <address>', 'only accept anchors by this contract')
    .option('--also <files...>', 'more files to verify, each against its <file>.receipt.json')
    .option('--json', 'print the verification results as JSON')
    .addHelpText('after', '\nExample:\n  did-notary verify contract.pdf contract.pdf.receipt.json --rpc https://sepolia.example/rpc\n')
    .action(async (file: string, receiptFile: string | undefined, options: { rpc?: string[]; contract?: string; also?: string[]; json?: boolean }) => {
      if (!options.rpc || options.rpc.length === 0) fail(EXIT_USAGE, '--rpc <url> (or DID_NOTARY_RPC_URL) is required: the receipt is checked against the chain, not a service');
      const pairs: Array<[string, string]> = [[file, receiptFile ?? `${file}.receipt.json`], ...(options.also ?? []).map((f): [string, string] => [f, `${f}.receipt.json`])];
      // No request batching: on a loopback or nearby node it only adds latency.
      const providers = options.rpc.map((url) => new JsonRpcProvider(url, undefined, { cacheTimeout: -1, batchMaxCount: 1 }));
      const progress = options.json ? undefined : createProgress('verifying', pairs.length);
      let invalid = 0;
      const results: Array<{ file: string } & ReceiptVerification> = new Array(pairs.length);
      try {
        const chains = new Map<string, JsonRpcProvider>();
        for (const [index, provider] of providers.entries()) {
          try {
            chains.set(`eip155:${Number((await provider.getNetwork()).chainId)}`, provider);
          } catch (error) {
            fail(EXIT_USAGE, `cannot reach the chain at ${options.rpc[index]}: ${(error as Error).message.slice(0, 200)}`);
          }
        }
        let next = 0;
        const worker = async () => {
          while (next < pairs.length) {
            const index = next++;
            const [documentFile, receiptPath] = pairs[index]!;
            const result = await verifyFile(chains, documentFile, receiptPath, options.contract);
            results[index] = { file: documentFile, ...result };
            if (!result.valid) invalid += 1;
            if (!options.json && (pairs.length === 1 || !result.valid)) printResult(documentFile, result);
            progress?.tick();
          }
        };
        await Promise.all(Array.from({ length: Math.min(VERIFY_CONCURRENCY, pairs.length) }, worker));
      } finally {
        for (const provider of providers) provider.destroy();
      }
      if (options.json) console.log(JSON.stringify(pairs.length === 1 ? results[0] : results, null, 2));
      else if (pairs.length > 1) progress?.done(`${pairs.length - invalid} valid, ${invalid} invalid`);
      process.exitCode = invalid === 0 ? EXIT_VALID : EXIT_INVALID;
    });
}

async function verifyFile(chains: ReadonlyMap<string, JsonRpcProvider>, file: string, receiptFile: string, contract?: string): Promise<ReceiptVerification> {
  let receiptJson: unknown;
  let documentBytes: Buffer;
  try {
    receiptJson = JSON.parse(fs.readFileSync(receiptFile, 'utf8'));
  } catch (error) {
    fail(EXIT_USAGE, `cannot read receipt ${receiptFile}: ${(error as Error).message}`);
  }
  try {
    documentBytes = fs.readFileSync(file);
  } catch (error) {
    fail(EXIT_USAGE, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return await verifyReceiptOnChains(receiptJson, { providers: chains, documentBytes, expectedContract: contract });
  } catch (error) {
    fail(EXIT_USAGE, `cannot check the chain: ${(error as Error).message.slice(0, 300)}`);
  }
}

function printResult(file: string, result: ReceiptVerification): void {
  if (result.valid) {
    console.log(`VALID: ${file} (${result.document.cid})`);
    console.log(`  anchored ${new Date(result.anchoredAt * 1000).toISOString()} in block ${result.blockNumber} on ${result.chain}`);
    console.log(`  transaction ${result.transactionHash}, contract ${result.contract}, submitter ${result.submitter}`);
    if (result.log) console.log(`  log ${result.log.origin}, entry ${result.log.index}`);
  } else {
    console.log(`INVALID (${result.reason}): ${file}: ${result.message}`);
  }
  // A receipt anchored on several chains: what each anchor came to.
  if ((result.anchors?.length ?? 0) > 1) {
    for (const anchor of result.anchors!) {
      console.log(`  ${anchor.valid ? 'holds' : `DOES NOT HOLD (${anchor.reason})`} on ${anchor.chain}${anchor.valid ? `, block ${anchor.blockNumber}` : `: ${anchor.message}`}`);
    }
  }
}

/** SHA-256 of a file, streamed: large files never sit in memory. */
export async function hashFile(file: string): Promise<DocumentId> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (error) {
    fail(EXIT_USAGE, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return documentIdFromDigest(hash.digest());
}

function writeReceipts(files: string[], ids: DocumentId[], receipts: Map<string, Receipt>): void {
  files.forEach((file, i) => {
    const receipt = receipts.get(ids[i]!.multihashHex);
    if (receipt) fs.writeFileSync(`${file}.receipt.json`, `${JSON.stringify(receipt, null, 2)}\n`);
  });
}

async function callService(server: string, apiKey: string, method: string, path: string, body?: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, server), {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    fail(EXIT_INVALID, `cannot reach ${server}: ${(error as Error).message}`);
  }
  const json = (await response.json().catch(() => ({}))) as { detail?: string; title?: string };
  if (!response.ok) fail(EXIT_INVALID, `${method} ${path}: ${response.status} ${json.detail ?? json.title ?? response.statusText}`);
  return json;
}

function fail(code: number, message: string): never {
  process.stderr.write(`did-notary: ${message}\n`);
  process.exit(code);
}
