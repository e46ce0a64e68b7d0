// Signs W3C VC Data Model 2.0 credentials as VC-JOSE-COSE JWTs: the payload is the credential itself,
// the header says `typ: vc+jwt`. The registered JWT claims (`iss`, `jti`, `sub`, `nbf`, `exp`) repeat the
// credential's issuer, id, subject and validity so that plain JWT libraries (did-jwt needs `iss`) read it.
import type { Signer } from 'did-jwt';
import { VC_CONTEXT_V2 } from '../verification/vc-payload';

/** Who signs: a DID, its JOSE algorithm and signer, and optionally the verification method (`kid`). */
export interface VcJwtIssuer {
  did: string;
  alg: string;
  signer: Signer;
  /** The DID URL of the key; set where a verifier needs it to pick the key (did:web). */
  kid?: string;
}

/** A 2.0 credential to sign; `issuer` and the dates are added from the other arguments. */
export interface VcJoseCredential {
  id?: string;
  type: string[];
  credentialSubject: Record<string, unknown>;
  credentialStatus?: object[];
  /** Contexts after the base context v2 (which comes first, as VCDM 2.0 requires). */
  extraContexts?: string[];
}

/** The media type and JOSE `typ` of a VC-JOSE-COSE credential (VC-JOSE-COSE §3.1.1). */
export const VC_JWT_TYPE = 'vc+jwt';

/**
 * The credential as it is signed: `@context`, `id`, `type`, `issuer`, `validFrom`, `validUntil`,
 * `credentialSubject`, `credentialStatus`. This is also the W3C JSON form the issuer hands back.
 */
export function vcJoseCredentialBody(
  issuerDid: string,
  credential: VcJoseCredential,
  validity: { fromSeconds: number; untilSeconds?: number },
): Record<string, unknown> {
  const body: Record<string, unknown> = { '@context': [VC_CONTEXT_V2, ...(credential.extraContexts ?? [])] };
  if (credential.id !== undefined) body.id = credential.id;
  body.type = credential.type;
  body.issuer = issuerDid;
  body.validFrom = xmlDateTime(validity.fromSeconds);
  if (validity.untilSeconds !== undefined) body.validUntil = xmlDateTime(validity.untilSeconds);
  body.credentialSubject = credential.credentialSubject;
  if (credential.credentialStatus !== undefined) body.credentialStatus = credential.credentialStatus;
  return body;
}

/**
 * Signs `body` (from vcJoseCredentialBody) with `issuer`: the JWT claims are derived from it, never
 * given separately, so they cannot disagree with the credential.
 */
export async function signVcJoseCredential(issuer: VcJwtIssuer, body: Record<string, unknown>): Promise<string> {
  const payload: Record<string, unknown> = { ...body, iss: issuer.did };
  if (typeof body.id === 'string') payload.jti = body.id;
  const subjectId = (body.credentialSubject as { id?: unknown } | undefined)?.id;
  if (typeof subjectId === 'string') payload.sub = subjectId;
  payload.nbf = Math.floor(Date.parse(body.validFrom as string) / 1000);
  if (typeof body.validUntil === 'string') payload.exp = Math.floor(Date.parse(body.validUntil) / 1000);
  const header = issuer.kid === undefined ? { alg: issuer.alg, typ: VC_JWT_TYPE } : { alg: issuer.alg, typ: VC_JWT_TYPE, kid: issuer.kid };
  const signingInput = `${base64urlJson(header)}.${base64urlJson(payload)}`;
  const signature = await issuer.signer(signingInput);
  if (typeof signature !== 'string') throw new Error('the signer returned a signature object, not a JOSE string');
  return `${signingInput}.${signature}`;
}

/** Seconds as an XML Schema dateTime in UTC without fractions (`2027-01-31T00:00:00Z`). */
export function xmlDateTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function base64urlJson(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
