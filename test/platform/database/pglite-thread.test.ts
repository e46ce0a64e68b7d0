// PGlite in its worker thread behaves like PGlite in-process: exclusive transactions, rollback on
// error, database errors with their fields, and a closed client that refuses work.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPGliteThread, type PGliteThread } from '../../../src/platform/database/pglite/pglite-thread';

describe('PGlite in a worker thread', () => {
  let dir: string;
  let db: PGliteThread;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'did-notary-pglite-thread-'));
    db = await openPGliteThread(dir);
    await db.exec('CREATE TABLE items (id INT PRIMARY KEY, payload BYTEA, at TIMESTAMPTZ DEFAULT now())');
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips parameters and typed results', async () => {
    const payload = new Uint8Array([0, 1, 2, 255]);
    await db.query('INSERT INTO items (id, payload) VALUES ($1, $2)', [1, payload]);
    const rows = await db.query<{ id: number; payload: Uint8Array; at: Date }>('SELECT id, payload, at FROM items WHERE id = $1', [1]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(1);
    expect([...rows[0]!.payload]).toEqual([0, 1, 2, 255]);
    expect(rows[0]!.at).toBeInstanceOf(Date);
  });

  it('reads every column type the store uses as PGlite itself parses it, nulls and non-ASCII text included', async () => {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT 42::int AS small, 9007199254740993::bigint AS huge, 12::bigint AS big, 'zürich ✓'::text AS word, NULL::text AS nothing,
              ''::bytea AS empty, '\\x00ff10'::bytea AS bytes, true AS yes, 1.5::float8 AS real, '2026-11-25T10:00:00.123Z'::timestamptz AS at,
              '{"a":[1,2]}'::jsonb AS doc, ARRAY['x','y'] AS list`,
    );
    expect(rows).toEqual([
      {
        small: 42,
        huge: 9007199254740993n,
        big: 12,
        word: 'zürich ✓',
        nothing: null,
        empty: new Uint8Array(0),
        bytes: new Uint8Array([0, 255, 16]),
        yes: true,
        real: 1.5,
        at: new Date('2026-11-25T10:00:00.123Z'),
        doc: { a: [1, 2] },
        list: ['x', 'y'],
      },
    ]);
  });

  it('reads results larger than one output buffer of the database', async () => {
    const rows = await db.query<{ n: number; text: string }>("SELECT n, repeat('é', 200) AS text FROM generate_series(1, 20000) AS n");
    expect(rows).toHaveLength(20_000);
    expect(rows.every((row, i) => row.n === i + 1 && row.text === 'é'.repeat(200))).toBe(true);
    const [big] = await db.query<{ blob: Uint8Array }>("SELECT decode(repeat('ab', 3000000), 'hex') AS blob");
    expect(big!.blob.length).toBe(3_000_000);
    expect(big!.blob.every((byte) => byte === 0xab)).toBe(true);
  });

  it('passes database errors on with their SQLSTATE and constraint', async () => {
    const error = await db.query('INSERT INTO items (id) VALUES (1)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toBe('23505');
    expect((error as { constraint?: string }).constraint).toBe('items_pkey');
    expect((error as Error).message).toMatch(/duplicate key/);
  });

  it('rolls a failed transaction back and keeps the connection usable', async () => {
    const failure = await db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO items (id) VALUES (2)');
        throw new Error('changed my mind');
      })
      .catch((e: unknown) => e);
    expect((failure as Error).message).toBe('changed my mind');
    expect(await db.query('SELECT id FROM items WHERE id = 2')).toEqual([]);
    expect(await db.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('fails a transaction whose COMMIT rolled back because a statement in it failed', async () => {
    const outcome = await db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO items (id) VALUES (20)');
        await tx.query('INSERT INTO items (id) VALUES (1)').catch(() => undefined); // duplicate key, swallowed
        return 'done';
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as { code?: string }).code).toBe('25P02');
    expect(await db.query('SELECT id FROM items WHERE id = 20')).toEqual([]);
  });

  it('keeps statements sent outside a transaction out of it, in call order', async () => {
    const order: string[] = [];
    let releaseTransaction!: () => void;
    const held = new Promise<void>((resolve) => {
      releaseTransaction = resolve;
    });
    const first = db.transaction(async (tx) => {
      await tx.query('INSERT INTO items (id) VALUES (10)');
      order.push('tx1 inserted');
      await held;
      // Had the outside insert of 11 run inside this transaction, the rollback would undo it too.
      throw new Error('roll back 10');
    });
    // Queued while the first transaction is open: must run after it, not inside it.
    const outside = db.query('INSERT INTO items (id) VALUES (11)').then(() => order.push('outside inserted'));
    const second = db.transaction(async (tx) => {
      order.push('tx2 started');
      return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE id IN (10, 11)'))[0]!.n;
    });
    while (order.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // The first transaction is open and held: nothing else may run meanwhile, however long we wait.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual(['tx1 inserted']);
    releaseTransaction();
    await expect(first).rejects.toThrow('roll back 10');
    await outside;
    expect(await second).toBe(1);
    expect(order).toEqual(['tx1 inserted', 'outside inserted', 'tx2 started']);
    expect(await db.query<{ id: number }>('SELECT id FROM items WHERE id IN (10, 11) ORDER BY id')).toEqual([{ id: 11 }]);
  });

  it('keeps prepared statements across rollbacks and re-prepares them after the table changes', async () => {
    const select = 'SELECT * FROM items WHERE id = $1';
    await db
      .transaction(async (tx) => {
        await tx.query(select, [1]); // first use: prepared inside a transaction that is rolled back
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect((await db.query<{ id: number }>(select, [1]))[0]!.id).toBe(1);
    await db.exec('ALTER TABLE items ADD COLUMN note TEXT');
    const rows = await db.query<{ id: number; note: string | null }>(select, [1]);
    expect(rows[0]).toMatchObject({ id: 1, note: null });
    // A statement with a syntax error is reported and not kept.
    await expect(db.query('SELECT FROM WHERE $1', [1])).rejects.toMatchObject({ code: '42601' });
    await expect(db.query('SELECT FROM WHERE $1', [1])).rejects.toMatchObject({ code: '42601' });
  });

  it('keeps PGlite\'s page cache by default and takes a configured one (EMBEDDED_DB_CACHE)', async () => {
    expect(await db.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '128MB' }]);
    const other = await openPGliteThread(fs.mkdtempSync(path.join(dir, 'cache-')), { cacheBytes: 48 * 1024 ** 2 });
    try {
      expect(await other.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '48MB' }]);
      // The rest of PGlite's start parameters still hold.
      expect(await other.query('SHOW search_path')).toEqual([{ search_path: 'public' }]);
    } finally {
      await other.close();
    }
  });

  it('creates each new WAL segment without writing its 16 MB of zeros first (wal_init_zero off)', async () => {
    expect(await db.query('SHOW wal_init_zero')).toEqual([{ wal_init_zero: 'off' }]);
    const segments = () => new Set(fs.readdirSync(path.join(dir, 'pg_wal')).filter((name) => /^[0-9A-F]{24}$/.test(name)));
    const before = segments();
    // Write a little, then ask for the next segment: Postgres creates it at once.
    await db.query('INSERT INTO items (id, payload) VALUES ($1, $2)', [9_001, Buffer.alloc(1024)]);
    await db.query('SELECT pg_switch_wal()');
    await db.query('INSERT INTO items (id, payload) VALUES ($1, $2)', [9_002, Buffer.alloc(1024)]);
    const created = [...segments()].filter((name) => !before.has(name));
    expect(created.length).toBeGreaterThan(0);
    for (const name of created) {
      const stat = fs.statSync(path.join(dir, 'pg_wal', name));
      expect(stat.size).toBe(16 * 1024 ** 2);
      // Sparse: only the pages written so far take space on disk, not the whole segment (where the
      // file system reports blocks: Linux here and in CI).
      if (process.platform === 'linux') expect(stat.blocks * 512).toBeLessThan(stat.size / 2);
    }
  });

  it('refuses queries after close', async () => {
    const other = await openPGliteThread(fs.mkdtempSync(path.join(dir, 'second-')));
    await other.close();
    await expect(other.query('SELECT 1')).rejects.toThrow(/exited|closed/);
  });
});
