// Time checks of a JWT (`nbf`, `iat`, `exp`) and of the credential inside it (VCDM 2.0 `validFrom` /
// `validUntil`, VCDM 1.1 `issuanceDate` / `expirationDate`), with a small clock skew. A credential is
// valid only inside every window it states; a JWT claim and the credential field it encodes must
// agree. Pure: runs in the browser too.
import { issue, type VerificationIssue } from './verification-errors';

/** Tolerated clock difference between issuer, holder and us. Small: a minute, not did-jwt's five. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

export interface ValidityWindowResult {
  notBefore: boolean;
  expiry: boolean;
  issues: VerificationIssue[];
}

/** A bound of the window and where it came from, for the message. */
interface Bound {
  seconds: number;
  source: string;
}

/** The credential fields that bound its validity, and the JWT claim each one is encoded as (VC-JWT 1.1 §6.3.1). */
const CREDENTIAL_START_FIELDS = [
  { field: 'validFrom', claim: 'nbf' },
  { field: 'issuanceDate', claim: 'nbf' },
] as const;
const CREDENTIAL_END_FIELDS = [
  { field: 'validUntil', claim: 'exp' },
  { field: 'expirationDate', claim: 'exp' },
] as const;

/**
 * Checks that `now` (seconds) lies inside [start − skew, end + skew), where start is the latest of
 * `nbf` (or, without it, `iat`), `validFrom` and `issuanceDate`, and end the earliest of `exp`,
 * `validUntil` and `expirationDate`. `credential` is the credential object (the `vc` claim of a 1.1
 * VC-JWT, or the payload itself for VC-JOSE 2.0); absent for presentations and other JWTs.
 * Non-numeric claims are `malformed-jwt`; unparsable credential dates, and a claim that disagrees with
 * the credential field it encodes, are `invalid-credential`.
 */
export function checkValidityWindow(
  payload: Record<string, unknown>,
  nowSeconds: number,
  skewSeconds: number = DEFAULT_CLOCK_SKEW_SECONDS,
  credential?: Record<string, unknown>,
): ValidityWindowResult {
  const issues: VerificationIssue[] = [];
  let notBefore = true;
  let expiry = true;
  for (const claim of ['nbf', 'iat', 'exp'] as const) {
    const value = payload[claim];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      issues.push(issue('malformed-jwt', `"${claim}" is not a NumericDate (seconds since the epoch)`));
      if (claim === 'exp') expiry = false;
      else notBefore = false;
    }
  }
  const claimSeconds = (claim: 'nbf' | 'iat' | 'exp') => (typeof payload[claim] === 'number' && Number.isFinite(payload[claim]) ? (payload[claim] as number) : undefined);
  const nbf = claimSeconds('nbf');
  const iat = claimSeconds('iat');
  const exp = claimSeconds('exp');
  const starts: Bound[] = [];
  const ends: Bound[] = [];
  if (nbf !== undefined || iat !== undefined) starts.push({ seconds: (nbf ?? iat)!, source: nbf !== undefined ? 'nbf' : 'iat' });
  if (exp !== undefined) ends.push({ seconds: exp, source: 'exp' });

  if (credential) {
    const read = (fields: typeof CREDENTIAL_START_FIELDS | typeof CREDENTIAL_END_FIELDS, bounds: Bound[], claimValue: number | undefined, isStart: boolean) => {
      for (const { field, claim } of fields) {
        const value = credential[field];
        if (value === undefined) continue;
        const seconds = typeof value === 'string' ? dateTimeSeconds(value) : undefined;
        if (seconds === undefined) {
          issues.push(issue('invalid-credential', `"${field}" is not an XML Schema dateTime such as 2027-01-31T00:00:00Z`));
          if (isStart) notBefore = false;
          else expiry = false;
          continue;
        }
        // The JWT claim encodes the field (whole seconds): a difference means one of them lies.
        if (claimValue !== undefined && Math.floor(seconds) !== Math.floor(claimValue)) {
          issues.push(issue('invalid-credential', `"${claim}" (${isoSeconds(claimValue)}) and "${field}" (${value}) disagree`));
          if (isStart) notBefore = false;
          else expiry = false;
        }
        bounds.push({ seconds, source: field });
      }
    };
    read(CREDENTIAL_START_FIELDS, starts, nbf, true);
    read(CREDENTIAL_END_FIELDS, ends, exp, false);
  }

  const start = starts.reduce<Bound | undefined>((latest, bound) => (latest === undefined || bound.seconds > latest.seconds ? bound : latest), undefined);
  const end = ends.reduce<Bound | undefined>((earliest, bound) => (earliest === undefined || bound.seconds < earliest.seconds ? bound : earliest), undefined);
  if (start !== undefined && start.seconds > nowSeconds + skewSeconds) {
    notBefore = false;
    issues.push(issue('not-yet-valid', `not valid before ${isoSeconds(start.seconds)} (${start.source})`));
  }
  if (end !== undefined && end.seconds <= nowSeconds - skewSeconds) {
    expiry = false;
    issues.push(issue('expired', `expired at ${isoSeconds(end.seconds)} (${end.source})`));
  }
  return { notBefore, expiry, issues };
}

/** An XML Schema dateTime with a time zone (what VCDM requires), as seconds; undefined when it is none. */
const DATE_TIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function dateTimeSeconds(value: string): number | undefined {
  if (!DATE_TIME.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}
