// Signs the credentials the issuer hands out: the same VC-JWT bytes did-jwt-vc's
// createVerifiableCredentialJwt produces, without its generic input transformation and deep copies,
// and the W3C form of the result without decoding the JWT just made. Issuing is dominated by this path.
import { normalizeCredential, validateJwtCredentialPayload } from 'did-jwt-vc';
import type { ServiceIdentity } from '../../did/service-identity';

/** A credential to sign, already validated (issue-request.ts). */
export interface CredentialToSign {
  /** `jti`: the credential's id. */
  id: string;
  /** `sub`, also `credentialSubject.id`. */
  subject: string;
  /** `nbf`, seconds. */
  validFromSeconds: number;
  /** `exp`, seconds. */
  expiresAtSeconds?: number;
  context: string[];
  /** All types, VerifiableCredential first. */
  types: string[];
  claims: Record<string, unknown>;
  /** `vc.credentialStatus`: our two entries (VCDM allows an array; did-jwt-vc's type says one object). */
  credentialStatus?: object[];
}

export interface SignedCredential {
  jwt: string;
  /** The JWT's payload, as a verifier decodes it. */
  payload: Record<string, unknown>;
}

/** The proof type did-jwt-vc gives a JWT credential in its W3C form. */
const JWT_PROOF_TYPE = 'JwtProof2020';

/**
 * Signs `credential` as `identity`. The payload keys come in did-jwt-vc's order (`exp`, `vc`, `jti`,
 * `sub`, `nbf`, `iss`) and the header is `{"alg","typ"}`, so with a deterministic signer (ES256K,
 * RFC 6979) the JWT is byte for byte the one createVerifiableCredentialJwt would return.
 */
export async function signCredentialJwt(identity: ServiceIdentity, credential: CredentialToSign): Promise<SignedCredential> {
  const vc: Record<string, unknown> = {
    '@context': credential.context,
    type: credential.types,
    // the id also in the subject (besides `sub`): did-jwt-vc refuses an empty credentialSubject
    credentialSubject: { id: credential.subject, ...credential.claims },
  };
  if (credential.credentialStatus !== undefined) vc.credentialStatus = credential.credentialStatus;
  const payload: Record<string, unknown> = {};
  if (credential.expiresAtSeconds !== undefined) payload.exp = credential.expiresAtSeconds;
  payload.vc = vc;
  payload.jti = credential.id;
  payload.sub = credential.subject;
  payload.nbf = credential.validFromSeconds;
  // the same schema checks did-jwt-vc makes before signing (context, type, subject, timestamps)
  validateJwtCredentialPayload(payload as unknown as Parameters<typeof validateJwtCredentialPayload>[0]);
  payload.iss = identity.did;
  const signingInput = `${encodedHeader(identity.alg)}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`;
  const signature = await identity.signer(signingInput);
  if (typeof signature !== 'string') throw new Error('the service signer returned a signature object, not a JOSE string');
  return { jwt: `${signingInput}.${signature}`, payload };
}

/**
 * The W3C form of a credential signed here: what did-jwt-vc's normalizeCredential(jwt) returns, keys in
 * its order, built from the payload at hand instead of decoding and deep-copying it.
 */
export function normalizeSignedCredential(signed: SignedCredential): Record<string, unknown> {
  const { payload, jwt } = signed;
  const vc = payload.vc as Record<string, unknown>;
  const nbf = payload.nbf as number;
  // did-jwt-vc keeps a zero `nbf` as it is: leave that rarity to it
  if (!nbf) return normalizeWithDidJwtVc(signed);
  const credential: Record<string, unknown> = {
    credentialSubject: { ...(vc.credentialSubject as object), id: payload.sub },
    issuer: { id: payload.iss },
    id: payload.jti,
    type: [...new Set(vc.type as string[])],
  };
  if (vc.credentialStatus) credential.credentialStatus = vc.credentialStatus;
  credential['@context'] = [...new Set(vc['@context'] as string[])];
  credential.issuanceDate = new Date(nbf * 1000).toISOString();
  if (payload.exp) credential.expirationDate = new Date((payload.exp as number) * 1000).toISOString();
  credential.proof = { type: JWT_PROOF_TYPE, jwt };
  return credential;
}

function normalizeWithDidJwtVc(signed: SignedCredential): Record<string, unknown> {
  const { proof: _none, ...credential } = normalizeCredential(signed.payload as Parameters<typeof normalizeCredential>[0]) as unknown as Record<string, unknown>;
  return { ...credential, proof: { type: JWT_PROOF_TYPE, jwt: signed.jwt } };
}

const headers = new Map<string, string>();

function encodedHeader(alg: string): string {
  let header = headers.get(alg);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg, typ: 'JWT' }), 'utf8').toString('base64url');
    headers.set(alg, header);
  }
  return header;
}
