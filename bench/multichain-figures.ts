// Figures of anchoring on two chains (the embedded chain and a second embedded one, CHAINS): gas per
// anchor on each chain for batches of 1 and 1,000 documents (≤ 50,000 and flat), and submission →
// first anchored receipt, whose peer is the one-chain figure measured in the same run.
import { randomBytes } from 'node:crypto';
import type { BatchView } from '../src/notarization/notary';
import { figure, formatCount, formatRatio, formatSeconds, type Figure } from './report';
import type { ResourceScope } from './resources';
import { callService, startBenchService } from './service-process';
import { median, round, sleep } from './stats';

const BATCH_INTERVAL_MS = 1000;
const GAS_TARGET = 50_000;

export async function benchTwoChains(
  scope: ResourceScope,
  options: { quick: boolean; log: (line: string) => void; emit: (figure: Figure) => void; oneChainLatencyMs?: number },
): Promise<void> {
  const { log, emit } = options;
  log('two chains: starting did-notary serve with a second embedded chain (CHAINS)');
  const service = await startBenchService(scope, {
    dataDir: scope.tempDir('two-chains'),
    env: { RATE_LIMIT: '0', BATCH_INTERVAL: `${BATCH_INTERVAL_MS / 1000}s`, CHAINS: JSON.stringify([{ embedded: true, chainId: 31338 }]) },
  });
  try {
    // Gas: one batch of each size, anchored on both chains.
    const gas = new Map<string, Map<number, number>>();
    for (const size of [1, 1_000]) {
      const hashes = Array.from({ length: size }, () => randomBytes(32).toString('hex'));
      await callService(service, 'POST', '/v1/documents', { hashes });
      const { batch } = await callService<{ batch: BatchView | null }>(service, 'POST', '/v1/batches/anchor');
      if (!batch) throw new Error('no batch was sealed');
      const deadline = Date.now() + 60_000;
      let view = batch;
      while (view.anchors.length < 2) {
        if (Date.now() > deadline) throw new Error(`batch ${batch.id} was not anchored on both chains within 60 s`);
        await sleep(200);
        view = await callService<BatchView>(service, 'GET', `/v1/batches/${batch.id}`);
      }
      for (const anchor of view.anchors) {
        if (anchor.gasUsed === null) continue;
        if (!gas.has(anchor.chain)) gas.set(anchor.chain, new Map());
        gas.get(anchor.chain)!.set(size, anchor.gasUsed);
      }
    }
    for (const [chain, bySize] of gas) {
      const values = [...bySize.values()];
      const max = Math.max(...values);
      const spread = (max - Math.min(...values)) / Math.min(...values);
      emit(
        figure({
          id: `gas.two-chains.${chain}`,
          figure: `gas per anchor on ${chain}, two chains, batches of 1 and 1,000`,
          value: max,
          unit: 'gas',
          valueText: `${formatCount(max)} (spread ${(spread * 100).toFixed(2)} %)`,
          targetText: `≤ ${formatCount(GAS_TARGET)}, flat`,
          verdict: max <= GAS_TARGET && spread <= 0.01 ? 'PASS' : 'MISS',
          note: `${[...bySize].map(([size, used]) => `${formatCount(size)} docs → ${formatCount(used)}`).join(', ')}: the same anchor(root, treeSize) call on each chain`,
        }),
      );
    }

    // Submission → first anchored receipt.
    const samples = options.quick ? 3 : 5;
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      await sleep(Math.floor(Math.random() * BATCH_INTERVAL_MS));
      const hash = randomBytes(32).toString('hex');
      const started = performance.now();
      await callService(service, 'POST', '/v1/documents', { hash });
      for (;;) {
        const receipt = await callService<{ status: string }>(service, 'GET', `/v1/receipts/${hash}`);
        if (receipt.status === 'anchored') break;
        if (performance.now() - started > 60_000) throw new Error('a submission was not anchored within 60 s');
        await sleep(20);
      }
      latencies.push(performance.now() - started);
      log(`two chains: submission → first anchored receipt ${formatSeconds(latencies.at(-1)!)} (${i + 1}/${samples})`);
    }
    const value = median(latencies);
    const peer = options.oneChainLatencyMs;
    emit(
      figure({
        id: 'latency.two-chains',
        figure: 'submission → first anchored receipt, two embedded chains, BATCH_INTERVAL=1s',
        value: round(value),
        unit: 'ms',
        valueText: formatSeconds(value),
        targetText: '≤ interval + 2 s = 3 s, no slower than one chain',
        peerText: peer === undefined ? 'one chain: not measured' : `one chain: ${formatSeconds(peer)}`,
        ratioText: peer === undefined ? '—' : formatRatio(value / peer),
        verdict: value <= BATCH_INTERVAL_MS + 2000 ? 'PASS' : 'MISS',
        note: `median of ${samples}; all: ${latencies.map((l) => formatSeconds(l)).join(', ')}; a receipt is anchored at its first chain, so a second chain adds no wait`,
      }),
    );
  } finally {
    await service.stop();
  }
}
