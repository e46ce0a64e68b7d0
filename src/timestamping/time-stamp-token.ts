// The time-stamp token (RFC 3161 §2.4.2): TSTInfo, signed as CMS SignedData (RFC 5652) with the
// ESS signing-certificate-v2 attribute (RFC 5816), signed by node:crypto. Everything that is the same
// for every token (the certificates, the signer's and the TSA's names, the algorithms, the fixed
// attributes and their order) is encoded once by @peculiar/asn1-*, when the signer is made; a token
// costs one TSTInfo, one digest, one signature and the SignedData around them, assembled from asn1js
// blocks (the encoder under @peculiar/asn1-schema) with those fixed parts as their DER.
import { hash, sign, type KeyObject } from 'node:crypto';
import { Attribute, DigestAlgorithmIdentifiers, IssuerAndSerialNumber, id_contentType, id_messageDigest, id_signedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Accuracy, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier, Certificate, GeneralName } from '@peculiar/asn1-x509';
import { Constructed, GeneralizedTime, Integer, ObjectIdentifier, OctetString, Sequence, Set as SetOf, type BaseBlock } from 'asn1js';
import { signatureSchemeFor, type SignatureScheme } from './algorithms';
import { derBlock, signingCertificateV2Attribute } from './cms-schemas';

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
  /** TSTInfo's version (1) and policy. */
  private readonly tstInfoHead: Uint8Array;
  /** TSTInfo's accuracy, if the TSA states one. */
  private readonly accuracy: Uint8Array | undefined;
  /** TSTInfo's tsa: [0] EXPLICIT GeneralName, the certificate's subject. */
  private readonly tsaField: Uint8Array;
  /** SignedData's version (3: the content is not id-data, RFC 5652 §5.1) and digestAlgorithms. */
  private readonly signedDataHead: Uint8Array;
  /** SignedData's certificates, [0] IMPLICIT SET OF: the chain as configured. */
  private readonly certificatesField: Uint8Array;
  /** SignerInfo's version (1: the signer is named by issuer and serial number), sid and digestAlgorithm. */
  private readonly signerInfoHead: Uint8Array;
  private readonly signatureAlgorithm: Uint8Array;
  /**
   * The signed attributes in DER order (X.690 §11.6: a SET OF is ordered by its members'
   * encodings; verifiers that re-encode the set as DER before checking the signature, BouncyCastle's
   * for one, would not verify another order, though OpenSSL's does). The attributes differ in
   * length, or else in type, before their values begin, so the order found once, with the message
   * digest's placeholder, holds for every token.
   */
  private readonly attributeOrder: Array<Uint8Array | 'messageDigest'>;

  constructor(
    private readonly privateKey: KeyObject,
    chainDer: readonly Uint8Array[],
    terms: TokenTerms,
  ) {
    if (chainDer.length === 0) throw new Error('the TSA needs its certificate');
    this.chainDer = chainDer;
    this.certificateDer = chainDer[0]!;
    this.scheme = signatureSchemeFor(privateKey);
    const certificate = AsnConvert.parse(this.certificateDer, Certificate);
    const digestAlgorithm = new AlgorithmIdentifier({ algorithm: this.scheme.digest.oid });
    this.signedDataHead = der(new Integer({ value: 3 }).toBER(), AsnConvert.serialize(new DigestAlgorithmIdentifiers([digestAlgorithm])));
    this.certificatesField = der(explicitOrImplicitZero(chainDer.map((certificateDer) => derBlock(certificateDer))).toBER());
    const issuerAndSerial = new IssuerAndSerialNumber({ issuer: certificate.tbsCertificate.issuer, serialNumber: certificate.tbsCertificate.serialNumber });
    this.signerInfoHead = der(new Integer({ value: 1 }).toBER(), AsnConvert.serialize(issuerAndSerial), AsnConvert.serialize(digestAlgorithm));
    this.signatureAlgorithm = der(
      AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: this.scheme.signatureOid, ...(this.scheme.nullParameters ? { parameters: null } : {}) })),
    );
    this.tstInfoHead = der(new Integer({ value: 1 }).toBER(), new ObjectIdentifier({ value: terms.policy }).toBER());
    const accuracy = accuracyOf(terms.accuracyMs);
    this.accuracy = accuracy && der(AsnConvert.serialize(accuracy));
    const tsaName = der(AsnConvert.serialize(new GeneralName({ directoryName: certificate.tbsCertificate.subject })));
    this.tsaField = der(explicitOrImplicitZero([derBlock(tsaName)]).toBER());
    const fixedAttributes = [
      new Attribute({ attrType: id_contentType, attrValues: [new ObjectIdentifier({ value: id_ct_tstInfo }).toBER()] }),
      signingCertificateV2Attribute(this.certificateDer),
    ].map((attribute) => der(AsnConvert.serialize(attribute)));
    const digestPlaceholder = der(messageDigestAttribute(new Uint8Array(this.scheme.digest.digestLength)).toBER());
    this.attributeOrder = [...fixedAttributes.map((encoded) => ({ encoded, attribute: encoded as Uint8Array | 'messageDigest' })), { encoded: digestPlaceholder, attribute: 'messageDigest' as const }]
      .sort((a, b) => Buffer.compare(a.encoded, b.encoded))
      .map(({ attribute }) => attribute);
  }

  /**
   * The DER TimeStampToken (a CMS ContentInfo) for one request, assembled from asn1js blocks: the
   * members that vary (serial number, time, nonce, digest, signature) as asn1js writes them, the
   * rest as the DER the libraries wrote when the signer was made. Going through @peculiar's schemas
   * for every token cost a third more CPU and twice the garbage; the bytes are the same
   * (test/timestamping/token-verification.test.ts reads tokens back into @peculiar/asn1-cms and
   * @peculiar/asn1-tsp's types and writes them again, byte for byte).
   */
  sign(request: TokenRequest): Uint8Array {
    // TSTInfo (RFC 3161 §2.4.2): ordering is FALSE, its default, so DER leaves it out.
    const tstInfo = new Sequence({
      value: [
        derBlock(this.tstInfoHead),
        derBlock(request.messageImprintDer),
        new Integer({ valueHex: positiveIntegerBytes(request.serialNumber) }),
        new GeneralizedTime({ valueDate: request.genTime }),
        ...(this.accuracy ? [derBlock(this.accuracy)] : []),
        ...(request.nonce ? [new Integer({ valueHex: request.nonce })] : []),
        derBlock(this.tsaField),
      ],
    });
    const tstInfoDer = new Uint8Array(tstInfo.toBER());
    // One-shot hashes: no Hash object whose native part a scavenge must then finalise.
    const digest = hash(this.scheme.digest.name, tstInfoDer, 'buffer');
    const messageDigest = messageDigestAttribute(digest);
    const attributes = this.attributeOrder.map((attribute) => (attribute === 'messageDigest' ? messageDigest : derBlock(attribute)));
    // The signature covers the attributes as a DER SET OF (RFC 5652 §5.4); the SignerInfo carries
    // the same members under [0] IMPLICIT.
    const signature = sign(this.scheme.digest.name, new Uint8Array(new SetOf({ value: attributes }).toBER()), this.privateKey);
    const signerInfo = new Sequence({
      value: [derBlock(this.signerInfoHead), explicitOrImplicitZero(attributes), derBlock(this.signatureAlgorithm), new OctetString({ valueHex: signature })],
    });
    const encapsulatedContent = new Sequence({ value: [derBlock(TST_INFO_CONTENT_TYPE), explicitOrImplicitZero([new OctetString({ valueHex: tstInfoDer })])] });
    const signedData = new Sequence({
      value: [
        derBlock(this.signedDataHead),
        encapsulatedContent,
        ...(request.includeCertificates ? [derBlock(this.certificatesField)] : []),
        new SetOf({ value: [signerInfo] }),
      ],
    });
    return new Uint8Array(new Sequence({ value: [derBlock(SIGNED_DATA_CONTENT_TYPE), explicitOrImplicitZero([signedData])] }).toBER());
  }
}

/** id-signedData (RFC 5652 §5.1), the token's ContentInfo type, and id-ct-TSTInfo, its content's. */
const SIGNED_DATA_CONTENT_TYPE = der(new ObjectIdentifier({ value: id_signedData }).toBER());
const TST_INFO_CONTENT_TYPE = der(new ObjectIdentifier({ value: id_ct_tstInfo }).toBER());
const MESSAGE_DIGEST_TYPE = der(new ObjectIdentifier({ value: id_messageDigest }).toBER());

/** The message-digest attribute (RFC 5652 §11.2): SEQUENCE { id-messageDigest, SET { OCTET STRING } }. */
function messageDigestAttribute(digest: Uint8Array): BaseBlock {
  return new Sequence({ value: [derBlock(MESSAGE_DIGEST_TYPE), new SetOf({ value: [new OctetString({ valueHex: digest })] })] });
}

/**
 * A constructed [0]: the EXPLICIT tag around one value (ContentInfo's content, eContent), or the
 * IMPLICIT tag of a SET OF (certificates, signedAttrs): both are the context tag 0 over the members.
 */
function explicitOrImplicitZero(members: BaseBlock[]): BaseBlock {
  return new Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: members });
}

/** The bytes of DER values, one after the other. */
function der(...values: Array<ArrayBuffer | Uint8Array>): Uint8Array {
  return new Uint8Array(Buffer.concat(values.map((value) => new Uint8Array(value))));
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
