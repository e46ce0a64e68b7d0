// `did-notary receipts export --batch N`: every receipt of the caller's documents in an anchored
// batch, one JSON per line on standard output (GET /v1/batches/{id}/receipts), resumed after a cut
// stream from the last leaf received; progress on standard error.
import type { Command } from 'commander';
import { createProgress } from './progress';
import { apiKeyOption, serverOption } from './service-options';

/** Attempts to resume a stream that was cut before its end. */
const MAX_RESUMES = 5;

export function registerReceiptCommands(program: Command): void {
  const receipts = program.command('receipts').description('receipts in bulk');
  receipts
    .command('export')
    .description('write every receipt of your documents in an anchored batch to standard output, as NDJSON')
    .requiredOption('--batch <id>', 'the batch id (GET /v1/batches lists them)')
    .addOption(serverOption().makeOptionMandatory())
    .addOption(apiKeyOption('notarize'))
    .addHelpText('after', '\nExample:\n  did-notary receipts export --batch 42 --server https://notary.example --api-key dnk_… > receipts.ndjson')
    .action(async (options: { batch: string; server: string; apiKey: string }) => {
      if (!/^[0-9]{1,18}$/.test(options.batch)) fail(2, '--batch must be a batch id (digits)');
      const batch = await getJson(options, `/v1/batches/${options.batch}`);
      const progress = createProgress('exporting', Number((batch as { treeSize?: number }).treeSize ?? 0));
      let after = -1;
      let written = 0;
      for (let resumes = 0; ; resumes++) {
        const cut = await streamFrom(options, after, (line, leafIndex) => {
          process.stdout.write(`${line}\n`);
          after = leafIndex;
          written += 1;
          progress.tick();
        });
        if (!cut) break;
        if (resumes >= MAX_RESUMES) fail(1, `the stream was cut ${MAX_RESUMES + 1} times; ${written} receipts written, resume with the last leafIndex`);
        process.stderr.write(`did-notary: the stream was cut after leaf ${after} (${cut}); resuming\n`);
      }
      progress.done();
      process.stderr.write(`did-notary: ${written} receipts of batch ${options.batch}\n`);
    });
}

/** Streams receipts after leaf `after`, line by line; resolves with why the stream was cut, or undefined at its end. */
async function streamFrom(options: { batch: string; server: string; apiKey: string }, after: number, onLine: (line: string, leafIndex: number) => void): Promise<string | undefined> {
  const response = await request(options, `/v1/batches/${options.batch}/receipts?after=${after}`);
  if (!response.ok) await failWith(response);
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = pending.indexOf('\n')) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        onLine(line, (JSON.parse(line) as { proof: { leafIndex: number } }).proof.leafIndex);
      }
    }
  } catch (error) {
    return (error as Error).message;
  }
  return pending.length > 0 ? 'a partial last line' : undefined;
}

async function getJson(options: { server: string; apiKey: string }, path: string): Promise<unknown> {
  const response = await request(options, path);
  if (!response.ok) await failWith(response);
  return response.json();
}

async function request(options: { server: string; apiKey: string }, path: string): Promise<Response> {
  try {
    return await fetch(new URL(path, options.server), { headers: { authorization: `Bearer ${options.apiKey}` } });
  } catch (error) {
    fail(1, `cannot reach ${options.server}: ${(error as Error).message}`);
  }
}

async function failWith(response: Response): Promise<never> {
  const problem = (await response.json().catch(() => ({}))) as { detail?: string; title?: string };
  fail(1, `${response.status} ${problem.detail ?? problem.title ?? response.statusText}`);
}

function fail(code: number, message: string): never {
  process.stderr.write(`did-notary: ${message}\n`);
  process.exit(code);
}
