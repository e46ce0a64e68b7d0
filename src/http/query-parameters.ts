// Query parameters read as the values the routes need, bounded as openapi.yaml states them.
import { HttpProblem } from './problems';

/**
 * A query parameter as a safe integer in [min, max]. openapi.yaml states the same bounds, and the
 * validator checks them; this keeps a number the database cannot hold (1e400, 2^70) from reaching
 * it if the two ever disagree.
 */
export function queryInteger(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new HttpProblem('validation-failed', `query parameter ${name} must be an integer from ${min} to ${max}`);
  }
  return number;
}
