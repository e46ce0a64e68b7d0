// `did-notary keys create|list|revoke`: API keys, through a running service (--server) or directly on
// the store; `keys rotate-signer`: the service's signing keys, through a running service.
import { Command, Option } from 'commander';
import { createApiKey } from '../access/api-keys';
import { SCOPES, type ApiKeyRecord, type Scope } from '../access/api-keys';
import { SqlApiKeyStore } from '../access/sql/api-key-store';
import { revokeAndAnnounce } from '../access/key-revocations';
import { openServiceDatabase } from '../schema';
import { serviceRequest } from './credential';
import { apiKeyOption, serverOption } from './service-options';
import { addSettingOptions, configFromCommand } from './settings-options';

interface KeyView {
  id: string;
  tenant: string;
  scopes: string[];
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

interface KeysBackend {
  create(tenant: string, scopes: Scope[], label?: string): Promise<KeyView & { secret: string }>;
  list(): Promise<KeyView[]>;
  revoke(id: string): Promise<boolean>;
  close(): Promise<void>;
}

export function registerKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description('manage API keys (through a running service with --server, or directly on a stopped one\'s store), and rotate the service\'s signing keys');
  const withBackendOptions = (command: Command) =>
    addSettingOptions(command, ['DATA_DIR', 'DATABASE_URL'])
      .addOption(new Option('--server <url>', 'base URL of a running service (uses its admin API)').env('DID_NOTARY_SERVER'))
      .addOption(new Option('--api-key <key>', 'admin API key for --server').env('DID_NOTARY_API_KEY'))
      .option('--json', 'print JSON');

  withBackendOptions(
    keys
      .command('create')
      .description('create a key for a tenant; prints its secret once')
      .requiredOption('--tenant <id>', 'tenant the key belongs to (created if new)')
      .option('--scopes <list>', `comma-separated scopes: ${SCOPES.join(', ')}`, 'notarize')
      .option('--label <text>', 'a note to recognise the key by'),
  ).action(async (options: Record<string, string | boolean | undefined>) => {
    const scopes = String(options.scopes)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (scopes.length === 0 || unknown.length > 0) usage(`unknown scope(s): ${unknown.join(', ') || '(none given)'}; use ${SCOPES.join(', ')}`);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/.test(String(options.tenant))) usage('--tenant: letters, digits, ".", "_" and "-", at most 63');
    const backend = await openBackend(options);
    try {
      const created = await backend.create(String(options.tenant), scopes as Scope[], options.label as string | undefined);
      if (options.json) console.log(JSON.stringify(created, null, 2));
      else {
        console.log(`created ${created.id} for tenant ${created.tenant} with scopes ${created.scopes.join(',')}`);
        console.log(`secret (shown once): ${created.secret}`);
      }
    } finally {
      await backend.close();
    }
  });

  withBackendOptions(keys.command('list').description('list keys (never their secrets)')).action(
    async (options: Record<string, string | boolean | undefined>) => {
      const backend = await openBackend(options);
      try {
        const list = await backend.list();
        if (options.json) console.log(JSON.stringify(list, null, 2));
        else {
          console.log(['id', 'tenant', 'scopes', 'created', 'revoked', 'label'].join('\t'));
          for (const k of list) {
            console.log([k.id, k.tenant, k.scopes.join(','), k.createdAt, k.revokedAt ?? '-', k.label ?? ''].join('\t'));
          }
        }
      } finally {
        await backend.close();
      }
    },
  );

  withBackendOptions(keys.command('revoke').description('revoke a key by id').argument('<id>', 'key id (from keys list)')).action(
    async (id: string, options: Record<string, string | boolean | undefined>) => {
      const backend = await openBackend(options);
      try {
        if (!(await backend.revoke(id))) {
          process.stderr.write(`no active key ${id}\n`);
          process.exitCode = 1;
          return;
        }
        console.log(`revoked ${id}`);
      } finally {
        await backend.close();
      }
    },
  );

  keys
    .command('rotate-signer')
    .description(
      'rotate the service\'s signing keys through a running service (admin): new ES256K and ES256 keys sign from now on; its did:ethr takes ' +
        'the new ES256K key on the ERC-1056 registry, and the did:web document and JWT VC issuer metadata publish the new keys beside the old ones, ' +
        'so everything signed before still verifies',
    )
    .addOption(serverOption().makeOptionMandatory())
    .addOption(apiKeyOption('"admin"'))
    .addOption(new Option('--only <alg>', 'rotate only one key: ES256K (did:ethr, W3C credentials, anchoring) or ES256 (SD-JWT VCs, did:web)').choices(['ES256K', 'ES256']))
    .addOption(new Option('--did-ethr <mode>', 'delegate: the new key becomes a veriKey delegate of the did:ethr; owner: it becomes the owner (the old one a delegate)').choices(['delegate', 'owner']).default('delegate'))
    .option('--keep-balance', 'leave the old anchoring account\'s ether where it is (by default it moves to the new account)')
    .option('--json', 'print the service\'s JSON answer')
    .action(async (options: { server: string; apiKey: string; only?: 'ES256K' | 'ES256'; didEthr: string; keepBalance?: boolean; json?: boolean }) => {
      process.stderr.write('rotating the signing keys (this waits for the chain)…\n');
      const rotation = await serviceRequest<{ rotated: Array<{ alg: string; previous: string; current: string }>; transactions: Array<{ purpose: string; hash: string }> }>(
        options.server,
        'POST',
        '/v1/signing-keys/rotate',
        {
          apiKey: options.apiKey,
          body: { ...(options.only ? { algorithms: [options.only] } : {}), didEthr: options.didEthr, moveBalance: !options.keepBalance },
        },
      );
      if (options.json) console.log(JSON.stringify(rotation, null, 2));
      else {
        for (const { alg, previous, current } of rotation.rotated) console.log(`${alg}: ${previous} → ${current}`);
        for (const { purpose, hash } of rotation.transactions) console.log(`  ${hash}  ${purpose}`);
      }
    });
}

function usage(message: string): never {
  process.stderr.write(`did-notary keys: ${message}\n`);
  process.exit(2);
}

async function openBackend(options: Record<string, unknown>): Promise<KeysBackend> {
  if (typeof options.server === 'string') {
    if (typeof options.apiKey !== 'string') usage('--server needs --api-key (or DID_NOTARY_API_KEY)');
    return httpBackend(options.server, options.apiKey);
  }
  const config = configFromCommand(options);
  const db = await openServiceDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, embeddedCacheBytes: config.embeddedDbCacheBytes });
  const store = new SqlApiKeyStore(db);
  const view = (k: ApiKeyRecord): KeyView => ({
    id: k.id,
    tenant: k.tenantId,
    scopes: k.scopes,
    label: k.label,
    createdAt: k.createdAt.toISOString(),
    revokedAt: k.revokedAt?.toISOString() ?? null,
  });
  return {
    async create(tenant, scopes, label) {
      const created = await createApiKey(store, { tenantId: tenant, scopes, label });
      return { ...view(created.record), secret: created.secret };
    },
    async list() {
      return (await store.listApiKeys()).map(view);
    },
    revoke: (id) => revokeAndAnnounce(store, db, id),
    close: () => db.close(),
  };
}

function httpBackend(server: string, apiKey: string): KeysBackend {
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const response = await fetch(new URL(path, server), {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok && response.status !== 404) {
      const problem = (await response.json().catch(() => ({}))) as { detail?: string };
      throw new Error(`${method} ${path}: ${response.status} ${problem.detail ?? response.statusText}`);
    }
    return response;
  };
  return {
    async create(tenant, scopes, label) {
      return (await (await call('POST', '/v1/keys', { tenant, scopes, ...(label ? { label } : {}) })).json()) as KeyView & { secret: string };
    },
    async list() {
      return ((await (await call('GET', '/v1/keys')).json()) as { keys: KeyView[] }).keys;
    },
    async revoke(id) {
      return (await call('DELETE', `/v1/keys/${encodeURIComponent(id)}`)).status === 204;
    },
    async close() {},
  };
}
