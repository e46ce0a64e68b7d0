// One typed configuration, parsed and validated once at start from the environment and CLI flags.
// The rest of the code receives a Config and never reads process.env: settings are read and checked
// in one place, and a test can hand any part of the service the settings it needs.
import path from 'node:path';

/** Validated service settings (each documented in README.md, "Configuration"). */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** PostgreSQL URL; absent → embedded PGlite store in dataDir. */
  databaseUrl?: string;
  /** Page cache of the embedded store (its Postgres shared_buffers), bytes. */
  embeddedDbCacheBytes: number;
  /** JSON-RPC URLs of an external chain, tried in order; empty → embedded Anvil kept in dataDir. */
  rpcUrls: string[];
  chainId?: number;
  anchorContract?: string;
  didRegistry?: string;
  signerPrivateKey?: string;
  signerKeyFile?: string;
  /** RPC URL handed to verifiers in /v1/info; never one carrying credentials. */
  publicRpcUrl?: string;
  /** Public base URL of the service; its host names the did:web identity. */
  publicUrl?: string;
  batchIntervalMs: number;
  batchMaxSize: number;
  confirmations: number;
  maxFileBytes: number;
  maxHashesPerRequest: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Hosts did:web may resolve to although private or loopback (tests, intranets). */
  didWebAllowedHosts: string[];
  /** Requests per second allowed per API key (token bucket); 0 disables the limit. */
  rateLimitPerSecond: number;
  /** Per client address, on the public endpoints that cost upstream work (0: none). */
  publicRateLimitPerSecond: number;
  /** Express's `trust proxy`: which peers may name the client in X-Forwarded-For. */
  trustProxy: boolean | number | string;
  /** Signer balance (in wei) below which the service reports itself degraded. */
  lowBalanceWei: bigint;
  /** Check every response against openapi.yaml too (development and tests; costs time). */
  validateResponses: boolean;
  /** The RFC 3161 time-stamp authority at POST /tsa. */
  tsa: TsaConfig;
  /** Delivery of tenants' webhooks (README, "Webhooks"). */
  webhooks: {
    /** Hosts webhook URLs may reach although private or loopback (tests, intranets). */
    allowedHosts: string[];
    /** Allow-listed hosts may also be reached over plain http (tests, intranets). */
    allowHttp: boolean;
    /** Deadline of one delivery attempt. */
    timeoutMs: number;
    /** Longest wait before a replica looks for due deliveries (events committed elsewhere, retries). */
    pollIntervalMs: number;
    /** Delay before the first retry; doubled for each next one, up to retryMaxDelayMs, with jitter. */
    retryDelayMs: number;
    retryMaxDelayMs: number;
    /** A delivery is retried for this long after its first attempt, then given up. */
    retryForMs: number;
    /** An endpoint whose attempts all failed for this long (5 at least) is turned off. */
    disableAfterMs: number;
  };
  /** Chains to anchor on besides the primary one (CHAINS). */
  extraChains: ExtraChainSettings[];
  /** The transparency log's origin for a new database (a database keeps the one it first recorded). */
  logOrigin?: string;
  /** File holding the log's Ed25519 seed (base64); default `<dataDir>/log-key`, generated when absent. */
  logKeyFile?: string;
  /** JSON file of the credential configurations wallets can receive (default: one identity credential per format). */
  walletCredentialsFile?: string;
}

/**
 * An anchoring chain besides the primary one (which RPC_URL, or the embedded chain, is): every sealed
 * batch is anchored on each, at each chain's pace. The service's signer key signs on all of them.
 */
export interface ExtraChainSettings {
  /** A second embedded Anvil in DATA_DIR (tests and demos), instead of RPC URLs. */
  embedded: boolean;
  /** JSON-RPC URLs, tried in order (failover). */
  rpcUrls: string[];
  /** Expected chain id (required for an embedded chain: its Anvil serves it). */
  chainId?: number;
  /** DocumentAnchor address on that chain (required unless embedded). */
  anchorContract?: string;
  confirmations: number;
  /** RPC URL published to verifiers for this chain. */
  publicRpcUrl?: string;
}

/** Settings of the time-stamp authority (README.md, "RFC 3161 time stamps"). */
export interface TsaConfig {
  /** Policy OID stated in every token; requests naming another policy are rejected. */
  policy: string;
  /** Accuracy of genTime stated in tokens, milliseconds (0: none stated). */
  accuracyMs: number;
  /** The operator's TSA key and certificate chain (both or neither); absent: generated into dataDir. */
  keyFile?: string;
  certificateFile?: string;
  /** `api-key`: POST /tsa needs a key with the `timestamp` scope; `none`: open to anyone. */
  auth: 'none' | 'api-key';
  /** Queries per second per client address on each replica (0: no limit). */
  rateLimitPerSecond: number;
}

/**
 * The default TSA policy OID: a UUID-based OID under the 2.25 arc (ITU-T X.667), which anyone may use
 * without registering it. A placeholder: an operator states the TSA's own policy in TSA_POLICY.
 */
export const DEFAULT_TSA_POLICY = '2.25.75792755104331145319500195820232060075';

/** One setting that failed validation; rendered as `NAME: message`. */
export interface ConfigProblem {
  setting: string;
  message: string;
}

export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.setting}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Each setting: its environment name, CLI flag and description (used for --help and the README). */
export const SETTINGS = [
  { env: 'PORT', flag: 'port', help: 'HTTP port', default: '8080' },
  { env: 'HOST', flag: 'host', help: 'interface to listen on', default: '127.0.0.1' },
  { env: 'DATA_DIR', flag: 'data-dir', help: 'directory for the embedded database, chain, keys', default: './.did-notary' },
  { env: 'DATABASE_URL', flag: 'database-url', help: 'PostgreSQL URL (absent: embedded store in DATA_DIR)' },
  { env: 'EMBEDDED_DB_CACHE', flag: 'embedded-db-cache', help: 'page cache of the embedded store, 16M to 1G (held from start; about 100 bytes per document)', default: '384M' },
  { env: 'RPC_URL', flag: 'rpc-url', help: 'JSON-RPC URL(s) of the chain, comma-separated for failover (absent: embedded Anvil)' },
  { env: 'CHAIN_ID', flag: 'chain-id', help: 'expected chain id of RPC_URL' },
  { env: 'ANCHOR_CONTRACT', flag: 'anchor-contract', help: 'DocumentAnchor contract address (required with RPC_URL)' },
  { env: 'DID_REGISTRY', flag: 'did-registry', help: 'ERC-1056 registry address (default: the canonical one)' },
  { env: 'SIGNER_PRIVATE_KEY', flag: 'signer-private-key', help: 'hex private key of the service signer' },
  { env: 'SIGNER_KEY_FILE', flag: 'signer-key-file', help: 'file holding the signer key (default: generated into DATA_DIR)' },
  { env: 'PUBLIC_RPC_URL', flag: 'public-rpc-url', help: 'RPC URL published to verifiers in /v1/info' },
  { env: 'PUBLIC_URL', flag: 'public-url', help: 'public base URL of the service (names the did:web identity)' },
  { env: 'BATCH_INTERVAL', flag: 'batch-interval', help: 'seal and anchor the open batch this often (e.g. 10s, 500ms, 2m)', default: '10s' },
  { env: 'BATCH_MAX_SIZE', flag: 'batch-max-size', help: 'seal a batch when it reaches this many documents', default: '100000' },
  { env: 'CONFIRMATIONS', flag: 'confirmations', help: 'blocks to wait before an anchor counts', default: '1' },
  { env: 'MAX_FILE_SIZE', flag: 'max-file-size', help: 'largest uploaded file, bytes (suffixes k, M, G)', default: '100M' },
  { env: 'MAX_HASHES_PER_REQUEST', flag: 'max-hashes-per-request', help: 'largest hashes list in one request', default: '10000' },
  { env: 'LOG_LEVEL', flag: 'log-level', help: 'fatal, error, warn, info, debug, trace or silent', default: 'info' },
  { env: 'DID_WEB_ALLOWED_HOSTS', flag: 'did-web-allowed-hosts', help: 'comma-separated hosts did:web may reach although private/loopback' },
  { env: 'RATE_LIMIT', flag: 'rate-limit', help: 'requests per second per API key, on each replica (0: no limit)', default: '200' },
  { env: 'PUBLIC_RATE_LIMIT', flag: 'public-rate-limit', help: 'requests per second per client address to the public endpoints that call the chain or fetch DIDs, and /metrics, on each replica (0: no limit)', default: '30' },
  { env: 'TRUST_PROXY', flag: 'trust-proxy', help: 'proxies whose X-Forwarded-For names the client: false, true, a hop count, or addresses/subnets (e.g. loopback,10.0.0.0/8)', default: 'false' },
  { env: 'LOW_BALANCE_ETH', flag: 'low-balance-eth', help: 'signer balance below which /health reports degraded', default: '0.01' },
  { env: 'VALIDATE_RESPONSES', flag: 'validate-responses', help: 'also check responses against openapi.yaml (true/false; for development)', default: 'false' },
  { env: 'TSA_POLICY', flag: 'tsa-policy', help: 'policy OID stated in time-stamp tokens (default: a placeholder under 2.25; state your own)', default: DEFAULT_TSA_POLICY },
  { env: 'TSA_ACCURACY', flag: 'tsa-accuracy', help: 'accuracy of the time in time-stamp tokens (e.g. 1s, 500ms; 0: not stated)', default: '1s' },
  { env: 'TSA_KEY_FILE', flag: 'tsa-key-file', help: 'PEM private key of the time-stamp authority (with TSA_CERTIFICATE_FILE; default: generated into DATA_DIR/tsa)' },
  { env: 'TSA_CERTIFICATE_FILE', flag: 'tsa-certificate-file', help: 'PEM certificate chain of the TSA key, TSA certificate first (with TSA_KEY_FILE)' },
  { env: 'TSA_AUTH', flag: 'tsa-auth', help: 'none (POST /tsa open to anyone) or api-key (a key with the timestamp scope, as Bearer or Basic password)', default: 'none' },
  { env: 'TSA_RATE_LIMIT', flag: 'tsa-rate-limit', help: 'time-stamp queries per second per client address, on each replica (0: no limit)', default: '100' },
  { env: 'WEBHOOK_ALLOWED_HOSTS', flag: 'webhook-allowed-hosts', help: 'comma-separated hosts webhook URLs may reach although private/loopback' },
  { env: 'WEBHOOK_ALLOW_HTTP', flag: 'webhook-allow-http', help: 'let webhook URLs of WEBHOOK_ALLOWED_HOSTS use plain http (true/false; tests, intranets)', default: 'false' },
  { env: 'WEBHOOK_TIMEOUT', flag: 'webhook-timeout', help: 'deadline of one webhook delivery attempt', default: '10s' },
  { env: 'WEBHOOK_POLL_INTERVAL', flag: 'webhook-poll-interval', help: 'longest wait before a replica looks for due webhook deliveries', default: '1s' },
  { env: 'WEBHOOK_RETRY_DELAY', flag: 'webhook-retry-delay', help: 'delay before the first webhook retry, doubled for each next one (with jitter)', default: '5s' },
  { env: 'WEBHOOK_RETRY_MAX_DELAY', flag: 'webhook-retry-max-delay', help: 'longest delay between two webhook attempts', default: '1h' },
  { env: 'WEBHOOK_RETRY_FOR', flag: 'webhook-retry-for', help: 'retry a webhook delivery for this long after its first attempt, then give it up', default: '24h' },
  { env: 'WEBHOOK_DISABLE_AFTER', flag: 'webhook-disable-after', help: 'turn off a webhook endpoint whose attempts all failed for this long (5 at least)', default: '24h' },
  { env: 'CHAINS', flag: 'chains', help: 'more anchoring chains, as JSON: [{"rpcUrl": "https://…" (or a list), "chainId": 8453, "anchorContract": "0x…", "confirmations": 3, "publicRpcUrl": "…"}] or {"embedded": true, "chainId": 31338} for a second embedded chain' },
  { env: 'LOG_ORIGIN', flag: 'log-origin', help: 'name of the transparency log (first line of its checkpoints), fixed at the first start on a database (default: <PUBLIC_URL host>/log, else did-notary/<signer address>/log)' },
  { env: 'LOG_KEY_FILE', flag: 'log-key-file', help: 'file holding the Ed25519 key that signs log checkpoints, base64 seed (default: generated into DATA_DIR; replicas must share it)' },
  { env: 'WALLET_CREDENTIALS_FILE', flag: 'wallet-credentials-file', help: 'JSON file of the credentials wallets can receive (OpenID4VCI credential configurations with their display; see the README; default: an identity credential in each format)' },
] as const;

export type SettingName = (typeof SETTINGS)[number]['env'];
export type RawSettings = Partial<Record<SettingName, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Parses raw settings (environment merged with CLI flags, flags winning) into a Config.
 * Collects every problem instead of stopping at the first, so an operator fixes them in one go.
 */
export function parseConfig(raw: RawSettings, cwd: string = process.cwd()): Config {
  const problems: ConfigProblem[] = [];
  const get = (name: SettingName): string | undefined => {
    const value = raw[name];
    if (value !== undefined && value.trim() !== '') return value.trim();
    const setting = SETTINGS.find((s) => s.env === name);
    return setting && 'default' in setting ? setting.default : undefined;
  };
  const fail = (setting: SettingName, message: string) => problems.push({ setting, message });

  const integer = (name: SettingName, min: number, max: number): number => {
    const value = get(name);
    if (value === undefined) return NaN;
    if (!/^\d+$/.test(value)) {
      fail(name, `not a whole number: ${JSON.stringify(value)}`);
      return NaN;
    }
    const n = Number(value);
    if (n < min || n > max) fail(name, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const url = (name: SettingName, value: string | undefined, protocols: string[]): string | undefined => {
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      fail(name, `not a URL: ${JSON.stringify(redactUrl(value))}`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      fail(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
      return undefined;
    }
    return value;
  };
  const address = (name: SettingName): string | undefined => {
    const value = get(name);
    if (value === undefined) return undefined;
    if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
      fail(name, 'not an Ethereum address (0x followed by 40 hex digits)');
      return undefined;
    }
    return value.toLowerCase();
  };

  const port = integer('PORT', 0, 65535);
  const host = get('HOST') ?? '127.0.0.1';
  const dataDir = path.resolve(cwd, get('DATA_DIR') ?? './.did-notary');
  const databaseUrl = url('DATABASE_URL', get('DATABASE_URL'), ['postgres:', 'postgresql:']);
  // PGlite's WebAssembly memory holds the cache; it fails to start past about 1.5 GB.
  const embeddedDbCacheBytes = parseSize(get('EMBEDDED_DB_CACHE') ?? '384M');
  if (embeddedDbCacheBytes === undefined || embeddedDbCacheBytes < 16 * 1024 ** 2 || embeddedDbCacheBytes > 1024 ** 3) {
    fail('EMBEDDED_DB_CACHE', 'must be a size between 16M and 1G, like 384M');
  }
  const rpcUrls = (get('RPC_URL') ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map((u) => url('RPC_URL', u, ['http:', 'https:', 'ws:', 'wss:']))
    .filter((u): u is string => u !== undefined);
  const chainIdRaw = get('CHAIN_ID');
  const chainId = chainIdRaw === undefined ? undefined : integer('CHAIN_ID', 1, Number.MAX_SAFE_INTEGER);
  const anchorContract = address('ANCHOR_CONTRACT');
  const didRegistry = address('DID_REGISTRY');

  let signerPrivateKey = get('SIGNER_PRIVATE_KEY');
  if (signerPrivateKey !== undefined) {
    const normalized = signerPrivateKey.startsWith('0x') ? signerPrivateKey : `0x${signerPrivateKey}`;
    if (!/^0x[0-9a-fA-F]{64}$/.test(normalized)) {
      // Never echo the value: it is a secret.
      fail('SIGNER_PRIVATE_KEY', 'not a 32-byte hex private key');
      signerPrivateKey = undefined;
    } else signerPrivateKey = normalized.toLowerCase();
  }
  const signerKeyFile = get('SIGNER_KEY_FILE');
  if (signerPrivateKey !== undefined && signerKeyFile !== undefined) {
    fail('SIGNER_KEY_FILE', 'give either SIGNER_PRIVATE_KEY or SIGNER_KEY_FILE, not both');
  }

  const publicRpcUrl = url('PUBLIC_RPC_URL', get('PUBLIC_RPC_URL'), ['http:', 'https:']);
  if (publicRpcUrl !== undefined) {
    const parsed = new URL(publicRpcUrl);
    if (parsed.username !== '' || parsed.password !== '') {
      fail('PUBLIC_RPC_URL', 'must not carry credentials: it is published to every verifier');
    }
  }
  const publicUrl = url('PUBLIC_URL', get('PUBLIC_URL'), ['http:', 'https:']);

  const batchIntervalMs = parseDuration(get('BATCH_INTERVAL') ?? '10s');
  if (batchIntervalMs === undefined || batchIntervalMs < 50 || batchIntervalMs > 86_400_000) {
    fail('BATCH_INTERVAL', 'must be a duration between 50ms and 24h, like 10s, 500ms or 2m');
  }
  const batchMaxSize = integer('BATCH_MAX_SIZE', 1, 4_000_000_000);
  const confirmations = integer('CONFIRMATIONS', 1, 1000);
  const maxFileBytes = parseSize(get('MAX_FILE_SIZE') ?? '100M');
  if (maxFileBytes === undefined || maxFileBytes < 1) fail('MAX_FILE_SIZE', 'must be a size like 100M, 512k or 1048576');
  const maxHashesPerRequest = integer('MAX_HASHES_PER_REQUEST', 1, 1_000_000);
  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) fail('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const didWebAllowedHosts = (get('DID_WEB_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const rateLimitPerSecond = integer('RATE_LIMIT', 0, 1_000_000);
  const publicRateLimitPerSecond = integer('PUBLIC_RATE_LIMIT', 0, 1_000_000);
  const trustProxy = parseTrustProxy(get('TRUST_PROXY') ?? 'false');
  if (trustProxy === undefined) fail('TRUST_PROXY', 'must be false, true, a number of hops, or a comma-separated list of addresses, subnets, loopback, linklocal or uniquelocal');
  const lowBalance = get('LOW_BALANCE_ETH') ?? '0.01';
  let lowBalanceWei = 0n;
  if (!/^\d+(\.\d{1,18})?$/.test(lowBalance)) fail('LOW_BALANCE_ETH', 'must be a decimal amount of ether like 0.01');
  else lowBalanceWei = etherToWei(lowBalance);

  const validateResponses = get('VALIDATE_RESPONSES') ?? 'false';
  if (!['true', 'false', '1', '0'].includes(validateResponses)) fail('VALIDATE_RESPONSES', 'must be true or false');

  const tsaPolicy = get('TSA_POLICY') ?? DEFAULT_TSA_POLICY;
  // An OBJECT IDENTIFIER: at least two arcs, the first 0, 1 or 2.
  if (!/^[012](\.(0|[1-9]\d*))+$/.test(tsaPolicy)) fail('TSA_POLICY', `not an object identifier like 1.3.6.1.4.1.99999.1: ${JSON.stringify(tsaPolicy)}`);
  const tsaAccuracyText = get('TSA_ACCURACY') ?? '1s';
  const tsaAccuracyMs = tsaAccuracyText === '0' ? 0 : parseDuration(tsaAccuracyText);
  if (tsaAccuracyMs === undefined || tsaAccuracyMs > 3_600_000) fail('TSA_ACCURACY', 'must be a duration up to 1h, like 1s or 500ms, or 0');
  const tsaKeyFile = get('TSA_KEY_FILE');
  const tsaCertificateFile = get('TSA_CERTIFICATE_FILE');
  if ((tsaKeyFile === undefined) !== (tsaCertificateFile === undefined)) {
    fail(tsaKeyFile === undefined ? 'TSA_KEY_FILE' : 'TSA_CERTIFICATE_FILE', 'TSA_KEY_FILE and TSA_CERTIFICATE_FILE go together: the key and its certificate chain');
  }
  const walletCredentialsFile = get('WALLET_CREDENTIALS_FILE');
  const tsaAuth = get('TSA_AUTH') ?? 'none';
  if (tsaAuth !== 'none' && tsaAuth !== 'api-key') fail('TSA_AUTH', 'must be none or api-key');
  const tsaRateLimitPerSecond = integer('TSA_RATE_LIMIT', 0, 1_000_000);
  const duration = (name: SettingName, min: number, max: number, range: string): number => {
    const value = parseDuration(get(name) ?? '');
    if (value === undefined || value < min || value > max) {
      fail(name, `must be a duration between ${range}, like 500ms, 10s, 5m or 24h`);
      return min;
    }
    return value;
  };
  const webhookAllowedHosts = (get('WEBHOOK_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const webhookAllowHttp = get('WEBHOOK_ALLOW_HTTP') ?? 'false';
  if (!['true', 'false', '1', '0'].includes(webhookAllowHttp)) fail('WEBHOOK_ALLOW_HTTP', 'must be true or false');
  const webhooks = {
    allowedHosts: webhookAllowedHosts,
    allowHttp: webhookAllowHttp === 'true' || webhookAllowHttp === '1',
    timeoutMs: duration('WEBHOOK_TIMEOUT', 100, 120_000, '100ms and 2m'),
    pollIntervalMs: duration('WEBHOOK_POLL_INTERVAL', 10, 600_000, '10ms and 10m'),
    retryDelayMs: duration('WEBHOOK_RETRY_DELAY', 10, 86_400_000, '10ms and 24h'),
    retryMaxDelayMs: duration('WEBHOOK_RETRY_MAX_DELAY', 10, 86_400_000, '10ms and 24h'),
    retryForMs: duration('WEBHOOK_RETRY_FOR', 0, 30 * 86_400_000, '0 and 720h'),
    disableAfterMs: duration('WEBHOOK_DISABLE_AFTER', 0, 365 * 86_400_000, '0 and 8760h'),
  };
  if (webhooks.allowHttp && webhookAllowedHosts.length === 0) fail('WEBHOOK_ALLOW_HTTP', 'only meaningful with WEBHOOK_ALLOWED_HOSTS (plain http is never allowed to other hosts)');
  if (webhooks.retryMaxDelayMs < webhooks.retryDelayMs) fail('WEBHOOK_RETRY_MAX_DELAY', 'must not be shorter than WEBHOOK_RETRY_DELAY');

  if (rpcUrls.length > 0) {
    if (anchorContract === undefined && !problems.some((p) => p.setting === 'ANCHOR_CONTRACT')) {
      fail('ANCHOR_CONTRACT', 'required with RPC_URL (deploy contracts/DocumentAnchor.sol, see README)');
    }
    if (signerPrivateKey === undefined && signerKeyFile === undefined && !problems.some((p) => p.setting === 'SIGNER_PRIVATE_KEY')) {
      fail('SIGNER_PRIVATE_KEY', 'required with RPC_URL (or SIGNER_KEY_FILE): the anchoring account must be funded');
    }
  } else {
    for (const name of ['CHAIN_ID', 'ANCHOR_CONTRACT'] as const) {
      if (get(name) !== undefined) fail(name, 'only meaningful with RPC_URL (the embedded chain deploys its own)');
    }
  }

  const logOrigin = get('LOG_ORIGIN');
  if (logOrigin !== undefined && !/^[^\s+]+$/u.test(logOrigin)) fail('LOG_ORIGIN', 'must be one word without spaces or "+", like notary.example.com/log');
  const logKeyFile = get('LOG_KEY_FILE');
  const extraChains = parseExtraChains(get('CHAINS'), (message) => fail('CHAINS', message), confirmations);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    embeddedDbCacheBytes: embeddedDbCacheBytes ?? 0,
    rpcUrls,
    chainId,
    anchorContract,
    didRegistry,
    signerPrivateKey,
    signerKeyFile: signerKeyFile === undefined ? undefined : path.resolve(cwd, signerKeyFile),
    publicRpcUrl,
    publicUrl,
    batchIntervalMs: batchIntervalMs ?? 10_000,
    batchMaxSize,
    confirmations,
    maxFileBytes: maxFileBytes ?? 0,
    maxHashesPerRequest,
    logLevel: logLevel as Config['logLevel'],
    didWebAllowedHosts,
    rateLimitPerSecond,
    publicRateLimitPerSecond,
    trustProxy: trustProxy ?? false,
    lowBalanceWei,
    validateResponses: validateResponses === 'true' || validateResponses === '1',
    tsa: {
      policy: tsaPolicy,
      accuracyMs: tsaAccuracyMs ?? 0,
      keyFile: tsaKeyFile === undefined ? undefined : path.resolve(cwd, tsaKeyFile),
      certificateFile: tsaCertificateFile === undefined ? undefined : path.resolve(cwd, tsaCertificateFile),
      auth: tsaAuth as TsaConfig['auth'],
      rateLimitPerSecond: tsaRateLimitPerSecond,
    },
    webhooks,
    extraChains,
    logOrigin,
    logKeyFile: logKeyFile === undefined ? undefined : path.resolve(cwd, logKeyFile),
    walletCredentialsFile: walletCredentialsFile === undefined ? undefined : path.resolve(cwd, walletCredentialsFile),
  };
}

/** CHAINS: a JSON array of extra chains, each checked like the single-chain settings are. */
function parseExtraChains(text: string | undefined, fail: (message: string) => void, defaultConfirmations: number): ExtraChainSettings[] {
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail('not JSON: a list like [{"rpcUrl": "https://…", "chainId": 8453, "anchorContract": "0x…"}]');
    return [];
  }
  if (!Array.isArray(parsed)) {
    fail('must be a JSON list of chains');
    return [];
  }
  const chains: ExtraChainSettings[] = [];
  parsed.forEach((entry: unknown, index) => {
    const where = `chain ${index + 1}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return fail(`${where} must be an object`);
    const { embedded = false, rpcUrl, chainId, anchorContract, confirmations = defaultConfirmations, publicRpcUrl, ...rest } = entry as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) return fail(`${where} has unknown fields: ${unknown.join(', ')}`);
    const rpcUrls = (Array.isArray(rpcUrl) ? rpcUrl : rpcUrl === undefined ? [] : [rpcUrl]) as unknown[];
    if (typeof embedded !== 'boolean') return fail(`${where}: embedded must be true or false`);
    if (!rpcUrls.every((u) => typeof u === 'string' && /^(https?|wss?):\/\/\S+$/.test(u))) return fail(`${where}: rpcUrl must be an http(s) or ws(s) URL, or a list of them`);
    if (embedded === (rpcUrls.length > 0)) return fail(`${where}: give either rpcUrl or "embedded": true`);
    if (chainId !== undefined && (!Number.isSafeInteger(chainId) || (chainId as number) < 1)) return fail(`${where}: chainId must be a positive integer`);
    if (embedded && chainId === undefined) return fail(`${where}: an embedded chain needs its chainId (another than the primary's)`);
    if (anchorContract !== undefined && (typeof anchorContract !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(anchorContract))) return fail(`${where}: anchorContract is not an address`);
    if (!embedded && anchorContract === undefined) return fail(`${where}: anchorContract is required with rpcUrl`);
    if (!Number.isSafeInteger(confirmations) || (confirmations as number) < 1 || (confirmations as number) > 1000) return fail(`${where}: confirmations must be between 1 and 1000`);
    if (publicRpcUrl !== undefined && (typeof publicRpcUrl !== 'string' || !/^https?:\/\/\S+$/.test(publicRpcUrl) || /\/\/[^/]*@/.test(publicRpcUrl))) return fail(`${where}: publicRpcUrl must be an http(s) URL without credentials`);
    chains.push({
      embedded,
      rpcUrls: rpcUrls as string[],
      chainId: chainId as number | undefined,
      anchorContract: (anchorContract as string | undefined)?.toLowerCase(),
      confirmations: confirmations as number,
      publicRpcUrl: publicRpcUrl as string | undefined,
    });
  });
  return chains;
}

/** Reads the settings named in SETTINGS from an environment object. */
export function settingsFromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const raw: RawSettings = {};
  for (const s of SETTINGS) raw[s.env] = env[s.env];
  return raw;
}

/** `10s`, `500ms`, `2m`, `1h` or a bare number of milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}

/** `100M`, `512k`, `1G` (binary multiples) or a bare number of bytes. */
export function parseSize(value: string): number | undefined {
  const match = /^(\d+)\s*([kKmMgG])?i?[bB]?$/.exec(value.trim());
  if (!match) return undefined;
  const unit = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').toLowerCase() as 'k' | 'm' | 'g'] ?? 1;
  return Number(match[1]) * unit;
}

function etherToWei(amount: string): bigint {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole ?? '0') * 10n ** 18n + BigInt(fraction.padEnd(18, '0'));
}

/** Hides user:password in a URL before it reaches a log or an error. */
export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = parsed.password ? '***' : '';
    }
    return parsed.toString();
  } catch {
    return value.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** TRUST_PROXY as Express takes it, or undefined when it is none of the accepted forms. */
function parseTrustProxy(value: string): boolean | number | string | undefined {
  if (value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const parts = value.split(',').map((part) => part.trim());
  const address = /^(loopback|linklocal|uniquelocal|[0-9.]+(\/\d{1,2})?|[0-9a-fA-F:]+(\/\d{1,3})?)$/;
  return parts.every((part) => address.test(part)) ? parts.join(',') : undefined;
}
