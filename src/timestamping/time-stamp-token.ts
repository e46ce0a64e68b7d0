// The time-stamp token (RFC 3161 §2.4.2): TSTInfo, signed as CMS SignedData (RFC 5652) with the
// ESS signing-certificate-v2 attribute (RFC 5816), encoded by @peculiar/asn1-* and signed by
// node:crypto. Everything that is the same for every token (the certificates, the signer's and the
// TSA's names, the fixed attributes and their order) is encoded once, when the signer is made; a
// token costs one TSTInfo, one digest, one signature and the SignedData around them.
import { createHash, sign, type KeyObject } from 'node:crypto';
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  id_contentType,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Accuracy, id_ct_tstInfo, type MessageImprint } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier, Certificate, GeneralName } from '@peculiar/asn1-x509';
import { ObjectIdentifier } from 'asn1js';
import { signatureSchemeFor, type SignatureScheme } from './algorithms';
import { MessageDigestAttribute, preEncoded, SignedAttributeSet, SignedDataContentInfo, signingCertificateV2Attribute, TstInfoContent, TstInfoWithCachedPolicy } from './cms-schemas';

/** What the TSA states in every token besides the imprint. */
export interface TokenTerms {
  /** TSA policy OID under which tokens are issued. */
  policy: string;
  /** How far genTime may be from UTC, in milliseconds (0: no accuracy field). */
  accuracyMs: number;
}

/** One token's variable part. */
export interface TokenRequest {
  /** The request's messageImprint, DER, as the client sent it. */
  messageImprintDer: Uint8Array;
  serialNumber: bigint;
  genTime: Date;
  nonce?: ArrayBuffer;
  includeCertificates: boolean;
}

/** The TSA's signing key with its certificate chain, ready to sign tokens. */
export class TokenSigner {
  /** The leaf certificate (DER), the one whose key signs. */
  readonly certificateDer: Uint8Array;
  /** Leaf first, then its issuers as configured (DER). */
  readonly chainDer: readonly Uint8Array[];
  private readonly scheme: SignatureScheme;
  private readonly digestAlgorithm: AlgorithmIdentifier;
  private readonly digestAlgorithms: DigestAlgorithmIdentifiers;
  private readonly signatureAlgorithm: AlgorithmIdentifier;
  private readonly signerId: SignerIdentifier;
  private readonly tsaName: GeneralName;
  private readonly certificates: CertificateSet;
  private readonly accuracy: Accuracy | undefined;
  /**
   * The signed attributes in DER order (X.690 §11.6: a SET OF is ordered by its members'
   * encodings; OpenSSL re-encodes the set before checking the signature, so another order would not
   * verify there). The attributes differ in length, or else in type, before their values begin, so
   * the order found once, with the message digest's placeholder, holds for every token.
   */
  private readonly attributeOrder: Array<Attribute | 'messageDigest'>;

  constructor(
    private readonly privateKey: KeyObject,
    chainDer: readonly Uint8Array[],
    private readonly terms: TokenTerms,
  ) {
    if (chainDer.length === 0) throw new Error('the TSA needs its certificate');
    this.chainDer = chainDer;
    this.certificateDer = chainDer[0]!;
    this.scheme = signatureSchemeFor(privateKey);
    const certificate = AsnConvert.parse(this.certificateDer, Certificate);
    // Pre-encoded too: asn1js encodes an OBJECT IDENTIFIER slowly (about 20 µs for an algorithm
    // identifier here), and a token names its algorithms three times.
    const digestAlgorithm = new AlgorithmIdentifier({ algorithm: this.scheme.digest.oid });
    this.digestAlgorithm = preEncoded<AlgorithmIdentifier>(AsnConvert.serialize(digestAlgorithm));
    this.digestAlgorithms = preEncoded<DigestAlgorithmIdentifiers>(AsnConvert.serialize(new DigestAlgorithmIdentifiers([digestAlgorithm])));
    this.signatureAlgorithm = preEncoded<AlgorithmIdentifier>(
      AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: this.scheme.signatureOid, ...(this.scheme.nullParameters ? { parameters: null } : {}) })),
    );
    const issuerAndSerial = new IssuerAndSerialNumber({ issuer: certificate.tbsCertificate.issuer, serialNumber: certificate.tbsCertificate.serialNumber });
    this.signerId = new SignerIdentifier({ issuerAndSerialNumber: preEncoded(AsnConvert.serialize(issuerAndSerial)) });
    this.tsaName = preEncoded(AsnConvert.serialize(new GeneralName({ directoryName: certificate.tbsCertificate.subject })));
    this.certificates = new CertificateSet(chainDer.map((der) => preEncoded<CertificateChoices>(der)));
    const accuracy = accuracyOf(terms.accuracyMs);
    this.accuracy = accuracy && preEncoded<Accuracy>(AsnConvert.serialize(accuracy));
    const fixedAttributes = [
      new Attribute({ attrType: id_contentType, attrValues: [new ObjectIdentifier({ value: id_ct_tstInfo }).toBER()] }),
      signingCertificateV2Attribute(this.certificateDer),
    ].map((attribute) => Buffer.from(AsnConvert.serialize(attribute)));
    const digestPlaceholder = Buffer.from(this.messageDigestAttribute(new Uint8Array(this.scheme.digest.digestLength)));
    this.attributeOrder = [
      ...fixedAttributes.map((der) => ({ der, attribute: preEncoded<Attribute>(der) as Attribute | 'messageDigest' })),
      { der: digestPlaceholder, attribute: 'messageDigest' as const },
    ]
      .sort((a, b) => Buffer.compare(a.der, b.der))
      .map(({ attribute }) => attribute);
  }

  /** The DER TimeStampToken (a CMS ContentInfo) for one request. */
  sign(request: TokenRequest): Uint8Array {
    const tstInfo = new TstInfoWithCachedPolicy({
      version: 1,
      policy: this.terms.policy,
      messageImprint: preEncoded<MessageImprint>(request.messageImprintDer),
      serialNumber: positiveIntegerBytes(request.serialNumber),
      genTime: request.genTime,
      accuracy: this.accuracy,
      ordering: false,
      nonce: request.nonce,
      tsa: this.tsaName,
    });
    const tstInfoDer = AsnConvert.serialize(tstInfo);
    const digest = createHash(this.scheme.digest.name).update(new Uint8Array(tstInfoDer)).digest();
    const messageDigest = preEncoded<Attribute>(this.messageDigestAttribute(digest));
    const signedAttributes = this.attributeOrder.map((attribute) => (attribute === 'messageDigest' ? messageDigest : attribute));
    // The signature covers the attributes as a DER SET OF (RFC 5652 §5.4).
    const signedBytes = new Uint8Array(AsnConvert.serialize(new SignedAttributeSet(signedAttributes)));
    const signature = sign(this.scheme.digest.name, signedBytes, this.privateKey);
    const signedData = new SignedData({
      // v3: the encapsulated content is not id-data (RFC 5652 §5.1).
      version: 3,
      digestAlgorithms: this.digestAlgorithms,
      // The library's EncapsulatedContentInfo, as the same schema with its OID pre-encoded.
      encapContentInfo: new TstInfoContent({ eContent: new OctetString(tstInfoDer) }) as unknown as EncapsulatedContentInfo,
      certificates: request.includeCertificates ? this.certificates : undefined,
      signerInfos: new SignerInfos([
        new SignerInfo({
          // v1: the signer is named by issuer and serial number.
          version: 1,
          sid: this.signerId,
          digestAlgorithm: this.digestAlgorithm,
          signedAttrs: signedAttributes,
          signatureAlgorithm: this.signatureAlgorithm,
          signature: new OctetString(signature),
        }),
      ]),
    });
    return new Uint8Array(AsnConvert.serialize(new SignedDataContentInfo({ content: signedData })));
  }

  private messageDigestAttribute(digest: Uint8Array): Uint8Array {
    return new Uint8Array(AsnConvert.serialize(new MessageDigestAttribute({ attrValues: [new OctetString(digest)] })));
  }
}

/** The Accuracy field for a bound in milliseconds: whole seconds plus the remaining milliseconds. */
function accuracyOf(accuracyMs: number): Accuracy | undefined {
  if (accuracyMs <= 0) return undefined;
  const seconds = Math.floor(accuracyMs / 1000);
  const millis = accuracyMs % 1000;
  // Absent, not zero, where a part is zero (the class starts `seconds` at 0).
  return new Accuracy({ seconds: seconds > 0 ? seconds : undefined, millis: millis > 0 ? millis : undefined });
}

/** A positive INTEGER's content bytes: big-endian, with a leading zero byte when the top bit is set. */
export function positiveIntegerBytes(value: bigint): ArrayBuffer {
  if (value <= 0n) throw new RangeError('serial numbers are positive');
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return new Uint8Array(Buffer.from(hex, 'hex')).buffer;
}
