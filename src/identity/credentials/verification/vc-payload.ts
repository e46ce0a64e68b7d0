// Reads and checks the W3C VC / VP claims of a decoded JWT payload (did-jwt-vc encoding: `vc` / `vp`
// claims). Pure: runs in the browser too. Shapes are checked here so the verifiers never guess.
import { issue, VerificationCheckError, type VerificationIssue } from './verification-errors';

export const VC_CONTEXT_V1 = 'https://www.w3.org/2018/credentials/v1';
export const VC_CONTEXT_V2 = 'https://www.w3.org/ns/credentials/v2';
/** Bitstring Status List terms for a VCDM 1.1 (did-jwt-vc) credential. */
export const STATUS_LIST_CONTEXT = 'https://www.w3.org/ns/credentials/status/v1';

/** Status entry types whose bitstring we can read (StatusList2021 uses the same encoding). */
export const SUPPORTED_STATUS_ENTRY_TYPES = ['BitstringStatusListEntry', 'StatusList2021Entry'] as const;

/** One `credentialStatus` entry pointing into a bitstring status list. */
export interface StatusListEntry {
  type: (typeof SUPPORTED_STATUS_ENTRY_TYPES)[number];
  statusPurpose: string;
  statusListIndex: number;
  statusListCredential: string;
  statusSize: number;
}

export interface CredentialClaims {
  id?: string;
  issuer: string;
  subject?: string;
  types: string[];
  statusEntries: StatusListEntry[];
  /** Status entry types we cannot evaluate (reported, not silently ignored). */
  unsupportedStatusTypes: string[];
}

export interface PresentationClaims {
  holder: string;
  audiences: string[];
  nonce?: string;
  /** Embedded credentials, JWT-encoded. */
  credentials: string[];
}

/** At most this many credentials per presentation: each costs a DID resolution and a signature check. */
export const MAX_CREDENTIALS_PER_PRESENTATION = 10;

/** Reads the VC of a JWT payload; throws VerificationCheckError `invalid-credential`. */
export function readCredentialClaims(payload: Record<string, unknown>): CredentialClaims {
  const fail = (message: string) => new VerificationCheckError('invalid-credential', message);
  const issuer = payload.iss;
  if (typeof issuer !== 'string' || !issuer.startsWith('did:')) throw fail('"iss" must be the issuer\'s DID');
  const vc = payload.vc;
  if (!isObject(vc)) throw fail('the JWT has no "vc" claim: it is not a credential');
  checkContext(vc['@context'], fail);
  const types = readTypes(vc.type, 'VerifiableCredential', fail);
  const subjects = Array.isArray(vc.credentialSubject) ? vc.credentialSubject : [vc.credentialSubject];
  if (subjects.length === 0 || !subjects.every(isObject)) throw fail('"vc.credentialSubject" must be an object');
  const subjectId = (subjects[0] as Record<string, unknown>).id;
  if (payload.sub !== undefined && typeof payload.sub !== 'string') throw fail('"sub" must be a string');
  if (subjectId !== undefined && typeof subjectId !== 'string') throw fail('"credentialSubject.id" must be a string');
  if (payload.sub !== undefined && subjectId !== undefined && payload.sub !== subjectId) {
    throw fail('"sub" and "credentialSubject.id" name different subjects');
  }
  const vcIssuer = isObject(vc.issuer) ? vc.issuer.id : vc.issuer;
  if (vcIssuer !== undefined && vcIssuer !== issuer) throw fail('"vc.issuer" differs from "iss"');
  const id = payload.jti ?? vc.id;
  if (id !== undefined && typeof id !== 'string') throw fail('"jti" must be a string');
  const statuses = vc.credentialStatus === undefined ? [] : Array.isArray(vc.credentialStatus) ? vc.credentialStatus : [vc.credentialStatus];
  const statusEntries: StatusListEntry[] = [];
  const unsupportedStatusTypes: string[] = [];
  for (const status of statuses) {
    if (!isObject(status) || typeof status.type !== 'string') throw fail('each "credentialStatus" entry needs a "type"');
    if (!(SUPPORTED_STATUS_ENTRY_TYPES as readonly string[]).includes(status.type)) {
      unsupportedStatusTypes.push(status.type);
      continue;
    }
    statusEntries.push(readStatusEntry(status, fail));
  }
  return {
    ...(id !== undefined ? { id: id as string } : {}),
    issuer,
    ...(typeof (payload.sub ?? subjectId) === 'string' ? { subject: (payload.sub ?? subjectId) as string } : {}),
    types,
    statusEntries,
    unsupportedStatusTypes,
  };
}

/** Reads the VP of a JWT payload; throws `invalid-presentation` or `too-many-credentials`. */
export function readPresentationClaims(
  payload: Record<string, unknown>,
  maxCredentials: number = MAX_CREDENTIALS_PER_PRESENTATION,
): PresentationClaims {
  const fail = (message: string) => new VerificationCheckError('invalid-presentation', message);
  const holder = payload.iss;
  if (typeof holder !== 'string' || !holder.startsWith('did:')) throw fail('"iss" must be the holder\'s DID');
  const vp = payload.vp;
  if (!isObject(vp)) throw fail('the JWT has no "vp" claim: it is not a presentation');
  checkContext(vp['@context'], fail);
  readTypes(vp.type, 'VerifiablePresentation', fail);
  const embedded = vp.verifiableCredential === undefined ? [] : Array.isArray(vp.verifiableCredential) ? vp.verifiableCredential : [vp.verifiableCredential];
  if (!embedded.every((vc): vc is string => typeof vc === 'string')) {
    throw fail('"vp.verifiableCredential" must hold JWT-encoded credentials (strings)');
  }
  if (embedded.length > maxCredentials) {
    throw new VerificationCheckError('too-many-credentials', `at most ${maxCredentials} credentials per presentation, got ${embedded.length}`);
  }
  if (payload.nonce !== undefined && typeof payload.nonce !== 'string') throw fail('"nonce" must be a string');
  return {
    holder,
    audiences: readAudiences(payload.aud),
    ...(payload.nonce !== undefined ? { nonce: payload.nonce as string } : {}),
    credentials: embedded,
  };
}

/**
 * `aud` must contain `expected` when one is given; a JWT addressed to someone (it has an `aud`) is
 * refused when the verifier names no audience, as did-jwt does.
 */
export function checkAudience(aud: unknown, expected: string | undefined): VerificationIssue | undefined {
  const audiences = readAudiences(aud);
  if (expected === undefined) {
    return audiences.length === 0 ? undefined : issue('wrong-audience', `addressed to ${audiences.join(', ')}, but no audience was expected`);
  }
  return audiences.includes(expected) ? undefined : issue('wrong-audience', `not addressed to ${expected}`);
}

/** Every expected type must appear in the credential's `type`. */
export function checkExpectedTypes(types: readonly string[], expected: readonly string[]): VerificationIssue | undefined {
  const missing = expected.filter((t) => !types.includes(t));
  return missing.length === 0 ? undefined : issue('wrong-type', `missing type(s) ${missing.join(', ')}; has ${types.join(', ')}`);
}

/** The issuer must be one of the trusted DIDs. */
export function checkTrustedIssuer(issuer: string, trusted: readonly string[]): VerificationIssue | undefined {
  return trusted.includes(issuer) ? undefined : issue('untrusted-issuer', `${issuer} is not a trusted issuer`);
}

function readAudiences(aud: unknown): string[] {
  if (aud === undefined) return [];
  const list = Array.isArray(aud) ? aud : [aud];
  return list.filter((a): a is string => typeof a === 'string');
}

function readStatusEntry(status: Record<string, unknown>, fail: (message: string) => Error): StatusListEntry {
  const { statusPurpose, statusListIndex, statusListCredential, statusSize } = status;
  if (typeof statusPurpose !== 'string' || statusPurpose === '') throw fail('a status entry needs a "statusPurpose"');
  const index = typeof statusListIndex === 'string' && /^(0|[1-9][0-9]{0,9})$/.test(statusListIndex) ? Number(statusListIndex) : statusListIndex;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw fail('"statusListIndex" must be a non-negative integer (as a string)');
  }
  if (typeof statusListCredential !== 'string' || !/^https?:\/\/\S+$/.test(statusListCredential)) {
    throw fail('"statusListCredential" must be an http(s) URL');
  }
  const size = statusSize ?? 1;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) throw fail('"statusSize" must be a positive integer');
  return {
    type: status.type as StatusListEntry['type'],
    statusPurpose,
    statusListIndex: index,
    statusListCredential,
    statusSize: size,
  };
}

function checkContext(context: unknown, fail: (message: string) => Error): void {
  const contexts = Array.isArray(context) ? context : [context];
  if (!contexts.includes(VC_CONTEXT_V1) && !contexts.includes(VC_CONTEXT_V2)) {
    throw fail(`"@context" must include ${VC_CONTEXT_V1} or ${VC_CONTEXT_V2}`);
  }
}

function readTypes(type: unknown, required: string, fail: (message: string) => Error): string[] {
  const types = Array.isArray(type) ? type : [type];
  if (!types.every((t): t is string => typeof t === 'string') || !types.includes(required)) {
    throw fail(`"type" must include "${required}"`);
  }
  return types;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
