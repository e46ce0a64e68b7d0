// `did-notary credential issue|verify|revoke|suspend|reinstate`: W3C credentials through a running service.
import fs from 'node:fs';
import type { Command } from 'commander';
import { apiKeyOption, serverOption } from './service-options';

/** Options every command that talks to a service shares. */
interface ServiceOptions {
  server?: string;
  apiKey?: string;
  json?: boolean;
}

/** A problem+json answer of the service, as an Error whose message says what went wrong. */
export class ServiceRequestError extends Error {}

/** Calls the service's JSON API; throws ServiceRequestError with the problem's detail on a 4xx/5xx. */
export async function serviceRequest<T>(server: string, method: string, path: string, options: { apiKey?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, server), {
      method,
      headers: {
        accept: 'application/json',
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new ServiceRequestError(`cannot reach ${server}: ${(error as Error).message}`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const problem = (body ?? {}) as { title?: string; detail?: string };
    throw new ServiceRequestError(`${method} ${path}: ${response.status} ${problem.detail ?? problem.title ?? response.statusText}`);
  }
  return body as T;
}

function withService(command: Command, needsKey: boolean): Command {
  command.addOption(serverOption().makeOptionMandatory());
  if (needsKey) command.addOption(apiKeyOption('"issue"'));
  return command.option('--json', 'print the service\'s JSON answer');
}

export function registerCredentialCommands(program: Command): void {
  const credential = program.command('credential').description('issue, verify, revoke and suspend W3C credentials (VC-JWT) through a running service');

  withService(
    credential
      .command('issue')
      .description('issue a credential signed by the service DID; prints the VC-JWT')
      .requiredOption('--subject <did>', 'DID of the credential subject')
      .requiredOption('--type <types>', 'credential type(s), comma-separated (VerifiableCredential is implied)')
      .requiredOption('--claims <json>', 'claims about the subject as a JSON object, or @file to read them from a file')
      .option('--expires <date-time>', 'ISO 8601 date-time it expires (validUntil)')
      .option('--data-model <version>', 'W3C VC Data Model: 2.0 (VC-JOSE-COSE, the default) or 1.1 (the vc claim, for old verifiers)')
      .option('--valid-from <date-time>', 'ISO 8601 date-time it becomes valid (default: now)')
      .option('--id <uri>', 'the credential id (default: a fresh urn:uuid)')
      .option('--idempotency-key <key>', 'retrying with the same key returns the first credential instead of a second one'),
    true,
  ).action(async (options: ServiceOptions & { subject: string; type: string; claims: string; expires?: string; dataModel?: string; validFrom?: string; id?: string; idempotencyKey?: string }) => {
    const claims = parseClaims(options.claims);
    const types = options.type.split(',').map((t) => t.trim()).filter((t) => t !== '');
    const body = {
      subject: options.subject,
      type: types.length === 1 ? types[0] : types,
      claims,
      ...(options.expires ? { validUntil: options.expires } : {}),
      ...(options.dataModel ? { dataModel: options.dataModel } : {}),
      ...(options.validFrom ? { validFrom: options.validFrom } : {}),
      ...(options.id ? { id: options.id } : {}),
    };
    const issued = await serviceRequest<{ id: string; jwt: string }>(options.server!, 'POST', '/v1/credentials', {
      apiKey: options.apiKey,
      body,
      headers: options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
    });
    if (options.json) console.log(JSON.stringify(issued, null, 2));
    else {
      process.stderr.write(`issued ${issued.id}\n`);
      console.log(issued.jwt);
    }
  });

  withService(
    credential
      .command('verify')
      .description('verify a VC-JWT from any issuer with a resolvable DID; exits 1 when it does not verify')
      .argument('<jwt|file>', 'the VC-JWT, a file holding it, or - for standard input')
      .option('--trusted-issuer <did...>', 'accept only these issuers')
      .option('--expected-type <type...>', 'require these credential types')
      .option('--audience <aud>', 'the audience the credential must be addressed to'),
    false,
  ).action(async (input: string, options: ServiceOptions & { trustedIssuer?: string[]; expectedType?: string[]; audience?: string }) => {
    const jwt = readJwtArgument(input);
    const result = await serviceRequest<{ verified: boolean; issuer: string | null; subject: string | null; errors: Array<{ code: string; message: string }> }>(
      options.server!,
      'POST',
      '/v1/credentials/verify',
      {
        body: {
          jwt,
          ...(options.trustedIssuer ? { trustedIssuers: options.trustedIssuer } : {}),
          ...(options.expectedType ? { expectedTypes: options.expectedType } : {}),
          ...(options.audience ? { audience: options.audience } : {}),
        },
      },
    );
    if (options.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(result.verified ? 'verified' : 'NOT verified');
      if (result.issuer) console.log(`issuer:  ${result.issuer}`);
      if (result.subject) console.log(`subject: ${result.subject}`);
      for (const error of result.errors) console.log(`  ${error.code}: ${error.message}`);
    }
    if (!result.verified) process.exitCode = 1;
  });

  for (const [action, description] of [
    ['revoke', 'revoke a credential this API key\'s tenant issued (final)'],
    ['suspend', 'suspend a credential (reversible with reinstate)'],
    ['reinstate', 'lift a suspension'],
  ] as const) {
    withService(credential.command(action).description(description).argument('<id>', 'the credential id, e.g. urn:uuid:…'), true).action(
      async (id: string, options: ServiceOptions) => {
        const status = await serviceRequest<{ id: string; state: string; statusList: { id: string; version: number } }>(
          options.server!,
          'POST',
          `/v1/credentials/${encodeURIComponent(id)}/${action}`,
          { apiKey: options.apiKey },
        );
        if (options.json) console.log(JSON.stringify(status, null, 2));
        else console.log(`${status.id}: ${status.state} (status list ${status.statusList.id} version ${status.statusList.version})`);
      },
    );
  }
}

function parseClaims(text: string): unknown {
  const source = text.startsWith('@') ? readFile(text.slice(1)) : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new Error(`--claims is not valid JSON: ${(error as Error).message}`);
  }
}

/** A compact JWT given inline, in a file, or on standard input (`-`). */
function readJwtArgument(input: string): string {
  if (input === '-') return fs.readFileSync(0, 'utf8').trim();
  if (/^[\w-]*\.[\w-]*\.[\w-]*$/.test(input)) return input;
  return readFile(input).trim();
}

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
