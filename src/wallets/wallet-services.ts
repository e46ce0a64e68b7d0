// Composition of the wallets feature: the OpenID4VCI issuer and the OpenID4VP verifier on one store,
// the identity feature's issuer and verifiers, and the service's keys.
import type { Jwk } from '@openid4vc/oauth2';
import { setGlobalConfig } from '@openid4vc/utils';
import { didWebKeyId } from '../identity/did/did-web-document';
import type { IdentityServices } from '../identity/identity-services';
import type { SqlClient } from '../platform/database/sql-client';
import { defaultCredentialConfigurations, type WalletCredentialConfiguration } from './issuance/credential-configurations';
import { WalletIssuer } from './issuance/wallet-issuer';
import { WalletVerifier, type PresentationVerifiedListener } from './presentation/wallet-verifier';
import { serviceCallbacks } from './protocol-callbacks';
import { WalletStore } from './sql/wallet-store';

export interface WalletServicesOptions {
  db: SqlClient;
  identity: IdentityServices;
  /** The public base URL (PUBLIC_URL, else where the service listens). */
  baseUrl: () => string;
  /** The credential configurations offered (default: defaultCredentialConfigurations). */
  configurations?: (base: string) => WalletCredentialConfiguration[];
  /** Told of each verified presentation in the transaction that records it (webhooks). */
  onPresentationVerified?: PresentationVerifiedListener;
  now?: () => number;
}

export interface WalletServices {
  issuer: WalletIssuer;
  verifier: WalletVerifier;
  /** The JWK Set access tokens are checked with: every ES256 key of the service, active and retired. */
  jwks(): { keys: Jwk[] };
}

export function createWalletServices(options: WalletServicesOptions): WalletServices {
  const { identity } = options;
  // The libraries refuse http URLs unless told: a service without TLS (local, tests) is its own
  // issuer at an http URL, so it allows them; behind PUBLIC_URL=https://… nothing changes.
  const baseUrl = () => {
    const url = options.baseUrl();
    if (url.startsWith('http:')) setGlobalConfig({ allowInsecureUrls: true });
    return url;
  };
  const store = new WalletStore(options.db);
  const jwks = (): Jwk[] =>
    identity.keys
      .published()
      .filter((key) => key.alg === 'ES256')
      .map((key) => ({ ...key.publicJwk, kid: key.id, alg: 'ES256', use: 'sig' }) as Jwk);
  const callbacks = serviceCallbacks({ signingKey: () => identity.keys.es256(), jwks, resolver: identity.resolver });
  const clock = options.now ? { now: options.now } : {};
  const issuer = new WalletIssuer({
    store,
    credentials: identity.issuer,
    callbacks,
    baseUrl,
    configurations: options.configurations ?? defaultCredentialConfigurations,
    accessTokenKey: () => {
      const key = identity.keys.es256();
      return { ...key.publicJwk, kid: key.id } as Jwk;
    },
    ...clock,
  });
  const verifier = new WalletVerifier({
    store,
    callbacks,
    credentials: identity.verifier,
    presentations: identity.presentations,
    challenges: identity.challenges,
    baseUrl,
    didWeb: () => identity.didWeb(),
    signingKeyId: () => didWebKeyId(identity.didWeb(), identity.keys.es256()),
    ...(options.onPresentationVerified ? { onVerified: options.onPresentationVerified } : {}),
    ...clock,
  });
  return { issuer, verifier, jwks: () => ({ keys: jwks() }) };
}
