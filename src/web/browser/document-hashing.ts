// Hashes a chosen file on this device: WebCrypto where the page is a secure context (https or
// loopback), the core's SHA-256 elsewhere (crypto.subtle does not exist on plain-http origins).
import { documentIdFromMultihash, type DocumentId } from '../../core/ids/document-id';
import { encodeMultihash, SHA2_256, SHA2_512, type MultihashAlgorithm } from '../../core/ids/multihash';

/** A file the person chose, with its sha2-256 identity (the default the service uses). */
export interface HashedDocument {
  name: string;
  size: number;
  file: Blob;
  id: DocumentId;
}

const WEB_CRYPTO_NAMES: Record<number, string> = { [SHA2_256.code]: 'SHA-256', [SHA2_512.code]: 'SHA-512' };

/** The document's id under `algorithm` (sha2-256 unless a receipt says otherwise). */
export async function hashDocumentFile(file: Blob, algorithm: MultihashAlgorithm = SHA2_256): Promise<DocumentId> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const webCryptoName = WEB_CRYPTO_NAMES[algorithm.code];
  const digest =
    webCryptoName !== undefined && globalThis.crypto?.subtle !== undefined
      ? new Uint8Array(await globalThis.crypto.subtle.digest(webCryptoName, bytes))
      : algorithm.hash(bytes);
  return documentIdFromMultihash(encodeMultihash(algorithm, digest));
}

/** Reads and hashes a chosen file. */
export async function hashChosenFile(file: File): Promise<HashedDocument> {
  return { name: file.name, size: file.size, file, id: await hashDocumentFile(file) };
}
