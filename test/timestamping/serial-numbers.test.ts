// Serial numbers of time-stamp tokens: unique under concurrent takes, with a database write per block
// and not per token, unique across replicas on one PostgreSQL database, and increasing across a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServiceDatabase } from '../../src/schema';
import { SerialNumbers, type SerialBlockSource } from '../../src/timestamping/serial-numbers';
import { SqlSerialBlocks } from '../../src/timestamping/sql/tsa-store';
import type { SqlClient } from '../../src/platform/database/sql-client';
import { createTestDatabase, TEST_DATABASE_URL } from '../helpers/postgres';

/** A block source in memory that counts its reservations and can be told to fail once. */
function countingSource(): SerialBlockSource & { reservations: number; failNext: boolean } {
  let next = 1n;
  const source = {
    reservations: 0,
    failNext: false,
    async reserveBlock(size: number): Promise<bigint> {
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (source.failNext) {
        source.failNext = false;
        throw new Error('the database is gone');
      }
      source.reservations += 1;
      const first = next;
      next += BigInt(size);
      return first;
    },
  };
  return source;
}

describe('time-stamp serial numbers', () => {
  it('hands out unique, increasing numbers, reserving a block at a time and the next one ahead', async () => {
    const source = countingSource();
    const serials = new SerialNumbers(source, 16);
    const taken = await Promise.all(Array.from({ length: 100 }, () => serials.take()));
    expect(new Set(taken).size).toBe(100);
    const sequential: bigint[] = [];
    for (let i = 0; i < 100; i += 1) sequential.push(await serials.take());
    expect(sequential).toEqual([...sequential].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set([...taken, ...sequential]).size).toBe(200);
    // 200 numbers in blocks of 16: 13 blocks, plus at most one reserved ahead.
    expect(source.reservations).toBeGreaterThanOrEqual(13);
    expect(source.reservations).toBeLessThanOrEqual(14);
  });

  it('reports a failed reservation to the caller that needed it, and recovers with the next take', async () => {
    const source = countingSource();
    const serials = new SerialNumbers(source, 4);
    source.failNext = true;
    await expect(serials.take()).rejects.toThrow('the database is gone');
    expect(await serials.take()).toBe(1n);
  });
});

describe.skipIf(!TEST_DATABASE_URL)('time-stamp serial numbers on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const clients: SqlClient[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    // Two replicas: two processes' connections to one database.
    for (let i = 0; i < 2; i += 1) clients.push(await openServiceDatabase({ dataDir: '', databaseUrl: database.url }));
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await database?.drop();
  });

  it('never gives two replicas the same number, and a restarted replica continues above them', async () => {
    const replicas = clients.map((client) => new SerialNumbers(new SqlSerialBlocks(client), 8));
    const taken = await Promise.all(replicas.flatMap((replica) => Array.from({ length: 300 }, () => replica.take())));
    expect(new Set(taken).size).toBe(600);
    const restarted = new SerialNumbers(new SqlSerialBlocks(clients[0]!), 8);
    const after = await restarted.take();
    expect(taken.every((serial) => serial < after)).toBe(true);
  });
});
