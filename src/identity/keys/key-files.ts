// Private halves of the service's signing keys beyond the configured signer key: one file each in the
// keys directory (`<DATA_DIR>/keys`), mode 0600, never overwritten. Replicas share the directory (or a
// copy of it), as they share the signer key.
import fs from 'node:fs';
import path from 'node:path';
import { es256KeyFromJwk, es256kKey, type Es256kSigningKey, type Es256SigningKey, type SigningKeyPair } from './signing-keys';

/** The file of a key: `es256k-<address>.key` (0x-hex) or `es256-<thumbprint>.jwk` (private JWK). */
export function keyFilePath(keysDir: string, key: { alg: 'ES256K' | 'ES256'; id: string }): string {
  return path.join(keysDir, key.alg === 'ES256K' ? `es256k-${key.id}.key` : `es256-${key.id}.jwk`);
}

/** Writes a new key's file; refuses to overwrite one (a key file is never replaced). */
export function writeKeyFile(keysDir: string, key: SigningKeyPair): void {
  fs.mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const content = key.alg === 'ES256K' ? `${key.privateKey}\n` : `${JSON.stringify(key.privateJwk())}\n`;
  fs.writeFileSync(keyFilePath(keysDir, key), content, { mode: 0o600, flag: 'wx' });
}

/** Removes a key file written for a key that was never recorded (another replica's key won). */
export function removeKeyFile(keysDir: string, key: { alg: 'ES256K' | 'ES256'; id: string }): void {
  fs.rmSync(keyFilePath(keysDir, key), { force: true });
}

/** Reads the key `id` of `alg`; undefined when its file is not there. Throws when the file is not that key. */
export function readKeyFile(keysDir: string, alg: 'ES256K', id: string): Es256kSigningKey | undefined;
export function readKeyFile(keysDir: string, alg: 'ES256', id: string): Es256SigningKey | undefined;
export function readKeyFile(keysDir: string, alg: 'ES256K' | 'ES256', id: string): SigningKeyPair | undefined {
  const file = keyFilePath(keysDir, { alg, id });
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read key file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let key: SigningKeyPair;
  try {
    key = alg === 'ES256K' ? es256kKey(text.startsWith('0x') ? text : `0x${text}`) : es256KeyFromJwk(JSON.parse(text) as Record<string, unknown>);
  } catch {
    // The message never includes the content: it is a secret.
    throw new Error(`key file ${file} does not hold a ${alg} private key`);
  }
  if (key.id !== id) throw new Error(`key file ${file} holds another key (${key.id})`);
  return key;
}
