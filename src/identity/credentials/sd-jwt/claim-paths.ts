// Claim paths (SD-JWT VC §5, OpenID4VCI/DCQL): how a request names a claim inside nested objects and
// arrays, and how a verification result says which claims a presentation disclosed.

/** Steps into a claim set: an object key, an array index, or `null` for every element of an array. */
export type ClaimPath = Array<string | number | null>;

/**
 * Claims the service sets in every SD-JWT VC and never lets a request supply or make disclosable: a
 * verifier must always see who issued it, its type, its validity, its holder key and its status.
 */
export const SD_JWT_RESERVED_CLAIMS = ['iss', 'iat', 'nbf', 'exp', 'cnf', 'vct', 'vct#integrity', 'status', 'sub', '_sd', '_sd_alg', '...'];
