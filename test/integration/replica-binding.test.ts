// Two replicas on one PostgreSQL database, each with its own embedded chain: the second one is
// refused at start, before it can serve a receipt that points at a chain the first cannot see.
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DATABASE_URL } from '../helpers/postgres';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const SIGNER = `0x${'4c'.repeat(32)}`;

describe.skipIf(!TEST_DATABASE_URL)('replicas must share one deployment', () => {
  const started: ServiceProcess[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    for (const service of started) await service.stop();
    await drop?.();
  });

  it('refuses a replica whose embedded chain is not the chain the database anchors on', async () => {
    const database = await createTestDatabase();
    drop = database.drop;
    const env = { DATABASE_URL: database.url, SIGNER_PRIVATE_KEY: SIGNER };
    started.push(await startServiceProcess({ env }));
    const refusal = await startServiceProcess({ env }).then(
      (second) => {
        started.push(second);
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(refusal).toMatch(/service exited with 1/);
    expect(refusal).toMatch(/this database belongs to another deployment: chain is embedded:[0-9a-f]{32} in the database, embedded:[0-9a-f]{32} here/);
    expect(refusal).toMatch(/Replicas sharing DATABASE_URL must share one chain/);
  }, 120_000);
});
