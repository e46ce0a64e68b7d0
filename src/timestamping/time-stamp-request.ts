// A client's time-stamp query (RFC 3161 §2.4.1 TimeStampReq), read with @peculiar/asn1-tsp and
// checked against what this TSA grants. Anything it cannot grant is a rejection with the failure
// info RFC 3161 names for it, never an exception: the answer to a bad query is a TimeStampResp.
import { AsnParser } from '@peculiar/asn1-schema';
import { TimeStampReq } from '@peculiar/asn1-tsp';
import { Constructed, fromBER } from 'asn1js';
import { imprintAlgorithm, IMPRINT_ALGORITHMS, type ImprintAlgorithm } from './algorithms';

/** The PKIFailureInfo bits of RFC 3161 §2.4.2 (names as there). */
export type TimeStampFailure =
  | 'badAlg'
  | 'badRequest'
  | 'badDataFormat'
  | 'timeNotAvailable'
  | 'unacceptedPolicy'
  | 'unacceptedExtension'
  | 'addInfoNotAvailable'
  | 'systemFailure';

/** Why a query is not granted: the failure bit, and a sentence for the reply's statusString. */
export interface QueryRejection {
  failure: TimeStampFailure;
  reason: string;
}

/** A query this TSA grants. */
export interface TimeStampQuery {
  algorithm: ImprintAlgorithm;
  /** The hash of the client's data. */
  digest: Uint8Array;
  /** The messageImprint's DER as the client sent it: the token's must be the same value. */
  messageImprintDer: Uint8Array;
  /** The nonce's INTEGER content bytes as received, echoed as they are. */
  nonce?: ArrayBuffer;
  /** The client asked for the TSA certificate in the token. */
  certReq: boolean;
}

/** Queries carry one hash and a few small fields; a bigger body is not a time-stamp query. */
export const MAX_QUERY_BYTES = 16 * 1024;

/**
 * Reads a DER (or BER) TimeStampReq and checks it: version 1, a SHA-256/384/512 imprint of the
 * right length, no policy other than `policy`, no extensions (none is defined that this TSA would
 * honour, and RFC 3161 says an unknown one must be refused).
 */
export function readTimeStampQuery(der: Uint8Array, policy: string): TimeStampQuery | QueryRejection {
  if (der.length === 0) return { failure: 'badDataFormat', reason: 'the request body is empty; send a DER TimeStampReq' };
  if (der.length > MAX_QUERY_BYTES) return { failure: 'badDataFormat', reason: `the request is larger than ${MAX_QUERY_BYTES} bytes` };
  let request: TimeStampReq;
  let messageImprintDer: Uint8Array;
  try {
    const parsed = fromBER(der);
    if (parsed.offset === -1 || parsed.result.error) return { failure: 'badDataFormat', reason: `not DER: ${parsed.result.error || 'undecodable'}` };
    if (parsed.offset !== der.length) return { failure: 'badDataFormat', reason: `${der.length - parsed.offset} bytes follow the TimeStampReq` };
    request = AsnParser.fromASN(parsed.result, TimeStampReq);
    // The schema matched: the second member of the SEQUENCE is the messageImprint.
    messageImprintDer = (parsed.result as Constructed).valueBlock.value[1]!.valueBeforeDecodeView;
  } catch (error) {
    return { failure: 'badDataFormat', reason: `not a TimeStampReq: ${(error as Error).message.slice(0, 200)}` };
  }
  if (request.version !== 1) return { failure: 'badRequest', reason: `version ${request.version} is not supported; only v1` };
  const algorithm = imprintAlgorithm(request.messageImprint.hashAlgorithm.algorithm);
  if (!algorithm) {
    return {
      failure: 'badAlg',
      reason: `hash algorithm ${request.messageImprint.hashAlgorithm.algorithm} is not accepted; use ${IMPRINT_ALGORITHMS.map((a) => a.name.toUpperCase()).join(', ')}`,
    };
  }
  const digestLength = request.messageImprint.hashedMessage.byteLength;
  if (digestLength !== algorithm.digestLength) {
    return { failure: 'badDataFormat', reason: `the ${algorithm.name} imprint is ${digestLength} bytes long, not ${algorithm.digestLength}` };
  }
  if (request.reqPolicy !== undefined && request.reqPolicy !== policy) {
    return { failure: 'unacceptedPolicy', reason: `policy ${request.reqPolicy} is not offered; this TSA stamps under ${policy}` };
  }
  if (request.extensions !== undefined && request.extensions.length > 0) {
    return { failure: 'unacceptedExtension', reason: `extension ${request.extensions[0]!.extnID} is not supported` };
  }
  return { algorithm, digest: new Uint8Array(request.messageImprint.hashedMessage.buffer), messageImprintDer, nonce: request.nonce, certReq: request.certReq };
}

/** Whether `read` rejected the query. */
export function isRejection(read: TimeStampQuery | QueryRejection): read is QueryRejection {
  return 'failure' in read;
}
