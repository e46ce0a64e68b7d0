// GET /docs: the API reference, rendered from openapi.yaml by swagger-ui served from our own origin.
import path from 'node:path';
import express, { type Express } from 'express';
import { HttpProblem } from '../problems';

const SWAGGER_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>did-notary API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.yaml', dom_id: '#swagger-ui', deepLinking: true });\n`;

export function docsRoutes(app: Express): void {
  const headers = (res: express.Response) =>
    res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
  app.get('/docs', (_req, res) => {
    headers(res);
    res.type('html').send(PAGE);
  });
  app.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  const assets = express.static(SWAGGER_DIR, { index: false, maxAge: '1h', fallthrough: false });
  // serve-static would answer other methods itself, with an empty 405; its errors (404 for a missing
  // file, 403 for a path outside its root, 400 for a bad escape) become problems in problems.ts.
  app.use('/docs/assets', (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      assets(req, res, next);
      return;
    }
    next(new HttpProblem('method-not-allowed', `${req.method} is not allowed on /docs/assets; use GET`, {}, { Allow: 'GET, HEAD' }));
  });
}
