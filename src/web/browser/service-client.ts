// The page's calls to a did-notary service (its own origin unless overridden): /v1/info, receipts by
// document id, and credential verification. Everything here is optional to verification itself.
import type { CredentialVerificationResult } from '../../identity/credentials/verification/credential-verifier';
import { DomainError } from '../../core/errors';

/** The part of GET /v1/info the page uses. */
export interface ServiceInfo {
  did: string;
  chain: string;
  chainId: number;
  rpcUrl: string;
  contracts: { anchor: string; didRegistry?: string };
  batch?: { intervalMs?: number };
  /** Every chain the service anchors on, with an RPC URL verifiers may use (services since several chains). */
  chains?: Array<{ chain: string; rpcUrl: string; contract: string }>;
}

/** `SERVICE_UNAVAILABLE`: the service gave no usable answer; the message says why, for the page to show. */
export class ServiceUnavailableError extends DomainError<'SERVICE_UNAVAILABLE'> {
  constructor(readonly apiBase: string, message: string) {
    super('SERVICE_UNAVAILABLE', message, { apiBase });
  }
}

const TIMEOUT_MS = 15_000;

/** GET /v1/info. */
export async function fetchServiceInfo(apiBase: string): Promise<ServiceInfo> {
  const response = await request(apiBase, '/v1/info');
  if (!response.ok) throw new ServiceUnavailableError(apiBase, await problemText(response));
  const info = (await readJson(apiBase, response)) as Partial<ServiceInfo>;
  if (typeof info.did !== 'string' || typeof info.chain !== 'string' || typeof info.contracts?.anchor !== 'string') {
    throw new ServiceUnavailableError(apiBase, 'its /v1/info is not a did-notary service description');
  }
  return info as ServiceInfo;
}

/** GET /v1/receipts/{cid}: the receipt JSON, or null when the service knows no such document (404). */
export async function fetchReceipt(apiBase: string, cid: string): Promise<unknown> {
  const response = await request(apiBase, `/v1/receipts/${encodeURIComponent(cid)}`);
  if (response.status === 404) return null;
  if (!response.ok) throw new ServiceUnavailableError(apiBase, await problemText(response));
  return readJson(apiBase, response);
}

/** What POST /v1/credentials/verify said, or that the service does not offer it. */
export type CredentialCheck =
  | { available: true; result: CredentialVerificationResult }
  | { available: false; status: number; detail: string };

/** The service's CredentialVerification (openapi.yaml); a type-only import, erased from the bundle. */
export type { CredentialVerificationResult };

/** POST /v1/credentials/verify { credential } (a VC-JWT or an SD-JWT VC); a 404 or 405 means this service has no such endpoint. */
export async function verifyCredential(apiBase: string, credential: string): Promise<CredentialCheck> {
  const response = await request(apiBase, '/v1/credentials/verify', { credential });
  if (response.status === 404 || response.status === 405 || response.status === 501) {
    return { available: false, status: response.status, detail: await problemText(response) };
  }
  if (!response.ok) throw new ServiceUnavailableError(apiBase, await problemText(response));
  const result = (await readJson(apiBase, response)) as Partial<CredentialVerificationResult>;
  if (typeof result.verified !== 'boolean' || typeof result.checks !== 'object' || !Array.isArray(result.errors)) {
    throw new ServiceUnavailableError(apiBase, 'the verification answer is not a CredentialVerification');
  }
  return { available: true, result: result as CredentialVerificationResult };
}

async function request(apiBase: string, path: string, jsonBody?: unknown): Promise<Response> {
  try {
    return await fetch(new URL(path, apiBase), {
      method: jsonBody === undefined ? 'GET' : 'POST',
      headers: jsonBody === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: jsonBody === undefined ? undefined : JSON.stringify(jsonBody),
      signal: AbortSignal.timeout(TIMEOUT_MS),
      credentials: 'omit',
    });
  } catch {
    throw new ServiceUnavailableError(apiBase, 'no answer (the service is down, the address is wrong, or it refuses requests from this page)');
  }
}

async function readJson(apiBase: string, response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    throw new ServiceUnavailableError(apiBase, 'the service answered something that is not JSON');
  }
}

/** "HTTP 503: detail" from an RFC 9457 problem, or the status line. */
async function problemText(response: Response): Promise<string> {
  let detail = '';
  try {
    const problem = (await response.json()) as { title?: unknown; detail?: unknown };
    detail = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : '';
  } catch {
    // not a problem document
  }
  return `HTTP ${response.status}${detail ? `: ${detail.slice(0, 300)}` : ''}`;
}
