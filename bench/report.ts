// The bench's one output: a table of figures (value, target, peer, ratio, PASS/MISS) on the terminal
// and the same rows as JSON in bench-results/latest.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** PASS/MISS against a target; `info` for figures without one; `skip` when not measured in this mode. */
export type Verdict = 'PASS' | 'MISS' | 'info' | 'skip';

/** One row of the table. Numbers are kept raw for the JSON; `text` fields are what the table shows. */
export interface Figure {
  /** Stable key for the JSON, e.g. `merkle.2^20`. */
  id: string;
  figure: string;
  value: number | null;
  unit: string;
  valueText: string;
  targetText: string;
  peerText: string;
  ratioText: string;
  verdict: Verdict;
  /** How it was measured, what was extrapolated, why it missed: printed under the table. */
  note?: string;
  /** Raw samples and side measurements, for the JSON only. */
  details?: Record<string, unknown>;
}

/** Shorthand used by every figure module. */
export function figure(row: Omit<Figure, 'peerText' | 'ratioText'> & Partial<Pick<Figure, 'peerText' | 'ratioText'>>): Figure {
  return { peerText: '—', ratioText: '—', ...row };
}

/** A row for something that could not be measured (error, timeout, missing module): always a MISS when it has a target. */
export function notMeasured(id: string, name: string, targetText: string, reason: string): Figure {
  return {
    id,
    figure: name,
    value: null,
    unit: '',
    valueText: 'not measured',
    targetText,
    peerText: '—',
    ratioText: '—',
    verdict: targetText === '—' ? 'info' : 'MISS',
    note: reason,
  };
}

export function formatSeconds(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatRatio(ratio: number): string {
  return ratio >= 100 ? `${ratio.toFixed(0)}x` : ratio >= 10 ? `${ratio.toFixed(1)}x` : `${ratio.toFixed(2)}x`;
}

/** Renders the table with a numbered note per row that has one. */
export function renderTable(figures: readonly Figure[]): string {
  const header = ['figure', 'value', 'target', 'peer value', 'ratio', 'PASS/MISS'];
  const notes: string[] = [];
  const rows = figures.map((f) => {
    let name = f.figure;
    if (f.note) {
      notes.push(f.note);
      name += ` [${notes.length}]`;
    }
    return [name, f.valueText, f.targetText, f.peerText, f.ratioText, f.verdict];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
  if (notes.length > 0) {
    out.push('');
    notes.forEach((note, i) => out.push(`[${i + 1}] ${note}`));
  }
  return out.join('\n');
}

export interface BenchReport {
  date: string;
  mode: 'full' | 'quick';
  durationSeconds: number;
  machine: { node: string; cpus: number; cpuModel: string; memoryGiB: number; loadAverageAtStart: number[] };
  figures: Figure[];
}

export function machineInfo(): BenchReport['machine'] {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** Writes the report to `<dir>/latest.json` (bench-results/ is git-ignored) and returns the path. */
export function writeReport(report: BenchReport, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'latest.json');
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
