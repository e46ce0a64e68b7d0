// When a chain anchor backs a time-stamp token: after its stated time (with slack for block clocks),
// not too long after it, and before the TSA certificate expired.
import { describe, expect, it } from 'vitest';
import { ANCHOR_CLOCK_SLACK_MS, anchorInconsistency } from '../../src/timestamping/anchored-token';

const token = { genTime: new Date('2026-12-07T12:00:00Z'), accuracyMs: 1000, certificateValidTo: new Date('2027-01-01T00:00:00Z') };
const at = (iso: string) => new Date(iso).getTime();
const DAY_MS = 86_400_000;

describe('a chain anchor backing a time-stamp token', () => {
  it('backs a token anchored seconds after its time, or a little before it within the block-clock slack', () => {
    expect(anchorInconsistency(token, at('2026-12-07T12:00:11Z'), DAY_MS)).toBeUndefined();
    expect(anchorInconsistency(token, token.genTime.getTime() - ANCHOR_CLOCK_SLACK_MS, DAY_MS)).toBeUndefined();
  });

  it('does not back a token anchored before its stated time', () => {
    expect(anchorInconsistency(token, token.genTime.getTime() - ANCHOR_CLOCK_SLACK_MS - 2000, DAY_MS)).toMatch(/anchored earlier.*the TSA's clock was wrong/);
  });

  it('does not back a token anchored longer after its time than accepted (a backdated token would be)', () => {
    expect(anchorInconsistency(token, at('2026-12-09T12:00:00Z'), DAY_MS)).toMatch(/more than the accepted 86400 s later/);
    expect(anchorInconsistency(token, at('2026-12-07T12:00:11Z'), 5000)).toMatch(/more than the accepted 5 s later/);
  });

  it('does not back a token anchored after its certificate expired', () => {
    expect(anchorInconsistency(token, at('2027-01-01T00:00:01Z'), 365 * DAY_MS)).toMatch(/after the TSA certificate expired/);
  });
});
