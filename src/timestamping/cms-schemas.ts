// ASN.1 types of the time-stamp token that @peculiar/asn1-cms and asn1-tsp lack, declared with
// @peculiar/asn1-schema: the ESS signing-certificate-v2 attribute (RFC 5035, required in tokens by
// RFC 5816) and the SET OF form of the signed attributes that the signature covers. The library's
// schema decorators are applied as the plain calls they compile to (the project compiles without
// experimentalDecorators). Also `derBlock`: DER the libraries wrote once, as a member of a structure
// that asn1js assembles for every token (time-stamp-token.ts).
import { createHash } from 'node:crypto';
import { AsnArray, AsnConvert, AsnProp, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { Attribute } from '@peculiar/asn1-cms';
import { AlgorithmIdentifier, Certificate, GeneralName, GeneralNames } from '@peculiar/asn1-x509';
import { IssuerSerial } from '@peculiar/asn1-x509-attr';
import { RawData, type BaseBlock, type ViewWriter } from 'asn1js';

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
 * DER bytes (one or more whole values, written one after the other) as an asn1js block, for the
 * members of a structure assembled from asn1js blocks (time-stamp-token.ts).
 */
export function derBlock(der: Uint8Array): BaseBlock {
  return new DerBlock({ data: der }) as unknown as BaseBlock;
}

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
