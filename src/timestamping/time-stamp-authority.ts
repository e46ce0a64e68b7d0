// The time-stamp authority's use case: a query in, a TimeStampResp out. A granted token gets a
// unique serial number, is signed, and its SHA-256 is submitted to the notary as a document of the
// TSA's tenant before the reply leaves: every token a client holds is also anchored on the chain,
// by the same durable group commit as any other document.
import { hash } from 'node:crypto';
import { grantedReply, rejectionReply } from './time-stamp-reply';
import { isRejection, readTimeStampQuery, type TimeStampFailure } from './time-stamp-request';
import type { TokenSigner } from './time-stamp-token';
import type { SerialNumbers } from './serial-numbers';

/** The tenant whose documents are the tokens' hashes (receipts at GET /v1/receipts/<token SHA-256>). */
export const TSA_TENANT = 'tsa';

/** What happened to one query, for the HTTP status, metrics and logs. */
export type TimeStampOutcome =
  | { status: 'granted'; serialNumber: bigint; tokenSha256: Uint8Array; algorithm: string }
  | { status: 'rejection'; failure: TimeStampFailure; reason: string; error?: unknown };

export interface TimeStampAnswer {
  /** The DER TimeStampResp. */
  reply: Uint8Array;
  outcome: TimeStampOutcome;
}

export interface TimeStampAuthorityOptions {
  signer: TokenSigner;
  serials: SerialNumbers;
  policy: string;
  /** Submits a token's SHA-256 for anchoring; resolves once that submission is durably committed. */
  anchorToken: (tokenSha256: Uint8Array, serialNumber: bigint) => Promise<void>;
  /** The TSA's clock (tests set it). */
  now?: () => Date;
}

export class TimeStampAuthority {
  private readonly now: () => Date;

  constructor(private readonly options: TimeStampAuthorityOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Answers a DER TimeStampReq. Never throws: a query it cannot grant gets a rejection naming the
   * failure, and a failure of its own (the database, the notary) a `systemFailure` rejection.
   */
  async answer(query: Uint8Array): Promise<TimeStampAnswer> {
    const read = readTimeStampQuery(query, this.options.policy);
    if (isRejection(read)) return rejected(read.failure, read.reason);
    try {
      const serialNumber = await this.options.serials.take();
      const token = this.options.signer.sign({
        messageImprintDer: read.messageImprintDer,
        serialNumber,
        genTime: this.now(),
        nonce: read.nonce,
        includeCertificates: read.certReq,
      });
      const tokenSha256 = hash('sha256', token, 'buffer');
      await this.options.anchorToken(tokenSha256, serialNumber);
      return { reply: grantedReply(token), outcome: { status: 'granted', serialNumber, tokenSha256, algorithm: read.algorithm.name } };
    } catch (error) {
      return rejected('systemFailure', 'the time-stamp authority could not issue a token now; try again', error);
    }
  }
}

function rejected(failure: TimeStampFailure, reason: string, error?: unknown): TimeStampAnswer {
  return { reply: rejectionReply(failure, reason), outcome: { status: 'rejection', failure, reason, ...(error === undefined ? {} : { error }) } };
}
