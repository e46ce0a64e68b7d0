// The contract between the bench runner and bench/credentials.ts, which is written alongside
// src/credentials/ (issue 4). The runner loads it at run time when it exists (bench/run.ts,
// "CREDENTIALS HOOK") and turns its rows into table rows; until then, or if its rows are not there,
// the two credential figures print as "not measured" with MISS.
import { figure, formatCount, formatRatio, notMeasured, type Figure } from './report';

export const CREDENTIAL_FIGURES = {
  issue: { id: 'credentials.issue', name: 'credentials issued/s through the service code (peer raw did-jwt-vc)', pattern: /issu/i },
  verify: { id: 'credentials.verify', name: 'credentials verified/s, warm DID cache (peer raw did-jwt-vc, static resolver)', pattern: /verif/i },
} as const;

const TARGET_RATIO = 0.8;

/** What bench/credentials.ts exports: `benchCredentials(options) → rows`, one per figure. */
export interface CredentialBenchModule {
  benchCredentials(options: { durationMs?: number; tmpDir?: string }): Promise<unknown>;
}

/** One row as bench/credentials.ts reports it: ours per second, raw did-jwt-vc per second, ours / raw. */
interface CredentialRow {
  figure: string;
  value: number;
  unit: string;
  peerValue: number;
  ratio: number;
}

function isCredentialRow(row: unknown): row is CredentialRow {
  const r = row as Partial<CredentialRow> | null;
  return typeof r === 'object' && r !== null && typeof r.figure === 'string' && typeof r.value === 'number' && typeof r.peerValue === 'number';
}

/** Table rows from the module's answer; a row it did not give is "not measured" (MISS). */
export function credentialFigures(rows: unknown, durationMs: number): Figure[] {
  const list = Array.isArray(rows) ? rows.filter(isCredentialRow) : [];
  return Object.values(CREDENTIAL_FIGURES).map(({ id, name, pattern }) => {
    const row = list.find((r) => pattern.test(r.figure));
    if (!row) return notMeasured(id, name, `≥ ${TARGET_RATIO}x raw`, `not measured: bench/credentials.ts gave no row matching ${pattern}`);
    const ratio = row.value / row.peerValue;
    return figure({
      id,
      figure: name,
      value: row.value,
      unit: '/s',
      valueText: `${formatCount(row.value)}/s`,
      targetText: `≥ ${TARGET_RATIO}x raw`,
      peerText: `${formatCount(row.peerValue)}/s`,
      ratioText: formatRatio(ratio),
      verdict: ratio >= TARGET_RATIO ? 'PASS' : 'MISS',
      note: `bench/credentials.ts: ${row.figure}; one run of ${durationMs / 1000} s each, service and raw did-jwt-vc alternating in the same process`,
      details: { ...row },
    });
  });
}

/** Both rows as MISS; `valueText` is what the value column shows (e.g. "not measured (credentials module missing)"). */
export function missingCredentialFigures(reason: string, valueText = 'not measured'): Figure[] {
  return Object.values(CREDENTIAL_FIGURES).map(({ id, name }) => ({ ...notMeasured(id, name, `≥ ${TARGET_RATIO}x raw`, reason), valueText }));
}
