// The wallet protocols over HTTP: OpenID4VCI (issuer and authorization server metadata, offers, token,
// nonce and credential endpoints) and OpenID4VP (request objects by reference, the direct_post
// response endpoint), and the API businesses and apps call (offers, presentation requests, QR codes).
// Wallet-facing endpoints answer errors as OAuth does (`{"error", "error_description"}`, wallet-errors.ts);
// the API answers problems like every other route. Handlers translate; the rules live in src/wallets.
import type { Express, Request, RequestHandler, Response } from 'express';
import type { HttpMethod, RequestLike } from '@openid4vc/oauth2';
import { DEFAULT_LOGO_SVG } from '../../wallets/issuance/credential-configurations';
import { qrImage, type QrImageFormat } from '../../wallets/qr-codes';
import { WalletProtocolError } from '../../wallets/wallet-errors';
import type { WalletServices } from '../../wallets/wallet-services';
import { callerKey } from '../guards';

/** The request as the @openid4vc libraries read it: its public URL, method and headers. */
function requestLike(req: Request, baseUrl: string): RequestLike {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) headers.set(name, value.join(', '));
  }
  return { url: `${baseUrl.replace(/\/+$/, '')}${req.originalUrl}`, method: req.method as HttpMethod, headers };
}

/** Runs a wallet-facing handler: a protocol refusal is an OAuth error body, never cached. */
function walletEndpoint(handler: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return async (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      await handler(req, res);
    } catch (error) {
      if (!(error instanceof WalletProtocolError)) return next(error);
      if (error.status === 401) res.setHeader('WWW-Authenticate', `Bearer error="${error.error}"`);
      res.status(error.status).json(error.body());
    }
  };
}

const qrFormat = (req: Request): QrImageFormat => (req.query.format === 'svg' ? 'svg' : 'png');

async function sendQr(res: Response, text: string, format: QrImageFormat): Promise<void> {
  const image = await qrImage(text, format);
  res.setHeader('Cache-Control', 'no-store');
  res.type(image.contentType).send(image.body);
}

export function walletRoutes(app: Express, deps: { wallets: WalletServices; baseUrl: () => string }, issue: RequestHandler): void {
  const { issuer, verifier } = deps.wallets;
  const tenant = (res: Response) => callerKey(res).tenantId;

  app.get('/.well-known/openid-credential-issuer', (_req, res) => {
    res.json(issuer.credentialIssuerMetadata());
  });
  app.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res.json(issuer.authorizationServerMetadata());
  });
  app.get('/oid4vci/jwks', (_req, res) => {
    res.type('application/jwk-set+json').send(JSON.stringify(deps.wallets.jwks()));
  });
  app.get('/oid4vci/logo.svg', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type('image/svg+xml').send(DEFAULT_LOGO_SVG);
  });
  app.get('/oid4vci/offers/:id', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await issuer.offerObject(String(req.params.id)));
  });
  app.post(
    '/oid4vci/token',
    walletEndpoint(async (req, res) => {
      res.json(await issuer.token(requestLike(req, deps.baseUrl()), (req.body ?? {}) as Record<string, unknown>));
    }),
  );
  app.post(
    '/oid4vci/nonce',
    walletEndpoint(async (_req, res) => {
      res.json(await issuer.nonce());
    }),
  );
  app.post(
    '/oid4vci/credential',
    walletEndpoint(async (req, res) => {
      res.json(await issuer.credential(requestLike(req, deps.baseUrl()), (req.body ?? {}) as Record<string, unknown>));
    }),
  );

  app.post('/v1/credential-offers', issue, async (req, res) => {
    const offer = await issuer.createOffer(tenant(res), req.body);
    const qr = `/v1/credential-offers/${offer.id}/qr`;
    res.status(201).json({ ...offer, qrCode: { png: `${qr}?format=png`, svg: `${qr}?format=svg` } });
  });
  // Public: the offer id is as secret as the URI the code shows, and an <img> sends no API key.
  app.get('/v1/credential-offers/:id/qr', async (req, res) => {
    await sendQr(res, await issuer.offerUriFor(String(req.params.id)), qrFormat(req));
  });

  app.post('/v1/presentation-requests', issue, async (req, res) => {
    const request = await verifier.create(tenant(res), req.body);
    const qr = `/v1/presentation-requests/${request.id}/qr`;
    res.status(201).json({ ...request, status: `/v1/presentation-requests/${request.id}`, qrCode: { png: `${qr}?format=png`, svg: `${qr}?format=svg` } });
  });
  app.get('/v1/presentation-requests/:id', issue, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await verifier.status(tenant(res), String(req.params.id)));
  });
  app.get('/v1/presentation-requests/:id/qr', async (req, res) => {
    await sendQr(res, await verifier.requestUriFor(String(req.params.id)), qrFormat(req));
  });
  app.get('/oid4vp/requests/:id', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/oauth-authz-req+jwt').send(await verifier.requestObject(String(req.params.id)));
  });
  app.post(
    '/oid4vp/responses/:id',
    walletEndpoint(async (req, res) => {
      res.json(await verifier.respond(String(req.params.id), (req.body ?? {}) as Record<string, unknown>));
    }),
  );
}
