// Checks the key-binding JWT a holder appends to an SD-JWT it presents (RFC 9901 §4.3, §7.3): signed by
// the key the issuer bound the credential to (`cnf`), over exactly this presentation (`sd_hash`), fresh
// (`iat`), and made for this verifier (`aud`) and this request (`nonce`).
import { verifyJWS } from 'did-jwt';
import type { Resolvable } from 'did-resolver';
import { resolutionProblem } from '../../did/did-resolution';
import { sdDigest } from '../sd-jwt/disclosures';
import type { SplitSdJwt } from '../sd-jwt/sd-jwt-decoding';
import { CREDENTIAL_JWT_LIMITS, decodeCompactJwt } from './compact-jwt';
import { verifyWithJwk } from './jwk-signature';
import { issue, VerificationCheckError, type VerificationIssue } from './verification-errors';

/** The JOSE `typ` of a key-binding JWT. */
export const KEY_BINDING_JWT_TYPE = 'kb+jwt';
/** A key-binding JWT older than this (by its `iat`) is stale: a presentation is made for one request. */
export const DEFAULT_KEY_BINDING_MAX_AGE_SECONDS = 300;

/** What the verifier expects the holder to have signed; a check without its expectation is not evaluated. */
export interface KeyBindingExpectations {
  nonce?: string;
  audience?: string;
}

export interface KeyBindingOutcome {
  /** The KB-JWT is there, well-formed, signed by the `cnf` key, over this presentation, and fresh. */
  keyBinding: boolean | null;
  nonce: boolean | null;
  audience: boolean | null;
  issues: VerificationIssue[];
}

export interface KeyBindingCheckOptions {
  resolver: Resolvable;
  nowSeconds: number;
  skewSeconds: number;
  maxAgeSeconds?: number;
}

/**
 * Checks the holder's key binding of a split SD-JWT whose issuer-signed payload carries `cnf`. Without a
 * KB-JWT, nothing is checked unless the verifier expects a nonce or an audience: then it is missing.
 */
export async function checkKeyBinding(
  presented: SplitSdJwt,
  cnf: unknown,
  expected: KeyBindingExpectations,
  options: KeyBindingCheckOptions,
): Promise<KeyBindingOutcome> {
  const outcome: KeyBindingOutcome = { keyBinding: null, nonce: null, audience: null, issues: [] };
  const expectsBinding = expected.nonce !== undefined || expected.audience !== undefined;
  const fail = (code: VerificationIssue['code'], message: string, check: 'keyBinding' | 'nonce' | 'audience' = 'keyBinding') => {
    outcome[check] = false;
    outcome.issues.push(issue(code, message));
  };
  if (presented.keyBindingJwt === undefined) {
    if (expectsBinding) fail('key-binding-missing', 'the verifier asked for a presentation with key binding (nonce, audience), and this one has no KB-JWT');
    return outcome;
  }
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  let signingInput: string;
  let signature: string;
  try {
    ({ header, payload, signingInput, signature } = decodeCompactJwt(presented.keyBindingJwt, CREDENTIAL_JWT_LIMITS));
  } catch (error) {
    if (!(error instanceof VerificationCheckError)) throw error;
    fail('invalid-key-binding', `the KB-JWT is malformed: ${error.message}`);
    return outcome;
  }
  outcome.keyBinding = true;
  if (header.typ !== KEY_BINDING_JWT_TYPE) fail('invalid-key-binding', `the KB-JWT's typ is ${JSON.stringify(header.typ)}, not "${KEY_BINDING_JWT_TYPE}"`);
  const signatureIssue = await checkHolderSignature(presented.keyBindingJwt, { alg: String(header.alg), signingInput, signature }, cnf, options.resolver);
  if (signatureIssue) fail(signatureIssue.code, signatureIssue.message);
  if (payload.sd_hash !== sdDigest(presented.presentedWithoutKeyBinding)) {
    fail('sd-hash-mismatch', 'the KB-JWT\'s sd_hash is not the hash of this presentation: disclosures were added, removed or changed after the holder signed');
  }
  const iat = payload.iat;
  const maxAge = options.maxAgeSeconds ?? DEFAULT_KEY_BINDING_MAX_AGE_SECONDS;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) fail('invalid-key-binding', 'the KB-JWT has no iat');
  else if (iat > options.nowSeconds + options.skewSeconds) fail('stale-key-binding', `the KB-JWT was issued in the future (iat ${iat})`);
  else if (iat < options.nowSeconds - maxAge - options.skewSeconds) fail('stale-key-binding', `the KB-JWT was made ${options.nowSeconds - iat} s ago; at most ${maxAge} s are accepted`);

  if (typeof payload.nonce !== 'string') fail('invalid-key-binding', 'the KB-JWT has no nonce');
  else if (expected.nonce !== undefined) {
    outcome.nonce = payload.nonce === expected.nonce;
    if (!outcome.nonce) fail('nonce-mismatch', 'the presentation was made for another nonce (a replay, or another request)', 'nonce');
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (typeof payload.aud !== 'string' && !Array.isArray(payload.aud)) fail('invalid-key-binding', 'the KB-JWT has no aud');
  else if (expected.audience !== undefined) {
    outcome.audience = audiences.includes(expected.audience);
    if (!outcome.audience) fail('wrong-audience', `the presentation is addressed to ${audiences.join(', ')}, not to ${expected.audience}`, 'audience');
  }
  return outcome;
}

/** The KB-JWT must be signed by the `cnf` key: a JWK, or a DID URL (`kid`) naming a key of the holder. */
async function checkHolderSignature(
  jwt: string,
  decoded: { alg: string; signingInput: string; signature: string },
  cnf: unknown,
  resolver: Resolvable,
): Promise<VerificationIssue | undefined> {
  if (typeof cnf !== 'object' || cnf === null) return issue('invalid-key-binding', 'the credential is bound to no key (no cnf): a KB-JWT cannot be checked');
  const { jwk, kid } = cnf as { jwk?: unknown; kid?: unknown };
  const other = issue('invalid-key-binding', 'the KB-JWT is signed by a key other than the one the credential is bound to (cnf)');
  if (typeof jwk === 'object' && jwk !== null) return verifyWithJwk(decoded.signingInput, decoded.signature, decoded.alg, jwk as Record<string, unknown>) ? undefined : other;
  if (typeof kid === 'string' && kid.startsWith('did:')) {
    const did = kid.split('#')[0]!;
    const resolution = await resolver.resolve(did);
    const problem = resolutionProblem(did, resolution);
    if (problem) return issue('invalid-key-binding', `the holder key ${kid} cannot be resolved: ${problem.message}`);
    const method = (resolution.didDocument!.verificationMethod ?? []).find((m) => m.id === kid || `${did}${m.id}` === kid);
    if (!method) return issue('invalid-key-binding', `${did} has no key ${kid}`);
    try {
      verifyJWS(jwt, method);
      return undefined;
    } catch {
      return other;
    }
  }
  return issue('invalid-key-binding', 'the credential\'s cnf holds neither a jwk nor a DID URL kid');
}
