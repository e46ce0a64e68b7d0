// ASN.1 types of the time-stamp token that @peculiar/asn1-cms and asn1-tsp lack, declared with
// @peculiar/asn1-schema: the ESS signing-certificate-v2 attribute (RFC 5035, required in tokens by
// RFC 5816), the SET OF form of the signed attributes that the signature covers, and a ContentInfo
// whose content is a SignedData value rather than opaque bytes. The library's schema decorators are
// applied as the plain calls they compile to (the project compiles without experimentalDecorators).
//
// `PreEncoded` is the one speed-up: the parts of a token that never change (certificates, the
// signer's and the TSA's names, the fixed attributes) are encoded once and handed to the serializer
// as their DER. asn1js re-encodes a parsed value node by node: about 0.5 ms for a 1 kB token on this
// machine, where the whole token otherwise costs about 0.1 ms. openssl's verification of every token
// in test/integration/tsa-openssl.test.ts is what keeps the pre-encoded parts honest.
import { createHash } from 'node:crypto';
import {
  AsnArray,
  AsnConvert,
  AsnObjectIdentifierConverter,
  AsnProp,
  AsnPropTypes,
  AsnType,
  AsnTypeTypes,
  OctetString,
  type IAsnConverter,
  type IAsnConvertible,
} from '@peculiar/asn1-schema';
import { Attribute, SignedData, id_messageDigest } from '@peculiar/asn1-cms';
import { TSTInfo, id_ct_tstInfo } from '@peculiar/asn1-tsp';
import { AlgorithmIdentifier, Certificate, GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { IssuerSerial } from '@peculiar/asn1-x509-attr';
import { ObjectIdentifier, RawData, type BaseBlock, type ViewWriter } from 'asn1js';

/** id-aa-signingCertificateV2 (RFC 5035). */
export const SIGNING_CERTIFICATE_V2_OID = '1.2.840.113549.1.9.16.2.47';

/**
 * DER bytes as an asn1js block. asn1js's own RawData only answers a top-level `toBER()`; nested in
 * a SEQUENCE it is handed the parent's writer (BaseBlock.toBER(sizeOnly, writer) in asn1js's
 * declarations) and must write itself there.
 */
class DerBlock extends RawData {
  override toBER(_sizeOnly?: boolean, writer?: ViewWriter): ArrayBuffer {
    if (!writer) return super.toBER();
    writer.write(this.dataView);
    return new ArrayBuffer(0);
  }
}

/**
 * A value already encoded as DER, written out as it is. asn1-schema serializes any value that
 * implements IAsnConvertible by its own `toASN`, whatever type the schema declares at that place.
 */
class PreEncoded implements IAsnConvertible<RawData> {
  constructor(private readonly der: Uint8Array) {}
  toASN(): RawData {
    return new DerBlock({ data: this.der });
  }
  fromASN(): this {
    throw new Error('PreEncoded values are only written, never read');
  }
  toSchema(): BaseBlock {
    throw new Error('PreEncoded values have no schema: they are only written');
  }
}

/** `der` standing in for a value of type T in a structure to serialize (T: the type the schema declares there). */
export function preEncoded<T>(der: Uint8Array | ArrayBuffer): T {
  return new PreEncoded(der instanceof Uint8Array ? der : new Uint8Array(der)) as unknown as T;
}

/** Each OBJECT IDENTIFIER's DER, encoded once by asn1js (about 15 µs an OID here; a token has several). */
const objectIdentifierDer = new Map<string, Uint8Array>();

/**
 * The OBJECT IDENTIFIER converter of asn1-schema, but writing each OID's DER as asn1js encoded it
 * the first time: for the OIDs every token carries (its policy, content types, attribute type).
 */
export const CachedObjectIdentifierConverter: IAsnConverter<string, ObjectIdentifier> = {
  fromASN: AsnObjectIdentifierConverter.fromASN,
  toASN: (value) => {
    let der = objectIdentifierDer.get(value);
    if (der === undefined) {
      der = new Uint8Array(new ObjectIdentifier({ value }).toBER());
      objectIdentifierDer.set(value, der);
    }
    // Written as its DER wherever an ObjectIdentifier goes: the serializer only asks it for its encoding.
    return new DerBlock({ data: der }) as unknown as ObjectIdentifier;
  },
};

/** TSTInfo (@peculiar/asn1-tsp's schema, inherited whole) with its policy OID written from the cache. */
export class TstInfoWithCachedPolicy extends TSTInfo {}
AsnProp({ type: AsnPropTypes.ObjectIdentifier, converter: CachedObjectIdentifierConverter })(TstInfoWithCachedPolicy.prototype, 'policy');

/**
 * EncapsulatedContentInfo ::= SEQUENCE { eContentType id-ct-TSTInfo, eContent [0] EXPLICIT OCTET
 * STRING }: the library's EncapsulatedContentInfo for a TSTInfo, its content type written from the cache.
 */
export class TstInfoContent {
  eContentType = id_ct_tstInfo;
  eContent = new OctetString();
  constructor(params: Partial<TstInfoContent> = {}) {
    Object.assign(this, params);
  }
}
AsnType({ type: AsnTypeTypes.Sequence })(TstInfoContent);
AsnProp({ type: AsnPropTypes.ObjectIdentifier, converter: CachedObjectIdentifierConverter })(TstInfoContent.prototype, 'eContentType');
AsnProp({ type: OctetString, context: 0 })(TstInfoContent.prototype, 'eContent');

/** The message-digest attribute (RFC 5652 §11.2): Attribute { id-messageDigest, SET { OCTET STRING } }, its type written from the cache. */
export class MessageDigestAttribute {
  attrType = id_messageDigest;
  attrValues: OctetString[] = [];
  constructor(params: Partial<MessageDigestAttribute> = {}) {
    Object.assign(this, params);
  }
}
AsnType({ type: AsnTypeTypes.Sequence })(MessageDigestAttribute);
AsnProp({ type: AsnPropTypes.ObjectIdentifier, converter: CachedObjectIdentifierConverter })(MessageDigestAttribute.prototype, 'attrType');
AsnProp({ type: OctetString, repeated: 'set' })(MessageDigestAttribute.prototype, 'attrValues');

/**
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
 * certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }. The hash is SHA-256 here, the
 * default, so `hashAlgorithm` stays absent (DER omits a default).
 */
export class EssCertIdV2 {
  hashAlgorithm?: AlgorithmIdentifier;
  certHash = new OctetString();
  issuerSerial?: IssuerSerial;
  constructor(params: Partial<EssCertIdV2> = {}) {
    Object.assign(this, params);
  }
}
AsnType({ type: AsnTypeTypes.Sequence })(EssCertIdV2);
AsnProp({ type: AlgorithmIdentifier, optional: true })(EssCertIdV2.prototype, 'hashAlgorithm');
AsnProp({ type: OctetString })(EssCertIdV2.prototype, 'certHash');
AsnProp({ type: IssuerSerial, optional: true })(EssCertIdV2.prototype, 'issuerSerial');

/** SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies … OPTIONAL }. */
export class SigningCertificateV2 {
  certs: EssCertIdV2[] = [];
  constructor(params: Partial<SigningCertificateV2> = {}) {
    Object.assign(this, params);
  }
}
AsnType({ type: AsnTypeTypes.Sequence })(SigningCertificateV2);
AsnProp({ type: EssCertIdV2, repeated: 'sequence' })(SigningCertificateV2.prototype, 'certs');

/**
 * SignedAttributes ::= SET SIZE (1..MAX) OF Attribute, in the form the signature covers (RFC 5652
 * §5.4: the SET OF tag, not the [0] IMPLICIT tag it carries inside SignerInfo).
 */
export class SignedAttributeSet extends AsnArray<Attribute> {
  constructor(items: Attribute[] = []) {
    super(items);
    Object.setPrototypeOf(this, SignedAttributeSet.prototype);
  }
}
AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })(SignedAttributeSet);

/** ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, content [0] EXPLICIT SignedData }. */
export class SignedDataContentInfo {
  contentType = '1.2.840.113549.1.7.2';
  content = new SignedData();
  constructor(params: Partial<SignedDataContentInfo> = {}) {
    Object.assign(this, params);
  }
}
AsnType({ type: AsnTypeTypes.Sequence })(SignedDataContentInfo);
AsnProp({ type: AsnPropTypes.ObjectIdentifier, converter: CachedObjectIdentifierConverter })(SignedDataContentInfo.prototype, 'contentType');
AsnProp({ type: SignedData, context: 0 })(SignedDataContentInfo.prototype, 'content');

/** The signing-certificate-v2 attribute naming `certificate` (DER) by its SHA-256 and its issuer and serial. */
export function signingCertificateV2Attribute(certificateDer: Uint8Array): Attribute {
  const certificate = AsnConvert.parse(certificateDer, Certificate);
  const essCertId = new EssCertIdV2({
    certHash: new OctetString(createHash('sha256').update(certificateDer).digest()),
    issuerSerial: new IssuerSerial({
      issuer: new GeneralNames([new GeneralName({ directoryName: certificate.tbsCertificate.issuer })]),
      serial: certificate.tbsCertificate.serialNumber,
      // Absent: the class starts it as an empty BIT STRING, which would be encoded.
      issuerUID: undefined,
    }),
  });
  return new Attribute({ attrType: SIGNING_CERTIFICATE_V2_OID, attrValues: [AsnConvert.serialize(new SigningCertificateV2({ certs: [essCertId] }))] });
}
