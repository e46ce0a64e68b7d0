// What the store keeps per document: the submissions table with its indexes, in bytes per row, read
// from the database's own size functions (the same SQL on PGlite and PostgreSQL), after a VACUUM so
// the free space and visibility maps exist as they would on a settled table.
import type { SqlClient } from '../src/platform/database/sql-client';
import { figure, formatCount, type Figure } from './report';
import { round } from './stats';

const TARGET_BYTES = 160;

interface RelationSize {
  name: string;
  bytes: number;
}

/** Sizes of the submissions table (main fork, then the other forks and TOAST) and of each of its indexes. */
async function submissionsSizes(db: SqlClient): Promise<{ rows: number; parts: RelationSize[]; total: number }> {
  await db.exec('VACUUM submissions');
  const rows = Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM submissions'))[0]!.n);
  const table = await db.query<{ heap: number; forks: number; total: number }>(
    `SELECT pg_relation_size('submissions')::float8 AS heap,
            (pg_table_size('submissions') - pg_relation_size('submissions'))::float8 AS forks,
            pg_total_relation_size('submissions')::float8 AS total`,
  );
  const indexes = await db.query<{ name: string; bytes: number }>(
    `SELECT c.relname AS name, pg_relation_size(c.oid)::float8 AS bytes
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = 'submissions'::regclass ORDER BY c.relname`,
  );
  const { heap, forks, total } = table[0]!;
  return {
    rows,
    parts: [
      { name: 'table rows', bytes: Number(heap) },
      { name: 'free space and visibility maps, TOAST', bytes: Number(forks) },
      ...indexes.map((index) => ({ name: `index ${index.name}`, bytes: Number(index.bytes) })),
    ],
    total: Number(total),
  };
}

/** The bytes-per-document figure of one store, with its breakdown in the note. */
export async function storeBytesFigure(db: SqlClient, backend: 'embedded PGlite' | 'PostgreSQL', note: string): Promise<Figure> {
  const { rows, parts, total } = await submissionsSizes(db);
  const perDocument = total / rows;
  return figure({
    id: `store.bytes.${backend === 'PostgreSQL' ? 'postgres' : 'pglite'}`,
    figure: `store bytes per document, ${formatCount(rows)} documents, ${backend} (table + indexes)`,
    value: round(perDocument),
    unit: 'bytes',
    valueText: `${perDocument.toFixed(1)} bytes`,
    targetText: `≤ ${TARGET_BYTES} bytes`,
    verdict: perDocument <= TARGET_BYTES ? 'PASS' : 'MISS',
    note: `${parts.map((part) => `${part.name} ${(part.bytes / rows).toFixed(1)}`).join(', ')} (bytes per document); ${note}`,
    details: { rows, totalBytes: total, parts },
  });
}
