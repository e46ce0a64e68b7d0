// Figure 1: RFC 9162 tree build plus every inclusion proof, against merkletreejs and
// @openzeppelin/merkle-tree on the very same leaves in the same process, runs interleaved. Ours is
// built the way the notary seals a batch: buildMerkleTreeInParallel (the native SHA-256 where npm ci
// built it, else WebAssembly SIMD, and a helper thread that hashes the lower levels of a large tree
// alongside the caller).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { MerkleTree as MerkleTreeJs } from 'merkletreejs';
import { buildMerkleTree, hashLeaf, type MerkleTree } from '../src/core/merkle/tree';
import { verifyInclusion } from '../src/core/merkle/proof';
import { buildMerkleTreeInParallel, startMerkleHelper } from '../src/notarization/parallel-merkle';
import { merkleHashing } from '../src/notarization/native-merkle-hasher';
import { randomMultihashes } from './leaves';
import { figure, formatRatio, formatSeconds, type Figure } from './report';
import { collectGarbage, median, round, timeSync } from './stats';

const TARGET_2_20_MS = 1000;
const TARGET_RATIO = 10;
/** The tree's time against the least time SHA-256 alone needs on this machine (see sha256Limit). */
const TARGET_LIMIT_RATIO = 0.6;
const LIMIT_FIGURE_NAME = 'RFC 9162 tree 2^20: build + every proof, against the SHA-256 limit (openssl speed, both cores)';

interface SizePlan {
  log2: number;
  ourRuns: number;
  /** merkletreejs: runs of build + every proof; 0 = not measured at this size. */
  peerRuns: number;
  /** @openzeppelin/merkle-tree: runs, and how many proofs to time (the rest extrapolated). */
  ozRuns: number;
  ozProofSample?: number;
}

export async function benchMerkleTrees(options: { quick: boolean; log: (line: string) => void }): Promise<Figure[]> {
  const plans: SizePlan[] = options.quick
    ? [
        { log2: 10, ourRuns: 7, peerRuns: 3, ozRuns: 1 },
        { log2: 16, ourRuns: 5, peerRuns: 2, ozRuns: 0 },
      ]
    : [
        { log2: 10, ourRuns: 9, peerRuns: 5, ozRuns: 3 },
        { log2: 14, ourRuns: 7, peerRuns: 0, ozRuns: 1, ozProofSample: 1024 },
        { log2: 16, ourRuns: 5, peerRuns: 3, ozRuns: 0 },
        { log2: 20, ourRuns: 3, peerRuns: 1, ozRuns: 0 },
      ];
  // The notary's helper thread is persistent; start it before timing, as a running service has it.
  const helperReady = await startMerkleHelper();
  options.log(`merkle: helper thread ${helperReady ? 'ready' : 'unavailable (one thread)'}`);
  const figures: Figure[] = [];
  for (const plan of plans) {
    options.log(`merkle: 2^${plan.log2} leaves`);
    figures.push(...measureSize(plan, options.quick));
  }
  if (options.quick) {
    figures.push(
      figure({
        id: 'merkle.2^20',
        figure: 'RFC 9162 tree 2^20: build + every proof',
        value: null,
        unit: 'ms',
        valueText: 'not run (--quick)',
        targetText: '≤ 1.0 s and ≥ 10x merkletreejs',
        verdict: 'skip',
      }),
      figure({
        id: 'merkle.2^20.limit',
        figure: LIMIT_FIGURE_NAME,
        value: null,
        unit: 'ms',
        valueText: 'not run (--quick)',
        targetText: `≥ ${TARGET_LIMIT_RATIO}x of the limit`,
        verdict: 'skip',
      }),
    );
  }
  return figures;
}

function measureSize(plan: SizePlan, quick: boolean): Figure[] {
  const n = 2 ** plan.log2;
  const label = `2^${plan.log2}`;
  const leaves = randomMultihashes(n);

  // Correctness guard: the timed tree must be RFC 9162's, or its time means nothing.
  const guard = checkOurTree(leaves, !quick || plan.log2 <= 16);

  const ours = { total: [] as number[], build: [] as number[], proofs: [] as number[], perLeafProofs: [] as number[], arrayProofs: [] as number[], oneThreadBuild: [] as number[] };
  const peer = { total: [] as number[], build: [] as number[], proofs: [] as number[] };
  const oz = { total: [] as number[], build: [] as number[], proofs: [] as number[] };
  let peerGuard: string | null = null;
  let ozGuard: string | null = null;
  // The limit, measured in each round right after our run, so that both meet the same machine: one
  // openssl run after all of ours moved between 101 and 179 ms from one bench to the next.
  const limits: SpeedLimit[] = [];
  const rounds = Math.max(plan.ourRuns, plan.peerRuns, plan.ozRuns);
  for (let round = 0; round < rounds; round++) {
    if (round < plan.ourRuns) {
      collectGarbage();
      let tree!: MerkleTree;
      const build = timeSync(() => {
        tree = buildMerkleTreeInParallel(leaves);
      });
      const proofs = timeSync(() => everyProofIncremental(tree));
      // For reference: one writeAuditPath call per leaf (each path written whole), not in the figure.
      ours.perLeafProofs.push(timeSync(() => everyProofSerialised(tree)));
      // For reference: the core's buildMerkleTree alone (the caller's thread only), not in the figure.
      collectGarbage();
      ours.oneThreadBuild.push(timeSync(() => sink(buildMerkleTree(leaves).size)));
      ours.build.push(build);
      ours.proofs.push(proofs);
      ours.total.push(build + proofs);
      // The allocating API (one Uint8Array per path node), as receipts use it: fewer runs at 2^20.
      if (plan.log2 < 20 || round === 0) ours.arrayProofs.push(timeSync(() => everyProofAsArrays(tree)));
      if (plan.log2 === 20) limits.push(sha256Limit(n));
    }
    if (round < plan.peerRuns) {
      collectGarbage();
      const result = runMerkleTreeJs(leaves, round === 0);
      peer.build.push(result.build);
      peer.proofs.push(result.proofs);
      peer.total.push(result.build + result.proofs);
      peerGuard ??= result.guard;
    }
    if (round < plan.ozRuns) {
      collectGarbage();
      const result = runOpenZeppelin(leaves, plan.ozProofSample);
      oz.build.push(result.build);
      oz.proofs.push(result.proofs);
      oz.total.push(result.build + result.proofs);
      ozGuard ??= result.guard;
    }
  }
  collectGarbage();

  const ourMs = median(ours.total);
  const details = {
    leaves: n,
    ours: { medianMs: round(ourMs), buildMs: ours.build.map((v) => round(v)), proofsMs: ours.proofs.map((v) => round(v)), perLeafWriteAuditPathMs: ours.perLeafProofs.map((v) => round(v)), inclusionProofArraysMs: ours.arrayProofs.map((v) => round(v)), oneThreadBuildMs: ours.oneThreadBuild.map((v) => round(v)) },
  };
  const ourNote =
    `ours: build ${formatSeconds(median(ours.build))} (buildMerkleTreeInParallel with ${merkleHashing} SHA-256, as sealing; the core's buildMerkleTree on one thread with WebAssembly SIMD, as in a browser: ${formatSeconds(median(ours.oneThreadBuild))}) + ` +
    `every proof ${formatSeconds(median(ours.proofs))}: forEachAuditPath hands each of the ${n.toLocaleString('en-US')} audit paths, in leaf order, to a callback in one reused buffer, ` +
    `rewriting only the nodes that differ from the previous leaf's path (about two per leaf), as exporting or checking a whole batch's receipts would; ` +
    `a proof kept past its callback is a copy the caller makes (not timed). For reference, not in the figure: per-leaf writeAuditPath (each path written whole) ${formatSeconds(median(ours.perLeafProofs))}, ` +
    `inclusionProof() arrays ${formatSeconds(median(ours.arrayProofs))}; median of ${plan.ourRuns}`;
  const figures: Figure[] = [];

  if (plan.peerRuns > 0 || plan.log2 === 20) {
    const peerMs = median(peer.total);
    const ratio = peerMs / ourMs;
    const isTarget = plan.log2 === 20;
    const failures: string[] = [];
    if (guard) failures.push(`correctness guard failed: ${guard}`);
    if (isTarget && ourMs > TARGET_2_20_MS) failures.push(`${formatSeconds(ourMs)} > 1.0 s`);
    if (isTarget && !(ratio >= TARGET_RATIO)) failures.push(`ratio ${formatRatio(ratio)} < 10x`);
    figures.push(
      figure({
        id: `merkle.${label}`,
        figure: `RFC 9162 tree ${label}: build + every proof (peer merkletreejs)`,
        value: guard ? null : round(ourMs),
        unit: 'ms',
        valueText: guard ? 'WRONG TREE' : formatSeconds(ourMs),
        targetText: isTarget ? '≤ 1.0 s and ≥ 10x' : '—',
        peerText: plan.peerRuns > 0 ? formatSeconds(peerMs) : 'not run',
        ratioText: plan.peerRuns > 0 ? formatRatio(ratio) : '—',
        verdict: isTarget ? (failures.length === 0 ? 'PASS' : 'MISS') : guard ? 'MISS' : 'info',
        note:
          `${ourNote}. merkletreejs 0.6 (sha256 = node crypto.hash, hashLeaves, no RFC 9162 domain separation): build ${formatSeconds(median(peer.build))} + every proof with getProof(leaf, index) per leaf ${formatSeconds(median(peer.proofs))} (its fastest way: its bulk getProofs() measured about 2x slower), median of ${plan.peerRuns}` +
          (peerGuard ? `; peer guard: ${peerGuard}` : '') +
          (failures.length > 0 && isTarget ? `. MISS: ${failures.join('; ')}` : ''),
        details: { ...details, merkletreejs: { medianMs: round(peerMs), buildMs: peer.build.map((v) => round(v)), proofsMs: peer.proofs.map((v) => round(v)) }, ratio: round(ratio) },
      }),
    );
  }
  if (plan.log2 === 20) figures.push(limitFigure(ourMs, guard, limits));
  if (plan.ozRuns > 0) {
    const ozMs = median(oz.total);
    const extrapolated = plan.ozProofSample !== undefined && plan.ozProofSample < n;
    figures.push(
      figure({
        id: `merkle.${label}.openzeppelin`,
        figure: `RFC 9162 tree ${label}: build + every proof (peer @openzeppelin/merkle-tree)`,
        value: guard ? null : round(ourMs),
        unit: 'ms',
        valueText: guard ? 'WRONG TREE' : formatSeconds(ourMs),
        targetText: '—',
        peerText: `${formatSeconds(ozMs)}${extrapolated ? ' (extrap.)' : ''}`,
        ratioText: formatRatio(ozMs / ourMs),
        verdict: guard ? 'MISS' : 'info',
        note:
          `@openzeppelin/merkle-tree 1.0 StandardMerkleTree.of(values, ['bytes']) (keccak256, sorted leaves): build ${formatSeconds(median(oz.build))} + every getProof(i) ${formatSeconds(median(oz.proofs))}` +
          (extrapolated ? ` (timed ${plan.ozProofSample} proofs spread over the tree, scaled to ${n.toLocaleString('en-US')})` : '') +
          `, ${plan.ozRuns} run(s); not run at 2^16 and above, where every proof alone costs it ${(median(oz.proofs) / n).toFixed(2)} ms` +
          (ozGuard ? `; peer guard: ${ozGuard}` : ''),
        details: { ...details, openzeppelin: { medianMs: round(ozMs), buildMs: oz.build.map((v) => round(v)), proofsMs: oz.proofs.map((v) => round(v)), extrapolated } },
      }),
    );
  }
  return figures;
}

/**
 * Every proof in leaf order, each handed to a callback in one reused buffer (forEachAuditPath); the
 * checksum reads the first and the last node of each path so nothing is optimised away.
 */
function everyProofIncremental(tree: MerkleTree): void {
  let check = 0;
  tree.forEachAuditPath((_leafIndex, path, count) => {
    check ^= path[0]! ^ path[path.length - 32]! ^ count;
  });
  sink(check);
}

/** Every proof, one writeAuditPath call per leaf into a reused buffer (each path written whole). */
function everyProofSerialised(tree: MerkleTree): void {
  const out = new Uint8Array(32 * 64);
  let check = 0;
  for (let i = 0; i < tree.size; i++) {
    const count = tree.writeAuditPath(i, out, 0);
    check ^= out[0]! ^ out[32 * count - 32]! ^ count;
  }
  sink(check);
}

/** Every proof as `Uint8Array[]`, the shape receipts are built from. */
function everyProofAsArrays(tree: MerkleTree): void {
  let check = 0;
  for (let i = 0; i < tree.size; i++) check ^= tree.inclusionProof(i).length;
  sink(check);
}

let sunk = 0;
/** Keeps results observable so the optimiser cannot drop the work. */
function sink(value: number): void {
  sunk ^= value;
  if (sunk === 0x7fffffff) process.stderr.write('');
}

/**
 * Null when our tree is RFC 9162's: the root equals an independent reference (node crypto, the
 * textbook recursion of §2.1.1) and sampled proofs verify, by our verifier and by a reference one.
 */
function checkOurTree(leaves: readonly Buffer[], withReferenceRoot: boolean): string | null {
  const tree = buildMerkleTreeInParallel(leaves);
  const root = Buffer.from(tree.root);
  if (withReferenceRoot) {
    const reference = referenceRoot(leaves);
    if (!reference.equals(root)) return `root ${root.toString('hex')} differs from the reference ${reference.toString('hex')}`;
  }
  const n = leaves.length;
  const samples = new Set([0, 1, n - 1, n >> 1, (n >> 1) - 1]);
  for (let k = 0; k < 16; k++) samples.add(crypto.randomInt(n));
  const buffer = new Uint8Array(32 * 64);
  for (const i of samples) {
    if (i < 0 || i >= n) continue;
    const path = tree.inclusionProof(i);
    const count = tree.writeAuditPath(i, buffer, 0);
    if (count !== path.length || !path.every((node, k) => Buffer.from(node).equals(Buffer.from(buffer.subarray(32 * k, 32 * k + 32))))) {
      return `writeAuditPath and inclusionProof disagree for leaf ${i}`;
    }
    if (!verifyInclusion({ leafHash: hashLeaf(leaves[i]!), leafIndex: i, treeSize: n, auditPath: path, root })) return `proof of leaf ${i} does not verify`;
    if (!referenceVerify(leaves[i]!, i, n, path, root)) return `proof of leaf ${i} fails the reference verifier`;
  }
  // The timed every-proof walk: leaves in order, each once; a sample of its paths (every 997th leaf
  // and the last) copied out and verified by both verifiers.
  let expectedLeaf = 0;
  let walkProblem: string | null = null;
  const sampled: { leafIndex: number; path: Uint8Array[] }[] = [];
  tree.forEachAuditPath((leafIndex, flat, count) => {
    if (walkProblem !== null) return;
    if (leafIndex !== expectedLeaf++ || flat.length !== 32 * count) {
      walkProblem = `forEachAuditPath visited leaf ${leafIndex} (${count} nodes, ${flat.length} bytes) out of order or mis-sized`;
      return;
    }
    if (leafIndex % 997 === 0 || leafIndex === n - 1) {
      sampled.push({ leafIndex, path: Array.from({ length: count }, (_, k) => flat.slice(32 * k, 32 * k + 32)) });
    }
  });
  if (walkProblem !== null) return walkProblem;
  if (expectedLeaf !== n) return `forEachAuditPath visited ${expectedLeaf} of ${n} leaves`;
  for (const { leafIndex: i, path } of sampled) {
    if (!verifyInclusion({ leafHash: hashLeaf(leaves[i]!), leafIndex: i, treeSize: n, auditPath: path, root })) return `forEachAuditPath's proof of leaf ${i} does not verify`;
    if (!referenceVerify(leaves[i]!, i, n, path, root)) return `forEachAuditPath's proof of leaf ${i} fails the reference verifier`;
  }
  return null;
}

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

/** MTH of RFC 9162 §2.1.1, bottom-up with node crypto, written independently of src/core. */
function referenceRoot(leaves: readonly Buffer[]): Buffer {
  const mth = (start: number, end: number): Buffer => {
    const n = end - start;
    if (n === 1) return sha256(LEAF, leaves[start]!);
    let k = 1;
    while (k * 2 < n) k *= 2;
    return sha256(NODE, mth(start, start + k), mth(start + k, end));
  };
  return leaves.length === 0 ? sha256() : mth(0, leaves.length);
}

/** RFC 9162 §2.1.3.2, transcribed. */
function referenceVerify(leaf: Buffer, index: number, size: number, path: readonly Uint8Array[], root: Buffer): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = sha256(LEAF, leaf);
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = sha256(NODE, p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = sha256(NODE, r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && r.equals(root);
}

function runMerkleTreeJs(leaves: Buffer[], checkProofs: boolean): { build: number; proofs: number; guard: string | null } {
  const hash = (data: Buffer): Buffer => crypto.hash('sha256', data, 'buffer');
  let tree!: MerkleTreeJs;
  const build = timeSync(() => {
    tree = new MerkleTreeJs(leaves, hash, { hashLeaves: true });
  });
  const hashedLeaves = tree.getLeaves();
  let check = 0;
  const proofs = timeSync(() => {
    for (let i = 0; i < hashedLeaves.length; i++) check ^= tree.getProof(hashedLeaves[i]!, i).length;
  });
  sink(check);
  let guard: string | null = null;
  if (checkProofs) {
    const root = tree.getRoot();
    for (const i of [0, leaves.length - 1, leaves.length >> 1]) {
      if (!tree.verify(tree.getProof(hashedLeaves[i]!, i), hashedLeaves[i]!, root)) guard = `merkletreejs proof of leaf ${i} does not verify`;
    }
  }
  return { build, proofs, guard };
}

function runOpenZeppelin(leaves: Buffer[], proofSample?: number): { build: number; proofs: number; guard: string | null } {
  // Input preparation (hex strings, as the library takes them) is left out of its time.
  const values = leaves.map((leaf) => [`0x${leaf.toString('hex')}`]);
  let tree!: StandardMerkleTree<string[]>;
  const build = timeSync(() => {
    tree = StandardMerkleTree.of(values, ['bytes']);
  });
  const n = leaves.length;
  const sample = proofSample !== undefined && proofSample < n ? proofSample : n;
  const step = n / sample;
  let check = 0;
  const sampled = timeSync(() => {
    for (let k = 0; k < sample; k++) check ^= tree.getProof(Math.floor(k * step)).length;
  });
  sink(check);
  const proof = tree.getProof(n - 1);
  const guard = StandardMerkleTree.verify(tree.root, ['bytes'], values[n - 1]!, proof) ? null : 'OpenZeppelin proof does not verify';
  return { build, proofs: (sampled * n) / sample, guard };
}

/**
 * The physical floor of a tree: the SHA-256 compressions it needs (a leaf, 0x00 ‖ a 34-byte multihash,
 * is one block; an interior node, 0x01 ‖ two hashes, is two: n + 2(n - 1) in all) at the rate OpenSSL
 * (SHA extensions where the CPU has them) compresses 64-byte messages (two blocks each) on both cores,
 * measured now, with `openssl speed -multi 2`.
 */
type SpeedLimit = { ms: number; blocksPerSecond: number; note: string } | { error: string };

function sha256Limit(leaves: number): SpeedLimit {
  const run = spawnSync('openssl', ['speed', '-mr', '-evp', 'sha256', '-bytes', '64', '-seconds', '1', '-multi', '2'], { encoding: 'utf8', timeout: 30_000 });
  const bytesPerSecond = Number(/^\+F:\d+:sha256:([\d.]+)\s*$/m.exec(run.stdout ?? '')?.[1]);
  if (run.status !== 0 || !(bytesPerSecond > 0)) return { error: `openssl speed gave no figure (${run.error?.message ?? `exit ${run.status}`})` };
  const hashesPerSecond = bytesPerSecond / 64;
  const blocksPerSecond = 2 * hashesPerSecond;
  const blocks = leaves + 2 * (leaves - 1);
  return {
    ms: (blocks / blocksPerSecond) * 1000,
    blocksPerSecond,
    note: `openssl speed -evp sha256 -bytes 64 -multi 2: ${(hashesPerSecond / 1e6).toFixed(2)} M hashes/s on both cores, ${(blocksPerSecond / 1e6).toFixed(2)} M blocks/s; the tree needs ${blocks.toLocaleString('en-US')} blocks`,
  };
}

function limitFigure(ourMs: number, guard: string | null, limits: readonly SpeedLimit[]): Figure {
  const measured = limits.filter((limit): limit is Exclude<SpeedLimit, { error: string }> => !('error' in limit));
  if (measured.length === 0) {
    const error = limits.find((limit): limit is { error: string } => 'error' in limit)?.error ?? 'openssl speed was not run';
    return figure({ id: 'merkle.2^20.limit', figure: LIMIT_FIGURE_NAME, value: null, unit: 'ms', valueText: 'not measured', targetText: `≥ ${TARGET_LIMIT_RATIO}x of the limit`, verdict: 'MISS', note: error });
  }
  // The median run of the limit (by its time), as ours is the median of our runs.
  const limit = [...measured].sort((a, b) => a.ms - b.ms)[Math.floor((measured.length - 1) / 2)]!;
  const ratio = limit.ms / ourMs;
  return figure({
    id: 'merkle.2^20.limit',
    figure: LIMIT_FIGURE_NAME,
    value: guard ? null : round(ourMs),
    unit: 'ms',
    valueText: guard ? 'WRONG TREE' : formatSeconds(ourMs),
    targetText: `≥ ${TARGET_LIMIT_RATIO}x of the limit`,
    peerText: `${formatSeconds(limit.ms)} (limit)`,
    ratioText: `${ratio.toFixed(2)}x`,
    verdict: !guard && ratio >= TARGET_LIMIT_RATIO ? 'PASS' : 'MISS',
    note:
      `the same runs as the row above, against the time SHA-256 alone needs for this tree: ${limit.note} ` +
      `(median of ${measured.length} one-second runs, each right after one of ours: ${measured.map((m) => formatSeconds(m.ms)).join(', ')}). ` +
      `Ours hashes with ${merkleHashing} SHA-256` +
      (merkleHashing === 'WebAssembly SIMD' ? '' : ': OpenSSL\'s SHA256_Init/Update/Final per message, without the EVP dispatch that openssl speed -evp pays per message, so the same block code can come near the limit'),
    details: { limitMs: round(limit.ms), limitRunsMs: measured.map((m) => round(m.ms)), blocksPerSecond: Math.round(limit.blocksPerSecond), ratio: round(ratio) },
  });
}
