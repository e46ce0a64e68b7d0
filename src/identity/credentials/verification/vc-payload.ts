// Reads and checks the W3C VC / VP claims of a decoded JWT payload: a VC Data Model 2.0 credential secured
// with VC-JOSE-COSE (the payload is the credential) or a VCDM 1.1 VC-JWT (did-jwt-vc encoding: `vc` / `vp`
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

/** Which W3C data model a credential follows: 2.0 (VC-JOSE-COSE, `typ: vc+jwt`) or 1.1 (the `vc` claim). */
export type VcDataModel = '2.0' | '1.1';

export interface CredentialClaims {
  dataModel: VcDataModel;
  /** The credential object: the payload itself (2.0) or its `vc` claim (1.1); its dates bound the validity. */
  credential: Record<string, unknown>;
  /** The first `credentialSubject` without its `id`: the claims about the subject. */
  subjectClaims: Record<string, unknown>;
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

/**
 * Reads the credential of a JWT payload, in either data model; `typ` is the JOSE header's. A 2.0
 * credential is recognised by its payload carrying `@context` (VC-JOSE-COSE §3.1.1); its JWT claims
 * (`iss`, `sub`, `jti`), when present, must agree with the credential. Throws `invalid-credential`.
 */
export function readCredentialClaims(payload: Record<string, unknown>, typ?: string): CredentialClaims {
  const fail = (message: string) => new VerificationCheckError('invalid-credential', message);
  if (payload['@context'] !== undefined || typ === 'vc+jwt' || typ === 'application/vc+jwt') return readVcJoseCredential(payload, fail);
  const issuer = payload.iss;
  if (typeof issuer !== 'string' || !issuer.startsWith('did:')) throw fail('"iss" must be the issuer\'s DID');
  const vc = payload.vc;
  if (!isObject(vc)) throw fail('the JWT has no "vc" claim: it is not a credential');
  checkContext(vc['@context'], fail);
  const vcIssuer = isObject(vc.issuer) ? vc.issuer.id : vc.issuer;
  if (vcIssuer !== undefined && vcIssuer !== issuer) throw fail('"vc.issuer" differs from "iss"');
  return readCredentialBody(vc, payload, issuer, '1.1', fail);
}

/** A VCDM 2.0 credential as a VC-JOSE-COSE payload: the credential itself, its first context v2. */
function readVcJoseCredential(payload: Record<string, unknown>, fail: (message: string) => VerificationCheckError): CredentialClaims {
  if (payload.vc !== undefined || payload.vp !== undefined) throw fail('a vc+jwt carries the credential as its payload, not in a "vc" or "vp" claim');
  const contexts = Array.isArray(payload['@context']) ? payload['@context'] : [payload['@context']];
  if (contexts[0] !== VC_CONTEXT_V2) throw fail(`the first "@context" of a VC Data Model 2.0 credential must be ${VC_CONTEXT_V2}`);
  const issuer = isObject(payload.issuer) ? payload.issuer.id : payload.issuer;
  if (typeof issuer !== 'string' || !issuer.startsWith('did:')) throw fail('"issuer" must be the issuer\'s DID');
  if (payload.iss !== undefined && payload.iss !== issuer) throw fail('"iss" differs from "issuer"');
  if (payload.id !== undefined && payload.jti !== undefined && payload.id !== payload.jti) throw fail('"jti" differs from "id"');
  return readCredentialBody(payload, payload, issuer, '2.0', fail);
}

/** What both data models share: types, subject, id and status entries of `credential`. */
function readCredentialBody(
  credential: Record<string, unknown>,
  payload: Record<string, unknown>,
  issuer: string,
  dataModel: VcDataModel,
  fail: (message: string) => VerificationCheckError,
): CredentialClaims {
  const types = readTypes(credential.type, 'VerifiableCredential', fail);
  const subjects = Array.isArray(credential.credentialSubject) ? credential.credentialSubject : [credential.credentialSubject];
  if (subjects.length === 0 || !subjects.every(isObject)) throw fail('"credentialSubject" must be an object');
  const { id: subjectId, ...subjectClaims } = subjects[0] as Record<string, unknown>;
  if (payload.sub !== undefined && typeof payload.sub !== 'string') throw fail('"sub" must be a string');
  if (subjectId !== undefined && typeof subjectId !== 'string') throw fail('"credentialSubject.id" must be a string');
  if (payload.sub !== undefined && subjectId !== undefined && payload.sub !== subjectId) {
    throw fail('"sub" and "credentialSubject.id" name different subjects');
  }
  const id = payload.jti ?? credential.id;
  if (id !== undefined && typeof id !== 'string') throw fail('"jti" must be a string');
  const statuses = credential.credentialStatus === undefined ? [] : Array.isArray(credential.credentialStatus) ? credential.credentialStatus : [credential.credentialStatus];
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
  const subject = payload.sub ?? subjectId;
  return {
    dataModel,
    credential,
    subjectClaims,
    ...(id !== undefined ? { id: id as string } : {}),
    issuer,
    ...(typeof subject === 'string' ? { subject } : {}),
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
