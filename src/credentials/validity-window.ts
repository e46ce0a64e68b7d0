// Time checks of JWT claims (`nbf`, `iat`, `exp`) with a small clock skew. Pure: runs in the browser too.
import { issue, type VerificationIssue } from './verification-errors';

/** Tolerated clock difference between issuer, holder and us. Small: a minute, not did-jwt's five. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

export interface ValidityWindowResult {
  notBefore: boolean;
  expiry: boolean;
  issues: VerificationIssue[];
}

/**
 * Checks that `now` (seconds) lies inside [nbf − skew, exp + skew). Without `nbf`, an `iat` in the
 * future beyond the skew also counts as not yet valid. Non-numeric claims are malformed.
 */
export function checkValidityWindow(
  payload: Record<string, unknown>,
  nowSeconds: number,
  skewSeconds: number = DEFAULT_CLOCK_SKEW_SECONDS,
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
  const nbf = typeof payload.nbf === 'number' ? payload.nbf : undefined;
  const iat = typeof payload.iat === 'number' ? payload.iat : undefined;
  const exp = typeof payload.exp === 'number' ? payload.exp : undefined;
  const start = nbf ?? iat;
  if (start !== undefined && Number.isFinite(start) && start > nowSeconds + skewSeconds) {
    notBefore = false;
    issues.push(issue('not-yet-valid', `not valid before ${isoSeconds(start)} (${nbf !== undefined ? 'nbf' : 'iat'})`));
  }
  if (exp !== undefined && Number.isFinite(exp) && exp <= nowSeconds - skewSeconds) {
    expiry = false;
    issues.push(issue('expired', `expired at ${isoSeconds(exp)}`));
  }
  return { notBefore, expiry, issues };
}

function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}
