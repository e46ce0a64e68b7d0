// The TimeStampResp (RFC 3161 §2.4.2) that answers every query: granted with its token, or a
// rejection whose PKIStatusInfo names the failure, so that a client learns why in its own protocol.
import { AsnConvert } from '@peculiar/asn1-schema';
import { PKIFailureInfo, PKIFreeText, PKIStatus, PKIStatusInfo, TimeStampResp } from '@peculiar/asn1-tsp';
import { Sequence } from 'asn1js';
import { derBlock } from './cms-schemas';
import type { TimeStampFailure } from './time-stamp-request';

/**
 * Bit numbers of PKIFailureInfo as RFC 3161 §2.4.2 defines them. @peculiar/asn1-tsp's
 * PKIFailureInfoFlags has them shifted by one from badRequest on (its badRequest is bit 1, RFC 3161's
 * is bit 2), so the bits are set from this table instead; openssl's reading of the reply checks it.
 */
const FAILURE_BITS: Record<TimeStampFailure, number> = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
};

/** PKIStatusInfo { status granted }, the same in every granted reply. */
const GRANTED = new Uint8Array(AsnConvert.serialize(new PKIStatusInfo({ status: PKIStatus.granted })));

/**
 * A granted reply carrying `tokenDer` (a DER TimeStampToken): TimeStampResp { status, timeStampToken },
 * both members written as they are (asn1js adds the SEQUENCE around them).
 */
export function grantedReply(tokenDer: Uint8Array): Uint8Array {
  return new Uint8Array(new Sequence({ value: [derBlock(GRANTED), derBlock(tokenDer)] }).toBER());
}

/** A rejection with one failure bit and `reason` as its statusString. */
export function rejectionReply(failure: TimeStampFailure, reason: string): Uint8Array {
  const reply = new TimeStampResp({
    status: new PKIStatusInfo({
      status: PKIStatus.rejection,
      statusString: new PKIFreeText([reason]),
      // BitString.fromNumber puts bit 0 first, as a named BIT STRING numbers its bits.
      failInfo: new PKIFailureInfo(2 ** FAILURE_BITS[failure]),
    }),
  });
  return new Uint8Array(AsnConvert.serialize(reply));
}
