// The TSA's key and certificate chain: the operator's (issued by a real CA), or, by default, a P-256
// key and a self-signed certificate generated once into the data directory. Either way the chain is
// checked at start against what RFC 3161 §2.3 asks of a TSA certificate, so a wrong file stops the
// service with a sentence instead of producing tokens no client accepts.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  id_kp_timeStamping,
} from '@peculiar/asn1-x509';
import { signatureSchemeFor } from './algorithms';

/** Validity of a generated certificate. Tokens are checked against it long after they are made. */
const GENERATED_VALIDITY_YEARS = 10;
/** A certificate closer than this to its end is reported at every start. */
const EXPIRY_WARNING_MS = 30 * 24 * 3600_000;

export interface TsaCredentials {
  privateKey: KeyObject;
  /** Leaf first, then the issuers the operator's file lists (DER). */
  chainDer: Uint8Array[];
  /** Where they came from: generated now, the generated ones of an earlier start, or the operator's files. */
  source: 'generated' | 'data-directory' | 'configured';
  keyFile: string;
  certificateFile: string;
  /** Things an operator should hear about at start (a certificate about to expire). */
  warnings: string[];
}

/** The files of the generated credentials in a data directory. */
export function generatedCredentialFiles(dataDir: string): { keyFile: string; certificateFile: string } {
  const dir = path.join(dataDir, 'tsa');
  return { keyFile: path.join(dir, 'tsa-key.pem'), certificateFile: path.join(dir, 'tsa-certificate.pem') };
}

/**
 * The configured key and chain (both files, or neither), else the generated pair in `dataDir`,
 * made on first use. Throws a message naming the file and what is wrong with it.
 */
export function loadTsaCredentials(options: { dataDir: string; keyFile?: string; certificateFile?: string; now?: Date }): TsaCredentials {
  const now = options.now ?? new Date();
  if (options.keyFile !== undefined && options.certificateFile !== undefined) {
    return { ...readCredentials(options.keyFile, options.certificateFile, now), source: 'configured', keyFile: options.keyFile, certificateFile: options.certificateFile };
  }
  const files = generatedCredentialFiles(options.dataDir);
  // The certificate is written last: without it, any key there never signed a token.
  if (!fs.existsSync(files.certificateFile)) {
    generateCredentials(files.keyFile, files.certificateFile, now);
    return { ...readCredentials(files.keyFile, files.certificateFile, now), source: 'generated', ...files };
  }
  if (!fs.existsSync(files.keyFile)) {
    throw new Error(`${files.certificateFile} exists without its key ${files.keyFile}; restore the key, or remove ${path.dirname(files.keyFile)} to make a new TSA key and certificate`);
  }
  return { ...readCredentials(files.keyFile, files.certificateFile, now), source: 'data-directory', ...files };
}

function readCredentials(keyFile: string, certificateFile: string, now: Date): Pick<TsaCredentials, 'privateKey' | 'chainDer' | 'warnings'> {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(fs.readFileSync(keyFile));
  } catch (error) {
    throw new Error(`TSA key ${keyFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    signatureSchemeFor(privateKey);
  } catch (error) {
    throw new Error(`TSA key ${keyFile}: ${(error as Error).message}`);
  }
  let chain: X509Certificate[];
  try {
    chain = pemCertificates(fs.readFileSync(certificateFile, 'utf8')).map((der) => new X509Certificate(der));
  } catch (error) {
    throw new Error(`TSA certificate ${certificateFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const problems = tsaChainProblems(chain, privateKey, now);
  if (problems.length > 0) throw new Error(`TSA certificate ${certificateFile}: ${problems.join('; ')}`);
  const leaf = chain[0]!;
  const warnings: string[] = [];
  if (new Date(leaf.validTo).getTime() - now.getTime() < EXPIRY_WARNING_MS) {
    warnings.push(`the TSA certificate expires on ${new Date(leaf.validTo).toISOString()}; replace it before then`);
  }
  return { privateKey, chainDer: chain.map((certificate) => new Uint8Array(certificate.raw)), warnings };
}

/** The DER certificates of a PEM file, in file order. */
export function pemCertificates(pem: string): Uint8Array[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) throw new Error('no PEM certificate in the file');
  return blocks.map((block) => new Uint8Array(Buffer.from(block[1]!.replace(/\s+/g, ''), 'base64')));
}

/** The chain as PEM, leaf first (what GET /tsa/certificate serves). */
export function certificatesPem(chainDer: readonly Uint8Array[]): string {
  return chainDer.map((der) => new X509Certificate(der).toString()).join('');
}

/**
 * What disqualifies a chain from signing time-stamp tokens with `privateKey` at `now`: RFC 3161 §2.3
 * asks for exactly one extended key usage, id-kp-timeStamping, marked critical; the key must be the
 * certificate's; each certificate must be issued by the next one and valid now.
 */
export function tsaChainProblems(chain: readonly X509Certificate[], privateKey: KeyObject, now: Date): string[] {
  const problems: string[] = [];
  const leaf = chain[0];
  if (!leaf) return ['the file holds no certificate'];
  if (!leaf.checkPrivateKey(privateKey)) problems.push('the first certificate is not the TSA key\'s (put the TSA certificate first, then its issuers)');
  const extensions = AsnConvert.parse(leaf.raw, Certificate).tbsCertificate.extensions ?? [];
  const extendedKeyUsage = extensions.find((extension) => extension.extnID === id_ce_extKeyUsage);
  if (!extendedKeyUsage) problems.push('it has no extended key usage; a TSA certificate needs exactly timeStamping, critical');
  else {
    const usages = [...AsnConvert.parse(extendedKeyUsage.extnValue, ExtendedKeyUsage)];
    if (usages.length !== 1 || usages[0] !== id_kp_timeStamping) problems.push(`its extended key usage is ${usages.join(', ')}; a TSA certificate has exactly timeStamping (${id_kp_timeStamping})`);
    if (!extendedKeyUsage.critical) problems.push('its extended key usage is not marked critical');
  }
  const keyUsage = extensions.find((extension) => extension.extnID === id_ce_keyUsage);
  if (keyUsage && (AsnConvert.parse(keyUsage.extnValue, KeyUsage).toNumber() & (KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation)) === 0) {
    problems.push('its key usage allows neither digitalSignature nor nonRepudiation');
  }
  chain.forEach((certificate, index) => {
    const label = index === 0 ? 'the TSA certificate' : `certificate ${index + 1} of the file`;
    if (new Date(certificate.validFrom) > now) problems.push(`${label} is valid only from ${new Date(certificate.validFrom).toISOString()}`);
    if (new Date(certificate.validTo) < now) problems.push(`${label} expired on ${new Date(certificate.validTo).toISOString()}`);
    const issuer = chain[index + 1];
    if (issuer && !(certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey))) {
      problems.push(`${label} is not issued by certificate ${index + 2} of the file (list the chain leaf first, each certificate followed by its issuer)`);
    }
  });
  return problems;
}

/**
 * A P-256 key and a self-signed certificate for it, written with mode 0600 (the key) and 0644. P-256:
 * ECDSA signs in about 50 µs here where RSA-2048 takes about 1 ms, its tokens are small, and openssl,
 * Java, .NET, Adobe and pyHanko all verify it. An operator whose clients need RSA configures an RSA key.
 */
function generateCredentials(keyFile: string, certificateFile: string, now: Date): void {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + GENERATED_VALIDITY_YEARS);
  const certificate = selfSignedTsaCertificate(privateKey, new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), new Date(now.getTime() - 60_000), notAfter);
  fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  // The certificate last: a crash in between leaves a key without a certificate, replaced at the next start.
  writeFileAtomically(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  writeFileAtomically(certificateFile, new X509Certificate(certificate).toString(), 0o644);
}

/**
 * A self-signed X.509 v3 certificate (DER) for an ECDSA P-256 key, as RFC 3161 §2.3 asks of a TSA:
 * extended key usage exactly timeStamping, critical; key usage digitalSignature, critical; not a CA.
 */
function selfSignedTsaCertificate(privateKey: KeyObject, spki: Uint8Array, notBefore: Date, notAfter: Date): Uint8Array {
  const name = new Name(
    [
      ['2.5.4.10', 'did-notary'],
      ['2.5.4.3', 'did-notary time-stamping authority'],
    ].map(([type, value]) => new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })])),
  );
  const subjectPublicKeyInfo = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  const extension = (extnID: string, critical: boolean, value: unknown) => new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
  const signatureAlgorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' }); // ecdsa-with-SHA256
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: certificateSerialNumber(randomBytes(16)).buffer,
    signature: signatureAlgorithm,
    issuer: name,
    subject: name,
    validity: new Validity({ notBefore, notAfter }),
    subjectPublicKeyInfo,
    extensions: new Extensions([
      extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
      extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
      extension(id_ce_extKeyUsage, true, new ExtendedKeyUsage([id_kp_timeStamping])),
      // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(createHash('sha1').update(new Uint8Array(subjectPublicKeyInfo.subjectPublicKey)).digest())),
    ]),
  });
  const signature = sign('sha256', new Uint8Array(AsnConvert.serialize(tbsCertificate)), privateKey);
  return new Uint8Array(AsnConvert.serialize(new Certificate({ tbsCertificate, signatureAlgorithm, signatureValue: new Uint8Array(signature).buffer })));
}

/**
 * A certificate serial number from random bytes: positive (RFC 5280 §4.1.2.2) and with a first byte
 * that needs no leading zero and is no redundant one (DER forbids both in an INTEGER).
 */
export function certificateSerialNumber(random: Uint8Array): Uint8Array<ArrayBuffer> {
  const serial = new Uint8Array(random);
  serial[0] = 0x40 | (serial[0]! & 0x3f);
  return serial;
}

function writeFileAtomically(file: string, text: string, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text, { mode });
  fs.renameSync(temporary, file);
}
