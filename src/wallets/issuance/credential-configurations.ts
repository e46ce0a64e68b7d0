// The credentials a wallet can receive here (OpenID4VCI "credential configurations"): their format,
// type, and what a wallet shows of them (name, logo, colours). A business's offer names one.

/** How a wallet displays a credential (OpenID4VCI 1.0 §12.2.4, `credential_metadata.display`). */
export interface CredentialDisplay {
  name: string;
  locale?: string;
  description?: string;
  logo?: { uri: string; alt_text?: string };
  background_color?: string;
  text_color?: string;
}

/** One credential configuration: an SD-JWT VC of a `vct`, or a W3C credential of some types. */
export type WalletCredentialConfiguration =
  | { id: string; format: 'dc+sd-jwt'; vct: string; display: CredentialDisplay[] }
  | { id: string; format: 'jwt_vc_json'; types: string[]; display: CredentialDisplay[] };

/** The configurations the service offers unless told otherwise: one per format. `base` is the public URL. */
export function defaultCredentialConfigurations(base: string): WalletCredentialConfiguration[] {
  const logo = { uri: `${base}/oid4vci/logo.svg`, alt_text: 'did-notary' };
  return [
    {
      id: 'IdentityCredential_sd_jwt',
      format: 'dc+sd-jwt',
      vct: `${base}/vct/IdentityCredential`,
      display: [{ name: 'Identity credential', locale: 'en', description: 'Claims about you, each disclosed only when you choose', logo, background_color: '#1f3a5f', text_color: '#ffffff' }],
    },
    {
      id: 'IdentityCredential_jwt_vc',
      format: 'jwt_vc_json',
      types: ['VerifiableCredential', 'IdentityCredential'],
      display: [{ name: 'Identity credential (W3C)', locale: 'en', description: 'A W3C verifiable credential signed by the service DID', logo, background_color: '#2d5f2e', text_color: '#ffffff' }],
    },
  ];
}

/** The small SVG logo the default configurations name. */
export const DEFAULT_LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#1f3a5f"/><path d="M18 34l9 9 19-21" stroke="#fff" stroke-width="6" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>';
