// What `did-notary monitor` checks in one run, given a way to reach the service and the chains: the
// signed checkpoint, its consistency with the one remembered, the entries behind it (each batch's
// commitment to the log before it), and each batch's anchoring on the chain. Every finding is a
// line of the report; an empty list of problems means the log kept its promises.
import { parseCheckpoint, formatCheckpoint, type Checkpoint } from '../core/log/checkpoint';
import { openSignedNote, parseVerifierKey } from '../core/log/signed-note';
import { bytesToHex, hexToBytes } from '../core/hex';
import { verifyConsistency } from '../core/merkle/consistency';
import { MerkleLogTree } from '../core/merkle/log-tree';
import { rootFromInclusionProof } from '../core/merkle/proof';
import { hashLeaf } from '../core/merkle/tree';
import type { Anchoring } from '../core/receipts/verify';

/** What the monitor remembers between runs (the state file). */
export interface MonitorState {
  origin: string;
  /** The note verifier key pinned on the first run. */
  verifierKey: string;
  /** The last checkpoint verified, as the signed note the service served. */
  checkpointNote: string;
  /** Every batch root verified so far, in log order (hex). */
  roots: string[];
  /** Log indexes whose anchoring was not on the chain yet at the last run. */
  pending: number[];
}

export interface LogEntry {
  index: number;
  batchId: string;
  root: string;
  treeSize: number;
  commitment: { size: number; root: string; auditPath: string[] } | null;
  anchor: { chain: string; blockNumber: number } | null;
}

/** How the monitor reaches the service and the chains (HTTP and JSON-RPC in the CLI). */
export interface MonitorClient {
  info(): Promise<{ log: { origin: string; verifierKey: string } }>;
  checkpoint(): Promise<string>;
  consistency(from: number, to: number): Promise<string[]>;
  entries(start: number, end: number): Promise<LogEntry[]>;
  /** The chains the monitor can ask (CAIP-2 ids) and, per chain, the anchoring of a root (null: none). */
  chains: ReadonlyMap<string, (root: string) => Promise<Anchoring | null>>;
}

export type FindingKind = 'key-changed' | 'origin-changed' | 'truncated' | 'fork' | 'rewritten' | 'bad-entries' | 'bad-commitment' | 'chain-contradicts';

export interface Finding {
  kind: FindingKind;
  message: string;
}

export interface AuditResult {
  problems: Finding[];
  /** Lines worth printing on success too. */
  notes: string[];
  /** The state to keep when there were no problems. */
  next: MonitorState;
  checkpoint: Checkpoint;
}

const ENTRIES_PER_REQUEST = 1000;

/** One monitoring run. `state` is undefined on the first run; `pinnedKey` overrides the state's key. */
export async function auditLog(client: MonitorClient, state: MonitorState | undefined, options: { pinnedKey?: string; onProgress?: (done: number, total: number) => void } = {}): Promise<AuditResult> {
  const problems: Finding[] = [];
  const notes: string[] = [];
  const info = await client.info();
  const verifierKey = options.pinnedKey ?? state?.verifierKey ?? info.log.verifierKey;
  if (verifierKey !== info.log.verifierKey) {
    problems.push({ kind: 'key-changed', message: `the service now publishes log key ${info.log.verifierKey}, not the pinned ${verifierKey}` });
  }
  const note = await client.checkpoint();
  const checkpoint = parseCheckpoint(await openSignedNote(note, parseVerifierKey(verifierKey)));
  if (state && checkpoint.origin !== state.origin) {
    problems.push({ kind: 'origin-changed', message: `the checkpoint names log ${checkpoint.origin}, the monitored log is ${state.origin}` });
  }
  const previous = state ? parseCheckpoint(state.checkpointNote.slice(0, state.checkpointNote.lastIndexOf('\n\n') + 1)) : undefined;
  const evidence = () => `remembered checkpoint:\n${indent(state!.checkpointNote)}\nserved checkpoint:\n${indent(note)}`;

  // 1. Consistency with what was seen before.
  let historyIntact = true;
  if (previous) {
    if (checkpoint.size < previous.size) {
      historyIntact = false;
      problems.push({ kind: 'truncated', message: `the log shrank from ${previous.size} to ${checkpoint.size} batches: log entries ${checkpoint.size} to ${previous.size - 1} are gone\n${evidence()}` });
    } else if (checkpoint.size === previous.size) {
      if (bytesToHex(checkpoint.root) !== bytesToHex(previous.root)) {
        historyIntact = false;
        problems.push({ kind: 'fork', message: `two signed checkpoints for ${checkpoint.size} batches with different tree heads\n${evidence()}` });
      }
    } else {
      const proof = await client.consistency(previous.size, checkpoint.size).catch((error: Error) => error);
      const result = proof instanceof Error ? { ok: false as const, reason: proof.message } : verifyConsistency({ size1: previous.size, size2: checkpoint.size, root1: previous.root, root2: checkpoint.root, proof: proof.map(hexToBytes) });
      if (!result.ok) {
        historyIntact = false;
        problems.push({ kind: 'fork', message: `the checkpoint of ${checkpoint.size} batches does not extend the remembered one of ${previous.size} (${result.reason})\n${evidence()}` });
      }
    }
  }

  // 2. The entries: which remembered batches changed (when the history did), and the new ones.
  const remembered = state?.roots ?? [];
  const readFrom = historyIntact ? remembered.length : 0;
  const entries: LogEntry[] = [];
  for (let start = readFrom; start < checkpoint.size; start += ENTRIES_PER_REQUEST) {
    entries.push(...(await client.entries(start, Math.min(checkpoint.size, start + ENTRIES_PER_REQUEST))));
    options.onProgress?.(entries.length, checkpoint.size - readFrom);
  }
  if (!historyIntact) {
    for (const entry of entries.filter((e) => e.index < remembered.length && e.root !== remembered[e.index])) {
      const chainNote = await describeAnchorings(client, [remembered[entry.index]!, entry.root]);
      problems.push({ kind: 'rewritten', message: `log entry ${entry.index} (batch ${entry.batchId}) was ${remembered[entry.index]} and is now ${entry.root}${chainNote}` });
    }
  }
  const roots = [...remembered.slice(0, readFrom), ...entries.map((e) => e.root)].slice(0, checkpoint.size);
  if (roots.length !== checkpoint.size || entries.some((entry, i) => entry.index !== readFrom + i)) {
    problems.push({ kind: 'bad-entries', message: `the service listed ${roots.length} entries for a checkpoint of ${checkpoint.size}` });
    return { problems, notes, next: state!, checkpoint };
  }

  // 3. The entries must hash to the signed head, and each batch must commit to the log before it.
  const tree = new MerkleLogTree();
  for (const root of roots) tree.appendLeafData(hexToBytes(root));
  if (bytesToHex(tree.root()) !== bytesToHex(checkpoint.root)) {
    problems.push({ kind: 'bad-entries', message: `the entries the service lists do not hash to its signed tree head ${bytesToHex(checkpoint.root)}` });
  }
  for (const entry of entries.filter((e) => e.index >= remembered.length || !historyIntact)) {
    if (!entry.commitment) continue; // sealed before the log existed
    const problem = commitmentProblem(entry, checkpoint.origin, tree);
    if (problem) problems.push({ kind: 'bad-commitment', message: `log entry ${entry.index} (batch ${entry.batchId}): ${problem}` });
  }

  // 4. The chain: what the service says is anchored must be there, as it says.
  const toCheck = [...new Set([...(state?.pending ?? []).filter((i) => i < roots.length), ...entries.filter((e) => e.index >= remembered.length).map((e) => e.index)])];
  const byIndex = new Map(entries.map((e) => [e.index, e]));
  const pending: number[] = [];
  let anchored = 0;
  for (const index of toCheck) {
    const entry = byIndex.get(index) ?? (await client.entries(index, index + 1))[0]!;
    const outcome = await checkAnchoring(client, entry);
    if (outcome.kind === 'problem') problems.push({ kind: 'chain-contradicts', message: `log entry ${entry.index} (batch ${entry.batchId}): ${outcome.message}` });
    else if (outcome.kind === 'pending') pending.push(index);
    else anchored += 1;
  }
  notes.push(
    previous ? `log ${checkpoint.origin} grew from ${previous.size} to ${checkpoint.size} batches, consistently` : `log ${checkpoint.origin}: first checkpoint, ${checkpoint.size} batches, every entry rebuilt into the signed head`,
    `${toCheck.length} batch(es) checked against ${[...client.chains.keys()].join(', ') || 'no chain'}: ${anchored} anchored, ${pending.length} not anchored yet (checked again next run)`,
  );
  return {
    problems,
    notes,
    checkpoint,
    next: { origin: checkpoint.origin, verifierKey, checkpointNote: note, roots, pending },
  };
}

/** Why a batch's commitment leaf does not commit to the log the monitor rebuilt, or undefined. */
function commitmentProblem(entry: LogEntry, origin: string, tree: MerkleLogTree): string | undefined {
  const commitment = entry.commitment!;
  if (commitment.size !== entry.index) return `it commits to a log of ${commitment.size} batches, but sits at place ${entry.index}`;
  const expected = bytesToHex(tree.root(entry.index));
  if (commitment.root !== expected) return `it commits to log head ${commitment.root}, but the log of ${entry.index} batches has head ${expected}`;
  const leaf = new TextEncoder().encode(formatCheckpoint({ origin, size: commitment.size, root: hexToBytes(commitment.root) }));
  const computed = rootFromInclusionProof({ leafHash: hashLeaf(leaf), leafIndex: entry.treeSize - 1, treeSize: entry.treeSize, auditPath: commitment.auditPath.map(hexToBytes) });
  if (!computed.ok || bytesToHex(computed.root) !== entry.root) return 'its commitment leaf does not lead to its root';
  return undefined;
}

type AnchoringOutcome = { kind: 'anchored' } | { kind: 'pending' } | { kind: 'problem'; message: string };

async function checkAnchoring(client: MonitorClient, entry: LogEntry): Promise<AnchoringOutcome> {
  if (!entry.anchor) return { kind: 'pending' };
  const lookup = client.chains.get(entry.anchor.chain);
  if (!lookup) return { kind: 'pending' }; // a chain this run was given no RPC for
  const anchoring = await lookup(entry.root);
  if (!anchoring) return { kind: 'problem', message: `the service says it is anchored on ${entry.anchor.chain} in block ${entry.anchor.blockNumber}, but the chain holds no anchoring of root ${entry.root}` };
  if (anchoring.treeSize !== entry.treeSize) return { kind: 'problem', message: `the chain anchored root ${entry.root} with ${anchoring.treeSize} leaves, the log says ${entry.treeSize}` };
  if (anchoring.blockNumber !== entry.anchor.blockNumber) return { kind: 'problem', message: `the chain anchored root ${entry.root} in block ${anchoring.blockNumber}, the service says ${entry.anchor.blockNumber}` };
  return { kind: 'anchored' };
}

/** "; the old root is anchored on … in block …, the new one is not anchored anywhere". */
async function describeAnchorings(client: MonitorClient, [oldRoot, newRoot]: [string, string]): Promise<string> {
  const parts: string[] = [];
  for (const [label, root] of [['the old root', oldRoot], ['the new root', newRoot]] as const) {
    const found: string[] = [];
    for (const [chain, lookup] of client.chains) {
      const anchoring = await lookup(root).catch(() => null);
      if (anchoring) found.push(`${chain} block ${anchoring.blockNumber}`);
    }
    parts.push(`${label} is ${found.length > 0 ? `anchored on ${found.join(', ')}` : 'anchored on no chain given'}`);
  }
  return `; ${parts.join(', ')}`;
}

function indent(text: string): string {
  return text.trimEnd().split('\n').map((line) => `    ${line}`).join('\n');
}
