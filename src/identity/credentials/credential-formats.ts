// The credential formats the service issues and verifies, named as OpenID4VCI names them, and the media
// types each is served as. Pure: the page reads them too.

/** `jwt_vc_json`: a W3C credential as a JWT (VC Data Model 2.0 by default, 1.1 on request); `dc+sd-jwt`: an IETF SD-JWT VC. */
export const CREDENTIAL_FORMATS = ['jwt_vc_json', 'dc+sd-jwt'] as const;
export type CredentialFormat = (typeof CREDENTIAL_FORMATS)[number];

/** The media type of a credential of each format (VC-JOSE-COSE §6.1; SD-JWT VC §3.1). */
export const CREDENTIAL_MEDIA_TYPES: Record<CredentialFormat, string> = {
  jwt_vc_json: 'application/vc+jwt',
  'dc+sd-jwt': 'application/dc+sd-jwt',
};

/** The format whose media type `mediaType` is; undefined for any other. */
export function formatOfMediaType(mediaType: string): CredentialFormat | undefined {
  return CREDENTIAL_FORMATS.find((format) => CREDENTIAL_MEDIA_TYPES[format] === mediaType);
}
