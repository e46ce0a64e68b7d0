// The log's Ed25519 key, which signs its checkpoints (C2SP signed notes): from LOG_KEY_FILE or
// generated once into the data directory. Replicas must share it (the deployment binding records
// its verifier key and refuses another).
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { base64ToBytes, bytesToBase64 } from '../../core/base64';
import { ed25519NoteKeyId, formatSignedNote, formatVerifierKey } from '../../core/log/signed-note';

/** PKCS#8 DER of an Ed25519 key is this prefix and the 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface LogKey {
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  /** The key as a note verifier key for `name`: `<name>+<key ID>+<key data>`. */
  verifierKey(name: string): string;
  /** The signed note of `text` by this key under `name`. */
  signNote(text: string, name: string): string;
  /** The public key as a JWK, for the did:web document. */
  publicKeyJwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
}

/**
 * Reads the key (base64 of the 32-byte seed, one line) from `keyFile`, or from `<dataDir>/log-key`,
 * generating that file (mode 0600) on first start.
 */
export function loadLogKey(options: { dataDir: string; keyFile?: string }): { key: LogKey; source: 'key-file' | 'generated' } {
  const file = options.keyFile ?? path.join(options.dataDir, 'log-key');
  if (options.keyFile === undefined && !fs.existsSync(file)) {
    const seed = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${bytesToBase64(seed)}\n`, { mode: 0o600, flag: 'wx' });
    return { key: logKeyFromSeed(seed), source: 'generated' };
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(`cannot read log key file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const seed = base64ToBytes(text);
  // Never the content in a message: it is a secret.
  if (!seed || seed.length !== 32) throw new Error(`log key file ${file} does not hold the base64 of a 32-byte Ed25519 seed`);
  return { key: logKeyFromSeed(seed), source: 'key-file' };
}

/** The log key of a 32-byte Ed25519 seed. */
export function logKeyFromSeed(seed: Uint8Array): LogKey {
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32));
  return {
    publicKey,
    verifierKey: (name) => formatVerifierKey(name, publicKey),
    signNote: (text, name) =>
      formatSignedNote(text, [{ name, keyId: ed25519NoteKeyId(name, publicKey), signature: new Uint8Array(sign(null, Buffer.from(text, 'utf8'), privateKey)) }]),
    publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
  };
}
