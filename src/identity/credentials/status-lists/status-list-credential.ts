// The signed form of a status list: a BitstringStatusListCredential as a VC-JWT (did-jwt-vc encoding).
import { createVerifiableCredentialJwt } from 'did-jwt-vc';
import type { ServiceIdentity } from '../../did/service-identity';
import type { StatusPurpose } from '../../sql/credential-store';
import { encodeStatusList } from './status-list-encoding';
import { STATUS_LIST_CONTEXT, VC_CONTEXT_V1 } from '../verification/vc-payload';

/** Signs one version of a status list published at `url`. */
export async function signStatusListCredential(
  identity: ServiceIdentity,
  list: { url: string; purpose: StatusPurpose; bits: Uint8Array; validFromSeconds: number },
): Promise<string> {
  return createVerifiableCredentialJwt(
    {
      jti: list.url,
      sub: `${list.url}#list`,
      nbf: list.validFromSeconds,
      vc: {
        '@context': [VC_CONTEXT_V1, STATUS_LIST_CONTEXT],
        type: ['VerifiableCredential', 'BitstringStatusListCredential'],
        credentialSubject: {
          type: 'BitstringStatusList',
          statusPurpose: list.purpose,
          encodedList: encodeStatusList(list.bits),
        },
      },
    },
    { did: identity.did, signer: identity.signer, alg: identity.alg },
  );
}
