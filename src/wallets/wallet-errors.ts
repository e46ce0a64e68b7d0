// Errors of the wallet-facing endpoints. OAuth 2.0 (RFC 6749 §5.2), OpenID4VCI 1.0 §8.3.1 and
// OpenID4VP 1.0 §8.5 tell a wallet what went wrong with `{"error": "<code>", "error_description"}`,
// and wallets read exactly that: those endpoints answer in that form, not as RFC 9457 problems.

/** Error codes the wallet-facing endpoints answer with. */
export type WalletErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'invalid_client'
  | 'unsupported_grant_type'
  | 'invalid_token'
  | 'invalid_credential_request'
  | 'unknown_credential_configuration'
  | 'invalid_proof'
  | 'invalid_nonce'
  | 'credential_request_denied'
  | 'invalid_presentation'
  | 'server_error';

/** A refusal to a wallet: its OAuth error code, a description, and the HTTP status. */
export class WalletProtocolError extends Error {
  constructor(
    readonly error: WalletErrorCode | string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
    this.name = 'WalletProtocolError';
  }

  /** The JSON body of the answer. */
  body(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}
