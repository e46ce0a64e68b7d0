// `did-notary credential issue|verify|revoke|suspend|reinstate`: credentials (W3C VC-JWT, SD-JWT VC) through a running service.
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
  const credential = program.command('credential').description('issue, verify, revoke and suspend credentials (W3C VC-JWT, SD-JWT VC) through a running service');

  withService(
    credential
      .command('issue')
      .description('issue a credential signed by the service; prints the credential (a VC-JWT, or an SD-JWT VC with every disclosure)')
      .option('--format <format>', 'jwt_vc_json (a W3C credential as a JWT, the default) or dc+sd-jwt (an SD-JWT VC)', 'jwt_vc_json')
      .option('--subject <did>', 'DID of the credential subject (required for jwt_vc_json; the sub of an SD-JWT VC)')
      .option('--type <types>', 'jwt_vc_json: credential type(s), comma-separated (VerifiableCredential is implied)')
      .option('--vct <type>', 'dc+sd-jwt: the credential type, e.g. https://credentials.example.com/identity_credential')
      .requiredOption('--claims <json>', 'claims about the subject as a JSON object, or @file to read them from a file')
      .option('--disclosable <paths>', 'dc+sd-jwt: claims the holder may disclose one by one, as a JSON list of claim paths, e.g. \'[["given_name"],["address","locality"],["nationalities",null]]\' (default: every top-level claim)')
      .option('--holder-jwk <json>', 'dc+sd-jwt: the holder\'s public JWK to bind the credential to (cnf), or @file')
      .option('--holder-did <did>', 'dc+sd-jwt: the holder\'s DID (or DID URL of its key) to bind the credential to')
      .option('--expires <date-time>', 'ISO 8601 date-time it expires (validUntil)')
      .option('--data-model <version>', 'jwt_vc_json: W3C VC Data Model 2.0 (VC-JOSE-COSE, the default) or 1.1 (the vc claim, for old verifiers)')
      .option('--alg <alg>', 'jwt_vc_json: ES256K (signed by the service\'s did:ethr, the default) or ES256 (by its did:web)')
      .option('--valid-from <date-time>', 'ISO 8601 date-time it becomes valid (default: now)')
      .option('--id <uri>', 'the credential id (default: a fresh urn:uuid)')
      .option('--idempotency-key <key>', 'retrying with the same key returns the first credential instead of a second one'),
    true,
  ).action(async (options: ServiceOptions & IssueOptions) => {
    const issued = await serviceRequest<{ id: string; format: string; jwt?: string; sdJwt?: string }>(options.server!, 'POST', '/v1/credentials', {
      apiKey: options.apiKey,
      body: issueRequestBody(options),
      headers: options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
    });
    if (options.json) console.log(JSON.stringify(issued, null, 2));
    else {
      process.stderr.write(`issued ${issued.id} (${issued.format})\n`);
      console.log(issued.jwt ?? issued.sdJwt);
    }
  });

  withService(
    credential
      .command('verify')
      .description('verify a credential (a VC-JWT from any issuer with a resolvable DID, or an SD-JWT VC); prints the disclosed claims; exits 1 when it does not verify')
      .argument('<credential|file>', 'the VC-JWT or SD-JWT VC, a file holding it, or - for standard input')
      .option('--trusted-issuer <issuer...>', 'accept only these issuers')
      .option('--expected-type <type...>', 'require these credential types (an SD-JWT VC: its vct is one of them)')
      .option('--audience <aud>', 'the audience the credential (an SD-JWT VC: its key-binding JWT) must be addressed to')
      .option('--nonce <nonce>', 'an SD-JWT VC presentation: the nonce its key-binding JWT must carry'),
    false,
  ).action(async (input: string, options: ServiceOptions & { trustedIssuer?: string[]; expectedType?: string[]; audience?: string; nonce?: string }) => {
    const result = await serviceRequest<{ verified: boolean; issuer: string | null; subject: string | null; format?: string; claims?: unknown; errors: Array<{ code: string; message: string }> }>(
      options.server!,
      'POST',
      '/v1/credentials/verify',
      {
        body: {
          credential: readCredentialArgument(input),
          ...(options.trustedIssuer ? { trustedIssuers: options.trustedIssuer } : {}),
          ...(options.expectedType ? { expectedTypes: options.expectedType } : {}),
          ...(options.audience ? { audience: options.audience } : {}),
          ...(options.nonce ? { nonce: options.nonce } : {}),
        },
      },
    );
    if (options.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(result.verified ? 'verified' : 'NOT verified');
      if (result.issuer) console.log(`issuer:  ${result.issuer}`);
      if (result.subject) console.log(`subject: ${result.subject}`);
      if (result.claims) console.log(`claims:  ${JSON.stringify(result.claims)}`);
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

/** A JSON option given inline or as @file. */
export function parseJsonOption(text: string, option: string): unknown {
  const source = text.startsWith('@') ? readFile(text.slice(1)) : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new Error(`${option} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The options of `credential issue`. */
interface IssueOptions {
  format: string;
  subject?: string;
  type?: string;
  vct?: string;
  claims: string;
  disclosable?: string;
  holderJwk?: string;
  holderDid?: string;
  expires?: string;
  dataModel?: string;
  alg?: string;
  validFrom?: string;
  id?: string;
  idempotencyKey?: string;
}

/** The POST /v1/credentials body of the options; the service checks it (and says what is wrong). */
function issueRequestBody(options: IssueOptions): Record<string, unknown> {
  const common = {
    claims: parseJsonOption(options.claims, '--claims'),
    ...(options.expires ? { validUntil: options.expires } : {}),
    ...(options.validFrom ? { validFrom: options.validFrom } : {}),
    ...(options.id ? { id: options.id } : {}),
  };
  if (options.format === 'dc+sd-jwt') {
    if (!options.vct) throw new Error('--vct is required with --format dc+sd-jwt');
    return {
      format: 'dc+sd-jwt',
      vct: options.vct,
      ...(options.subject ? { subject: options.subject } : {}),
      ...common,
      ...(options.disclosable ? { disclosable: parseJsonOption(options.disclosable, '--disclosable') } : {}),
      ...(options.holderJwk ? { holder: { jwk: parseJsonOption(options.holderJwk, '--holder-jwk') } } : {}),
      ...(options.holderDid ? { holder: { did: options.holderDid } } : {}),
    };
  }
  if (!options.subject || !options.type) throw new Error('--subject and --type are required for a jwt_vc_json credential');
  const types = options.type.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return {
    ...(options.format !== 'jwt_vc_json' ? { format: options.format } : {}),
    subject: options.subject,
    type: types.length === 1 ? types[0] : types,
    ...common,
    ...(options.dataModel ? { dataModel: options.dataModel } : {}),
    ...(options.alg ? { alg: options.alg } : {}),
  };
}

/** A credential given inline (a compact JWT or SD-JWT), in a file, or on standard input (`-`). */
function readCredentialArgument(input: string): string {
  if (input === '-') return fs.readFileSync(0, 'utf8').trim();
  if (/^[\w-]*\.[\w-]*\.[\w-]*(~[\w.-]*)*$/.test(input)) return input;
  return readFile(input).trim();
}

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
