// `did-notary verify-tsr <file> <token>`: checks an RFC 3161 time-stamp token for a file (the TSA's
// signature, certificate and imprint) and the chain anchor of the token's did-notary receipt,
// against the chain alone. The service is asked at most for the receipt, which proves itself.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { JsonRpcProvider } from 'ethers';
import type { Receipt } from '../core/receipts/receipt';
import type { ReceiptVerification } from '../core/receipts/verify';
import { verifyReceiptOnChain } from '../platform/chain/receipt-verification';
import { anchorInconsistency } from '../timestamping/anchored-token';
import { extractTimeStampToken, verifyTimeStampToken, type TokenVerification } from '../timestamping/token-verification';
import { pemCertificates } from '../timestamping/tsa-credentials';
import { serverOption } from './service-options';

const EXIT_VALID = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

interface VerifyTsrOptions {
  caFile?: string;
  untrusted?: string;
  receipt?: string;
  server?: string;
  rpc?: string;
  contract?: string;
  wait?: string;
  maxDelay: string;
  saveReceipt?: boolean;
  json?: boolean;
}

/** The combined verdict: both proofs, and whether they fit together. */
interface TsrVerification {
  valid: boolean;
  file: string;
  tokenSha256: string;
  token: TokenVerification;
  anchor: ReceiptVerification | { valid: false; reason: 'no-receipt' | 'inconsistent'; message: string };
}

export function registerVerifyTsrCommand(program: Command): void {
  program
    .command('verify-tsr')
    .description('verify an RFC 3161 time-stamp token for a file, and the chain anchor of the token (exit 0 both valid, 1 invalid, 2 usage error)')
    .argument('<file>', 'the time-stamped document')
    .argument('<token>', 'the reply (.tsr, as POST /tsa sends it) or the token alone (openssl ts -reply -token_out, or what a signature embeds)')
    .addOption(new Option('--ca-file <pem>', 'the certificates you trust for the TSA: its certificate (GET /tsa/certificate, saved once) or its CA').env('DID_NOTARY_TSA_CA_FILE'))
    .option('--untrusted <pem>', 'more certificates for the path, e.g. the TSA certificate when the query did not ask for it (certReq)')
    .option('--receipt <file>', 'the token\'s did-notary receipt (default: <token>.receipt.json, else fetched with --server)')
    .addOption(serverOption('did-notary service to fetch the receipt from (GET /v1/receipts/<SHA-256 of the token>): the receipt proves itself against the chain'))
    .addOption(new Option('--rpc <url>', 'JSON-RPC URL of the chain named in the receipt').env('DID_NOTARY_RPC_URL'))
    .option('--contract <address>', 'only accept anchors by this contract')
    .option('--wait <seconds>', 'with --server: wait this long for a pending receipt to be anchored')
    .option('--max-delay <seconds>', 'the longest accepted time from the token\'s time to its anchoring: beyond it, the anchor no longer pins the token to its stated time', '86400')
    .option('--save-receipt', 'write the anchored receipt fetched with --server to <token>.receipt.json, for checks without the service')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
What it checks:
  the token   the TSA's signature, its signed attributes (message digest, ESS signing-certificate-v2),
              the TSA certificate (extended key usage timeStamping) and a path to --ca-file, each
              certificate valid at the token's time, and that the file's hash is the token's imprint.
              Revocation (CRL, OCSP) is not checked.
  the anchor  the token's SHA-256 is a document whose receipt leads to a root the chain recorded
              (the chain alone: --rpc), no earlier than the token's time, at most --max-delay after
              it, and before the TSA certificate expired: the token existed then, whatever later
              happens to the TSA's key.

Example:
  curl -s https://notary.example/tsa/certificate -o tsa.pem
  did-notary verify-tsr contract.pdf contract.tsr --ca-file tsa.pem \\
      --server https://notary.example --rpc https://sepolia.example/rpc --save-receipt
`,
    )
    .action(async (file: string, tokenFile: string, options: VerifyTsrOptions) => {
      if (!options.caFile) fail(EXIT_USAGE, '--ca-file <pem> is required: the TSA certificate (GET /tsa/certificate, saved once) or its CA, which you trust');
      if (!options.rpc) fail(EXIT_USAGE, '--rpc <url> (or DID_NOTARY_RPC_URL) is required: the anchor is checked against the chain, not a service');
      const waitMs = options.wait === undefined ? 0 : Number(options.wait) * 1000;
      if (!Number.isFinite(waitMs) || waitMs < 0) fail(EXIT_USAGE, '--wait must be a number of seconds');
      const maxDelayMs = Number(options.maxDelay) * 1000;
      if (!Number.isFinite(maxDelayMs) || maxDelayMs <= 0) fail(EXIT_USAGE, '--max-delay must be a positive number of seconds');
      const documentBytes = readFile(file);
      let tokenDer: Uint8Array;
      try {
        tokenDer = extractTimeStampToken(readFile(tokenFile));
      } catch (error) {
        fail(EXIT_INVALID, `${tokenFile}: ${(error as Error).message}`);
      }
      const trustedCertificates = readCertificates(options.caFile);
      const untrustedCertificates = options.untrusted ? readCertificates(options.untrusted) : [];
      const tokenSha256 = createHash('sha256').update(tokenDer).digest('hex');
      const token = verifyTimeStampToken(tokenDer, { documentBytes, trustedCertificates, untrustedCertificates });

      const receiptFile = options.receipt ?? `${tokenFile}.receipt.json`;
      const receipt = fs.existsSync(receiptFile) ? readJson(receiptFile) : options.server ? await fetchReceipt(options.server, tokenSha256, waitMs) : undefined;
      const result: TsrVerification = {
        valid: false,
        file,
        tokenSha256,
        token,
        anchor: { valid: false, reason: 'no-receipt', message: `no receipt: give --receipt, put it at ${receiptFile}, or --server to fetch it` },
      };
      if (receipt !== undefined) {
        const provider = new JsonRpcProvider(options.rpc, undefined, { cacheTimeout: -1, batchMaxCount: 1 });
        try {
          result.anchor = await verifyReceiptOnChain(receipt, { provider, hash: tokenSha256, expectedContract: options.contract });
        } catch (error) {
          fail(EXIT_USAGE, `cannot check the chain at ${options.rpc}: ${(error as Error).message.slice(0, 300)}`);
        } finally {
          provider.destroy();
        }
        if (result.anchor.valid && options.saveReceipt && options.receipt === undefined && !fs.existsSync(receiptFile)) {
          fs.writeFileSync(receiptFile, `${JSON.stringify(receipt, null, 2)}\n`);
        }
      }
      if (token.valid && result.anchor.valid) {
        const inconsistency = anchorInconsistency(token, result.anchor.anchoredAt * 1000, maxDelayMs);
        if (inconsistency) result.anchor = { valid: false, reason: 'inconsistent', message: inconsistency };
      }
      result.valid = token.valid && result.anchor.valid;
      if (options.json) console.log(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2));
      else printResult(result);
      process.exitCode = result.valid ? EXIT_VALID : EXIT_INVALID;
    });
}

function printResult(result: TsrVerification): void {
  const { token, anchor } = result;
  if (token.valid) {
    const accuracy = token.accuracyMs === undefined ? '' : ` ±${token.accuracyMs / 1000} s`;
    console.log(`TSA token: VALID: ${result.file} (${token.algorithm}) existed at ${token.genTime.toISOString()}${accuracy}`);
    console.log(`  signed by ${token.tsa}, serial ${token.serialNumber}, policy ${token.policy}`);
  } else {
    console.log(`TSA token: INVALID (${token.reason}): ${token.message}`);
  }
  if (anchor.valid) {
    const after = token.valid ? `, ${Math.round((anchor.anchoredAt * 1000 - token.genTime.getTime()) / 1000)} s after the token's time` : '';
    console.log(`chain anchor: VALID: the token (SHA-256 ${result.tokenSha256}) was anchored at ${new Date(anchor.anchoredAt * 1000).toISOString()}${after}`);
    console.log(`  block ${anchor.blockNumber} on ${anchor.chain}, transaction ${anchor.transactionHash}, contract ${anchor.contract}`);
  } else {
    console.log(`chain anchor: INVALID (${anchor.reason}): ${anchor.message}`);
  }
}

/** The receipt of the token's hash from the service, waiting up to `waitMs` for it to be anchored. */
async function fetchReceipt(server: string, tokenSha256: string, waitMs: number): Promise<Receipt | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let response: Response;
    try {
      response = await fetch(new URL(`/v1/receipts/${tokenSha256}`, server));
    } catch (error) {
      fail(EXIT_USAGE, `cannot reach ${server}: ${(error as Error).message}`);
    }
    if (response.status === 404) return undefined;
    if (!response.ok) fail(EXIT_INVALID, `GET /v1/receipts/${tokenSha256}: ${response.status} ${(await response.text()).slice(0, 300)}`);
    const receipt = (await response.json()) as Receipt;
    if (receipt.status === 'anchored' || Date.now() >= deadline) return receipt;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function readFile(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    fail(EXIT_USAGE, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    fail(EXIT_USAGE, `cannot read receipt ${file}: ${(error as Error).message}`);
  }
}

function readCertificates(file: string): Uint8Array[] {
  try {
    return pemCertificates(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    fail(EXIT_USAGE, `cannot read certificates from ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function fail(code: number, message: string): never {
  process.stderr.write(`did-notary: ${message}\n`);
  process.exit(code);
}
