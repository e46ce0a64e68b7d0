// The embedded database's own thread. PGlite runs Postgres as WebAssembly, synchronously, in the
// thread that calls it: on the service's main thread every query stalled HTTP for its whole duration
// (about half the CPU of a single-document submission). Here it runs beside the event loop, so the
// main thread parses the next requests while a commit is in progress, and group commit gets groups.
//
// Protocol (see pglite-thread.ts): one message per statement, answered in order; the main side
// keeps transactions exclusive, this side only runs what it is sent, one statement at a time.
import { parentPort, workerData } from 'node:worker_threads';
import type { PGliteRequest, PGliteResponse, SerializedDatabaseError } from './pglite-thread';

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('pglite-worker must run as a worker thread');
  const { dbDir } = workerData as { dbDir: string };
  const { PGlite } = await import('@electric-sql/pglite');
  let db: InstanceType<typeof PGlite>;
  try {
    db = new PGlite(dbDir);
    await db.waitReady;
  } catch (error) {
    port.postMessage({ id: 0, ok: false, error: serializeError(error) } satisfies PGliteResponse);
    return;
  }
  port.postMessage({ id: 0, ok: true, rows: [] } satisfies PGliteResponse);

  // Statements run strictly one after another, in arrival order.
  let previous: Promise<void> = Promise.resolve();
  port.on('message', (request: PGliteRequest) => {
    previous = previous.then(() => run(request));
  });

  async function run(request: PGliteRequest): Promise<void> {
    let response: PGliteResponse;
    try {
      switch (request.kind) {
        case 'query':
          response = { id: request.id, ok: true, rows: (await db.query(request.sql, request.params)).rows as Record<string, unknown>[] };
          break;
        case 'exec':
          await db.exec(request.sql);
          response = { id: request.id, ok: true, rows: [] };
          break;
        case 'close':
          await db.close();
          response = { id: request.id, ok: true, rows: [] };
          break;
      }
    } catch (error) {
      response = { id: request.id, ok: false, error: serializeError(error) };
    }
    port!.postMessage(response);
  }
}

/** Errors cross the thread boundary as plain data; the fields callers read (code, constraint…) survive. */
function serializeError(error: unknown): SerializedDatabaseError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields = error as Error & Record<string, unknown>;
  const serialized: SerializedDatabaseError = { name: error.name, message: error.message, stack: error.stack };
  for (const key of ['code', 'detail', 'hint', 'constraint', 'table', 'column', 'schema', 'severity', 'position'] as const) {
    if (typeof fields[key] === 'string') serialized[key] = fields[key] as string;
  }
  return serialized;
}

void main();
