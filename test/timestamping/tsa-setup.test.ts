// The TSA's credentials at start: generated once and kept, an operator's chain checked against what
// RFC 3161 asks of a TSA certificate, and replicas on one database held to one signing certificate.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TSA_POLICY, type TsaConfig } from '../../src/config/config';
import { createLogger } from '../../src/platform/observability/logger';
import { setUpTimeStampAuthority } from '../../src/timestamping/tsa-setup';
import { certificateSerialNumber, generatedCredentialFiles, loadTsaCredentials } from '../../src/timestamping/tsa-credentials';
import { makeTempDir } from '../helpers/service-process';
import { openTestStores, type TestStores } from '../helpers/stores';
import { opensslOk } from '../helpers/openssl';

const CONFIG: TsaConfig = { policy: DEFAULT_TSA_POLICY, accuracyMs: 1000, auth: 'none', rateLimitPerSecond: 0 };
const logger = createLogger('silent');

describe('generated certificate serial numbers', () => {
  it('are positive DER INTEGERs whatever the random bytes (no leading zero, no sign bit)', () => {
    for (const first of [0x00, 0x01, 0x3f, 0x7f, 0x80, 0xff]) {
      const serial = certificateSerialNumber(new Uint8Array([first, 0x00, 0x12]));
      expect(serial[0]! >= 0x40 && serial[0]! <= 0x7f, `first byte ${first}`).toBe(true);
      expect([...serial.subarray(1)]).toEqual([0x00, 0x12]);
    }
  });
});

describe('TSA credentials and their record in the database', () => {
  let stores: TestStores;
  const dir = makeTempDir('did-notary-tsa-setup-');
  beforeAll(async () => {
    stores = await openTestStores({ dataDir: path.join(dir, 'db') });
  });
  afterAll(() => stores.close());

  const setUp = (dataDir: string, sharedDatabase: boolean, config: TsaConfig = CONFIG) =>
    setUpTimeStampAuthority({ db: stores.db, dataDir, config, sharedDatabase, anchorToken: async () => undefined, logger });

  it('generates a key (mode 0600) and certificate once, and loads the same ones at the next start', async () => {
    const first = await setUp(path.join(dir, 'replica-a'), true);
    expect(first.credentials.source).toBe('generated');
    const { keyFile } = generatedCredentialFiles(path.join(dir, 'replica-a'));
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const again = await setUp(path.join(dir, 'replica-a'), true);
    expect(again.credentials.source).toBe('data-directory');
    expect(Buffer.from(again.certificateChainDer[0]!).equals(Buffer.from(first.certificateChainDer[0]!))).toBe(true);
  });

  it('refuses a replica on a shared database whose generated certificate differs, naming the files to share', async () => {
    await expect(setUp(path.join(dir, 'replica-b'), true)).rejects.toThrow(/another replica on this database signs time stamps with another TSA certificate.*TSA_KEY_FILE and TSA_CERTIFICATE_FILE/);
  });

  it('accepts an operator\'s chain issued by a CA, and refuses certificates RFC 3161 does not allow', async () => {
    const pki = path.join(dir, 'pki');
    fs.mkdirSync(pki);
    fs.writeFileSync(path.join(pki, 'tsa.ext'), 'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n');
    fs.writeFileSync(path.join(pki, 'plain.ext'), 'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
    await opensslOk(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-subj', '/CN=test CA', '-days', '30'], pki);
    await opensslOk(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tsa-key.pem', '-out', 'tsa.csr', '-subj', '/CN=configured TSA'], pki);
    for (const kind of ['tsa', 'plain']) {
      await opensslOk(['x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '30', '-extfile', `${kind}.ext`, '-out', `${kind}-cert.pem`], pki);
      fs.writeFileSync(path.join(pki, `${kind}-chain.pem`), fs.readFileSync(path.join(pki, `${kind}-cert.pem`), 'utf8') + fs.readFileSync(path.join(pki, 'ca.pem'), 'utf8'));
    }
    const configured = { ...CONFIG, keyFile: path.join(pki, 'tsa-key.pem'), certificateFile: path.join(pki, 'tsa-chain.pem') };
    const setup = await setUp(path.join(dir, 'replica-c'), true, configured);
    expect(setup.credentials.source).toBe('configured');
    expect(setup.certificateChainDer).toHaveLength(2);

    expect(() => loadTsaCredentials({ dataDir: dir, keyFile: configured.keyFile, certificateFile: path.join(pki, 'plain-chain.pem') })).toThrow(
      /extended key usage is 1\.3\.6\.1\.5\.5\.7\.3\.1; a TSA certificate has exactly timeStamping/,
    );
    expect(() => loadTsaCredentials({ dataDir: dir, keyFile: path.join(pki, 'ca-key.pem'), certificateFile: configured.certificateFile })).toThrow(/not the TSA key's/);
    fs.writeFileSync(path.join(pki, 'reversed.pem'), fs.readFileSync(path.join(pki, 'ca.pem'), 'utf8') + fs.readFileSync(path.join(pki, 'tsa-cert.pem'), 'utf8'));
    expect(() => loadTsaCredentials({ dataDir: dir, keyFile: configured.keyFile, certificateFile: path.join(pki, 'reversed.pem') })).toThrow(/put the TSA certificate first/);
  });
});
