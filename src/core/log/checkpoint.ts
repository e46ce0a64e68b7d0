// C2SP tlog-checkpoint note texts (c2sp.org/tlog-checkpoint): the origin line, the tree size in
// decimal, the base64 tree head, and optional extension lines, each ending in a newline. The signed
// form is a signed note (signed-note.ts) over this text.
import { base64ToBytes, bytesToBase64 } from '../base64';
import { InvalidNoteError } from './signed-note';

export interface Checkpoint {
  origin: string;
  size: number;
  /** 32-byte RFC 9162 tree head. */
  root: Uint8Array;
  extensions: string[];
}

/** The checkpoint's note text. */
export function formatCheckpoint(checkpoint: Pick<Checkpoint, 'origin' | 'size' | 'root'> & { extensions?: readonly string[] }): string {
  const { origin, size, root } = checkpoint;
  if (origin === '' || origin.includes('\n')) throw new InvalidNoteError('the origin is one non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) throw new InvalidNoteError(`tree size ${size} is not a non-negative integer`);
  if (root.length !== 32) throw new InvalidNoteError('the root hash is 32 bytes');
  const extensions = checkpoint.extensions ?? [];
  if (extensions.some((line) => line === '' || line.includes('\n'))) throw new InvalidNoteError('extension lines are non-empty single lines');
  return [origin, String(size), bytesToBase64(root), ...extensions].map((line) => `${line}\n`).join('');
}

/** Parses a checkpoint's note text (not the signed note: open that first). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new InvalidNoteError('a checkpoint text ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new InvalidNoteError('a checkpoint has an origin, a tree size and a root hash line');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') throw new InvalidNoteError('the origin line is empty');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new InvalidNoteError('the tree size is a decimal number without leading zeros');
  }
  const root = base64ToBytes(rootText);
  if (!root || root.length !== 32) throw new InvalidNoteError('the root hash is the base64 of 32 bytes');
  if (extensions.some((line) => line === '')) throw new InvalidNoteError('extension lines must be non-empty');
  return { origin, size: Number(sizeText), root, extensions };
}
