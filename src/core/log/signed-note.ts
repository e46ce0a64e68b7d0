// C2SP signed notes (c2sp.org/signed-note): a text, a blank line, and signature lines
// "— <key name> base64(key ID ‖ signature)". Parsing, formatting, Ed25519 key IDs and verifier keys
// ("<name>+<hex key ID>+base64(0x01 ‖ public key)", the form golang.org/x/mod/sumdb/note reads), and
// Ed25519 verification through WebCrypto, so the CLI and the browser share it.
import { DomainError } from '../errors';
import { base64ToBytes, bytesToBase64 } from '../base64';
import { sha256 } from '../sha256/sha256';

/** `INVALID_NOTE`: text that is not a signed note, or a malformed verifier key; the message says what. */
export class InvalidNoteError extends DomainError<'INVALID_NOTE'> {
  constructor(message: string) {
    super('INVALID_NOTE', message);
  }
}

/** Signature type byte of plain Ed25519 note signatures. */
export const ED25519_SIGNATURE_TYPE = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';
/** More signatures than this is not a note we read (the spec asks to accept at least 16). */
const MAX_SIGNATURES = 64;

export interface NoteSignature {
  /** Key name, e.g. `example.com/log`. */
  name: string;
  /** The 32-bit key ID (big-endian uint32 of the first four bytes). */
  keyId: number;
  /** The signature after the key ID. */
  signature: Uint8Array;
}

export interface SignedNote {
  /** The signed text, ending in a newline (not the blank line after it). */
  text: string;
  signatures: NoteSignature[];
}

/** An Ed25519 note verifier key. */
export interface NoteVerifierKey {
  name: string;
  keyId: number;
  /** 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

/** Splits a signed note into its text and signatures, by the rules of the spec's "Format" section. */
export function parseSignedNote(note: string): SignedNote {
  for (let i = 0; i < note.length; i++) {
    const c = note.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) throw new InvalidNoteError(`control character U+${c.toString(16).padStart(4, '0')} at ${i}`);
    if (c >= 0xd800 && c <= 0xdfff) {
      const pair = c <= 0xdbff && i + 1 < note.length && note.charCodeAt(i + 1) >= 0xdc00 && note.charCodeAt(i + 1) <= 0xdfff;
      if (!pair) throw new InvalidNoteError(`not valid UTF-8 (a lone surrogate at ${i})`);
      i++;
    }
  }
  if (!note.endsWith('\n')) throw new InvalidNoteError('a signed note ends with a newline');
  // The text is separated from the signatures by the LAST empty line.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new InvalidNoteError('no blank line between the text and the signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length === 0 || lines[0] === '') throw new InvalidNoteError('a signed note has at least one signature line');
  if (lines.length > MAX_SIGNATURES) throw new InvalidNoteError(`more than ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map((line, index) => {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new InvalidNoteError(`signature line ${index + 1} does not start with an em dash and a space`);
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space <= 0) throw new InvalidNoteError(`signature line ${index + 1} has no key name and signature`);
    const name = rest.slice(0, space);
    checkKeyName(name);
    const bytes = base64ToBytes(rest.slice(space + 1));
    if (!bytes || bytes.length < 5) throw new InvalidNoteError(`signature line ${index + 1} has no base64 key ID and signature`);
    return { name, keyId: readUint32(bytes), signature: bytes.slice(4) };
  });
  return { text, signatures };
}

/** The note: `text` (ending in a newline), a blank line, one line per signature. */
export function formatSignedNote(text: string, signatures: readonly NoteSignature[]): string {
  if (!text.endsWith('\n')) throw new InvalidNoteError('a note text ends with a newline');
  const lines = signatures.map(({ name, keyId, signature }) => {
    checkKeyName(name);
    const bytes = new Uint8Array(4 + signature.length);
    new DataView(bytes.buffer).setUint32(0, keyId >>> 0);
    bytes.set(signature, 4);
    return `${SIGNATURE_PREFIX}${name} ${bytesToBase64(bytes)}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/** SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]: the key ID of an Ed25519 note key. */
export function ed25519NoteKeyId(name: string, publicKey: Uint8Array): number {
  const nameBytes = new TextEncoder().encode(name);
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  input.set(nameBytes);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = ED25519_SIGNATURE_TYPE;
  input.set(publicKey, nameBytes.length + 2);
  return readUint32(sha256(input));
}

/** `<name>+<8 hex key ID>+base64(0x01 ‖ public key)`. */
export function formatVerifierKey(name: string, publicKey: Uint8Array): string {
  checkKeyName(name);
  const data = new Uint8Array(33);
  data[0] = ED25519_SIGNATURE_TYPE;
  data.set(publicKey, 1);
  return `${name}+${ed25519NoteKeyId(name, publicKey).toString(16).padStart(8, '0')}+${bytesToBase64(data)}`;
}

/** Parses an Ed25519 verifier key and checks that its key ID is the one its name and key give. */
export function parseVerifierKey(vkey: string): NoteVerifierKey {
  // Split at the first two plus signs only: base64 key data may itself hold a "+".
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new InvalidNoteError('a verifier key is <name>+<key ID>+<key data>');
  const [name, idHex, data] = [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new InvalidNoteError('the key ID of a verifier key is 8 lower-case hex digits');
  const bytes = base64ToBytes(data);
  if (!bytes || bytes.length !== 33 || bytes[0] !== ED25519_SIGNATURE_TYPE) throw new InvalidNoteError('only Ed25519 verifier keys (type 0x01, 32 bytes) are supported');
  const publicKey = bytes.slice(1);
  const keyId = Number.parseInt(idHex, 16);
  if (ed25519NoteKeyId(name, publicKey) !== keyId) throw new InvalidNoteError('the key ID does not match the key name and public key');
  return { name, keyId, publicKey };
}

/**
 * Verifies `note` against one known key: its text when a signature by that key (name and key ID)
 * verifies. Signatures by other keys are ignored, as the spec requires; no signature by this key,
 * or a failing one, is an InvalidNoteError.
 */
export async function openSignedNote(note: string, key: NoteVerifierKey): Promise<string> {
  const parsed = parseSignedNote(note);
  const mine = parsed.signatures.filter((s) => s.name === key.name && s.keyId === key.keyId);
  if (mine.length === 0) throw new InvalidNoteError(`the note is not signed by ${key.name}`);
  const message = new TextEncoder().encode(parsed.text);
  for (const signature of mine) {
    if (!(await verifyEd25519(key.publicKey, signature.signature, message))) {
      throw new InvalidNoteError(`the signature by ${key.name} does not verify`);
    }
  }
  return parsed.text;
}

async function verifyEd25519(publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('Ed25519 verification needs WebCrypto (globalThis.crypto.subtle)');
  const key = await subtle.importKey('raw', Uint8Array.from(publicKey), { name: 'Ed25519' }, false, ['verify']);
  return subtle.verify({ name: 'Ed25519' }, key, Uint8Array.from(signature), Uint8Array.from(message));
}

function checkKeyName(name: string): void {
  if (name === '' || /[\s+]/u.test(name)) throw new InvalidNoteError(`key name ${JSON.stringify(name.slice(0, 80))} must be non-empty, without spaces or "+"`);
}

function readUint32(bytes: Uint8Array): number {
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}
