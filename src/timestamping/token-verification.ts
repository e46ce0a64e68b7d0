// Verification of an RFC 3161 time-stamp token on its own, as `openssl ts -verify` does it and with
// the certificate checked at the token's time: the document's imprint, the signed attributes
// (content type, message digest, ESS signing-certificate-v2), the signature, the TSA certificate's
// extended key usage, and a path from it to a certificate the verifier trusts. Revocation (CRL,
// OCSP) is not checked. Used by `did-notary verify-tsr`, which adds the chain anchor.
import { createHash, verify, X509Certificate } from 'node:crypto';
import { ContentInfo, id_contentType, id_messageDigest, id_signedData, SignedData, type SignerInfo } from '@peculiar/asn1-cms';
import { AsnConvert, AsnParser, OctetString } from '@peculiar/asn1-schema';
import { id_ct_tstInfo, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import { Certificate, id_ce_extKeyUsage, id_kp_timeStamping, ExtendedKeyUsage } from '@peculiar/asn1-x509';
import { Constructed, fromBER, ObjectIdentifier } from 'asn1js';
import { imprintAlgorithm } from './algorithms';
import { SignedAttributeSet, SigningCertificateV2, SIGNING_CERTIFICATE_V2_OID } from './cms-schemas';

/** Why a token does not prove what it claims; stable identifiers for scripts. */
export type TokenFailureReason =
  | 'not-a-token'
  | 'unsupported-algorithm'
  | 'wrong-document'
  | 'bad-signed-attributes'
  | 'bad-signature'
  | 'no-signer-certificate'
  | 'not-a-tsa-certificate'
  | 'untrusted-certificate';

/** A token that holds: the TSA signed that the document's imprint existed at `genTime`. */
export interface TokenVerified {
  valid: true;
  genTime: Date;
  /** ± this many milliseconds, as the token states (undefined: not stated). */
  accuracyMs?: number;
  serialNumber: bigint;
  policy: string;
  /** The imprint's hash function (sha256, sha384, sha512). */
  algorithm: string;
  /** The TSA certificate's subject, and the end of its validity. */
  tsa: string;
  certificateValidTo: Date;
}

export interface TokenRejected {
  valid: false;
  reason: TokenFailureReason;
  message: string;
}

export type TokenVerification = TokenVerified | TokenRejected;

export interface TokenVerificationOptions {
  /** The time-stamped document; its hash must be the token's imprint. */
  documentBytes: Uint8Array;
  /** DER certificates the verifier trusts (the TSA's self-signed certificate, or a CA's). */
  trustedCertificates: readonly Uint8Array[];
  /** More DER certificates to build the path with (the TSA's, when the token does not carry it). */
  untrustedCertificates?: readonly Uint8Array[];
}

/**
 * The DER TimeStampToken in a file's bytes: a TimeStampResp as a TSA sends it (status granted), or
 * the token alone (`openssl ts -reply -token_out`, or what a PDF signature embeds). Throws a
 * sentence when the bytes are neither.
 */
export function extractTimeStampToken(bytes: Uint8Array): Uint8Array {
  const parsed = fromBER(bytes);
  if (parsed.offset === -1 || parsed.result.error) throw new Error('not DER: neither a time-stamp reply nor a token');
  try {
    AsnParser.fromASN(parsed.result, ContentInfo);
    return bytes.subarray(0, parsed.offset);
  } catch {
    // not a ContentInfo: a reply?
  }
  let reply: TimeStampResp;
  try {
    reply = AsnParser.fromASN(parsed.result, TimeStampResp);
  } catch {
    throw new Error('neither a time-stamp reply (TimeStampResp) nor a token (ContentInfo)');
  }
  if (!reply.timeStampToken) {
    const text = reply.status.statusString?.join('; ');
    throw new Error(`the reply carries no token: the TSA answered status ${reply.status.status}${text ? ` (${text})` : ''}`);
  }
  // The token's bytes as the TSA sent them (their SHA-256 is what was anchored), not re-encoded.
  return (parsed.result as Constructed).valueBlock.value[1]!.valueBeforeDecodeView;
}

/** Verifies a DER TimeStampToken for a document against trusted certificates. Failures are results. */
export function verifyTimeStampToken(tokenDer: Uint8Array, options: TokenVerificationOptions): TokenVerification {
  let signedData: SignedData;
  let tstInfoDer: Uint8Array;
  let tstInfo: TSTInfo;
  try {
    const contentInfo = AsnConvert.parse(tokenDer, ContentInfo);
    if (contentInfo.contentType !== id_signedData) return rejected('not-a-token', `content type ${contentInfo.contentType} is not SignedData`);
    signedData = AsnConvert.parse(contentInfo.content, SignedData);
    if (signedData.encapContentInfo.eContentType !== id_ct_tstInfo) return rejected('not-a-token', 'the signed content is not a TSTInfo');
    const content = signedData.encapContentInfo.eContent?.single;
    if (!content) return rejected('not-a-token', 'the token carries no TSTInfo');
    tstInfoDer = new Uint8Array(content.buffer);
    tstInfo = AsnConvert.parse(tstInfoDer, TSTInfo);
  } catch (error) {
    return rejected('not-a-token', `not a time-stamp token: ${(error as Error).message.slice(0, 200)}`);
  }

  const algorithm = imprintAlgorithm(tstInfo.messageImprint.hashAlgorithm.algorithm);
  if (!algorithm) return rejected('unsupported-algorithm', `imprint hash ${tstInfo.messageImprint.hashAlgorithm.algorithm} is not SHA-256, SHA-384 or SHA-512`);
  const documentDigest = createHash(algorithm.name).update(options.documentBytes).digest();
  if (!documentDigest.equals(Buffer.from(tstInfo.messageImprint.hashedMessage.buffer))) {
    return rejected('wrong-document', `the document's ${algorithm.name} is not the imprint the token stamps`);
  }

  if (signedData.signerInfos.length !== 1) return rejected('bad-signed-attributes', `the token has ${signedData.signerInfos.length} signers, not one`);
  const signerInfo = signedData.signerInfos[0]!;
  const carried = (signedData.certificates ?? []).flatMap((choice) => (choice.certificate ? [new Uint8Array(AsnConvert.serialize(choice.certificate))] : []));
  const candidates = [...carried, ...(options.untrustedCertificates ?? []), ...options.trustedCertificates];
  const signerDer = candidates.find((der) => isSigner(der, signerInfo));
  if (!signerDer) return rejected('no-signer-certificate', 'the TSA certificate is neither in the token nor given (the query did not ask for it: pass the TSA certificate)');
  const signer = new X509Certificate(signerDer);

  const attributesProblem = signedAttributesProblem(signerInfo, tstInfoDer, signerDer);
  if (attributesProblem) return rejected('bad-signed-attributes', attributesProblem);
  const digest = imprintAlgorithm(signerInfo.digestAlgorithm.algorithm);
  if (!digest) return rejected('unsupported-algorithm', `signer digest ${signerInfo.digestAlgorithm.algorithm} is not supported`);
  const signedBytes = new Uint8Array(AsnConvert.serialize(new SignedAttributeSet(signerInfo.signedAttrs!)));
  let signatureHolds: boolean;
  try {
    signatureHolds = verify(digest.name, signedBytes, signer.publicKey, new Uint8Array(signerInfo.signature.buffer));
  } catch (error) {
    return rejected('unsupported-algorithm', `the signature could not be checked: ${(error as Error).message}`);
  }
  if (!signatureHolds) return rejected('bad-signature', 'the TSA\'s signature does not match the token');

  const usageProblem = timeStampingUsageProblem(signerDer);
  if (usageProblem) return rejected('not-a-tsa-certificate', usageProblem);
  const pathProblem = certificatePathProblem(signer, candidates, options.trustedCertificates, tstInfo.genTime);
  if (pathProblem) return rejected('untrusted-certificate', pathProblem);

  const accuracy = tstInfo.accuracy;
  return {
    valid: true,
    genTime: tstInfo.genTime,
    accuracyMs: accuracy ? (accuracy.seconds ?? 0) * 1000 + (accuracy.millis ?? 0) + Math.ceil((accuracy.micros ?? 0) / 1000) : undefined,
    serialNumber: BigInt(`0x${Buffer.from(tstInfo.serialNumber).toString('hex') || '0'}`),
    policy: tstInfo.policy,
    algorithm: algorithm.name,
    tsa: signer.subject.replace(/\n/g, ', '),
    certificateValidTo: new Date(signer.validTo),
  };
}

/** Whether a certificate is the one the SignerInfo names (issuer and serial, or subject key identifier). */
function isSigner(der: Uint8Array, signerInfo: SignerInfo): boolean {
  const certificate = AsnConvert.parse(der, Certificate);
  const bySerial = signerInfo.sid.issuerAndSerialNumber;
  if (bySerial) {
    return (
      Buffer.from(AsnConvert.serialize(bySerial.issuer)).equals(Buffer.from(AsnConvert.serialize(certificate.tbsCertificate.issuer))) &&
      Buffer.from(bySerial.serialNumber).equals(Buffer.from(certificate.tbsCertificate.serialNumber))
    );
  }
  const keyId = signerInfo.sid.subjectKeyIdentifier;
  const extension = certificate.tbsCertificate.extensions?.find((e) => e.extnID === '2.5.29.14');
  return keyId !== undefined && extension !== undefined && Buffer.from(AsnConvert.parse(extension.extnValue, OctetString).buffer).equals(Buffer.from(keyId.buffer));
}

/** What is wrong with the signed attributes: content type, message digest, signing certificate (RFC 5816). */
function signedAttributesProblem(signerInfo: SignerInfo, tstInfoDer: Uint8Array, signerDer: Uint8Array): string | undefined {
  const attributes = signerInfo.signedAttrs ?? [];
  const value = (type: string) => attributes.find((attribute) => attribute.attrType === type)?.attrValues[0];
  const contentType = value(id_contentType);
  if (!contentType || !Buffer.from(contentType).equals(Buffer.from(new ObjectIdentifier({ value: id_ct_tstInfo }).toBER()))) {
    return 'the signed content-type attribute is missing or not id-ct-TSTInfo';
  }
  const digest = imprintAlgorithm(signerInfo.digestAlgorithm.algorithm);
  const messageDigest = value(id_messageDigest);
  if (!digest || !messageDigest) return 'the signed message-digest attribute is missing';
  if (!Buffer.from(AsnConvert.parse(messageDigest, OctetString).buffer).equals(createHash(digest.name).update(tstInfoDer).digest())) {
    return 'the signed message digest is not the TSTInfo\'s: the token was changed';
  }
  const signingCertificate = value(SIGNING_CERTIFICATE_V2_OID);
  if (!signingCertificate) return 'the token has no ESS signing-certificate-v2 attribute (RFC 5816)';
  const certId = AsnConvert.parse(signingCertificate, SigningCertificateV2).certs[0];
  const hash = imprintAlgorithm(certId?.hashAlgorithm?.algorithm ?? '2.16.840.1.101.3.4.2.1');
  if (!certId || !hash || !Buffer.from(certId.certHash.buffer).equals(createHash(hash.name).update(signerDer).digest())) {
    return 'the signing-certificate attribute names another certificate than the signer\'s';
  }
  return undefined;
}

/** RFC 3161 §2.3: exactly one extended key usage, id-kp-timeStamping, critical. */
function timeStampingUsageProblem(der: Uint8Array): string | undefined {
  const extension = AsnConvert.parse(der, Certificate).tbsCertificate.extensions?.find((e) => e.extnID === id_ce_extKeyUsage);
  if (!extension) return 'the TSA certificate has no extended key usage';
  const usages = [...AsnConvert.parse(extension.extnValue, ExtendedKeyUsage)];
  if (usages.length !== 1 || usages[0] !== id_kp_timeStamping || !extension.critical) {
    return 'the TSA certificate\'s extended key usage is not timeStamping alone, marked critical';
  }
  return undefined;
}

/**
 * Why no path leads from `leaf` to a trusted certificate, each certificate valid at `at` and each
 * issuer a CA; undefined when one does. A trusted certificate ends the path (the TSA's own
 * self-signed certificate is trusted by being given).
 */
function certificatePathProblem(leaf: X509Certificate, candidates: readonly Uint8Array[], trusted: readonly Uint8Array[], at: Date): string | undefined {
  const trustedCertificates = trusted.map((der) => new X509Certificate(der));
  const pool = candidates.map((der) => new X509Certificate(der));
  const validAt = (certificate: X509Certificate) => new Date(certificate.validFrom) <= at && at <= new Date(certificate.validTo);
  let current = leaf;
  for (let depth = 0; depth < 8; depth += 1) {
    if (!validAt(current)) return `certificate "${current.subject.replace(/\n/g, ', ')}" was not valid at ${at.toISOString()} (${current.validFrom} to ${current.validTo})`;
    if (trustedCertificates.some((anchor) => anchor.raw.equals(current.raw))) return undefined;
    const issuer = [...trustedCertificates, ...pool].find(
      (candidate) => !candidate.raw.equals(current.raw) && candidate.ca && current.checkIssued(candidate) && current.verify(candidate.publicKey),
    );
    if (!issuer) return `no certificate given is trusted for "${current.subject.replace(/\n/g, ', ')}" (pass the TSA certificate or its CA with --ca-file)`;
    current = issuer;
  }
  return 'the certificate path is longer than 8';
}

function rejected(reason: TokenFailureReason, message: string): TokenRejected {
  return { valid: false, reason, message };
}
