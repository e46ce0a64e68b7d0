// A notarization receipt wrapped as a credential signed by the service DID ("DocumentNotarization"), so
// "this service vouched for it" is checkable offline with a JWT library; the chain check never needs it.
// VC Data Model 2.0 (VC-JOSE-COSE) by default; the 1.1 form (did-jwt-vc) for verifiers that only read that.
import { createVerifiableCredentialJwt } from 'did-jwt-vc';
import { DomainError } from '../../../core/errors';
import type { Receipt } from '../../../core/receipts/receipt';
import { VC_CONTEXT_V1, type VcDataModel } from '../verification/vc-payload';
import { signVcJoseCredential, vcJoseCredentialBody, type VcJwtIssuer } from './vc-jose-credential';

/**
 * Signs an anchored receipt as a DocumentNotarization credential about the document's CID. Valid from
 * the anchoring block's time, so signing the same receipt twice gives the same JWT (ES256K is
 * deterministic). Throws RECEIPT_NOT_ANCHORED for a pending receipt: there is nothing to vouch for yet.
 */
export async function signReceiptCredential(receipt: Receipt, issuer: VcJwtIssuer, dataModel: VcDataModel = '2.0'): Promise<string> {
  if (receipt.status !== 'anchored') {
    throw new DomainError('RECEIPT_NOT_ANCHORED', `the receipt of ${receipt.document.cid} is not anchored yet; ask again once it is`, {
      cid: receipt.document.cid,
    });
  }
  const id = `urn:did-notary:receipt:${receipt.document.cid}`;
  const type = ['VerifiableCredential', 'DocumentNotarization'];
  const credentialSubject = {
    cid: receipt.document.cid,
    multihash: receipt.document.multihash,
    anchoredAt: new Date(receipt.anchor.timestamp * 1000).toISOString(),
    chain: receipt.anchor.chain,
    receipt: { ...receipt, issuer: issuer.did },
  };
  if (dataModel === '2.0') {
    return signVcJoseCredential(issuer, vcJoseCredentialBody(issuer.did, { id, type, credentialSubject }, { fromSeconds: receipt.anchor.timestamp }));
  }
  return createVerifiableCredentialJwt(
    { jti: id, nbf: receipt.anchor.timestamp, vc: { '@context': [VC_CONTEXT_V1], type, credentialSubject } },
    { did: issuer.did, signer: issuer.signer, alg: issuer.alg },
  );
}
