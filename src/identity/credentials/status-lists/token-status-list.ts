// The IETF Token Status List (draft-ietf-oauth-status-list) of SD-JWT VCs: two bits per credential
// (0 valid, 1 invalid = revoked, 2 suspended), DEFLATE-compressed into a `statuslist+jwt` signed ES256
// by the service. Encoding and decoding are @owf/token-status-list's, the library SD-JWT VC verifiers use.
import { inflateSync } from 'node:zlib';
import { createHeaderAndPayload, getListFromStatusListJWT, StatusList, StatusType } from '@owf/token-status-list';
import type { SdJwtVcIssuerKey } from '../issuance/sd-jwt-vc-credential';

/** The media type and JOSE `typ` of a status list token (draft-ietf-oauth-status-list §5.1). */
export const STATUS_LIST_JWT_TYPE = 'statuslist+jwt';
export const STATUS_LIST_JWT_MEDIA_TYPE = 'application/statuslist+jwt';
/** Bits per credential: enough for valid, revoked and suspended. */
export const TOKEN_STATUS_BITS = 2;
/** How long a verifier may cache a list (`ttl`, seconds): status changes reach verifiers within this. */
export const TOKEN_STATUS_LIST_TTL_SECONDS = 300;

/** A credential's status in a Token Status List. */
export type TokenStatus = 'valid' | 'revoked' | 'suspended';

/** A decoded list bigger than this is refused: the guard against a DEFLATE bomb in a foreign list. */
const MAX_DECODED_LIST_BYTES = 16 * 1024 * 1024;

/** Signs the list at `uri` with `entries` statuses (every index not named is valid). */
export function signTokenStatusList(
  key: SdJwtVcIssuerKey,
  list: { uri: string; length: number; entries: ReadonlyArray<{ index: number; status: TokenStatus }>; iatSeconds: number },
): string {
  const statuses = new Array<number>(list.length).fill(StatusType.Valid);
  for (const { index, status } of list.entries) statuses[index] = status === 'revoked' ? StatusType.Invalid : status === 'suspended' ? StatusType.Suspended : StatusType.Valid;
  const { header, payload } = createHeaderAndPayload(
    new StatusList(statuses, TOKEN_STATUS_BITS),
    { iss: key.iss, sub: list.uri, iat: list.iatSeconds, ttl: TOKEN_STATUS_LIST_TTL_SECONDS },
    { alg: key.alg, typ: STATUS_LIST_JWT_TYPE, kid: key.kid },
  );
  const signingInput = `${base64urlJson(header)}.${base64urlJson(payload)}`;
  return `${signingInput}.${key.sign(signingInput)}`;
}

/**
 * The status at `index` of a (signature-checked) status list token; throws a plain Error with a
 * readable message when the list cannot be read.
 */
export function readTokenStatus(jwt: string, index: number): number {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { status_list?: { lst?: unknown; bits?: unknown } };
  const lst = payload.status_list?.lst;
  if (typeof lst !== 'string' || ![1, 2, 4, 8].includes(payload.status_list?.bits as number)) throw new Error('the token has no status_list with lst and bits');
  // Inflated here first, with a size limit: the library would inflate whatever it is given.
  inflateSync(Buffer.from(lst, 'base64url'), { maxOutputLength: MAX_DECODED_LIST_BYTES });
  const statusList = getListFromStatusListJWT(jwt);
  if (!Number.isSafeInteger(index) || index < 0 || index >= statusList.totalStatuses) throw new Error(`index ${index} is outside the list`);
  return statusList.getStatus(index);
}

function base64urlJson(value: object): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
