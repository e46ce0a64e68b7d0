// `did-notary hash` and `notarize`: the document side of the CLI (`verify` is in verify.ts).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { Command } from 'commander';
import { apiKeyOption, serverOption } from './service-options';
import { documentIdFromDigest, type DocumentId } from '../core/ids/document-id';
import type { Receipt } from '../core/receipts/receipt';
import { createProgress } from './progress';

/** Exit codes: 1 a failed submission, 2 a usage error. */
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;
const SUBMIT_CHUNK = 1000;

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
