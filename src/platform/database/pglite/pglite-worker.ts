// The embedded database's own thread. PGlite runs Postgres as WebAssembly, synchronously, in the
// thread that calls it: on the service's main thread every query stalled HTTP for its whole duration
// (about half the CPU of a single-document submission). Here it runs beside the event loop, so the
// main thread parses the next requests while a commit is in progress, and group commit gets groups.
//
// Protocol (see pglite-thread.ts): one message per statement, answered in order; the main side
// keeps transactions exclusive, this side only runs what it is sent, one statement at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { DATABASE_ERROR_FIELDS, type PGliteRequest, type PGliteResponse, type PGliteWorkerData, type SerializedDatabaseError } from './pglite-thread';
import type { messages as PGliteMessages } from '@electric-sql/pglite';
import { decodeDataRows, type BackendErrorFields, type ResultColumn } from './pg-wire-results';
import { commitRolledBackError } from '../sql-client';

interface PreparedStatement {
  name: string;
  parameterTypes: number[];
  columns: ResultColumn[];
}

/** The store has a few dozen distinct statements; past this bound (a bug), statements are not kept. */
const MAX_PREPARED_STATEMENTS = 500;

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('pglite-worker must run as a worker thread');
  const { dbDir, sharedBuffersKiB } = workerData as PGliteWorkerData;
  const { PGlite, protocol, parse, messages } = await import('@electric-sql/pglite');
  let db: InstanceType<typeof PGlite>;
  try {
    // PGlite's own start parameters, plus:
    // - wal_init_zero off: Postgres fills each new 16 MB WAL segment with zeros before its first
    //   record, and PGlite, which has no background writer to do it ahead, did so inside a commit:
    //   one commit in every 16 MB of WAL (about every 20 s under 1,000 time stamps a second) stalled
    //   about 50 ms. The zeros only reserve disk space ahead of time (a WAL write into a full disk
    //   then fails the server instead of the segment's creation); they add no durability, and PGlite
    //   runs with fsync off (-F) anyway. Postgres then writes only the segment's last byte.
    // - the page cache size when one is configured: the default 128 MB holds the two hash indexes of
    //   submissions (about 72 bytes a document) up to about 1.8 million documents; past it, random
    //   inserts into them read and write pages through the file system.
    db = new PGlite(dbDir, {
      startParams: [...PGlite.defaultStartParams, '-c', 'wal_init_zero=off', ...(sharedBuffersKiB === undefined ? [] : ['-c', `shared_buffers=${sharedBuffersKiB}kB`])],
    });
    await db.waitReady;
  } catch (error) {
    port.postMessage({ id: 0, ok: false, error: serializeError(error) } satisfies PGliteResponse);
    return;
  }
  port.postMessage({ id: 0, ok: true, rows: [] } satisfies PGliteResponse);

  // Named prepared statements, one per SQL text. PGlite's query() parses and plans every statement
  // anew in five protocol round trips into the WebAssembly; a prepared one is bound and executed in
  // one, with its plan cached by Postgres, and its columns known from the Describe at preparation,
  // so its rows are read straight from the backend's bytes (pg-wire-results.ts).
  const statements = new Map<string, PreparedStatement>();
  let preparedCount = 0;
  const { serialize } = protocol;
  const toDatabaseError = (fields: BackendErrorFields) => Object.assign(new messages.DatabaseError(fields.message, 0, 'error'), fields);
  async function preparedQuery(sql: string, params: unknown[], retried = false): Promise<Record<string, unknown>[]> {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= MAX_PREPARED_STATEMENTS) return (await db.query(sql, params)).rows as Record<string, unknown>[];
      const name = `did_notary_${++preparedCount}`;
      const described = await db.execProtocol(Buffer.concat([serialize.parse({ name, text: sql }), serialize.describe({ type: 'S', name }), serialize.sync()]));
      const rowDescription = described.messages.find((message): message is PGliteMessages.RowDescriptionMessage => message.name === 'rowDescription');
      statement = {
        name,
        parameterTypes: parse.parseDescribeStatementResults(described.messages),
        columns: (rowDescription?.fields ?? []).map((field) => ({ name: field.name, dataTypeID: field.dataTypeID })),
      };
      statements.set(sql, statement);
    }
    const { parameterTypes } = statement;
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serializer = db.serializers[parameterTypes[i]!];
      return serializer ? serializer(value) : String(value);
    });
    try {
      const chunks: Uint8Array[] = [];
      await db.execProtocolRawStream(Buffer.concat([serialize.bind({ statement: statement.name, values }), serialize.execute({}), serialize.sync()]), {
        // The chunks are views of the WebAssembly memory, reused by the next call: copied at once.
        onRawData: (chunk) => chunks.push(chunk.slice()),
      });
      return decodeDataRows(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), statement.columns, db.parsers, toDatabaseError);
    } catch (error) {
      // A table changed under a kept plan (a migration): forget the statement and prepare it again.
      // Not inside a transaction: the failed Bind has aborted it, and the caller must see why.
      const stale = (error as { code?: string }).code === '0A000' && /cached plan/.test((error as Error).message);
      if (stale) statements.delete(sql);
      if (stale && !retried && !db.isInTransaction()) {
        await db.execProtocol(Buffer.concat([serialize.close({ type: 'S', name: statement.name }), serialize.sync()]));
        return preparedQuery(sql, params, true);
      }
      throw error;
    }
  }

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
          response = { id: request.id, ok: true, rows: await preparedQuery(request.sql, request.params ?? []) };
          break;
        case 'exec': {
          const results = await db.exec(request.sql);
          // COMMIT after a failed statement answers ROLLBACK, not an error; PGlite's transaction() throws.
          if (/^\s*COMMIT\s*;?\s*$/i.test(request.sql) && results[results.length - 1]?.command === 'ROLLBACK') {
            throw commitRolledBackError();
          }
          response = { id: request.id, ok: true, rows: [] };
          break;
        }
        case 'close':
          await db.close();
          response = { id: request.id, ok: true, rows: [] };
          break;
      }
    } catch (error) {
      response = { id: request.id, ok: false, error: serializeError(error) };
    }
    try {
      port!.postMessage(response);
    } catch (error) {
      // A result that cannot cross threads fails its own statement, not the database.
      port!.postMessage({ id: request.id, ok: false, error: serializeError(error) } satisfies PGliteResponse);
    }
  }
}

/** Errors cross the thread boundary as plain data; the fields callers read (code, constraint…) survive. */
function serializeError(error: unknown): SerializedDatabaseError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields = error as Error & Record<string, unknown>;
  const serialized: SerializedDatabaseError = { name: error.name, message: error.message, stack: error.stack };
  for (const key of DATABASE_ERROR_FIELDS) {
    if (typeof fields[key] === 'string') serialized[key] = fields[key] as string;
  }
  return serialized;
}

void main();
