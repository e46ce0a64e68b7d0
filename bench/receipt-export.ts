// The receipt-export figure: GET /v1/batches/{id}/receipts streamed from the big anchored batch over
// loopback HTTP, in receipts per second, beside the limit measured in the same run: a bare node:http
// server (its own process, the service's Node flags) writing the same bytes through the same kind of
// response to the same client.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { findFreePort } from '../src/platform/chain/embedded-anvil/embedded-anvil';
import { figure, formatCount, formatRatio, formatSeconds, type Figure } from './report';
import type { ResourceScope } from './resources';
import { startScriptNodeFlags } from './service-process';
import { median, round } from './stats';

const TARGET = 100_000;
/** The export's first bytes that the bare server repeats: enough for its writes to look like the service's. */
const SAMPLE_BYTES = 8 * 1024 * 1024;

interface StreamRun {
  receipts: number;
  bytes: number;
  ms: number;
}

/** Streams the export `runs` times, then the bare server's copy as often, in turns. */
export async function receiptExportFigure(
  scope: ResourceScope,
  options: { url: string; apiKey: string; batchId: string; treeSize: number; runs: number; quick: boolean; log: (line: string) => void },
): Promise<Figure> {
  const { url, apiKey, batchId, treeSize, runs, quick, log } = options;
  const exportPath = `/v1/batches/${batchId}/receipts`;
  const service: StreamRun[] = [];
  const bare: StreamRun[] = [];
  let sample: Buffer | undefined;
  let server: { url: string } | undefined;
  for (let run = 0; run < runs; run++) {
    log(`export: streaming ${formatCount(treeSize)} receipts of batch ${batchId} (${run + 1}/${runs}), then the same bytes from a bare node:http server`);
    const measured = await streamLines(`${url}${exportPath}`, apiKey, sample === undefined ? SAMPLE_BYTES : 0);
    if (measured.receipts !== treeSize) throw new Error(`the export streamed ${measured.receipts} receipts, expected ${treeSize}`);
    service.push(measured.run);
    sample ??= measured.sample;
    server ??= await startBareStreamServer(scope, sample, measured.run.bytes);
    bare.push((await streamLines(`${server.url}/`, '', 0)).run);
  }
  const rate = median(service.map((r) => (r.receipts / r.ms) * 1000));
  // The bare server sends the same number of bytes; its rate counts the service's receipts in them.
  const limit = median(bare.map((r) => (treeSize / r.ms) * 1000));
  const bytesPerReceipt = service[0]!.bytes / treeSize;
  return figure({
    id: 'export.receipts-per-second',
    figure: `receipt export: receipts/s streamed from a ${formatCount(treeSize)}-document batch${quick ? ' (--quick: the full bench streams 1,000,000)' : ''}`,
    value: round(rate),
    unit: 'receipts/s',
    valueText: `${formatCount(rate)} receipts/s`,
    targetText: `≥ ${formatCount(TARGET)} receipts/s`,
    peerText: `${formatCount(limit)}/s (bare node:http)`,
    ratioText: formatRatio(rate / limit),
    verdict: rate >= TARGET ? 'PASS' : 'MISS',
    note:
      `GET /v1/batches/{id}/receipts over loopback, one connection, timed from the request to the last byte, every line counted; ${runs} run(s), median ` +
      `(${service.map((r) => formatSeconds(r.ms)).join(', ')}); ${formatCount(bytesPerReceipt)} bytes a receipt, ${formatCount(service[0]!.bytes / 2 ** 20)} MiB a run. ` +
      `Limit, in turns with the service: a bare node:http server (own process, the service's Node flags) writing the export's first ${formatCount(SAMPLE_BYTES / 2 ** 20)} MiB ` +
      `again and again up to the same byte count, 64 KiB writes with backpressure, read by the same client (${bare.map((r) => formatSeconds(r.ms)).join(', ')})`,
    details: { serviceRuns: service, bareRuns: bare, bytesPerReceipt: round(bytesPerReceipt) },
  });
}

/** GETs `url` on a connection of its own and counts lines and bytes; keeps the first `keepBytes` bytes, cut at a line end. */
function streamLines(url: string, apiKey: string, keepBytes: number): Promise<{ run: StreamRun; receipts: number; sample: Buffer }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let bytes = 0;
    let lines = 0;
    const headers = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    http
      .get(url, { agent: false, headers }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`GET ${url}: ${response.statusCode}`));
          return;
        }
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines += 1;
          if (keptBytes < keepBytes) {
            kept.push(chunk);
            keptBytes += chunk.length;
          }
        });
        response.on('end', () => {
          const ms = performance.now() - started;
          const head = Buffer.concat(kept);
          const sample = head.subarray(0, head.lastIndexOf(0x0a) + 1);
          resolve({ run: { receipts: lines, bytes, ms }, receipts: lines, sample });
        });
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

/** A node:http server in its own process answering every GET with `sample` repeated up to `totalBytes`. */
async function startBareStreamServer(scope: ResourceScope, sample: Buffer, totalBytes: number): Promise<{ url: string }> {
  const port = await findFreePort();
  const sampleFile = path.join(scope.tempDir('export-sample'), 'sample.ndjson');
  fs.writeFileSync(sampleFile, sample);
  const script = `
    const sample = require('node:fs').readFileSync(process.env.SAMPLE_FILE);
    const total = Number(process.env.TOTAL_BYTES);
    const { once } = require('node:events');
    require('node:http').createServer(async (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8' });
      for (let sent = 0; sent < total; ) {
        const offset = sent % sample.length;
        const chunk = sample.subarray(offset, Math.min(sample.length, offset + 65536, offset + total - sent));
        sent += chunk.length;
        if (!res.write(chunk)) await once(res, 'drain');
      }
      res.end();
    }).listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));`;
  const { child } = scope.spawn(process.execPath, [...startScriptNodeFlags(), '-e', script], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), SAMPLE_FILE: sampleFile, TOTAL_BYTES: String(totalBytes) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the bare streaming server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}` };
}
