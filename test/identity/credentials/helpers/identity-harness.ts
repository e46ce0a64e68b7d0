// A test-only composition of the identity feature: real Anvil with the ERC-1056 registry, a real
// embedded store, the real routes behind the OpenAPI validator (responses validated too), real HTTP.
import { connectEmbeddedChain } from '../../../../src/platform/chain/embedded-anvil/embedded-provider';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import { JsonRpcProvider, Wallet } from 'ethers';
import { ApiKeyAuthenticator, createApiKey } from '../../../../src/access/api-keys';
import { ensureEmbeddedDeployment } from '../../../../src/platform/chain/deployment';
import { ANVIL_DEV_FUNDER_KEY, startEmbeddedAnvil } from '../../../../src/platform/chain/embedded-anvil/embedded-anvil';
import { createIdentityServices, type IdentityServices, type IdentityServicesOptions } from '../../../../src/identity/identity-services';
import { loadServiceKeys } from '../../../../src/identity/keys/service-keys';
import { ServiceKeyStore } from '../../../../src/identity/sql/service-key-store';
import { RequestGuard, requireScope } from '../../../../src/http/guards';
import { HttpProblem } from '../../../../src/http/problems';
import { problemErrorHandler } from '../../../../src/http/responses';
import { credentialRoutes } from '../../../../src/http/routes/credentials';
import { didRoutes } from '../../../../src/http/routes/dids';
import { signingKeyRoutes } from '../../../../src/http/routes/signing-keys';
import { DidRegistryWriter } from '../../../../src/platform/chain/did-registry-writer';
import { createLogger } from '../../../../src/platform/observability/logger';
import { makeTempDir } from '../../../helpers/service-process';
import { openTestStores, type TestStores } from '../../../helpers/stores';
import { SERVICE_SCHEMA } from '../../../../src/schema';

export const OPENAPI = path.join(__dirname, '..', '..', '..', '..', 'openapi.yaml');

export interface IdentityHarness {
  url: string;
  rpcUrl: string;
  chainId: number;
  didRegistry: string;
  provider: JsonRpcProvider;
  services: IdentityServices;
  /** The service key, for tests that sign as the service in another way (ES256K-R). */
  signerPrivateKey: string;
  stores: TestStores;
  /** `issue`-scoped keys of two tenants, and an admin key. */
  keys: { acme: string; other: string; admin: string };
  /** Digests passed to the notarize callback. */
  notarized: Uint8Array[];
  /** Shifts the services' clock (ms). */
  clock: { offsetMs: number };
  stop(): Promise<void>;
}

export async function startIdentityHarness(overrides: Partial<IdentityServicesOptions> = {}): Promise<IdentityHarness> {
  const dataDir = makeTempDir('did-notary-identity-');
  const anvil = await startEmbeddedAnvil({ dataDir });
  const provider = connectEmbeddedChain(anvil, 100);
  const signerPrivateKey = Wallet.createRandom().privateKey;
  const deployment = await ensureEmbeddedDeployment({
    dataDir,
    provider,
    funder: new Wallet(ANVIL_DEV_FUNDER_KEY, provider),
    signerAddress: new Wallet(signerPrivateKey).address,
  });
  const stores = await openStoreFromTemplate(dataDir);
  const keys = {
    acme: (await createApiKey(stores.keys, { tenantId: 'acme', scopes: ['issue'] })).secret,
    other: (await createApiKey(stores.keys, { tenantId: 'other', scopes: ['issue'] })).secret,
    admin: (await createApiKey(stores.keys, { tenantId: 'admin', scopes: ['admin'] })).secret,
  };
  let baseUrl = '';
  const notarized: Uint8Array[] = [];
  const clock = { offsetMs: 0 };
  const keyLoading = { store: new ServiceKeyStore(stores.db), keysDir: path.join(dataDir, 'keys'), signerPrivateKey };
  const serviceKeys = await loadServiceKeys(keyLoading);
  const services = createIdentityServices({
    db: stores.db,
    keys: serviceKeys,
    chainId: anvil.chainId,
    ethrNetworks: [{ chainId: anvil.chainId, registry: deployment.didRegistry, provider }],
    baseUrl: () => baseUrl,
    didWebAllowedHosts: ['127.0.0.1', 'localhost'],
    fetch: { allowHttpForAllowedHosts: true, timeoutMs: 2_000 },
    notarize: async (digest) => {
      notarized.push(digest);
    },
    now: () => Date.now() + clock.offsetMs,
    // No notary here: nothing anchors while a rotation runs, and there is no other replica to tell.
    rotation: { ...keyLoading, chain: new DidRegistryWriter(provider, deployment.didRegistry), exclusive: (work) => work(), announce: async () => undefined },
    ...overrides,
  });

  const logger = createLogger(process.env.HARNESS_LOG ?? 'silent');
  const app = express();
  app.use(express.json({ limit: '4mb', strict: true, type: ['application/json', 'application/*+json'] }));
  app.use(
    OpenApiValidator.middleware({
      apiSpec: OPENAPI,
      validateRequests: { allowUnknownQueryParameters: false },
      validateResponses: { onError: (error) => { throw error; } },
      validateSecurity: false,
      fileUploader: false,
      ignoreUndocumented: false,
    }),
  );
  credentialRoutes(app, { identity: services }, requireScope(new RequestGuard(new ApiKeyAuthenticator(stores.keys), 0), 'issue'));
  didRoutes(app, { identity: services });
  signingKeyRoutes(app, { identity: services }, requireScope(new RequestGuard(new ApiKeyAuthenticator(stores.keys), 0), 'admin'));
  app.use((req, _res, next) => next(new HttpProblem('not-found', `no route for ${req.method} ${req.path}`)));
  app.use(problemErrorHandler(logger));
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    rpcUrl: anvil.rpcUrl,
    chainId: anvil.chainId,
    didRegistry: deployment.didRegistry,
    provider,
    services,
    signerPrivateKey,
    stores,
    keys,
    notarized,
    clock,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      provider.destroy();
      await stores.close();
      await anvil.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A JSON request to the harness; `key` is the bearer API key. */
export async function call(
  harness: Pick<IdentityHarness, 'url'>,
  method: string,
  pathname: string,
  options: { body?: unknown; key?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const response = await fetch(`${harness.url}${pathname}`, {
    method,
    headers: {
      ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/**
 * A migrated embedded store, copied from a template built once per migrations version: creating a
 * PGlite cluster (initdb) takes 4 to 20 s on a busy machine, copying one well under a second.
 */
export async function openStoreFromTemplate(dataDir: string): Promise<TestStores> {
  const root = path.join(__dirname, '..', '..', '..', '..');
  const key = createHash('sha256')
    .update(fs.readFileSync(path.join(root, 'src', 'platform', 'database', 'migrations.ts')))
    .update(SERVICE_SCHEMA.map((feature) => JSON.stringify(feature)).join('\n'))
    .update(fs.readFileSync(path.join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json')))
    .digest('hex')
    .slice(0, 16);
  const prefix = 'did-notary-test-store-template-';
  const template = path.join(os.tmpdir(), `${prefix}${key}`);
  const lock = `${template}.lock`;
  for (const deadline = Date.now() + 120_000; !fs.existsSync(path.join(template, 'ready')); ) {
    let building: string | undefined;
    try {
      fs.mkdirSync(lock); // one worker builds, the others wait for it
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${template}`);
      const lockAge = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (lockAge > 120_000) fs.rmSync(lock, { recursive: true, force: true }); // left by a killed run
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      building = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}building-`));
      await (await openTestStores({ dataDir: building })).close();
      fs.writeFileSync(path.join(building, 'ready'), '');
      fs.rmSync(template, { recursive: true, force: true });
      fs.renameSync(building, template);
      for (const old of fs.readdirSync(os.tmpdir())) {
        if (old.startsWith(prefix) && !old.startsWith(`${prefix}${key}`) && !old.includes('building')) {
          fs.rmSync(path.join(os.tmpdir(), old), { recursive: true, force: true });
        }
      }
    } finally {
      if (building) fs.rmSync(building, { recursive: true, force: true });
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
  fs.cpSync(path.join(template, 'db'), path.join(dataDir, 'db'), { recursive: true });
  return openTestStores({ dataDir });
}
