import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseDuration, parseSize } from '../../src/config/config';
import { CLI, PROJECT_ROOT } from '../helpers/service-process';

function problemsOf(raw: Parameters<typeof parseConfig>[0]): string[] {
  try {
    parseConfig(raw, '/srv');
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  return [];
}

describe('parseConfig', () => {
  it('gives the embedded defaults with no settings', () => {
    const config = parseConfig({}, '/srv');
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/srv/.did-notary',
      rpcUrls: [],
      batchIntervalMs: 10_000,
      batchMaxSize: 100_000,
      confirmations: 1,
      maxFileBytes: 100 * 1024 * 1024,
      maxHashesPerRequest: 10_000,
      logLevel: 'info',
      embeddedDbCacheBytes: 384 * 1024 ** 2,
    });
    expect(config.databaseUrl).toBeUndefined();
  });

  it('reads every kind of setting', () => {
    const config = parseConfig(
      {
        PORT: '9000',
        DATA_DIR: 'data',
        DATABASE_URL: 'postgres://u:p@db:5432/notary',
        RPC_URL: 'https://rpc-a.example, https://rpc-b.example',
        CHAIN_ID: '11155111',
        ANCHOR_CONTRACT: '0xAbCdEf0123456789abcdef0123456789ABCDEF01',
        SIGNER_PRIVATE_KEY: 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
        BATCH_INTERVAL: '500ms',
        BATCH_MAX_SIZE: '5000',
        CONFIRMATIONS: '3',
        MAX_FILE_SIZE: '2G',
        LOW_BALANCE_ETH: '0.5',
        EMBEDDED_DB_CACHE: '1G',
      },
      '/srv',
    );
    expect(config).toMatchObject({
      port: 9000,
      dataDir: '/srv/data',
      rpcUrls: ['https://rpc-a.example', 'https://rpc-b.example'],
      chainId: 11155111,
      anchorContract: '0xabcdef0123456789abcdef0123456789abcdef01',
      signerPrivateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
      batchIntervalMs: 500,
      batchMaxSize: 5000,
      confirmations: 3,
      maxFileBytes: 2 * 1024 ** 3,
      embeddedDbCacheBytes: 1024 ** 3,
      lowBalanceWei: 5n * 10n ** 17n,
    });
  });

  it.each([
    [{ RPC_URL: 'not a url' }, 'RPC_URL: not a URL: "not a url"'],
    [{ RPC_URL: 'ftp://x' }, 'RPC_URL: must use http: or https: or ws: or wss:, got ftp:'],
    [{ PORT: 'eighty' }, 'PORT: not a whole number: "eighty"'],
    [{ PORT: '70000' }, 'PORT: must be between 0 and 65535, got 70000'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must use postgres: or postgresql:, got mysql:'],
    [{ BATCH_INTERVAL: 'soon' }, 'BATCH_INTERVAL: must be a duration between 50ms and 24h, like 10s, 500ms or 2m'],
    [{ CONFIRMATIONS: '0' }, 'CONFIRMATIONS: must be between 1 and 1000, got 0'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ CHAIN_ID: '5' }, 'CHAIN_ID: only meaningful with RPC_URL (the embedded chain deploys its own)'],
    [{ PUBLIC_RPC_URL: 'https://user:secret@rpc.example' }, 'PUBLIC_RPC_URL: must not carry credentials: it is published to every verifier'],
    [{ MAX_FILE_SIZE: 'big' }, 'MAX_FILE_SIZE: must be a size like 100M, 512k or 1048576'],
    [{ EMBEDDED_DB_CACHE: '2G' }, 'EMBEDDED_DB_CACHE: must be a size between 16M and 1G, like 384M'],
    [{ EMBEDDED_DB_CACHE: '1M' }, 'EMBEDDED_DB_CACHE: must be a size between 16M and 1G, like 384M'],
  ] as const)('rejects %o with one clear line', (raw, expected) => {
    expect(problemsOf(raw)).toEqual([expected]);
  });

  it('requires a contract and a signer with an external chain, and reports all problems at once', () => {
    expect(problemsOf({ RPC_URL: 'https://rpc.example' })).toEqual([
      'ANCHOR_CONTRACT: required with RPC_URL (deploy contracts/DocumentAnchor.sol, see README)',
      'SIGNER_PRIVATE_KEY: required with RPC_URL (or SIGNER_KEY_FILE): the anchoring account must be funded',
    ]);
  });

  it('never echoes a bad private key or URL credentials', () => {
    const lines = problemsOf({ SIGNER_PRIVATE_KEY: 'deadbeefsecret', DATABASE_URL: 'postgres://user:hunter2@[bad' });
    expect(lines.join('\n')).not.toContain('deadbeefsecret');
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines).toEqual(['DATABASE_URL: not a URL: "postgres://***@[bad"', 'SIGNER_PRIVATE_KEY: not a 32-byte hex private key']);
  });

  it('limits public endpoints per client by default and trusts no proxy unless told which', () => {
    const defaults = parseConfig({});
    expect(defaults.publicRateLimitPerSecond).toBe(30);
    expect(defaults.trustProxy).toBe(false);
    expect(parseConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(parseConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(parseConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback,10.0.0.0/8');
    expect(() => parseConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
    expect(() => parseConfig({ PUBLIC_RATE_LIMIT: '-1' })).toThrow(/PUBLIC_RATE_LIMIT/);
  });

  it('delivers webhooks with a day of retries by default, to public HTTPS URLs only unless hosts are allowed', () => {
    expect(parseConfig({}, '/srv').webhooks).toEqual({
      allowedHosts: [],
      allowHttp: false,
      timeoutMs: 10_000,
      pollIntervalMs: 1_000,
      retryDelayMs: 5_000,
      retryMaxDelayMs: 3_600_000,
      retryForMs: 86_400_000,
      disableAfterMs: 86_400_000,
    });
    const tests = parseConfig({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1, Hooks.Intranet', WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_RETRY_DELAY: '100ms', WEBHOOK_RETRY_FOR: '72h', WEBHOOK_DISABLE_AFTER: '0' }, '/srv').webhooks;
    expect(tests).toMatchObject({ allowedHosts: ['127.0.0.1', 'hooks.intranet'], allowHttp: true, retryDelayMs: 100, retryForMs: 259_200_000, disableAfterMs: 0 });
    expect(problemsOf({ WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_TIMEOUT: '5m', WEBHOOK_RETRY_DELAY: '2h', WEBHOOK_RETRY_MAX_DELAY: '1h', WEBHOOK_POLL_INTERVAL: 'often' })).toEqual([
      'WEBHOOK_TIMEOUT: must be a duration between 100ms and 2m, like 500ms, 10s, 5m or 24h',
      'WEBHOOK_POLL_INTERVAL: must be a duration between 10ms and 10m, like 500ms, 10s, 5m or 24h',
      'WEBHOOK_ALLOW_HTTP: only meaningful with WEBHOOK_ALLOWED_HOSTS (plain http is never allowed to other hosts)',
      'WEBHOOK_RETRY_MAX_DELAY: must not be shorter than WEBHOOK_RETRY_DELAY',
    ]);
  });

  it('reads CHAINS: remote chains with one URL or several, and a second embedded chain', () => {
    const contract = '0x' + 'Ab'.repeat(20);
    const config = parseConfig(
      {
        CONFIRMATIONS: '2',
        CHAINS: JSON.stringify([
          { rpcUrl: ['https://a.example/rpc', 'wss://b.example/ws'], chainId: 8453, anchorContract: contract, confirmations: 5, publicRpcUrl: 'https://public.example' },
          { rpcUrl: 'https://c.example/rpc', anchorContract: contract },
          { embedded: true, chainId: 31338 },
        ]),
      },
      '/srv',
    );
    expect(config.extraChains).toEqual([
      { embedded: false, rpcUrls: ['https://a.example/rpc', 'wss://b.example/ws'], chainId: 8453, anchorContract: contract.toLowerCase(), confirmations: 5, publicRpcUrl: 'https://public.example' },
      // The primary chain's confirmations are the default; the chain id is then read from the node.
      { embedded: false, rpcUrls: ['https://c.example/rpc'], chainId: undefined, anchorContract: contract.toLowerCase(), confirmations: 2, publicRpcUrl: undefined },
      { embedded: true, rpcUrls: [], chainId: 31338, anchorContract: undefined, confirmations: 2, publicRpcUrl: undefined },
    ]);
    expect(parseConfig({}, '/srv').extraChains).toEqual([]);
  });

  it('refuses a malformed CHAINS with one line naming the chain and what is wrong', () => {
    const contract = '0x' + '12'.repeat(20);
    const cases: Array<[unknown, RegExp]> = [
      ['[{', /^CHAINS: not JSON/],
      [{ rpcUrl: 'https://a.example' }, /^CHAINS: must be a JSON list of chains/],
      [[42], /^CHAINS: chain 1 must be an object/],
      [[{ rpcUrl: 'https://a.example', anchorContract: contract, gasPrice: 1 }], /^CHAINS: chain 1 has unknown fields: gasPrice/],
      [[{ rpcUrl: 'ftp://a.example', anchorContract: contract }], /^CHAINS: chain 1: rpcUrl must be an http\(s\) or ws\(s\) URL/],
      [[{ anchorContract: contract }], /^CHAINS: chain 1: give either rpcUrl or "embedded": true/],
      [[{ embedded: true, rpcUrl: 'https://a.example', chainId: 5 }], /^CHAINS: chain 1: give either rpcUrl or "embedded": true/],
      [[{ embedded: 'yes', chainId: 5 }], /^CHAINS: chain 1: embedded must be true or false/],
      [[{ embedded: true }], /^CHAINS: chain 1: an embedded chain needs its chainId/],
      [[{ rpcUrl: 'https://a.example', anchorContract: contract, chainId: 0 }], /^CHAINS: chain 1: chainId must be a positive integer/],
      [[{ rpcUrl: 'https://a.example' }], /^CHAINS: chain 1: anchorContract is required with rpcUrl/],
      [[{ rpcUrl: 'https://a.example', anchorContract: '0x12' }], /^CHAINS: chain 1: anchorContract is not an address/],
      [[{ rpcUrl: 'https://a.example', anchorContract: contract, confirmations: 0 }], /^CHAINS: chain 1: confirmations must be between 1 and 1000/],
      [[{ embedded: true, chainId: 5 }, { rpcUrl: 'https://a.example', anchorContract: contract, publicRpcUrl: 'https://user:pw@a.example' }], /^CHAINS: chain 2: publicRpcUrl must be an http\(s\) URL without credentials/],
    ];
    for (const [value, expected] of cases) {
      const problems = problemsOf({ CHAINS: typeof value === 'string' ? value : JSON.stringify(value) });
      expect(problems, JSON.stringify(value)).toHaveLength(1);
      expect(problems[0], JSON.stringify(value)).toMatch(expected);
    }
  });

  it('parses durations and sizes', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('250')).toBe(250);
    expect(parseDuration('x')).toBeUndefined();
    expect(parseSize('512k')).toBe(524_288);
    expect(parseSize('1MiB')).toBe(1_048_576);
    expect(parseSize('12')).toBe(12);
  });
});

describe('did-notary serve with a bad configuration', () => {
  it('prints one line per problem and exits 2 before starting anything', () => {
    const result = spawnSync(process.execPath, [CLI, 'serve', '--port', 'x', '--rpc-url', 'nope'], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, BATCH_INTERVAL: 'soon' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      'PORT: not a whole number: "x"',
      'RPC_URL: not a URL: "nope"',
      'BATCH_INTERVAL: must be a duration between 50ms and 24h, like 10s, 500ms or 2m',
    ]);
  });
});
