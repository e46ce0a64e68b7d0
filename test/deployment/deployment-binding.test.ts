// A database remembers the deployment it belongs to, and a replica on another one is refused with
// a message that says what differs and what replicas must share.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindDeployment, bindingDifferences, DeploymentMismatchError, type DeploymentBinding } from '../../src/deployment/deployment-binding';
import { makeTempDir } from '../helpers/service-process';
import { openTestStores, type TestStores } from '../helpers/stores';

const FIRST: DeploymentBinding = {
  chainId: 31337,
  chainInstance: `genesis:0x${'a1'.repeat(32)}`,
  anchorContract: `0x${'5f'.repeat(20)}`,
  didRegistry: `0x${'e7'.repeat(20)}`,
  serviceDid: 'did:ethr:0x7a69:0x1111111111111111111111111111111111111111',
};

describe('deployment binding', () => {
  let stores: TestStores;
  beforeAll(async () => {
    stores = await openTestStores({ dataDir: makeTempDir('did-notary-binding-') });
  });
  afterAll(() => stores.close());

  it('records the first deployment, then accepts the same one (addresses in any case)', async () => {
    expect(await bindDeployment(stores.db, FIRST)).toBe('recorded');
    expect(await bindDeployment(stores.db, FIRST)).toBe('matched');
    expect(await bindDeployment(stores.db, { ...FIRST, anchorContract: FIRST.anchorContract.toUpperCase().replace('0X', '0x') })).toBe('matched');
  });

  it('refuses another chain with the same chain id (a second embedded Anvil), naming what differs', async () => {
    const other = { ...FIRST, chainInstance: `embedded:${'b2'.repeat(16)}` };
    const refusal = await bindDeployment(stores.db, other).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DeploymentMismatchError);
    expect((refusal as DeploymentMismatchError).differences).toEqual([`chain is ${FIRST.chainInstance} in the database, ${other.chainInstance} here`]);
    expect((refusal as Error).message).toMatch(/must share one chain \(the same RPC_URL/);
  });

  it('lists every field that differs', () => {
    const other: DeploymentBinding = { chainId: 1, chainInstance: 'genesis:0x01', anchorContract: '0x02', didRegistry: '0x03', serviceDid: 'did:ethr:0x1:0x04' };
    expect(bindingDifferences(FIRST, other).map((line) => line.split(' is ')[0])).toEqual(['chain id', 'chain', 'anchor contract', 'DID registry', 'service DID']);
  });
});
