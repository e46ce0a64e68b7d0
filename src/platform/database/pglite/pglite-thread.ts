// The main-thread side of the embedded database: PGlite runs in a worker thread (pglite-worker.ts) and
// this client forwards statements to it. PGlite has one connection, so, as PGlite itself does, a
// transaction is exclusive: statements sent outside it wait until it ends.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SqlClient, SqlExecutor, SqlRow } from '../sql-client';

export type PGliteRequest =
  | { id: number; kind: 'query'; sql: string; params?: unknown[] }
  | { id: number; kind: 'exec'; sql: string }
  | { id: number; kind: 'close' };

/** The fields of a database error that callers read (SQLSTATE `code`, `constraint`…); they cross the thread. */
export const DATABASE_ERROR_FIELDS = ['code', 'detail', 'hint', 'constraint', 'table', 'column', 'schema', 'severity', 'position'] as const;

export type SerializedDatabaseError = { name: string; message: string; stack?: string } & Partial<
  Record<(typeof DATABASE_ERROR_FIELDS)[number], string>
>;

export type PGliteResponse =
  | { id: number; ok: true; rows: Record<string, unknown>[] }
  | { id: number; ok: false; error: SerializedDatabaseError };

/** PGlite in its own thread, behind the store's SqlClient shape (minus leadership and kind). */
export type PGliteThread = Omit<SqlClient, 'kind' | 'tryLeadership' | 'listen' | 'notify'>;

const WORKER_FILE = path.join(__dirname, `pglite-worker${path.extname(__filename) || '.js'}`);

export interface PGliteWorkerData {
  dbDir: string;
  /** Postgres shared_buffers in KiB; absent → PGlite's default (128 MB). */
  sharedBuffersKiB?: number;
}

/** Starts the worker and opens (or creates) the database in `dbDir`; resolves once it is ready. */
export async function openPGliteThread(dbDir: string, options: { cacheBytes?: number } = {}): Promise<PGliteThread> {
  const workerData: PGliteWorkerData = { dbDir, sharedBuffersKiB: options.cacheBytes === undefined ? undefined : Math.floor(options.cacheBytes / 1024) };
  // Under tsx (the CLI, tests and bench run TypeScript directly) the worker registers tsx itself.
  const worker = WORKER_FILE.endsWith('.ts')
    ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(WORKER_FILE)});`, { eval: true, workerData })
    : new Worker(WORKER_FILE, { workerData });

  const pending = new Map<number, { resolve(rows: Record<string, unknown>[]): void; reject(error: Error): void }>();
  let nextId = 1;
  let failure: Error | undefined;
  let closed = false;

  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject });
  });
  worker.on('message', (response: PGliteResponse) => {
    const waiter = pending.get(response.id);
    if (!waiter) return;
    pending.delete(response.id);
    if (response.ok) waiter.resolve(response.rows);
    else waiter.reject(deserializeError(response.error));
  });
  const failAll = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', (error) => failAll(new Error(`the embedded database thread failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => {
    if (!closed) failAll(new Error(`the embedded database thread exited (code ${code})`));
  });

  const send = (request: DistributiveOmit<PGliteRequest, 'id'>) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) => {
      if (failure || closed) {
        reject(failure ?? new Error('the embedded database is closed'));
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id });
    });

  try {
    await ready;
  } catch (error) {
    closed = true;
    await worker.terminate();
    throw error;
  }

  // Exclusive transactions, in call order: `lastTransaction` settles when the newest queued one ends.
  // Statements outside a transaction wait for every transaction queued before them, as in PGlite.
  // The worker answers in order, so nothing else is needed.
  let queuedTransactions = 0;
  let lastTransaction: Promise<void> = Promise.resolve();
  // A statement sent after waiting for the newest queued transaction reaches the worker before any
  // transaction queued later sends its BEGIN (its continuation was registered first).

  return {
    async query<Row extends SqlRow>(sql: string, params?: unknown[]) {
      if (queuedTransactions > 0) await lastTransaction;
      return (await send({ kind: 'query', sql, params })) as Row[];
    },
    async exec(sql: string) {
      if (queuedTransactions > 0) await lastTransaction;
      await send({ kind: 'exec', sql });
    },
    async transaction<T>(work: (tx: SqlExecutor) => Promise<T>) {
      const previous = lastTransaction;
      let end!: () => void;
      lastTransaction = new Promise<void>((resolve) => {
        end = resolve;
      });
      queuedTransactions++;
      try {
        await previous;
        await send({ kind: 'exec', sql: 'BEGIN' });
        let open = true;
        const tx: SqlExecutor = {
          async query<Row extends SqlRow>(sql: string, params?: unknown[]) {
            if (!open) throw new Error('Transaction is closed');
            return (await send({ kind: 'query', sql, params })) as Row[];
          },
        };
        try {
          const result = await work(tx);
          open = false;
          await send({ kind: 'exec', sql: 'COMMIT' });
          return result;
        } catch (error) {
          open = false;
          await send({ kind: 'exec', sql: 'ROLLBACK' }).catch(() => undefined);
          throw error;
        }
      } finally {
        queuedTransactions--;
        end();
      }
    },
    async close() {
      if (closed) return;
      await lastTransaction;
      try {
        await send({ kind: 'close' });
      } finally {
        closed = true;
        failAll(new Error('the embedded database is closed'));
        await worker.terminate();
      }
    },
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function deserializeError(serialized: SerializedDatabaseError): Error {
  const { name, message, stack, ...fields } = serialized;
  const error = Object.assign(new Error(message), fields);
  error.name = name;
  if (stack) error.stack = stack;
  return error;
}
