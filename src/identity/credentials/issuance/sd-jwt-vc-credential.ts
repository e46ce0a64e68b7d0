// Signs IETF SD-JWT VCs (draft-ietf-oauth-sd-jwt-vc, media type application/dc+sd-jwt): the issuer-signed
// JWT with the claims the issuer chose hidden behind digests, followed by one disclosure per hidden claim.
// Claims in nested objects and array elements can be disclosable on their own (SD-JWT §4.2.4–4.2.6).
import { encodeDisclosure, SD_HASH_ALGORITHM, type SaltSource } from '../sd-jwt/disclosures';
import type { ClaimPath } from '../sd-jwt/claim-paths';

/** The media type and JOSE `typ` of an SD-JWT VC (SD-JWT VC §3.2.1). */
export const SD_JWT_VC_TYPE = 'dc+sd-jwt';

/** Who signs: the issuer identifier (`iss`, an HTTPS URL), the key id and an ES256 signing function. */
export interface SdJwtVcIssuerKey {
  iss: string;
  kid: string;
  alg: 'ES256';
  sign(signingInput: string): string;
}

/** What goes into one SD-JWT VC. */
export interface SdJwtVcToSign {
  vct: string;
  claims: Record<string, unknown>;
  /** Claims to hide behind digests; every other claim is always visible. */
  disclosable: readonly ClaimPath[];
  iatSeconds: number;
  nbfSeconds?: number;
  expSeconds?: number;
  sub?: string;
  /** The holder's key binding (RFC 7800): `{ jwk }` or `{ kid: <DID URL> }`. */
  cnf?: Record<string, unknown>;
  /** The credential's entry in a Token Status List. */
  status?: { status_list: { idx: number; uri: string } };
}

export interface SignedSdJwtVc {
  /** `<issuer-signed JWT>~<disclosure>~…~`: the compact SD-JWT with every disclosure, no key binding. */
  sdJwt: string;
  /** The issuer-signed JWT alone. */
  jwt: string;
  /** Each disclosure with the path of the claim it reveals. */
  disclosures: Array<{ path: ClaimPath; disclosure: string }>;
}

/** Signs an SD-JWT VC; `salts` supplies each disclosure's salt. */
export function signSdJwtVc(key: SdJwtVcIssuerKey, credential: SdJwtVcToSign, salts: SaltSource): SignedSdJwtVc {
  const disclosures: SignedSdJwtVc['disclosures'] = [];
  const selection = new PathSelection(credential.disclosable);
  const claims = conceal(credential.claims, [], selection, salts, disclosures) as Record<string, unknown>;
  // Registered claims first and always visible: who issued it, when, its type, holder key and status.
  const payload: Record<string, unknown> = { iss: key.iss, iat: credential.iatSeconds };
  if (credential.nbfSeconds !== undefined) payload.nbf = credential.nbfSeconds;
  if (credential.expSeconds !== undefined) payload.exp = credential.expSeconds;
  payload.vct = credential.vct;
  if (credential.sub !== undefined) payload.sub = credential.sub;
  if (credential.cnf !== undefined) payload.cnf = credential.cnf;
  if (credential.status !== undefined) payload.status = credential.status;
  for (const [name, value] of Object.entries(claims)) setClaim(payload, name, value);
  payload._sd_alg = SD_HASH_ALGORITHM;
  const header = { alg: key.alg, typ: SD_JWT_VC_TYPE, kid: key.kid };
  const signingInput = `${base64urlJson(header)}.${base64urlJson(payload)}`;
  const jwt = `${signingInput}.${key.sign(signingInput)}`;
  return { sdJwt: `${jwt}~${disclosures.map((d) => `${d.disclosure}~`).join('')}`, jwt, disclosures };
}

/**
 * Hides the selected claims under `value` (at `path`), innermost first, so that a disclosed object can
 * itself hold hidden claims. Object properties go into `_sd` (sorted, so their order says nothing),
 * array elements become `{"...": digest}`.
 */
function conceal(value: unknown, path: ClaimPath, selection: PathSelection, salts: SaltSource, out: SignedSdJwtVc['disclosures']): unknown {
  if (!selection.hasBelow(path)) return value;
  if (Array.isArray(value)) {
    return value.map((element, index) => {
      const elementPath = [...path, index];
      const inner = conceal(element, elementPath, selection, salts, out);
      if (!selection.selects(elementPath)) return inner;
      const { encoded, digest } = encodeDisclosure([salts.next(), inner]);
      out.push({ path: elementPath, disclosure: encoded });
      return { '...': digest };
    });
  }
  if (typeof value !== 'object' || value === null) return value;
  const visible: Record<string, unknown> = {};
  const digests: string[] = [];
  for (const [name, claim] of Object.entries(value as Record<string, unknown>)) {
    const claimPath = [...path, name];
    const inner = conceal(claim, claimPath, selection, salts, out);
    if (!selection.selects(claimPath)) {
      setClaim(visible, name, inner);
      continue;
    }
    const { encoded, digest } = encodeDisclosure([salts.next(), name, inner]);
    out.push({ path: claimPath, disclosure: encoded });
    digests.push(digest);
  }
  if (digests.length > 0) visible._sd = digests.sort();
  return visible;
}

/** The disclosable paths, answering "is this concrete path selected?" and "is anything selected below it?". */
class PathSelection {
  constructor(private readonly paths: readonly ClaimPath[]) {}

  selects(path: ClaimPath): boolean {
    return this.paths.some((selected) => selected.length === path.length && matches(selected, path));
  }

  hasBelow(path: ClaimPath): boolean {
    return this.paths.some((selected) => selected.length > path.length && matches(selected.slice(0, path.length), path));
  }
}

/** A selected path matches a concrete one step by step; `null` matches any array index. */
function matches(selected: ClaimPath, concrete: ClaimPath): boolean {
  return selected.every((step, i) => step === concrete[i] || (step === null && typeof concrete[i] === 'number'));
}

/** Sets an own property, whatever its name: a claim named "__proto__" stays a claim, not a prototype. */
function setClaim(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

function base64urlJson(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
