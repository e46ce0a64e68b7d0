// The contract between the bench runner and bench/credentials.ts, which is written alongside
// src/credentials/ (issue 4). The runner loads it at run time when it exists (bench/run.ts,
// "CREDENTIALS HOOK") and turns its rows into table rows; until then, or if its rows are not there,
// the two credential figures print as "not measured" with MISS.
import { figure, formatCount, formatRatio, notMeasured, type Figure } from './report';

/**
 * Each figure: its id, its name, the row of bench/credentials.ts it reads (by the row's `id`, or by
 * `pattern` for rows without one), and its target as a ratio to the peer measured in the same run.
 */
export const CREDENTIAL_FIGURES = {
  issue: { id: 'credentials.issue', name: 'credentials issued/s through the service code (peer raw did-jwt-vc)', pattern: /issu/i, target: 0.8, peer: 'raw' },
  verify: { id: 'credentials.verify', name: 'ES256K credentials verified/s, warm DID cache (peer raw did-jwt-vc, static resolver)', pattern: /verif/i, target: 3, peer: 'raw' },
  verifyEdDsa: { id: 'credentials.verify-eddsa', name: 'EdDSA credentials verified/s, warm DID cache (peer raw did-jwt-vc, static resolver)', pattern: /^$/, target: 3, peer: 'raw' },
  verifyPresentation: { id: 'credentials.verify-presentation', name: 'presentations (2 VCs) verified/s, warm caches (peer raw did-jwt-vc verifyPresentation + verifyCredential of each)', pattern: /^$/, target: 3, peer: 'raw' },
  verifyVc2: { id: 'credentials.verify-vc2', name: 'VC Data Model 2.0 credentials verified/s, warm DID cache (peer: the same service verifying 1.1)', pattern: /^$/, target: 1, peer: 'the 1.1 figure', notSlower: true },
  sdJwtIssue: { id: 'credentials.sd-jwt-issue', name: 'SD-JWT VCs issued/s through the service code (peer @sd-jwt/sd-jwt-vc alone, same key)', pattern: /^$/, target: 0.8, peer: '@sd-jwt alone' },
  sdJwtVerify: { id: 'credentials.sd-jwt-verify', name: 'SD-JWT VCs verified/s through the service code (peer @sd-jwt/sd-jwt-vc alone, same key)', pattern: /^$/, target: 0.8, peer: '@sd-jwt alone' },
} as const;

type CredentialFigureSpec = (typeof CREDENTIAL_FIGURES)[keyof typeof CREDENTIAL_FIGURES];

/** "≥ 0.8x raw": a figure's target as the table prints it. */
export function credentialTargetText(spec: CredentialFigureSpec): string {
  return `≥ ${spec.target}x ${spec.peer}${'notSlower' in spec ? ' (within the scatter of paired rounds)' : ''}`;
}

/** What bench/credentials.ts exports: `benchCredentials(options) → rows`, one per figure. */
export interface CredentialBenchModule {
  benchCredentials(options: { durationMs?: number; tmpDir?: string }): Promise<unknown>;
}

/** One row as bench/credentials.ts reports it: ours per second, the peer's per second, ours / peer. */
interface CredentialRow {
  /** The figure id it measures (rows of the first two figures may name none: they are found by pattern). */
  id?: string;
  figure: string;
  value: number;
  unit: string;
  peerValue: number;
  ratio: number;
  /** ours / peer per pair of alternating rounds, for a "not slower" figure. */
  pairedRatios?: number[];
}

function isCredentialRow(row: unknown): row is CredentialRow {
  const r = row as Partial<CredentialRow> | null;
  return typeof r === 'object' && r !== null && typeof r.figure === 'string' && typeof r.value === 'number' && typeof r.peerValue === 'number';
}

/** Table rows from the module's answer; a row it did not give is "not measured" (MISS). */
export function credentialFigures(rows: unknown, durationMs: number): Figure[] {
  const list = Array.isArray(rows) ? rows.filter(isCredentialRow) : [];
  return Object.values(CREDENTIAL_FIGURES).map((spec) => {
    const { id, name, pattern } = spec;
    const targetText = credentialTargetText(spec);
    const row = list.find((r) => r.id === id) ?? list.find((r) => r.id === undefined && pattern.test(r.figure));
    if (!row) return notMeasured(id, name, targetText, `not measured: bench/credentials.ts gave no row for ${id}`);
    const ratio = row.value / row.peerValue;
    const paired = 'notSlower' in spec && row.pairedRatios && row.pairedRatios.length >= 4 ? notSlowerVerdict(row.pairedRatios) : undefined;
    return figure({
      id,
      figure: name,
      value: row.value,
      unit: '/s',
      valueText: `${formatCount(row.value)}/s`,
      targetText,
      peerText: `${formatCount(row.peerValue)}/s`,
      ratioText: formatRatio(ratio),
      verdict: paired ? paired.verdict : ratio >= spec.target ? 'PASS' : 'MISS',
      note: `bench/credentials.ts: ${row.figure}; one run of ${durationMs / 1000} s each, service and peer alternating in the same process${paired ? `; ${paired.note}` : ''}`,
      details: { ...row },
    });
  });
}

/**
 * "At least the peer's figure" for two paths that do the same work: each pair of alternating rounds
 * gives one ratio, and the figure passes unless the median pair is slower by more than the pairs
 * scatter (half their interquartile range), so that a coin-flip 0.99 on equal code is not a MISS and
 * a real slowdown of a few percent still is.
 */
function notSlowerVerdict(pairs: number[]): { verdict: 'PASS' | 'MISS'; note: string } {
  const sorted = [...pairs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const median = at(0.5);
  const halfIqr = (at(0.75) - at(0.25)) / 2;
  const verdict = median >= 1 - halfIqr ? 'PASS' : 'MISS';
  return {
    verdict,
    note: `paired rounds: median ratio ${median.toFixed(3)}, half the interquartile range ${halfIqr.toFixed(3)}; PASS unless the median pair is below 1 by more than that scatter (${sorted.map((r) => r.toFixed(2)).join(' ')})`,
  };
}

/** Every row as MISS; `valueText` is what the value column shows (e.g. "not measured (credentials module missing)"). */
export function missingCredentialFigures(reason: string, valueText = 'not measured'): Figure[] {
  return Object.values(CREDENTIAL_FIGURES).map((spec) => ({ ...notMeasured(spec.id, spec.name, credentialTargetText(spec), reason), valueText }));
}
