// The algorithms of the time-stamp authority by their object identifiers: the hash functions a
// request's message imprint may use, and the signature algorithm that fits the TSA's key.
import type { KeyObject } from 'node:crypto';

/** A hash function a time-stamp request may name (RFC 3161 §2.4.1 messageImprint). */
export interface ImprintAlgorithm {
  oid: string;
  /** node:crypto's name for it. */
  name: 'sha256' | 'sha384' | 'sha512';
  digestLength: number;
}

/** SHA-256, SHA-384 and SHA-512 (NIST OIDs 2.16.840.1.101.3.4.2.1–3): what today's clients send. */
export const IMPRINT_ALGORITHMS: readonly ImprintAlgorithm[] = [
  { oid: '2.16.840.1.101.3.4.2.1', name: 'sha256', digestLength: 32 },
  { oid: '2.16.840.1.101.3.4.2.2', name: 'sha384', digestLength: 48 },
  { oid: '2.16.840.1.101.3.4.2.3', name: 'sha512', digestLength: 64 },
];

/** The accepted imprint algorithm with this OID, or undefined (SHA-1, MD5, SHA-3, anything else). */
export function imprintAlgorithm(oid: string): ImprintAlgorithm | undefined {
  return IMPRINT_ALGORITHMS.find((algorithm) => algorithm.oid === oid);
}

/** How the TSA's key signs: the digest over the signed attributes and the CMS signature algorithm. */
export interface SignatureScheme {
  digest: ImprintAlgorithm;
  /** signatureAlgorithm of the SignerInfo. */
  signatureOid: string;
  /** RSA's AlgorithmIdentifier carries NULL parameters; ECDSA's carries none (RFC 5754). */
  nullParameters: boolean;
}

const SHA256 = IMPRINT_ALGORITHMS[0]!;
const SHA384 = IMPRINT_ALGORITHMS[1]!;
const SHA512 = IMPRINT_ALGORITHMS[2]!;

/**
 * The scheme for a private key: ECDSA with the hash that matches the curve (P-256 → SHA-256, P-384 →
 * SHA-384, P-521 → SHA-512), or RSA PKCS #1 v1.5 with SHA-256. Throws for other key types.
 */
export function signatureSchemeFor(key: KeyObject): SignatureScheme {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return { digest: SHA256, signatureOid: '1.2.840.10045.4.3.2', nullParameters: false };
    if (curve === 'secp384r1') return { digest: SHA384, signatureOid: '1.2.840.10045.4.3.3', nullParameters: false };
    if (curve === 'secp521r1') return { digest: SHA512, signatureOid: '1.2.840.10045.4.3.4', nullParameters: false };
    throw new Error(`the TSA key is on curve ${curve ?? 'unknown'}; use P-256, P-384 or P-521 (or RSA)`);
  }
  if (key.asymmetricKeyType === 'rsa') return { digest: SHA256, signatureOid: '1.2.840.113549.1.1.11', nullParameters: true };
  throw new Error(`the TSA key is of type ${key.asymmetricKeyType ?? 'unknown'}; use an EC (P-256, P-384, P-521) or RSA key`);
}
