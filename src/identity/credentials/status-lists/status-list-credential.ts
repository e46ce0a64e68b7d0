// The signed form of a status list: a BitstringStatusListCredential in the VC Data Model 2.0, secured as a
// VC-JOSE-COSE JWT (Bitstring Status List v1.0 §2.2 requires a 2.0 credential).
import type { StatusPurpose } from '../../sql/credential-store';
import { encodeStatusList } from './status-list-encoding';
import { signVcJoseCredential, vcJoseCredentialBody, type VcJwtIssuer } from '../issuance/vc-jose-credential';

/** Signs one version of a status list published at `url`. */
export async function signStatusListCredential(
  issuer: VcJwtIssuer,
  list: { url: string; purpose: StatusPurpose; bits: Uint8Array; validFromSeconds: number },
): Promise<string> {
  const body = vcJoseCredentialBody(
    issuer.did,
    {
      id: list.url,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      credentialSubject: {
        id: `${list.url}#list`,
        type: 'BitstringStatusList',
        statusPurpose: list.purpose,
        encodedList: encodeStatusList(list.bits),
      },
    },
    { fromSeconds: list.validFromSeconds },
  );
  return signVcJoseCredential(issuer, body);
}
