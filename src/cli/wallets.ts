// `did-notary offer create` and `did-notary presentation request|status`: OpenID4VCI offers and OpenID4VP
// presentation requests through a running service, with the QR code a wallet scans drawn in the terminal.
import type { Command } from 'commander';
import { qrTerminal } from '../wallets/qr-codes';
import { parseJsonOption, serviceRequest } from './credential';
import { apiKeyOption, serverOption } from './service-options';

interface ServiceOptions {
  server: string;
  apiKey?: string;
  json?: boolean;
  qr?: boolean;
}

function withService(command: Command): Command {
  command.addOption(serverOption().makeOptionMandatory());
  command.addOption(apiKeyOption('"issue"'));
  return command.option('--json', 'print the service\'s JSON answer').option('--no-qr', 'do not draw the QR code');
}

export function registerWalletCommands(program: Command): void {
  const offer = program.command('offer').description('offer credentials to wallets (OpenID4VCI pre-authorized code flow)');
  withService(
    offer
      .command('create')
      .description('create a credential offer; prints its openid-credential-offer:// URI and draws it as a QR code for a wallet to scan')
      .option('--configuration <id>', 'credential configuration of the issuer metadata (GET /.well-known/openid-credential-issuer)', 'IdentityCredential_sd_jwt')
      .requiredOption('--claims <json>', 'claims about the holder as a JSON object, or @file')
      .option('--disclosable <paths>', 'SD-JWT VC: claims the holder may disclose one by one, as a JSON list of claim paths (default: every top-level claim)')
      .option('--expires <date-time>', 'ISO 8601 date-time the credential expires')
      .option('--offer-ttl <seconds>', 'how long the offer can be accepted, in seconds (default 600)', (value) => Number.parseInt(value, 10))
      .option('--tx-code [length]', 'require a transaction code (default 6 digits) the user types in the wallet; printed once')
      .addHelpText(
        'after',
        '\nExample:\n  did-notary offer create --server https://notary.example --api-key dnk_… \\\n    --claims \'{"given_name":"Alice","age_over_18":true}\' --tx-code\n\nThe user scans the code with a wallet (EUDI, Sphereon, walt.id, Credo…), types the transaction code,\nand the wallet receives the credential bound to its own key.\n',
      ),
  ).action(async (options: ServiceOptions & { configuration: string; claims: string; disclosable?: string; expires?: string; offerTtl?: number; txCode?: string | boolean }) => {
    const body: Record<string, unknown> = { credentialConfigurationId: options.configuration, claims: parseJsonOption(options.claims, '--claims') };
    if (options.disclosable) body.disclosable = parseJsonOption(options.disclosable, '--disclosable');
    if (options.expires) body.validUntil = options.expires;
    if (options.offerTtl !== undefined) body.expiresInSeconds = options.offerTtl;
    if (options.txCode !== undefined) body.txCode = options.txCode === true ? true : { length: Number.parseInt(String(options.txCode), 10) };
    const created = await serviceRequest<{ offerUri: string; txCode?: string; expiresAt: string }>(options.server, 'POST', '/v1/credential-offers', { apiKey: options.apiKey, body });
    if (options.json) {
      process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
      return;
    }
    if (options.qr !== false) process.stdout.write(await qrTerminal(created.offerUri));
    process.stdout.write(`${created.offerUri}\n`);
    if (created.txCode) process.stdout.write(`transaction code: ${created.txCode} (give it to the user another way than the QR code)\n`);
    process.stdout.write(`expires ${created.expiresAt}\n`);
  });

  const presentation = program.command('presentation').description('ask wallets for presentations (OpenID4VP with a DCQL query)');
  withService(
    presentation
      .command('request')
      .description('create a presentation request; prints its openid4vp:// URI, draws it as a QR code, and with --wait prints the verified claims')
      .requiredOption('--query <json>', 'the DCQL query, as JSON or @file')
      .requiredOption('--purpose <text>', 'what the answer is for (the wallet shows it)')
      .option('--ttl <seconds>', 'how long the wallet has to answer, in seconds (default 600)', (value) => Number.parseInt(value, 10))
      .option('--wait', 'poll the status until the wallet answered (or the request expired), then print the claims')
      .addHelpText(
        'after',
        '\nExample:\n  did-notary presentation request --server https://notary.example --api-key dnk_… --wait \\\n    --purpose "Check that you are over 18" \\\n    --query \'{"credentials":[{"id":"id","format":"dc+sd-jwt","meta":{"vct_values":["https://notary.example/vct/IdentityCredential"]},"claims":[{"path":["age_over_18"]}]}]}\'\n',
      ),
  ).action(async (options: ServiceOptions & { query: string; purpose: string; ttl?: number; wait?: boolean }) => {
    const body: Record<string, unknown> = { dcqlQuery: parseJsonOption(options.query, '--query'), purpose: options.purpose };
    if (options.ttl !== undefined) body.expiresInSeconds = options.ttl;
    const created = await serviceRequest<{ id: string; requestUri: string; status: string; expiresAt: string }>(options.server, 'POST', '/v1/presentation-requests', { apiKey: options.apiKey, body });
    if (options.json && !options.wait) {
      process.stdout.write(`${JSON.stringify(created, null, 2)}\n`);
      return;
    }
    if (!options.json) {
      if (options.qr !== false) process.stdout.write(await qrTerminal(created.requestUri));
      process.stdout.write(`${created.requestUri}\nstatus: ${created.status} (expires ${created.expiresAt})\n`);
    }
    if (!options.wait) return;
    for (;;) {
      const status = await serviceRequest<{ status: string; credentials?: unknown }>(options.server, 'GET', created.status, { apiKey: options.apiKey });
      if (status.status !== 'pending') {
        process.stdout.write(`${JSON.stringify(options.json ? status : (status.credentials ?? status), null, 2)}\n`);
        if (status.status !== 'verified') process.exitCode = 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  });
}
