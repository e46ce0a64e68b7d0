// The service's signing key: anchors roots and signs credentials. From config, a key file, or generated once.
import fs from 'node:fs';
import path from 'node:path';
import { Wallet } from 'ethers';

/** Where the key came from, for the start-up log (never the key itself). */
export type SignerKeySource = 'environment' | 'key-file' | 'generated';

/**
 * Loads the signer's private key (0x-hex). When neither SIGNER_PRIVATE_KEY nor a key file is
 * configured, generates one into `<dataDir>/signer-key` (0600) and reuses it on every later start.
 */
export function loadSignerKey(options: { dataDir: string; signerPrivateKey?: string; signerKeyFile?: string }): {
  privateKey: string;
  source: SignerKeySource;
} {
  if (options.signerPrivateKey) return { privateKey: options.signerPrivateKey, source: 'environment' };
  if (options.signerKeyFile) {
    return { privateKey: readKeyFile(options.signerKeyFile), source: 'key-file' };
  }
  const file = path.join(options.dataDir, 'signer-key');
  if (fs.existsSync(file)) return { privateKey: readKeyFile(file), source: 'key-file' };
  fs.mkdirSync(options.dataDir, { recursive: true });
  const privateKey = Wallet.createRandom().privateKey;
  fs.writeFileSync(file, `${privateKey}\n`, { mode: 0o600, flag: 'wx' });
  return { privateKey, source: 'generated' };
}

function readKeyFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(`cannot read signer key file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const key = text.startsWith('0x') ? text : `0x${text}`;
  // The message never includes the content: it is a secret.
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error(`signer key file ${file} does not hold a 32-byte hex private key`);
  return key.toLowerCase();
}
