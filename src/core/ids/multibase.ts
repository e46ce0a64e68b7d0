// Multibase text (a one-character prefix naming the base, then the encoded bytes), decoded with the
// bases multiformats ships, so that a CID or multihash is accepted in whatever base a client prints.
import { base10 } from 'multiformats/bases/base10';
import { base16, base16upper } from 'multiformats/bases/base16';
import { base2 } from 'multiformats/bases/base2';
import { base256emoji } from 'multiformats/bases/base256emoji';
import {
  base32,
  base32hex,
  base32hexpad,
  base32hexpadupper,
  base32hexupper,
  base32pad,
  base32padupper,
  base32upper,
  base32z,
} from 'multiformats/bases/base32';
import { base36, base36upper } from 'multiformats/bases/base36';
import { base58btc, base58flickr } from 'multiformats/bases/base58';
import { base64, base64pad, base64url, base64urlpad } from 'multiformats/bases/base64';
import { base8 } from 'multiformats/bases/base8';
import { identity } from 'multiformats/bases/identity';
import { excerpt, InvalidDocumentIdError } from '../errors';

interface BaseDecoder {
  readonly name: string;
  readonly prefix: string;
  baseDecode(text: string): Uint8Array;
}

const decoders: ReadonlyMap<string, BaseDecoder> = new Map(
  [
    identity,
    base2,
    base8,
    base10,
    base16,
    base16upper,
    base32,
    base32upper,
    base32pad,
    base32padupper,
    base32hex,
    base32hexupper,
    base32hexpad,
    base32hexpadupper,
    base32z,
    base36,
    base36upper,
    base58btc,
    base58flickr,
    base64,
    base64pad,
    base64url,
    base64urlpad,
    base256emoji,
  ].map((codec): [string, BaseDecoder] => [codec.prefix, codec]),
);

/** Whether `text` starts with a multibase prefix we can decode. */
export function hasMultibasePrefix(text: string): boolean {
  return decoders.has(firstCodePoint(text));
}

/** Bytes of multibase `text`; throws `InvalidDocumentIdError` naming the base that rejected it. */
export function decodeMultibase(text: string): Uint8Array {
  const prefix = firstCodePoint(text);
  const decoder = decoders.get(prefix);
  if (decoder === undefined) {
    throw new InvalidDocumentIdError(`unknown multibase prefix ${JSON.stringify(prefix)}`, { prefix });
  }
  return decodeBase(decoder, text.slice(prefix.length));
}

/** Bytes of base58btc text without a prefix: the 'Qm…' form of a multihash. */
export function decodeBareBase58btc(text: string): Uint8Array {
  return decodeBase(base58btc, text);
}

function decodeBase(decoder: BaseDecoder, text: string): Uint8Array {
  try {
    return decoder.baseDecode(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidDocumentIdError(`invalid ${decoder.name}: ${reason}`, { base: decoder.name, value: excerpt(text) }, {
      cause: error,
    });
  }
}

function firstCodePoint(text: string): string {
  const codePoint = text.codePointAt(0);
  return codePoint === undefined ? '' : String.fromCodePoint(codePoint);
}
