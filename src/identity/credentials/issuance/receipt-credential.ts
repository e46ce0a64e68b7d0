// A notarization receipt wrapped as a VC-JWT signed by the service DID ("DocumentNotarization"), so
// "this service vouched for it" is checkable offline with plain did-jwt-vc; the chain check never needs it.
import { createVerifiableCredentialJwt } from 'did-jwt-vc';
import { DomainError } from '../../../core/errors';
import type { Receipt } from '../../../core/receipts/receipt';
import type { ServiceIdentity } from '../../did/service-identity';
import { VC_CONTEXT_V1 } from '../verification/vc-payload';

/**
 * Signs an anchored receipt as a DocumentNotarization credential about the document's CID. Valid from
 * the anchoring block's time, so signing the same receipt twice gives the same JWT (ES256K is
 * deterministic). Throws RECEIPT_NOT_ANCHORED for a pending receipt: there is nothing to vouch for yet.
 */
export async function signReceiptCredential(receipt: Receipt, issuer: ServiceIdentity): Promise<string> {
  if (receipt.status !== 'anchored') {
    throw new DomainError('RECEIPT_NOT_ANCHORED', `the receipt of ${receipt.document.cid} is not anchored yet; ask again once it is`, {
      cid: receipt.document.cid,
    });
  }
  return createVerifiableCredentialJwt(
    {
      jti: `urn:did-notary:receipt:${receipt.document.cid}`,
      nbf: receipt.anchor.timestamp,
      vc: {
        '@context': [VC_CONTEXT_V1],
        type: ['VerifiableCredential', 'DocumentNotarization'],
        credentialSubject: {
          cid: receipt.document.cid,
          multihash: receipt.document.multihash,
          anchoredAt: new Date(receipt.anchor.timestamp * 1000).toISOString(),
          chain: receipt.anchor.chain,
          receipt: { ...receipt, issuer: issuer.did },
        },
      },
    },
    { did: issuer.did, signer: issuer.signer, alg: issuer.alg },
  );
}
