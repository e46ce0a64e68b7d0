// The time-stamp authority's figures: tokens per second over HTTP for queries openssl made
// (`openssl ts -query -sha256 -cert`), and their p99 latency at 1,000 queries per second, against the
// real service (`did-notary serve`, embedded, TSA_RATE_LIMIT=0). The peer, in the same run, is
// openssl's own TSA (`openssl ts -reply`) signing the same queries in a shell loop.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { runLoad, type LoadResult } from './http-load';
import { figure, formatCount, formatRatio, type Figure } from './report';
import type { ResourceScope } from './resources';
import { startBenchService, type BenchService } from './service-process';
import { median, round } from './stats';

const run = promisify(execFile);
const QUERIES = 64;
const THROUGHPUT_CONNECTIONS = 16;
const LATENCY_RATE = 1000;
const LATENCY_CONNECTIONS = 10;
const TARGET_TOKENS_PER_SECOND = 1000;
const TARGET_P99_MS = 20;
/** The PKIStatusInfo of a granted reply, `SEQUENCE { INTEGER 0 }`, right after the reply's own header. */
const GRANTED_STATUS = '0\u0003\u0002\u0001\u0000';

export async function benchTimeStamps(scope: ResourceScope, options: { quick: boolean; log: (line: string) => void; emit: (figure: Figure) => void }): Promise<void> {
  const { quick, log, emit } = options;
  const runs = quick ? 1 : 3;
  const seconds = quick ? 3 : 10;
  const dir = scope.tempDir('tsa');

  log(`time stamps: ${QUERIES} queries by openssl ts -query -sha256 -cert`);
  const queryFiles: string[] = [];
  for (let i = 0; i < QUERIES; i += 1) {
    fs.writeFileSync(path.join(dir, `document-${i}.txt`), `document ${i}\n`);
    await run('openssl', ['ts', '-query', '-data', `document-${i}.txt`, '-sha256', '-cert', '-out', `query-${i}.tsq`], { cwd: dir });
    queryFiles.push(path.join(dir, `query-${i}.tsq`));
  }
  const queries = queryFiles.map((file) => fs.readFileSync(file));

  log('time stamps: starting did-notary serve (embedded)');
  const service = await startBenchService(scope, {
    dataDir: path.join(dir, 'service'),
    env: { RATE_LIMIT: '0', TSA_RATE_LIMIT: '0', BATCH_INTERVAL: '1s', LOG_LEVEL: 'info' },
  });
  fs.writeFileSync(path.join(dir, 'tsa.pem'), await (await fetch(`${service.url}/tsa/certificate`)).text());
  await checkOneToken(service, dir);

  let next = 0;
  const load = (connections: number, durationSeconds: number, overallRate?: number) =>
    runLoad({
      url: service.url,
      method: 'POST',
      connections,
      durationSeconds,
      overallRate,
      headers: { 'content-type': 'application/timestamp-query' },
      path: () => '/tsa',
      body: () => queries[next++ % queries.length]!,
      verifyBody: (body) => body.slice(0, 12).includes(GRANTED_STATUS),
    });
  log('time stamps: warm-up, 2 s');
  await load(THROUGHPUT_CONNECTIONS, 2);

  const throughput: LoadResult[] = [];
  for (let i = 0; i < runs; i += 1) {
    log(`time stamps: POST /tsa, ${THROUGHPUT_CONNECTIONS} connections, ${seconds} s (${i + 1}/${runs})`);
    throughput.push(await load(THROUGHPUT_CONNECTIONS, seconds));
  }
  const latency: LoadResult[] = [];
  for (let i = 0; i < runs; i += 1) {
    log(`time stamps: POST /tsa at ${LATENCY_RATE}/s, ${LATENCY_CONNECTIONS} connections, ${seconds} s (${i + 1}/${runs})`);
    latency.push(await load(LATENCY_CONNECTIONS, seconds, LATENCY_RATE));
  }
  const granted = await grantedCount(service);

  log('time stamps: peer, openssl ts -reply over the same queries in a shell loop');
  const peer = await opensslTokensPerSecond(dir, queryFiles, quick ? 2 : 4);

  const failures = [...throughput, ...latency].reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts + r.mismatches, 0);
  const tokensPerSecond = median(throughput.map((r) => r.okPerSecond));
  const p99 = median(latency.map((r) => r.latencyMs.p99));
  const answered = [...throughput, ...latency].reduce((sum, r) => sum + r.ok, 0);
  const common =
    `queries made by openssl ts -query -sha256 -cert (${QUERIES}, cycled), each token signed, numbered and its SHA-256 committed to the notary before the answer; ` +
    `LOG_LEVEL=info, BATCH_INTERVAL=1s (batches anchored meanwhile); ${answered} granted replies counted by autocannon, ${granted} by the service's metric (warm-up and checks included); ` +
    `${failures} failed or not granted; the machine was shared with other work`;
  emit(
    figure({
      id: 'tsa.tokens-per-second',
      figure: 'RFC 3161 tokens over HTTP (openssl-format queries, embedded)',
      value: round(tokensPerSecond),
      unit: 'tokens/s',
      valueText: `${formatCount(tokensPerSecond)} tokens/s`,
      targetText: `≥ ${formatCount(TARGET_TOKENS_PER_SECOND)}/s`,
      peerText: `openssl ts -reply loop: ${formatCount(peer.tokensPerSecond)}/s`,
      ratioText: formatRatio(tokensPerSecond / peer.tokensPerSecond),
      verdict: tokensPerSecond >= TARGET_TOKENS_PER_SECOND && failures === 0 ? 'PASS' : 'MISS',
      note: `autocannon, ${THROUGHPUT_CONNECTIONS} connections, ${seconds} s × ${runs}, median; ${common}. Peer: ${peer.tokens} replies by openssl ts -reply (OpenSSL's own TSA, P-256, one process per query as a shell loop runs it) in ${peer.seconds.toFixed(2)} s`,
      details: { runs: throughput, peer },
    }),
  );
  emit(
    figure({
      id: 'tsa.p99',
      figure: `RFC 3161 token p99 latency at ${formatCount(LATENCY_RATE)}/s`,
      value: round(p99),
      unit: 'ms',
      valueText: `${p99.toFixed(1)} ms`,
      targetText: `≤ ${TARGET_P99_MS} ms`,
      verdict: p99 <= TARGET_P99_MS && failures === 0 ? 'PASS' : 'MISS',
      note: `autocannon, ${LATENCY_CONNECTIONS} connections, overallRate ${LATENCY_RATE}, ${seconds} s × ${runs} (median of p99; coordinated omission corrected; p50 ${median(latency.map((r) => r.latencyMs.p50)).toFixed(1)} ms); ${common}`,
      details: { runs: latency },
    }),
  );
}

/** One reply fetched and verified by openssl, so the load measures real tokens. */
async function checkOneToken(service: BenchService, dir: string): Promise<void> {
  const response = await fetch(`${service.url}/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: fs.readFileSync(path.join(dir, 'query-0.tsq')) });
  fs.writeFileSync(path.join(dir, 'reply-0.tsr'), Buffer.from(await response.arrayBuffer()));
  await run('openssl', ['ts', '-verify', '-data', 'document-0.txt', '-in', 'reply-0.tsr', '-CAfile', 'tsa.pem'], { cwd: dir });
}

/** did_notary_time_stamps_total{status="granted"} as the service counts it. */
async function grantedCount(service: BenchService): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const match = /^did_notary_time_stamps_total\{status="granted",failure=""\} (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * openssl's own TSA (a P-256 key and self-signed certificate like the service's, SHA-256 signer
 * digest, certificate included) answering the queries in a shell loop for about `seconds`.
 */
async function opensslTokensPerSecond(dir: string, queryFiles: readonly string[], seconds: number): Promise<{ tokens: number; seconds: number; tokensPerSecond: number }> {
  const peerDir = path.join(dir, 'openssl-tsa');
  fs.mkdirSync(peerDir);
  fs.writeFileSync(path.join(peerDir, 'serial'), '01\n');
  fs.writeFileSync(
    path.join(peerDir, 'tsa.cnf'),
    [
      '[req]', 'distinguished_name = dn', 'prompt = no', 'x509_extensions = tsa_cert',
      '[dn]', 'CN = openssl bench TSA',
      '[tsa_cert]', 'basicConstraints = critical,CA:false', 'keyUsage = critical,digitalSignature', 'extendedKeyUsage = critical,timeStamping',
      '[tsa]', 'default_tsa = tsa_config',
      '[tsa_config]', `serial = ${peerDir}/serial`, `signer_cert = ${peerDir}/tsa.pem`, `certs = ${peerDir}/tsa.pem`, `signer_key = ${peerDir}/key.pem`,
      'signer_digest = sha256', 'default_policy = 1.2.3.4.1', 'digests = sha256, sha384, sha512', 'accuracy = secs:1', 'ordering = no', 'tsa_name = yes',
      'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', '',
    ].join('\n'),
  );
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.pem'], { cwd: peerDir });
  await run('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', 'ec.pem', '-out', 'key.pem'], { cwd: peerDir });
  await run('openssl', ['req', '-new', '-x509', '-key', 'key.pem', '-days', '30', '-config', 'tsa.cnf', '-out', 'tsa.pem'], { cwd: peerDir });
  // Calibrate on one pass over the queries, then loop long enough for about `seconds`.
  const loop = async (rounds: number) => {
    const script = `for r in $(seq ${rounds}); do for q in "$@"; do openssl ts -reply -config tsa.cnf -queryfile "$q" -out reply.tsr 2>/dev/null || exit 1; done; done`;
    const started = performance.now();
    await run('sh', ['-c', script, 'sh', ...queryFiles], { cwd: peerDir, timeout: 120_000 });
    return (performance.now() - started) / 1000;
  };
  const calibration = await loop(1);
  const rounds = Math.max(1, Math.round(seconds / calibration));
  const elapsed = await loop(rounds);
  // The last reply answers the last query: a real token, as openssl verifies it.
  await run('openssl', ['ts', '-verify', '-queryfile', queryFiles.at(-1)!, '-in', 'reply.tsr', '-CAfile', 'tsa.pem'], { cwd: peerDir });
  const tokens = rounds * queryFiles.length;
  return { tokens, seconds: elapsed, tokensPerSecond: tokens / elapsed };
}
