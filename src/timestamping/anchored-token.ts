// How the two proofs of a time stamp stack: the TSA's token states a time, and the chain anchor of the
// token's hash proves the token existed by the anchoring block. The anchor backs the token only when
// it comes after the stated time, soon after it, and while the TSA certificate was still valid.
import type { TokenVerified } from './token-verification';

/** How much earlier than the token's time its anchoring block may claim to be (block clocks drift). */
export const ANCHOR_CLOCK_SLACK_MS = 5 * 60_000;

/**
 * Why the anchor does not back the token even though both hold: anchored before the time the token
 * states (the TSA's clock was ahead); anchored long after it (the anchor then bounds the token only
 * to its own time: a token backdated with a leaked key would look like this); or anchored after the
 * certificate expired (the chain then cannot show that it was signed while the certificate was valid).
 * `anchoredAt` is the anchoring block's time in epoch milliseconds; undefined: the anchor backs it.
 */
export function anchorInconsistency(token: Pick<TokenVerified, 'genTime' | 'accuracyMs' | 'certificateValidTo'>, anchoredAt: number, maxDelayMs: number): string | undefined {
  if (anchoredAt + ANCHOR_CLOCK_SLACK_MS + (token.accuracyMs ?? 0) < token.genTime.getTime()) {
    return `the token states ${token.genTime.toISOString()}, but its hash was anchored earlier, at ${new Date(anchoredAt).toISOString()}: the TSA's clock was wrong`;
  }
  if (anchoredAt - token.genTime.getTime() > maxDelayMs) {
    return `the token states ${token.genTime.toISOString()} but was anchored only at ${new Date(anchoredAt).toISOString()}, more than the accepted ${maxDelayMs / 1000} s later: the chain pins it to that later time only`;
  }
  if (anchoredAt > token.certificateValidTo.getTime()) {
    return `the token was anchored at ${new Date(anchoredAt).toISOString()}, after the TSA certificate expired (${token.certificateValidTo.toISOString()})`;
  }
  return undefined;
}
